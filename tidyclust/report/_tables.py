"""Polars frames as plain table values for the template (which escapes every cell)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

__all__ = ["Table", "format_value", "table"]


@dataclass(frozen=True)
class Table:
    """A table ready to render: header, rows of formatted text, which columns are numbers."""

    id: str
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    note: str = ""


def format_value(value: object) -> str:
    """Text of one cell: integers as is, floats with 2-4 decimals by size, yes/no, null as an en dash.

    Examples
    --------
    >>> [format_value(v) for v in (12998.660253, 0.5494667, -5.15955, None, True)]
    ['12998.66', '0.5495', '-5.160', '–', 'yes']
    """
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        size = abs(value)
        decimals = 2 if size >= 100 else 3 if size >= 1 else 4
        return f"{value:.{decimals}f}"
    return str(value)


def table(frame: pl.DataFrame, id: str, caption: str, *, note: str = "", max_rows: int = 50) -> Table:
    """Turn ``frame`` into a :class:`Table`; beyond ``max_rows`` rows, the first ones and a note.

    Examples
    --------
    >>> t = table(pl.DataFrame({"k": [1, 2], "x": [0.5, 0.25]}), "t", "Two rows")
    >>> t.rows, t.numeric
    ((('1', '0.5000'), ('2', '0.2500')), (True, True))
    """
    shown = frame.head(max_rows)
    if frame.height > max_rows:
        note = (note + " " if note else "") + f"First {max_rows} of {frame.height:,} rows."
    rows = tuple(tuple(format_value(v) for v in row) for row in shown.iter_rows())
    numeric = tuple(dtype.is_numeric() for dtype in frame.dtypes)
    return Table(id, caption, tuple(frame.columns), rows, numeric, note)

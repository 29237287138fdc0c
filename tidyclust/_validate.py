"""Validation shared by the public entry points: done once, where the user calls in."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from tidyclust.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    DataValueError,
    EmptyDataError,
    ParameterError,
    did_you_mean,
)

__all__ = ["check_columns", "check_int", "numeric_columns", "numeric_matrix"]


def check_columns(
    frame: pl.DataFrame | pl.LazyFrame, columns: Sequence[str], arg: str = "columns"
) -> list[str]:
    """Check that every name in ``columns`` is a column of ``frame``; return them as a list.

    Raises :class:`ColumnNotFoundError` naming the first unknown column, the columns present and the
    closest name.
    """
    if isinstance(columns, str):
        columns = [columns]
    present = frame.collect_schema().names() if isinstance(frame, pl.LazyFrame) else frame.columns
    for name in columns:
        if not isinstance(name, str):
            raise ParameterError(f"{arg}: {name!r} is not a column name (expected a string)")
        if name not in present:
            raise ColumnNotFoundError(
                f"{arg}: {name!r} is not a column of the data{did_you_mean(name, present)} "
                f"(columns present: {', '.join(present)})"
            )
    return list(columns)


def numeric_columns(frame: pl.DataFrame | pl.LazyFrame) -> list[str]:
    """Names of the numeric columns of ``frame``, in frame order (R's ``where(is.numeric)``)."""
    schema = frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema
    return [name for name, dtype in schema.items() if dtype.is_numeric()]


def numeric_matrix(
    frame: pl.DataFrame, columns: Sequence[str] | None = None, *, arg: str = "columns"
) -> tuple[np.ndarray, list[str]]:
    """Validate ``columns`` of ``frame`` and return them as a C-contiguous float64 matrix.

    ``columns=None`` means every numeric column. Text columns, missing values (null or NaN) and
    infinities are errors that name the column and say what to do.
    """
    if not isinstance(frame, pl.DataFrame):
        raise ParameterError(
            f"data: expected a polars DataFrame, got {type(frame).__name__}; "
            "convert it with polars.DataFrame(...) or polars.from_pandas(...)"
        )
    if columns is None:
        columns = numeric_columns(frame)
        if not columns:
            raise ColumnTypeError(
                f"{arg}: the data has no numeric columns (columns present: {', '.join(frame.columns)})"
            )
    else:
        columns = check_columns(frame, columns, arg)
        if len(columns) == 0:
            raise ParameterError(f"{arg}: no columns given; name at least one numeric column")
        if len(set(columns)) != len(columns):
            dup = next(c for c in columns if columns.count(c) > 1)
            raise ParameterError(f"{arg}: {dup!r} is named more than once; name each column once")
    for name in columns:
        dtype = frame.schema[name]
        if not dtype.is_numeric():
            raise ColumnTypeError(
                f"{arg}: column {name!r} has type {dtype}, not a number; choose numeric columns "
                f"(numeric columns present: {', '.join(numeric_columns(frame)) or 'none'})"
            )
    if frame.height == 0:
        raise EmptyDataError("data: the data has no rows; check the filter that produced it")
    sub = frame.select(columns)
    # Column by column into the row-major matrix: the whole frame's to_numpy() is a column-major
    # copy made by polars' allocator, which keeps the freed pages resident (at 100,000 rows the
    # k-grid's resident peak carried the data's size again from here).
    matrix = np.empty((sub.height, sub.width))
    for j, name in enumerate(sub.columns):
        matrix[:, j] = sub.get_column(name).to_numpy()
    # One pass over the matrix (nulls arrive as NaN); the column-by-column search for the message
    # runs only when something is wrong.
    if not np.isfinite(matrix).all():
        _raise_non_finite(sub)
    return matrix, list(columns)


def _raise_non_finite(sub: pl.DataFrame) -> None:
    for name in sub.columns:
        col = sub.get_column(name)
        nulls = col.null_count()
        nans = int(col.is_nan().sum()) if col.dtype.is_float() else 0
        if nulls or nans:
            raise DataValueError(
                f"data: column {name!r} has {nulls + nans} missing value(s) (null or NaN); drop or fill "
                "them first, e.g. with tidyclust.prepare(data, columns=...), which drops and counts them"
            )
        if col.dtype.is_float() and bool(col.is_infinite().any()):
            row = int(col.is_infinite().arg_true()[0]) + 1
            raise DataValueError(
                f"data: column {name!r} has an infinite value at row {row}; remove or replace it"
            )


def check_int(value: object, arg: str, *, minimum: int, hint: str = "") -> int:
    """Check that ``value`` is an integer >= ``minimum`` and return it as ``int``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ParameterError(f"{arg}: expected an integer, got {value!r}{hint}")
    if value < minimum:
        raise ParameterError(f"{arg}: must be >= {minimum}, got {value}{hint}")
    return int(value)


def check_genres(genres: object, arg: str = "genres") -> list[str]:
    """Check that ``genres`` is a non-empty sequence of strings (one string is taken as one genre)."""
    if isinstance(genres, str):
        return [genres]
    try:
        values = list(genres)  # type: ignore[call-overload]
    except TypeError:
        raise ParameterError(f"{arg}: expected a list of genre names, got {genres!r}") from None
    if not values:
        raise ParameterError(f"{arg}: no genres given; name at least one, e.g. ['afropop']")
    for value in values:
        if not isinstance(value, str):
            raise ParameterError(f"{arg}: {value!r} is not a genre name (expected a string)")
    return values


def check_min_popularity(value: object) -> int | None:
    """``None`` (the lesson's ``popularity != 0``) or an integer from 0 to 100."""
    if value is None:
        return None
    value = check_int(value, "min_popularity", minimum=0, hint="; popularity runs from 0 to 100")
    if value > 100:
        raise ParameterError(f"min_popularity: must be <= 100, got {value}; popularity runs from 0 to 100")
    return value


def filter_rules(genres: Sequence[str], min_popularity: int | None) -> tuple[str, str]:
    """Human-readable rules of the two filter steps, as shown in ``filter_steps``."""
    genre_rule = "artist_top_genre in (" + ", ".join(repr(g) for g in genres) + ")"
    popularity_rule = "popularity != 0" if min_popularity is None else f"popularity >= {min_popularity}"
    return genre_rule, popularity_rule


def check_label(frame: pl.DataFrame | pl.LazyFrame, label: str) -> str:
    """Check that ``label`` names a column of ``frame``."""
    return check_columns(frame, [label], "label")[0]


def check_model_columns(frame: pl.DataFrame | pl.LazyFrame, columns: Sequence[str] | None) -> list[str]:
    """Model columns: named ones must exist and be numeric; ``None`` means every numeric column."""
    if columns is None:
        return numeric_columns(frame)
    columns = check_columns(frame, columns, "columns")
    schema = frame.collect_schema()
    for name in columns:
        if not schema[name].is_numeric():
            raise ColumnTypeError(
                f"columns: column {name!r} has type {schema[name]}, not a number; choose numeric "
                f"columns (numeric columns present: {', '.join(numeric_columns(frame)) or 'none'})"
            )
    return columns

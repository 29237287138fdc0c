"""The SQL twins of :mod:`tidyclust.tidy`: the ``.sql`` files in ``sql/``, run by DuckDB on Polars frames.

Each query is one statement in its own file, shipped inside the wheel as ``tidyclust/sql/``. The
frame is registered on an explicit DuckDB connection (never DuckDB's module-global default) under
the name ``songs``; values, and even column names, are bound as parameters (column names through
``COLUMNS($list)``), so no user text is ever formatted into SQL.

Every verb here takes the same arguments as its twin in :mod:`tidyclust.tidy` and returns the same
frame, plus an optional ``con`` to run on a connection of your own.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from tidyclust import tidy
from tidyclust._validate import (
    check_columns,
    check_genres,
    check_label,
    check_min_popularity,
    check_model_columns,
    filter_rules,
)
from tidyclust.tidy import LABEL, LESSON_GENRES, Frame, Prepared

__all__ = [
    "connect",
    "count_by",
    "feature_summary",
    "filter_songs",
    "filter_steps",
    "pivot_longer",
    "prepare",
    "query_names",
    "read_query",
    "run",
    "select_numeric",
]


def _sql_dir() -> Path:
    # Installed from a wheel, the queries sit inside the package; in a checkout (or an editable
    # install) they are the top-level sql/ folder beside the package.
    packaged = resources.files("tidyclust") / "sql"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "sql"


def query_names() -> list[str]:
    """Names of the shipped queries (the ``.sql`` file names without the suffix)."""
    return sorted(p.stem for p in _sql_dir().glob("*.sql"))


@cache
def read_query(name: str) -> str:
    """The text of ``sql/<name>.sql``."""
    path = _sql_dir() / f"{name}.sql"
    if not path.is_file():
        raise KeyError(f"query: no SQL file named {name!r}; the queries are {', '.join(query_names())}")
    return path.read_text(encoding="utf-8")


def connect() -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB connection set up for tidyclust's queries.

    ``preserve_insertion_order`` is DuckDB's default, set here explicitly because the verbs rely on it:
    a query without ``ORDER BY`` returns rows in the order of the frame.
    """
    con = duckdb.connect(":memory:")
    con.execute("SET preserve_insertion_order = true")
    return con


def run(
    name: str,
    data: Frame,
    params: dict[str, Any] | None = None,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pl.DataFrame:
    """Run ``sql/<name>.sql`` on ``data`` (visible to the query as ``songs``) and return a Polars frame."""
    own = con is None
    con = connect() if con is None else con
    try:
        con.register("songs", data)
        try:
            return con.sql(read_query(name), params=params or {}).pl()
        finally:
            con.unregister("songs")
    finally:
        if own:
            con.close()


def filter_songs(
    data: Frame,
    *,
    genres: Sequence[str] = LESSON_GENRES,
    min_popularity: int | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pl.DataFrame:
    """SQL twin of :func:`tidyclust.tidy.filter_songs` (``sql/filter_songs.sql``)."""
    genres = check_genres(genres)
    min_popularity = check_min_popularity(min_popularity)
    check_columns(data, [LABEL, "popularity"], "data")
    return run("filter_songs", data, {"genres": genres, "min_popularity": min_popularity}, con=con)


def filter_steps(
    data: Frame,
    *,
    genres: Sequence[str] = LESSON_GENRES,
    min_popularity: int | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pl.DataFrame:
    """SQL twin of :func:`tidyclust.tidy.filter_steps` (``sql/filter_steps.sql``)."""
    genres = check_genres(genres)
    min_popularity = check_min_popularity(min_popularity)
    check_columns(data, [LABEL, "popularity"], "data")
    genre_rule, popularity_rule = filter_rules(genres, min_popularity)
    params = {
        "genres": genres,
        "min_popularity": min_popularity,
        "genre_rule": genre_rule,
        "popularity_rule": popularity_rule,
    }
    return run("filter_steps", data, params, con=con)


def count_by(
    data: Frame, column: str = LABEL, *, con: duckdb.DuckDBPyConnection | None = None
) -> pl.DataFrame:
    """SQL twin of :func:`tidyclust.tidy.count_by` (``sql/count_by.sql``)."""
    column = check_columns(data, [column], "column")[0]
    return run("count_by", data, {"column": [column]}, con=con)


def select_numeric(
    data: Frame, *, label: str = LABEL, con: duckdb.DuckDBPyConnection | None = None
) -> pl.DataFrame:
    """SQL twin of :func:`tidyclust.tidy.select_numeric` (``sql/select_numeric.sql``)."""
    label = check_label(data, label)
    return run("select_numeric", data, {"columns": [label, *tidy._features(data, label)]}, con=con)


def pivot_longer(
    data: Frame, *, label: str = LABEL, con: duckdb.DuckDBPyConnection | None = None
) -> pl.DataFrame:
    """SQL twin of :func:`tidyclust.tidy.pivot_longer` (``sql/pivot_longer.sql``)."""
    label = check_label(data, label)
    features = tidy._features(data, label)
    return run("pivot_longer", data, {"label": [label], "features": features}, con=con)


def feature_summary(
    data: Frame,
    *,
    label: str = LABEL,
    by_group: bool = False,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pl.DataFrame:
    """SQL twin of :func:`tidyclust.tidy.feature_summary` (``sql/feature_summary*.sql``)."""
    label = check_label(data, label)
    features = tidy._features(data, label)
    if not by_group:
        return run("feature_summary", data, {"features": features}, con=con)
    summary = run("feature_summary_by_group", data, {"label": [label], "features": features}, con=con)
    return summary.rename({"grp": label})


def prepare(
    data: Frame,
    columns: Sequence[str] | None = None,
    *,
    scale: bool = False,
    con: duckdb.DuckDBPyConnection | None = None,
) -> Prepared:
    """SQL twin of :func:`tidyclust.tidy.prepare` (``sql/drop_missing.sql``, ``sql/scale_columns.sql``)."""
    columns = check_model_columns(data, columns)
    kept = run("drop_missing", data, {"columns": columns}, con=con)
    if scale:
        tidy.check_scalable(kept, columns)
        # scale_columns.sql drops the same rows again, then standardises; it returns the model columns
        # last, so put the data's column order back.
        kept = run("scale_columns", data, {"columns": columns}, con=con).select(data.collect_schema().names())
    return Prepared(kept, tuple(columns), tidy.n_rows_of(data) - kept.height, scale)

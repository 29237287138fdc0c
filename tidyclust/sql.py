"""The SQL twins of :mod:`tidyclust.tidy`: the ``.sql`` files in ``sql/``, run by DuckDB on Polars frames.

Each query is one statement in its own file, shipped inside the wheel as ``tidyclust/sql/``. The
data is visible to it on an explicit DuckDB connection (never DuckDB's module-global default) under
the name ``songs``; values, and even column names, are bound as parameters (column names through
``COLUMNS($list)``), so no user text is ever formatted into SQL.

How ``songs`` reaches DuckDB depends on what the verb is given:

* the path of a songs file, or an untouched :func:`tidyclust.data.scan_songs` of one: DuckDB reads
  the file itself (``read_parquet``, or ``read_csv`` with the column types of the Polars scan), in
  parallel and in batches, reading only the columns the query needs;
* any other lazy frame: Polars' streaming engine hands DuckDB the columns the verb needs as a
  stream of Arrow batches, so the plan is never collected whole;
* an in-memory frame: its Arrow buffers, without a copy.

Every verb here takes the same arguments as its twin in :mod:`tidyclust.tidy` and returns the same
frame, plus an optional ``con`` to run on a connection of your own.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

from tidyclust import tidy
from tidyclust._validate import (
    check_columns,
    check_genres,
    check_label,
    check_min_popularity,
    check_model_columns,
    filter_rules,
)
from tidyclust.data import songs_file
from tidyclust.tidy import LABEL, LESSON_GENRES, Frame, Prepared, Source

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
    data: Source,
    params: dict[str, Any] | None = None,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    columns: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Run ``sql/<name>.sql`` on ``data`` (visible to the query as ``songs``) and return a Polars frame.

    ``columns``, when given, are the only columns the query reads (a lazy frame streams just those).
    """
    own = con is None
    con = connect() if con is None else con
    try:
        with _songs(con, tidy.as_frame(data), columns):
            return con.sql(read_query(name), params=params or {}).pl()
    finally:
        if own:
            con.close()


# Polars types the songs data can hold and their DuckDB names; a file with any other column type is
# streamed through Polars instead of read by DuckDB, so both engines always see the same types.
_DUCKDB_TYPES: dict[pl.DataType, str] = {
    pl.String(): "VARCHAR",
    pl.Boolean(): "BOOLEAN",
    pl.Int8(): "TINYINT",
    pl.Int16(): "SMALLINT",
    pl.Int32(): "INTEGER",
    pl.Int64(): "BIGINT",
    pl.UInt8(): "UTINYINT",
    pl.UInt16(): "USMALLINT",
    pl.UInt32(): "UINTEGER",
    pl.UInt64(): "UBIGINT",
    pl.Float32(): "FLOAT",
    pl.Float64(): "DOUBLE",
}


def _file_relation(con: duckdb.DuckDBPyConnection, data: pl.LazyFrame) -> duckdb.DuckDBPyRelation | None:
    """DuckDB's own reader of the file behind an untouched scan, typed as the scan is; else None."""
    path = songs_file(data)
    if path is None:
        return None
    schema = data.collect_schema()
    types = {name: _DUCKDB_TYPES.get(dtype) for name, dtype in schema.items()}
    if None in types.values():
        return None
    if path.suffix.lower() in {".parquet", ".pq"}:
        relation = con.read_parquet(str(path))
    else:
        # The columns and types the Polars scan found in the header (so no sniffing), and the same
        # dialect: comma, double quotes (doubled inside), a header row; an empty field is missing
        # but a quoted empty field "" is the empty string.
        relation = con.read_csv(
            str(path),
            columns=types,
            auto_detect=False,
            header=True,
            sep=",",
            quotechar='"',
            escapechar='"',
            allow_quoted_nulls=False,
        )
    present = dict(zip(relation.columns, map(str, relation.types), strict=True))
    if present == types:
        return relation
    column = duckdb.ColumnExpression
    return relation.select(
        *(column(name).cast(duckdb.sqltype(kind)).alias(name) for name, kind in types.items())
    )


def _batches(data: pl.LazyFrame) -> pa.RecordBatchReader:
    """The lazy frame as a stream of Arrow batches from Polars' streaming engine."""
    schema = data.head(0).collect().to_arrow().schema

    def batches() -> Iterator[pa.RecordBatch]:
        for frame in data.collect_batches(engine="streaming"):
            yield from frame.to_arrow().cast(schema).to_batches()

    return pa.RecordBatchReader.from_batches(schema, batches())


@contextmanager
def _songs(con: duckdb.DuckDBPyConnection, data: Frame, columns: Sequence[str] | None) -> Iterator[None]:
    """Make ``data`` visible as ``songs`` on ``con`` for the duration of the block."""
    relation = _file_relation(con, data) if isinstance(data, pl.LazyFrame) else None
    if relation is not None:
        relation.to_view("songs", replace=True)
        try:
            yield
        finally:
            con.execute("DROP VIEW IF EXISTS songs")
        return
    if isinstance(data, pl.LazyFrame):
        data = _batches(data.select(columns) if columns is not None else data)
    con.register("songs", data)
    try:
        yield
    finally:
        con.unregister("songs")


def filter_songs(
    data: Source,
    *,
    genres: Sequence[str] = LESSON_GENRES,
    min_popularity: int | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pl.DataFrame:
    """SQL twin of :func:`tidyclust.tidy.filter_songs` (``sql/filter_songs.sql``)."""
    data = tidy.as_frame(data)
    genres = check_genres(genres)
    min_popularity = check_min_popularity(min_popularity)
    check_columns(data, [LABEL, "popularity"], "data")
    return run("filter_songs", data, {"genres": genres, "min_popularity": min_popularity}, con=con)


def filter_steps(
    data: Source,
    *,
    genres: Sequence[str] = LESSON_GENRES,
    min_popularity: int | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pl.DataFrame:
    """SQL twin of :func:`tidyclust.tidy.filter_steps` (``sql/filter_steps.sql``)."""
    data = tidy.as_frame(data)
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
    return run("filter_steps", data, params, con=con, columns=[LABEL, "popularity"])


def count_by(
    data: Source, column: str = LABEL, *, con: duckdb.DuckDBPyConnection | None = None
) -> pl.DataFrame:
    """SQL twin of :func:`tidyclust.tidy.count_by` (``sql/count_by.sql``)."""
    data = tidy.as_frame(data)
    column = check_columns(data, [column], "column")[0]
    return run("count_by", data, {"column": [column]}, con=con, columns=[column])


def select_numeric(
    data: Source, *, label: str = LABEL, con: duckdb.DuckDBPyConnection | None = None
) -> pl.DataFrame:
    """SQL twin of :func:`tidyclust.tidy.select_numeric` (``sql/select_numeric.sql``)."""
    data = tidy.as_frame(data)
    label = check_label(data, label)
    columns = [label, *tidy._features(data, label)]
    return run("select_numeric", data, {"columns": columns}, con=con, columns=columns)


def pivot_longer(
    data: Source, *, label: str = LABEL, con: duckdb.DuckDBPyConnection | None = None
) -> pl.DataFrame:
    """SQL twin of :func:`tidyclust.tidy.pivot_longer` (``sql/pivot_longer.sql``)."""
    data = tidy.as_frame(data)
    label = check_label(data, label)
    features = tidy._features(data, label)
    params = {"label": [label], "features": features}
    return run("pivot_longer", data, params, con=con, columns=[label, *features])


def feature_summary(
    data: Source,
    *,
    label: str = LABEL,
    by_group: bool = False,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pl.DataFrame:
    """SQL twin of :func:`tidyclust.tidy.feature_summary` (``sql/feature_summary*.sql``)."""
    data = tidy.as_frame(data)
    label = check_label(data, label)
    features = tidy._features(data, label)
    if not by_group:
        return run("feature_summary", data, {"features": features}, con=con, columns=features)
    params = {"label": [label], "features": features}
    summary = run("feature_summary_by_group", data, params, con=con, columns=[label, *features])
    return summary.rename({"grp": label})


def prepare(
    data: Source,
    columns: Sequence[str] | None = None,
    *,
    scale: bool = False,
    con: duckdb.DuckDBPyConnection | None = None,
) -> Prepared:
    """SQL twin of :func:`tidyclust.tidy.prepare` (``sql/drop_missing.sql``, ``sql/scale_columns.sql``)."""
    data = tidy.as_frame(data)
    columns = check_model_columns(data, columns)
    kept = run("drop_missing", data, {"columns": columns}, con=con)
    if scale:
        tidy.check_scalable(kept, columns)
        # scale_columns.sql drops the same rows again, then standardises; it returns the model columns
        # last, so put the data's column order back.
        kept = run("scale_columns", data, {"columns": columns}, con=con).select(data.collect_schema().names())
    return Prepared(kept, tuple(columns), tidy.n_rows_of(data) - kept.height, scale)

"""Reading and validating the songs data: a local CSV or Parquet file, a URL, or the lesson's copy.

The lesson's data set lives at :data:`LESSON_URL`. It is never shipped with the package: it is
downloaded once into a per-user cache (``platformdirs.user_cache_dir("tidyclust")``, or
``$TIDYCLUST_CACHE``) and verified by its sha256.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import platformdirs
import polars as pl
import pooch

from tidyclust.errors import (
    ChecksumError,
    ColumnNotFoundError,
    DataAccessError,
    DataNotFoundError,
    DataValueError,
    DownloadError,
    EmptyDataError,
    did_you_mean,
)

__all__ = [
    "LESSON_SHA256",
    "LESSON_URL",
    "SONGS_SCHEMA",
    "read_songs",
    "resolve_source",
    "scan_songs",
    "sha256_file",
    "songs_file",
]

LESSON_URL = (
    "https://raw.githubusercontent.com/microsoft/ML-For-Beginners/main/5-Clustering/data/nigerian-songs.csv"
)
LESSON_SHA256 = "efcc14d5e16ccf57f557c1dc2b57564c822aedfd8a3faaa1d24e900ac320ab62"

#: The 16 columns of the songs data and their types. Text columns keep the file's text exactly
#: (UTF-8, e.g. ``AYLØ``); ``release_date`` is a year; Spotify's audio features are floats.
SONGS_SCHEMA: dict[str, pl.DataType] = {
    "name": pl.String(),
    "album": pl.String(),
    "artist": pl.String(),
    "artist_top_genre": pl.String(),
    "release_date": pl.Int64(),
    "length": pl.Int64(),
    "popularity": pl.Int64(),
    "danceability": pl.Float64(),
    "acousticness": pl.Float64(),
    "energy": pl.Float64(),
    "instrumentalness": pl.Float64(),
    "liveness": pl.Float64(),
    "loudness": pl.Float64(),
    "speechiness": pl.Float64(),
    "tempo": pl.Float64(),
    "time_signature": pl.Int64(),
}

_HINT = "pass a local copy with --data PATH (or read_songs(PATH)), or set TIDYCLUST_DATA"


def cache_dir() -> Path:
    """The per-user download cache: ``$TIDYCLUST_CACHE`` if set, else the platform's cache folder."""
    return Path(os.environ.get("TIDYCLUST_CACHE") or platformdirs.user_cache_dir("tidyclust"))


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The sha256 hex digest of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def _download(url: str, sha256: str | None) -> Path:
    known_hash = f"sha256:{sha256}" if sha256 else None
    try:
        path = pooch.retrieve(url, known_hash=known_hash, path=cache_dir(), progressbar=False)
    except ValueError as exc:  # pooch reports a hash mismatch as ValueError
        if "hash" in str(exc).lower():
            raise ChecksumError(
                f"source: the file downloaded from {url} does not match its expected sha256 {sha256}; "
                f"the published file may have changed. {_HINT}"
            ) from exc
        raise DownloadError(f"source: could not download {url} ({exc}); {_HINT}") from exc
    except Exception as exc:  # requests' connection, timeout and HTTP errors; no network at all
        raise DownloadError(
            f"source: could not download {url} ({type(exc).__name__}: {exc}); no network? {_HINT}"
        ) from exc
    return Path(path)


def resolve_source(source: str | os.PathLike[str] | None = None) -> Path:
    """Turn ``source`` into a local file path, downloading (once, then cached) when it is a URL.

    ``None`` means ``$TIDYCLUST_DATA`` if set, else :data:`LESSON_URL`. The lesson's URL is checked
    against :data:`LESSON_SHA256`.
    """
    if source is None:
        source = os.environ.get("TIDYCLUST_DATA") or LESSON_URL
    text = os.fspath(source)
    if _is_url(text):
        return _download(text, LESSON_SHA256 if text == LESSON_URL else None)
    path = Path(text).expanduser()
    if not path.is_file():
        where = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise DataNotFoundError(
            f"source: {str(path)!r} {where}; give the path of the songs CSV or Parquet file"
        )
    if not os.access(path, os.R_OK):
        raise DataAccessError(
            f"source: {str(path)!r} cannot be read (permission denied); check its permissions"
        )
    return path


def read_songs(source: str | os.PathLike[str] | None = None) -> pl.DataFrame:
    """Read the songs data into a Polars frame with the documented :data:`SONGS_SCHEMA`.

    Parameters
    ----------
    source
        A local CSV or Parquet file, an http(s) URL, or ``None`` for ``$TIDYCLUST_DATA`` or else the
        lesson's public copy (downloaded once into the cache and verified by sha256).

    Returns
    -------
    polars.DataFrame
        The 16 columns of :data:`SONGS_SCHEMA` in their order, then any extra columns as text.
        Empty fields become nulls; they are kept here and counted where a step drops them.

    Raises
    ------
    DataNotFoundError, DownloadError, ChecksumError, EmptyDataError, ColumnNotFoundError, DataValueError

    Examples
    --------
    >>> songs = read_songs("../shared/data/nigerian-songs.csv")  # doctest: +SKIP
    >>> songs.shape  # doctest: +SKIP
    (530, 16)
    """
    path = resolve_source(source)
    frame = _read_parquet(path) if _is_parquet(path) else _read_csv(path)
    if frame.height == 0:
        raise EmptyDataError(f"source: {str(path)!r} has a header but no rows; give a file with songs in it")
    return frame


def _check_header(present: list[str], path: Path) -> None:
    for name in SONGS_SCHEMA:
        if name not in present:
            raise ColumnNotFoundError(
                f"source: {str(path)!r} has no column {name!r}{did_you_mean(name, present)} "
                f"(columns present: {', '.join(present)})"
            )


def _read_csv(path: Path) -> pl.DataFrame:
    if path.stat().st_size == 0:
        raise EmptyDataError(f"source: {str(path)!r} is empty (0 bytes); give the songs CSV file")
    try:
        header = pl.read_csv(path, n_rows=0).columns
    except pl.exceptions.NoDataError as exc:
        raise EmptyDataError(f"source: {str(path)!r} is empty; give the songs CSV file") from exc
    _check_header(header, path)
    # Read every column as text, then cast: casting locates a bad value (row and column) where a
    # typed read would only fail.
    try:
        text = pl.read_csv(path, infer_schema=False)
    except pl.exceptions.ComputeError as exc:
        reason = str(exc).splitlines()[0]
        raise DataValueError(
            f"source: {str(path)!r} is not a well-formed CSV file ({reason}); check its quoting and commas"
        ) from exc
    return _cast(text, path)


def _read_parquet(path: Path) -> pl.DataFrame:
    frame = pl.read_parquet(path)
    _check_header(frame.columns, path)
    return _cast(frame, path)


def _cast(frame: pl.DataFrame, path: Path) -> pl.DataFrame:
    casts = []
    for name, dtype in SONGS_SCHEMA.items():
        column = frame.get_column(name)
        if column.dtype == dtype:
            casts.append(column)
            continue
        source = column.str.strip_chars() if column.dtype == pl.String else column
        converted = source.cast(dtype, strict=False)
        bad = converted.is_null() & source.is_not_null()
        if column.dtype == pl.String:
            bad = bad & (source != "")
        if bad.any():
            row = int(bad.arg_true()[0])
            raise DataValueError(
                f"source: column {name!r} must be numeric but row {row + 1} has {column[row]!r} "
                f"(in {str(path)!r}); fix or remove that value"
            )
        casts.append(converted)
    extras = [frame.get_column(c) for c in frame.columns if c not in SONGS_SCHEMA]
    return pl.DataFrame(casts + extras)


def scan_songs(source: str | os.PathLike[str] | None = None) -> pl.LazyFrame:
    """A lazy frame over the songs file, for files too large to read whole.

    The header is checked now (a missing column is an error at once); the rows are parsed with
    :data:`SONGS_SCHEMA` by Polars' engine when the query runs, so a 10-million-row file is filtered
    and reshaped without its text ever being in memory. Unlike :func:`read_songs`, a malformed value
    surfaces when the query runs, as Polars' own error.

    Examples
    --------
    >>> from tidyclust import tidy
    >>> kept = tidy.filter_songs(scan_songs("../shared/data/nigerian-songs.csv"))  # doctest: +SKIP
    >>> kept.height  # doctest: +SKIP
    286
    """
    path = resolve_source(source)
    if _is_parquet(path):
        frame = pl.scan_parquet(path)
        _check_header(frame.collect_schema().names(), path)
        frame = frame.with_columns(pl.col(name).cast(dtype) for name, dtype in SONGS_SCHEMA.items())
    else:
        if path.stat().st_size == 0:
            raise EmptyDataError(f"source: {str(path)!r} is empty (0 bytes); give the songs CSV file")
        _check_header(pl.read_csv(path, n_rows=0).columns, path)
        frame = pl.scan_csv(path, schema_overrides=SONGS_SCHEMA)
    # Remembered on this very frame (a frame derived from it is a new object without the mark), so
    # that tidyclust.sql can let DuckDB read the file itself instead of having Polars load it first.
    frame._tidyclust_file = path  # type: ignore[attr-defined]
    return frame


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in {".parquet", ".pq"}


def songs_file(data: object) -> Path | None:
    """The file behind ``data`` when it is an untouched :func:`scan_songs` frame, else ``None``.

    A frame derived from a scan (filtered, selected, ...) is a plan of its own and returns ``None``.
    """
    path = getattr(data, "_tidyclust_file", None) if isinstance(data, pl.LazyFrame) else None
    return path if isinstance(path, Path) else None

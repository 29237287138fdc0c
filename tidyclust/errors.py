"""The package's exception types.

Every error tidyclust raises on purpose comes from :class:`TidyclustError` and also subclasses
the builtin a caller would naturally catch (a missing column is also a ``KeyError``, a bad
argument value is also a ``ValueError``), so both ``except TidyclustError`` and the ordinary
builtin work.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "ChecksumError",
    "ColumnNotFoundError",
    "ColumnTypeError",
    "DataAccessError",
    "DataNotFoundError",
    "DataValueError",
    "DownloadError",
    "EmptyDataError",
    "NoClustersWarning",
    "ParameterError",
    "PredictNotDefinedError",
    "TidyclustError",
    "closest",
]


class TidyclustError(Exception):
    """Base class of every error tidyclust raises on purpose."""

    def __str__(self) -> str:
        # KeyError's __str__ wraps the message in quotes; keep messages readable for all subclasses.
        return str(self.args[0]) if self.args else ""


class DataNotFoundError(TidyclustError, FileNotFoundError):
    """A local data file does not exist."""


class DataAccessError(TidyclustError, PermissionError):
    """A local data file exists but cannot be read (permissions)."""


class DownloadError(TidyclustError, ConnectionError):
    """A data URL could not be fetched (no network, HTTP error, ...)."""


class ChecksumError(TidyclustError, ValueError):
    """Downloaded or cached data does not match its expected sha256."""


class EmptyDataError(TidyclustError, ValueError):
    """The data has no rows (or no header)."""


class ColumnNotFoundError(TidyclustError, KeyError):
    """A column named by the user is not in the data."""


class ColumnTypeError(TidyclustError, TypeError):
    """A column has the wrong type for what was asked of it (e.g. text where numbers are needed)."""


class DataValueError(TidyclustError, ValueError):
    """A value in the data is unusable (non-numeric text in a numeric column, NaN, infinity, ...)."""


class ParameterError(TidyclustError, ValueError):
    """An argument has a value outside its rule; the message names the argument, value and rule."""


class PredictNotDefinedError(TidyclustError, NotImplementedError):
    """The method has no rule for assigning new rows to clusters (e.g. hierarchical clustering)."""


class NoClustersWarning(UserWarning):
    """A density-based fit labelled every row as noise (k = 0); try a larger eps or smaller min_samples."""


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """Return the candidate closest to ``name`` (case-insensitive), or ``None`` if none is close."""
    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` when a close candidate exists, else ``""``."""
    best = closest(name, candidates)
    return f"; did you mean {best!r}?" if best is not None else ""

"""Input checks shared by the metrics modules (matrices, label vectors, fits)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from tidyclust._validate import numeric_matrix
from tidyclust.errors import DataValueError, ParameterError

__all__ = ["check_labels", "check_matrix", "resolve_rows"]


def check_matrix(X: object, arg: str = "X") -> np.ndarray:
    """``X`` as a C-contiguous finite float64 (n × p) matrix."""
    try:
        M = np.ascontiguousarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"{arg}: expected a numeric (n x p) array, got {type(X).__name__} ({exc})"
        ) from None
    if M.ndim != 2 or M.shape[0] == 0 or M.shape[1] == 0:
        raise ParameterError(
            f"{arg}: expected a non-empty 2-D (n x p) array, got shape {M.shape}; "
            "reshape a single feature with X.reshape(-1, 1)"
        )
    if not np.isfinite(M).all():
        row = int(np.nonzero(~np.isfinite(M).all(axis=1))[0][0]) + 1
        raise DataValueError(f"{arg}: row {row} has a missing or infinite value; drop or fill it first")
    return M


def check_labels(labels: object, n: int | None, arg: str = "labels") -> np.ndarray:
    """``labels`` as an int32 vector (of length ``n`` when given) with values >= 0 (0 = noise)."""
    lab = labels.to_numpy() if isinstance(labels, pl.Series) else np.asarray(labels)
    if lab.ndim != 1:
        raise ParameterError(f"{arg}: expected a 1-D vector of cluster labels, got shape {lab.shape}")
    if n is not None and lab.shape[0] != n:
        raise ParameterError(
            f"{arg}: has {lab.shape[0]} values but the data has {n} rows; give one label per row"
        )
    if lab.dtype.kind == "f":
        if not np.isfinite(lab).all() or not np.array_equal(lab, np.round(lab)):
            raise ParameterError(f"{arg}: must be integer cluster codes, got non-integer or missing values")
    elif lab.dtype.kind not in "iu":
        raise ParameterError(f"{arg}: must be integer cluster codes, got dtype {lab.dtype}")
    if lab.size and lab.min() < 0:
        raise ParameterError(
            f"{arg}: got the negative label {int(lab.min())}; clusters are numbered from 1 and 0 means "
            "noise (map scikit-learn's -1 noise label to 0)"
        )
    return lab.astype(np.int32)


def is_fit(obj: object) -> bool:
    """A fit is anything with ``.labels`` and ``.model_matrix(data)`` (docs/design.md)."""
    return hasattr(obj, "labels") and callable(getattr(obj, "model_matrix", None))


def resolve_rows(
    fit_or_X: object, data: pl.DataFrame | None, labels: object, columns: Sequence[str] | None
) -> tuple[np.ndarray, np.ndarray]:
    """The (X, labels) pair a metric works on, from a fit + data, a frame + labels or a matrix + labels."""
    if is_fit(fit_or_X):
        if data is None:
            raise ParameterError(
                "data: a fit needs the data it was fitted on to rebuild its model matrix; "
                "call e.g. silhouette(fit, data)"
            )
        if labels is not None:
            raise ParameterError("labels: give either a fit (which carries its labels) or labels, not both")
        X = check_matrix(fit_or_X.model_matrix(data), "data")
        return X, check_labels(fit_or_X.labels, X.shape[0], "fit.labels")
    if labels is None:
        raise ParameterError(
            f"labels: {type(fit_or_X).__name__} carries no cluster labels; pass labels=..., "
            "or pass a fit and its data"
        )
    if data is not None:
        raise ParameterError("data: only used with a fit; for a frame or matrix pass labels=... instead")
    if isinstance(fit_or_X, pl.DataFrame):
        X, _ = numeric_matrix(fit_or_X, columns)
    else:
        X = check_matrix(fit_or_X)
    return X, check_labels(labels, X.shape[0])

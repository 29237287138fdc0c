"""What every fit shares: the fitted matrix, first-appearance labels, per-cluster sums and the mixin
behind ``model_matrix`` and ``augment`` (docs/design.md, "Every fit").

The clustering modules (:mod:`tidyclust.hclust`, :mod:`tidyclust.density`,
:mod:`tidyclust.mixture`) build their fits from these pieces so that every method prepares its
data, numbers its clusters and augments rows the same way as :mod:`tidyclust.model`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from tidyclust._validate import check_columns, check_int, numeric_matrix
from tidyclust.errors import ParameterError, PredictNotDefinedError

__all__ = [
    "FitMixin",
    "Matrix",
    "PredictNotDefinedError",  # re-exported from tidyclust.errors, where it now lives
    "centers_frame",
    "cluster_sums",
    "prepare_matrix",
    "readonly",
    "relabel",
    "resolve_seed",
]


def readonly(a: np.ndarray) -> np.ndarray:
    """A write-protected copy of ``a`` (fits are immutable values)."""
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class Matrix:
    """The validated float64 matrix a fit sees, and the scaling that produced it."""

    X: np.ndarray
    columns: tuple[str, ...]
    center_: np.ndarray | None
    scale_: np.ndarray | None

    @property
    def totss(self) -> float:
        """Total sum of squares about the column means (R's ``kmeans()$totss``)."""
        return float(((self.X - self.X.mean(axis=0)) ** 2).sum())

    def to_original(self, M: np.ndarray) -> np.ndarray:
        """Rows of ``M`` (fitted space) mapped back to the units of the data."""
        return M if self.scale_ is None else M * self.scale_ + self.center_


def prepare_matrix(
    data: pl.DataFrame, columns: Sequence[str] | None, scale: bool, *, min_rows: int, method: str
) -> Matrix:
    """Validate ``data``/``columns`` once and standardise as R's ``scale()`` when ``scale=True``."""
    if not isinstance(scale, (bool, np.bool_)):
        raise ParameterError(f"scale: expected True or False, got {scale!r}")
    X, cols = numeric_matrix(data, columns)
    if X.shape[0] < min_rows:
        raise ParameterError(f"data: has {X.shape[0]} row(s); {method} needs at least {min_rows}")
    if not scale:
        return Matrix(X, tuple(cols), None, None)
    # R's scale(): centre on the column mean, divide by the sd with n - 1.
    center_ = X.mean(axis=0)
    scale_ = X.std(axis=0, ddof=1)
    const = [c for c, s in zip(cols, scale_, strict=True) if not s > 0]
    if const:
        raise ParameterError(
            f"scale: column {const[0]!r} is constant (sd 0), so it cannot be standardised; "
            "drop it from columns or use scale=False"
        )
    X = np.ascontiguousarray((X - center_) / scale_)
    return Matrix(X, tuple(cols), readonly(center_), readonly(scale_))


def relabel(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Number clusters 1, 2, ... by first appearance in the rows; negative raw labels become 0 (noise).

    Returns the int32 labels and ``order``: new cluster ``i`` (1-based) was raw label ``order[i - 1]``.

    Examples
    --------
    >>> lab, order = relabel(np.array([2, 2, -1, 0, 1]))
    >>> lab.tolist(), order.tolist()
    ([1, 1, 0, 2, 3], [2, 0, 1])
    """
    raw = np.asarray(raw)
    clustered = raw >= 0
    order, first = np.unique(raw[clustered], return_index=True)
    order = order[np.argsort(first, kind="stable")]
    lookup = np.zeros(int(order.max()) + 1 if order.size else 1, np.int32)
    lookup[order] = np.arange(1, order.size + 1, dtype=np.int32)
    labels = np.zeros(raw.shape[0], np.int32)
    labels[clustered] = lookup[raw[clustered]]
    return labels, order


def cluster_sums(X: np.ndarray, labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per cluster 1..k: sizes (int64), means (k x p, fitted space) and within sums of squares.

    Noise rows (label 0) are left out; an empty cluster has size 0, NaN means and withinss 0.
    """
    sizes = np.bincount(labels, minlength=k + 1)[1 : k + 1].astype(np.int64)
    sums = np.stack([np.bincount(labels, weights=X[:, j], minlength=k + 1) for j in range(X.shape[1])], 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums[1 : k + 1] / sizes[:, None]
    inside = labels > 0
    resid = X[inside] - means[labels[inside] - 1]
    withinss = np.bincount(labels[inside], weights=(resid * resid).sum(axis=1), minlength=k + 1)[1 : k + 1]
    return sizes, means, withinss


def resolve_seed(seed: object) -> int:
    """``seed`` checked as an integer >= 0; ``None`` draws a fresh one (recorded in the fit)."""
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> 1)
    return check_int(seed, "seed", minimum=0)


class FitMixin:
    """``model_matrix`` and ``augment`` for frozen fit dataclasses with ``columns``, ``labels``,
    ``scale``, ``center_`` and ``scale_``. Subclasses add columns to ``augment`` through
    :meth:`_augment_columns`."""

    columns: tuple[str, ...]
    labels: np.ndarray
    scale: bool
    center_: np.ndarray | None
    scale_: np.ndarray | None

    def model_matrix(self, data: pl.DataFrame) -> np.ndarray:
        """The float64 matrix the fit sees: ``columns`` of ``data``, standardised as fitted."""
        X, _ = numeric_matrix(data, list(self.columns), arg="columns")
        if self.scale:
            X = (X - self.center_) / self.scale_
        return np.ascontiguousarray(X)

    def augment(self, data: pl.DataFrame) -> pl.DataFrame:
        """The rows of ``data`` (the data the model was fitted on), same order, plus ``.cluster``
        (Int32; 0 = noise) and any method-specific dot-prefixed columns (see docs/glossary.md)."""
        if not isinstance(data, pl.DataFrame):
            raise ParameterError(f"data: expected a polars DataFrame, got {type(data).__name__}")
        check_columns(data, list(self.columns), "data")
        if data.height != self.labels.shape[0]:
            raise ParameterError(
                f"data: has {data.height} rows but the model was fitted on {self.labels.shape[0]}; "
                "pass the data the model was fitted on (use predict() for new rows)"
            )
        return data.with_columns(pl.Series(".cluster", self.labels, dtype=pl.Int32), *self._augment_columns())

    def _augment_columns(self) -> list[pl.Series]:
        return []


def centers_frame(columns: Sequence[str], centers: np.ndarray) -> list[pl.Series]:
    """One Float64 column per feature holding each cluster's center (the tidy() convention)."""
    return [pl.Series(name, centers[:, j], dtype=pl.Float64) for j, name in enumerate(columns)]

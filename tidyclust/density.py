"""Density-based clustering (DBSCAN, HDBSCAN) with noise as its own labelled group.

Both wrap scikit-learn (:class:`sklearn.cluster.DBSCAN`, :class:`sklearn.cluster.HDBSCAN`) on
Euclidean distances in the space of :meth:`~DensityFit.model_matrix` and follow the tidyclust
conventions:

* Noise is never dropped: its rows get label 0 (scikit-learn's -1), ``glance()`` counts them
  (``n_noise``) and ``tidy()`` always has a row for cluster 0 with ``noise = True``.
* Clusters are numbered 1..k by first appearance among the non-noise rows; ``k`` excludes noise.
* A DBSCAN run that finds only noise is a result, not a crash: it warns
  (:class:`NoClustersWarning`) and reports ``k = 0``. Choose ``eps`` with
  :func:`tidyclust.kdistance.kdistance_plot`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import polars as pl
from scipy.spatial import cKDTree

from tidyclust._fit import (
    FitMixin,
    Matrix,
    cluster_sums,
    prepare_matrix,
    readonly,
    relabel,
)
from tidyclust._validate import check_int
from tidyclust.errors import NoClustersWarning, ParameterError, PredictNotDefinedError

# NoClustersWarning lives in tidyclust.errors; re-exported here, where it was first defined
__all__ = ["DensityFit", "NoClustersWarning", "dbscan", "hdbscan"]


@dataclass(frozen=True, eq=False, kw_only=True)
class DensityFit(FitMixin):
    """A DBSCAN or HDBSCAN fit (``method`` says which).

    ``centers`` are the means of clusters 1..k in the units of the data and ``noise_center`` the
    mean of the noise rows (NaN without noise); ``withinss`` are sums of squares about the cluster
    means in the space the fit sees. ``core`` flags DBSCAN's core rows (HDBSCAN: rows with
    membership probability 1); ``probability`` is HDBSCAN's membership strength (DBSCAN: 1 for
    clustered rows, 0 for noise). ``params`` holds the method's options as used.
    """

    method: str
    k: int
    columns: tuple[str, ...]
    labels: np.ndarray
    centers: np.ndarray
    noise_center: np.ndarray
    sizes: np.ndarray
    withinss: np.ndarray
    n_noise: int
    core: np.ndarray
    probability: np.ndarray
    params: Mapping[str, Any]
    scale: bool = False
    center_: np.ndarray | None = None
    scale_: np.ndarray | None = None
    _core_points: np.ndarray = field(default=None, repr=False)
    _estimator: Any = field(default=None, repr=False)

    def tidy(self) -> pl.DataFrame:
        """One row for noise (cluster 0, always present) then one per cluster: ``cluster``,
        ``noise``, ``size``, ``withinss`` (null for noise), then each feature's mean.

        Examples
        --------
        >>> import polars as pl
        >>> df = pl.DataFrame({"x": [0.0, 0.1, 0.2, 5.0, 5.1, 5.2, 20.0]})
        >>> dbscan(df, eps=0.5, min_samples=2).tidy().select("cluster", "noise", "size").rows()
        [(0, True, 1), (1, False, 3), (2, False, 3)]
        """
        means = np.vstack([self.noise_center[None, :], self.centers])
        frame = pl.DataFrame(
            {
                "cluster": pl.Series(np.arange(0, self.k + 1), dtype=pl.Int32),
                "noise": [True] + [False] * self.k,
                "size": pl.Series([self.n_noise, *self.sizes.tolist()], dtype=pl.Int64),
                "withinss": pl.Series([None, *self.withinss.tolist()], dtype=pl.Float64),
            }
        )
        return frame.with_columns(
            pl.Series(name, means[:, j], dtype=pl.Float64, nan_to_null=True)
            for j, name in enumerate(self.columns)
        )

    def glance(self) -> pl.DataFrame:
        """One row: method, k (clusters, noise excluded), n, n_noise, tot_withinss, then the options
        (DBSCAN: eps, min_samples, n_core; HDBSCAN: min_cluster_size, min_samples).

        Examples
        --------
        >>> import polars as pl
        >>> df = pl.DataFrame({"x": [0.0, 0.1, 0.2, 5.0, 5.1, 5.2, 20.0]})
        >>> dbscan(df, eps=0.5, min_samples=2).glance().select("k", "n_noise").row(0)
        (2, 1)
        """
        row: dict[str, Any] = {
            "method": self.method,
            "k": self.k,
            "n": int(self.labels.shape[0]),
            "n_noise": self.n_noise,
            "tot_withinss": float(self.withinss.sum()),
            **self.params,
        }
        if self.method == "dbscan":
            row["n_core"] = int(self.core.sum())
        ints = {"k", "n", "n_noise", "min_samples", "min_cluster_size", "n_core"}
        return pl.DataFrame([row], schema_overrides={c: pl.Int32 for c in row if c in ints})

    def _augment_columns(self) -> list[pl.Series]:
        return [
            pl.Series(".core", self.core, dtype=pl.Boolean),
            pl.Series(".probability", self.probability, dtype=pl.Float64),
        ]

    def predict(self, new_data: pl.DataFrame) -> pl.Series:
        """Clusters for new rows (0 = noise).

        DBSCAN: a new row joins the cluster of its nearest *core* row if that is within ``eps``
        (in the fitted space), else it is noise. Border rows never recruit, so a training border
        row reached by two clusters may predict the other one than its label.
        HDBSCAN: scikit-learn's ``approximate_predict`` when the installed version has it;
        otherwise :class:`~tidyclust.errors.PredictNotDefinedError`.

        Examples
        --------
        >>> import polars as pl
        >>> df = pl.DataFrame({"x": [0.0, 0.1, 0.2, 5.0, 5.1, 5.2, 20.0]})
        >>> dbscan(df, eps=0.5, min_samples=2).predict(pl.DataFrame({"x": [0.3, 4.8, 10.0]})).to_list()
        [1, 2, 0]
        """
        X = self.model_matrix(new_data)
        if self.method == "hdbscan":
            return _hdbscan_predict(self, X)
        out = np.zeros(X.shape[0], np.int32)
        if self._core_points.shape[0]:
            dist, idx = cKDTree(self._core_points).query(X, k=1)
            near = dist <= self.params["eps"]
            out[near] = self.labels[self.core][idx[near]]
        return pl.Series(".cluster", out, dtype=pl.Int32)


def _hdbscan_predict(fit: DensityFit, X: np.ndarray) -> pl.Series:
    predict = getattr(fit._estimator, "approximate_predict", None)
    if predict is None:
        raise PredictNotDefinedError(
            "predict: this scikit-learn HDBSCAN has no approximate_predict, so HDBSCAN cannot place "
            "new rows; refit hdbscan() on the combined data, or use dbscan(), whose predict() "
            "assigns new rows to the nearest core row within eps"
        )
    result = predict(X)
    raw = np.asarray(result[0] if isinstance(result, tuple) else result)  # (labels, strengths)
    # map scikit-learn's cluster ids onto ours through the training labels
    lookup = {int(r): int(c) for r, c in zip(fit._estimator.labels_, fit.labels, strict=True) if r >= 0}
    return pl.Series(".cluster", [lookup.get(int(r), 0) for r in raw], dtype=pl.Int32)


def _density_fit(
    mat: Matrix,
    est: Any,
    core: np.ndarray,
    probability: np.ndarray,
    method: str,
    params: dict[str, Any],
) -> DensityFit:
    labels, _ = relabel(est.labels_)
    k = int(labels.max())
    if k == 0:
        warnings.warn(
            f"{method}: every row is noise (k = 0) with {params}; try a larger eps or a smaller "
            "min_samples (see kdistance_plot)",
            NoClustersWarning,
            stacklevel=3,
        )
    sizes, means, withinss = cluster_sums(mat.X, labels, k)
    noise = labels == 0
    noise_center = mat.X[noise].mean(axis=0) if noise.any() else np.full(mat.X.shape[1], np.nan)
    return DensityFit(
        method=method,
        k=k,
        columns=mat.columns,
        labels=readonly(labels),
        centers=readonly(mat.to_original(means)),
        noise_center=readonly(mat.to_original(noise_center)),
        sizes=readonly(sizes),
        withinss=readonly(withinss),
        n_noise=int(noise.sum()),
        core=readonly(core),
        probability=readonly(probability),
        params=MappingProxyType(dict(params)),
        scale=mat.scale_ is not None,
        center_=mat.center_,
        scale_=mat.scale_,
        _core_points=readonly(mat.X[core]),
        _estimator=est if method == "hdbscan" else None,
    )


def _check_eps(eps: object) -> float:
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)):
        raise ParameterError(f"eps: expected a positive number (a distance), got {eps!r}")
    if not (np.isfinite(eps) and eps > 0):
        raise ParameterError(
            f"eps: must be a finite distance > 0, got {eps!r}; read one off kdistance_plot(data)"
        )
    return float(eps)


def dbscan(
    data: pl.DataFrame,
    *,
    eps: float,
    min_samples: int,
    columns: Sequence[str] | None = None,
    scale: bool = False,
) -> DensityFit:
    """DBSCAN (Ester et al. 1996) on Euclidean distances, via :class:`sklearn.cluster.DBSCAN`.

    Parameters
    ----------
    data
        A polars DataFrame.
    eps
        Neighbourhood radius (in the fitted space: standardised units when ``scale=True``).
    min_samples
        Rows within ``eps`` (the row itself included) that make a row a core row.
    columns
        Columns to cluster on; ``None`` = every numeric column.
    scale
        Standardise the columns first as R's ``scale()``.

    Returns
    -------
    DensityFit
        Labels 1..k by first appearance, 0 = noise.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"x": [0.0, 0.1, 0.2, 5.0, 5.1, 5.2, 20.0]})
    >>> dbscan(df, eps=0.5, min_samples=2).labels.tolist()
    [1, 1, 1, 2, 2, 2, 0]
    """
    from sklearn.cluster import DBSCAN

    eps = _check_eps(eps)
    min_samples = check_int(min_samples, "min_samples", minimum=1, hint="; it counts the row itself")
    mat = prepare_matrix(data, columns, scale, min_rows=1, method="dbscan")
    est = DBSCAN(eps=eps, min_samples=min_samples).fit(mat.X)
    core = np.zeros(mat.X.shape[0], bool)
    core[est.core_sample_indices_] = True
    probability = (est.labels_ >= 0).astype(np.float64)
    params = {"eps": eps, "min_samples": min_samples}
    return _density_fit(mat, est, core, probability, "dbscan", params)


def hdbscan(
    data: pl.DataFrame,
    *,
    min_cluster_size: int,
    min_samples: int | None = None,
    columns: Sequence[str] | None = None,
    scale: bool = False,
) -> DensityFit:
    """HDBSCAN (Campello et al. 2013) on Euclidean distances, via :class:`sklearn.cluster.HDBSCAN`.

    Parameters
    ----------
    data
        A polars DataFrame.
    min_cluster_size
        Smallest group (>= 2) that counts as a cluster rather than noise.
    min_samples
        Neighbourhood size for the core distances (the row itself included); ``None`` = ``min_cluster_size``.
    columns, scale
        As in :func:`dbscan`.

    Returns
    -------
    DensityFit
        Labels 1..k by first appearance, 0 = noise; ``probability`` is the membership strength.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"x": [0.0, 0.1, 0.2, 0.3, 5.0, 5.1, 5.2, 5.3, 20.0]})
    >>> hdbscan(df, min_cluster_size=3).labels.tolist()
    [1, 1, 1, 1, 2, 2, 2, 2, 0]
    """
    from sklearn.cluster import HDBSCAN

    hint = "; it is the smallest group that counts as a cluster"
    min_cluster_size = check_int(min_cluster_size, "min_cluster_size", minimum=2, hint=hint)
    if min_samples is not None:
        min_samples = check_int(min_samples, "min_samples", minimum=1, hint="; it counts the row itself")
    mat = prepare_matrix(data, columns, scale, min_rows=2, method="hdbscan")
    if min_cluster_size > mat.X.shape[0]:
        raise ParameterError(
            f"min_cluster_size: {min_cluster_size} is larger than the data ({mat.X.shape[0]} rows); "
            f"choose at most {mat.X.shape[0]}"
        )
    est = HDBSCAN(min_cluster_size=min_cluster_size, min_samples=min_samples, copy=True).fit(mat.X)
    probability = np.asarray(est.probabilities_, np.float64)
    params = {
        "min_cluster_size": min_cluster_size,
        "min_samples": min_cluster_size if min_samples is None else min_samples,
    }
    return _density_fit(mat, est, probability >= 1.0, probability, "hdbscan", params)

"""The k-grid for any method with a number of clusters: ``cluster_grid(data, k, method=...)``.

One row per k with the same quality columns whatever the method, so the elbow, the silhouette and
:func:`tidyclust.selection.suggest_k` read every grid alike:

* ``"kmeans"`` delegates to :func:`tidyclust.model.kmeans_grid` (its fast path, its seeds and its
  numbers, unchanged) and adds the ``method`` column.
* ``"hclust"`` builds the tree once and cuts it at each k (:meth:`~tidyclust.hclust.HclustFit.cut`);
  ``seconds`` of the first k includes building the tree. Extra column: ``height`` (of the cut).
* ``"gmm"`` fits a mixture per k on data validated once, each k with the seed
  :func:`tidyclust.model.grid_seed` ``(seed, k)`` as k-means does. Extra columns: ``bic``, ``aic``,
  ``log_likelihood``.
* ``"dbscan"``/``"hdbscan"`` have no k: choose ``eps`` with :func:`tidyclust.kdistance.kdistance_plot`.

The silhouette follows :func:`tidyclust.model.kmeans_grid`: exact up to 5,000 rows, a sampled
estimate beyond; Calinski–Harabasz and Davies–Bouldin use scikit-learn's definitions over the
clusters that hold rows (a mixture component that labels no row is not a cluster of the labelling).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from tidyclust._fit import Matrix, prepare_matrix, resolve_seed
from tidyclust._threads import threads_for
from tidyclust._validate import check_int
from tidyclust.errors import ParameterError
from tidyclust.methods import METHODS, Method

__all__ = ["GRID_METHODS", "ClusterGrid", "cluster_grid"]

#: Methods whose number of clusters is chosen by the user, so that a grid over k makes sense.
GRID_METHODS: tuple[str, ...] = ("kmeans", "hclust", "gmm")
#: Options each method takes in a grid besides data, k, columns, seed, scale and progress.
GRID_OPTIONS: dict[str, tuple[str, ...]] = {
    "kmeans": ("nstart", "algorithm", "max_iter", "weights", "sample_size"),
    "hclust": ("linkage",),
    "gmm": ("covariance", "nstart"),
}
#: Method-specific columns of the frame, placed before ``seconds``.
EXTRA_COLUMNS: dict[str, dict[str, pl.DataType]] = {
    "kmeans": {"iter": pl.Int32},
    "hclust": {"height": pl.Float64},
    "gmm": {"bic": pl.Float64, "aic": pl.Float64, "log_likelihood": pl.Float64},
}
COMMON_SCHEMA: dict[str, pl.DataType] = {
    "k": pl.Int32, "method": pl.String, "totss": pl.Float64, "tot_withinss": pl.Float64,
    "betweenss": pl.Float64, "silhouette": pl.Float64, "calinski_harabasz": pl.Float64,
    "davies_bouldin": pl.Float64,
}  # fmt: skip

Progress = Callable[[int, int, int], None]
EXACT_SILHOUETTE_MAX_ROWS = 5_000
SILHOUETTE_SAMPLE_BUDGET = 200_000_000


@dataclass(frozen=True, eq=False)
class ClusterGrid:
    """Fits of one method for a range of k, and their summary frame (see :func:`cluster_grid`)."""

    frame: pl.DataFrame
    fits: dict[int, Any]
    method: str
    columns: tuple[str, ...]
    k: tuple[int, ...]

    def fit(self, k: int) -> Any:
        """The fit for ``k``.

        Examples
        --------
        >>> import polars as pl
        >>> grid = cluster_grid(pl.DataFrame({"x": [0.0, 1.0, 10.0, 11.0]}), k=[1, 2], method="hclust")
        >>> grid.fit(2).labels.tolist()
        [1, 1, 2, 2]
        """
        if k not in self.fits:
            raise ParameterError(f"k: {k!r} is not in the grid; fitted k are {', '.join(map(str, self.k))}")
        return self.fits[k]


def _check_method(method: object) -> str:
    if method in ("dbscan", "hdbscan"):
        raise ParameterError(
            f"method: {method!r} has no number of clusters, so it has no k-grid; choose its eps "
            "(dbscan) or min_cluster_size (hdbscan) instead, e.g. with tidyclust.kdistance.kdistance_plot "
            "and suggest_eps"
        )
    if method not in GRID_METHODS:
        raise ParameterError(
            f"method: {method!r} is not a clustering method; choose one of {', '.join(map(repr, METHODS))}"
        )
    return str(method)


def _check_options(method: str, options: dict[str, Any]) -> None:
    accepted = GRID_OPTIONS[method]
    for name in options:
        if name not in accepted:
            raise ParameterError(
                f"{name}: not an option of cluster_grid(method={method!r}); its options are "
                f"columns, seed, scale, progress, {', '.join(accepted)}"
            )


def _check_ks(k: object) -> tuple[int, ...]:
    values = [k] if isinstance(k, (int, np.integer)) else list(k)  # type: ignore[call-overload]
    ks = tuple(check_int(v, "k", minimum=1, hint="; k is the number of clusters") for v in values)
    if not ks:
        raise ParameterError("k: the grid is empty; give at least one k, e.g. range(1, 11)")
    if len(set(ks)) != len(ks):
        raise ParameterError(f"k: the grid repeats a value ({', '.join(map(str, ks))}); give each k once")
    return ks


def _mean_silhouette(X: np.ndarray, labels: np.ndarray, seed: int) -> float:
    """Exact up to EXACT_SILHOUETTE_MAX_ROWS rows; beyond, silhouette_sample's unbiased estimate from
    2·10⁸ / n rows (200 to 1,000), the rule of :func:`tidyclust.model.kmeans_grid`."""
    from tidyclust.metrics import mean_silhouette, silhouette_sample  # lazy: metrics -> gap -> model

    n = X.shape[0]
    if n <= EXACT_SILHOUETTE_MAX_ROWS:
        return float(mean_silhouette(X, labels))
    m = int(min(1_000, max(200, SILHOUETTE_SAMPLE_BUDGET // n)))
    return float(silhouette_sample(X, labels=labels, sample_size=m, seed=seed)["estimate"].item())


def quality(X: np.ndarray, labels: np.ndarray, seed: int) -> dict[str, float | None]:
    """Mean silhouette, Calinski–Harabasz and Davies–Bouldin of ``labels`` (1-based, no noise) on ``X``.

    All three are null unless the labelling has between 2 and n - 1 non-empty clusters.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [10.0], [12.0]])
    >>> q = quality(X, np.array([1, 1, 2, 2]), seed=1)
    >>> round(q["silhouette"], 6), round(q["calinski_harabasz"], 4)
    (0.856163, 40.3333)
    """
    from tidyclust import _kmeans_kernels as kern

    used, lab0 = np.unique(labels, return_inverse=True)
    k = used.size
    if not 1 < k < X.shape[0]:
        return {"silhouette": None, "calinski_harabasz": None, "davies_bouldin": None}
    ch, db = kern.ch_db(X, lab0.astype(np.int32), k)
    return {
        "silhouette": _mean_silhouette(X, lab0.astype(np.int32) + 1, seed),
        "calinski_harabasz": float(ch),
        "davies_bouldin": float(db),
    }


def _row(fit: Any, X: np.ndarray, seed: int, seconds: float) -> dict[str, Any]:
    row = {
        "k": fit.k, "method": fit.method, "totss": fit.totss, "tot_withinss": fit.tot_withinss,
        "betweenss": fit.betweenss, **quality(X, fit.labels, seed),
    }  # fmt: skip
    for name in EXTRA_COLUMNS[fit.method]:
        row[name] = getattr(fit, name)
    row["seconds"] = seconds
    return row


def _frame(rows: list[dict[str, Any]], method: str) -> pl.DataFrame:
    schema = {**COMMON_SCHEMA, **EXTRA_COLUMNS[method], "seconds": pl.Float64}
    return pl.DataFrame(rows, schema=schema)


def _kmeans(data, ks, columns, seed, scale, progress, options) -> ClusterGrid:
    from tidyclust.model import kmeans_grid

    grid = kmeans_grid(data, ks, columns=columns, seed=seed, scale=scale, progress=progress, **options)
    frame = grid.frame.with_columns(pl.lit("kmeans").alias("method"))
    # the common columns first, then kmeans_grid's own (iter, ...) in its order, seconds last
    rest = [c for c in frame.columns if c not in COMMON_SCHEMA and c != "seconds"]
    order = [*COMMON_SCHEMA, *rest, "seconds"]
    return ClusterGrid(frame.select(order), dict(grid.fits), "kmeans", grid.columns, grid.k)


def _hclust(data, ks, columns, scale, progress, linkage) -> ClusterGrid:
    from tidyclust.hclust import hclust

    t0 = time.perf_counter()
    # the tree is built (and the data validated) once; every other k is a cut of it
    tree = hclust(data, min(ks), columns=columns, scale=scale, linkage=linkage)
    X = tree._matrix
    if max(ks) > X.shape[0]:
        raise ParameterError(
            f"k: {max(ks)} clusters asked for but the data has {X.shape[0]} rows; choose k <= {X.shape[0]}"
        )
    fits, rows = {}, []
    for done, k in enumerate(ks, start=1):
        fit = tree if k == tree.k else tree.cut(k)
        fits[k] = fit
        rows.append(_row(fit, X, k, time.perf_counter() - t0))
        if progress is not None:
            progress(done, len(ks), k)
        t0 = time.perf_counter()
    return ClusterGrid(_frame(rows, "hclust"), fits, "hclust", tree.columns, ks)


def _gmm(mat: Matrix, ks, seed, progress, covariance, nstart) -> ClusterGrid:
    from tidyclust import mixture
    from tidyclust.model import grid_seed

    covariance = mixture._check_covariance(covariance)
    nstart = check_int(nstart, "nstart", minimum=1, hint="; nstart is the number of EM starts")
    for k in ks:
        mixture._check_k(k, mat.X)
    fits, rows = {}, []
    for done, k in enumerate(ks, start=1):
        t0 = time.perf_counter()
        kseed = grid_seed(seed, k)
        with threads_for(mat.X.shape[0]):
            fit = mixture._fit_mixture(mat, k, covariance, nstart, kseed)
        seconds = time.perf_counter() - t0
        fits[k] = fit
        rows.append(_row(fit, mat.X, kseed, seconds))
        if progress is not None:
            progress(done, len(ks), k)
    return ClusterGrid(_frame(rows, "gmm"), fits, "gmm", mat.columns, ks)


def cluster_grid(
    data: pl.DataFrame,
    k: Iterable[int] | int = range(1, 11),
    *,
    method: Method = "kmeans",
    columns: Sequence[str] | None = None,
    seed: int | None = None,
    scale: bool = False,
    progress: Progress | None = None,
    **options: Any,
) -> ClusterGrid:
    """Fit ``method`` for every ``k`` on data validated once: the elbow / silhouette grid of any method.

    Parameters
    ----------
    data
        A polars DataFrame.
    k
        The numbers of clusters (each at least 1, at most the rows; each once).
    method
        ``"kmeans"``, ``"hclust"`` or ``"gmm"``. ``"dbscan"``/``"hdbscan"`` have no k and are an error.
    columns, seed, scale
        As for the method's function (``seed`` is ignored by hclust, which has no random starts).
    progress
        ``progress(done, total, k)``, called after each k.
    **options
        The method's own options: kmeans ``nstart``, ``algorithm``, ``max_iter``, ``weights``,
        ``sample_size``; hclust ``linkage``; gmm ``covariance``, ``nstart``.

    Returns
    -------
    ClusterGrid
        ``.frame``: one row per k with k, method, totss, tot_withinss, betweenss, silhouette,
        calinski_harabasz, davies_bouldin (null for k = 1), the method's own columns (kmeans ``iter``,
        hclust ``height``, gmm ``bic``, ``aic``, ``log_likelihood``) and seconds. ``.fit(k)``,
        ``.fits``, ``.method``, ``.columns``, ``.k``.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"x": [0.0, 1.0, 10.0, 11.0, 20.0, 21.0]})
    >>> cluster_grid(df, k=[1, 2, 3], method="hclust").frame["tot_withinss"].to_list()
    [401.5, 101.5, 1.5]
    """
    method = _check_method(method)
    _check_options(method, options)
    if progress is not None and not callable(progress):
        raise ParameterError(f"progress: expected a callable progress(done, total, k), got {progress!r}")
    if method == "kmeans":
        return _kmeans(data, k, columns, seed, scale, progress, options)
    ks = _check_ks(k)
    if method == "hclust":
        return _hclust(data, ks, columns, scale, progress, options.get("linkage", "ward.D2"))
    mat = prepare_matrix(data, columns, scale, min_rows=2, method=method)
    return _gmm(mat, ks, resolve_seed(seed), progress, options.get("covariance", "full"),
                options.get("nstart", 25))  # fmt: skip

"""Clustering methods side by side on the same data: ``compare_methods(data, methods=...)``.

The lesson's assignment ("try a different clustering method than k-means") as one frame: every
method fitted on the same columns and rows, with the clusters it found, its noise, its mean
silhouette and how well it recovers the known labels (the genres).

Defaults, chosen for the lesson's data and documented here because they decide the density results:

* ``k`` (default 3, the lesson's) for kmeans, hclust and gmm.
* dbscan: ``min_samples = max(5, 2·p)`` for ``p`` columns (the 2·dimensions rule of thumb, Sander et
  al. 1998; Schubert et al. 2017), and ``eps`` = the knee of the k-distance curve with
  ``k = min_samples`` (:func:`tidyclust.kdistance.suggest_eps`), measured in the fitted space; if the
  curve has no knee, its 90th percentile.
* hdbscan: ``min_cluster_size = max(5, n // 20)`` (a twentieth of the rows).

A method that finds no cluster (every row noise) is a result, not an error: ``k = 0`` and the
quality columns are null.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from tidyclust._threads import threads_for
from tidyclust._validate import check_columns, check_int, numeric_matrix
from tidyclust.agreement import agreement
from tidyclust.errors import ParameterError
from tidyclust.methods import METHODS, cluster

__all__ = ["COMPARE_SCHEMA", "compare_methods", "density_defaults"]

COMPARE_SCHEMA: dict[str, pl.DataType] = {
    "method": pl.String, "settings": pl.String, "k": pl.Int32, "n_noise": pl.Int32,
    "silhouette": pl.Float64, "matched_accuracy": pl.Float64, "ari": pl.Float64, "nmi": pl.Float64,
    "sizes": pl.String, "seconds": pl.Float64,
}  # fmt: skip
#: The default truth column, when the data has it: the lesson's genres.
GENRE = "artist_top_genre"


def _check_methods(methods: object) -> tuple[str, ...]:
    values = [methods] if isinstance(methods, str) else list(methods)  # type: ignore[call-overload]
    if not values:
        raise ParameterError(f"methods: none given; choose from {', '.join(map(repr, METHODS))}")
    for m in values:
        if m not in METHODS:
            raise ParameterError(
                f"methods: {m!r} is not a clustering method; choose from {', '.join(map(repr, METHODS))}"
            )
    return tuple(dict.fromkeys(values))


def _check_choices(linkage: object, covariance: object) -> None:
    """Check the string options up front, before any method runs."""
    from tidyclust.hclust import _check_linkage
    from tidyclust.mixture import _check_covariance

    _check_linkage(linkage)
    _check_covariance(covariance)


def density_defaults(
    data: pl.DataFrame,
    columns: Sequence[str],
    *,
    scale: bool = False,
    eps: float | None = None,
    min_samples: int | None = None,
    min_cluster_size: int | None = None,
) -> dict[str, Any]:
    """The dbscan/hdbscan options :func:`compare_methods` and the report use when not given.

    Returns ``{"eps", "min_samples", "min_cluster_size", "eps_rule"}`` (``eps_rule`` says where eps
    came from: ``"given"``, ``"knee"`` or ``"90th percentile"``).

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"x": [float(v) for v in range(40)], "y": [0.0] * 40})
    >>> d = density_defaults(df, ["x", "y"])
    >>> d["min_samples"], d["min_cluster_size"]
    (5, 5)
    """
    from tidyclust.kdistance import kdistances, suggest_eps

    n, p = data.height, len(columns)
    if min_samples is None:
        min_samples = min(max(5, 2 * p), max(n, 2))
    min_samples = check_int(min_samples, "min_samples", minimum=1, hint="; it counts the row itself")
    if min_cluster_size is None:
        min_cluster_size = min(max(5, n // 20), max(n, 2))
    rule = "given"
    if eps is None:
        curve = kdistances(data, k=max(min_samples, 2), columns=columns, scale=scale)
        eps, rule = suggest_eps(curve), "knee"
        if eps is None or not eps > 0:
            eps, rule = float(np.quantile(curve["kdistance"].to_numpy(), 0.9)), "90th percentile"
    return {"eps": eps, "min_samples": min_samples, "min_cluster_size": min_cluster_size, "eps_rule": rule}


def _options(method: str, k: int, seed: int | None, nstart: int, settings: dict[str, Any]) -> dict[str, Any]:
    if method == "kmeans":
        return {"k": k, "seed": seed, "nstart": nstart}
    if method == "hclust":
        return {"k": k, "linkage": settings["linkage"]}
    if method == "gmm":
        return {"k": k, "seed": seed, "nstart": nstart, "covariance": settings["covariance"]}
    if method == "dbscan":
        return {"eps": settings["eps"], "min_samples": settings["min_samples"]}
    return {"min_cluster_size": settings["min_cluster_size"]}


def _describe(method: str, options: dict[str, Any], eps_rule: str) -> str:
    shown = {name: value for name, value in options.items() if name not in ("k", "seed")}
    text = ", ".join(f"{name}={value:.3g}" if isinstance(value, float) else f"{name}={value}"
                     for name, value in shown.items())  # fmt: skip
    return text + (f" ({eps_rule})" if method == "dbscan" and eps_rule != "given" else "")


def _row(
    method: str, fit: Any, X: np.ndarray, truth: pl.Series | None, seconds: float, settings: str
) -> dict[str, Any]:
    from tidyclust.grid import quality

    labels = np.asarray(fit.labels)
    clustered = labels > 0
    sizes = np.bincount(labels, minlength=fit.k + 1)[1:]
    sil = quality(X[clustered], labels[clustered], seed=0)["silhouette"] if clustered.any() else None
    agree = agreement(labels, truth) if truth is not None else None
    return {
        "method": method,
        "settings": settings,
        "k": int(fit.k),
        "n_noise": int((~clustered).sum()),
        "silhouette": sil,
        "matched_accuracy": agree.best_accuracy if agree else None,
        "ari": agree.ari if agree else None,
        "nmi": agree.nmi if agree else None,
        "sizes": "/".join(str(int(s)) for s in sizes),
        "seconds": seconds,
    }


def compare_methods(
    data: pl.DataFrame,
    *,
    methods: Sequence[str] = METHODS,
    k: int = 3,
    columns: Sequence[str] | None = None,
    seed: int | None = None,
    scale: bool = False,
    truth: str | None = GENRE,
    nstart: int = 25,
    linkage: str = "ward.D2",
    covariance: str = "full",
    eps: float | None = None,
    min_samples: int | None = None,
    min_cluster_size: int | None = None,
) -> pl.DataFrame:
    """Fit each method on the same data and put the results side by side.

    Parameters
    ----------
    data
        A polars DataFrame.
    methods
        Any of ``"kmeans"``, ``"hclust"``, ``"dbscan"``, ``"hdbscan"``, ``"gmm"`` (default: all,
        in that order).
    k
        Clusters for kmeans, hclust and gmm (the density methods find their own number).
    columns, seed, scale
        As for every method; ``seed`` is used by kmeans and gmm.
    truth
        Column of known labels to measure agreement against (default the genre, when the data has
        it; ``None`` = no agreement columns).
    nstart, linkage, covariance
        kmeans/gmm starts, hclust linkage, gmm covariance type.
    eps, min_samples, min_cluster_size
        dbscan/hdbscan options; ``None`` = the defaults of :func:`density_defaults` (module notes).

    Returns
    -------
    polars.DataFrame
        One row per method: method, settings (the options that decide it), k (clusters found, noise
        excluded), n_noise, silhouette (mean width over the non-noise rows; null below 2 clusters),
        matched_accuracy (best one-to-one matching of clusters to ``truth``, noise counted wrong),
        ari, nmi, sizes (``"65/110/111"``, clusters in order) and seconds.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"x": [0.0, 0.1, 0.2, 0.3, 0.4, 9.0, 9.1, 9.2, 9.3, 9.4]})
    >>> compare_methods(df, methods=["kmeans", "hclust"], k=2, seed=1, truth=None)["sizes"].to_list()
    ['5/5', '5/5']
    """
    methods = _check_methods(methods)
    _check_choices(linkage, covariance)
    X, cols = numeric_matrix(data, columns)  # validated once; each method sees the same rows
    k = check_int(k, "k", minimum=1, hint="; k is the number of clusters")
    labels = None
    if truth is not None:
        labels = data.get_column(check_columns(data, [truth], "truth")[0])
    settings = {"linkage": linkage, "covariance": covariance, "eps_rule": "given"}
    if {"dbscan", "hdbscan"} & set(methods):
        settings |= density_defaults(data, cols, scale=scale, eps=eps, min_samples=min_samples,
                                     min_cluster_size=min_cluster_size)  # fmt: skip
    rows = []
    for method in methods:
        options = _options(method, k, seed, nstart, settings)
        t0 = time.perf_counter()
        with threads_for(X.shape[0]), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # every row noise: reported as k = 0 below
            fit = cluster(data, method, columns=cols, scale=scale, **options)
        seconds = time.perf_counter() - t0
        Xm = fit.model_matrix(data) if scale else X
        rows.append(_row(method, fit, Xm, labels, seconds, _describe(method, options, settings["eps_rule"])))
    return pl.DataFrame(rows, schema=COMPARE_SCHEMA)

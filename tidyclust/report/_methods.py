"""The report for the methods other than k-means, and the "Methods compared" table of every report.

* hclust, gmm: the k-grid is :func:`tidyclust.cluster_grid` (one tree cut per k; one mixture per k),
  the rules of :func:`tidyclust.suggest_k` pick k (gmm adds the smallest BIC), and the final fit is the
  grid's fit at that k. Extras: the dendrogram (hclust), the membership probabilities (gmm).
* dbscan, hdbscan: no k. The k-distance curve (``k = min_samples``) and the chosen ``eps`` take the
  place of the k-grid; the noise is counted and shown as its own group (cluster 0).

The challenge (the other scaling) runs the same method; for dbscan an ``eps`` given by the user
applies to the main scaling only, the other side takes the knee of its own k-distance curve.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import polars as pl

from tidyclust import metrics, tidy
from tidyclust._threads import threads_for
from tidyclust.compare import _check_choices, compare_methods, density_defaults
from tidyclust.errors import ParameterError
from tidyclust.grid import GRID_METHODS, cluster_grid
from tidyclust.methods import METHODS, cluster
from tidyclust.report._compute import (
    LARGE_ROWS,
    Analysis,
    ReportOptions,
    _consensus,
    _sample_rows,
    _silhouette,
)
from tidyclust.report._progress import ProgressBar

__all__ = ["check_method_options", "method_analyses", "methods_compared", "probability_summary"]

#: "Methods compared" runs on at most this many rows (hclust keeps an n x n distance matrix).
COMPARE_MAX_ROWS = 5_000
LESSON_K = 3
#: A gmm row is "uncertain" when its most probable component has less than this probability.
CERTAIN = 0.9


def check_method_options(
    method: object,
    k: int | None,
    linkage: object,
    covariance: object,
    eps: object,
    min_samples: object,
    min_cluster_size: object,
) -> dict[str, Any]:
    """The method and its options, checked before any data is read (a ``replace`` of ReportOptions)."""
    if method not in METHODS:
        raise ParameterError(
            f"method: {method!r} is not a clustering method; choose one of {', '.join(map(repr, METHODS))}"
        )
    _check_choices(linkage, covariance)
    if k is not None and method in ("dbscan", "hdbscan"):
        raise ParameterError(
            f"k: {method} finds its own number of clusters, so k cannot be given; leave it out "
            "(dbscan: set eps and min_samples instead)"
        )
    if eps is not None and not (isinstance(eps, (int, float)) and np.isfinite(eps) and eps > 0):
        raise ParameterError(f"eps: must be a finite distance > 0, got {eps!r}; or leave it out for the knee")
    for name, value, low in (("min_samples", min_samples, 1), ("min_cluster_size", min_cluster_size, 2)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < low):
            raise ParameterError(f"{name}: must be an integer >= {low}, got {value!r}")
    return {
        "method": method, "linkage": linkage, "covariance": covariance, "eps": eps,
        "min_samples": min_samples, "min_cluster_size": min_cluster_size,
    }  # fmt: skip


def probability_summary(fit: Any) -> pl.DataFrame:
    """Per gmm component: size, weight, mean and smallest top probability of its rows, uncertain rows.

    Examples
    --------
    >>> import polars as pl
    >>> from tidyclust.mixture import gaussian_mixture
    >>> fit = gaussian_mixture(pl.DataFrame({"x": [0.0, 0.2, 0.4, 10.0, 10.2, 10.4]}), 2, seed=1)
    >>> probability_summary(fit)["n_uncertain"].to_list()
    [0, 0]
    """
    top = fit.probabilities.max(axis=1)
    frame = pl.DataFrame({"cluster": pl.Series(fit.labels, dtype=pl.Int32), "top": top})
    per = frame.group_by("cluster").agg(
        pl.col("top").mean().alias("mean_probability"),
        pl.col("top").min().alias("min_probability"),
        (pl.col("top") < CERTAIN).sum().cast(pl.Int64).alias("n_uncertain"),
    )
    return fit.tidy().select("cluster", "size", "weight").join(per, on="cluster", how="left").sort("cluster")


def _silhouette_or_note(fit: Any, data: pl.DataFrame, seed: int) -> tuple:
    """The silhouette as the k-means report computes it, or a note when it is undefined."""
    labels = np.asarray(fit.labels)
    clusters = np.unique(labels[labels > 0]).size
    if clusters < 2 or (labels > 0).sum() <= clusters:
        return None, None, float("nan"), f"undefined: {clusters} cluster(s) besides the noise"
    sil, summary, mean, note = _silhouette(fit, data, seed)
    if fit.method in ("dbscan", "hdbscan"):
        note += f", {int((labels == 0).sum())} noise rows left out"
    return sil, summary, mean, note


def _grid_analysis(data: pl.DataFrame, opts: ReportOptions, scale: bool, k: int | None, progress: bool,
                   rows_note: str) -> Analysis:  # fmt: skip
    options = {"linkage": opts.linkage} if opts.method == "hclust" else {
        "covariance": opts.covariance, "nstart": opts.nstart}  # fmt: skip
    label = f"{opts.method} grid ({'scaled' if scale else 'unscaled'})"
    bar = ProgressBar(label) if progress else None
    with threads_for(data.height):
        grid = cluster_grid(
            data, range(1, opts.kmax + 1), method=opts.method, columns=list(opts.columns), seed=opts.seed,
            scale=scale, progress=bar, **options,
        )  # fmt: skip
        suggestions = metrics.suggest_k(grid)
        suggested = _consensus(suggestions)
        fit = grid.fit(k or suggested)
        sil, summary, mean, note = _silhouette_or_note(fit, data, opts.seed)
    extras = {"probabilities": probability_summary(fit)} if opts.method == "gmm" else {}
    agree = metrics.agreement(fit, data[tidy.LABEL])
    return Analysis(
        scale, data, rows_note, grid, suggestions, suggested, fit, sil, summary, mean, note, agree, extras
    )


def _density_analysis(data: pl.DataFrame, opts: ReportOptions, scale: bool, rows_note: str) -> Analysis:
    from tidyclust.kdistance import kdistances

    columns = list(opts.columns)
    given_eps = opts.eps if scale == opts.scale else None
    chosen = density_defaults(data, columns, scale=scale, eps=given_eps, min_samples=opts.min_samples,
                              min_cluster_size=opts.min_cluster_size)  # fmt: skip
    if opts.method == "dbscan":
        options = {"eps": chosen["eps"], "min_samples": chosen["min_samples"]}
    else:
        options = {"min_cluster_size": chosen["min_cluster_size"]}
        if opts.min_samples is not None:
            options["min_samples"] = opts.min_samples
    with threads_for(data.height), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # every row noise: shown as k = 0 in the report
        fit = cluster(data, opts.method, columns=columns, scale=scale, **options)
    sil, summary, mean, note = _silhouette_or_note(fit, data, opts.seed)
    curve = kdistances(data, k=max(chosen["min_samples"], 2), columns=columns, scale=scale)
    extras = {"kdistance": curve, "settings": chosen, "options": options}
    agree = metrics.agreement(fit, data[tidy.LABEL])
    return Analysis(scale, data, rows_note, None, None, fit.k, fit, sil, summary, mean, note, agree, extras)


def method_analyses(
    data: pl.DataFrame, opts: ReportOptions, progress: bool, timings: dict[str, float]
) -> tuple[Analysis, Analysis]:
    """The main analysis and the challenge's (the other scaling) for ``opts.method``; times recorded."""
    import time

    def run(rows: pl.DataFrame, scale: bool, k: int | None, note: str) -> Analysis:
        if opts.method in GRID_METHODS:
            return _grid_analysis(rows, opts, scale, k, progress, note)
        return _density_analysis(rows, opts, scale, note)

    t = time.perf_counter()
    main = run(data, opts.scale, opts.k, "")
    timings["main analysis"] = time.perf_counter() - t
    t = time.perf_counter()
    rows, rows_note = _sample_rows(data, LARGE_ROWS, opts.seed)
    other = run(rows, not opts.scale, main.fit.k if opts.method in GRID_METHODS else None, rows_note)
    timings["challenge (other scaling)"] = time.perf_counter() - t
    return main, other


def methods_compared(data: pl.DataFrame, opts: ReportOptions, k: int) -> pl.DataFrame:
    """:func:`tidyclust.compare_methods` on the report's rows (a seeded sample beyond 5,000), at the
    report's ``k`` (for a density report, whose k is found, at the lesson's 3)."""
    rows, _ = _sample_rows(data, COMPARE_MAX_ROWS, opts.seed)
    k = k if opts.method in ("kmeans", *GRID_METHODS) else LESSON_K
    return compare_methods(
        rows, k=k, columns=list(opts.columns), seed=opts.seed, scale=opts.scale, nstart=opts.nstart,
        linkage=opts.linkage, covariance=opts.covariance, eps=opts.eps, min_samples=opts.min_samples,
        min_cluster_size=opts.min_cluster_size,
    )  # fmt: skip

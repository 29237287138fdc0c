"""Figures for choosing k: the elbow, the mean silhouette and the gap statistic against k."""

from __future__ import annotations

import numpy as np
import polars as pl
from plotnine import (
    aes,
    annotate,
    geom_errorbar,
    geom_line,
    geom_point,
    geom_vline,
    ggplot,
    labs,
    scale_x_continuous,
)

from tidyclust._validate import check_int
from tidyclust.errors import ParameterError
from tidyclust.plots._common import as_frame, theme_tidyclust

__all__ = ["elbow_plot", "gap_plot", "silhouette_k_plot"]

LINE_COLOUR = "steelblue"  # factoextra's default linecolor
MARK_COLOUR = "#C0392B"


def elbow_plot(grid_or_frame: object, *, suggested_k: int | None = None) -> ggplot:
    """Total within-cluster sum of squares against k (the elbow method).

    Parameters
    ----------
    grid_or_frame : KMeansGrid or polars.DataFrame
        A ``kmeans_grid`` result or a frame with columns ``k`` and ``tot_withinss``.
    suggested_k : int, optional
        Marked with a dashed vertical line and a label (e.g. ``tidyclust.suggest_k(grid)``);
        ``None`` marks nothing.

    Returns
    -------
    plotnine.ggplot

    Examples
    --------
    >>> import polars as pl
    >>> grid = pl.DataFrame({"k": [1, 2, 3, 4], "tot_withinss": [100.0, 40.0, 25.0, 22.0]})
    >>> p = elbow_plot(grid, suggested_k=3)
    """
    frame = _by_k(as_frame(grid_or_frame, "grid_or_frame", ["k", "tot_withinss"]), "tot_withinss")
    plot = _line_plot(frame, "tot_withinss") + labs(
        title="Elbow method", x="Number of clusters k", y="Total within-cluster sum of squares"
    )
    if suggested_k is not None:
        plot += _mark_k(frame, "tot_withinss", suggested_k, "suggested_k", f"suggested k = {suggested_k}")
    return plot


def silhouette_k_plot(grid_or_frame: object) -> ggplot:
    """Average silhouette width against k (k >= 2), the best (largest) marked.

    Parameters
    ----------
    grid_or_frame : KMeansGrid or polars.DataFrame
        A ``kmeans_grid`` result or a frame with columns ``k`` and ``silhouette``. Rows with
        k < 2 or a missing silhouette are left out (the silhouette is undefined for one cluster).

    Returns
    -------
    plotnine.ggplot

    Examples
    --------
    >>> import polars as pl
    >>> grid = pl.DataFrame({"k": [1, 2, 3], "silhouette": [None, 0.41, 0.52]})
    >>> p = silhouette_k_plot(grid)
    """
    frame = as_frame(grid_or_frame, "grid_or_frame", ["k", "silhouette"])
    sil = pl.col("silhouette").cast(pl.Float64)
    frame = frame.filter((pl.col("k") >= 2) & sil.is_not_null() & sil.is_not_nan())
    if frame.height == 0:
        raise ParameterError("grid_or_frame: no row with k >= 2 and a silhouette; fit a grid over k >= 2")
    frame = _by_k(frame, "silhouette")
    best = int(frame["k"][int(np.argmax(frame["silhouette"].to_numpy()))])
    return (
        _line_plot(frame, "silhouette")
        + _mark_k(frame, "silhouette", best, "best k", f"best k = {best}")
        + labs(title="Silhouette method", x="Number of clusters k", y="Average silhouette width")
    )


def gap_plot(gap_frame: pl.DataFrame, *, k_best: int | None = None) -> ggplot:
    """Gap statistic against k with +/- one ``SE_sim`` error bars, as ``factoextra::fviz_gap_stat``.

    Parameters
    ----------
    gap_frame : polars.DataFrame
        Columns ``k``, ``gap`` and ``SE_sim`` (``tidyclust.gap_statistic``).
    k_best : int, optional
        The k to mark. ``None`` uses ``fviz_gap_stat``'s default, ``cluster::maxSE(method =
        "firstmax")``: the first k whose gap is not exceeded by the next one.

    Returns
    -------
    plotnine.ggplot

    Examples
    --------
    >>> import polars as pl
    >>> gap = pl.DataFrame({"k": [1, 2, 3], "gap": [0.2, 0.5, 0.4], "SE_sim": [0.02, 0.03, 0.03]})
    >>> p = gap_plot(gap)
    """
    frame = _by_k(as_frame(gap_frame, "gap_frame", ["k", "gap", "SE_sim"]), "gap")
    frame = frame.with_columns(ymin=pl.col("gap") - pl.col("SE_sim"), ymax=pl.col("gap") + pl.col("SE_sim"))
    if k_best is None:
        k_best = _first_max(frame)
    return (
        _line_plot(frame, "gap")
        + geom_errorbar(aes(ymin="ymin", ymax="ymax"), width=0.2, color=LINE_COLOUR)
        + _mark_k(frame, "ymax", k_best, "k_best", f"k = {k_best}")
        + labs(title="Optimal number of clusters", x="Number of clusters k", y="Gap statistic (k)")
    )


def _by_k(frame: pl.DataFrame, value: str) -> pl.DataFrame:
    """The (k, value, ...) rows sorted by k; k must be unique."""
    frame = frame.sort("k")
    if frame["k"].n_unique() != frame.height:
        raise ParameterError("grid_or_frame: k values repeat; pass one row per k")
    return frame.with_columns(pl.col(value).cast(pl.Float64))


def _line_plot(frame: pl.DataFrame, value: str) -> ggplot:
    ks = frame["k"].to_list()
    return (
        ggplot(frame.to_pandas(), aes(x="k", y=value))
        + geom_line(color=LINE_COLOUR, size=1)
        + geom_point(color=LINE_COLOUR, size=2.5)
        + scale_x_continuous(breaks=ks)
        + theme_tidyclust()
    )


def _mark_k(frame: pl.DataFrame, value: str, k: int, arg: str, text: str) -> list:
    """A dashed vertical line at ``k`` and its label on a white box just above the highest point."""
    k = check_int(k, arg, minimum=1)
    if k not in frame["k"].to_list():
        raise ParameterError(f"{arg}: {k} is not one of the k in the frame ({frame['k'].to_list()})")
    low, high = float(frame[value].min()), float(frame[value].max())
    top = high + 0.08 * ((high - low) or 1.0)
    ks = frame["k"].to_list()
    # A label centred on the first or last k would hang off the panel and be clipped: anchor it on
    # the line and let it extend inwards.
    ha = "left" if k == min(ks) and len(ks) > 1 else "right" if k == max(ks) and len(ks) > 1 else "center"
    return [
        geom_vline(xintercept=k, linetype="dashed", color=MARK_COLOUR),
        annotate(
            "label",
            x=k,
            y=top,
            label=text,
            color=MARK_COLOUR,
            size=10,
            fill="white",
            label_size=0,
            boxstyle="round",
            label_padding=0.3,
            ha=ha,
        ),
    ]


def _first_max(frame: pl.DataFrame) -> int:
    """cluster::maxSE(method = "firstmax"): the first k with gap[k] >= gap[k + 1], else the last k."""
    gap = frame["gap"].to_numpy()
    decreasing = np.diff(gap) <= 0
    index = int(np.argmax(decreasing)) if decreasing.any() else len(gap) - 1
    return int(frame["k"][index])

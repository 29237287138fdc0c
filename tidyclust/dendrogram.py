"""The dendrogram of an :class:`~tidyclust.hclust.HclustFit` as a plotnine figure, with its cut.

Coordinates come from :func:`scipy.cluster.hierarchy.dendrogram` (``no_plot=True``) on the fit's
tree (:meth:`~tidyclust.hclust.HclustFit.linkage_matrix`): leaf ``i`` of the drawing sits at
x = 5 + 10 i. A link is coloured by cluster when every leaf under it is in that cluster, grey
otherwise (it joins clusters, i.e. lies above the cut); the cut height is a dashed line.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from plotnine import (
    aes,
    element_blank,
    element_text,
    geom_hline,
    geom_point,
    geom_segment,
    ggplot,
    labs,
    scale_color_manual,
    scale_x_continuous,
    theme,
)
from scipy.cluster.hierarchy import dendrogram

from tidyclust.errors import ParameterError
from tidyclust.hclust import HclustFit
from tidyclust.plots._common import TABLEAU10, repeat_palette, theme_tidyclust

__all__ = ["dendrogram_data", "dendrogram_plot"]

ABOVE_CUT = "above cut"
ABOVE_CUT_COLOUR = "#999999"
CUT_COLOUR = "#C0392B"
MAX_LEAF_LABELS = 60  # more leaves than this are drawn without tick labels


def dendrogram_data(fit: HclustFit) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The segments and leaves the figure draws.

    Returns
    -------
    segments : pandas.DataFrame
        ``x``, ``xend``, ``y``, ``yend``, ``cluster`` (cluster number as text, or ``"above cut"``).
    leaves : pandas.DataFrame
        ``x``, ``row`` (1-based row of the data), ``cluster`` (text), in drawing order.

    Examples
    --------
    >>> import polars as pl
    >>> from tidyclust.hclust import hclust
    >>> segments, leaves = dendrogram_data(hclust(pl.DataFrame({"x": [0.0, 1.0, 10.0]}), 2))
    >>> leaves["row"].tolist(), leaves["cluster"].tolist()
    ([3, 1, 2], ['2', '1', '1'])
    """
    if not isinstance(fit, HclustFit):
        raise ParameterError(f"fit: expected an HclustFit (from hclust()), got {type(fit).__name__}")
    tree = dendrogram(fit.linkage_matrix(), no_plot=True)
    order = np.asarray(tree["leaves"])
    leaf_cluster = fit.labels[order]
    rows = []
    for xs, ys in zip(tree["icoord"], tree["dcoord"], strict=True):
        first, last = (round((x - 5) / 10) for x in (min(xs), max(xs)))
        under = np.unique(leaf_cluster[first : last + 1])
        colour = str(under[0]) if under.size == 1 else ABOVE_CUT
        # a link is drawn left leg up, across, right leg down: three segments
        rows.extend((xs[i], xs[i + 1], float(ys[i]), float(ys[i + 1]), colour) for i in range(3))
    segments = pd.DataFrame(rows, columns=["x", "xend", "y", "yend", "cluster"])
    leaves = pd.DataFrame(
        {"x": 5.0 + 10.0 * np.arange(order.size), "row": order + 1, "cluster": leaf_cluster.astype(str)}
    )
    return segments, leaves


def dendrogram_plot(fit: HclustFit, *, leaf_labels: Sequence[str] | None = None) -> ggplot:
    """The tree with its cut: links and leaves coloured by cluster, the cut height dashed.

    Parameters
    ----------
    fit : HclustFit
        From :func:`tidyclust.hclust.hclust`.
    leaf_labels : sequence of str, optional
        One label per row of the data (e.g. ``data["artist"]``); default the 1-based row numbers.
        Leaves are labelled only when there are at most 60.

    Returns
    -------
    plotnine.ggplot

    Examples
    --------
    >>> import polars as pl
    >>> from tidyclust.hclust import hclust
    >>> p = dendrogram_plot(hclust(pl.DataFrame({"x": [0.0, 1.0, 10.0, 11.0]}), 2))
    """
    segments, leaves = dendrogram_data(fit)
    n = leaves.shape[0]
    if leaf_labels is not None:
        leaf_labels = [str(v) for v in leaf_labels]
        if len(leaf_labels) != n:
            raise ParameterError(f"leaf_labels: has {len(leaf_labels)} values but the tree has {n} leaves")
    names = leaf_labels if leaf_labels is not None else [str(r) for r in range(1, n + 1)]
    levels = [str(c) for c in range(1, fit.k + 1)]
    colours = dict(zip(levels, repeat_palette(TABLEAU10, fit.k), strict=True))
    colours[ABOVE_CUT] = ABOVE_CUT_COLOUR
    breaks = leaves["x"].tolist() if n <= MAX_LEAF_LABELS else []
    labels = [names[r - 1] for r in leaves["row"]] if n <= MAX_LEAF_LABELS else []
    cut = f"cut at height {fit.height:.4g}" if fit.height is not None else "cut by k"
    plot = (
        ggplot()
        + geom_segment(aes("x", "y", xend="xend", yend="yend", color="cluster"), data=segments)
        + geom_point(aes("x", 0.0, color="cluster"), data=leaves, size=1.5)
        + scale_color_manual(values=colours, limits=[*levels, ABOVE_CUT], name="cluster")
        + scale_x_continuous(breaks=breaks, labels=labels, expand=(0.01, 0.01))
        + labs(
            title=f"Dendrogram ({fit.linkage} linkage)",
            subtitle=f"k = {fit.k} clusters, {cut}",
            x="",
            y="Height",
        )
        + theme_tidyclust()
        + theme(axis_text_x=element_text(rotation=90, size=7), panel_grid_major_x=element_blank())
    )
    if fit.height is not None:
        plot += geom_hline(yintercept=fit.height, linetype="dashed", color=CUT_COLOUR)
    return plot

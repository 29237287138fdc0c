"""The per-row silhouette plot, as ``factoextra::fviz_silhouette``."""

from __future__ import annotations

import numpy as np
import polars as pl
from plotnine import (
    aes,
    element_blank,
    element_text,
    geom_col,
    geom_hline,
    ggplot,
    labs,
    scale_y_continuous,
    theme,
)

from tidyclust._validate import check_int
from tidyclust.errors import DataValueError
from tidyclust.plots._common import as_frame, cluster_factor, cluster_scales, theme_tidyclust

__all__ = ["silhouette_plot"]


def silhouette_plot(sil_frame: pl.DataFrame, *, max_bars: int = 5000) -> ggplot:
    """One bar per row: its silhouette width, sorted within cluster, clusters one after another.

    Mirrors ``factoextra::fviz_silhouette``: rows ordered by cluster then by decreasing width, bars
    filled and outlined by cluster, a dashed red line at the mean width, which the title also gives,
    and the y axis capped at 1.

    With more than ``max_bars`` rows, each cluster keeps evenly spaced order statistics of its
    widths (in proportion to its size) drawn as wider bars: the outline of every cluster is
    kept, the mean and title still use every row, and the caption says how many bars are shown.

    Parameters
    ----------
    sil_frame : polars.DataFrame
        Columns ``cluster`` and ``sil_width`` (``tidyclust.silhouette(fit, data)``).
    max_bars : int
        Most bars drawn.

    Returns
    -------
    plotnine.ggplot

    Examples
    --------
    >>> import polars as pl
    >>> sil = pl.DataFrame({"cluster": [1, 1, 2], "sil_width": [0.5, 0.7, 0.2]})
    >>> p = silhouette_plot(sil)
    """
    frame = as_frame(sil_frame, "sil_frame", ["cluster", "sil_width"])
    check_int(max_bars, "max_bars", minimum=1)
    widths = frame["sil_width"].cast(pl.Float64)
    if widths.null_count() or bool(widths.is_nan().any()):
        raise DataValueError("sil_frame: sil_width has missing values; compute silhouettes for every row")
    ordered = frame.select(pl.col("cluster").cast(pl.Int64), widths).sort(
        ["cluster", "sil_width"], descending=[False, True]
    )
    mean = float(ordered["sil_width"].mean())
    bars, caption = _bars(ordered, max_bars)
    bars["cluster"] = cluster_factor(bars["cluster"])
    return (
        ggplot(bars, aes(x="position", y="sil_width", fill="cluster", color="cluster"))
        + geom_col(aes(width="width"), position="identity")
        + geom_hline(yintercept=mean, linetype="dashed", color="red")
        + cluster_scales(list(bars["cluster"].cat.categories))
        + scale_y_continuous(limits=(min(0.0, float(ordered["sil_width"].min())), 1))
        + labs(
            title=f"Clusters silhouette plot\nAverage silhouette width: {mean:.2f}",
            x="",
            y="Silhouette width Si",
            caption=caption,
        )
        + theme_tidyclust()
        + theme(
            plot_title=element_text(ma="center"),
            axis_text_x=element_blank(),
            axis_ticks_major_x=element_blank(),
            panel_grid_major_x=element_blank(),
        )
    )


def _bars(ordered: pl.DataFrame, max_bars: int):
    """Bar positions (1..n) and widths; evenly spaced order statistics per cluster beyond max_bars."""
    n = ordered.height
    positions = np.arange(1, n + 1, dtype=np.float64)
    if n <= max_bars:
        out = ordered.with_columns(position=pl.Series(positions), width=pl.lit(1.0)).to_pandas()
        return out, None
    keep, widths = [], []
    sizes = ordered.group_by("cluster", maintain_order=True).len()["len"].to_numpy()
    start = 0
    for size in sizes:
        m = max(1, round(size * max_bars / n))
        keep.append(start + np.unique(np.linspace(0, size - 1, m).round().astype(np.int64)))
        step = (size - 1) / (len(keep[-1]) - 1) if len(keep[-1]) > 1 else size
        widths.append(np.full(len(keep[-1]), max(1.0, step)))
        start += size
    idx = np.concatenate(keep)
    out = ordered[idx].with_columns(
        position=pl.Series(positions[idx]), width=pl.Series(np.concatenate(widths))
    )
    return out.to_pandas(), f"showing {len(idx):,} of {n:,} rows (evenly spaced within each cluster)"

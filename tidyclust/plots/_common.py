"""Shared pieces of the figures: palettes, the house theme, input checks and point thinning.

Every figure takes polars frames (or a fit / grid object exposing one) and converts to pandas only
at the last step, because plotnine draws from pandas.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import cycle, islice

import numpy as np
import pandas as pd
import polars as pl
from plotnine import element_blank, element_text, scale_color_manual, scale_fill_manual, theme, theme_minimal

from tidyclust._validate import check_columns
from tidyclust.errors import ParameterError

__all__ = [
    "CATEGORY10",
    "DEFAULT_MAX_POINTS",
    "TABLEAU10",
    "as_frame",
    "check_max_points",
    "cluster_factor",
    "cluster_scales",
    "repeat_palette",
    "theme_tidyclust",
    "thin",
]

#: ggsci's ``category10_d3`` (the lesson's bar colours; identical to matplotlib's ``tab10``).
CATEGORY10 = (
    "#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD",
    "#8C564B", "#E377C2", "#7F7F7F", "#BCBD22", "#17BECF",
)  # fmt: skip
#: ggthemes' ``Tableau_10`` (the lesson's cluster colours); used for clusters in every figure.
TABLEAU10 = (
    "#4E79A7", "#F28E2B", "#E15759", "#76B7B2", "#59A14F",
    "#EDC948", "#B07AA1", "#FF9DA7", "#9C755F", "#BAB0AC",
)  # fmt: skip
#: Scatter-type figures draw at most this many points by default (a seeded sample beyond it).
DEFAULT_MAX_POINTS = 20_000
NOISE_COLOUR = "#333333"


def theme_tidyclust(base_size: float = 11, *, figure_size: tuple[float, float] = (7, 4.5)) -> theme:
    """The house theme: ``theme_minimal`` with centred bold titles and a quiet caption.

    Every figure of :mod:`tidyclust.plots` adds it; add another theme after it to override.

    Parameters
    ----------
    base_size : float
        Base font size in points.
    figure_size : tuple of float
        Width and height in inches.

    Returns
    -------
    plotnine.theme

    Examples
    --------
    >>> from plotnine import aes, geom_point, ggplot
    >>> import pandas as pd
    >>> p = ggplot(pd.DataFrame({"x": [1, 2]}), aes("x", "x")) + geom_point() + theme_tidyclust()
    """
    return theme_minimal(base_size=base_size) + theme(
        figure_size=figure_size,
        dpi=100,
        plot_title=element_text(ha="center", weight="bold", size=base_size * 1.25),
        plot_subtitle=element_text(ha="center", size=base_size),
        plot_caption=element_text(ha="right", size=base_size * 0.8, color="#555555"),
        panel_grid_minor=element_blank(),
        strip_text=element_text(weight="bold"),
    )


def as_frame(obj: object, arg: str, required: Sequence[str]) -> pl.DataFrame:
    """Return ``obj`` (a polars DataFrame, or an object with a ``.frame`` one) after checking ``required``.

    A ``LazyFrame`` is accepted and collected (after its schema is checked).
    """
    frame = getattr(obj, "frame", obj)
    if isinstance(frame, pl.LazyFrame):
        check_columns(frame, list(required), arg)
        frame = frame.collect()
    if not isinstance(frame, pl.DataFrame):
        raise ParameterError(
            f"{arg}: expected a polars DataFrame (or a result with a .frame), got {type(obj).__name__}; "
            "convert it with polars.DataFrame(...) or polars.from_pandas(...)"
        )
    check_columns(frame, list(required), arg)
    if frame.height == 0:
        raise ParameterError(f"{arg}: the frame has no rows; nothing to plot")
    return frame


def cluster_factor(labels: object) -> pd.Categorical:
    """Cluster labels as an ordered categorical ``"1" < "2" < ...`` (noise ``"0"`` first)."""
    values = np.asarray(labels).astype(np.int64)
    levels = [str(v) for v in np.unique(values)]
    return pd.Categorical(values.astype(str), categories=levels, ordered=True)


def repeat_palette(palette: Sequence[str], n: int) -> list[str]:
    """The first ``n`` colours of ``palette``, cycling when ``n`` exceeds its length."""
    return list(islice(cycle(palette), n))


def cluster_scales(levels: Sequence[str], aesthetics: Sequence[str] = ("color", "fill")) -> list:
    """Tableau 10 colour/fill scales for cluster levels, noise (``"0"``) in dark grey."""
    colours = repeat_palette(TABLEAU10, len([lv for lv in levels if lv != "0"]))
    values = dict(zip([lv for lv in levels if lv != "0"], colours, strict=True))
    if "0" in levels:
        values["0"] = NOISE_COLOUR
    makers = {"color": scale_color_manual, "fill": scale_fill_manual}
    return [makers[a](values=values, limits=list(levels), name="cluster") for a in aesthetics]


def thin(frame: pl.DataFrame, max_points: int | None, seed: int) -> tuple[pl.DataFrame, str | None]:
    """Keep a seeded random sample of ``max_points`` rows (row order kept) and say so in a caption.

    Returns the frame unchanged and ``None`` when it already fits.
    """
    if max_points is None or frame.height <= max_points:
        return frame, None
    kept = frame.with_row_index("__row").sample(n=max_points, seed=seed).sort("__row").drop("__row")
    return kept, f"showing {max_points:,} of {frame.height:,} rows (random sample, seed={seed})"


def check_max_points(max_points: int | None, arg: str = "max_points") -> None:
    """``max_points`` is ``None`` (draw every row) or a positive integer."""
    if max_points is None:
        return
    if isinstance(max_points, bool) or not isinstance(max_points, (int, np.integer)) or max_points < 1:
        raise ParameterError(
            f"{arg}: expected a positive integer or None (draw every row), got {max_points!r}"
        )

"""Figures that explore the data before clustering: genre counts and per-feature box plots."""

from __future__ import annotations

from typing import Literal

import pandas as pd
import polars as pl
from plotnine import (
    aes,
    element_blank,
    element_text,
    facet_wrap,
    geom_boxplot,
    geom_col,
    geom_point,
    geom_text,
    ggplot,
    labs,
    scale_fill_manual,
    scale_y_continuous,
    theme,
)

from tidyclust._validate import check_columns, check_int, numeric_columns
from tidyclust.errors import ColumnTypeError, ParameterError
from tidyclust.plots._common import CATEGORY10, as_frame, repeat_palette, theme_tidyclust

__all__ = ["feature_boxplots", "genre_counts"]


def genre_counts(data: pl.DataFrame, *, column: str = "artist_top_genre", top: int | None = None) -> ggplot:
    """Bar chart of the number of rows per value of ``column``, most frequent first.

    The lesson's first figure (``geom_col`` filled with ggsci's ``category10_d3``, one colour per
    bar; colours repeat after ten bars), with the count written above each bar.

    Parameters
    ----------
    data : polars.DataFrame
        The songs (one row per song).
    column : str
        The column to count.
    top : int, optional
        Keep only the ``top`` most frequent values.

    Returns
    -------
    plotnine.ggplot

    Examples
    --------
    >>> import polars as pl
    >>> songs = pl.DataFrame({"artist_top_genre": ["afropop", "afropop", "nigerian pop"]})
    >>> p = genre_counts(songs)
    """
    data = as_frame(data, "data", [])
    check_columns(data, [column], "column")
    counts = (
        data.select(pl.col(column).cast(pl.String).fill_null("(missing)"))
        .group_by(column)
        .len(name="n")
        .sort(["n", column], descending=[True, False])
    )
    if top is not None:
        counts = counts.head(check_int(top, "top", minimum=1))
    frame = counts.to_pandas()
    frame[column] = pd.Categorical(frame[column], categories=list(frame[column]), ordered=True)
    title = "Top genres" if column == "artist_top_genre" else f"Rows per {column}"
    plot = (
        ggplot(frame, aes(x=column, y="n", fill=column))
        + geom_col(alpha=0.85, width=0.7, show_legend=False)
        + geom_text(aes(label="n"), va="bottom", nudge_y=frame["n"].max() * 0.01, size=10)
        + scale_fill_manual(values=repeat_palette(CATEGORY10, len(frame)))
        + scale_y_continuous(expand=(0, 0, 0.08, 0))
        + labs(title=title, x=column, y="count")
        + theme_tidyclust()
        + theme(panel_grid_major_x=element_blank())
    )
    if len(frame) > 6:
        plot += theme(axis_text_x=element_text(rotation=45, ha="right"))
    return plot


def feature_boxplots(
    data: pl.DataFrame,
    *,
    label: str = "artist_top_genre",
    fill: Literal["feature", "label"] = "feature",
    max_outliers: int = 200,
    seed: int = 0,
) -> ggplot:
    """Box plots of every numeric feature per ``label``, one facet per feature (free scales).

    The lesson's ``geom_boxplot(aes(x = artist_top_genre, y = values, fill = feature_names)) +
    facet_wrap(~ feature_names, ncol = 4, scales = "free")`` without legend. Facets are in
    alphabetical order, as R's ``facet_wrap`` orders a character column.

    The boxes are drawn from summaries computed in polars over *all* rows (ggplot2's
    ``stat_boxplot``: quartiles of R's type 7, whiskers to the most extreme value within 1.5 x IQR),
    so a million rows cost no more to draw than a hundred. Outliers are drawn as points; when a box
    has more than ``max_outliers`` of them a seeded sample is drawn and the caption says so.

    Parameters
    ----------
    data : polars.DataFrame
        Wide data (``label`` plus numeric columns), or the long frame of ``tidyclust.pivot_longer``
        (columns ``label``, ``feature_names``, ``values``).
    label : str
        The grouping column, drawn on the x axis of every facet.
    fill : {"feature", "label"}
        Fill boxes by feature (the lesson) or by ``label``.
    max_outliers : int
        Most outlier points drawn per box.
    seed : int
        Seed of the outlier sample.

    Returns
    -------
    plotnine.ggplot

    Examples
    --------
    >>> import polars as pl
    >>> songs = pl.DataFrame({"artist_top_genre": ["a", "a", "b"], "tempo": [90.0, 120.0, 100.0]})
    >>> p = feature_boxplots(songs)
    """
    if fill not in ("feature", "label"):
        raise ParameterError(f"fill: expected 'feature' or 'label', got {fill!r}")
    check_int(max_outliers, "max_outliers", minimum=0)
    frame = as_frame(data, "data", [])
    check_columns(frame, [label], "label")
    long = _long_form(frame, label)
    boxes, outliers, caption = _box_summaries(long, label, max_outliers, seed)
    fill_var = "feature_names" if fill == "feature" else label
    plot = (
        ggplot(boxes)
        + geom_boxplot(
            aes(x=label, lower="q1", middle="median", upper="q3", ymin="ymin", ymax="ymax", fill=fill_var),
            stat="identity",
            width=0.7,
        )
        + geom_point(aes(x=label, y="values"), data=outliers, size=0.8, alpha=0.5)
        + facet_wrap("feature_names", ncol=4, scales="free")
        + labs(title="Distribution of the numeric features", x=label, y="values", caption=caption)
        + theme_tidyclust(base_size=9, figure_size=(11, 8.5))
        + theme(legend_position="none", axis_text_x=element_text(rotation=30, ha="right"))
    )
    return plot


def _long_form(data: pl.DataFrame, label: str) -> pl.DataFrame:
    """(label, feature_names, values) from wide data, or the long frame as given."""
    if {"feature_names", "values"} <= set(data.columns):
        return data.select(
            pl.col(label).cast(pl.String).fill_null("(missing)"),
            "feature_names",
            pl.col("values").cast(pl.Float64),
        )
    features = [c for c in numeric_columns(data) if c != label]
    if not features:
        raise ColumnTypeError(
            f"data: no numeric columns to plot besides {label!r} (columns present: {', '.join(data.columns)})"
        )
    return (
        data.select(pl.col(label).cast(pl.String).fill_null("(missing)"), *features)
        .unpivot(index=label, variable_name="feature_names", value_name="values")
        .with_columns(pl.col("values").cast(pl.Float64))
    )


def _box_summaries(
    long: pl.DataFrame, label: str, max_outliers: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, str | None]:
    """ggplot2's stat_boxplot per (label, feature) computed in polars, plus the outlier points."""
    groups = [label, "feature_names"]
    v = pl.col("values")
    long = long.filter(v.is_not_null() & v.is_not_nan())
    fenced = long.with_columns(
        q1=v.quantile(0.25, "linear").over(groups),
        median=v.quantile(0.5, "linear").over(groups),
        q3=v.quantile(0.75, "linear").over(groups),
    ).with_columns(
        lo=pl.col("q1") - 1.5 * (pl.col("q3") - pl.col("q1")),
        hi=pl.col("q3") + 1.5 * (pl.col("q3") - pl.col("q1")),
    )
    inside = v.is_between(pl.col("lo"), pl.col("hi"))
    boxes = fenced.group_by(groups, maintain_order=True).agg(
        pl.col("q1", "median", "q3").first(),
        ymin=v.filter(inside).min(),
        ymax=v.filter(inside).max(),
        n_outliers=(~inside).sum(),
    )
    out = fenced.filter(~inside).select(*groups, "values")
    caption = None
    if max_outliers is not None and out.height and int(boxes["n_outliers"].max()) > max_outliers:
        shown = out.sample(fraction=1.0, shuffle=True, seed=seed).group_by(groups).head(max_outliers)
        caption = f"boxes from all rows; outliers: showing {shown.height:,} of {out.height:,} (seed={seed})"
        out = shown
    levels = {col: sorted(boxes[col].unique()) for col in groups}
    return _ordered(boxes, levels), _ordered(out, levels), caption


def _ordered(frame: pl.DataFrame, levels: dict[str, list[str]]) -> pd.DataFrame:
    """pandas with features in alphabetical order (as R's facet_wrap) and labels sorted."""
    pdf = frame.to_pandas()
    for col, cats in levels.items():
        pdf[col] = pd.Categorical(pdf[col], categories=cats, ordered=True)
    return pdf

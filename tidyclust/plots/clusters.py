"""Figures of a fitted clustering: the PCA cluster plot, the lesson's scatter and the contingency heat map."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
from plotnine import (
    aes,
    element_blank,
    geom_point,
    geom_polygon,
    geom_text,
    geom_tile,
    ggplot,
    labs,
    scale_color_identity,
    scale_fill_gradient,
    scale_shape_manual,
    scale_y_discrete,
    theme,
)
from scipy.spatial import ConvexHull, QhullError

from tidyclust._validate import check_columns
from tidyclust.errors import ParameterError
from tidyclust.plots._common import (
    DEFAULT_MAX_POINTS,
    as_frame,
    check_max_points,
    cluster_factor,
    cluster_scales,
    theme_tidyclust,
    thin,
)

__all__ = ["cluster_plot", "cluster_scatter", "contingency_heatmap", "pca_coordinates"]

SHAPES = ("o", "^", "s", "D", "v", "P", "X", "*", "p", "h")


def pca_coordinates(matrix: np.ndarray, *, stand: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Scores on the first two principal components and the percentage of variance of each.

    As ``factoextra::fviz_cluster``: ``scale()`` the columns when ``stand`` (a constant column
    becomes 0 where R would give NaN), then ``prcomp(center = FALSE, scale = FALSE)``, so the
    percentages are ``eigenvalue / sum(eigenvalues) * 100`` of the uncentred cross-product matrix.
    Signs are fixed so that each component's largest loading is positive (R's are arbitrary).
    With exactly two columns the columns themselves are returned, as fviz_cluster does.

    Examples
    --------
    >>> import numpy as np
    >>> scores, pct = pca_coordinates(np.random.default_rng(0).normal(size=(50, 4)))
    >>> scores.shape, round(float(pct.sum()), 6) <= 100
    ((50, 2), True)
    """
    X = np.asarray(matrix, dtype=np.float64)
    if stand:
        sd = X.std(axis=0, ddof=1) if X.shape[0] > 1 else np.ones(X.shape[1])
        X = np.divide(X - X.mean(axis=0), sd, out=np.zeros_like(X), where=sd > 0)
    if X.shape[1] == 2:
        return X, np.array([np.nan, np.nan])
    # Eigen-decomposition of the p x p cross-product: same result as the SVD of prcomp, and cheap
    # for a million rows.
    evals, evecs = np.linalg.eigh(X.T @ X)
    order = np.argsort(evals)[::-1]
    evals, evecs = np.clip(evals[order], 0, None), evecs[:, order]
    evecs *= np.sign(evecs[np.abs(evecs).argmax(axis=0), np.arange(evecs.shape[1])])
    return X @ evecs[:, :2], 100 * evals[:2] / evals.sum()


def cluster_plot(
    fit: object,
    data: pl.DataFrame,
    *,
    stand: bool = True,
    max_points: int | None = DEFAULT_MAX_POINTS,
    seed: int = 0,
) -> ggplot:
    """The rows on the first two principal components, coloured by cluster, with convex hulls.

    Mirrors ``factoextra::fviz_cluster(fit, data)`` with its defaults: the fit's model matrix is
    standardised (``stand=True``, as fviz's ``stand``), projected on its principal components
    (see :func:`pca_coordinates`; axes ``Dim1 (xx.x%)``, ``Dim2 (yy.y%)``), each cluster drawn
    with its convex hull (a segment for two or collinear points, nothing for one) and its mean
    point drawn larger. Noise (label 0) is drawn in grey without hull or centre.

    Hulls and centres use every row; with more than ``max_points`` rows the points drawn are a
    seeded sample and the caption says so.

    Parameters
    ----------
    fit : KMeansFit or any fit
        Needs ``labels`` (one per row of ``data``) and ``model_matrix(data)``.
    data : polars.DataFrame
        The data the fit was made on.
    stand : bool
        Standardise the columns before the PCA.
    max_points : int or None
        Most points drawn; ``None`` draws every row.
    seed : int
        Seed of the point sample.

    Returns
    -------
    plotnine.ggplot

    Examples
    --------
    >>> import polars as pl, tidyclust
    >>> data = pl.DataFrame({"a": [1.0, 1.2, 5.0, 5.2], "b": [1.0, 0.8, 5.0, 5.1], "c": [0.0, 1.0, 0.0, 1.0]})
    >>> fit = tidyclust.kmeans(data, 2, seed=1)  # doctest: +SKIP
    >>> p = cluster_plot(fit, data)  # doctest: +SKIP
    """
    check_max_points(max_points)
    labels, matrix = _fit_inputs(fit, data)
    scores, pct = pca_coordinates(matrix, stand=stand)
    points = pl.DataFrame({"x": scores[:, 0], "y": scores[:, 1], "cluster": labels})
    hulls = _hulls(points)
    centers = (
        points.filter(pl.col("cluster") != 0).group_by("cluster").agg(pl.col("x", "y").mean()).sort("cluster")
    )
    shown, caption = thin(points, max_points, seed)
    levels = list(cluster_factor(labels).categories)
    xlab, ylab = _axis_labels(pct, getattr(fit, "columns", None))
    return (
        ggplot(mapping=aes("x", "y", color="cluster", fill="cluster"))
        + geom_polygon(aes(group="cluster"), data=_factor(hulls, levels), alpha=0.2, size=0.6)
        + geom_point(aes(shape="cluster"), data=_factor(shown, levels), size=1.6, alpha=0.85)
        + geom_point(
            aes(shape="cluster"),
            data=_factor(centers, levels),
            size=6,
            color="black",
            stroke=0.8,
            show_legend=False,
        )
        + cluster_scales(levels)
        + scale_shape_manual(values=_shapes(levels), limits=levels, name="cluster")
        + labs(title="Cluster plot", x=xlab, y=ylab, caption=caption)
        + theme_tidyclust()
    )


def cluster_scatter(
    augmented: pl.DataFrame,
    *,
    x: str = "popularity",
    y: str = "danceability",
    shape: str | None = "artist_top_genre",
    cluster: str = ".cluster",
    max_points: int | None = DEFAULT_MAX_POINTS,
    seed: int = 0,
) -> ggplot:
    """Two features against each other, coloured by cluster (Tableau 10) and shaped by genre.

    The lesson's last figure: ``augment(fit, data) |> ggplot(aes(popularity, danceability,
    color = .cluster, shape = artist_top_genre)) + geom_point(size = 2, alpha = 0.8)``. With more
    than ``max_points`` rows a seeded sample is drawn and the caption says
    ``"showing N of M rows"``.

    Parameters
    ----------
    augmented : polars.DataFrame
        ``fit.augment(data)``: the data plus ``.cluster``.
    x, y : str
        Numeric columns for the axes.
    shape : str or None
        Column mapped to the point shape; ``None`` for none.
    cluster : str
        The cluster column.
    max_points : int or None
        Most points drawn; ``None`` draws every row.
    seed : int
        Seed of the point sample.

    Returns
    -------
    plotnine.ggplot

    Examples
    --------
    >>> import polars as pl
    >>> aug = pl.DataFrame({"popularity": [10, 40, 60], "danceability": [0.5, 0.7, 0.8],
    ...                     "artist_top_genre": ["afropop", "afropop", "nigerian pop"],
    ...                     ".cluster": [1, 1, 2]})
    >>> p = cluster_scatter(aug)
    """
    check_max_points(max_points)
    frame = as_frame(augmented, "augmented", [])
    for arg, name in (("x", x), ("y", y), ("cluster", cluster)) + ((("shape", shape),) if shape else ()):
        check_columns(frame, [name], arg)
    shown, caption = thin(frame.select(x, y, cluster, *([shape] if shape else [])), max_points, seed)
    pdf = shown.to_pandas()
    levels = list(cluster_factor(frame[cluster].to_numpy()).categories)
    pdf[cluster] = pd.Categorical(pdf[cluster].astype(int).astype(str), categories=levels, ordered=True)
    mapping = aes(x=x, y=y, color=cluster) if shape is None else aes(x=x, y=y, color=cluster, shape=shape)
    plot = (
        ggplot(pdf, mapping)
        + geom_point(size=2, alpha=0.8)
        + cluster_scales(levels, aesthetics=("color",))
        + labs(x=x, y=y, color="cluster", caption=caption)
        + theme_tidyclust()
    )
    if shape is not None:
        pdf[shape] = pdf[shape].astype(str)
        plot += scale_shape_manual(values=_shapes(sorted(pdf[shape].unique())))
    return plot


def contingency_heatmap(table: pl.DataFrame, *, cluster: str = "cluster", count: str = "n") -> ggplot:
    """Cluster x label counts as a heat map with each count written in its tile.

    Parameters
    ----------
    table : polars.DataFrame
        Long (``cluster``, one label column, ``count``) or wide (``cluster`` plus one count column
        per label), as the contingency table of ``tidyclust.agreement``.
    cluster : str
        The cluster column.
    count : str
        The count column of a long table.

    Returns
    -------
    plotnine.ggplot

    Examples
    --------
    >>> import polars as pl
    >>> table = pl.DataFrame({"cluster": [1, 2], "afropop": [30, 31], "nigerian pop": [2, 17]})
    >>> p = contingency_heatmap(table)
    """
    long, label = _long_table(as_frame(getattr(table, "table", table), "table", [cluster]), cluster, count)
    levels = list(cluster_factor(long[cluster].to_numpy()).categories)
    high = float(long[count].max()) or 1.0
    pdf = long.with_columns(
        text_colour=pl.when(pl.col(count) > high / 2).then(pl.lit("white")).otherwise(pl.lit("black"))
    ).to_pandas()
    pdf[cluster] = pd.Categorical(pdf[cluster].astype(int).astype(str), categories=levels, ordered=True)
    pdf[label] = pd.Categorical(
        pdf[label].astype(str), categories=list(dict.fromkeys(pdf[label].astype(str)))
    )
    return (
        ggplot(pdf, aes(x=label, y=cluster))
        + geom_tile(aes(fill=count), color="white", size=0.8)
        + geom_text(aes(label=count, color="text_colour"), size=12)
        + scale_fill_gradient(low="#F2F6FB", high="#08306B", name="rows")
        + scale_color_identity()
        + scale_y_discrete(limits=levels[::-1])
        + labs(title="Clusters against labels", x=label, y="cluster")
        + theme_tidyclust()
        + theme(panel_grid=element_blank(), axis_ticks=element_blank())
    )


def _fit_inputs(fit: object, data: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    if not hasattr(fit, "labels") or not callable(getattr(fit, "model_matrix", None)):
        raise ParameterError(
            "fit: expected a fit with .labels and .model_matrix(data) (e.g. tidyclust.kmeans), "
            f"got {type(fit).__name__}"
        )
    as_frame(data, "data", [])
    labels = np.asarray(fit.labels).astype(np.int64)
    matrix = np.asarray(fit.model_matrix(data), dtype=np.float64)
    if matrix.shape[0] != labels.shape[0]:
        raise ParameterError(
            f"data: has {matrix.shape[0]} rows but the fit has {labels.shape[0]} labels; "
            "pass the data the fit was made on"
        )
    if matrix.ndim != 2 or matrix.shape[1] < 2:
        raise ParameterError("fit: a cluster plot needs at least two columns; fit on two or more columns")
    return labels, matrix


def _hulls(points: pl.DataFrame) -> pl.DataFrame:
    """Convex hull vertices per cluster, in drawing order (scipy.spatial.ConvexHull)."""
    parts = []
    for (label,), group in points.filter(pl.col("cluster") != 0).group_by("cluster", maintain_order=True):
        xy = np.unique(group.select("x", "y").to_numpy(), axis=0)
        vertices = _hull_vertices(xy)
        if vertices is not None:
            parts.append(pl.DataFrame({"x": vertices[:, 0], "y": vertices[:, 1], "cluster": label}))
    schema = {"x": pl.Float64, "y": pl.Float64, "cluster": pl.Int64}
    return pl.concat(parts).cast(schema) if parts else pl.DataFrame(schema=schema)


def _hull_vertices(xy: np.ndarray) -> np.ndarray | None:
    """Hull polygon of distinct points; a two-point segment when they are collinear; None for one point."""
    if len(xy) < 2:
        return None
    if len(xy) >= 3:
        try:
            return xy[ConvexHull(xy).vertices]
        except QhullError:  # all points on a line: fall through to the segment
            pass
    centred = xy - xy.mean(axis=0)
    direction = np.linalg.svd(centred, full_matrices=False)[2][0]
    along = centred @ direction
    return xy[[int(along.argmin()), int(along.argmax())]]


def _factor(frame: pl.DataFrame, levels: list[str]) -> pd.DataFrame:
    pdf = frame.to_pandas()
    pdf["cluster"] = pd.Categorical(
        pdf["cluster"].astype(np.int64).astype(str), categories=levels, ordered=True
    )
    return pdf


def _shapes(levels: list[str]) -> list[str]:
    return [SHAPES[i % len(SHAPES)] for i in range(len(levels))]


def _axis_labels(pct: np.ndarray, columns: object) -> tuple[str, str]:
    if np.isnan(pct).all():
        names = list(columns) if columns is not None and len(columns) == 2 else ["x value", "y value"]
        return names[0], names[1]
    return f"Dim1 ({pct[0]:.1f}%)", f"Dim2 ({pct[1]:.1f}%)"


def _long_table(table: pl.DataFrame, cluster: str, count: str) -> tuple[pl.DataFrame, str]:
    """(cluster, label, count) from a long or wide contingency table, and the label column's name."""
    others = [c for c in table.columns if c not in (cluster, count)]
    if count in table.columns:
        if len(others) != 1:
            raise ParameterError(
                f"table: a long table needs {cluster!r}, {count!r} and exactly one label column, "
                f"got {table.columns}"
            )
        return table.select(cluster, others[0], pl.col(count).cast(pl.Int64)), others[0]
    if not others:
        raise ParameterError(
            f"table: no count columns besides {cluster!r}; pass a long or wide contingency table"
        )
    long = table.unpivot(index=cluster, variable_name="label", value_name=count)
    return long.with_columns(pl.col(count).cast(pl.Int64)), "label"

"""The report's figures: tidyclust.plots figures drawn to inline PNG ``data:`` URIs."""

from __future__ import annotations

import base64
import contextlib
import io
import multiprocessing
import os
import struct
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from plotnine import expand_limits, ggplot, labs, theme

from tidyclust import plots
from tidyclust.report._compute import Analysis, ReportResult

__all__ = ["Figure", "Pending", "comparison_figures", "draw", "main_figures", "to_data_uri"]

T = TypeVar("T")

#: Dots per inch of the PNGs: sharp on high-density screens at the page's width.
DPI = 144
#: Inches of a figure drawn in half of the page's width (two side by side), so its text reads as body text.
HALF = (5.6, 3.9)


@dataclass(frozen=True)
class Figure:
    """One inline figure: an id (for tests and links), alt text, the PNG as a data URI and its size."""

    id: str
    alt: str
    src: str
    width: int
    height: int


def to_data_uri(plot: ggplot, *, dpi: int = DPI) -> tuple[str, int, int]:
    """Draw ``plot`` to PNG in memory; return ``data:image/png;base64,...`` and the pixel size."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # plotnine's "Saving ..." and missing-value notes
        plot.save(buf, format="png", dpi=dpi, verbose=False)
    png = buf.getvalue()
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii"), width, height


@dataclass(frozen=True)
class Pending:
    """A figure built but not yet drawn: :func:`draw` draws all of a report's figures at once."""

    id: str
    alt: str
    plot: ggplot


def _figure(id_: str, alt: str, plot: ggplot, size: tuple[float, float] | None = None) -> Pending:
    if size is not None:
        plot = plot + theme(figure_size=size)
    return Pending(id_, alt, plot)


def _claim_and_draw(items: list[Pending], claimed: Any) -> dict[int, tuple[str, int, int]]:
    """Draw figures in turn, each taking the next unclaimed one (shared counter), until none is left."""
    drawn = {}
    while True:
        with claimed.get_lock():
            index = claimed.value
            claimed.value += 1
        if index >= len(items):
            return drawn
        drawn[index] = to_data_uri(items[index].plot)


def _child_draws(items: list[Pending], claimed: Any, send: Any, receive: Any) -> None:
    # The fork copied the read end too: closed here, so that if the parent stops reading (it
    # failed), this write fails instead of blocking forever on a full pipe.
    receive.close()
    with contextlib.suppress(BrokenPipeError):
        send.send(_claim_and_draw(items, claimed))
    send.close()


def draw(
    pending: dict[str, Pending], meanwhile: Callable[[], T] | None = None
) -> tuple[dict[str, Figure], T | None]:
    """Draw every pending figure to PNG, on two cores where the platform can fork.

    Drawing (matplotlib's rasterising) is most of a small report's time and the figures are
    independent. A forked process starts drawing at once while this one runs ``meanwhile`` (the
    rest of the page), then both take the next undrawn figure until none is left, so the two
    stay busy whatever each figure costs. The child only rasterises: the plots' data were computed
    before the fork (it never touches polars, whose threads a fork does not copy). If it fails,
    this process draws what it left.
    """
    items = list(pending.values())
    extra = None
    drawn: dict[int, tuple[str, int, int]] = {}
    if len(items) > 1 and (os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("fork")
        claimed = ctx.Value("i", 0)
        receive, send = ctx.Pipe(duplex=False)
        child = ctx.Process(target=_child_draws, args=(items, claimed, send, receive), daemon=True)
        child.start()
        send.close()
        try:
            extra = meanwhile() if meanwhile is not None else None
            drawn = _claim_and_draw(items, claimed)
            with contextlib.suppress(EOFError):  # if the child died, its figures are drawn below
                drawn |= receive.recv()
        except BaseException:
            child.terminate()  # this process failed: its error is what the caller sees, not a hang
            raise
        finally:
            receive.close()
            child.join()
    elif meanwhile is not None:
        extra = meanwhile()
    for index, item in enumerate(items):
        if index not in drawn:
            drawn[index] = to_data_uri(item.plot)
    return {item.id: Figure(item.id, item.alt, *drawn[i]) for i, item in enumerate(items)}, extra


def _silhouette_k(side: Analysis) -> ggplot:
    """silhouette_k_plot with half a k of room each side, so a "best k" label at an end is not clipped."""
    ks = side.grid.k
    return plots.silhouette_k_plot(side.grid) + expand_limits(x=[min(ks) + 1 - 0.6, max(ks) + 0.6])


def _choose_k_figures(result: ReportResult) -> list[Pending]:
    """The elbow, the silhouette against k and the gap statistic: those the method has."""
    main = result.main
    if main.grid is None:  # dbscan/hdbscan: the k-distance curve instead (method_figures)
        return []
    figures = [
        _figure(
            "elbow",
            "Elbow plot: total within sum of squares against k",
            plots.elbow_plot(main.grid, suggested_k=main.suggested_k),
            HALF,
        ),
        _figure("silhouette-k", "Mean silhouette width against k", _silhouette_k(main), HALF),
    ]
    if result.gap.height:  # k-means only
        gap_k = main.suggestions.filter(main.suggestions["rule"] == "gap")["k"]
        figures.append(
            _figure(
                "gap",
                "Gap statistic against k with one-SE error bars",
                plots.gap_plot(
                    result.gap, k_best=int(gap_k[0]) if gap_k.len() and gap_k[0] is not None else None
                ),
                HALF,
            )
        )
    return figures


def method_figures(result: ReportResult) -> list[Pending]:
    """What only one method draws: hclust's dendrogram, the k-distance curve of dbscan/hdbscan."""
    main, opts = result.main, result.options
    if opts.method == "hclust":
        return [_figure("dendrogram", "Dendrogram with the cut", plots.dendrogram_plot(main.fit), (10, 4.8))]
    if opts.method in ("dbscan", "hdbscan"):
        settings = main.extras["settings"]
        eps = settings["eps"] if opts.method == "dbscan" else None
        curve = plots.kdistance_plot(
            main.data, k=max(settings["min_samples"], 2), columns=list(opts.columns), scale=main.scale,
            eps=eps,
        )  # fmt: skip
        return [_figure("kdistance", "Sorted k-distances and the chosen eps", curve, HALF)]
    return []


def main_figures(result: ReportResult) -> dict[str, Pending]:
    """The lesson's figures for the main analysis, by id (plus the method's own, see method_figures)."""
    main, data = result.main, result.data
    figures = [
        _figure("genre-counts", "Songs per genre after the filter", plots.genre_counts(data), HALF),
        _figure(
            "feature-boxplots",
            "Box plots of each feature by genre",
            plots.feature_boxplots(data.select("artist_top_genre", *result.options.columns)),
            (10, 6.4),
        ),
        *_choose_k_figures(result),
        *method_figures(result),
        _figure(
            "cluster-pca",
            "Clusters on the first two principal components",
            plots.cluster_plot(main.fit, data),
            HALF,
        ),
        _figure(
            "cluster-scatter",
            "Popularity against danceability, colour = cluster, shape = genre",
            plots.cluster_scatter(main.fit.augment(data))
            + labs(title="Popularity and danceability by cluster"),
            HALF,
        ),
    ]
    if main.agreement.table.height:  # a density fit may find no cluster at all
        figures.append(
            _figure(
                "contingency",
                "Clusters against genres: rows in each cell",
                plots.contingency_heatmap(main.agreement.table)
                + labs(title="Clusters against genres", x="artist_top_genre"),
                HALF,
            )
        )
    if main.silhouette is not None:
        figures.append(
            _figure(
                "silhouette",
                "Silhouette width of every song, by cluster",
                plots.silhouette_plot(main.silhouette),
                (6.4, 4.2),
            )
        )
    return {f.id: f for f in figures}


def _scaling(side: Analysis) -> str:
    return "standardised features (scale = TRUE)" if side.scale else "raw features (scale = FALSE)"


def comparison_figures(result: ReportResult) -> dict[str, Pending]:
    """The challenge's side-by-side figures, each with a subtitle naming its scaling."""
    out = {}
    for side, tag in ((result.main, "main"), (result.other, "other")):
        sub = labs(subtitle=_scaling(side))
        size = HALF
        if side.grid is None:  # dbscan/hdbscan: only the clusters
            out[f"cluster-pca-{tag}"] = _figure(
                f"cluster-pca-{tag}", f"Clusters on the principal components, {_scaling(side)}",
                plots.cluster_plot(side.fit, side.data) + sub, size,
            )  # fmt: skip
            continue
        out[f"elbow-{tag}"] = _figure(
            f"elbow-{tag}", f"Elbow plot, {_scaling(side)}",
            plots.elbow_plot(side.grid, suggested_k=side.suggested_k) + sub, size,
        )  # fmt: skip
        out[f"silhouette-k-{tag}"] = _figure(
            f"silhouette-k-{tag}", f"Mean silhouette width against k, {_scaling(side)}",
            _silhouette_k(side) + sub, size,
        )  # fmt: skip
        out[f"cluster-pca-{tag}"] = _figure(
            f"cluster-pca-{tag}", f"Clusters on the principal components, {_scaling(side)}",
            plots.cluster_plot(side.fit, side.data) + sub, size,
        )  # fmt: skip
    return out

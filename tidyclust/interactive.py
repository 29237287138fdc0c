"""The lesson's cluster scatter as an interactive chart (R's ``ggplotly``), working offline.

:func:`cluster_scatter_figure` builds a plotly figure: popularity against danceability (or any two
columns), colour = cluster (Tableau 10, as the static figure), symbol = genre, and a hover label
with the song, artist, genre, cluster and both values. :func:`cluster_scatter_html` turns it into an
HTML fragment with plotly.js inlined (no CDN), for the self-contained report.

Text from the data is HTML-escaped before it reaches plotly, whose labels understand a little HTML
(``<b>``, ``<a href>``): a song called ``<script>`` is shown as those characters. plotly's own JSON
encoder escapes ``<``, ``>`` and ``/``, so no data text can close the ``<script>`` element that
carries the figure.
"""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import polars as pl

from tidyclust._validate import check_columns
from tidyclust.plots import TABLEAU10, thin
from tidyclust.plots._common import check_max_points, repeat_palette

__all__ = ["DEFAULT_MAX_POINTS", "cluster_scatter_figure", "cluster_scatter_html"]

#: The interactive chart draws at most this many points (a seeded sample beyond); SVG markers stay
#: responsive in a browser up to a few thousand.
DEFAULT_MAX_POINTS = 5_000
#: plotly marker symbols in the order of the static figure's shapes (o, ^, s, D, v, ...).
SYMBOLS = ("circle", "triangle-up", "square", "diamond", "triangle-down", "cross", "x", "star", "pentagon")
HOVER_COLUMNS = ("name", "artist", "artist_top_genre")


def _text(series: pl.Series) -> np.ndarray:
    """Escaped text for plotly's pseudo-HTML labels; missing values shown as '(missing)'."""
    return np.array(
        [html.escape(v) for v in series.cast(pl.String).fill_null("(missing)").to_list()], dtype=object
    )


def cluster_scatter_figure(
    augmented: pl.DataFrame,
    *,
    x: str = "popularity",
    y: str = "danceability",
    symbol: str = "artist_top_genre",
    cluster: str = ".cluster",
    max_points: int | None = DEFAULT_MAX_POINTS,
    seed: int = 0,
) -> go.Figure:
    """The cluster scatter as a plotly figure: hover, zoom and pan.

    Parameters
    ----------
    augmented : polars.DataFrame
        ``fit.augment(data)``: the songs plus ``.cluster``. The hover label shows ``name``,
        ``artist`` and ``artist_top_genre`` when present.
    x, y : str
        Numeric columns for the axes.
    symbol : str
        Column mapped to the marker symbol (the genre).
    cluster : str
        The cluster column.
    max_points : int or None
        Most points drawn; beyond, a seeded random sample, and the title says so.
    seed : int
        Seed of the sample.

    Returns
    -------
    plotly.graph_objects.Figure
        One trace per (cluster, symbol value), grouped in the legend by cluster.

    Examples
    --------
    >>> import polars as pl
    >>> aug = pl.DataFrame({"popularity": [10, 40], "danceability": [0.5, 0.7],
    ...                     "artist_top_genre": ["afropop", "afropop"], ".cluster": [1, 2]})
    >>> len(cluster_scatter_figure(aug).data)
    2
    """
    check_max_points(max_points)
    check_columns(augmented, [x, y, symbol, cluster], "augmented")
    shown, caption = thin(augmented, max_points, seed)
    clusters = sorted(int(c) for c in augmented[cluster].unique().to_list())
    colours = dict(zip(clusters, repeat_palette(TABLEAU10, len(clusters)), strict=True))
    groups = sorted(augmented[symbol].cast(pl.String).fill_null("(missing)").unique().to_list())
    symbols = {g: SYMBOLS[i % len(SYMBOLS)] for i, g in enumerate(groups)}
    hover = [c for c in HOVER_COLUMNS if c in augmented.columns]
    fig = go.Figure()
    for c in clusters:
        for g in groups:
            part = shown.filter(
                (pl.col(cluster) == c) & (pl.col(symbol).cast(pl.String).fill_null("(missing)") == g)
            )
            if part.height:
                fig.add_trace(_trace(part, x, y, c, g, colours[c], symbols[g], hover))
    title = f"{y} against {x}, by cluster" + (f"<br><sup>{html.escape(caption)}</sup>" if caption else "")
    fig.update_layout(
        title={"text": title, "x": 0.5},
        xaxis_title=x,
        yaxis_title=y,
        legend_title_text="cluster · genre",
        template="plotly_white",
        hovermode="closest",
        height=520,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        font={"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"},
    )
    return fig


def _trace(part, x, y, cluster, group, colour, symbol, hover) -> go.Scatter:
    customdata = np.column_stack([_text(part[c]) for c in hover]) if hover else None
    lines = [f"<b>{name}</b>: %{{customdata[{i}]}}" for i, name in enumerate(hover)]
    lines += [f"<b>cluster</b>: {cluster}", f"<b>{x}</b>: %{{x}}", f"<b>{y}</b>: %{{y}}"]
    return go.Scatter(
        x=part[x].to_numpy(),
        y=part[y].to_numpy(),
        mode="markers",
        name=f"{cluster} · {html.escape(group)}",
        legendgroup=str(cluster),
        marker={"color": colour, "symbol": symbol, "size": 8, "opacity": 0.8, "line": {"width": 0}},
        customdata=customdata,
        hovertemplate="<br>".join(lines) + "<extra></extra>",
    )


def cluster_scatter_html(fig: go.Figure, *, div_id: str = "interactive-scatter") -> str:
    """An HTML fragment (``<div>`` + ``<script>``) drawing ``fig``, with plotly.js inlined.

    No network is needed to view it: the plotly.js bundle (~4.5 MB) is part of the fragment.

    Examples
    --------
    >>> import plotly.graph_objects as go
    >>> "cdn" in cluster_scatter_html(go.Figure()).lower()[:2000]
    False
    """
    return pio.to_html(
        fig,
        include_plotlyjs=True,
        full_html=False,
        div_id=div_id,
        config={"displaylogo": False, "responsive": True},
    )

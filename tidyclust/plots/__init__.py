"""plotnine figures of the lesson; every function returns a ``ggplot`` the user can extend with ``+``.

Figures read only documented columns of tidy frames (or fits / grids exposing them), draw clusters
as a discrete aesthetic ordered ``1..k`` with the Tableau 10 palette, and stay quick on a million
rows: box plots are drawn from summaries, scatter plots draw a seeded sample and say so in a caption.
Save a figure with plotnine's own ``plot.save("figure.png", dpi=150)``.
"""

from __future__ import annotations

from tidyclust.plots._common import CATEGORY10, TABLEAU10, theme_tidyclust, thin
from tidyclust.plots.choose_k import elbow_plot, gap_plot, silhouette_k_plot
from tidyclust.plots.clusters import cluster_plot, cluster_scatter, contingency_heatmap, pca_coordinates
from tidyclust.plots.explore import feature_boxplots, genre_counts
from tidyclust.plots.silhouette import silhouette_plot

__all__ = [
    "CATEGORY10",
    "TABLEAU10",
    "cluster_plot",
    "cluster_scatter",
    "contingency_heatmap",
    "dendrogram_plot",
    "elbow_plot",
    "feature_boxplots",
    "gap_plot",
    "genre_counts",
    "kdistance_plot",
    "pca_coordinates",
    "silhouette_k_plot",
    "silhouette_plot",
    "theme_tidyclust",
    "thin",
]

# Figures of the other methods live beside their models (tidyclust.dendrogram, tidyclust.kdistance),
# which import this package's _common; they are reached lazily (PEP 562) to keep imports acyclic.
_LAZY = {"dendrogram_plot": "tidyclust.dendrogram", "kdistance_plot": "tidyclust.kdistance"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tidyclust.plots' has no attribute {name!r}")

"""plotnine figures of the lesson; every function returns a ``ggplot`` the user can extend with ``+``.

Figures read only documented columns of tidy frames (or fits / grids exposing them), draw clusters
as a discrete aesthetic ordered ``1..k`` with the Tableau 10 palette, and stay quick on a million
rows: box plots are drawn from summaries, scatter plots draw a seeded sample and say so in a caption.
Save a figure with plotnine's own ``plot.save("figure.png", dpi=150)``.
"""

from __future__ import annotations

from tidyclust.plots._common import CATEGORY10, TABLEAU10, theme_tidyclust
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
    "elbow_plot",
    "feature_boxplots",
    "gap_plot",
    "genre_counts",
    "pca_coordinates",
    "silhouette_k_plot",
    "silhouette_plot",
    "theme_tidyclust",
]

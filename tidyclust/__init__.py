"""tidyclust: tidy-data k-means clustering analytics.

Polars and DuckDB SQL do the reshaping (:mod:`tidyclust.tidy`, :mod:`tidyclust.sql`), an R-faithful
k-means (Hartigan–Wong, as ``stats::kmeans``) with broom-style tidiers does the modelling
(:func:`kmeans`, :func:`kmeans_grid`), :mod:`tidyclust.metrics` judges a clustering,
:mod:`tidyclust.plots` draws the lesson's figures and ``tidyclust report`` renders the whole
analysis as one self-contained HTML file.

Examples
--------
>>> import tidyclust
>>> songs = tidyclust.read_songs("../shared/data/nigerian-songs.csv")  # doctest: +SKIP
>>> lesson = tidyclust.tidy.filter_songs(songs)  # doctest: +SKIP
>>> fit = tidyclust.kmeans(lesson, 3, columns=tidyclust.tidy.LESSON_COLUMNS, seed=2056)  # doctest: +SKIP
>>> fit.tidy()  # doctest: +SKIP
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from tidyclust import errors, metrics, sql, tidy
from tidyclust.compare import compare_methods
from tidyclust.data import read_songs, scan_songs
from tidyclust.density import dbscan, hdbscan
from tidyclust.grid import ClusterGrid, cluster_grid
from tidyclust.hclust import hclust
from tidyclust.methods import METHODS, cluster
from tidyclust.metrics import (
    agreement,
    elbow,
    gap_statistic,
    silhouette,
    silhouette_sample,
    silhouette_summary,
    suggest_k,
)
from tidyclust.mixture import gaussian_mixture
from tidyclust.model import KMeansFit, KMeansGrid, kmeans, kmeans_grid
from tidyclust.tidy import prepare

try:
    __version__ = version("tidyclust")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "METHODS",
    "ClusterGrid",
    "KMeansFit",
    "KMeansGrid",
    "__version__",
    "agreement",
    "cluster",
    "cluster_grid",
    "compare_methods",
    "dbscan",
    "elbow",
    "errors",
    "gap_statistic",
    "gaussian_mixture",
    "hclust",
    "hdbscan",
    "kmeans",
    "kmeans_grid",
    "metrics",
    "prepare",
    "read_songs",
    "scan_songs",
    "silhouette",
    "silhouette_sample",
    "silhouette_summary",
    "sql",
    "suggest_k",
    "tidy",
]

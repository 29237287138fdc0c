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

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers and editors see; at run time each name is imported on first use
    from tidyclust import errors, metrics, sql, tidy
    from tidyclust import plots as plots
    from tidyclust import report as report
    from tidyclust.compare import compare_methods
    from tidyclust.data import read_songs, scan_songs
    from tidyclust.density import dbscan, hdbscan
    from tidyclust.grid import ClusterGrid, cluster_grid
    from tidyclust.methods import METHODS, cluster
    from tidyclust.metrics import (
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

# Two functions share their module's name: imported now, so that a later import of the module
# (which sets the package's attribute of that name) finds the function already bound. They cost
# what the command line imports first anyway (polars, numpy, numba).
from tidyclust.agreement import agreement
from tidyclust.hclust import hclust

#: The module each other public name comes from (the name itself, for a submodule), imported on the
#: name's first use (PEP 562): the command line can start work (fork its compile helper) before it
#: pays for duckdb, scipy, scikit-learn and plotnine.
_HOMES = {
    "errors": None,
    "metrics": None,
    "plots": None,
    "report": None,
    "sql": None,
    "tidy": None,
    "compare_methods": "compare",
    "read_songs": "data",
    "scan_songs": "data",
    "dbscan": "density",
    "hdbscan": "density",
    "ClusterGrid": "grid",
    "cluster_grid": "grid",
    "METHODS": "methods",
    "cluster": "methods",
    "elbow": "metrics",
    "gap_statistic": "metrics",
    "silhouette": "metrics",
    "silhouette_sample": "metrics",
    "silhouette_summary": "metrics",
    "suggest_k": "metrics",
    "gaussian_mixture": "mixture",
    "KMeansFit": "model",
    "KMeansGrid": "model",
    "kmeans": "model",
    "kmeans_grid": "model",
    "prepare": "tidy",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'tidyclust' has no attribute {name!r}")
    home = _HOMES[name]
    module = importlib.import_module(f"tidyclust.{home or name}")
    value = module if home is None else getattr(module, name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})


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

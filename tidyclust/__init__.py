"""tidyclust: tidy-data k-means clustering analytics.

Polars and DuckDB SQL do the reshaping, an R-faithful k-means (Hartigan–Wong) with broom-style
tidiers does the modelling, plotnine draws the lesson's figures and ``tidyclust report`` renders
the whole analysis as one self-contained HTML file.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tidyclust")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]

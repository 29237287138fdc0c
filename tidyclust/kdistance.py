"""The k-distance curve for choosing DBSCAN's ``eps`` (Ester et al. 1996; R's ``dbscan::kNNdistplot``).

For every row, the distance to its k-th nearest row *counting the row itself*, as
:func:`tidyclust.density.dbscan`'s ``min_samples`` counts it: with ``k = min_samples``, a row is a
core row exactly when its k-distance is <= ``eps``. Sorted increasingly, the curve bends upwards
where rows stop having dense neighbourhoods; the knee (kneed's Kneedle, Satopää et al. 2011)
is a suggested ``eps``.

The knee is kneed's ``KneeLocator(curve="convex", direction="increasing")`` (offline, sensitivity
1) re-implemented here with numpy (the tests check it against kneed): importing kneed costs over a
second, for scipy.signal and matplotlib.pyplot, on every report.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from tidyclust._fit import prepare_matrix
from tidyclust._validate import check_int
from tidyclust.errors import ParameterError

if TYPE_CHECKING:
    from plotnine import ggplot

__all__ = ["kdistance_plot", "kdistances", "suggest_eps"]

LINE_COLOUR = "steelblue"
MARK_COLOUR = "#C0392B"


def kdistances(
    data: pl.DataFrame, *, k: int = 5, columns: Sequence[str] | None = None, scale: bool = False
) -> pl.DataFrame:
    """Sorted distances to the k-th nearest row (the row itself counted as the first).

    Returns
    -------
    polars.DataFrame
        ``rank`` (1..n, Int32), ``row`` (1-based row of the data, Int32), ``kdistance`` (Float64),
        sorted by ``kdistance`` then ``row``.

    Examples
    --------
    >>> import polars as pl
    >>> kdistances(pl.DataFrame({"x": [0.0, 1.0, 3.0, 10.0]}), k=2)["kdistance"].to_list()
    [1.0, 1.0, 2.0, 7.0]
    """
    from sklearn.neighbors import NearestNeighbors

    mat = prepare_matrix(data, columns, scale, min_rows=2, method="kdistances")
    n = mat.X.shape[0]
    k = check_int(k, "k", minimum=2, hint="; use the min_samples you plan to give dbscan()")
    if k > n:
        raise ParameterError(f"k: {k} neighbours asked for but the data has {n} rows; choose k <= {n}")
    dist, _ = NearestNeighbors(n_neighbors=k).fit(mat.X).kneighbors(mat.X)
    kd = dist[:, k - 1]
    order = np.lexsort((np.arange(n), kd))
    return pl.DataFrame(
        {
            "rank": pl.Series(np.arange(1, n + 1), dtype=pl.Int32),
            "row": pl.Series(order + 1, dtype=pl.Int32),
            "kdistance": pl.Series(kd[order], dtype=pl.Float64),
        }
    )


def _knee_index(y: np.ndarray) -> int | None:
    """Index of the knee of an increasing convex curve ``y`` (x = 0..n-1), or ``None``: kneed's
    Kneedle step by step (Satopää et al. 2011; kneed 0.8, offline, S = 1, no smoothing).

    Both axes are scaled to [0, 1] and the curve is mirrored into a concave increasing one; on the
    difference curve (mirrored y minus mirrored x) the first local maximum whose threshold (its
    value minus the mean x spacing) is undercut before a local minimum is the knee.
    """
    n = y.shape[0]
    x_mirrored = np.flip(1 - np.arange(n, dtype=float) / (n - 1))
    yn = (y - y.min()) / (y.max() - y.min())
    y_diff = np.flip(yn.max() - yn) - x_mirrored
    # scipy.signal.argrelextrema(order=1, mode="clip"): each point against both neighbours, the
    # ends against themselves
    left, right = np.r_[y_diff[:1], y_diff[:-1]], np.r_[y_diff[1:], y_diff[-1:]]
    maxima = np.flatnonzero((y_diff >= left) & (y_diff >= right))
    minima = set(np.flatnonzero((y_diff <= left) & (y_diff <= right)).tolist())
    if not maxima.size:
        return None
    tmx = y_diff[maxima] - np.abs(np.diff(x_mirrored).mean())
    thresholds = dict(zip(maxima.tolist(), tmx.tolist(), strict=True))
    threshold, threshold_index, active = 0.0, 0, True
    for i in range(int(maxima[0]), n - 1):
        if i in thresholds:
            threshold, threshold_index, active = thresholds[i], i, True
        if i in minima:
            threshold, active = 0.0, False
        if active and y_diff[i + 1] < threshold:
            return n - 1 - threshold_index  # the mirrored x back on the original axis
    return None


def suggest_eps(kdist: pl.DataFrame) -> float | None:
    """The k-distance at the knee of the sorted curve (Kneedle, convex and increasing), or ``None``.

    Examples
    --------
    >>> import polars as pl
    >>> curve = pl.DataFrame({"rank": [1, 2, 3, 4, 5, 6], "kdistance": [1.0, 1.1, 1.2, 1.3, 5.0, 9.0]})
    >>> suggest_eps(curve)
    1.3
    """
    y = kdist.get_column("kdistance").to_numpy().astype(float)
    if y.shape[0] < 3 or y[-1] == y[0]:
        return None
    knee = _knee_index(y)
    return None if knee is None else float(y[knee])


def kdistance_plot(
    data: pl.DataFrame,
    *,
    k: int = 5,
    columns: Sequence[str] | None = None,
    scale: bool = False,
    eps: float | None = None,
) -> ggplot:
    """Sorted k-distances with the suggested ``eps`` (the knee) marked by a dashed line.

    Parameters
    ----------
    data
        A polars DataFrame.
    k
        The ``min_samples`` you plan to give :func:`tidyclust.density.dbscan` (>= 2).
    columns, scale
        As for the fit: the distances are measured in the space the fit will see.
    eps
        Mark this value instead of the knee.

    Returns
    -------
    plotnine.ggplot

    Examples
    --------
    >>> import polars as pl
    >>> p = kdistance_plot(pl.DataFrame({"x": [0.0, 0.1, 0.2, 0.3, 5.0, 9.0]}), k=2)
    """
    from plotnine import aes, annotate, geom_hline, geom_line, ggplot, labs

    from tidyclust.plots._common import theme_tidyclust

    curve = kdistances(data, k=k, columns=columns, scale=scale)
    mark = suggest_eps(curve) if eps is None else float(eps)
    plot = (
        ggplot(curve.to_pandas(), aes("rank", "kdistance"))
        + geom_line(color=LINE_COLOUR)
        + labs(
            title="k-distance plot",
            x="Rows sorted by k-distance",
            y=f"Distance to the k-th nearest row (k = {k}, the row itself counted)",
        )
        + theme_tidyclust()
    )
    if mark is not None:
        label = f"eps = {mark:.3g}" + (" (knee)" if eps is None else "")
        plot += geom_hline(yintercept=mark, linetype="dashed", color=MARK_COLOUR)
        plot += annotate("text", x=1, y=mark, label=label, ha="left", va="bottom", color=MARK_COLOUR)
    return plot

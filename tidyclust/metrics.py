"""Cluster quality metrics: silhouette widths (as ``cluster::silhouette``), a sampled silhouette
estimate, the elbow of a k-grid and a table of what each rule suggests for k.

The gap statistic (``cluster::clusGap``, ``cluster::maxSE``) lives in :mod:`tidyclust.gap` and
agreement with known labels in :mod:`tidyclust.agreement`; both are re-exported here.

Label convention (docs/design.md): clusters are integers from 1, and 0 marks noise (DBSCAN/HDBSCAN).
Noise rows are left out of every silhouette computation, as is conventional: they belong to no
cluster, so they have no a(i), and they are not a cluster anyone could be a neighbour of.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from tidyclust._metric_inputs import check_labels, check_matrix, resolve_rows
from tidyclust._silhouette_kernel import cluster_mean_distances
from tidyclust._validate import check_int
from tidyclust.agreement import Agreement, agreement
from tidyclust.errors import ParameterError
from tidyclust.gap import gap_statistic, max_se
from tidyclust.selection import elbow, suggest_k

__all__ = [
    "Agreement",
    "agreement",
    "elbow",
    "gap_statistic",
    "max_se",
    "mean_silhouette",
    "silhouette",
    "silhouette_sample",
    "silhouette_summary",
    "silhouette_widths",
    "suggest_k",
]


# --------------------------------------------------------------------------- silhouette, low level
class _Blocks:
    """The non-noise rows sorted by cluster, ready for the kernel."""

    def __init__(self, M: np.ndarray, lab: np.ndarray) -> None:
        self.keep = lab != 0
        self.codes_of, codes = np.unique(lab[self.keep], return_inverse=True)
        K, m = self.codes_of.size, int(self.keep.sum())
        if K < 2 or m <= K:
            raise ParameterError(
                f"labels: the silhouette needs between 2 and n - 1 clusters among the non-noise rows, "
                f"got {K} cluster(s) on {m} row(s); use k >= 2 and fewer clusters than rows"
            )
        self.m = m
        self.order = np.argsort(codes, kind="stable")
        self.counts = np.bincount(codes, minlength=K)
        self.starts = np.concatenate(([0], np.cumsum(self.counts))).astype(np.int64)
        self.size = self.counts[codes[self.order]]  # own-cluster size, by sorted position
        self.XT = np.ascontiguousarray(M[self.keep][self.order].T)

    def widths(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Widths and neighbour labels of the given sorted positions (distances against all rows)."""
        a, b, nb = cluster_mean_distances(self.XT, self.starts, positions.astype(np.int64))
        # cluster::silhouette (C sildist): s = 0 for singletons and when a == b.
        defined = (self.size[positions] > 1) & (a != b)
        s = np.divide(b - a, np.maximum(a, b), out=np.zeros_like(a), where=defined)
        return s, self.codes_of[nb].astype(np.int32)


def _kept_widths(M: np.ndarray, lab: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Widths and neighbours of the non-noise rows in data order, and the non-noise mask."""
    blocks = _Blocks(M, lab)
    s_sorted, nb_sorted = blocks.widths(np.arange(blocks.m))
    s, nb = np.empty(blocks.m), np.empty(blocks.m, dtype=np.int32)
    s[blocks.order], nb[blocks.order] = s_sorted, nb_sorted
    return s, nb, blocks.keep


def silhouette_widths(X: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact Euclidean silhouette width and neighbouring cluster of every row.

    Mirrors ``cluster::silhouette`` (Rousseeuw 1987): a(i) is the mean distance from row i to the
    other rows of its cluster, b(i) the smallest mean distance to another cluster (the neighbour;
    ties go to the smallest label, as R), and s(i) = (b - a) / max(a, b), with s = 0 for a row alone
    in its cluster. Memory is O(n·p): no distance matrix is built.

    Parameters
    ----------
    X : (n, p) array of float
        The rows as the clustering saw them (e.g. ``fit.model_matrix(data)``).
    labels : (n,) array of int
        Cluster labels, from 1; 0 marks noise. Noise rows are left out: their width is NaN and their
        neighbour 0, and they count in no cluster's mean distance.

    Returns
    -------
    sil_width : (n,) float64
    neighbor : (n,) int32
        The label of the neighbouring cluster (0 for noise rows).

    Raises
    ------
    ParameterError
        If the label vector does not match the rows, or the non-noise rows hold fewer than 2 or
        more than n - 1 clusters (R returns ``NA`` there).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [10.0], [12.0]])
    >>> s, nb = silhouette_widths(X, np.array([1, 1, 2, 2]))
    >>> np.round(s, 4).tolist(), nb.tolist()
    ([0.9091, 0.9, 0.7895, 0.8261], [2, 2, 1, 1])
    """
    M = check_matrix(X)
    lab = check_labels(labels, M.shape[0])
    s_kept, nb_kept, keep = _kept_widths(M, lab)
    sil = np.full(M.shape[0], np.nan)
    neighbor = np.zeros(M.shape[0], dtype=np.int32)
    sil[keep], neighbor[keep] = s_kept, nb_kept
    return sil, neighbor


def mean_silhouette(X: np.ndarray, labels: np.ndarray) -> float:
    """Average silhouette width over the non-noise rows (``summary(silhouette(...))$avg.width``).

    Equals :func:`sklearn.metrics.silhouette_score` when there is no noise, with O(n·p) memory and
    several times faster. Arguments and errors as :func:`silhouette_widths`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [10.0], [12.0]])
    >>> round(mean_silhouette(X, np.array([1, 1, 2, 2])), 6)
    0.856163
    """
    M = check_matrix(X)
    lab = check_labels(labels, M.shape[0])
    return float(_kept_widths(M, lab)[0].mean())


# --------------------------------------------------------------------------- silhouette, high level
def silhouette(
    fit_or_data: object,
    data: pl.DataFrame | None = None,
    *,
    labels: object = None,
    columns: Sequence[str] | None = None,
    sort: bool = False,
) -> pl.DataFrame:
    """Per-row silhouette frame, as ``cluster::silhouette``.

    Parameters
    ----------
    fit_or_data : fit, polars DataFrame or (n, p) array
        A fit (anything with ``.labels`` and ``.model_matrix(data)``), or the rows themselves
        together with ``labels=``.
    data : polars DataFrame, optional
        With a fit: the data it was fitted on (its model matrix is rebuilt from it, scaled as fitted).
    labels : sequence of int, optional
        With a frame or array: one cluster label per row (from 1; 0 = noise).
    columns : sequence of str, optional
        With a frame: the columns to measure distances on (``None`` = every numeric column).
    sort : bool, default False
        ``False`` keeps the data order (``cluster::silhouette``); ``True`` sorts by cluster, then
        width descending, as ``sortSilhouette`` and ``factoextra::fviz_silhouette`` draw it.

    Returns
    -------
    polars.DataFrame
        ``row`` (1-based position in the data), ``cluster``, ``neighbor`` (Int32), ``sil_width``
        (Float64). Noise rows (label 0) are left out; ``row`` still points into the data.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"x": [0.0, 1.0, 10.0, 12.0]})
    >>> silhouette(df, labels=[1, 1, 2, 2])["neighbor"].to_list()
    [2, 2, 1, 1]
    """
    X, lab = resolve_rows(fit_or_data, data, labels, columns)
    s_kept, nb_kept, keep = _kept_widths(X, lab)
    frame = pl.DataFrame(
        {
            "row": pl.Series(np.nonzero(keep)[0] + 1, dtype=pl.Int32),
            "cluster": pl.Series(lab[keep], dtype=pl.Int32),
            "neighbor": pl.Series(nb_kept, dtype=pl.Int32),
            "sil_width": pl.Series(s_kept, dtype=pl.Float64),
        }
    )
    if sort:
        frame = frame.sort(["cluster", "sil_width", "row"], descending=[False, True, False])
    return frame


def silhouette_summary(sil: pl.DataFrame) -> pl.DataFrame:
    """Per-cluster size and average width, as ``summary(silhouette(...))``.

    The overall average width (``avg.width``) is ``sil["sil_width"].mean()``.

    Examples
    --------
    >>> import polars as pl
    >>> sil = silhouette(pl.DataFrame({"x": [0.0, 1.0, 10.0, 12.0]}), labels=[1, 1, 2, 2])
    >>> silhouette_summary(sil)["size"].to_list()
    [2, 2]
    """
    if not isinstance(sil, pl.DataFrame) or not {"cluster", "sil_width"} <= set(sil.columns):
        raise ParameterError(
            "sil: expected the frame returned by tidyclust.silhouette (columns cluster, sil_width)"
        )
    return (
        sil.group_by("cluster")
        .agg(pl.len().cast(pl.Int32).alias("size"), pl.col("sil_width").mean().alias("avg_sil_width"))
        .sort("cluster")
    )


# --------------------------------------------------------------------------- sampled estimate
def silhouette_sample(
    fit_or_data: object,
    data: pl.DataFrame | None = None,
    *,
    labels: object = None,
    columns: Sequence[str] | None = None,
    sample_size: int = 1000,
    seed: int | None = None,
    confidence: float = 0.95,
) -> pl.DataFrame:
    """Estimate the mean silhouette width from a random sample of rows, with a confidence interval.

    Method: draw ``sample_size`` non-noise rows uniformly without replacement; compute each sampled
    row's width *exactly*, against all rows (so a(i), b(i) carry no sampling error); the estimate is
    their mean, an unbiased estimate of :func:`mean_silhouette` on all rows. The interval is the
    Student t interval from the sample sd, with the finite-population correction
    ``sqrt(1 - m / n)``. Cost is O(m·n·p) instead of O(n²·p). (This differs from scikit-learn's
    ``silhouette_score(sample_size=...)``, which computes widths within the subsample only and so
    estimates the silhouette of a smaller data set.) With ``sample_size >= n`` the result is exact
    and the interval has zero width.

    Parameters
    ----------
    fit_or_data, data, labels, columns
        As :func:`silhouette`.
    sample_size : int, default 1000
        Rows to sample (at least 2).
    seed : int, optional
        Seed for ``numpy.random.default_rng``; the same seed gives the same sample.
    confidence : float, default 0.95
        Coverage of the interval, in (0, 1).

    Returns
    -------
    polars.DataFrame
        One row: estimate, std_error, ci_low, ci_high, sample_size, n, confidence.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.r_[np.zeros((50, 1)), np.ones((50, 1))] + np.linspace(0, 0.1, 100)[:, None]
    >>> est = silhouette_sample(X, labels=[1] * 50 + [2] * 50, sample_size=100, seed=1)
    >>> est["std_error"].item()
    0.0
    """
    X, lab = resolve_rows(fit_or_data, data, labels, columns)
    m = check_int(sample_size, "sample_size", minimum=2)
    if not (isinstance(confidence, float | int) and 0 < confidence < 1):
        raise ParameterError(f"confidence: must be a number strictly between 0 and 1, got {confidence!r}")
    blocks = _Blocks(X, lab)
    n = blocks.m
    m = min(m, n)
    rng = np.random.default_rng(seed)
    positions = np.sort(rng.choice(n, size=m, replace=False))
    s, _ = blocks.widths(positions)
    estimate = float(s.mean())
    se = float(s.std(ddof=1) / np.sqrt(m) * np.sqrt(1 - m / n))
    from scipy import stats  # imported here: half a second that `import tidyclust` need not pay

    half = float(stats.t.ppf(0.5 + confidence / 2, df=m - 1)) * se
    return pl.DataFrame(
        {
            "estimate": [estimate],
            "std_error": [se],
            "ci_low": [estimate - half],
            "ci_high": [estimate + half],
            "sample_size": [m],
            "n": [n],
            "confidence": [float(confidence)],
        }
    )

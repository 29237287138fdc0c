"""k-means fits with broom-style tidiers, and the k-grid results frame.

The default algorithm is R's: Hartigan & Wong (1979), algorithm AS 136, translated from R's
``stats::kmeans`` (``kmns.f``) into a numba kernel (:mod:`tidyclust._kmeans_kernels`). ``"lloyd"``
is R's ``kmeans_Lloyd`` (numba, with optional row weights) and ``"elkan"`` is scikit-learn's exact
Elkan algorithm run once per start.

Conventions, as in the rest of tidyclust:

* Starts: ``init="k-means++"`` (default) draws each of the ``nstart`` random starts by greedy
  k-means++ (Arthur & Vassilvitskii 2007; scikit-learn's default: 2 + ⌊ln k⌋ D²-sampled candidates
  per center, keeping the one that lowers the potential most); ``init="random"`` takes ``k`` rows
  with distinct values uniformly at random, as R does (``k`` rows of ``unique(x)``). Both use a
  :class:`numpy.random.Generator` seeded by ``seed``. ``pc_start=True`` (default) adds one
  deterministic start after the random ones: the best split of the rows, ordered along their first
  principal axis, into ``k`` contiguous runs (all columns count; Bellman's segmentation DP with the
  divide-and-conquer rule of Ckmeans.1d.dp, Wang & Song 2011); in the summary search below, of the
  coarse summary's group means, weighted by their sizes. On the lesson data, which is nearly
  one-dimensional, that start alone reaches R's published optimum or better at every k = 1..10,
  where best-of-25 random starts (R's own included) misses at k = 8 in most seeds. Every start is
  run to a Hartigan–Wong (or Lloyd) local optimum on all rows; the one with the smallest total
  within-cluster sum of squares wins, ties going to the earliest start.
* Labels are 1-based and numbered by first appearance in the data: the cluster of row 1 is
  cluster 1, the next new cluster met going down the rows is cluster 2, and so on. ``centers``,
  ``sizes`` and ``withinss`` are in that order.
* ``seed=None`` draws a fresh seed and records it in the fit, so every fit can be reproduced. The
  same seed gives the same fit, labels included, whatever the number of threads.
* ``scale=True`` standardises as R's ``scale()``; centers are reported in data units, sums of
  squares in the standardised ("fitted") space, that of :meth:`KMeansFit.model_matrix`.
* Row weights are for Lloyd and Elkan only; Hartigan–Wong (like R's) refuses them.
* Hartigan–Wong keeps R's ``iter.max = 10`` and R's warnings (not converged; quick-transfer steps
  exceeded, "ifault 4", which R also reports on large data), as :class:`KMeansConvergenceWarning`.
* ``sample_size=`` searches the starts on a random sample and refines the best few on all rows,
  so the answer is still a local optimum of all rows (a search strategy, not an approximation of
  the fit). Above ``CORESET_MIN_ROWS`` rows, ``"auto"`` (k-means++ starts, no weights; or
  ``"summary"`` at any size) searches on summaries of the rows instead
  (:mod:`tidyclust._coreset`: the means of groups of nearby rows, weighted by their sizes, coarse
  then fine) with Hartigan's single-row moves, runs Lloyd's algorithm on all rows from the best 8
  distinct solutions (fewer above 20,000 rows, at least 2: CORESET_REFINE_ROWS), and the fit's
  algorithm on all rows from the one that ends lowest (LLOYD_RANK): again a local optimum of all
  rows (measurements: CORESET_CELLS). With weights or ``init="random"``,
  ``"auto"`` searches on a sample above ``AUTO_SAMPLE_MIN_ROWS`` rows; ``None`` never searches
  on less than every row.
* Large jobs split their starts between threads (``PARALLEL_MIN_WORK``); small ones run on one.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import polars as pl

from tidyclust import _kmeans_kernels as kern
from tidyclust._coreset import KDSummaries
from tidyclust._fit import FitMixin, readonly
from tidyclust._threads import shared_pool
from tidyclust._validate import check_int, numeric_matrix
from tidyclust.errors import ParameterError

__all__ = [
    "KMeansConvergenceWarning",
    "KMeansFit",
    "KMeansGrid",
    "grid_seed",
    "kmeans",
    "kmeans_grid",
    "search_description",
]

Algorithm = Literal["hartigan-wong", "lloyd", "elkan"]
ALGORITHMS: tuple[str, ...] = ("hartigan-wong", "lloyd", "elkan")
Init = Literal["k-means++", "random"]
INITS: tuple[str, ...] = ("k-means++", "random")
# R's kmeans(iter.max = 10) for Hartigan–Wong; scikit-learn's 300 for Lloyd and Elkan, which
# typically need more passes than Hartigan–Wong to settle.
DEFAULT_MAX_ITER = {"hartigan-wong": 10, "lloyd": 300, "elkan": 300}
# sample_size=: how many of the best sample solutions are refined on all rows. Each refinement is
# a full-data run (the expensive part on large data). Measured on the benchmark blobs (6 clusters,
# k = 1..10) against scikit-learn's best of 25: at 100k rows two keep every k within 1e-4 (six
# seeds). At 1M rows optima 1e-4 to 2e-4 apart (k = 7) must be told apart on the sample: from a
# 10,000-row sample two missed by up to 1.7e-4 on two seeds of five (four: 1.2e-4, 1.6x the time);
# from 30,000 rows two stay within 8.2e-5 on six seeds, for about 15 % more time.
REFINE = 2
# sample_size="auto" with weights or init="random" (which the summary search below does not take):
# above AUTO_SAMPLE_MIN_ROWS rows, search on AUTO_SAMPLE_FRACTION of the rows, at least
# AUTO_SAMPLE_SIZE and at most AUTO_SAMPLE_MAX (10,000 rows up to 333,000; 30,000 from 1M).
AUTO_SAMPLE_MIN_ROWS = 20_000
AUTO_SAMPLE_SIZE = 10_000
AUTO_SAMPLE_FRACTION = 0.03
AUTO_SAMPLE_MAX = 30_000
# sample_size="auto" above CORESET_MIN_ROWS rows (unweighted, k-means++ starts), and "summary" at
# any size above CORESET_CELLS[-1] rows: the starts run on summaries of the rows
# (tidyclust._coreset), the means of groups of nearby rows weighted by their sizes: drawn and run
# on CORESET_CELLS[0] groups, the CORESET_FINE_KEEP best distinct solutions continued on
# CORESET_CELLS[1] (and CORESET_FINER); the best distinct solutions of the last summary are
# compared on all rows (LLOYD_RANK): CORESET_REFINE of them up to 20,000 rows, then
# CORESET_REFINE_ROWS / n (at least CORESET_REFINE_MIN), so that the comparison costs about as
# much as 8 on 20,000 rows. Measured with benchmarks/quality.py (k = 1..10, against scikit-learn's
# loop KMeans(k, n_init=25) with the same seed and the best tot_withinss known):
# - 10,000 blob rows, 12 data seeds: within 1e-4 of the loop or better at every k in 100 % of
#   grids (the loop against itself with another random_state: 42 %), mean gap 3.3e-5 (the
#   loop's: 4.0e-4). Comparing 6 or 4 solutions instead of 8: 92 % (one grid 1.1e-3 above the
#   loop at k = 10, where 1 of the 26 starts reaches the loop's basin), mean gap 3.6e-5 / 4.5e-5,
#   for 7 % / 18 % less time. Continuing all 26 coarse solutions on the fine summary instead of
#   16: the same on blobs and the songs-like rows, within the seeds' spread, 8 % more time.
# - 10,000 rows of the other kinds, mean gap ours / the loop's: anisotropic blobs 3.7e-5 /
#   1.1e-4, 9 overlapping blobs 1.6e-6 / 4.7e-5, uniform 4.0e-4 / 5.6e-4, songs-like rows (the
#   lesson's rows resampled and jittered: 286 tight clumps; 8 seeds) 8.0e-5 / 6.2e-4, the same
#   scaled 5.0e-4 / 4.3e-4: a rough landscape where the loop's own best of 25 moves by up to
#   2.7e-3 with its seed, and in most grids where ours is worse none of its 26 starts reaches the
#   loop's basin, even refined on all rows.
# - 20,000 and 50,000 rows (blobs, songs-like, scaled; 3 seeds): mean gap 1.4e-4 (the loop's:
#   5.2e-4), as the Hartigan–Wong refinement of the same 8 (then 3) solutions it replaced, in
#   20-45 % less time.
# Earlier measurements, with each of the best solutions refined by Hartigan–Wong on all rows, that
# chose the summaries: a coarse summary of 256 groups instead of 1024 was as good on blobs but
# lost on the songs-like rows (256 groups merge their clumps): within 1e-4 of the loop at every k
# in 0 of 16 grids, against 16 of 16. At 20,000 rows refining 2 instead of 8 kept blobs within
# 1e-4 of the loop at every k in 54 % of grids instead of 100 %, hence the budget rather than a
# fixed 2; at 1,000,000 blob rows refining 2 stayed within 3.8e-5 of the loop (two seeds).
CORESET_MIN_ROWS = 8_192
CORESET_CELLS = (1024, 2048)
CORESET_REFINE = 8
CORESET_REFINE_ROWS = 160_000
CORESET_REFINE_MIN = 2
# From CORESET_FINER_MIN_ROWS rows (4 a group) the search continues on a third, finer summary
# before the rows (measured with Hartigan–Wong refinements of the best solutions). 1,000,000 blob
# rows, seeds 3-6: at most 2.0e-5 above the loop (k = 9) in 8.0 s, against 1.2e-4 in 7.2 s
# without it (refining 3 instead: 2.4e-6, 10 s). 30,000-100,000 rows: mean gap 1.1e-4 against
# 1.4e-4, within 1e-4 of the loop at every k in 85 % of grids against 78 %, 15 % more time.
CORESET_FINER = 8_192
CORESET_FINER_MIN_ROWS = 32_768
CORESET_MAX_PASS = 50
# The CORESET_FINE_KEEP best distinct solutions of each summary go on to the next, finer one.
CORESET_FINE_KEEP = 16
# LLOYD_RANK: which of the best summary solutions is run to a Hartigan–Wong optimum on all rows is
# decided by Lloyd's algorithm run from each of them on all rows, to convergence
# (kern.lloyd_rank, with Hamerly's bounds): the sum of squares Lloyd's algorithm reaches picks the
# start whose own Hartigan–Wong run on all rows ends lowest in 98 % of (data set, seed, k) at
# 10,000 rows (mean gap to the best of the 8 runs: 2.6e-5), where the summaries' own sums of
# squares do not (picking by them: 20 % more than 1e-4 above; on all rows every solution improves
# by about 2e-3, more than they differ), and one costs about half a Hartigan–Wong run. The fit is
# then the fit's algorithm from the chosen start's Lloyd centers. Stopping the Lloyd runs early
# (after 5-20 passes, or once 2-25 rows move in a pass) loses that ranking, and so does running
# them on summaries of 2,048-6,000 groups or on a half or a quarter of the rows.
# Lloyd's algorithm creeps on large data: at 1,000,000 blob rows the runs take 370-720 passes to
# converge (1-2.6 s each at k = 7-10, where Hartigan–Wong takes 0.6-1.2 s), so the passes are
# capped at LLOYD_RANK_ROW_PASSES / n (LLOYD_RANK_MAX_ITER at most): 50 at 1,000,000 rows, 500
# at 100,000. The two solutions compared there are then ranked on partly converged sums; the
# 1,000,000-row grid took 6.9 s and ended 2.6e-5 to 1.3e-4 below scikit-learn's loop at k = 7-10
# (the cap at 100 passes: 8.2 s; none: 15.8 s; Hartigan–Wong from both solutions instead: 7.2 s
# and up to 7.3e-5 above the loop, at k = 9).
LLOYD_RANK_MAX_ITER = 1000
LLOYD_RANK_ROW_PASSES = 50_000_000
# The principal-axis segmentation start runs on at most this many (evenly spaced, ordered) rows:
# every row where every row is searched, a sample of them above (weights or init="random"). The
# summary search segments its coarse summary instead (1,024 group means, weighted by their sizes),
# where the start runs: 0.9 ms of the 10,000-row grid (as its threads start), where the rows'
# own table took 6-9 ms.
SEGMENT_MAX_ROWS = 8_192
CENTER_BLOCK = 4_096
# Starts are split between threads only when rows x k x starts reaches this (thread start-up and
# a loaded machine cost more than they save on small jobs such as the lesson's 286 rows).
PARALLEL_MIN_WORK = 4_000_000
# kmeans_grid runs its k side by side in threads when rows x sum(k) x starts reaches this (the
# lesson's 286 rows: 16 ms instead of 19 on an idle machine, about even on a loaded one).
GRID_PARALLEL_MIN_WORK = 200_000
# kmeans_grid: exact mean silhouette up to this many rows (O(n²)); beyond, the unbiased estimate of
# tidyclust.metrics.silhouette_sample from SILHOUETTE_SAMPLE_BUDGET / n sampled rows (O(m·n)).
EXACT_SILHOUETTE_MAX_ROWS = 5_000
SILHOUETTE_SAMPLE_BUDGET = 200_000_000


_UNWEIGHTED = np.empty(0)  # the kernels' "every row weighs 1"
_CACHE_LOCK = threading.Lock()  # a grid's threads share the data's cache


class KMeansConvergenceWarning(UserWarning):
    """The best start stopped before converging (R's "did not converge" / ifault 4 warnings)."""


@dataclass(frozen=True, eq=False)
class KMeansFit(FitMixin):
    """A k-means fit: an immutable value with broom-style tidiers.

    ``model_matrix(data)`` and ``augment(data)`` (the rows plus ``.cluster``) are those every fit
    shares (:class:`tidyclust._fit.FitMixin`).

    ``centers`` are in the units of the data (when ``scale=True`` the fit runs on standardised
    columns and the centers are mapped back with ``center_``/``scale_``); ``withinss``, ``totss``,
    ``tot_withinss`` and ``betweenss`` are sums of squares in the space the fit sees, i.e. of
    :meth:`model_matrix` (standardised units when ``scale=True``; weighted when weights were given).
    """

    k: int
    columns: tuple[str, ...]
    labels: np.ndarray
    centers: np.ndarray
    sizes: np.ndarray
    withinss: np.ndarray
    totss: float
    tot_withinss: float
    betweenss: float
    iter: int
    converged: bool
    nstart: int
    seed: int
    algorithm: str
    scale: bool = False
    center_: np.ndarray | None = None
    scale_: np.ndarray | None = None
    method: str = field(default="kmeans")
    init: str = "k-means++"
    pc_start: bool = True

    def tidy(self) -> pl.DataFrame:
        """One row per cluster: ``cluster``, ``size``, ``withinss``, then each feature's center.

        Examples
        --------
        >>> import polars as pl
        >>> fit = kmeans(pl.DataFrame({"x": [0.0, 1.0, 10.0, 11.0]}), 2, seed=1)
        >>> fit.tidy().select("cluster", "size", "x").rows()
        [(1, 2, 0.5), (2, 2, 10.5)]
        """
        frame = pl.DataFrame(
            {
                "cluster": pl.Series(np.arange(1, self.k + 1), dtype=pl.Int32),
                "size": pl.Series(self.sizes, dtype=pl.Int64),
                "withinss": pl.Series(self.withinss, dtype=pl.Float64),
            }
        )
        return frame.with_columns(
            pl.Series(name, self.centers[:, j], dtype=pl.Float64) for j, name in enumerate(self.columns)
        )

    def glance(self) -> pl.DataFrame:
        """One row: method, k, totss, tot_withinss, betweenss, iter, converged, nstart, seed, algorithm.

        Column types and meanings as in ``docs/glossary.md`` (the same names as the other methods').

        Examples
        --------
        >>> import polars as pl
        >>> fit = kmeans(pl.DataFrame({"x": [0.0, 1.0, 10.0, 11.0]}), 2, seed=1)
        >>> fit.glance()["tot_withinss"].item()
        1.0
        """
        return pl.DataFrame(
            {
                "method": [self.method],
                "k": [self.k],
                "totss": [self.totss],
                "tot_withinss": [self.tot_withinss],
                "betweenss": [self.betweenss],
                "iter": [self.iter],
                "converged": [self.converged],
                "nstart": [self.nstart],
                "seed": [self.seed],
                "algorithm": [self.algorithm],
            },
            schema_overrides={"k": pl.Int32, "iter": pl.Int32, "nstart": pl.Int32, "seed": pl.UInt64},
        )

    def predict(self, new_data: pl.DataFrame) -> pl.Series:
        """The cluster of the nearest center (in the fitted space) for each row of ``new_data``.

        Examples
        --------
        >>> import polars as pl
        >>> fit = kmeans(pl.DataFrame({"x": [0.0, 1.0, 10.0, 11.0]}), 2, seed=1)
        >>> fit.predict(pl.DataFrame({"x": [9.0, -3.0]})).to_list()
        [2, 1]
        """
        X = self.model_matrix(new_data)
        C = self.centers if not self.scale else (self.centers - self.center_) / self.scale_
        d2 = (X * X).sum(axis=1)[:, None] - 2.0 * X @ C.T + (C * C).sum(axis=1)[None, :]
        return pl.Series(".cluster", d2.argmin(axis=1) + 1, dtype=pl.Int32)


def _check_weights(weights: object, n: int) -> np.ndarray:
    try:
        w = np.asarray(weights.to_numpy() if isinstance(weights, pl.Series) else weights, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"weights: expected numbers, one per row ({exc})") from None
    if w.ndim != 1 or w.shape[0] != n:
        raise ParameterError(f"weights: expected one weight per row ({n}), got shape {w.shape}")
    if not np.isfinite(w).all():
        raise ParameterError("weights: contains NaN or infinity; give finite non-negative weights")
    if (w < 0).any():
        bad = int(np.flatnonzero(w < 0)[0])
        raise ParameterError(f"weights: must be non-negative, got {w[bad]} at row {bad + 1}")
    if not (w > 0).any():
        raise ParameterError("weights: all weights are zero; at least one row needs a positive weight")
    return np.ascontiguousarray(w)


@dataclass(frozen=True)
class _Prepared:
    X: np.ndarray
    columns: tuple[str, ...]
    center_: np.ndarray | None
    scale_: np.ndarray | None
    w: np.ndarray | None
    totss: float
    # lazily filled: the principal-axis order and segmentation table (shared by a grid's k)
    cache: dict = field(default_factory=dict, compare=False)


def _prepare(data, columns, scale, weights, algorithm) -> _Prepared:
    """Validate and convert once: the fitted matrix, scaling vectors, weights and totss."""
    if algorithm not in ALGORITHMS:
        raise ParameterError(
            f"algorithm: {algorithm!r} is not a k-means algorithm; "
            f"choose one of {', '.join(map(repr, ALGORITHMS))}"
        )
    if not isinstance(scale, (bool, np.bool_)):
        raise ParameterError(f"scale: expected True or False, got {scale!r}")
    X, cols = numeric_matrix(data, columns)
    n = X.shape[0]
    if n < 2:
        raise ParameterError(f"data: has {n} row; k-means needs at least 2 rows")
    w = None
    if weights is not None:
        if algorithm == "hartigan-wong":
            raise ParameterError(
                "weights: the Hartigan–Wong algorithm (like R's kmeans) has no row weights; "
                "use algorithm='lloyd' or algorithm='elkan' for weighted k-means"
            )
        w = _check_weights(weights, n)
    center_ = scale_ = None
    if scale:
        # R's scale(): centre on the column mean, divide by the sd with n - 1.
        center_ = X.mean(axis=0)
        scale_ = X.std(axis=0, ddof=1)
        const = [c for c, s in zip(cols, scale_, strict=True) if not s > 0]
        if const:
            raise ParameterError(
                f"scale: column {const[0]!r} is constant (sd 0), so it cannot be standardised; "
                "drop it from columns or use scale=False"
            )
        X = np.ascontiguousarray((X - center_) / scale_)
        center_, scale_ = readonly(center_), readonly(scale_)
    totss = 0.0
    for j in range(X.shape[1]):  # column by column: O(n) temporaries, not O(n·p)
        if w is None:
            dev = X[:, j] - X[:, j].mean()
            totss += float(np.dot(dev, dev))
        else:
            dev = X[:, j] - np.dot(w, X[:, j]) / w.sum()
            totss += float(np.dot(w, dev * dev))
    return _Prepared(X, tuple(cols), center_, scale_, w, totss)


def _draw_starts(
    X: np.ndarray, k: int, nstart: int, rng: np.random.Generator, pool: np.ndarray
) -> np.ndarray:
    """``nstart`` x ``k`` row indices, each start ``k`` rows of ``pool`` with distinct values."""
    n = pool.shape[0]
    draws = rng.integers(0, np.arange(n - k + 1, n + 1), size=(nstart, k))
    starts, ok = kern.floyd_starts(X, pool, draws)
    if not ok.all():
        # Some start picked two equal rows: redraw those among the distinct rows, as R samples
        # from unique(x).
        _, first = np.unique(X[pool], axis=0, return_index=True)
        distinct = pool[np.sort(first)]
        for s in np.flatnonzero(~ok):
            starts[s] = rng.choice(distinct, size=k, replace=False)
    return starts


def _check_k(k: object, X: np.ndarray, arg: str = "k") -> int:
    k = check_int(k, arg, minimum=1, hint="; k is the number of clusters")
    distinct = kern.count_distinct_rows(X, k)
    if distinct < k:
        raise ParameterError(
            f"{arg}: {k} clusters asked for but the data has only {distinct} distinct row(s); "
            f"choose k <= {distinct}"
        )
    return k


@dataclass(frozen=True)
class _Search:
    """How the starts are searched (resolved once per call, shared by a grid's k)."""

    nstart: int
    algorithm: str
    max_iter: int
    init: str
    pc_start: bool
    sample_size: int | str | None
    # split one k's starts between threads when the job is large (False inside a grid that
    # already runs its k side by side)
    split: bool = True


def _fit_prepared(prep: _Prepared, k: int, seed: int, how: _Search) -> KMeansFit:
    fit, status = _fit_quiet(prep, k, seed, how)
    _warn(status, prep.X.shape[0], how.max_iter)
    return fit


def _fit_quiet(prep: _Prepared, k: int, seed: int, how: _Search) -> tuple[KMeansFit, int]:
    """The fit and its status code, without warning (grid workers warn from the calling thread)."""
    X, w = prep.X, prep.w
    n = X.shape[0]
    if k == 1 or k == n:
        # Trivial fits (R switches k = 1 to MacQueen, whose answer is the same: one pass, iter 1).
        lab0 = np.zeros(n, np.int32) if k == 1 else np.arange(n, dtype=np.int32)
        res = _summarise(X, w, lab0, k, it=1, status=0)
        if k == 1:  # exactly totss, so that betweenss is exactly 0
            res = (*res[:3], np.array([prep.totss]), *res[4:])
    else:
        res = _search(prep, k, np.random.default_rng(seed), how)
    return _make_fit(prep, k, seed, how, res), res[5]


def _search(prep: _Prepared, k: int, rng: np.random.Generator, how: _Search):
    """The best local optimum over the starts: on all rows, or searched on a sample and refined."""
    X, w = prep.X, prep.w
    n = X.shape[0]
    size = _sample_rows(how, n, w)
    inits = None
    if size is not None:
        inits = _sample_inits(X, w, k, rng, how, size)
    elif _summary_search(how, n, w):
        inits = _summary_inits(prep, k, rng, how)
    if inits is None:
        inits = _starts(X, w, k, rng, how, prep.cache)
    res = _run(X, w, inits, k, how)
    if res is None:  # every refined start emptied a cluster (possible only from sample solutions)
        res = _run(X, w, _starts(X, w, k, rng, how, prep.cache), k, how)
    return res


def _sample_rows(how: _Search, n: int, w: np.ndarray | None) -> int | None:
    """The rows of the sample the starts are searched on; None: the summaries, or every row."""
    sample_size = how.sample_size
    if sample_size == "summary":
        return None
    if sample_size == "auto":
        if n <= AUTO_SAMPLE_MIN_ROWS or _summary_search(how, n, w):
            return None
        return int(min(AUTO_SAMPLE_MAX, max(AUTO_SAMPLE_SIZE, AUTO_SAMPLE_FRACTION * n)))
    return sample_size if sample_size is not None and sample_size < n else None


def _summary_search(how: _Search, n: int, w: np.ndarray | None) -> bool:
    """Whether the starts are searched on summaries of the rows (see CORESET_CELLS)."""
    if how.sample_size == "summary":
        return n > CORESET_CELLS[-1]
    return how.sample_size == "auto" and n > CORESET_MIN_ROWS and w is None and how.init == "k-means++"


def _refinements(n: int) -> int:
    """How many of the best summary solutions are compared on all rows (see CORESET_REFINE_ROWS)."""
    return max(CORESET_REFINE_MIN, min(CORESET_REFINE, CORESET_REFINE_ROWS // n))


def _check_summary(how: _Search, prep: _Prepared) -> None:
    if how.sample_size == "summary" and prep.w is not None:
        raise ParameterError(
            "sample_size: 'summary' summarises unweighted rows; with weights use sample_size=None "
            "or an integer sample"
        )


def _summary_cells(n: int) -> tuple[int, ...]:
    """The group counts of the summaries of ``n`` rows, coarse to fine (see CORESET_FINER)."""
    return CORESET_CELLS + ((CORESET_FINER,) if n >= CORESET_FINER_MIN_ROWS else ())


def _summaries(prep: _Prepared) -> KDSummaries:
    """The rows' group means and sizes at each of ``_summary_cells`` (``.level(t)``, made on
    first use, coarse to fine), once per data."""
    levels = prep.cache.get("summaries")  # without the lock, which a segmentation may hold
    if levels is not None:
        return levels
    with _CACHE_LOCK:
        if "summaries" not in prep.cache:
            prep.cache["summaries"] = KDSummaries(prep.X, _summary_cells(prep.X.shape[0]))
        return prep.cache["summaries"]


def _summary_inits(prep: _Prepared, k: int, rng: np.random.Generator, how: _Search):
    """The search on summaries: the k-means++ starts (drawn on the coarse summary) and the
    principal-axis start run Hartigan's method on the coarse summary, then the best distinct
    solutions (CORESET_FINE_KEEP) on each finer one; the best distinct solutions of the finest
    (``_refinements``) run Lloyd's algorithm on all rows, and the final centers of the one that
    ends lowest are the start on all rows (LLOYD_RANK). None if the coarse summary has fewer than
    k distinct means or every start emptied a cluster."""
    levels = _summaries(prep)
    coarse, weights = levels.level(0)
    if kern.count_distinct_rows(coarse, k) < k:
        return None
    inits = _starts(coarse, weights, k, rng, dataclasses.replace(how, pc_start=False), {})
    if how.pc_start:  # the segmentation of the coarse summary itself, weighted as its means are
        inits = np.concatenate([inits, _segment_start(coarse, k, _coarse_cache(prep), weights)[None]])
    tot, finals = kern.hartigan_multistart(coarse, weights, inits, CORESET_MAX_PASS)
    for t in range(1, len(_summary_cells(prep.X.shape[0]))):
        means, sizes = levels.level(t)
        kept = np.ascontiguousarray(finals[_distinct(tot, finals, CORESET_FINE_KEEP)])
        tot, finals = kern.hartigan_multistart(means, sizes, kept, CORESET_MAX_PASS)
    return _lloyd_ranked(prep.X, _best_distinct(tot, finals, _refinements(prep.X.shape[0])))


def _lloyd_ranked(X: np.ndarray, starts: np.ndarray | None) -> np.ndarray | None:
    """Of several ``starts`` (s, k, p), the final centers (1, k, p) of the one whose Lloyd run on all
    rows ends with the smallest sum of squares (ties: the earliest); see LLOYD_RANK. One start, or
    none, is returned as it is, and so are the starts if every Lloyd run emptied a cluster."""
    if starts is None or starts.shape[0] == 1:
        return starts
    max_iter = min(LLOYD_RANK_MAX_ITER, max(1, LLOYD_RANK_ROW_PASSES // X.shape[0]))
    tot, finals = kern.lloyd_rank(X, starts, max_iter)
    if not np.isfinite(tot).any():
        return starts
    return finals[[int(np.argmin(tot))]]


def _best_distinct(tot: np.ndarray, finals: np.ndarray, keep: int) -> np.ndarray | None:
    """The final centers of the ``keep`` best distinct solutions (starts often end in the same
    one; each is kept once), best first; None if every start failed."""
    kept = _distinct(tot, finals, keep)
    return np.ascontiguousarray(finals[kept]) if kept else None


def _distinct(tot: np.ndarray, finals: np.ndarray, keep: int) -> list[int]:
    """The starts of the ``keep`` best distinct solutions, best first
    (:func:`tidyclust._kmeans_kernels.distinct_solutions`)."""
    return kern.distinct_solutions(tot, finals, keep)


def _warn(status: int, n: int, max_iter: int, stacklevel: int = 4) -> None:
    if status == kern.IFAULT_QTRAN:
        warnings.warn(
            f"kmeans: Quick-TRANSfer stage steps exceeded maximum (= {50 * n}); the fit may not be a "
            "local optimum (R warns the same); try more starts or scale=True",
            KMeansConvergenceWarning,
            stacklevel=stacklevel,
        )
    elif status == kern.IFAULT_MAXITER:
        warnings.warn(
            f"kmeans: did not converge in {max_iter} iterations; raise max_iter",
            KMeansConvergenceWarning,
            stacklevel=stacklevel,
        )


def _make_fit(prep: _Prepared, k: int, seed: int, how: _Search, res) -> KMeansFit:
    lab0, centers, sizes, withinss, it, status = res
    if prep.scale_ is not None:
        centers = centers * prep.scale_ + prep.center_
    tot_withinss = float(np.sum(withinss))
    labels = lab0  # a fresh array: made 1-based and read-only in place, not copied (large data)
    labels += 1
    labels.setflags(write=False)
    return KMeansFit(
        k=k,
        columns=prep.columns,
        labels=labels,
        centers=readonly(centers),
        sizes=readonly(sizes),
        withinss=readonly(withinss),
        totss=prep.totss,
        tot_withinss=tot_withinss,
        betweenss=prep.totss - tot_withinss,
        iter=it,
        converged=status == 0,
        nstart=how.nstart,
        seed=seed,
        algorithm=how.algorithm,
        scale=prep.scale_ is not None,
        center_=prep.center_,
        scale_=prep.scale_,
        init=how.init,
        pc_start=how.pc_start,
    )


def _starts(X, w, k, rng, how: _Search, cache: dict) -> np.ndarray:
    """(starts, k, p) initial centers: ``nstart`` random ones, then the segmentation start."""
    n = X.shape[0]
    pool = _pool(w, k, n)
    if how.init == "random":
        inits = X[_draw_starts(X, k, how.nstart, rng, pool)]
    else:
        trials = 2 + int(np.log(k))  # scikit-learn's number of local trials
        u_first = rng.random(how.nstart)
        u_cand = rng.random((how.nstart, k, trials))
        inits = kern.kmeanspp_starts(X, _UNWEIGHTED if w is None else w, pool, k, trials, u_first, u_cand)
    if how.pc_start:
        inits = np.concatenate([inits, _segment_start(X, k, cache)[None]])
    return inits


def _segment_start(X: np.ndarray, k: int, cache: dict, w: np.ndarray | None = None) -> np.ndarray:
    """k centers: the means of the best k contiguous runs of the rows ordered along the first
    principal axis (:func:`tidyclust._kmeans_kernels.segment_table`); with weights ``w`` (the
    summaries' group sizes) the axis, the sums of squares and the means are weighted. Above
    SEGMENT_MAX_ROWS rows the runs are found on evenly spaced rows of that order. The table is
    cached per data (in ``cache``), for the largest k asked so far; its rows for smaller k are the
    same whatever that largest k is."""
    with _CACHE_LOCK:
        return _segment_centers(X, k, cache, w)


def _coarse_cache(prep: _Prepared) -> dict:
    """The cache of the coarse summary's segmentation, beside the rows' own in ``prep.cache``."""
    return prep.cache.setdefault("coarse_segment", {})


def _segment_centers(X: np.ndarray, k: int, cache: dict, w: np.ndarray | None) -> np.ndarray:
    ww = _UNWEIGHTED if w is None else w
    if "order" not in cache:
        order = _principal_axis_order(X, w)
        step = -(-X.shape[0] // SEGMENT_MAX_ROWS)
        cache["order"] = order[step // 2 :: step] if step > 1 else order
    if cache.get("kmax", 0) < k:
        cache["table"] = kern.segment_table(X, cache["order"], k, ww)
        cache["kmax"] = k
    rows, B = cache["order"], cache["table"]
    if X.shape[1] > 1 or w is not None:  # unweighted, one column: numpy's pairwise mean, below
        return kern.segment_means(X, rows, B, k, ww)
    centers = np.empty((k, X.shape[1]))
    j = rows.shape[0]
    for q in range(k, 0, -1):
        i = B[q, j]
        centers[q - 1] = X[rows[i:j]].mean(axis=0)
        j = i
    return centers


def _principal_axis_order(X: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """The rows in order of their projection on the first principal axis (sign fixed; of the
    rows weighted by ``w`` if given), the data centred CENTER_BLOCK rows at a time rather than in
    an n x p copy."""
    mu = X.mean(axis=0) if w is None else (w @ X) / w.sum()
    blocks = [slice(a, a + CENTER_BLOCK) for a in range(0, X.shape[0], CENTER_BLOCK)]
    if w is None:
        cov = sum((Xc := X[b] - mu).T @ Xc for b in blocks)
    else:
        cov = sum(((Xc := X[b] - mu) * w[b, None]).T @ Xc for b in blocks)
    _, vecs = np.linalg.eigh(cov)
    v = vecs[:, -1] * np.sign(vecs[np.argmax(np.abs(vecs[:, -1])), -1])
    return np.argsort(np.concatenate([(X[b] - mu) @ v for b in blocks]), kind="stable")


def _relabel(lab0: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """0-based int32 labels numbered by first appearance, and ``perm`` (new label i was old
    ``perm[i]``). ``lab0`` is renumbered in place (callers pass a fresh array: no n-sized copy)."""
    lab0 = np.asarray(lab0, dtype=np.int32)
    return lab0, kern.relabel_first_appearance(lab0, k)


def _summarise(X, w, lab0, k, *, it, status):
    """Relabel by first appearance and compute centers, sizes and withinss in that order."""
    lab, _ = _relabel(lab0, k)
    sizes, _, centers, withinss, _ = kern.cluster_stats(X, lab, _UNWEIGHTED if w is None else w, k)
    return lab, centers, sizes, withinss, it, status


def _pool(w: np.ndarray | None, k: int, n: int) -> np.ndarray:
    """Rows a start may use: all, or those with positive weight."""
    if w is None:
        return np.arange(n)
    pool = np.flatnonzero(w > 0)
    if pool.shape[0] < k:
        raise ParameterError(f"k: {k} clusters but only {pool.shape[0]} rows have positive weight")
    return pool


def _run(X, w, inits, k, how: _Search):
    """Every start on all rows; the best, relabelled. None if every start failed."""
    if how.algorithm == "elkan":
        return _elkan(X, w, inits, how.max_iter)
    ww = w if w is not None else _UNWEIGHTED
    threads = _threads(X.shape[0] * k * inits.shape[0]) if how.split else 1
    lab0, C, wss, nc, it, status, best, *_ = kern.multistart(
        X, ww, inits, how.max_iter, how.algorithm == "lloyd", threads
    )
    if best < 0:
        return None
    lab, perm = _relabel(lab0, k)
    return lab, C[perm], nc[perm], wss[perm], int(it), int(status)


def _threads(work: int) -> int:
    """Threads for a multi-start job of ``work`` = rows x k x starts: one below PARALLEL_MIN_WORK."""
    return 1 if work < PARALLEL_MIN_WORK else max(1, os.cpu_count() or 1)


def _sample_inits(X, w, k, rng, how: _Search, sample_size: int):
    """Large-data search: all starts on ``sample_size`` random rows; the final centers of the best
    ``REFINE`` distinct sample solutions become the starts on all rows. None if the sample is too
    uniform."""
    idx = np.sort(rng.choice(X.shape[0], size=sample_size, replace=False))
    Xs = np.ascontiguousarray(X[idx])
    ws = None if w is None else np.ascontiguousarray(w[idx])
    pool = _pool(ws, 0, sample_size)
    if pool.shape[0] < k or kern.count_distinct_rows(Xs[pool], k) < k:
        return None
    inits = _starts(Xs, ws, k, rng, how, {})
    wws = ws if ws is not None else _UNWEIGHTED
    # The sample search runs the fit's own algorithm (Elkan's answer is Lloyd's, whose kernel is
    # faster here). Hartigan–Wong on the sample also settles faster than Lloyd once k exceeds the
    # data's natural clusters, where Lloyd creeps for hundreds of passes.
    lloyd = how.algorithm != "hartigan-wong"
    work = sample_size * k * inits.shape[0]
    threads = _threads(work) if how.split else 1
    *_, tot, finals = kern.multistart(Xs, wws, inits, how.max_iter, lloyd, threads)
    return _best_distinct(tot, finals, REFINE)


def _elkan(X, w, inits, max_iter):
    """scikit-learn's exact Elkan algorithm, one run per start; best by inertia (earliest on ties)."""
    from sklearn.cluster import KMeans

    best = None
    for s in range(inits.shape[0]):
        km = KMeans(inits.shape[1], init=inits[s], n_init=1, algorithm="elkan", max_iter=max_iter, tol=0.0)
        km.fit(X, sample_weight=w)
        if best is None or km.inertia_ < best.inertia_:
            best = km
    status = 0 if best.n_iter_ < max_iter else kern.IFAULT_MAXITER
    return _summarise(
        X, w, best.labels_.astype(np.int32), inits.shape[1], it=int(best.n_iter_), status=status
    )


def search_description(
    n: int,
    sample_size: int | Literal["auto", "summary"] | None = "auto",
    *,
    init: Init = "k-means++",
    weighted: bool = False,
) -> str:
    """How :func:`kmeans` searches its starts on ``n`` rows with these options, in words (for
    reports).

    Examples
    --------
    >>> search_description(286)
    'every start on every row'
    >>> search_description(100_000)
    'searched on summaries of the rows (1,024 / 2,048 / 8,192 group means), the best 2 compared on all rows'
    """
    how = _resolve(1, 0, None, "lloyd", sample_size, init, True)[0]
    w = np.ones(0) if weighted else None  # only whether there are weights matters here
    if _summary_search(how, n, w):
        cells = " / ".join(f"{c:,}" for c in _summary_cells(n))
        best = _refinements(n)
        return (
            f"searched on summaries of the rows ({cells} group means), the best {best} compared on all rows"
        )
    size = _sample_rows(how, n, w)
    if size is not None:
        return f"searched on {size:,} random rows, the best {REFINE} run on all rows"
    return "every start on every row"


def _resolve(nstart, seed, max_iter, algorithm, sample_size, init, pc_start) -> tuple[_Search, int]:
    nstart = check_int(nstart, "nstart", minimum=1, hint="; nstart is the number of random starts")
    if sample_size is not None and sample_size not in ("auto", "summary"):
        sample_size = check_int(
            sample_size, "sample_size", minimum=2, hint="; or 'auto', 'summary', or None to use every row"
        )
    if init not in INITS:
        raise ParameterError(
            f"init: {init!r} is not a k-means start; choose one of {', '.join(map(repr, INITS))}"
        )
    if sample_size == "summary" and init != "k-means++":
        raise ParameterError(
            f"sample_size: 'summary' draws k-means++ starts on the summaries, not init={init!r} "
            "(R's search on rows); use init='k-means++', or sample_size=None"
        )
    if not isinstance(pc_start, (bool, np.bool_)):
        raise ParameterError(f"pc_start: expected True or False, got {pc_start!r}")
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> 1)
    seed = check_int(seed, "seed", minimum=0)
    default = DEFAULT_MAX_ITER.get(algorithm, 10)
    max_iter = default if max_iter is None else check_int(max_iter, "max_iter", minimum=1)
    return _Search(nstart, algorithm, max_iter, init, bool(pc_start), sample_size), seed


def kmeans(
    data: pl.DataFrame,
    k: int,
    *,
    columns: Sequence[str] | None = None,
    nstart: int = 25,
    seed: int | None = None,
    algorithm: Algorithm = "hartigan-wong",
    max_iter: int | None = None,
    scale: bool = False,
    weights: Sequence[float] | np.ndarray | pl.Series | None = None,
    sample_size: int | Literal["auto", "summary"] | None = "auto",
    init: Init = "k-means++",
    pc_start: bool = True,
) -> KMeansFit:
    """k-means clustering as R's ``stats::kmeans``: the best local optimum over many starts.

    Parameters
    ----------
    data
        A polars DataFrame.
    k
        Number of clusters, 1 <= k <= number of distinct rows.
    columns
        Columns to cluster on; ``None`` = every numeric column.
    nstart
        Number of random starts (each: ``k`` distinct rows as initial centers, see ``init``); the
        best by ``tot_withinss`` is kept (with ``pc_start``, over ``nstart + 1`` starts).
    seed
        Seed of the :class:`numpy.random.Generator` that draws the starts. ``None`` draws a fresh
        seed, recorded in ``fit.seed``.
    algorithm
        ``"hartigan-wong"`` (R's default, AS 136), ``"lloyd"`` or ``"elkan"``.
    max_iter
        Iteration cap per start; ``None`` = 10 for Hartigan–Wong (R's ``iter.max``), 300 otherwise.
        If the best start hits it, a :class:`KMeansConvergenceWarning` is issued.
    scale
        Standardise the columns first as R's ``scale()`` (mean 0, sd with n - 1). ``centers`` are
        reported in the original units; the sums of squares are in standardised units.
    weights
        Optional non-negative weight per row (weighted k-means); only for ``"lloyd"`` and
        ``"elkan"`` — Hartigan–Wong, like R's, has none.
    sample_size
        Search strategy for large data: run the starts on a random sample of ``sample_size`` rows,
        then run the algorithm on all rows from the final centers of the best 2 distinct sample
        solutions, and keep the best. The result is a local optimum of all rows, but the start
        that would have won on all rows can be missed. ``"auto"`` (default): above 8,192 rows
        (k-means++ starts, no weights) the starts run on summaries of the rows, 1,024 then 2,048
        (and from 32,768 rows 8,192) group means weighted by their sizes, the best 8 distinct
        solutions run Lloyd's algorithm on all rows (fewer above 20,000 rows, at least 2), and
        the algorithm runs from the one that ends lowest (``CORESET_*``, ``LLOYD_RANK``);
        with weights or ``init="random"``, every row up to 20,000 rows, then a sample of 3 % of
        the rows, at least 10,000 and at most 30,000 (``AUTO_SAMPLE_*``); every row up to 8,192
        rows.
        ``"summary"``: the summary search at any size (every row up to 2,048 rows).
        ``None`` or ``sample_size >= n``: every start runs on all rows.
    init
        How the random starts are drawn: ``"k-means++"`` (default; greedy k-means++ as
        scikit-learn's) or ``"random"`` (``k`` distinct rows uniformly, as R's ``kmeans``).
    pc_start
        Add one deterministic start: the best split of the rows ordered along the first principal
        axis into ``k`` contiguous runs (module docs). ``False`` = only the random starts, as R.

    Returns
    -------
    KMeansFit
        Labels 1-based and numbered by first appearance in the data (row 1 is in cluster 1).

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"x": [0.0, 1.0, 10.0, 11.0], "y": [0.0, 0.0, 5.0, 5.0]})
    >>> fit = kmeans(df, 2, seed=42)
    >>> fit.labels.tolist(), fit.tot_withinss
    ([1, 1, 2, 2], 1.0)
    """
    how, seed = _resolve(nstart, seed, max_iter, algorithm, sample_size, init, pc_start)
    prep = _prepare(data, columns, scale, weights, algorithm)
    _check_summary(how, prep)
    k = _check_k(k, prep.X)
    return _fit_prepared(prep, k, seed, how)


def grid_seed(seed: int, k: int) -> int:
    """The seed :func:`kmeans_grid` uses for ``k``: ``SeedSequence(seed, spawn_key=(k,))``'s first
    64-bit word, shifted to 63 bits. It depends only on ``seed`` and ``k``, not on the rest of the grid."""
    state = np.random.SeedSequence(seed, spawn_key=(k,)).generate_state(1, np.uint64)[0]
    return int(state >> 1)


@dataclass(frozen=True, eq=False)
class KMeansGrid:
    """Fits for a range of k and their summary frame (see :func:`kmeans_grid`)."""

    frame: pl.DataFrame
    fits: dict[int, KMeansFit]
    columns: tuple[str, ...]
    k: tuple[int, ...]

    def fit(self, k: int) -> KMeansFit:
        """The fit for ``k``.

        Examples
        --------
        >>> import polars as pl
        >>> grid = kmeans_grid(pl.DataFrame({"x": [0.0, 1.0, 10.0, 11.0]}), k=[1, 2], seed=1)
        >>> grid.fit(2).k
        2
        """
        if k not in self.fits:
            raise ParameterError(f"k: {k!r} is not in the grid; fitted k are {', '.join(map(str, self.k))}")
        return self.fits[k]


def _silhouette_estimate(X: np.ndarray, lab: np.ndarray, seed: int) -> tuple[float, float, bool]:
    """(mean silhouette, its standard error, exact?): exact up to EXACT_SILHOUETTE_MAX_ROWS rows
    (standard error 0), else :func:`tidyclust.metrics.silhouette_sample`'s unbiased estimate."""
    n = X.shape[0]
    if n <= EXACT_SILHOUETTE_MAX_ROWS:
        return _silhouette_exact(X, lab), 0.0, True
    m = int(min(1_000, max(200, SILHOUETTE_SAMPLE_BUDGET // n)))
    return (*_silhouette_sample(X, lab, m, seed), False)


def _silhouette_exact(X: np.ndarray, lab: np.ndarray) -> float:
    """``tidyclust.metrics.mean_silhouette(X, lab)`` for k-means labels, the same numbers (widths
    from the same kernel, averaged in data order; the tests check equality) without the general
    function's validation, which costs more than the kernel on the lesson's 286 rows."""
    from tidyclust._silhouette_kernel import cluster_mean_distances

    XT, starts = kern.cluster_sorted_transpose(X, lab, int(lab.max()))
    # one thread: the grid scores several k side by side in its own threads
    a, b, _ = cluster_mean_distances(XT, starts, np.arange(lab.shape[0], dtype=np.int64), parallel=False)
    s_sorted = _widths(a, b, np.diff(starts).repeat(np.diff(starts)))
    s = np.empty_like(s_sorted)
    s[np.argsort(lab, kind="stable")] = s_sorted
    return float(s.mean())


def _widths(a: np.ndarray, b: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Silhouette widths from a(i), b(i) and the own cluster's size; 0 for singletons and when
    a == b, as cluster::silhouette (C sildist)."""
    defined = (size > 1) & (a != b)
    return np.divide(b - a, np.maximum(a, b), out=np.zeros_like(a), where=defined)


def _silhouette_sample(X: np.ndarray, lab: np.ndarray, m: int, seed: int) -> tuple[float, float]:
    """(estimate, standard error) as ``silhouette_sample(X, labels=lab, sample_size=m, seed=seed)``
    computes them (same sampled positions, same distance tiles, same formulas), for k-means labels
    (1..k, none empty, no noise), with the distances in single precision about each cluster's
    centroid (each sum within a relative (p + 12)·2**-24, so with 5 columns each width within
    about 2e-6: far below the estimate's standard error; the arithmetic bounds this step, and
    single precision does twice as much of it per instruction). The distance sums are formed a
    chunk of one cluster at a time
    (:func:`~tidyclust._silhouette_kernel.sampled_cluster_distance_sums`), so no n-sized copy is
    made: with a grid's labels and the data in memory, a sorted copy of all the data made the
    grid's peak three times the data's size."""
    from tidyclust._silhouette_kernel import sampled_cluster_distance_sums, sorted_positions_to_rows

    n, k = lab.shape[0], int(lab.max())
    # silhouette_sample draws positions in the rows' stable cluster-sorted order
    positions = np.sort(np.random.default_rng(seed).choice(n, size=min(m, n), replace=False))
    rows_ = sorted_positions_to_rows(lab, k, positions)
    sizes, sums = sampled_cluster_distance_sums(X, lab, k, rows_)
    own = lab[rows_] - 1
    rows = np.arange(positions.shape[0])
    own_size = sizes[own]
    a = np.divide(sums[rows, own], own_size - 1, out=np.zeros(rows.shape[0]), where=own_size > 1)
    means = sums / sizes
    means[rows, own] = np.inf
    b = means.min(axis=1)
    s = _widths(a, b, own_size)
    m = positions.shape[0]
    return float(s.mean()), float(s.std(ddof=1) / np.sqrt(m) * np.sqrt(1 - m / n))


def _silhouette(X: np.ndarray, lab: np.ndarray, seed: int) -> float:
    """The grid's mean silhouette alone (exact or estimated as :func:`_silhouette_estimate`)."""
    return _silhouette_estimate(X, lab, seed)[0]


def _grid_row(prep: _Prepared, fit: KMeansFit, kseed: int, seconds: float) -> dict[str, object]:
    kk, X = fit.k, prep.X
    row: dict[str, object] = {
        "k": kk, "totss": fit.totss, "tot_withinss": fit.tot_withinss, "betweenss": fit.betweenss,
        "iter": fit.iter, "silhouette": None, "silhouette_se": None, "silhouette_exact": None,
        "calinski_harabasz": None, "davies_bouldin": None, "seconds": seconds,
    }  # fmt: skip
    if 1 < kk < X.shape[0]:
        sil, se, exact = _silhouette_estimate(X, fit.labels, kseed)
        row.update(silhouette=sil, silhouette_se=se, silhouette_exact=exact, **_ch_db(X, fit.labels, kk))
    return row


GRID_SCHEMA = {
    "k": pl.Int32, "totss": pl.Float64, "tot_withinss": pl.Float64, "betweenss": pl.Float64,
    "iter": pl.Int32, "silhouette": pl.Float64, "silhouette_se": pl.Float64,
    "silhouette_exact": pl.Boolean, "calinski_harabasz": pl.Float64, "davies_bouldin": pl.Float64,
    "seconds": pl.Float64,
}  # fmt: skip


def _ch_db(X: np.ndarray, lab: np.ndarray, k: int) -> dict[str, float]:
    """Calinski–Harabasz and Davies–Bouldin indices, as ``sklearn.metrics.calinski_harabasz_score``
    and ``davies_bouldin_score`` compute them (the tests check equality), in one compiled call
    without their per-call validation overhead (~2 ms a k, more than the lesson-size fit itself)."""
    ch, db = kern.ch_db(X, lab - 1, k)
    return {"calinski_harabasz": float(ch), "davies_bouldin": float(db)}


def kmeans_grid(
    data: pl.DataFrame,
    k: Iterable[int] = range(1, 11),
    *,
    columns: Sequence[str] | None = None,
    nstart: int = 25,
    seed: int | None = None,
    algorithm: Algorithm = "hartigan-wong",
    max_iter: int | None = None,
    scale: bool = False,
    weights: Sequence[float] | np.ndarray | pl.Series | None = None,
    sample_size: int | Literal["auto", "summary"] | None = "auto",
    init: Init = "k-means++",
    pc_start: bool = True,
    progress: Callable[[int, int, int], None] | None = None,
) -> KMeansGrid:
    """Fit :func:`kmeans` for every ``k`` (the elbow / silhouette grid) on data validated once.

    Options are those of :func:`kmeans`. Each ``k`` gets its own seed, :func:`grid_seed`
    ``(seed, k)``, and the grid runs exactly the search :func:`kmeans` runs, so ``grid.fit(k)``
    equals ``kmeans(data, k, seed=grid_seed(seed, k), ...)`` whatever else is in the grid. The
    only work shared across k is the data's validation, the summaries of the rows (above 8,192
    rows) and the principal-axis segmentation table behind ``pc_start`` (computed once for the
    largest k; its rows for smaller k are those a single fit computes).

    The silhouette is exact (:func:`tidyclust.metrics.mean_silhouette`) up to
    ``EXACT_SILHOUETTE_MAX_ROWS`` (5,000) rows. Above that the exact value costs O(n²), so it is
    the unbiased estimate of :func:`tidyclust.metrics.silhouette_sample` from 2·10⁸ / n sampled
    rows (at least 200, at most 1,000; exact widths for the sampled rows), flagged by
    ``silhouette_exact = False`` with its standard error in ``silhouette_se``.

    Returns
    -------
    KMeansGrid
        ``.frame`` has one row per k: k, totss, tot_withinss, betweenss, iter, silhouette (mean
        silhouette width), silhouette_se (its standard error, 0 when exact), silhouette_exact,
        calinski_harabasz, davies_bouldin (the last five null for k = 1) and seconds (fit time);
        ``.fit(k)``, ``.fits``, ``.columns``, ``.k``. ``progress(done, total, k)`` is called after each k.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"x": [0.0, 1.0, 10.0, 11.0, 20.0, 21.0]})
    >>> kmeans_grid(df, k=[1, 2, 3], seed=1).frame["tot_withinss"].to_list()
    [401.5, 101.5, 1.5]
    """
    how, seed = _resolve(nstart, seed, max_iter, algorithm, sample_size, init, pc_start)
    if progress is not None and not callable(progress):
        raise ParameterError(f"progress: expected a callable progress(done, total, k), got {progress!r}")
    if isinstance(k, (int, np.integer)):
        k = [k]
    prep = _prepare(data, columns, scale, weights, algorithm)
    _check_summary(how, prep)
    ks = tuple(_check_k(kk, prep.X, "k") for kk in k)
    if not ks:
        raise ParameterError("k: the grid is empty; give at least one k, e.g. range(1, 11)")
    if len(set(ks)) != len(ks):
        raise ParameterError(f"k: the grid repeats a value ({', '.join(map(str, ks))}); give each k once")
    fits: dict[int, KMeansFit] = {}
    rows = []
    prelude = _grid_prelude(prep, max(ks), how)
    for done, (kk, fit, status, row) in enumerate(_grid_fits(prep, ks, seed, how, prelude), start=1):
        _warn(status, prep.X.shape[0], how.max_iter, stacklevel=3)
        fits[kk] = fit
        rows.append(row)
        if progress is not None:
            progress(done, len(ks), kk)
    return KMeansGrid(frame=pl.DataFrame(rows, schema=GRID_SCHEMA), fits=fits, columns=prep.columns, k=ks)


def _grid_prelude(prep: _Prepared, kmax: int, how: _Search) -> Callable[[], None]:
    """The work a grid shares between its k, done once: the coarse summary now (every k starts on
    it); and, in the returned call, which the grid makes as its threads start (while they draw
    their first starts), one segmentation table for every k (of the coarse summary, or of the
    rows), then the finer summaries. Each is otherwise made by the first k to need it, under a
    lock the others wait on. (Made before the threads started, the table and the finer summary
    left the second core idle for 2.2 of the 10,000-row grid's first 4.5 ms.)"""
    summaries = kmax > 1 and _summary_search(how, prep.X.shape[0], prep.w)
    if summaries:
        coarse, weights = _summaries(prep).level(0)

    def prelude() -> None:
        if summaries:
            if how.pc_start:
                _segment_start(coarse, kmax, _coarse_cache(prep), weights)
            _summaries(prep).level(len(_summary_cells(prep.X.shape[0])) - 1)
        elif how.pc_start and kmax > 1 and _sample_rows(how, prep.X.shape[0], prep.w) is None:
            _segment_start(prep.X, kmax, prep.cache)

    return prelude


def _grid_fits(prep: _Prepared, ks: tuple[int, ...], seed: int, how: _Search, prelude: Callable[[], None]):
    """Yield (k, fit, status, frame row) in the order of ``ks``, after ``prelude()`` (in this
    thread, as the pool's threads start: :func:`_grid_prelude`). Each k is fitted, then scored
    (silhouette, Calinski–Harabasz, Davies–Bouldin); on large enough data the fits and the scores
    run side by side in threads (their kernels release the GIL; each k has its own seed, so the
    answer does not depend on the threads, see :class:`_GridTasks`). Small grids run in this
    thread. A row's ``seconds`` is that k's own fit time, so with threads the seconds of different
    k overlap.

    This thread takes tasks too, alongside one pool thread per other core: it starts at once,
    while a pool thread that has slept can take milliseconds to wake (on the lesson's grid, a
    fifth of the whole call when only pool threads worked)."""

    def fit_one(kk: int, how: _Search) -> tuple[KMeansFit, int, float]:
        t0 = time.perf_counter()
        fit, status = _fit_quiet(prep, kk, grid_seed(seed, kk), how)
        return fit, status, time.perf_counter() - t0

    def score(fitted: tuple[KMeansFit, int, float]) -> tuple[KMeansFit, int, dict[str, object]]:
        fit, status, seconds = fitted
        return fit, status, _grid_row(prep, fit, fit.seed, seconds)

    threads = min(os.cpu_count() or 1, len(ks))
    if threads < 2 or prep.X.shape[0] * sum(ks) * (how.nstart + 1) < GRID_PARALLEL_MIN_WORK:
        prelude()
        for kk in ks:
            yield (kk, *score(fit_one(kk, how)))
        return
    inner = dataclasses.replace(how, split=False)  # the k already share the cores
    tasks = _GridTasks(ks, lambda kk: fit_one(kk, inner), score)
    for _ in range(threads - 1):
        shared_pool().submit(tasks.work)
    try:
        prelude()
        pending = iter(ks)
        kk = next(pending, None)
        while tasks.take():  # between its own tasks, hand over the k that are done, in order
            while kk is not None and tasks.results[kk].done():
                yield (kk, *tasks.results[kk].result())
                kk = next(pending, None)
        while kk is not None:
            yield (kk, *tasks.results[kk].result())
            kk = next(pending, None)
    finally:  # an error (or an abandoned generator) drops the tasks not yet started
        tasks.stop()


class _GridTasks:
    """The threaded grid's tasks: every k's fit, largest k first (the dearest: started first, the
    threads finish together), and each k's score once its fit is done. A thread takes a fit while
    any is left, then the ready score of the smallest k (the dearest: the silhouette's pruning
    skips fewer clusters when there are fewer), and waits only when every fit is taken and no
    fitted k is left to score. ``results[k]`` holds each k's (fit, status, row), or the error its
    fit or score raised.

    With each k's fit and score in one task, the 10,000-row grid's threads ended 8 ms apart, the
    k = 2 task (the dearest silhouette) last; scoring after the fits, the scores fill the gap while
    the other thread ends its fit (median of 5 alternating runs of 25 grids: 94.0 -> 92.0 ms).
    Scoring as soon as a fit is done when the other thread is fitting, so that two silhouettes
    rarely run side by side (each is 1.2 times slower then; next to a fit, 1.1), left the k = 2
    score alone at the end: 93.7 ms."""

    def __init__(self, ks: Sequence[int], fit: Callable, score: Callable) -> None:
        self._fit, self._score = fit, score
        self._fits = sorted(ks)  # popped from the end: largest k first
        self._fitted: dict[int, tuple] = {}
        self._ready: list[int] = []  # fitted k not yet scored
        self._running = 0  # fits taken and not finished
        self._stopped = False
        self._cond = threading.Condition()
        self.results: dict[int, Future] = {kk: Future() for kk in ks}

    def work(self) -> None:
        while self.take():
            pass

    def stop(self) -> None:
        """Start no more tasks (the ones running finish); results not started are cancelled."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        for future in self.results.values():
            future.cancel()

    def take(self) -> bool:
        """Run the next task; False when none is left (or the grid stopped)."""
        with self._cond:
            while True:
                if self._stopped:
                    return False
                if self._fits:  # a fit
                    kk, fitted = self._fits.pop(), None
                    self._running += 1
                    break
                if self._ready:  # a score
                    kk = min(self._ready)
                    self._ready.remove(kk)
                    fitted = self._fitted.pop(kk)
                    break
                if not self._running:
                    return False
                self._cond.wait()
        future = self.results[kk]
        try:
            if fitted is not None:
                future.set_result(self._score(fitted))
            elif future.set_running_or_notify_cancel():  # False: the grid stopped
                done = self._fit(kk)
                with self._cond:
                    self._fitted[kk] = done
                    self._ready.append(kk)
        except Exception as error:  # re-raised where the grid reads this k
            future.set_exception(error)
        except BaseException as error:  # KeyboardInterrupt: stop here, and leave no k unfinished
            future.set_exception(error)
            raise
        finally:
            if fitted is None:  # a fit ended (or failed): a thread waiting for it may go on
                with self._cond:
                    self._running -= 1
                    self._cond.notify_all()
        return True

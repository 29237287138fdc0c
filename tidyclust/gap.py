"""The gap statistic, as ``cluster::clusGap`` and ``cluster::maxSE`` (Tibshirani, Walther & Hastie 2001).

``gap_statistic`` mirrors R's ``clusGap`` line by line: W_k is half the sum over clusters of the
pairwise distances (to the power ``d_power``) divided by the cluster size; reference data sets are
uniform in the bounding box of the data (``"original"``) or of its principal components
(``"scaledPCA"``: centre, rotate by the SVD's V, draw uniformly in the rotated box, rotate back);
``SE_sim = sqrt(1 + 1/B) * sd(log W*_k)``. The reference sets come from numpy's generator, so
``E_logW`` agrees with R only statistically; ``logW`` for a given clustering agrees exactly.
"""

from __future__ import annotations

import multiprocessing
import warnings
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import polars as pl

from tidyclust._metric_inputs import check_matrix
from tidyclust._silhouette_kernel import within_cluster_distance_sums
from tidyclust._validate import check_int, numeric_matrix
from tidyclust.errors import ParameterError

__all__ = ["MAXSE_METHODS", "gap_statistic", "max_se"]

MAXSE_METHODS: tuple[str, ...] = ("firstSEmax", "Tibs2001SEmax", "globalSEmax", "firstmax", "globalmax")
SPACES: tuple[str, ...] = ("scaledPCA", "original")
ClusterFn = Callable[[np.ndarray, int, int], np.ndarray]


def within_dispersion(X: np.ndarray, labels: np.ndarray, d_power: float = 1.0) -> float:
    """clusGap's ``W.k``: 0.5 * sum over clusters of sum(dist(xs) ^ d_power) / n_k."""
    groups, codes = np.unique(labels, return_inverse=True)
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=groups.size)
    starts = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    sums = within_cluster_distance_sums(np.ascontiguousarray(X[order].T), starts, float(d_power))
    return 0.5 * float(np.sum(sums / counts))


def _kmeans_fn(columns: list[str], nstart: int) -> ClusterFn:
    """The default clustering: tidyclust's k-means (Hartigan–Wong, best of ``nstart``).

    The same fit as ``kmeans(pl.DataFrame(X, schema=columns), k, nstart=nstart, seed=seed)`` (the
    tests check equal labels), without its per-call frame and validation: clusGap calls it
    k_max - 1 times per data set, B + 1 data sets. The matrices here are finite float64 already,
    and the fits of one data set share its prepared matrix (the principal-axis order).
    """
    from tidyclust.model import _check_k, _fit_prepared, _Prepared, _resolve  # lazy: model imports metrics

    how, _ = _resolve(nstart, 0, None, "hartigan-wong", "auto", "k-means++", True)
    held: list = [None, None]  # the last matrix and its prepared form

    def cluster(X: np.ndarray, k: int, seed: int) -> np.ndarray:
        if held[0] is not X:
            M = np.ascontiguousarray(X, dtype=np.float64)
            held[:] = [
                X,
                _Prepared(X=M, columns=tuple(columns), center_=None, scale_=None, w=None, totss=0.0),
            ]
        prep = held[1]
        return _fit_prepared(prep, _check_k(k, prep.X), check_int(seed, "seed", minimum=0), how).labels

    return cluster


def _log_w(X: np.ndarray, k_max: int, cluster_fn: ClusterFn, seeds: np.ndarray, d_power: float) -> np.ndarray:
    """log W_k for k = 1..k_max; k = 1 is one cluster without calling ``cluster_fn`` (as R)."""
    out = np.empty(k_max)
    for k in range(1, k_max + 1):
        labels = np.ones(X.shape[0], dtype=np.int32) if k == 1 else _call(cluster_fn, X, k, int(seeds[k - 1]))
        out[k - 1] = np.log(within_dispersion(X, labels, d_power))
    return out


def _call(cluster_fn: ClusterFn, X: np.ndarray, k: int, seed: int) -> np.ndarray:
    labels = np.asarray(cluster_fn(X, k, seed))
    if labels.shape != (X.shape[0],):
        raise ParameterError(
            f"cluster_fn: returned labels of shape {labels.shape} for k={k}, expected ({X.shape[0]},); "
            "it must return one label per row"
        )
    return labels


def _reference_sampler(X: np.ndarray, spaceH0: str) -> Callable[[np.random.Generator], np.ndarray]:
    """A function drawing one reference data set, as clusGap's bootstrap loop."""
    n = X.shape[0]
    mean = X.mean(axis=0)
    xs = X - mean
    V = np.linalg.svd(xs, full_matrices=False)[2].T if spaceH0 == "scaledPCA" else None
    if V is not None:
        xs = xs @ V
    lo, hi = xs.min(axis=0), xs.max(axis=0)

    def draw(rng: np.random.Generator) -> np.ndarray:
        z1 = rng.uniform(lo, hi, size=(n, lo.size))
        return np.ascontiguousarray((z1 @ V.T if V is not None else z1) + mean)

    return draw


def _check_gap_args(k_max, B, spaceH0, d_power, n) -> tuple[int, int]:
    k_max = check_int(k_max, "k_max", minimum=2, hint="; the gap statistic compares k = 1..k_max")
    if k_max > n:
        raise ParameterError(f"k_max: must be at most the number of rows ({n}), got {k_max}")
    B = check_int(B, "B", minimum=1, hint="; B is the number of reference data sets (R uses 100)")
    if spaceH0 not in SPACES:
        raise ParameterError(f"spaceH0: must be one of {', '.join(map(repr, SPACES))}, got {spaceH0!r}")
    if isinstance(d_power, bool) or not isinstance(d_power, int | float) or not d_power > 0:
        raise ParameterError(f"d_power: must be a positive number (1 as R's default), got {d_power!r}")
    return k_max, B


def _reference_share(
    draw: Callable[[np.random.Generator], np.ndarray],
    rng: np.random.Generator,
    share: int,
    workers: int,
    k_max: int,
    cluster_fn: ClusterFn,
    seeds: np.ndarray,
    d_power: float,
) -> np.ndarray:
    """log W*_k of the reference sets b = share, share + workers, ... (NaN rows for the others).

    Every set is drawn, in order, whichever process clusters it, so set b is the same numbers
    for any number of workers (drawing costs little next to clustering).
    """
    out = np.full((seeds.shape[0], k_max), np.nan)
    for b in range(seeds.shape[0]):
        Z = draw(rng)
        if b % workers == share:
            out[b] = _log_w(Z, k_max, cluster_fn, seeds[b], d_power)
    return out


# The job of the forked workers (they inherit it; nothing but the results is pickled).
_SHARE_JOB: Callable[[int], np.ndarray] | None = None


def _forked_share(share: int) -> tuple[np.ndarray, list[tuple[str, type[Warning]]]]:
    with warnings.catch_warnings(record=True) as caught:
        out = _SHARE_JOB(share)
    return out, [(str(w.message), w.category) for w in caught]


def _reference_log_w(job: Callable[[int], np.ndarray], workers: int) -> np.ndarray:
    """Combine ``job(share)`` for every share: share 0 here, the others in forked processes."""
    global _SHARE_JOB
    _SHARE_JOB = job
    try:
        with multiprocessing.get_context("fork").Pool(workers - 1) as pool:
            pending = pool.map_async(_forked_share, range(1, workers), chunksize=1)
            parts = [job(0)]
            for out, caught in pending.get():
                parts.append(out)
                for message, category in caught:  # a child's warnings, raised where the caller can see them
                    warnings.warn(message, category, stacklevel=3)
    finally:
        _SHARE_JOB = None
    stacked = np.stack(parts)  # (workers, B, k_max): set b is row b of share b % workers
    rows = np.arange(stacked.shape[1])
    return stacked[rows % workers, rows]


def gap_statistic(
    data: pl.DataFrame | np.ndarray,
    *,
    k_max: int = 10,
    B: int = 100,
    columns: Sequence[str] | None = None,
    spaceH0: Literal["scaledPCA", "original"] = "scaledPCA",
    d_power: float = 1,
    seed: int | None = None,
    cluster_fn: ClusterFn | None = None,
    nstart: int = 25,
    workers: int = 1,
) -> pl.DataFrame:
    """Gap statistic for k = 1..k_max, as ``cluster::clusGap``.

    Parameters
    ----------
    data : polars DataFrame or (n, p) array
        The rows to cluster (use scaled columns if the clustering should see them scaled).
    k_max : int, default 10
        Largest k (``K.max``), at least 2.
    B : int, default 100
        Number of reference data sets, at least 1.
    columns : sequence of str, optional
        With a frame: the columns to use (``None`` = every numeric column).
    spaceH0 : {"scaledPCA", "original"}
        Reference distribution: uniform in the box of the principal components (R's default) or
        of the original columns.
    d_power : float, default 1
        Power of the distances in W_k (R's ``d.power``; 2 gives half the within sum of squares).
    seed : int, optional
        Seeds both the reference draws and the clusterings, so the frame is reproducible.
    cluster_fn : callable ``(X, k, seed) -> labels``, optional
        Clustering for k >= 2; default :func:`tidyclust.model.kmeans` with ``nstart`` starts.
    nstart : int, default 25
        Random starts of the default k-means.
    workers : int, default 1
        Processes clustering the reference sets (this one and ``workers - 1`` forked ones), for the
        default k-means where the platform forks; otherwise 1. The values do not depend on it.

    Returns
    -------
    polars.DataFrame
        ``k``, ``logW``, ``E_logW``, ``gap`` (= E_logW - logW), ``SE_sim``: clusGap's ``Tab``.
        Choose k with :func:`max_se` (``gap``, ``SE_sim``).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.r_[np.zeros((20, 2)), np.full((20, 2), 10.0)] + np.random.default_rng(0).normal(size=(40, 2))
    >>> halves = lambda X, k, seed: np.arange(X.shape[0]) * k // X.shape[0]
    >>> gap = gap_statistic(X, k_max=3, B=10, seed=1, cluster_fn=halves)
    >>> gap.columns
    ['k', 'logW', 'E_logW', 'gap', 'SE_sim']
    """
    if isinstance(data, pl.DataFrame):
        X, cols = numeric_matrix(data, columns)
    else:
        X = check_matrix(data, "data")
        cols = [f"x{j + 1}" for j in range(X.shape[1])]
    k_max, B = _check_gap_args(k_max, B, spaceH0, d_power, X.shape[0])
    workers = min(check_int(workers, "workers", minimum=1), B)
    default_fn = cluster_fn is None
    if default_fn:
        cluster_fn = _kmeans_fn(cols, check_int(nstart, "nstart", minimum=1))
    elif not callable(cluster_fn):
        raise ParameterError(f"cluster_fn: expected a function (X, k, seed) -> labels, got {cluster_fn!r}")
    draw_ss, clus_ss = np.random.SeedSequence(seed).spawn(2)
    seeds = np.random.default_rng(clus_ss).integers(0, 2**31 - 1, size=(B + 1, k_max))
    log_w = _log_w(X, k_max, cluster_fn, seeds[0], d_power)
    draw, rng = _reference_sampler(X, spaceH0), np.random.default_rng(draw_ss)
    if not default_fn or "fork" not in multiprocessing.get_all_start_methods():
        workers = 1  # a caller's function may use what a fork breaks (polars' or OpenMP's threads)

    def job(share: int) -> np.ndarray:
        return _reference_share(draw, rng, share, workers, k_max, cluster_fn, seeds[1:], d_power)

    log_wb = job(0) if workers == 1 else _reference_log_w(job, workers)
    e_log_w = log_wb.mean(axis=0)
    sd = log_wb.std(axis=0, ddof=1) if B > 1 else np.full(k_max, np.nan)
    return pl.DataFrame(
        {
            "k": pl.Series(np.arange(1, k_max + 1), dtype=pl.Int32),
            "logW": log_w,
            "E_logW": e_log_w,
            "gap": e_log_w - log_w,
            "SE_sim": np.sqrt(1 + 1 / B) * sd,
        }
    )


def _as_vector(values: object, arg: str) -> np.ndarray:
    v = values.to_numpy() if isinstance(values, pl.Series) else np.asarray(values, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    if v.ndim != 1 or v.size == 0 or not np.isfinite(v).all():
        raise ParameterError(f"{arg}: expected a non-empty vector of finite numbers, got {values!r}")
    return v


def _first(mask: np.ndarray, default: int) -> int:
    """1-based index of the first True (R's ``which(mask)[1]``), else ``default``."""
    return int(np.argmax(mask)) + 1 if mask.any() else default


def max_se(
    f: Sequence[float] | np.ndarray | pl.Series,
    SE_f: Sequence[float] | np.ndarray | pl.Series,
    method: Literal["firstSEmax", "Tibs2001SEmax", "globalSEmax", "firstmax", "globalmax"] = "firstSEmax",
    SE_factor: float = 1,
) -> int:
    """The k (1-based position) that ``cluster::maxSE`` picks from a gap curve.

    Parameters
    ----------
    f : vector of float
        The criterion, e.g. ``gap`` for k = 1..K.
    SE_f : vector of float
        Its standard errors (``SE_sim``), >= 0.
    method : str, default "firstSEmax"
        ``"firstSEmax"``: the smallest k whose f is within ``SE_factor`` SEs of the first local
        maximum; ``"Tibs2001SEmax"``: the smallest k with f(k) >= f(k+1) - SE(k+1) (Tibshirani et
        al. 2001); ``"globalSEmax"``: as firstSEmax but from the global maximum; ``"firstmax"``: the
        first local maximum; ``"globalmax"``: the global maximum.
    SE_factor : float, default 1
        Multiplier of the standard errors, >= 0.

    Examples
    --------
    >>> max_se([0.1, 0.5, 0.45, 0.7], [0.1, 0.1, 0.1, 0.1])
    2
    >>> max_se([0.1, 0.5, 0.45, 0.7], [0.1, 0.1, 0.1, 0.1], method="globalmax")
    4
    """
    f, se = _as_vector(f, "f"), _as_vector(SE_f, "SE_f")
    if method not in MAXSE_METHODS:
        valid = ", ".join(MAXSE_METHODS)
        raise ParameterError(f"method: {method!r} is not a maxSE method; use one of {valid}")
    if se.size != f.size:
        raise ParameterError(f"SE_f: has {se.size} values but f has {f.size}; give one SE per value of f")
    if (se < 0).any():
        raise ParameterError("SE_f: standard errors must be >= 0")
    if isinstance(SE_factor, bool) or not isinstance(SE_factor, int | float) or not SE_factor >= 0:
        raise ParameterError(f"SE_factor: must be a number >= 0, got {SE_factor!r}")
    K, fse = f.size, SE_factor * se
    if method == "globalmax":
        return int(np.argmax(f)) + 1
    if method == "Tibs2001SEmax":
        return _first(f[:-1] >= (f - fse)[1:], K)
    nc = _first(np.diff(f) <= 0, K) if method in ("firstmax", "firstSEmax") else int(np.argmax(f)) + 1
    if method == "firstmax":
        return nc
    return _first(f[: nc - 1] >= f[nc - 1] - fse[nc - 1], nc)

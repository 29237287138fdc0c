"""Numba kernel for exact Euclidean silhouette widths (Rousseeuw 1987, as ``cluster::silhouette``).

Memory stays O(n·p): rows are sorted by cluster so every cluster is one contiguous block of a
transposed (p × n) copy of the data, and for each row the distances to a block are formed a tile at a
time in a small buffer and summed. No n × n matrix is ever built. Rows are spread over threads with
``prange``; each thread owns its tile buffer.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = [
    "cluster_mean_distances",
    "sampled_cluster_distance_sums",
    "sorted_positions_to_rows",
    "within_cluster_distance_sums",
]

_TILE = 512
_ROWS_PER_TASK = 256
_PARALLEL_MIN_PAIRS = 4_000_000


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract", "nsz", "arcp"})
def _block_distance_sum(
    XT: np.ndarray, i: int, lo: int, hi: int, buf: np.ndarray, total: float = 0.0
) -> float:
    """``total`` plus the sum of Euclidean distances from sorted row ``i`` to sorted rows
    ``lo..hi-1``, a tile of _TILE rows at a time from ``lo`` (a block summed in chunks whose
    boundaries are multiples of _TILE from its first row, carrying ``total``, adds the same tiles
    in the same order as the block summed at once; with fastmath's reassociation each caller's
    compiled copy may still round a tile's sum differently, in the last bits)."""
    p = XT.shape[0]
    for start in range(lo, hi, _TILE):
        m = min(start + _TILE, hi) - start
        # Two features per pass over the buffer halves its loads and stores; the last pass is fused
        # with the square root and the sum.
        f = 2 if p >= 2 else 1
        r0 = XT[0, start : start + m]
        x0 = XT[0, i]
        if p >= 2:
            r1 = XT[1, start : start + m]
            x1 = XT[1, i]
            for j in range(m):
                d0 = r0[j] - x0
                d1 = r1[j] - x1
                buf[j] = d0 * d0 + d1 * d1
        else:
            for j in range(m):
                d0 = r0[j] - x0
                buf[j] = d0 * d0
        while f + 1 < p:
            ra = XT[f, start : start + m]
            rb = XT[f + 1, start : start + m]
            xa = XT[f, i]
            xb = XT[f + 1, i]
            for j in range(m):
                da = ra[j] - xa
                db = rb[j] - xb
                buf[j] += da * da + db * db
            f += 2
        if f < p:
            ra = XT[f, start : start + m]
            xa = XT[f, i]
            for j in range(m):
                da = ra[j] - xa
                total += np.sqrt(buf[j] + da * da)
        else:
            for j in range(m):
                total += np.sqrt(buf[j])
    return total


@njit(cache=True, nogil=True)
def _rows_kernel(XT, starts, rows, first, last, a, b, neighbor, buf) -> None:
    """Fill a, b, neighbor for ``rows[first:last]`` (one thread's share; ``buf``: _TILE floats, its
    own, passed in because an array allocated here compiles numba's np.empty for it)."""
    K = starts.shape[0] - 1
    for r in range(first, last):
        i = rows[r]
        own = 0
        while starts[own + 1] <= i:
            own += 1
        best = np.inf
        best_c = -1
        for c in range(K):
            lo = starts[c]
            hi = starts[c + 1]
            total = _block_distance_sum(XT, i, lo, hi, buf)
            if c == own:
                size = hi - lo
                a[r] = total / (size - 1) if size > 1 else 0.0
            else:
                mean = total / (hi - lo)
                if mean < best:
                    best = mean
                    best_c = c
        b[r] = best
        neighbor[r] = best_c


@njit(parallel=True, cache=True)
def _rows_parallel(XT, starts, rows, a, b, neighbor, bufs) -> None:
    n = rows.shape[0]
    n_tasks = bufs.shape[0]
    for task in prange(n_tasks):
        first = task * _ROWS_PER_TASK
        _rows_kernel(XT, starts, rows, first, min(first + _ROWS_PER_TASK, n), a, b, neighbor, bufs[task])


def cluster_mean_distances(
    XT: np.ndarray, starts: np.ndarray, rows: np.ndarray, *, parallel: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """a(i), b(i) and the neighbour code for the given rows of the cluster-sorted transposed data.

    Parameters
    ----------
    XT : (p, n) float64, C-contiguous; columns sorted so that cluster ``c`` occupies columns
        ``starts[c]:starts[c + 1]``.
    starts : (K + 1,) int64 block boundaries, K >= 2.
    rows : (m,) int64 sorted positions to compute (``arange(n)`` for every row; a subset for the
        sampled estimate). Distances are always taken against all n rows.

    Returns
    -------
    a, b : float64 (m,), mean distance to the own cluster (0 for a singleton) and the smallest mean
        distance to another cluster; neighbor : int64 (m,), the 0-based code attaining ``b`` (ties go
        to the smallest code, as ``cluster::silhouette``'s C code ``sildist``). ``parallel``: numba
        threads above a size (True) or this thread only, GIL released (False); the same sums.
    """
    m = rows.shape[0]
    a, b, neighbor = np.zeros(m), np.zeros(m), np.zeros(m, dtype=np.int64)
    # Small problems run on one thread: starting the thread pool costs more than it saves. So do
    # callers that already run several of these side by side (parallel=False: the k-grid's threads).
    if not parallel or m * XT.shape[1] < _PARALLEL_MIN_PAIRS:
        _rows_kernel(XT, starts, rows, 0, m, a, b, neighbor, np.empty(_TILE))
    else:
        _rows_parallel(
            XT, starts, rows, a, b, neighbor, np.empty(((m + _ROWS_PER_TASK - 1) // _ROWS_PER_TASK, _TILE))
        )
    return a, b, neighbor


@njit(cache=True)
def _pair_sums(XT, starts, power, first, last, per_row) -> None:
    """For rows first..last-1: sum of distance ** power to the later rows of the same cluster."""
    p = XT.shape[0]
    c = 0
    for i in range(first, last):
        while starts[c + 1] <= i:
            c += 1
        total = 0.0
        for j in range(i + 1, starts[c + 1]):
            d2 = 0.0
            for f in range(p):
                diff = XT[f, j] - XT[f, i]
                d2 += diff * diff
            total += np.sqrt(d2) if power == 1.0 else d2 ** (0.5 * power)
        per_row[i] = total


@njit(parallel=True, cache=True)
def _pair_sums_parallel(XT, starts, power, per_row) -> None:
    n = XT.shape[1]
    n_tasks = (n + _ROWS_PER_TASK - 1) // _ROWS_PER_TASK
    for task in prange(n_tasks):
        first = task * _ROWS_PER_TASK
        _pair_sums(XT, starts, power, first, min(first + _ROWS_PER_TASK, n), per_row)


def within_cluster_distance_sums(XT: np.ndarray, starts: np.ndarray, power: float) -> np.ndarray:
    """Per cluster, the sum over unordered pairs of its rows of ``distance ** power``.

    This is ``sum(dist(xs) ^ d.power)`` of ``cluster::clusGap``'s ``W.k``, without the distance matrix.
    """
    n = XT.shape[1]
    per_row = np.zeros(n)
    if n * n < _PARALLEL_MIN_PAIRS:
        _pair_sums(XT, starts, float(power), 0, n, per_row)
    else:
        _pair_sums_parallel(XT, starts, float(power), per_row)
    return np.add.reduceat(per_row, starts[:-1]) if n else np.zeros(starts.shape[0] - 1)


# Rows of one cluster copied at a time by sampled_cluster_distance_sums (a multiple of _TILE).
_GATHER_ROWS = 64 * _TILE


@njit(cache=True, nogil=True)
def _gather_chunk(X, labels, code, r, XT, cap):
    """Copy the next rows labelled ``code`` from data row ``r`` on, in data order, into the first
    columns of ``XT``, at most ``cap`` of them; (count copied, data row to resume from)."""
    n, p = X.shape
    size = 0
    while r < n and size < cap:
        if labels[r] == code:
            for f in range(p):
                XT[f, size] = X[r, f]
            size += 1
        r += 1
    return size, r


@njit(cache=True, nogil=True)
def _sampled_sums(X, labels, k, rows, XT, cap, sums) -> None:
    """sums[c, j]: the sum of distances from data row ``rows[j]`` to the rows labelled c + 1."""
    n, p = X.shape
    m = rows.shape[0]
    for j in range(m):  # the sampled rows sit after the chunk's columns
        for f in range(p):
            XT[f, cap + j] = X[rows[j], f]
    buf = np.empty(_TILE)
    for c in range(k):
        for j in range(m):
            sums[c, j] = 0.0
        r = 0
        while r < n:
            size, r = _gather_chunk(X, labels, c + 1, r, XT, cap)
            for j in range(m):
                sums[c, j] = _block_distance_sum(XT, cap + j, 0, size, buf, sums[c, j])


@njit(cache=True, nogil=True)
def sorted_positions_to_rows(labels, k, positions):
    """Data rows of ``positions`` (sorted, ascending) in the stable cluster-sorted order of the
    1-based ``labels`` (the order of ``np.argsort(labels, kind="stable")``), in one pass and
    without that n-sized order."""
    n = labels.shape[0]
    m = positions.shape[0]
    start = np.zeros(k + 2, np.int64)  # start[c]: first sorted position of cluster c
    for r in range(n):
        start[labels[r] + 1] += 1
    for c in range(1, k + 2):
        start[c] += start[c - 1]
    nxt = np.zeros(k + 1, np.int64)  # nxt[c]: index into positions of cluster c's next wanted one
    end = np.zeros(k + 1, np.int64)
    j = 0
    for c in range(1, k + 1):
        while j < m and positions[j] < start[c]:
            j += 1
        nxt[c] = j
    for c in range(1, k + 1):
        end[c] = nxt[c + 1] if c < k else m
    seen = np.zeros(k + 1, np.int64)
    rows = np.empty(m, np.int64)
    for r in range(n):
        c = labels[r]
        q = start[c] + seen[c]
        seen[c] += 1
        if nxt[c] < end[c] and positions[nxt[c]] == q:
            rows[nxt[c]] = r
            nxt[c] += 1
    return rows


def sampled_cluster_distance_sums(
    X: np.ndarray, labels: np.ndarray, k: int, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sizes of the k clusters and, for each sampled row, its sum of distances to every cluster.

    The same sums as :func:`cluster_mean_distances` forms for those rows (the same block kernel
    and tiles from each cluster's first row; equal up to the last bits), without sorting a transposed copy
    of all the data: each cluster is copied _GATHER_ROWS rows at a time into a small buffer, so the
    extra memory is O(p·(_GATHER_ROWS + m)) whatever n. One thread, releasing the GIL (the k-grid
    runs several k side by side).

    Parameters
    ----------
    X : (n, p) float64, C-contiguous.
    labels : (n,) int32 1-based cluster codes (k-means labels), each of 1..k present.
    rows : (m,) int64 data rows of the sampled points (any order).

    Returns
    -------
    sizes : (k,) int64; sums : (m, k) float64, column c for cluster c + 1.
    """
    m = rows.shape[0]
    sizes = np.bincount(labels, minlength=k + 1)[1:].astype(np.int64)
    cap = int(min(_GATHER_ROWS, sizes.max()))
    XT = np.empty((X.shape[1], cap + m))
    sums = np.empty((k, m))
    _sampled_sums(X, labels, k, rows.astype(np.int64), XT, cap, sums)
    return sizes, np.ascontiguousarray(sums.T)

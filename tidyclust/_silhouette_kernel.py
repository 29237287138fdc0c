"""Numba kernel for exact Euclidean silhouette widths (Rousseeuw 1987, as ``cluster::silhouette``).

Memory stays O(n·p): rows are sorted by cluster so every cluster is one contiguous block of a
transposed (p × n) copy of the data, and for each row the distances to a block are formed a tile at a
time in a small buffer and summed. No n × n matrix is ever built. Rows are spread over threads with
``prange``; each thread owns its tile buffer.

Clusters that cannot be a row's neighbour are not summed. By Jensen's inequality (the norm is convex)
the mean distance from x to a cluster is at least ``||x - mu||``, mu its centroid; so once a row has
a candidate b, a cluster whose centroid is farther than b (by more than the rounding margin of
:func:`_margins`) can neither be the neighbour nor tie with it. The sums that are formed are the
same calls over the same tiles as without the pruning, so every a, b and neighbour is unchanged.

The k-grid's sampled estimate (:func:`sampled_cluster_distance_sums`) forms its distances in single
precision, each cluster's about its own centroid, on rows divided by a power of two near the data's
diameter: each sum within a relative (p + 12)·2**-24 of the exact one (:func:`_single_rel`; 1e-6
with 5 columns, so widths within about 2e-6, far below the estimate's standard error), 1.4 times
as fast as double precision with single-precision square roots (within 2**-23). The exact
silhouette stays in double precision.
"""

from __future__ import annotations

import itertools

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
    XT: np.ndarray, i: int, lo: int, hi: int, buf: np.ndarray, total: float = 0.0, single: bool = False
) -> float:
    """``total`` plus the sum of Euclidean distances from sorted row ``i`` to sorted rows
    ``lo..hi-1``, a tile of _TILE rows at a time from ``lo`` (a block summed in chunks whose
    boundaries are multiples of _TILE from its first row, carrying ``total``, adds the same tiles
    in the same order as the block summed at once; with fastmath's reassociation each caller's
    compiled copy may still round a tile's sum differently, in the last bits).

    ``single`` (the sampled estimate: ``XT`` and ``buf`` in single precision, rows scaled by
    :func:`_unit` and centred on the summed cluster's centroid): the square roots are taken in
    single precision too (each value converted to double before it is added to the total), so
    all the arithmetic per pair is single precision, eight pairs to a vector register; the error
    is bounded by :func:`_single_rel`. Otherwise everything is double precision."""
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
            if single:
                for j in range(m):
                    da = ra[j] - xa
                    total += np.float64(np.sqrt(np.float32(buf[j] + da * da)))
            else:
                for j in range(m):
                    da = ra[j] - xa
                    total += np.sqrt(buf[j] + da * da)
        elif single:
            for j in range(m):
                total += np.float64(np.sqrt(np.float32(buf[j])))
        else:
            for j in range(m):
                total += np.sqrt(buf[j])
    return total


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract", "nsz", "arcp"})
def _block_distance_sums4(XT, rows, lo, hi, buf, totals):
    """:func:`_block_distance_sum` with ``single=True`` for four sorted rows at once (``rows[:4]``,
    each sum carried in ``totals[:4]``; ``buf``: 4 x _TILE floats): the same tiles and the same
    formulas per row, with each tile's columns loaded once for the four rows (the loads, not the
    arithmetic, bound the one-row loop). The sampled estimate's rows go four at a time."""
    p = XT.shape[0]
    i0, i1, i2, i3 = rows[0], rows[1], rows[2], rows[3]
    b0, b1, b2, b3 = buf[0], buf[1], buf[2], buf[3]
    t0, t1, t2, t3 = totals[0], totals[1], totals[2], totals[3]
    for start in range(lo, hi, _TILE):
        m = min(start + _TILE, hi) - start
        f = 0
        first = True
        while f + 1 < p:
            ra = XT[f, start : start + m]
            rb = XT[f + 1, start : start + m]
            a0, a1, a2, a3 = XT[f, i0], XT[f, i1], XT[f, i2], XT[f, i3]
            c0, c1, c2, c3 = XT[f + 1, i0], XT[f + 1, i1], XT[f + 1, i2], XT[f + 1, i3]
            if first:
                for j in range(m):
                    u, v = ra[j], rb[j]
                    b0[j] = (u - a0) * (u - a0) + (v - c0) * (v - c0)
                    b1[j] = (u - a1) * (u - a1) + (v - c1) * (v - c1)
                    b2[j] = (u - a2) * (u - a2) + (v - c2) * (v - c2)
                    b3[j] = (u - a3) * (u - a3) + (v - c3) * (v - c3)
            else:
                for j in range(m):
                    u, v = ra[j], rb[j]
                    b0[j] += (u - a0) * (u - a0) + (v - c0) * (v - c0)
                    b1[j] += (u - a1) * (u - a1) + (v - c1) * (v - c1)
                    b2[j] += (u - a2) * (u - a2) + (v - c2) * (v - c2)
                    b3[j] += (u - a3) * (u - a3) + (v - c3) * (v - c3)
            first = False
            f += 2
        if f < p:
            ra = XT[f, start : start + m]
            a0, a1, a2, a3 = XT[f, i0], XT[f, i1], XT[f, i2], XT[f, i3]
            if first:
                for j in range(m):
                    u = ra[j]
                    t0 += np.float64(np.sqrt(np.float32((u - a0) * (u - a0))))
                    t1 += np.float64(np.sqrt(np.float32((u - a1) * (u - a1))))
                    t2 += np.float64(np.sqrt(np.float32((u - a2) * (u - a2))))
                    t3 += np.float64(np.sqrt(np.float32((u - a3) * (u - a3))))
            else:
                for j in range(m):
                    u = ra[j]
                    t0 += np.float64(np.sqrt(np.float32(b0[j] + (u - a0) * (u - a0))))
                    t1 += np.float64(np.sqrt(np.float32(b1[j] + (u - a1) * (u - a1))))
                    t2 += np.float64(np.sqrt(np.float32(b2[j] + (u - a2) * (u - a2))))
                    t3 += np.float64(np.sqrt(np.float32(b3[j] + (u - a3) * (u - a3))))
        else:
            for j in range(m):
                t0 += np.float64(np.sqrt(np.float32(b0[j])))
                t1 += np.float64(np.sqrt(np.float32(b1[j])))
                t2 += np.float64(np.sqrt(np.float32(b2[j])))
                t3 += np.float64(np.sqrt(np.float32(b3[j])))
    totals[0], totals[1], totals[2], totals[3] = t0, t1, t2, t3


def _margins(n: int, peak: np.ndarray) -> tuple[float, float]:
    """(rel, tol) for the pruning test ``bound > best * (1 + rel) + tol``: wide enough that rounding
    never skips a cluster whose computed mean could be the minimum or tie with it.

    A computed mean is at least (1 - (n + p + 4)·eps) times the exact one: each distance is within
    about (p + 3) ulps, and a sum of at most n non-negative terms in any order (fastmath
    reassociates) within n ulps; ``rel`` is that plus 1e-9 to spare (which also covers the bound's
    own few ulps). A centroid summed over at most n rows is off by at most n·eps·peak[f] in feature
    f (``peak``: each feature's largest magnitude), which moves the bound by at most
    n·eps·||peak||; ``tol`` is twice that. It is absolute, so it matters for data far from the
    origin and where b = 0 (duplicate points)."""
    p = peak.shape[0]
    eps = np.finfo(np.float64).eps
    tol = 2.0 * n * eps * float(np.linalg.norm(peak))
    # NaN data: no pruning (a NaN tol would end every row's search after one cluster)
    return 1e-9 + (n + p + 4) * eps, np.inf if np.isnan(tol) else tol


def _single_rel(p: int) -> float:
    """A bound on the relative error of each of the sampled estimate's sums (single precision
    about the summed cluster's centroid c, see :func:`sampled_cluster_distance_sums`), which
    widens its pruning margin.

    Each coordinate, stored relative to c in single precision, is off by at most 2**-24 of its
    value, so the difference of two stored rows x and y by at most 2**-24 (||x - c|| + ||y - c||)
    in norm; the squares, their sum over the p features and the square root add at most
    (p/2 + 2)·2**-24 of the distance. Summed over the cluster's rows, n||x - c|| is at most the
    sum S of the distances (Jensen: the mean distance is at least the distance to the mean) and
    the sum of the ||y - c|| at most 2 S, so the sum is within (p/2 + 5)·2**-24 of S; the sums of
    the distances, in double precision, add a negligible n·2**-53. This is twice that, plus
    2**-23 to spare."""
    return (p + 12) * 2.0**-24


def _unit(span: np.ndarray, peak: np.ndarray) -> float:
    """A power of two near the diameter of the data's bounding box: the unit the sampled sums are
    formed in (the rows are divided by it as they are copied, then centred on a cluster's
    centroid), so that coordinates are at most about 2 and single precision neither overflows
    nor flushes to zero; a power of two, so dividing by it
    and converting back are exact. 0.0, meaning sums in double precision and in the data's units,
    when the rows are all equal or not finite, or so far from the origin for their spread that
    the scaled values would overflow (``span``: each feature's range, max - min, NaN for a feature
    with a value that is not finite, or zeros for no rows; ``peak``: each feature's largest
    magnitude; both from :func:`_label_sums`)."""
    diameter = float(np.linalg.norm(span))
    if not (np.isfinite(diameter) and diameter > 2.0**-1000):
        return 0.0
    unit = float(2.0 ** np.floor(np.log2(diameter)))
    return unit if float(np.linalg.norm(peak)) / unit < 2.0**1000 else 0.0


@njit(cache=True, nogil=True)
def _centroid_distance(XT, col, centroids, c) -> float:
    """||XT[:, col] - centroids[c]||: a lower bound on the mean distance from that point to cluster
    c's rows. NaN (a centroid of NaN data) is read as 0, a bound that prunes nothing."""
    d2 = 0.0
    for f in range(XT.shape[0]):
        diff = XT[f, col] - centroids[c, f]
        d2 += diff * diff
    d = np.sqrt(d2)
    return d if d >= 0.0 else 0.0


@njit(cache=True, nogil=True)
def _sift_down(key, code, i, h) -> None:
    """Restore the min-heap order of ``key[:h]`` below position i (``code`` moves along)."""
    while True:
        child = 2 * i + 1
        if child >= h:
            return
        if child + 1 < h and key[child + 1] < key[child]:
            child += 1
        if key[i] <= key[child]:
            return
        key[i], key[child] = key[child], key[i]
        code[i], code[child] = code[child], code[i]
        i = child


@njit(cache=True, nogil=True)
def _rows_kernel(XT, starts, centroids, rel, tol, rows, first, last, a, b, neighbor, buf, key, code) -> int:
    """Fill a, b, neighbor for ``rows[first:last]`` (one thread's share); the number of (row,
    cluster) distance sums formed. The own cluster is always summed; the others are visited in
    increasing centroid distance (a min-heap in ``key``/``code``, K entries) until that distance,
    a lower bound on their mean, exceeds the best mean so far plus the margin (``rel``, ``tol``:
    :func:`_margins`). Buffers (``buf``: _TILE floats) are the caller's: an array allocated here
    compiles numba's np.empty for it."""
    K = starts.shape[0] - 1
    n_sums = 0
    for r in range(first, last):
        i = rows[r]
        own = 0
        while starts[own + 1] <= i:
            own += 1
        size = starts[own + 1] - starts[own]
        total = _block_distance_sum(XT, i, starts[own], starts[own + 1], buf)
        a[r] = total / (size - 1) if size > 1 else 0.0
        n_sums += 1
        h = np.int64(0)  # typed, as the 0 below: one compiled _sift_down, not one per literal
        for c in range(K):
            if c != own:
                key[h] = _centroid_distance(XT, i, centroids, c)
                code[h] = c
                h += 1
        for j in range(h // 2 - 1, -1, -1):
            _sift_down(key, code, j, h)
        best = np.inf
        best_c = -1
        limit = np.inf
        while h > 0 and key[0] <= limit:
            c = code[0]
            h -= 1
            key[0], code[0] = key[h], code[h]
            _sift_down(key, code, np.int64(0), h)
            lo = starts[c]
            hi = starts[c + 1]
            mean = _block_distance_sum(XT, i, lo, hi, buf) / (hi - lo)
            n_sums += 1
            if mean < best or (mean == best and c < best_c):  # ties: the smallest code
                best = mean
                best_c = c
                limit = best * (1.0 + rel) + tol
        b[r] = best
        neighbor[r] = best_c
    return n_sums


@njit(parallel=True, cache=True)
def _rows_parallel(XT, starts, centroids, rel, tol, rows, a, b, neighbor, bufs, keys, codes) -> int:
    n = rows.shape[0]
    n_tasks = bufs.shape[0]
    n_sums = 0
    for task in prange(n_tasks):
        first = task * _ROWS_PER_TASK
        last = min(first + _ROWS_PER_TASK, n)
        n_sums += _rows_kernel(
            XT, starts, centroids, rel, tol, rows, first, last, a, b, neighbor,
            bufs[task], keys[task], codes[task],
        )  # fmt: skip
    return n_sums


def _cluster_mean_distances(
    XT: np.ndarray, starts: np.ndarray, rows: np.ndarray, parallel: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """:func:`cluster_mean_distances` and the number of (row, cluster) distance sums it formed."""
    m = rows.shape[0]
    K = starts.shape[0] - 1
    a, b, neighbor = np.zeros(m), np.zeros(m), np.zeros(m, dtype=np.int64)
    sizes = np.diff(starts)
    centroids = np.array([XT[:, lo:hi].sum(axis=1) for lo, hi in itertools.pairwise(starts)]) / sizes[:, None]
    rel, tol = _margins(XT.shape[1], np.maximum(XT.max(axis=1), -XT.min(axis=1)))
    # Small problems run on one thread: starting the thread pool costs more than it saves. So do
    # callers that already run several of these side by side (parallel=False: the k-grid's threads).
    if not parallel or m * XT.shape[1] < _PARALLEL_MIN_PAIRS:
        n_sums = _rows_kernel(
            XT, starts, centroids, rel, tol, rows, 0, m, a, b, neighbor, np.empty(_TILE), np.empty(K),
            np.empty(K, np.int64),
        )  # fmt: skip
    else:
        n_tasks = (m + _ROWS_PER_TASK - 1) // _ROWS_PER_TASK
        n_sums = _rows_parallel(
            XT, starts, centroids, rel, tol, rows, a, b, neighbor, np.empty((n_tasks, _TILE)),
            np.empty((n_tasks, K)), np.empty((n_tasks, K), np.int64),
        )  # fmt: skip
    return a, b, neighbor, int(n_sums)


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
    return _cluster_mean_distances(XT, starts, rows, parallel)[:3]


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


# Rows of one cluster copied at a time by sampled_cluster_distance_sums (a multiple of _TILE):
# 0.3 MB a thread with 5 features (32,768 rows, 1.3 MB, were no faster at 10,000 to 100,000 rows).
_GATHER_ROWS = 16 * _TILE


@njit(cache=True, nogil=True)
def _gather_chunk(X, labels, code, r, XT, cap, inv, shift):
    """Copy the next rows labelled ``code`` from data row ``r`` on, in data order, times ``inv``
    and less ``shift`` (p), into the first columns of ``XT`` (in its precision), at most ``cap``
    of them; (count copied, data row to resume from)."""
    n, p = X.shape
    size = 0
    while r < n and size < cap:
        if labels[r] == code:
            for f in range(p):
                XT[f, size] = X[r, f] * inv - shift[f]
            size += 1
        r += 1
    return size, r


@njit(cache=True, nogil=True)
def _label_sums(X, labels, out, peak, span) -> None:
    """Add each row of ``X`` to ``out[c]``, c + 1 its label (``out``: (k, p) zeros); set ``peak[f]``
    to the largest magnitude of feature f (``peak``: p zeros) and ``span[f]`` to its range, max -
    min, NaN if one of its values is not finite (``span``: p zeros; zeros for no rows). In one
    pass: numpy's max and min down the columns of the rows took 0.4 ms on 10,000 x 5, more than
    this whole pass."""
    n, p = X.shape
    if n == 0:
        return
    lo, hi = X[0].copy(), X[0].copy()
    for r in range(n):
        c = labels[r] - 1
        for f in range(p):
            v = X[r, f]
            out[c, f] += v
            peak[f] = max(peak[f], abs(v))
            lo[f] = min(lo[f], v)
            hi[f] = max(hi[f], v)
            span[f] += v * 0.0  # 0, or NaN from a value that is not finite
    for f in range(p):
        span[f] += hi[f] - lo[f]


@njit(cache=True, nogil=True)
def _sums_to_cluster(X, labels, c, XT, XS, shift, cap, active, n_active, buf, sums, inv, single) -> None:
    """sums[c, j] for the sampled rows j in ``active[:n_active]`` (coordinates in XS[:, j]): the
    sum of distances to the rows labelled c + 1, all taken relative to ``shift[c]`` (that
    cluster's scaled centroid, or zeros) and times ``inv``: the sampled rows go to XT[:, cap + j]
    and the cluster's rows are gathered ``cap`` at a time into the first columns of XT, each
    chunk's tiles added to the running sum."""
    if n_active == 0:
        return
    p = XS.shape[0]
    for t in range(n_active):
        j = active[t]
        sums[c, j] = 0.0
        for f in range(p):
            XT[f, cap + j] = XS[f, j] - shift[c, f]
    n = X.shape[0]
    r = 0
    quad = np.empty(4, np.int64)
    totals = np.empty(4)
    while r < n:
        size, r = _gather_chunk(X, labels, c + 1, r, XT, cap, inv, shift[c])
        t = 0
        if single:  # four rows at a time (see _block_distance_sums4)
            while t + 4 <= n_active:
                for q in range(4):
                    quad[q] = cap + active[t + q]
                    totals[q] = sums[c, active[t + q]]
                _block_distance_sums4(XT, quad, 0, size, buf, totals)
                for q in range(4):
                    sums[c, active[t + q]] = totals[q]
                t += 4
        for u in range(t, n_active):
            j = active[u]
            sums[c, j] = _block_distance_sum(XT, cap + j, 0, size, buf[0], sums[c, j], single)


@njit(cache=True, nogil=True)
def _sampled_sums(
    X,
    labels,
    k,
    rows,
    centroids,
    shift,
    sizes,
    rel,
    tol,
    XT,
    XS,
    cap,
    sums,
    buf,
    nearest,
    best,
    active,
    inv,
    single,
) -> None:
    """sums[c, j]: the sum of distances from data row ``rows[j]`` to the rows labelled c + 1, left
    as +inf where cluster c cannot be the row's neighbour. A first pass over the clusters sums each
    row's own cluster and the cluster of its nearest other centroid (so ``best[j]``, an upper bound
    on b); a second sums each remaining cluster for the rows whose centroid distance, a lower bound
    on that mean, is within ``best * (1 + rel) + tol`` (:func:`_margins`), lowering ``best`` as it
    goes. ``centroids`` are the clusters' centroids times ``inv``; ``shift`` is the origin each
    cluster's distances are formed about (:func:`_sums_to_cluster`). Buffers (``buf``: 4 x _TILE;
    ``XS``: p x m; ``nearest``, ``best``, ``active``: m) are the caller's."""  # fmt: skip
    p = X.shape[1]
    m = rows.shape[0]
    for j in range(m):  # the sampled rows, scaled, in double precision
        for f in range(p):
            XS[f, j] = X[rows[j], f] * inv
        own = labels[rows[j]] - 1
        nearest[j] = -1
        nearest_d = np.inf
        for c in range(k):
            if c != own:
                d = _centroid_distance(XS, j, centroids, c)
                if nearest[j] < 0 or d < nearest_d:
                    nearest[j] = c
                    nearest_d = d
    for c in range(k):
        n_active = 0
        for j in range(m):
            if labels[rows[j]] - 1 == c or nearest[j] == c:
                active[n_active] = j
                n_active += 1
        _sums_to_cluster(X, labels, c, XT, XS, shift, cap, active, n_active, buf, sums, inv, single)
    for j in range(m):
        best[j] = sums[nearest[j], j] / sizes[nearest[j]] if nearest[j] >= 0 else np.inf
    for c in range(k):
        n_active = 0
        for j in range(m):
            if c == labels[rows[j]] - 1 or c == nearest[j]:
                continue  # summed in the first pass
            if _centroid_distance(XS, j, centroids, c) <= best[j] * (1.0 + rel) + tol:
                active[n_active] = j
                n_active += 1
        _sums_to_cluster(X, labels, c, XT, XS, shift, cap, active, n_active, buf, sums, inv, single)
        for t in range(n_active):
            j = active[t]
            best[j] = min(best[j], sums[c, j] / sizes[c])


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
    """Sizes of the k clusters and, for each sampled row, its sum of distances to its own cluster
    and to every cluster that could be its neighbour.

    The sums :func:`cluster_mean_distances` forms for those rows (the same tiles from each
    cluster's first row), in single precision about each cluster's centroid (each sum within a
    relative :func:`_single_rel` of the exact one, at any scale and offset of the data:
    :func:`_unit`; double precision where the data cannot be scaled), and without sorting a
    transposed copy of all the data: each cluster is copied _GATHER_ROWS rows at
    a time into a small buffer, so the extra memory is O(p·(_GATHER_ROWS + m)) whatever n. One
    thread, releasing the GIL (the k-grid runs several k side by side).

    Parameters
    ----------
    X : (n, p) float64, C-contiguous.
    labels : (n,) int32 1-based cluster codes (k-means labels), each of 1..k present.
    rows : (m,) int64 data rows of the sampled points (any order).

    Returns
    -------
    sizes : (k,) int64; sums : (m, k) float64, column c for cluster c + 1; +inf where the
        centroid bound shows that cluster cannot be the row's neighbour (so ``(sums / sizes)``
        without the own column still has the row's b as its minimum).
    """
    m, p = rows.shape[0], X.shape[1]
    sizes = np.bincount(labels, minlength=k + 1)[1:].astype(np.int64)
    centroids, peak, span = np.zeros((k, p)), np.zeros(p), np.zeros(p)
    _label_sums(X, labels, centroids, peak, span)
    centroids /= sizes[:, None]
    rel, tol = _margins(X.shape[0], peak)
    # Single precision about each cluster's centroid, in a power-of-two unit (exact scaling): see
    # _unit and _single_rel.
    unit = _unit(span, peak)
    single = unit > 0.0
    inv = 1.0 / unit if single else 1.0
    scaled = centroids * inv
    cap = int(min(_GATHER_ROWS, sizes.max()))
    dtype = np.float32 if single else np.float64
    sums = np.full((k, m), np.inf)
    shift = scaled if single else np.zeros((k, p))  # where the distances are formed about
    rel += _single_rel(p) if single else 0.0
    _sampled_sums(
        X, labels, k, rows.astype(np.int64), scaled, shift, sizes, rel, tol * inv,
        np.empty((p, cap + m), dtype), np.empty((p, m)), cap, sums, np.empty((4, _TILE), dtype),
        np.empty(m, np.int64), np.empty(m), np.empty(m, np.int64), inv, single,
    )  # fmt: skip
    if single:
        sums *= unit
    return sizes, np.ascontiguousarray(sums.T)

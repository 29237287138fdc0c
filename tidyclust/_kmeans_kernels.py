"""Compiled k-means kernels (numba): Hartigan–Wong (AS 136, as in R's ``stats::kmeans``) and Lloyd.

Private module; :mod:`tidyclust.model` is the public face. Everything here works on 0-based
labels and a C-contiguous float64 matrix ``X`` (n x p) that has already been validated.

The Hartigan–Wong kernel is a line-by-line translation of R's ``src/library/stats/src/kmns.f``
(Hartigan & Wong 1979, Applied Statistics algorithm AS 136, as modified by B. D. Ripley and
M. Maechler): the same optimal-transfer (``OPTRA``) and quick-transfer (``QTRAN``) stages, the same
live set, the same early exits in the distance loops and the same order of floating-point
operations, so that from the same initial centers it reproduces R's clustering, ``withinss`` and
``iter``. ``fastmath`` is off on purpose: reassociating the sums would break that parity.

The multi-start driver runs a block of starts inside one compiled call that releases the GIL, so
large jobs can split their starts between Python threads; the best overall is the one with the
smallest total within-cluster sum of squares, ties going to the earliest start, so the answer does
not depend on the number of threads. There is deliberately no ``parallel=True`` (numba's threading
layer compiles slowly and stalls when other processes load the machine).

The summary search (:mod:`tidyclust.model`) runs :func:`hartigan_multistart` (Hartigan's
single-row moves, on weighted group means) and :func:`lloyd_rank` (Lloyd's algorithm with
Hamerly's bounds, on all rows) before the fit's own algorithm.

Starts: :func:`kmeanspp_starts` is greedy k-means++ (Arthur & Vassilvitskii 2007, as scikit-learn's
``kmeans_plusplus``) and :func:`segment_table` the dynamic programme behind the one deterministic
start (optimal contiguous segmentation of the rows ordered along the first principal axis, Bellman
1961; the divide-and-conquer speed-up of Wang & Song 2011's Ckmeans.1d.dp).
"""

from __future__ import annotations

import numpy as np
from numba import njit

# kmns.f: ``DATA BIG /1.E30/`` is a single-precision literal stored in a double.
BIG = float(np.float32(1e30))
_NO_WEIGHTS = np.empty(0)  # "every row weighs 1" (see _weight)

# hartigan_multistart: at most this many quick passes after each full pass (each quick move lowers
# the sum of squares, so they end; the cap only bounds a run of moves that rounding could prolong).
QUICK_MAX_PASS = 1000

# ifault codes of kmns.f
IFAULT_OK, IFAULT_EMPTY, IFAULT_MAXITER, IFAULT_QTRAN = 0, 1, 2, 4


@njit(cache=True, inline="always", error_model="numpy")
def _weight(w, i):
    """Row weight; an empty ``w`` means every row weighs 1 (saves an n-vector of ones)."""
    return 1.0 if w.shape[0] == 0 else w[i]


@njit(cache=True, inline="always", error_model="numpy")
def _sqdist(X, i, C, cl, p):
    s = 0.0
    for j in range(p):
        t = X[i, j] - C[cl, j]
        s += t * t
    return s


@njit(cache=True, inline="always", error_model="numpy")
def _transfer(X, i, C, l1, l2, nc, an1, an2, p):
    """Move point ``i`` from cluster ``l1`` to ``l2``; update centers and the n/(n±1) factors."""
    al1 = float(nc[l1])
    alw = al1 - 1.0
    al2 = float(nc[l2])
    alt = al2 + 1.0
    for j in range(p):
        C[l1, j] = (C[l1, j] * al1 - X[i, j]) / alw
        C[l2, j] = (C[l2, j] * al2 + X[i, j]) / alt
    nc[l1] -= 1
    nc[l2] += 1
    an2[l1] = alw / al1
    an1[l1] = BIG
    if alw > 1.0:
        an1[l1] = alw / (alw - 1.0)
    an1[l2] = alt / al2
    an2[l2] = alt / (alt + 1.0)


@njit(cache=True, error_model="numpy")
def _optra(X, C, ic1, ic2, nc, an1, an2, ncp, d, itran, live, indx):
    """AS 136.1, the optimal-transfer stage. Steps are 1-based as in kmns.f; returns INDX.

    The distance to a candidate cluster stops once its partial sum reaches the bound, as in
    kmns.f. Whole distances (the same test, no branch per feature) were faster from a good start
    on 10,000 rows but 13 % slower over the lesson grid's random starts, where most rows stop
    after a feature or two."""
    m, p = X.shape
    k = C.shape[0]
    for cl in range(k):
        if itran[cl] == 1:
            live[cl] = m + 1
    for i in range(m):
        step = i + 1
        indx += 1
        l1 = ic1[i]
        l2 = ic2[i]
        ll = l2
        if nc[l1] != 1:
            if ncp[l1] != 0:
                d[i] = _sqdist(X, i, C, l1, p) * an1[l1]
            r2 = _sqdist(X, i, C, l2, p) * an2[l2]
            for cl in range(k):
                if (step >= live[l1] and step >= live[cl]) or cl in (l1, ll):
                    continue
                rr = r2 / an2[cl]
                dc = 0.0
                over = False
                for j in range(p):
                    t = X[i, j] - C[cl, j]
                    dc += t * t
                    if dc >= rr:
                        over = True
                        break
                if over:
                    continue
                r2 = dc * an2[cl]
                l2 = cl
            if r2 >= d[i]:
                ic2[i] = l2
            else:
                indx = 0
                live[l1] = m + step
                live[l2] = m + step
                ncp[l1] = step
                ncp[l2] = step
                _transfer(X, i, C, l1, np.int64(l2), nc, an1, an2, p)  # one compile: see _qtran's call
                ic1[i] = l2
                ic2[i] = l1
        if indx == m:
            return indx
    for cl in range(k):
        itran[cl] = 0
        live[cl] -= m
    return indx


@njit(cache=True, error_model="numpy")
def _qtran(X, C, ic1, ic2, nc, an1, an2, ncp, d, itran, indx, max_qtr):
    """AS 136.2, the quick-transfer stage. Returns (INDX, exceeded max_qtr steps)."""
    m, p = X.shape
    icoun = 0
    istep = 0
    while True:
        for i in range(m):
            icoun += 1
            istep += 1
            if istep >= max_qtr:
                return indx, True
            l1 = ic1[i]
            l2 = ic2[i]
            if nc[l1] != 1:
                if istep <= ncp[l1]:
                    d[i] = _sqdist(X, i, C, l1, p) * an1[l1]
                if istep < ncp[l1] or istep < ncp[l2]:
                    r2 = d[i] / an2[l2]
                    dd = 0.0
                    over = False
                    for j in range(p):
                        t = X[i, j] - C[l2, j]
                        dd += t * t
                        if dd >= r2:
                            over = True
                            break
                    if not over:
                        icoun = 0
                        indx = 0
                        itran[l1] = 1
                        itran[l2] = 1
                        ncp[l1] = istep + m
                        ncp[l2] = istep + m
                        _transfer(X, i, C, l1, np.int64(l2), nc, an1, an2, p)  # typed: one compile, not two
                        ic1[i] = l2
                        ic2[i] = l1
            if icoun == m:
                return indx, False


@njit(cache=True, error_model="numpy")
def _hw_core(X, C, ic1, ic2, nc, an1, an2, ncp, d, itran, live, wss, max_iter):
    """AS 136 main routine (KMNS) for 2 <= k < n. ``C`` holds the initial centers and is
    overwritten with the final ones. Returns (iter, ifault) with R's meaning of both.

    The first assignment stays a row at a time: 32 rows at a time across the rows (as
    :func:`_nearest_rows`) was 10-25 % faster on 10,000 rows at k = 7-10 but took 1.1 s longer to
    compile, the cold report's critical path."""
    m, p = X.shape
    k = C.shape[0]
    max_qtr = min(2147483647, 50 * m)
    # For each point find its two closest centres, IC1(I) and IC2(I).
    for i in range(m):
        a = 0
        b = 1
        dt1 = _sqdist(X, i, C, 0, p)
        dt2 = _sqdist(X, i, C, 1, p)
        if dt1 > dt2:
            a, b = 1, 0
            dt1, dt2 = dt2, dt1
        for cl in range(2, k):
            db = 0.0
            over = False
            for j in range(p):
                t = X[i, j] - C[cl, j]
                db += t * t
                if db >= dt2:
                    over = True
                    break
            if over:
                continue
            if db >= dt1:
                dt2 = db
                b = cl
            else:
                dt2 = dt1
                b = a
                dt1 = db
                a = cl
        ic1[i] = a
        ic2[i] = b
    _centers_from_labels(X, ic1, C, nc)
    for cl in range(k):
        if nc[cl] == 0:
            return 0, IFAULT_EMPTY
        aa = float(nc[cl])
        an2[cl] = aa / (aa + 1.0)
        an1[cl] = BIG
        if aa > 1.0:
            an1[cl] = aa / (aa - 1.0)
        itran[cl] = 1
        ncp[cl] = -1
    indx = np.int64(0)  # typed, not the literal 0: one compiled _optra, not a second for Literal[int](0)
    ifault = IFAULT_MAXITER
    it = max_iter + 1  # the value of a Fortran DO variable after the loop ran out
    for ij in range(1, max_iter + 1):
        indx = _optra(X, C, ic1, ic2, nc, an1, an2, ncp, d, itran, live, indx)
        if indx == m:
            it, ifault = ij, IFAULT_OK
            break
        indx, exceeded = _qtran(X, C, ic1, ic2, nc, an1, an2, ncp, d, itran, indx, max_qtr)
        if exceeded:
            it, ifault = ij, IFAULT_QTRAN
            break
        if k == 2:
            it, ifault = ij, IFAULT_OK
            break
        for cl in range(k):
            ncp[cl] = 0
    # Final centers and withinss, summed in kmns.f's order (column by column).
    _centers_from_labels(X, ic1, C, nc)
    for cl in range(k):
        wss[cl] = 0.0
    for j in range(p):
        for i in range(m):
            t = X[i, j] - C[ic1[i], j]
            wss[ic1[i]] += t * t
    return it, ifault


@njit(cache=True, inline="always", error_model="numpy")
def _centers_from_labels(X, labels, C, nc):
    """Unweighted cluster means in kmns.f's order (sum rows in order, then divide)."""
    m, p = X.shape
    k = C.shape[0]
    for cl in range(k):
        nc[cl] = 0
        for j in range(p):
            C[cl, j] = 0.0
    for i in range(m):
        cl = labels[i]
        nc[cl] += 1
        for j in range(p):
            C[cl, j] += X[i, j]
    for cl in range(k):
        if nc[cl] > 0:
            for j in range(p):
                C[cl, j] /= nc[cl]


def hartigan_wong(X: np.ndarray, centers: np.ndarray, max_iter: int = 10):
    """One Hartigan–Wong run from explicit initial ``centers`` (k x p), as R's
    ``kmeans(X, centers, iter.max = max_iter)``. Returns (labels0, centers, withinss, iter, ifault).

    Internal; used by the R-parity tests. Needs 2 <= k < n.
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    C = np.array(centers, dtype=np.float64, order="C")
    m = X.shape[0]
    k = C.shape[0]
    ic1, ic2 = np.empty(m, np.int32), np.empty(m, np.int32)
    nc, ncp, itran, live = (np.zeros(k, np.int64) for _ in range(4))
    an1, an2, wss = np.zeros(k), np.zeros(k), np.zeros(k)
    d = np.zeros(m)
    it, ifault = _hw_core(X, C, ic1, ic2, nc, an1, an2, ncp, d, itran, live, wss, max_iter)
    return ic1, C, wss, int(it), int(ifault)


@njit(cache=True, nogil=True, error_model="numpy")
def _lloyd_core(X, w, C, labels, nc, wsum, wss, max_iter):
    """Lloyd's algorithm as R's ``kmeans_Lloyd`` (assign, stop if nothing moved, recompute means),
    with optional row weights. An emptied cluster (R would give NaN centers) gets the point that is
    farthest from its center, as scikit-learn does. Returns (iter, converged)."""
    m, p = X.shape
    k = C.shape[0]
    for i in range(m):
        labels[i] = -1
    it = 0
    converged = False
    while it < max_iter:
        updated = False
        for i in range(m):
            best = np.inf
            inew = 0
            for cl in range(k):
                dd = _sqdist(X, i, C, cl, p)
                if dd < best:
                    best = dd
                    inew = cl
            if labels[i] != inew:
                updated = True
                labels[i] = inew
        if not updated:
            converged = True
            break
        _weighted_centers(X, w, labels, C, nc, wsum)
        it += 1
    _weighted_centers(X, w, labels, C, nc, wsum)
    for cl in range(k):
        wss[cl] = 0.0
    for i in range(m):
        wss[labels[i]] += _weight(w, i) * _sqdist(X, i, C, labels[i], p)
    return it + 1, converged


@njit(cache=True, nogil=True, error_model="numpy")
def _weighted_means(X, w, labels, C, nc, wsum):
    """Per cluster (0-based ``labels``): row count ``nc``, weight total ``wsum`` and weighted mean
    ``C`` (all overwritten). A cluster with no weight keeps a zero row in ``C``."""
    m, p = X.shape
    k = C.shape[0]
    for cl in range(k):
        nc[cl] = 0
        wsum[cl] = 0.0
        for j in range(p):
            C[cl, j] = 0.0
    for i in range(m):
        cl = labels[i]
        nc[cl] += 1
        wi = _weight(w, i)
        wsum[cl] += wi
        for j in range(p):
            C[cl, j] += wi * X[i, j]
    for cl in range(k):
        if wsum[cl] > 0.0:
            for j in range(p):
                C[cl, j] /= wsum[cl]


@njit(cache=True, nogil=True, error_model="numpy")
def _weighted_centers(X, w, labels, C, nc, wsum):
    m, p = X.shape
    k = C.shape[0]
    old = C.copy()
    _weighted_means(X, w, labels, C, nc, wsum)
    for cl in range(k):
        if wsum[cl] > 0.0:
            continue
        # Empty (or zero-weight) cluster: move it to the row farthest from its own center.
        far = -1.0
        arg = 0
        for i in range(m):
            if _weight(w, i) > 0.0 and nc[labels[i]] > 1:
                dd = _sqdist(X, i, old, labels[i], p)
                if dd > far:
                    far = dd
                    arg = i
        for j in range(p):
            C[cl, j] = X[arg, j]
        nc[labels[arg]] -= 1
        labels[arg] = cl
        nc[cl] = 1
        wsum[cl] = _weight(w, arg)


@njit(cache=True, inline="always", error_model="numpy")
def _record(s, total, C, ic1, wss, nc, it, status, tot, finals, b_lab, b_C, b_wss, b_nc, b_meta):
    """Store start s's total and final centers; keep its fit if it is the best so far (ties: the
    earlier start). ``b_meta`` = [best start (-1: none yet), its iter, its status]."""
    # explicit loops: slice assignment compiles to much more code (cold-cache compile time)
    k, p = C.shape
    tot[s] = total
    for cl in range(k):
        for j in range(p):
            finals[s, cl, j] = C[cl, j]
    if b_meta[0] < 0 or total < tot[b_meta[0]]:
        b_meta[0], b_meta[1], b_meta[2] = s, it, status
        for i in range(ic1.shape[0]):
            b_lab[i] = ic1[i]
        for cl in range(k):
            b_wss[cl] = wss[cl]
            b_nc[cl] = nc[cl]
            for j in range(p):
                b_C[cl, j] = C[cl, j]


@njit(cache=True, inline="always", error_model="numpy")
def _copy_start(inits, s, C):
    for cl in range(C.shape[0]):
        for j in range(C.shape[1]):
            C[cl, j] = inits[s, cl, j]


# Two drivers rather than one with an algorithm flag: numba compiles both branches of a runtime flag,
# and Lloyd's kernel is then compiled (seconds on a cold cache) by every Hartigan–Wong user.
@njit(cache=True, nogil=True, error_model="numpy")
def _multistart_hw(X, inits, max_iter, C, ic1, ic2, d, icount, fwork, b_lab, b_C, tot, finals):
    """Hartigan–Wong from every start in turn (see :func:`multistart`). Releases the GIL, so that
    Python threads can run several of these calls side by side on disjoint blocks of starts.

    Every buffer comes from :func:`_hw_buffers`: allocating inside would compile numba's
    ``np.zeros``/``np.full``/``np.empty`` overloads, seconds on a cold cache."""
    nstart = inits.shape[0]
    nc, ncp, itran, live, b_nc, b_meta = icount[0], icount[1], icount[2], icount[3], icount[4], icount[5]
    an1, an2, wss, b_wss = fwork[0], fwork[1], fwork[2], fwork[3]
    for s in range(nstart):
        _copy_start(inits, s, C)
        it, status = _hw_core(X, C, ic1, ic2, nc, an1, an2, ncp, d, itran, live, wss, max_iter)
        if status != IFAULT_EMPTY:
            total = 0.0
            for cl in range(wss.shape[0]):
                total += wss[cl]
            _record(s, total, C, ic1, wss, nc, it, status, tot, finals, b_lab, b_C, b_wss, b_nc, b_meta)


def _hw_buffers(m, nstart, k, p):
    """The work and result arrays of :func:`_multistart_hw` (m rows, nstart starts, k x p centers).

    From a single start (the summary search's run on all rows) the best labels are the start's own
    labels: one array serves as both (copying it onto itself is a no-op), an m-long array less."""
    icount = np.zeros((6, max(k, 3)), np.int64)  # nc, ncp, itran, live, best nc, best meta
    icount[5, 0] = -1  # [best start (-1: none yet), its iter, its status]
    fwork = np.zeros((4, k))  # an1, an2, wss, best wss
    ic1 = np.empty(m, np.int32)
    best_labels = ic1 if nstart == 1 else np.zeros(m, np.int32)
    return (
        np.empty((k, p)), ic1, np.empty(m, np.int32), np.zeros(m), icount, fwork,
        best_labels, np.zeros((k, p)), np.full(nstart, np.inf), np.empty((nstart, k, p)),
    )  # fmt: skip


@njit(cache=True, nogil=True, error_model="numpy")
def _multistart_lloyd(X, w, inits, max_iter):
    """Lloyd (weighted unless ``w`` is empty) from every start in turn; as :func:`_multistart_hw`."""
    m, p = X.shape
    nstart, k = inits.shape[0], inits.shape[1]
    C = np.empty((k, p))
    lab = np.empty(m, np.int32)
    nc, wsum, wss = np.zeros(k, np.int64), np.zeros(k), np.zeros(k)
    tot, finals = np.full(nstart, np.inf), np.empty((nstart, k, p))
    b_lab, b_C, b_wss, b_nc = np.zeros(m, np.int32), np.zeros((k, p)), np.zeros(k), np.zeros(k, np.int64)
    b_meta = np.array([-1, 0, 0], np.int64)
    for s in range(nstart):
        _copy_start(inits, s, C)
        it, conv = _lloyd_core(X, w, C, lab, nc, wsum, wss, max_iter)
        status = IFAULT_OK if conv else IFAULT_MAXITER
        _record(s, wss.sum(), C, lab, wss, nc, it, status, tot, finals, b_lab, b_C, b_wss, b_nc, b_meta)
    return b_lab, b_C, b_wss, b_nc, b_meta[1], b_meta[2], b_meta[0], tot, finals


def _multistart(X, w, inits, max_iter, lloyd):
    if lloyd:
        return _multistart_lloyd(X, w, inits, max_iter)
    buf = _hw_buffers(X.shape[0], inits.shape[0], inits.shape[1], X.shape[1])
    _multistart_hw(X, inits, max_iter, *buf)
    *_, icount, fwork, b_lab, b_C, tot, finals = buf
    k = inits.shape[1]
    meta = icount[5]
    return b_lab, b_C, fwork[3].copy(), icount[4, :k].copy(), meta[1], meta[2], meta[0], tot, finals


def multistart(X, w, inits, max_iter, lloyd, n_threads=1):
    """Run every start (``inits[s]`` = the k x p initial centers of start s) and keep the
    best by total within-cluster sum of squares (ties: earliest start).

    With ``n_threads > 1`` the starts are cut into that many contiguous blocks run side by side in
    Python threads (the kernel releases the GIL); the best block answer is chosen by the same rule,
    so the result never depends on the number of threads. ``lloyd=False`` runs Hartigan–Wong
    (``w`` ignored), ``lloyd=True`` Lloyd, weighted unless ``w`` is empty.
    Returns (labels0, centers, withinss, sizes, iter, status, best_start, tot_per_start,
    final_centers_per_start) where status is the ifault code (Hartigan–Wong) or 0/2 converged/not
    (Lloyd); ``best_start`` is -1 when every start failed.
    """
    import itertools

    nstart = inits.shape[0]
    n_threads = max(1, min(int(n_threads), nstart))
    if n_threads == 1:
        return _multistart(X, w, inits, max_iter, lloyd)
    from concurrent.futures import ThreadPoolExecutor

    bounds = np.linspace(0, nstart, n_threads + 1).astype(np.int64)
    with ThreadPoolExecutor(n_threads) as pool:
        blocks = [inits[a:b] for a, b in itertools.pairwise(bounds)]
        parts = list(pool.map(lambda block: _multistart(X, w, block, max_iter, lloyd), blocks))
    tot = np.concatenate([part[7] for part in parts])
    finals = np.concatenate([part[8] for part in parts])
    best = None
    for a, part in zip(bounds[:-1], parts, strict=True):  # blocks in start order: ties stay early
        if part[6] >= 0 and (best is None or tot[a + part[6]] < tot[best[6]]):
            best = (*part[:6], a + part[6])
    if best is None:
        best = (*parts[0][:6], -1)
    return (*best, tot, finals)


def hartigan_multistart(X, w, inits, max_pass):
    """Hartigan's single-point k-means (Hartigan 1975, sec. 4.1; Telgarsky & Vattani 2010) on
    weighted rows, from every start: the coreset search's kernel (:mod:`tidyclust._coreset`).

    From the nearest-center assignment of ``inits[s]`` (k x p), visit the rows in turn and move a
    row to another cluster whenever that lowers the weighted within-cluster sum of squares:
    moving row i (weight w_i) from cluster a to b changes it by
    ``w_i (W_b / (W_b + w_i) d_b - W_a / (W_a - w_i) d_a)`` (W: cluster weights, d: squared
    distances to the centers, which are updated at once). After each pass that moved rows come
    quick passes, as Hartigan & Wong's quick-transfer stage: each row is tried against its best
    other cluster of the last full pass only, until a quick pass moves nothing (a full pass tries
    every cluster for every row, and later ones move few rows). Stops after a full pass without a
    move, or after ``max_pass`` full passes. Every fixed point is also a fixed point of Lloyd's
    algorithm, and usually a better one. A start that leaves a cluster empty is marked failed
    (total ``inf``).

    Returns (tot (nstart,), finals (nstart, k, p)): each start's weighted sum of squares and its
    final centers."""
    nstart, k, p = inits.shape
    tot, finals = np.full(nstart, np.inf), np.empty((nstart, k, p))
    lab, C, nc, W = np.empty(X.shape[0], np.int32), np.empty((k, p)), np.empty(k, np.int64), np.empty(k)
    alt, CT, dist = np.empty(X.shape[0], np.int32), np.empty((p, k)), np.empty(k)
    seen, changed = np.empty(X.shape[0], np.int64), np.empty(k + 1, np.int64)  # see _quick_pass
    XB, D, D1, near = _batch_buffers(p)  # the first assignment's (_nearest_rows)
    _hartigan_multistart(
        X, w, inits, max_pass, lab, alt, C, CT, dist, nc, W, seen, changed, tot, finals, XB, D, D1, near
    )  # fmt: skip
    return tot, finals


@njit(cache=True, nogil=True, error_model="numpy")
def _hartigan_multistart(
    X, w, inits, max_pass, lab, alt, C, CT, dist, nc, W, seen, changed, tot, finals, XB, D, D1, near
):
    n, p = X.shape
    nstart, k = inits.shape[0], inits.shape[1]
    for s in range(nstart):
        _copy_start(inits, s, C)
        _nearest_rows(X, C, lab, XB, D, D1, near)
        _weighted_means(X, w, lab, C, nc, W)
        if W.min() <= 0.0:
            continue
        for c in range(k):
            for j in range(p):
                CT[j, c] = C[c, j]
        for c in range(k + 1):
            changed[c] = 0
        for _ in range(max_pass):
            if _hartigan_pass(X, w, lab, alt, C, CT, dist, W, seen, changed) == 0:
                break
            for _ in range(QUICK_MAX_PASS):  # each move lowers the sum; the cap guards against rounding
                if _quick_pass(X, w, lab, alt, C, CT, W, seen, changed) == 0:
                    break
        total = 0.0
        for i in range(n):
            total += w[i] * _sqdist(X, i, C, lab[i], p)
        tot[s] = total
        for c in range(k):
            for j in range(p):
                finals[s, c, j] = C[c, j]


@njit(cache=True, inline="always", error_model="numpy")
def _move(X, w, i, a, b, lab, C, CT, W, changed):
    """Move row i (weight w_i) from cluster a to b, updating both centers (and their transposed
    copy ``CT``) and weights; ``changed[-1]`` counts the moves and ``changed[a]``, ``changed[b]``
    become that count (see :func:`_quick_pass`)."""
    wi = w[i]
    wa, wb = W[a] - wi, W[b] + wi
    for j in range(X.shape[1]):
        C[a, j] = (W[a] * C[a, j] - wi * X[i, j]) / wa
        C[b, j] = (W[b] * C[b, j] + wi * X[i, j]) / wb
        CT[j, a] = C[a, j]
        CT[j, b] = C[b, j]
    W[a], W[b] = wa, wb
    lab[i] = b
    changed[-1] += 1
    changed[a] = changed[-1]
    changed[b] = changed[-1]


@njit(cache=True, inline="always", error_model="numpy")
def _hartigan_pass(X, w, lab, alt, C, CT, dist, W, seen, changed):
    """One pass of Hartigan's moves over the rows, each row tried against every cluster; the
    number of rows moved. ``alt[i]``: the row's cheapest other cluster (its old one if it moved),
    for :func:`_quick_pass`; -1 for a row that is its cluster's whole weight. ``CT``: the centers
    transposed (p x k), kept equal to ``C``; ``dist``: k floats of work space. ``seen[i]``: the
    move count when the row was tried (:func:`_quick_pass`)."""
    n, p = X.shape
    k = C.shape[0]
    moved = 0
    for i in range(n):
        a, wi = lab[i], w[i]
        if W[a] - wi <= 1e-12 * W[a]:  # the row is its cluster's whole weight: it stays
            alt[i] = -1
            continue
        seen[i] = changed[-1]
        # the squared distances to every center at once, feature by feature: a loop over the
        # clusters on the transposed centers, which the compiler vectorises
        for c in range(k):
            dist[c] = 0.0
        for j in range(p):
            xj = X[i, j]
            for c in range(k):
                t = xj - CT[j, c]
                dist[c] += t * t
        cost = dist[a] * (W[a] / (W[a] - wi))  # what leaving a saves
        to = a
        second, second_cost = -1, np.inf  # the cheapest cluster other than a and `to`
        for b in range(k):
            if b == a:
                continue
            v = dist[b] * (W[b] / (W[b] + wi))
            if v < cost:
                if to != a:
                    second, second_cost = to, cost
                cost, to = v, b
            elif v < second_cost:
                second, second_cost = b, v
        if to != a:
            _move(X, w, i, a, to, lab, C, CT, W, changed)
            alt[i] = a
            moved += 1
        else:
            alt[i] = second
    return moved


@njit(cache=True, inline="always", error_model="numpy")
def _quick_pass(X, w, lab, alt, C, CT, W, seen, changed):
    """One pass trying each row against ``alt[i]`` only (Hartigan & Wong's quick transfer); the
    number of rows moved (a moved row's alt becomes its old cluster; ``CT`` follows ``C``).

    A row is tried only if its cluster or its alt has changed since it was last tried
    (``changed[c] > seen[i]``: the move count when c last changed, and when row i was last tried,
    in a full pass or a quick one): otherwise every number of the test is the one it had then, and
    so is the answer, no move (a row that moved changed both its clusters). The rows are half of a
    quick pass's visits, and this is a tenth of the search's time on the summaries; every result
    is the one trying every row gives."""
    n, p = X.shape
    moved = 0
    for i in range(n):
        a, b, wi = lab[i], alt[i], w[i]
        if b < 0 or W[a] - wi <= 1e-12 * W[a] or max(changed[a], changed[b]) <= seen[i]:
            continue
        seen[i] = changed[-1]
        cost = _sqdist(X, i, C, a, p) * (W[a] / (W[a] - wi))
        f = W[b] / (W[b] + wi)
        # the whole distance, not stopped once d * f reaches the cost (the partial sums only
        # grow, so the test is the same): branch-free, the quick passes took 9 % less
        d = _sqdist(X, i, C, b, p)
        if d * f < cost:
            _move(X, w, i, a, b, lab, C, CT, W, changed)
            alt[i] = a
            moved += 1
    return moved


#: Rows whose bounds :func:`_lloyd_rank` checks in one go before it visits those they no longer settle.
LLOYD_BLOCK = 4096
#: Rows whose distances to every center :func:`_nearest_two_rows` computes together (a constant of
#: the compiled kernel: its loops over the rows are vectorised at this fixed length).
NEAREST_BATCH = 32


def lloyd_rank(X, inits, max_iter):
    """Lloyd's algorithm on all rows from every start, to convergence (no row changes cluster) or
    ``max_iter`` passes, with Hamerly's (2010) bounds: each row keeps an upper bound on the distance
    to its center and a lower bound on the distance to every other one, loosened by the centers'
    moves, and its distances are computed only when the bounds no longer prove its cluster.

    The bounds are kept relative to running sums of the moves: a row's upper bound less its
    center's summed moves when it was last set, its lower bound plus its center's summed falls,
    so that the pass over every row only reads them (the bounds are those of Hamerly's updates,
    up to rounding; the pass with its stores took 6 % longer).

    The rows are taken :data:`LLOYD_BLOCK` at a time, so the list of rows the bounds no longer
    settle is a block long, not n: the work arrays are 20 bytes a row (labels and two bounds), not
    24, and the grid runs two of these side by side next to the data (40 bytes a row with 5
    features). (Single-precision bounds, rounded outwards, would make it 12 bytes, but the
    conversions made the kernel 16-45 % slower.) The rows that need their distances to every
    center (all of them at the start, then those their own center no longer settles) are taken
    :data:`NEAREST_BATCH` at a time (:func:`_nearest_two_rows`).

    The summary search's ranking of its best solutions (:func:`tidyclust.model._summary_inits`):
    the sum of squares a start reaches on all rows decides which of them goes on. Unweighted.

    Returns (tot (nstart,), finals (nstart, k, p)): each start's sum of squares about its final
    centers (the means of its final clusters; ``inf`` where a cluster emptied) and those centers."""
    n, p = X.shape
    nstart, k = inits.shape[0], inits.shape[1]
    tot, finals = np.full(nstart, np.inf), np.empty((nstart, k, p))
    # counts, moves, half the distance to the nearest other center, falls, and the moves and
    # falls summed over the passes
    fwork = np.empty((6, k))
    # the batch's rows (transposed), their distances to one center, the two smallest, their
    # indices, and the nearest center of each
    batch = (
        np.zeros((p, NEAREST_BATCH)), np.zeros(NEAREST_BATCH), np.zeros(NEAREST_BATCH),
        np.zeros(NEAREST_BATCH), np.zeros(NEAREST_BATCH, np.int64), np.zeros(NEAREST_BATCH, np.int64),
    )  # fmt: skip
    _lloyd_rank(
        X, inits, max_iter, np.empty(n, np.int32), np.empty(min(n, LLOYD_BLOCK), np.int32),
        np.empty((2, n)), np.empty((k, p)), np.empty((k, p)), fwork, *batch, tot, finals,
    )  # fmt: skip
    return tot, finals


@njit(cache=True, nogil=True, error_model="numpy")
def _lloyd_rank(
    X, inits, max_iter, lab, unsettled, bounds, C, sums, fwork, XB, D, D1, D2, rows, nearest, tot, finals
):
    n, p = X.shape
    nstart, k = inits.shape[0], inits.shape[1]
    block = unsettled.shape[0]
    upper, lower = bounds[0], bounds[1]
    count, drift, half, fall, CD, FA = fwork[0], fwork[1], fwork[2], fwork[3], fwork[4], fwork[5]
    for s in range(nstart):
        _copy_start(inits, s, C)
        for c in range(k):
            count[c] = 0.0
            CD[c] = 0.0
            FA[c] = 0.0
            for j in range(p):
                sums[c, j] = 0.0
        for start in range(0, n, NEAREST_BATCH):
            m = min(NEAREST_BATCH, n - start)
            for r in range(m):
                rows[r] = start + r
            _nearest_two_rows(X, rows, m, C, upper, lower, XB, D, D1, D2, nearest)
            for r in range(m):
                i, a = start + r, nearest[r]
                lab[i] = a
                count[a] += 1.0
                for j in range(p):
                    sums[a, j] += X[i, j]
        for _ in range(max_iter):
            # the means of the clusters (an emptied one keeps its center), and how far each moved
            far, far_c, second = 0.0, -1, 0.0  # the largest move, its center, the second largest
            for c in range(k):
                dd = 0.0
                for j in range(p):
                    v = sums[c, j] / count[c] if count[c] > 0.0 else C[c, j]
                    t = v - C[c, j]
                    dd += t * t
                    C[c, j] = v
                drift[c] = np.sqrt(dd)
                CD[c] += drift[c]
                if drift[c] > far:
                    far, far_c, second = drift[c], c, far
                elif drift[c] > second:
                    second = drift[c]
            for c in range(k):
                nearest_c = np.inf
                for c2 in range(k):
                    if c2 != c:
                        nearest_c = min(nearest_c, _sqdist(C, c, C, c2, p))
                half[c] = 0.5 * np.sqrt(nearest_c)
            for c in range(k):  # how far a row's lower bound falls: the largest other move
                fall[c] = second if c == far_c else far
                FA[c] += fall[c]
            # A block of rows at a time: first their bounds (a branch-free pass), listing the rows
            # the bounds no longer settle; then those rows, whose distance to their own center
            # may settle them; those it does not are measured against every center a batch at a
            # time. The centers stay fixed for the whole pass and the batches keep the rows'
            # order, so the cluster sums change in the order one list of all rows would give.
            changed = queued = 0
            for start in range(0, n, block):
                # Unsigned indices: numba wraps negative signed indices around, and those tests
                # made this loop 2.5 times as slow (the whole ranking: 13 % slower). A row's
                # bounds: its stored upper plus its center's summed moves, its stored lower less
                # the center's summed falls (see the docstring).
                mu = np.uint64(0)
                for row in range(start, min(start + block, n)):
                    i = np.uint64(row)
                    a = np.uint64(lab[i])
                    u = upper[i] + CD[a]
                    lo = lower[i] - FA[a]
                    unsettled[mu] = row
                    mu += np.uint64(u > max(half[a], lo))
                m = np.int64(mu)
                for t in range(m):
                    i = unsettled[t]
                    a = lab[i]
                    z = max(half[a], lower[i] - FA[a])
                    u = np.sqrt(_sqdist(X, i, C, a, p))
                    upper[i] = u - CD[a]
                    # the row stays listed only if its distance does not settle it (no other
                    # center can be nearer): branch-free, as a branch this loop was a tenth slower
                    rows[queued] = i
                    queued += u > z
                    if queued == NEAREST_BATCH:
                        changed += _reassign(
                            X, rows, queued, C, upper, lower, CD, FA, XB, D, D1, D2, nearest, lab, count, sums
                        )
                        queued = 0
            if queued > 0:  # the pass's last rows
                changed += _reassign(
                    X, rows, queued, C, upper, lower, CD, FA, XB, D, D1, D2, nearest, lab, count, sums
                )
            if changed == 0:
                break
        # the final clusters' exact means (not the running sums) and their sum of squares
        failed = False
        for c in range(k):
            count[c] = 0.0
            for j in range(p):
                C[c, j] = 0.0
        for i in range(n):
            count[lab[i]] += 1.0
            for j in range(p):
                C[lab[i], j] += X[i, j]
        for c in range(k):
            if count[c] == 0.0:
                failed = True
            for j in range(p):
                C[c, j] /= max(count[c], 1.0)
                finals[s, c, j] = C[c, j]
        if not failed:
            total = 0.0
            for i in range(n):
                total += _sqdist(X, i, C, lab[i], p)
            tot[s] = total


@njit(cache=True, inline="always", error_model="numpy")
def _reassign(X, rows, m, C, upper, lower, CD, FA, XB, D, D1, D2, nearest, lab, count, sums):
    """Move each of the rows ``rows[:m]`` to its nearest center (:func:`_nearest_two_rows`, which
    also resets its bounds, here stored relative to the summed moves ``CD`` and falls ``FA`` of
    its new center: see :func:`lloyd_rank`), updating the cluster counts and sums; how many
    moved."""
    _nearest_two_rows(X, rows, m, C, upper, lower, XB, D, D1, D2, nearest)
    moved = 0
    for r in range(m):
        i, a, b = rows[r], lab[rows[r]], nearest[r]
        upper[i] -= CD[b]
        lower[i] += FA[b]
        if b != a:
            moved += 1
            lab[i] = b
            count[a] -= 1.0
            count[b] += 1.0
            for j in range(X.shape[1]):
                sums[a, j] -= X[i, j]
                sums[b, j] += X[i, j]
    return moved


@njit(cache=True, inline="always", error_model="numpy")
def _nearest_two_rows(X, rows, m, C, upper, lower, XB, D, D1, D2, nearest):
    """For the rows ``rows[:m]`` (m <= NEAREST_BATCH): the nearest center (the first on ties) in
    ``nearest[:m]``, its distance in ``upper`` and the second nearest's in ``lower``.

    The rows are copied transposed into ``XB`` (p x NEAREST_BATCH) and every loop over them runs the whole
    batch (lanes past m hold old rows, computed and ignored), so the compiler vectorises across
    rows, branch-free (:func:`_sqdists_to`): a row at a time, the distances to the centers were a
    chain of dependent sums and unpredictable branches, twice as slow. Each distance is summed
    over the features in the same order as :func:`_sqdist`, so every number is the one a row at a
    time gives."""
    p = X.shape[1]
    for r in range(m):
        for j in range(p):
            XB[j, r] = X[rows[r], j]
    for r in range(NEAREST_BATCH):
        D1[r] = np.inf
        D2[r] = np.inf
        nearest[r] = 0
    for c in range(C.shape[0]):
        _sqdists_to(XB, C, c, D)
        for r in range(NEAREST_BATCH):
            d = D[r]
            lt1 = d < D1[r]
            D2[r] = D1[r] if lt1 else (d if d < D2[r] else D2[r])
            D1[r] = d if lt1 else D1[r]
            nearest[r] = c if lt1 else nearest[r]
    for r in range(m):
        upper[rows[r]] = np.sqrt(D1[r])
        lower[rows[r]] = np.sqrt(D2[r])


@njit(cache=True, nogil=True, error_model="numpy")
def floyd_starts(X, pool, draws):
    """Row indices for each start: k distinct positions of ``pool`` by Floyd's sampling
    (``draws[s, t]`` uniform in [0, n - k + t]), plus a flag per start that is False when two
    chosen rows have equal values (the caller then redraws among the distinct rows)."""
    nstart, k = draws.shape
    n = pool.shape[0]
    p = X.shape[1]
    out = np.empty((nstart, k), np.int64)
    ok = np.ones(nstart, np.bool_)
    for s in range(nstart):
        for t in range(k):
            j = n - k + t
            r = draws[s, t]
            for u in range(t):
                if out[s, u] == pool[r]:
                    r = j
                    break
            out[s, t] = pool[r]
        for a in range(k):
            for b in range(a):
                same = True
                for c in range(p):
                    if X[out[s, a], c] != X[out[s, b], c]:
                        same = False
                        break
                if same:
                    ok[s] = False
    return out, ok


def distinct_solutions(tot, finals, keep):
    """The starts of the ``keep`` best distinct solutions, best first (ties: earliest start);
    failed starts (``tot`` not finite) are left out. Two solutions are the same when their
    centers, each sorted in row order, agree as ``np.allclose(rtol=1e-9, atol=1e-12)``; only those
    whose totals agree to 1e-6 are compared (the same centers give the same total). A compiled
    loop: in Python, with numpy's calls on k x p arrays, this was 3 ms of the 10,000-row grid."""
    order = np.argsort(tot, kind="stable")
    nstart, k, p = finals.shape
    kept = np.empty(max(0, min(keep, nstart)), np.int64)
    n_kept = _distinct_solutions(
        tot, finals, order, kept, np.empty((nstart, k, p)), np.zeros(nstart, np.bool_), np.empty(k, np.int64)
    )
    return kept[:n_kept].tolist()


@njit(cache=True, nogil=True, error_model="numpy")
def _distinct_solutions(tot, finals, order, kept, keys, keyed, rows):
    k, p = finals.shape[1], finals.shape[2]
    n_kept = 0
    for s in order:
        if n_kept == kept.shape[0]:
            break
        if not np.isfinite(tot[s]):
            continue
        same = False
        for q in range(n_kept):
            t = kept[q]
            if not abs(tot[s] - tot[t]) <= 1e-6 * abs(tot[t]):
                continue
            _sorted_centers(finals, s, keys, keyed, rows)
            _sorted_centers(finals, t, keys, keyed, rows)
            same = True
            for c in range(k):
                for j in range(p):
                    if not abs(keys[s, c, j] - keys[t, c, j]) <= 1e-12 + 1e-9 * abs(keys[t, c, j]):
                        same = False
                        break
                if not same:
                    break
            if same:
                break
        if not same:
            kept[n_kept] = s
            n_kept += 1
    return n_kept


@njit(cache=True, inline="always", error_model="numpy")
def _sorted_centers(finals, s, keys, keyed, rows):
    """keys[s] = the rows of finals[s] in lexicographic order (column 0 first; equal rows in their
    order, as ``np.lexsort``), made once (insertion sort: k is small)."""
    if keyed[s]:
        return
    k, p = finals.shape[1], finals.shape[2]
    for c in range(k):
        rows[c] = c
    for c in range(1, k):
        r = rows[c]
        d = c - 1
        while d >= 0 and _row_before(finals, s, r, rows[d]):
            rows[d + 1] = rows[d]
            d -= 1
        rows[d + 1] = r
    for c in range(k):
        for j in range(p):
            keys[s, c, j] = finals[s, rows[c], j]
    keyed[s] = True


@njit(cache=True, inline="always", error_model="numpy")
def _row_before(A, s, u, v):
    """Whether row u of A[s] comes strictly before row v in lexicographic order."""
    for j in range(A.shape[2]):
        if A[s, u, j] < A[s, v, j]:
            return True
        if A[s, u, j] > A[s, v, j]:
            return False
    return False


def count_distinct_rows(X, limit):
    """Number of distinct rows of X, counting no further than ``limit``."""
    return _count_distinct_rows(X, np.empty(limit, np.int64))


# The kernels below take their work and result arrays from a Python wrapper: an array allocated
# inside a kernel compiles numba's np.empty/np.zeros/np.full overload for it (about 2 s of a cold
# first report in all).
@njit(cache=True, nogil=True, error_model="numpy")
def _count_distinct_rows(X, found):
    m, p = X.shape
    limit = found.shape[0]
    nf = 0
    for i in range(m):
        new = True
        for f in range(nf):
            same = True
            for c in range(p):
                if X[i, c] != X[found[f], c]:
                    same = False
                    break
            if same:
                new = False
                break
        if new:
            found[nf] = i
            nf += 1
            if nf >= limit:
                return nf
    return nf


def _stats_buffers(k, p):
    """sizes, wsum, C, wss, dist of :func:`_cluster_stats` (wss and dist start at 0)."""
    return np.zeros(k, np.int64), np.zeros(k), np.zeros((k, p)), np.zeros(k), np.zeros(k)


def cluster_stats(X, lab0, w, k):
    """One pass over the rows: per cluster the row count, the weight total and the weighted mean
    (``w`` = row weights, empty for unweighted), then the weighted sum of squared distances
    to the mean and the (unweighted) sum of distances to it. O(k·p) extra memory.
    Returns (sizes, wsum, centers, wss, dist)."""
    out = _stats_buffers(k, X.shape[1])
    _cluster_stats(X, lab0, w, *out)
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def _cluster_stats(X, lab0, w, sizes, wsum, C, wss, dist):
    m, p = X.shape
    _weighted_means(X, w, lab0, C, sizes, wsum)
    for i in range(m):
        cl = lab0[i]
        dd = _sqdist(X, i, C, cl, p)
        wss[cl] += _weight(w, i) * dd
        dist[cl] += np.sqrt(dd)


def ch_db(X, lab0, k):
    """Calinski–Harabasz and Davies–Bouldin indices of a labelling (0-based, all k clusters
    non-empty), with scikit-learn's definitions and special cases (``calinski_harabasz_score``,
    ``davies_bouldin_score``). Returns (ch, db)."""
    p = X.shape[1]
    return _ch_db(X, lab0, np.empty(0), *_stats_buffers(k, p), np.zeros(p), np.zeros((k, k)))


@njit(cache=True, nogil=True, error_model="numpy")
def _ch_db(X, lab0, w, sizes, wsum, C, wss, dist, mean, M):
    """``mean`` (p,) starts at 0; ``M`` (k, k) is work space; ``w`` is empty (unweighted)."""
    m, p = X.shape
    k = C.shape[0]
    _cluster_stats(X, lab0, w, sizes, wsum, C, wss, dist)
    for i in range(m):
        for j in range(p):
            mean[j] += X[i, j]
    for j in range(p):
        mean[j] /= m
    intra = 0.0
    extra = 0.0
    for cl in range(k):
        intra += wss[cl]
        s = 0.0
        for j in range(p):
            t = C[cl, j] - mean[j]
            s += t * t
        extra += sizes[cl] * s
    ch = 1.0 if intra == 0.0 else extra * (m - k) / (intra * (k - 1.0))
    # Davies–Bouldin: mean over clusters of max_j (s_i + s_j) / d(c_i, c_j); 0 if all s or all d ~ 0
    spread = dist  # overwritten by dist / sizes: an array expression compiles a ufunc loop
    all_s0 = True
    for cl in range(k):
        spread[cl] = dist[cl] / sizes[cl]
        if abs(spread[cl]) > 1e-8:
            all_s0 = False
    all_d0 = True
    for a in range(k):
        for b in range(k):
            s = 0.0
            for j in range(p):
                t = C[a, j] - C[b, j]
                s += t * t
            M[a, b] = np.sqrt(s)
            if M[a, b] > 1e-8:
                all_d0 = False
    if all_s0 or all_d0:
        return ch, 0.0
    total = 0.0
    for a in range(k):
        worst = -np.inf
        for b in range(k):
            d = M[a, b] if M[a, b] != 0.0 else np.inf
            r = (spread[a] + spread[b]) / d
            if r > worst:
                worst = r
        total += worst
    return ch, total / k


def kmeanspp_starts(X, w, pool, k, trials, u_first, u_cand):
    """Greedy k-means++ starts (Arthur & Vassilvitskii 2007; scikit-learn's ``kmeans_plusplus``):
    the first center is a uniform row of ``pool``; each next one is the best, by the potential
    sum_i w_i D(x_i)^2 it leaves, of ``trials`` rows drawn with probability proportional to
    w_i D(x_i)^2 (D = distance to the nearest center so far). The uniforms ``u_first`` (nstart,)
    and ``u_cand`` (nstart, k, trials) come from the caller's seeded generator.
    Returns (nstart, k, p) initial centers (rows of X)."""
    # The kernel reads the pool's rows transposed (p x rows: its loops over the rows vectorise)
    # and their weights, with no pool[] indirection nor weight test in its inner loops.
    XT = np.ascontiguousarray(X[pool].T if pool.shape[0] < X.shape[0] else X.T)
    wp = np.ones(pool.shape[0]) if w.shape[0] == 0 else np.ascontiguousarray(w[pool])
    out = np.empty((u_first.shape[0], k, X.shape[1]))
    _kmeanspp_starts(XT, wp, trials, u_first, u_cand, out, np.empty((5, pool.shape[0])))
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def _kmeanspp_starts(XT, w, trials, u_first, u_cand, out, work):
    p, n = XT.shape
    nstart, k = out.shape[0], out.shape[1]
    dist, cand, best_d, cum, buf = work[0], work[1], work[2], work[3], work[4]
    for s in range(nstart):
        first = min(int(u_first[s] * n), n - 1)
        for j in range(p):
            out[s, 0, j] = XT[j, first]
        _sqdists_to(XT, XT.T, first, buf)
        for a in range(n):
            dist[a] = w[a] * buf[a]
        for c in range(1, k):
            acc = 0.0
            for a in range(n):
                acc += dist[a]
                cum[a] = acc
            best_pot = np.inf
            best_row = -1
            for t in range(trials):
                # inverse CDF: the first row whose cumulative weight exceeds u * total; rows with
                # D = 0 (already a center) add nothing and so are never chosen
                target = u_cand[s, c, t] * acc
                lo, hi = 0, n - 1  # binary search (cheaper to compile than np.searchsorted)
                while lo < hi:
                    mid = (lo + hi) // 2
                    if cum[mid] > target:
                        hi = mid
                    else:
                        lo = mid + 1
                row = lo
                while row > 0 and dist[row] == 0.0:
                    row -= 1
                _sqdists_to(XT, XT.T, row, buf)
                pot = _potential(w, buf, dist, cand)
                if pot < best_pot:
                    best_pot = pot
                    best_row = row
                    for b in range(n):  # loops, not slices: far less code to compile
                        best_d[b] = cand[b]
            for j in range(p):
                out[s, c, j] = XT[j, best_row]
            for b in range(n):
                dist[b] = best_d[b]


def _batch_buffers(p):
    """The buffers of :func:`_nearest_rows`: the rows transposed, two distances a row, and the
    nearest center of each."""
    B = NEAREST_BATCH
    return np.zeros((p, B)), np.zeros(B), np.zeros(B), np.zeros(B, np.int64)


@njit(cache=True, inline="always", error_model="numpy")
def _nearest_rows(X, C, lab, XB, D, D1, near):
    """lab[i] = the nearest center to row i (the first on ties), NEAREST_BATCH rows at a time: the
    rows copied transposed into ``XB``, their distances to each center (``D``, computed across the
    rows by :func:`_sqdists_to`: the numbers :func:`_sqdist` gives) compared with the nearest so
    far (``D1``, ``near``), branch-free. A row at a time, with a loop over the features of unknown
    length for each center, this was an eighth of the summary search (hartigan_multistart on the
    10,000-row grid's summaries: 46.9 -> 44.0 ms)."""
    n, p = X.shape
    for start in range(0, n, NEAREST_BATCH):
        m = min(NEAREST_BATCH, n - start)
        for r in range(m):
            for j in range(p):
                XB[j, r] = X[start + r, j]
        for r in range(NEAREST_BATCH):
            D1[r] = np.inf
            near[r] = 0
        for c in range(C.shape[0]):
            _sqdists_to(XB, C, c, D)
            for r in range(NEAREST_BATCH):
                closer = D[r] < D1[r]
                D1[r] = D[r] if closer else D1[r]
                near[r] = c if closer else near[r]
        for r in range(m):
            lab[start + r] = near[r]


@njit(cache=True, inline="always", error_model="numpy")
def _sqdists_to(XT, Y, r, buf):
    """buf[b] = the squared distance from column b of ``XT`` (rows transposed, p x n) to row r of
    ``Y`` (features summed in order, as :func:`_sqdist`): a loop across the columns, which the
    compiler vectorises."""
    p, n = XT.shape
    for b in range(n):
        buf[b] = 0.0
    for j in range(p):
        yj = Y[r, j]
        for b in range(n):
            t = XT[j, b] - yj
            buf[b] += t * t


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"reassoc", "nsz"})
def _potential(w, buf, dist, cand):
    """cand = min(w * buf, dist) row by row, and its sum (summed in any order: reassociation lets
    the compiler vectorise the sum, which a row-by-row running sum would serialise)."""
    pot = 0.0
    for b in range(w.shape[0]):
        dd = w[b] * buf[b]
        cand[b] = dd if dd < dist[b] else dist[b]
        pot += cand[b]
    return pot


@njit(cache=True, inline="always", error_model="numpy")
def _segment_cost(cs, cs2, cw, i, j):
    """Sum of squares of rows i..j-1 (of the ordered rows) about their mean, from prefix sums of
    the (weighted) rows, squares and weights."""
    s = 0.0
    for c in range(cs.shape[1]):
        t = cs[j, c] - cs[i, c]
        s += t * t
    return cs2[j] - cs2[i] - s / (cw[j] - cw[i])


_SEGMENT_STACK = 256


def segment_table(X, rows, kmax, w=_NO_WEIGHTS):
    """Split the rows ``X[rows]`` (in that order, e.g. along the first principal axis) into q
    contiguous segments with the smallest total within-segment sum of squares (all p columns;
    rows weighted by ``w`` if given, as the summaries' group means are),
    for every q <= kmax: Bellman's (1961) segmentation DP, D[q, j] = min_i D[q-1, i] + cost(i, j).
    Each row q is filled by the divide-and-conquer rule of Ckmeans.1d.dp (Wang & Song 2011): the
    best split i of a middle j bounds the splits of the j on either side, O(kmax·n·log n·p) instead
    of O(kmax·n²·p). In one dimension that rule is exact; along an ordering in p dimensions it is a
    (very good) heuristic, which is all a start needs. Row q depends only on rows < q, so the
    segments for k do not depend on ``kmax``. Returns B (kmax+1, n+1): B[q, j] = start of the last
    segment of the best q-segmentation of the first j rows (int32)."""
    n, p = rows.shape[0], X.shape[1]
    B = np.zeros((kmax + 1, n + 1), np.int32)
    # Explicit stack of (jlo, jhi, ilo, ihi). Each pop pushes two halves of its j range, so the
    # stack never holds more than about twice the depth of the halving (log2 n): a fixed 256
    # entries instead of O(n) (at 10,000 rows the old 4(n + 2) x 4 stack was 1.3 MB).
    stack = np.empty((_SEGMENT_STACK, 4), np.int64)
    _segment_table(X, rows, w, np.zeros((n + 1, p)), np.zeros((4, n + 1)), stack, B)
    return B


@njit(cache=True, nogil=True, error_model="numpy")
def _segment_table(X, rows, w, cs, work, stack, B):
    """Fills ``B`` (kmax + 1, n + 1); ``cs`` (n + 1, p) and ``work`` (4, n + 1) start at 0. Weights
    of 1 (``w`` empty) give the unweighted sums exactly (x * 1.0 == x)."""
    n, p = rows.shape[0], X.shape[1]
    kmax = B.shape[0] - 1
    cs2, prev, cur, cw = work[0], work[1], work[2], work[3]
    for i in range(n):
        wi = _weight(w, rows[i])
        s = 0.0
        for c in range(p):
            x = X[rows[i], c]
            cs[i + 1, c] = cs[i, c] + wi * x
            s += x * x
        cs2[i + 1] = cs2[i] + wi * s
        cw[i + 1] = cw[i] + wi
    for j in range(1, n + 1):
        prev[j] = np.inf
    for q in range(1, kmax + 1):
        for j in range(n + 1):
            cur[j] = np.inf
        stack[0, 0], stack[0, 1], stack[0, 2], stack[0, 3] = q, n, q - 1, n - 1
        top = 1
        while top > 0:
            top -= 1
            jlo, jhi, ilo, ihi = stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3]
            if jlo > jhi:
                continue
            j = (jlo + jhi) // 2
            best = np.inf
            arg = max(ilo, q - 1)
            for i in range(max(ilo, q - 1), min(ihi, j - 1) + 1):
                v = prev[i] + _segment_cost(cs, cs2, cw, i, j)
                if v < best:
                    best = v
                    arg = i
            cur[j] = best
            B[q, j] = arg
            stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3] = jlo, j - 1, ilo, arg
            stack[top + 1, 0], stack[top + 1, 1] = j + 1, jhi
            stack[top + 1, 2], stack[top + 1, 3] = arg, ihi
            top += 2
        for j in range(n + 1):
            prev[j] = cur[j]


def cluster_sorted_transpose(X, lab1, k):
    """The rows of ``X`` sorted by their 1-based cluster ``lab1`` (stable: a counting sort, the
    order of ``np.argsort(lab1, kind="stable")``) and transposed to (p, n), and the (k + 1,) block
    starts: the layout of :func:`tidyclust._silhouette_kernel.cluster_mean_distances`, built with
    no n-sized temporary."""
    m, p = X.shape
    starts = np.zeros(k + 1, np.int64)
    XT = np.empty((p, m))
    _cluster_sorted_transpose(X, lab1, starts, np.empty(k, np.int64), XT)
    return XT, starts


@njit(cache=True, nogil=True, error_model="numpy")
def _cluster_sorted_transpose(X, lab1, starts, nxt, XT):
    """``starts`` (k + 1,) starts at 0; ``nxt`` (k,) is work space."""
    m, p = X.shape
    k = nxt.shape[0]
    for i in range(m):
        starts[lab1[i]] += 1
    for cl in range(k):
        starts[cl + 1] += starts[cl]
    for cl in range(k):
        nxt[cl] = starts[cl]
    for i in range(m):
        cl = lab1[i] - 1
        pos = nxt[cl]
        nxt[cl] = pos + 1
        for j in range(p):
            XT[j, pos] = X[i, j]


def relabel_first_appearance(lab, k):
    """Renumber 0-based labels in place so that they count up by first appearance in the rows (the
    cluster of row 0 becomes 0, the next new one 1, ...). Returns ``perm``: new label c was old
    ``perm[c]``; labels never used go last, in increasing order."""
    perm = np.empty(k, np.int64)
    _relabel_first_appearance(lab, np.full(k, -1, np.int64), perm)
    return perm


@njit(cache=True, nogil=True, error_model="numpy")
def _relabel_first_appearance(lab, new, perm):
    """``new`` (k,) starts at -1."""
    k = new.shape[0]
    nxt = 0
    for i in range(lab.shape[0]):
        old = lab[i]
        if new[old] < 0:
            new[old] = nxt
            perm[nxt] = old
            nxt += 1
        lab[i] = new[old]
    for old in range(k):
        if new[old] < 0:
            perm[nxt] = old
            nxt += 1


def segment_means(X, rows, B, k, w=_NO_WEIGHTS):
    """(k, p) means of the rows of ``X`` in the k segments of ``rows`` read back from the table
    ``B`` of :func:`segment_table`, each summed row by row in order, then divided by the count (the
    operations of ``X[rows[i:j]].mean(axis=0)``, without the gathered copy); weighted by ``w`` if
    given."""
    centers = np.zeros((k, X.shape[1]))
    _segment_means(X, rows, w, B, centers)
    return centers


@njit(cache=True, nogil=True, error_model="numpy")
def _segment_means(X, rows, w, B, centers):
    """``centers`` (k, p) starts at 0."""
    k, p = centers.shape
    j = rows.shape[0]
    for q in range(k, 0, -1):
        i = B[q, j]
        total = 0.0
        for r in range(i, j):
            wr = _weight(w, rows[r])
            total += wr
            for c in range(p):
                centers[q - 1, c] += wr * X[rows[r], c]
        for c in range(p):
            centers[q - 1, c] /= total
        j = i

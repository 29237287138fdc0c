"""Weighted summaries of the rows for the k-means search on mid-sized data (private).

The rows are cut into groups by k-d tree splits (Bentley 1975; the rule of scikit-learn's
``KDTree``: a group is split at the median of its widest column), made lazily: starting from
all rows, the group with the largest ``rows x radius²`` (radius: half its bounding box's
diagonal, so this bounds the group's sum of squares) is split next, until there are ``cells``
groups. Each group is summarised by its mean, weighted by its row count. For any centers, the
weighted sum of squares of the means plus the groups' own sums of squares equals the rows' sum of
squares whenever every group lies wholly in one center's cell, so a search on the summaries ranks
center sets nearly as all the rows do, at a fraction of the cost. Splitting the widest groups
first keeps any group from spanning two clusters far apart (its mean would then sit where no row
is).

Only the splits that are used are made, so the memory is a permutation of the row indices and a
few numbers per group (a full tree of single-row leaves, as ``KDTree(leaf_size=1)`` builds, holds
a bounding box per node: about 4x the data).
"""

from __future__ import annotations

import threading

import numpy as np
from numba import njit

__all__ = ["KDSummaries", "kd_summaries"]


def kd_summaries(X: np.ndarray, cells: tuple[int, ...]) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each number of groups in ``cells`` (ascending), the groups' means ((m, p),
    C-contiguous) and row counts ((m,) float64): fewer than m groups only when the rows have
    fewer than m distinct values (identical rows always share a group)."""
    levels = KDSummaries(X, cells)
    return [levels.level(t) for t in range(len(cells))]


class KDSummaries:
    """:func:`kd_summaries` one level at a time, coarse to fine, on demand: each level continues
    the splits of the one before (the same groups as all at once), so a caller can start with the
    coarse summary while the finer ones are made. Thread-safe: a level asked for while another
    thread makes it is waited for."""

    def __init__(self, X: np.ndarray, cells: tuple[int, ...]) -> None:
        self._X = np.ascontiguousarray(X, dtype=np.float64)
        targets = np.asarray(cells, dtype=np.int64)
        if targets.size == 0 or np.any(np.diff(targets) <= 0) or targets[0] < 1:
            raise ValueError(f"cells must be ascending positive group counts, not {cells!r}")
        self._targets = targets
        n, cap = self._X.shape[0], int(targets[-1])
        self._idx = np.arange(n, dtype=np.int64)
        # the groups' first and last rows, widest column and spread, the heap of splittable
        # groups, and (groups, heap size)
        self._state = (
            np.empty(cap, np.int64), np.empty(cap, np.int64), np.empty(cap, np.int64),
            np.empty(cap), np.empty(cap, np.int64), np.zeros(2, np.int64),
        )  # fmt: skip
        self._levels: list[tuple[np.ndarray, np.ndarray]] = []
        self._lock = threading.Lock()

    def level(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """The means and row counts of level ``t`` (``cells[t]`` groups)."""
        if t < len(self._levels):  # made: no need to wait while another thread makes a finer one
            return self._levels[t]
        with self._lock:
            while len(self._levels) <= t:
                target = int(self._targets[len(self._levels)])
                ranges = np.empty((target, 2), np.int64)
                groups = _cut(self._X, self._idx, target, ranges, *self._state)
                self._levels.append(_group_means(self._X, self._idx, ranges[:groups]))
            if len(self._levels) == self._targets.size:  # all made: free the row order (8 bytes
                self._X = self._idx = self._state = None  # a row, which a grid would keep)
            return self._levels[t]


@njit(cache=True, inline="always", error_model="numpy")
def _row(idx, r):
    """``idx[r]`` (r >= 0) as an unsigned row index: numba wraps negative signed indices around,
    and those tests made the splits 16 % slower on 10,000 rows (20 % on 100,000)."""
    return np.uint64(idx[np.uint64(r)])


@njit(cache=True, inline="always", error_model="numpy")
def _box(X, idx, start, end):
    """(rows x half-diagonal², widest column) of the rows ``idx[start:end]``."""
    p = X.shape[1]
    widest, width, half2 = 0, -1.0, 0.0
    for j in range(p):
        lo, hi = np.inf, -np.inf
        for r in range(start, end):
            v = X[_row(idx, r), j]
            lo = min(lo, v)
            hi = max(hi, v)
        if hi - lo > width:  # the first of equally wide columns, as KDTree
            widest, width = j, hi - lo
        half2 += (0.5 * (hi - lo)) ** 2
    return (end - start) * half2, widest


@njit(cache=True, nogil=True, error_model="numpy")
def _cut(X, idx, target, ranges, first, last, widest, spread, heap, counts):
    """Split groups (ranges of ``idx``, permuted in place) widest first until there are
    ``target`` groups (or none can be split), continuing from the groups and heap of splittable
    ones in the state arrays (``counts``: the number of groups and the heap's size; zero groups:
    start from all rows); their (start, end) ranges go to ``ranges``, in row order. Returns the
    number of groups."""
    n = X.shape[0]
    groups, top = counts[0], counts[1]
    if groups == 0:
        first[0], last[0] = 0, n
        spread[0], widest[0] = _box(X, idx, 0, n)
        groups, top = 1, 0
        if n > 1 and spread[0] > 0.0:
            heap[0], top = 0, 1
    while groups < target and top > 0:
        g = heap[0]
        top -= 1
        _sift_down(heap, top, spread, heap[top])
        a, b = first[g], last[g]
        mid = _median_split(X, idx, a, b, widest[g])
        last[g], first[groups], last[groups] = mid, mid, b
        for h in (g, groups):
            spread[h], widest[h] = _box(X, idx, first[h], last[h])
            if last[h] - first[h] > 1 and spread[h] > 0.0:
                _sift_up(heap, top, spread, h)
                top += 1
        groups += 1
    counts[0], counts[1] = groups, top
    is_first = np.zeros(n + 1, np.bool_)
    for g in range(groups):
        is_first[first[g]] = True
    is_first[n] = True
    g, a = 0, 0
    for r in range(1, n + 1):
        if is_first[r]:
            ranges[g, 0], ranges[g, 1] = a, r
            g, a = g + 1, r
    return groups


@njit(cache=True, inline="always", error_model="numpy")
def _sift_up(heap, pos, key, g):
    """Insert group ``g`` at the heap's end ``pos`` (a max-heap on ``key``)."""
    while pos > 0:
        parent = (pos - 1) // 2
        if key[heap[parent]] >= key[g]:
            break
        heap[pos] = heap[parent]
        pos = parent
    heap[pos] = g


@njit(cache=True, inline="always", error_model="numpy")
def _sift_down(heap, size, key, g):
    """Put group ``g`` at the root of a heap of ``size`` entries and restore the order."""
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        if child + 1 < size and key[heap[child + 1]] > key[heap[child]]:
            child += 1
        if key[heap[child]] <= key[g]:
            break
        heap[pos] = heap[child]
        pos = child
    if size > 0:
        heap[pos] = g


@njit(cache=True, error_model="numpy")
def _median_split(X, idx, a, b, j):
    """Split ``idx[a:b]`` by column ``j`` at its median (as KDTree), moved so that rows of equal
    value stay on one side: the groups are boxes that do not overlap, and they depend on the
    rows' values only, not on their order. Returns the first row of the upper part."""
    mid = a + (b - a) // 2
    _select(X, idx, a, b, mid, j)
    v = X[idx[mid], j]
    below = a  # idx[a:mid]: the rows below v first, then those equal to v
    for r in range(a, mid):
        if X[_row(idx, r), j] < v:
            idx[below], idx[r] = idx[r], idx[below]
            below += 1
    above = mid  # idx[mid:b]: the rows equal to v first, then those above
    for r in range(mid, b):
        if X[_row(idx, r), j] == v:
            idx[above], idx[r] = idx[r], idx[above]
            above += 1
    # idx[below:above] all equal v: they go down (split at ``above``) or up (at ``below``),
    # whichever keeps the halves nearer even; never leaving a half empty (v is not the only value).
    if below == a or (above < b and above - mid <= mid - below):
        return above
    return below


# Hoare's selection with a pivot at a pseudo-random position, so no order of the rows (sorted,
# or up then down: a middle pivot is then the maximum at every round, quadratic) makes it slow;
# after SELECT_ROUNDS rounds the rest is sorted (introselect's guarantee, O(n log n)).
SELECT_ROUNDS = 64


@njit(cache=True, error_model="numpy")
def _select(X, idx, lo, hi, kth, j):
    """Permute ``idx[lo:hi]`` so that the rows before ``kth`` are no larger in column ``j`` than
    the row at ``kth`` and those after it no smaller (as C++'s ``nth_element``)."""
    hi -= 1
    state = np.uint64(0x9E3779B97F4A7C15) ^ np.uint64(hi - lo)
    for _ in range(SELECT_ROUNDS):
        if lo >= hi:
            return
        state ^= state << np.uint64(13)  # xorshift64
        state ^= state >> np.uint64(7)
        state ^= state << np.uint64(17)
        v = X[idx[lo + np.int64(state % np.uint64(hi - lo + 1))], j]
        a, b = lo, hi
        while a <= b:
            while X[_row(idx, a), j] < v:
                a += 1
            while X[_row(idx, b), j] > v:
                b -= 1
            if a <= b:
                idx[a], idx[b] = idx[b], idx[a]
                a += 1
                b -= 1
        if kth <= b:
            hi = b
        elif kth >= a:
            lo = a
        else:
            return
    if lo < hi:
        _heapsort(X, idx, lo, hi + 1, j)


@njit(cache=True, nogil=True, error_model="numpy")
def _heapsort(X, idx, lo, hi, j):
    """Sort ``idx[lo:hi]`` by column ``j`` (heapsort: O(n log n) whatever the order)."""
    n = hi - lo
    for root in range(n // 2 - 1, -1, -1):
        _sift(X, idx, lo, root, n, j)
    for end in range(n - 1, 0, -1):  # the largest of the heap idx[lo:lo + end + 1] goes last
        idx[lo], idx[lo + end] = idx[lo + end], idx[lo]
        _sift(X, idx, lo, 0, end, j)


@njit(cache=True, inline="always", error_model="numpy")
def _sift(X, idx, lo, root, size, j):
    """Restore the max-heap ``idx[lo:lo + size]`` (by column ``j``) below ``root``."""
    while True:
        child = 2 * root + 1
        if child >= size:
            return
        if child + 1 < size and X[idx[lo + child + 1], j] > X[idx[lo + child], j]:
            child += 1
        if X[idx[lo + child], j] <= X[idx[lo + root], j]:
            return
        idx[lo + root], idx[lo + child] = idx[lo + child], idx[lo + root]
        root = child


@njit(cache=True, nogil=True, error_model="numpy")
def _group_means(X, idx, ranges):
    """Means ((m, p)) and row counts ((m,)) of the groups ``idx[start:end]``."""
    m, p = ranges.shape[0], X.shape[1]
    means, counts = np.zeros((m, p)), np.empty(m)
    for g in range(m):
        start, end = ranges[g, 0], ranges[g, 1]
        for r in range(start, end):
            for j in range(p):
                means[g, j] += X[idx[r], j]
        counts[g] = end - start
        for j in range(p):
            means[g, j] /= counts[g]
    return means, counts

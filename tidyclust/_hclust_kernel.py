"""The agglomeration loop of R's ``stats::hclust`` as a numba kernel.

The algorithm is Murtagh's nearest-neighbour-list agglomeration with the Lance–Williams updates,
as in R's ``hclust.f`` (F. Murtagh 1986; R modifications by Ihaka, Leisch, Maechler), including
its tie-breaking: the first (lowest-index) minimum wins everywhere, and a row only keeps track of
its nearest neighbour *to the right*. Mirroring the loop, rather than calling another library,
is what makes the merge heights, the merge order (non-monotone ``median``/``centroid`` trees) and
ties (duplicate rows) come out as in R.

Linkage codes are R's ``iOpt``: 1 ward.D, 2 single, 3 complete, 4 average, 5 mcquitty,
6 median, 7 centroid, 8 ward.D2.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["LINKAGE_CODES", "agglomerate", "euclidean"]

LINKAGE_CODES = {
    "ward.D": 1, "single": 2, "complete": 3, "average": 4,
    "mcquitty": 5, "median": 6, "centroid": 7, "ward.D2": 8,
}  # fmt: skip
INF = 1e300  # R's DATA INF/1.D+300/


def euclidean(X):
    """Full symmetric Euclidean distance matrix, summed column by column as R's ``dist()``."""
    D = np.zeros((X.shape[0], X.shape[0]))
    _euclidean(X, D)
    return D


# The kernels take their arrays from the Python wrappers: an array allocated inside a kernel
# compiles numba's np.zeros/np.full overload for it (seconds of a cold first report in all).
@numba.njit(cache=True)
def _euclidean(X, D):
    n, p = X.shape
    for i in range(n):
        for j in range(i + 1, n):
            s = 0.0
            for c in range(p):
                dev = X[i, c] - X[j, c]
                s += dev * dev
            D[i, j] = np.sqrt(s)
            D[j, i] = D[i, j]


@numba.njit(cache=True, inline="always")
def _update(code, dik, djk, dij, mi, mj, mk):
    """Lance–Williams update of the dissimilarity between k and the union of i and j."""
    if code == 1 or code == 8:
        return ((mi + mk) * dik + (mj + mk) * djk - mk * dij) / (mi + mj + mk)
    if code == 2:
        return min(dik, djk)
    if code == 3:
        return max(dik, djk)
    if code == 4:
        return (mi * dik + mj * djk) / (mi + mj)
    if code == 5:
        return (dik + djk) / 2
    if code == 6:
        return ((dik + djk) - dij / 2) / 2
    return (mi * dik + mj * djk - mi * mj * dij / (mi + mj)) / (mi + mj)


@numba.njit(cache=True, inline="always")
def _nearest_right(D, flag, i, inf, jj):
    """Nearest flagged neighbour of ``i`` among j > i (first minimum); ``jj`` kept if none."""
    dmin = inf
    for j in range(i + 1, D.shape[0]):
        if flag[j] and D[i, j] < dmin:
            dmin = D[i, j]
            jj = j
    return jj, dmin


def agglomerate(D, code):
    """Run the n - 1 agglomerations on a copy of ``D`` (n x n, C-contiguous float64).

    Returns ``ia``, ``ib`` (0-based smallest member of the two merged clusters, ia < ib) and
    ``crit`` (merge heights, in merge order), as R's ``hclust.f`` returns IA, IB, CRIT.
    """
    n = D.shape[0]
    ia, ib, crit = np.zeros(n - 1, np.int64), np.zeros(n - 1, np.int64), np.zeros(n - 1)
    work = (np.empty((n, n)), np.ones(n), np.ones(n, np.bool_), np.zeros(n, np.int64), np.full(n, INF))
    _agglomerate(D, code, ia, ib, crit, *work)
    return ia, ib, crit


@numba.njit(cache=True)
def _agglomerate(D0, code, ia, ib, crit, D, membr, flag, nn, disnn):
    """Fills ia, ib, crit; D (n x n) is work space, membr and flag start at 1, nn at 0, disnn at INF."""
    n = D.shape[0]
    for i in range(n):  # ward.D2 works on squared distances
        for j in range(n):
            D[i, j] = D0[i, j] * D0[i, j] if code == 8 else D0[i, j]
    # typed zeros, not literal ones: _nearest_right compiles once, not also for Literal[int](0)
    jj = np.int64(0)
    im = 0
    jm = np.int64(0)
    for i in range(n - 1):
        jm, disnn[i] = _nearest_right(D, flag, i, INF, jm)
        nn[i] = jm
    for step in range(n - 1):
        dmin = INF
        for i in range(n - 1):
            if flag[i] and disnn[i] < dmin:
                dmin = disnn[i]
                im = i
                jm = nn[i]
        i2 = min(im, jm)
        j2 = max(im, jm)
        ia[step] = i2
        ib[step] = j2
        crit[step] = np.sqrt(dmin) if code == 8 else dmin
        flag[j2] = False
        dmin = INF
        dij = D[i2, j2]
        for k in range(n):
            if flag[k] and k != i2:
                new = _update(code, D[i2, k], D[j2, k], dij, membr[i2], membr[j2], membr[k])
                D[i2, k] = new
                D[k, i2] = new
                if i2 < k:
                    if new < dmin:
                        dmin = new
                        jj = k
                elif new < disnn[k]:  # JB's fix for non-monotone (centroid) methods
                    disnn[k] = new
                    nn[k] = i2
        membr[i2] += membr[j2]
        disnn[i2] = dmin
        nn[i2] = jj
        for i in range(n - 1):
            if flag[i] and (nn[i] == i2 or nn[i] == j2):
                jj, disnn[i] = _nearest_right(D, flag, i, INF, jj)
                nn[i] = jj

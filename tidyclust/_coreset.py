"""Weighted summaries of the rows for the k-means search on mid-sized data (private).

A k-d tree (scikit-learn's ``KDTree``, split at the median of the widest column down to single
rows) is cut into ``cells`` groups of rows: starting from the root, the group with the largest
``rows x radius²`` (a bound on its sum of squares) is split into its two children until there
are ``cells`` groups. Each group is summarised by its mean, weighted by its row count. For any
centers, the weighted sum of squares of the means plus the groups' own sums of squares equals
the rows' sum of squares whenever every group lies wholly in one center's cell, so a search on
the summaries ranks center sets nearly as all the rows do, at a fraction of the cost.
Splitting the widest groups first keeps any group from spanning two clusters far apart (its
mean would then sit where no row is).
"""

from __future__ import annotations

import heapq

import numpy as np

__all__ = ["kd_summaries"]


def kd_summaries(X: np.ndarray, cells: tuple[int, ...]) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each number of groups in ``cells`` (each at most the number of rows), the groups'
    means ((m, p), C-contiguous) and row counts ((m,) float64), from one tree."""
    from sklearn.neighbors import KDTree

    tree = KDTree(X, leaf_size=1)
    _, order, nodes, _ = tree.get_arrays()
    start, end, leaf = nodes["idx_start"], nodes["idx_end"], nodes["is_leaf"].astype(bool)
    spread = (end - start) * nodes["radius"] ** 2
    Xo = X[order]
    out = []
    for m in cells:
        groups = _cut(spread, leaf, m)
        groups = groups[np.argsort(start[groups])]  # contiguous row ranges, in row order
        first = start[groups]
        counts = (end[groups] - first).astype(np.float64)
        means = np.add.reduceat(Xo, first, axis=0) / counts[:, None]
        out.append((np.ascontiguousarray(means), counts))
    return out


def _cut(spread: np.ndarray, leaf: np.ndarray, m: int) -> np.ndarray:
    """Node ids of ``m`` groups covering the rows: split the group of largest ``spread`` first;
    leaves are never split."""
    heap = [(-spread[0], 0)]
    final: list[int] = []
    while heap and len(heap) + len(final) < m:
        _, node = heapq.heappop(heap)
        if leaf[node]:
            final.append(node)
            continue
        for child in (2 * node + 1, 2 * node + 2):
            heapq.heappush(heap, (-spread[child], child))
    return np.array(final + [node for _, node in heap], dtype=np.int64)

"""Cluster quality metrics: silhouette widths (as ``cluster::silhouette``), ...

Label convention (docs/design.md): clusters are integers from 1, and 0 marks noise (DBSCAN/HDBSCAN).
Noise rows are left out of every silhouette computation, as is conventional: they belong to no
cluster, so they have no a(i), and they are not a cluster anyone could be a neighbour of.
"""

from __future__ import annotations

import numpy as np

from tidyclust._silhouette_kernel import cluster_mean_distances
from tidyclust.errors import DataValueError, ParameterError

__all__ = ["mean_silhouette", "silhouette_widths"]


# --------------------------------------------------------------------------- validation helpers
def _check_matrix(X: object, arg: str = "X") -> np.ndarray:
    """``X`` as a C-contiguous finite float64 (n × p) matrix."""
    try:
        M = np.ascontiguousarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"{arg}: expected a numeric (n x p) array, got {type(X).__name__} ({exc})"
        ) from None
    if M.ndim != 2 or M.shape[0] == 0 or M.shape[1] == 0:
        raise ParameterError(
            f"{arg}: expected a non-empty 2-D (n x p) array, got shape {M.shape}; "
            "reshape a single feature with X.reshape(-1, 1)"
        )
    if not np.isfinite(M).all():
        row = int(np.nonzero(~np.isfinite(M).all(axis=1))[0][0]) + 1
        raise DataValueError(f"{arg}: row {row} has a missing or infinite value; drop or fill it first")
    return M


def _check_labels(labels: object, n: int, arg: str = "labels") -> np.ndarray:
    """``labels`` as an int32 vector of length ``n`` with values >= 0 (0 = noise)."""
    lab = np.asarray(labels)
    if lab.ndim != 1:
        raise ParameterError(f"{arg}: expected a 1-D vector of cluster labels, got shape {lab.shape}")
    if lab.shape[0] != n:
        raise ParameterError(
            f"{arg}: has {lab.shape[0]} values but the data has {n} rows; give one label per row"
        )
    if lab.dtype.kind == "f":
        if not np.isfinite(lab).all() or not np.array_equal(lab, np.round(lab)):
            raise ParameterError(f"{arg}: must be integer cluster codes, got non-integer values")
    elif lab.dtype.kind not in "iu":
        raise ParameterError(f"{arg}: must be integer cluster codes, got dtype {lab.dtype}")
    if lab.size and lab.min() < 0:
        raise ParameterError(
            f"{arg}: got the negative label {int(lab.min())}; clusters are numbered from 1 and 0 means "
            "noise (map scikit-learn's -1 noise label to 0)"
        )
    return lab.astype(np.int32)


def _silhouette_parts(M: np.ndarray, lab: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Widths, neighbour labels and the kept-row mask, for validated inputs."""
    keep = lab != 0
    codes_of, codes = np.unique(lab[keep], return_inverse=True)
    K, m = codes_of.size, int(keep.sum())
    if K < 2 or m <= K:
        raise ParameterError(
            f"labels: the silhouette needs between 2 and n - 1 clusters among the non-noise rows, got {K} "
            f"cluster(s) on {m} row(s); use k >= 2 and fewer clusters than rows"
        )
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=K)
    starts = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    XT = np.ascontiguousarray(M[keep][order].T)
    a, b, nb = cluster_mean_distances(XT, starts)
    size = counts[codes[order]]
    # cluster::silhouette (C sildist): s = 0 for singletons and when a == b.
    defined = (size > 1) & (a != b)
    s_sorted = np.divide(b - a, np.maximum(a, b), out=np.zeros_like(a), where=defined)
    s_kept = np.empty(m)
    s_kept[order] = s_sorted
    nb_kept = np.empty(m, dtype=np.int32)
    nb_kept[order] = codes_of[nb]
    return s_kept, nb_kept, keep


# --------------------------------------------------------------------------- silhouette, low level
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
    M = _check_matrix(X)
    lab = _check_labels(labels, M.shape[0])
    s_kept, nb_kept, keep = _silhouette_parts(M, lab)
    sil = np.full(M.shape[0], np.nan)
    neighbor = np.zeros(M.shape[0], dtype=np.int32)
    sil[keep] = s_kept
    neighbor[keep] = nb_kept
    return sil, neighbor


def mean_silhouette(X: np.ndarray, labels: np.ndarray) -> float:
    """Average silhouette width over the non-noise rows (``summary(silhouette(...))$avg.width``).

    Equals :func:`sklearn.metrics.silhouette_score` when there is no noise, but with O(n·p) memory
    and several times faster. Arguments and errors as :func:`silhouette_widths`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [10.0], [12.0]])
    >>> round(mean_silhouette(X, np.array([1, 1, 2, 2])), 6)
    0.856163
    """
    M = _check_matrix(X)
    lab = _check_labels(labels, M.shape[0])
    s_kept, _, _ = _silhouette_parts(M, lab)
    return float(s_kept.mean())

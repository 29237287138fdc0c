"""Agreement between cluster labels and known labels (the lesson's genres).

Three views, from naive to label-free:

* ``naive_accuracy``: the lesson's check. It compares each cluster number with the genre's code as
  an R factor, levels in alphabetical order (afro dancehall = 1, afropop = 2, nigerian pop = 3), so
  it depends entirely on how the clusters happen to be numbered; it is kept to replicate the lesson.
* ``best_accuracy``: the accuracy under the best one-to-one matching of clusters to labels
  (Hungarian algorithm, :func:`scipy.optimize.linear_sum_assignment` on the contingency table);
  invariant to renumbering the clusters.
* ``ari`` and ``nmi``: adjusted Rand index and normalised mutual information (scikit-learn).

Noise rows (label 0) match no known label: they count as wrong in both accuracies and take part in
the matching of no cluster; for ARI and NMI the noise is one more group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from tidyclust._metric_inputs import check_labels, is_fit
from tidyclust.errors import ParameterError

__all__ = ["Agreement", "agreement"]


@dataclass(frozen=True)
class Agreement:
    """How well clusters recover known labels; see :func:`agreement`.

    Attributes
    ----------
    table : polars.DataFrame
        Tidy contingency table: ``cluster`` (Int32), ``truth``, ``n``, every pair (zeros included).
    matching : polars.DataFrame
        The best matching: ``cluster``, ``truth``, ``n`` (rows of that cluster with that label).
    n, naive_correct, best_correct : int
    naive_accuracy, best_accuracy, ari, nmi : float
    """

    table: pl.DataFrame
    matching: pl.DataFrame
    n: int
    naive_correct: int
    naive_accuracy: float
    best_correct: int
    best_accuracy: float
    ari: float
    nmi: float

    def wide(self) -> pl.DataFrame:
        """The contingency table with one row per cluster and one column per known label."""
        return self.table.pivot(on="truth", index="cluster", values="n", sort_columns=True).sort("cluster")

    def glance(self) -> pl.DataFrame:
        """One row: n, naive_correct, naive_accuracy, best_correct, best_accuracy, ari, nmi."""
        names = ["n", "naive_correct", "naive_accuracy", "best_correct", "best_accuracy", "ari", "nmi"]
        return pl.DataFrame({name: [getattr(self, name)] for name in names})


def _truth_vector(truth: object, n: int) -> np.ndarray:
    values = truth if isinstance(truth, pl.Series) else pl.Series("truth", list(truth))
    if values.len() != n:
        raise ParameterError(f"truth: has {values.len()} values but there are {n} labels; give one per row")
    if values.null_count():
        raise ParameterError(f"truth: has {values.null_count()} missing value(s); drop those rows first")
    return values.to_numpy()


def agreement(labels_or_fit: object, truth: pl.Series | Sequence[str]) -> Agreement:
    """Compare cluster labels with known labels (e.g. genres).

    Parameters
    ----------
    labels_or_fit : fit or sequence of int
        A fit (its ``.labels``) or one cluster label per row (from 1; 0 = noise).
    truth : polars Series or sequence
        The known label of every row, same order.

    Returns
    -------
    Agreement
        Contingency table (``.table`` tidy, ``.wide()``), the lesson's naive accuracy (cluster
        number == alphabetical factor code of the label), the best accuracy over one-to-one
        cluster↔label matchings (Hungarian), adjusted Rand index and NMI.

    Examples
    --------
    >>> res = agreement([1, 1, 2, 2, 2], ["b", "b", "a", "a", "b"])
    >>> res.naive_correct, res.best_correct, res.best_accuracy
    (1, 4, 0.8)
    >>> res.matching.rows()
    [(1, 'b', 2), (2, 'a', 2)]
    """
    # Imported here, not with the module: with scipy.stats in metrics, half of `import tidyclust`.
    from scipy.optimize import linear_sum_assignment
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    raw = labels_or_fit.labels if is_fit(labels_or_fit) else labels_or_fit
    if isinstance(raw, str) or not hasattr(raw, "__len__"):
        raise ParameterError(f"labels_or_fit: expected a fit or a sequence of cluster labels, got {raw!r}")
    labels = check_labels(raw, None, "labels_or_fit")
    truth_v = _truth_vector(truth, labels.size)
    levels, codes = np.unique(truth_v, return_inverse=True)  # alphabetical, as R's factor()
    clusters = np.unique(labels[labels != 0])
    counts = np.array(
        [[np.sum((labels == c) & (codes == t)) for t in range(levels.size)] for c in clusters], dtype=np.int64
    ).reshape(clusters.size, levels.size)  # 0 x L when every row is noise
    naive = int(np.sum(labels == codes + 1))
    rows, cols = linear_sum_assignment(counts, maximize=True) if counts.size else ([], [])
    best = int(counts[rows, cols].sum()) if counts.size else 0
    n = int(labels.size)
    return Agreement(
        table=_tidy_table(clusters, levels, counts, truth_v),
        matching=pl.DataFrame(
            {
                "cluster": pl.Series(clusters[rows], dtype=pl.Int32),
                "truth": pl.Series(levels[cols].tolist(), dtype=_dtype(truth_v)),
                "n": pl.Series(counts[rows, cols], dtype=pl.Int64),
            }
        ),
        n=n,
        naive_correct=naive,
        naive_accuracy=naive / n,
        best_correct=best,
        best_accuracy=best / n,
        ari=float(adjusted_rand_score(codes, labels)),
        nmi=float(normalized_mutual_info_score(codes, labels)),
    )


def _dtype(values: np.ndarray) -> pl.DataType:
    return pl.Series(values[:1].tolist()).dtype


def _tidy_table(
    clusters: np.ndarray, levels: np.ndarray, counts: np.ndarray, truth: np.ndarray
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "cluster": pl.Series(np.repeat(clusters, levels.size), dtype=pl.Int32),
            "truth": pl.Series(np.tile(levels, clusters.size).tolist(), dtype=_dtype(truth)),
            "n": pl.Series(counts.reshape(-1), dtype=pl.Int64),
        }
    )

"""The silhouette kernels skip clusters whose centroid is farther than the best mean distance so far
(a lower bound on their mean distance): a, b and the neighbour must be those of summing every
cluster, here a brute force over scipy's distances, and the pruning must actually skip work."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from tidyclust import _silhouette_kernel as sk


def _blobs(rng: np.random.Generator, k: int, p: int, per: int, spread: float = 10.0):
    centers = rng.normal(size=(k, p)) * spread
    lab = np.repeat(np.arange(k), per)
    return centers[lab] + rng.normal(size=(k * per, p)), lab


def _cases() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(X, 0-based codes) for each case; every code 0..K-1 present."""
    rng = np.random.default_rng(2024)
    cases = {f"blobs k={k}": _blobs(rng, k, 5, 120) for k in range(2, 11)}
    cases["overlapping"] = (rng.normal(size=(700, 3)), rng.integers(0, 6, 700))
    cases["overlapping blobs"] = _blobs(rng, 8, 2, 90, spread=1.0)
    X, lab = _blobs(rng, 6, 3, 40)
    cases["duplicate points"] = (np.repeat(X, 3, axis=0), np.repeat(lab, 3))
    X, lab = _blobs(rng, 7, 4, 60)
    lab[[0, 61, 200]] = [7, 8, 9]  # three singleton clusters, near other clusters' rows
    cases["singletons"] = (X, lab)
    cases["1 feature"] = _blobs(rng, 9, 1, 80)
    cases["20 features"] = _blobs(rng, 10, 20, 50)
    X, lab = _blobs(rng, 8, 3, 60)
    cases["far from the origin"] = (X + 1e6, lab)
    # Integer points on a line: every distance and sum is exact, so the mean distances from the
    # middle rows to clusters 1 and 2 (and to 0 and 3) tie exactly; the smallest code must win.
    line = np.array([-12, -11, -10, -2, -1, 1, 2, 10, 11, 12, 0, 0], dtype=float)[:, None]
    cases["ties"] = (line, np.array([0, 0, 0, 1, 1, 2, 2, 3, 3, 3, 4, 4]))
    return cases


CASES = _cases()


def _brute(X: np.ndarray, lab: np.ndarray):
    """a, b, neighbour and the (n, K) distance sums, from every pairwise distance."""
    n, K = lab.shape[0], lab.max() + 1
    sizes = np.bincount(lab, minlength=K)
    sums = np.column_stack([cdist(X, X[lab == c]).sum(axis=1) for c in range(K)])
    own = sums[np.arange(n), lab]
    a = np.where(sizes[lab] > 1, own / np.maximum(sizes[lab] - 1, 1), 0.0)
    means = sums / sizes
    means[np.arange(n), lab] = np.inf
    return a, means.min(axis=1), means.argmin(axis=1), sums


def _sorted_layout(X: np.ndarray, lab: np.ndarray):
    order = np.argsort(lab, kind="stable")
    starts = np.concatenate(([0], np.cumsum(np.bincount(lab)))).astype(np.int64)
    return order, np.ascontiguousarray(X[order].T), starts


@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("name", list(CASES))
def test_pruned_row_kernel_equals_every_cluster_summed(
    monkeypatch: pytest.MonkeyPatch, name: str, parallel: bool
) -> None:
    if parallel:  # the threaded path at any size
        monkeypatch.setattr(sk, "_PARALLEL_MIN_PAIRS", 0)
    X, lab = CASES[name]
    order, XT, starts = _sorted_layout(X, lab)
    a, b, nb, n_sums = sk._cluster_mean_distances(XT, starts, np.arange(X.shape[0], dtype=np.int64), parallel)
    ra, rb, rnb, _ = _brute(X, lab)
    np.testing.assert_allclose(a, ra[order], rtol=1e-12, atol=0)
    np.testing.assert_allclose(b, rb[order], rtol=1e-12, atol=0)
    np.testing.assert_array_equal(nb, rnb[order])
    assert X.shape[0] <= n_sums <= X.shape[0] * (starts.shape[0] - 1)
    # the public wrapper returns the same
    public = sk.cluster_mean_distances(XT, starts, np.arange(X.shape[0], dtype=np.int64), parallel=parallel)
    for x, y in zip(public, (a, b, nb), strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("gather", [512, None])
@pytest.mark.parametrize("name", list(CASES))
def test_pruned_sampled_sums_keep_every_possible_neighbour(
    monkeypatch: pytest.MonkeyPatch, name: str, gather: int | None
) -> None:
    """Own sums always formed, formed sums equal to the brute force's (to the documented relative
    error of single precision, sk._single_rel), and what model._silhouette_sample reads from them:
    a, b (the row-wise min of sums / sizes without the own column, skipped clusters +inf) to that
    precision, and its argmin (ties to the smallest code)."""
    if gather is not None:  # clusters gathered in chunks
        monkeypatch.setattr(sk, "_GATHER_ROWS", gather)
    X, lab = CASES[name]
    n = X.shape[0]
    rows = np.random.default_rng(5).choice(n, size=min(n, 300), replace=False).astype(np.int64)
    sizes, sums = sk.sampled_cluster_distance_sums(X, (lab + 1).astype(np.int32), int(lab.max()) + 1, rows)
    ra, rb, rnb, rsums = _brute(X, lab)
    own = lab[rows]
    m = np.arange(rows.shape[0])
    formed = np.isfinite(sums)
    assert formed[m, own].all()
    np.testing.assert_allclose(sums[formed], rsums[rows][formed], rtol=sk._single_rel(X.shape[1]), atol=0)
    a = np.where(sizes[own] > 1, sums[m, own] / np.maximum(sizes[own] - 1, 1), 0.0)
    np.testing.assert_allclose(a, ra[rows], rtol=sk._single_rel(X.shape[1]), atol=0)
    means = sums / sizes
    means[m, own] = np.inf
    np.testing.assert_allclose(means.min(axis=1), rb[rows], rtol=sk._single_rel(X.shape[1]), atol=0)
    np.testing.assert_array_equal(means.argmin(axis=1), rnb[rows])


def test_the_absolute_margin_keeps_a_tie_that_centroid_rounding_would_hide(monkeypatch) -> None:
    """Row 0 (0.1) is at distance 0 from clusters 1 (three copies of 0.1) and 2 (one copy): a tie
    that goes to code 1. Cluster 1's centroid, 0.3000...04 / 3, is 1.4e-17 from 0.1, so a bound
    compared with b = 0 without the absolute margin of _margins would skip it and report code 2."""
    X = np.array([[0.1], [5.0], [5.1], [0.1], [0.1], [0.1], [0.1]])
    lab = np.array([0, 0, 0, 1, 1, 1, 2])
    _, XT, starts = _sorted_layout(X, lab)
    rows = np.arange(7, dtype=np.int64)
    labels = (lab + 1).astype(np.int32)

    def neighbours() -> tuple[int, bool]:
        _, b, nb, _ = sk._cluster_mean_distances(XT, starts, rows, False)
        _, sums = sk.sampled_cluster_distance_sums(X, labels, 3, rows)
        assert b[0] == 0.0
        return int(nb[0]), bool(np.isfinite(sums[0, 1]))

    assert neighbours() == (1, True)
    monkeypatch.setattr(sk, "_margins", lambda n, peak: (0.0, 0.0))
    assert neighbours() == (2, False)


def test_the_pruning_skips_most_clusters_on_separated_blobs() -> None:
    """With k = 10 separated blobs a row sums its own cluster and about one other, not all ten; with
    k = 2 there is nothing to skip."""
    rng = np.random.default_rng(11)
    for k in (2, 10):
        X, lab = _blobs(rng, k, 5, 300)
        n = X.shape[0]
        _, XT, starts = _sorted_layout(X, lab)
        n_sums = sk._cluster_mean_distances(XT, starts, np.arange(n, dtype=np.int64), False)[3]
        rows = rng.choice(n, size=500, replace=False).astype(np.int64)
        _, sums = sk.sampled_cluster_distance_sums(X, (lab + 1).astype(np.int32), k, rows)
        if k == 2:
            assert n_sums == 2 * n and np.isfinite(sums).all()
        else:
            assert n_sums <= 0.3 * n * k
            assert np.isfinite(sums).mean() <= 0.3


@pytest.mark.parametrize("scale", [1e-30, 1e-6, 1.0, 1e30])
def test_sampled_sums_keep_single_precision_at_any_scale(scale: float) -> None:
    """The sampled sums are formed on rows divided by a power-of-two unit near the data's diameter
    (sk._unit), so that single precision neither overflows (squared distances of 1e60) nor flushes
    to zero (of 1e-60): at any scale they equal the brute force's to sk._single_rel."""
    X, lab = CASES["overlapping blobs"]
    X = X * scale
    rows = np.arange(0, X.shape[0], 7, dtype=np.int64)
    _, sums = sk.sampled_cluster_distance_sums(X, (lab + 1).astype(np.int32), int(lab.max()) + 1, rows)
    *_, rsums = _brute(X, lab)
    formed = np.isfinite(sums)
    np.testing.assert_allclose(sums[formed], rsums[rows][formed], rtol=sk._single_rel(X.shape[1]), atol=0)


def test_sampled_sums_fall_back_to_double_precision_where_single_cannot_scale() -> None:
    """Rows all equal (no diameter), or so far from the origin for their spread that dividing them by
    the unit would overflow: the sums are formed in double precision, in the data's units."""
    equal = np.ones((6, 2))
    assert sk._unit(np.ptp(equal, axis=0), np.abs(equal).max(axis=0)) == 0.0
    far = np.array([[1e300, 0.0], [1e300, 2.0**-800], [1e300, 2.0**-799]])
    assert sk._unit(np.ptp(far, axis=0), np.abs(far).max(axis=0)) == 0.0
    X, _ = CASES["ties"]
    assert sk._unit(np.ptp(X, axis=0), np.abs(X).max(axis=0)) == 16.0  # diameter 24
    _, sums = sk.sampled_cluster_distance_sums(equal, np.array([1, 1, 1, 2, 2, 2], np.int32), 2, np.arange(6))
    np.testing.assert_array_equal(sums, 0.0)


@pytest.mark.parametrize("p", [1, 2, 3, 4, 5, 6])
def test_four_rows_at_once_sum_what_one_row_at_a_time_sums(p: int) -> None:
    """The sampled estimate's four-row loop: per row, the same single-precision distance sums as the
    one-row loop, over several tiles, carrying each row's running total."""
    rng = np.random.default_rng(p)
    XT = np.ascontiguousarray(rng.normal(size=(p, 3 * sk._TILE + 37)))
    rows = np.array([5, 900, 17, 1500], np.int64)
    lo, hi = 11, XT.shape[1] - 3
    carried = np.array([0.0, 1.5, 2.5, 1e3])
    totals = carried.copy()
    sk._block_distance_sums4(XT, rows, lo, hi, np.empty((4, sk._TILE)), totals)
    for q in range(4):
        one = sk._block_distance_sum(XT, rows[q], lo, hi, np.empty(sk._TILE), carried[q], True)
        assert totals[q] == pytest.approx(one, rel=1e-12)
        exact = carried[q] + np.sqrt(((XT[:, lo:hi] - XT[:, [rows[q]]]) ** 2).sum(axis=0)).sum()
        assert totals[q] == pytest.approx(exact, rel=2**-22)


def test_a_value_that_is_not_finite_sends_the_sampled_sums_to_double_precision() -> None:
    """The range the single-precision unit is chosen from comes from the pass that sums the
    clusters: a column with an infinite value has a NaN range, so no unit (double precision), as
    numpy's max - min gave; finite data gets numpy's range exactly."""
    X = np.array([[0.0, 1.0], [2.0, -3.0], [np.inf, 5.0], [1.0, 0.5]])
    labels = np.array([1, 1, 2, 2], np.int32)
    sums, peak, span = np.zeros((2, 2)), np.zeros(2), np.zeros(2)
    sk._label_sums(X, labels, sums, peak, span)
    assert np.isnan(span[0]) and span[1] == 8.0
    assert sk._unit(span, peak) == 0.0
    finite = X[[0, 1, 3]]
    sums, peak, span = np.zeros((2, 2)), np.zeros(2), np.zeros(2)
    sk._label_sums(finite, np.array([1, 1, 2], np.int32), sums, peak, span)
    np.testing.assert_array_equal(span, np.ptp(finite, axis=0))
    assert sk._unit(span, peak) == sk._unit(np.ptp(finite, axis=0), np.abs(finite).max(axis=0))

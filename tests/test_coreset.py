"""The opt-in k-means search on summaries of the rows (sample_size="summary": tidyclust._coreset,
Hartigan's method).

Oracles: the summaries' sums (weights add up to the rows, weighted means to the column sums),
a brute-force check that Hartigan's fixed points admit no improving single-row move, the full
search (sample_size=None), and scikit-learn's best of 25 starts.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs

from tidyclust import _kmeans_kernels as kern
from tidyclust import kmeans, kmeans_grid, model
from tidyclust._coreset import _heapsort, _select, kd_summaries
from tidyclust.errors import ParameterError
from tidyclust.model import grid_seed


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


@pytest.fixture(scope="module")
def blobs10k() -> np.ndarray:
    X, _ = make_blobs(10_000, n_features=5, centers=6, random_state=11)
    return np.ascontiguousarray(X)


# --------------------------------------------------------------------------- summaries
def test_summaries_partition_the_rows(blobs10k: np.ndarray) -> None:
    for means, sizes in kd_summaries(blobs10k, (256, 2048)):
        assert means.shape == (sizes.shape[0], 5) and means.flags.c_contiguous
        assert sizes.min() >= 1 and sizes.sum() == blobs10k.shape[0]
        np.testing.assert_allclose(sizes @ means, blobs10k.sum(axis=0), rtol=1e-10, atol=1e-8)
    assert [m.shape[0] for m, _ in kd_summaries(blobs10k, (256, 2048))] == [256, 2048]


def test_summary_levels_made_on_demand_are_the_same_groups(blobs10k: np.ndarray) -> None:
    """KDSummaries makes its levels one at a time, continuing the splits: a finer level asked for
    first, or each level made alone, gives the groups of every level made at once (the means to
    rounding: a coarse group's rows are summed in the order its own splits left them), and
    threads asking for levels at once get the same arrays."""
    from concurrent.futures import ThreadPoolExecutor

    from tidyclust._coreset import KDSummaries

    cells = (256, 1024, 2048)
    whole = kd_summaries(blobs10k, cells)
    levels = KDSummaries(blobs10k, cells)
    assert levels.level(2) is levels.level(2)  # the finest first, then the rest from the cache
    for (means, sizes), (m_all, s_all) in zip((levels.level(t) for t in range(3)), whole, strict=True):
        assert np.array_equal(sizes, s_all)
        np.testing.assert_allclose(means, m_all, rtol=1e-12, atol=1e-12)
    alone = KDSummaries(blobs10k, cells)
    with ThreadPoolExecutor(3) as pool:
        got = list(pool.map(alone.level, [2, 0, 1, 2, 0]))
    assert got[0] is got[3] and got[1] is got[4]
    for t, (means, sizes) in zip([2, 0, 1], got, strict=False):
        assert np.array_equal(means, levels.level(t)[0]) and np.array_equal(sizes, levels.level(t)[1])


def test_summaries_do_not_straddle_far_clusters() -> None:
    """No group mean falls in the empty space between two far-apart clusters (the widest groups
    are split first)."""
    rng = np.random.default_rng(3)
    X = np.concatenate([rng.normal(0, 1, (3001, 2)), rng.normal(40, 1, (2999, 2))])
    for means, _ in kd_summaries(X, (64, 512)):
        nearest = np.minimum(np.linalg.norm(means, axis=1), np.linalg.norm(means - 40, axis=1))
        assert nearest.max() < 6


def test_summaries_of_few_rows_are_the_rows() -> None:
    """Asked for more groups than rows: one group per row."""
    X = np.arange(10.0).reshape(5, 2)
    means, sizes = kd_summaries(X, (8,))[0]
    assert sizes.tolist() == [1.0] * 5
    np.testing.assert_array_equal(np.sort(means, axis=0), X)


def test_identical_rows_share_a_group() -> None:
    """Rows of equal value stay on one side of every split: three distinct rows, three groups,
    however many are asked for."""
    X = np.repeat([[0.0, 1.0], [5.0, 5.0], [9.0, 0.0]], [7, 1, 12], axis=0)
    means, sizes = kd_summaries(X, (2, 16))[1]
    order = np.argsort(means[:, 0])
    np.testing.assert_array_equal(means[order], [[0.0, 1.0], [5.0, 5.0], [9.0, 0.0]])
    assert sizes[order].tolist() == [7.0, 1.0, 12.0]


def test_ties_stay_together_at_the_median() -> None:
    """Column 0 is the widest; its median value 2 is shared by 5 rows, which go together to the
    lower half, which keeps the two halves nearer even (7 and 3 rows, not 2 and 8)."""
    X = np.column_stack([[9.0, 1.0, 2.0, 2.0, 4.0, 2.0, 2.0, 0.0, 9.0, 2.0], np.zeros(10)])
    means, sizes = kd_summaries(X, (2,))[0]
    order = np.argsort(sizes)
    assert sizes[order].tolist() == [3.0, 7.0]
    np.testing.assert_allclose(means[order, 0], [22 / 3, 11 / 7])


def test_summaries_are_the_kd_tree_nodes_of_scikit_learn(blobs10k: np.ndarray) -> None:
    """Oracle: scikit-learn's KDTree splits by the same rule (the median of the widest column),
    so cutting its full tree widest first (node ``rows x radius²``) gives the same groups, as long
    as the cut stays above the tree's last level (its leaves hold one or two rows and cannot be
    split; ours split down to single rows)."""
    from sklearn.neighbors import KDTree

    _, order, nodes, _ = KDTree(blobs10k, leaf_size=1).get_arrays()
    spread = (nodes["idx_end"] - nodes["idx_start"]) * nodes["radius"] ** 2
    for m in (16, 100, 512):
        heap = [0]
        while len(heap) < m:  # split the widest node; the tree's levels here are all inner nodes
            node = max(heap, key=lambda i: spread[i])
            heap.remove(node)
            heap += [2 * node + 1, 2 * node + 2]
        assert not nodes["is_leaf"][heap].any()
        want = {frozenset(order[nodes["idx_start"][i] : nodes["idx_end"][i]].tolist()) for i in heap}
        means, sizes = kd_summaries(blobs10k, (m,))[0]
        got = {}
        for group in want:
            rows = np.array(sorted(group))
            got[tuple(np.round(blobs10k[rows].mean(axis=0), 9))] = rows.size
        assert {tuple(np.round(mu, 9)): size for mu, size in zip(means, sizes, strict=True)} == got


column = arrays(np.float64, st.integers(1, 60), elements=st.floats(-5, 5).map(round))  # many ties


@settings(max_examples=60, deadline=None)
@given(values=column, data=st.data())
def test_select_puts_the_kth_row_between_smaller_and_larger(values: np.ndarray, data: st.DataObject) -> None:
    X = np.column_stack([np.zeros_like(values), values])
    lo = data.draw(st.integers(0, values.size - 1))
    hi = data.draw(st.integers(lo + 1, values.size))
    kth = data.draw(st.integers(lo, hi - 1))
    idx = np.arange(values.size)
    _select(X, idx, lo, hi, kth, 1)
    assert sorted(idx[lo:hi].tolist()) == list(range(lo, hi))
    assert idx[:lo].tolist() == list(range(lo)) and idx[hi:].tolist() == list(range(hi, values.size))
    assert (
        values[idx[lo:kth]].max(initial=-np.inf)
        <= values[idx[kth]]
        <= values[idx[kth + 1 : hi]].min(initial=np.inf)
    )


@settings(max_examples=60, deadline=None)
@given(values=column)
def test_heapsort_sorts_a_range_of_rows(values: np.ndarray) -> None:
    """The selection's fallback after SELECT_ROUNDS rounds (never reached on ordinary data)."""
    X = values[:, None]
    idx = np.arange(values.size)
    _heapsort(X, idx, 1, values.size, 0)
    assert idx[0] == 0 and sorted(idx.tolist()) == list(range(values.size))
    assert (np.diff(values[idx[1:]]) >= 0).all()


def test_rows_in_any_order_are_cut_alike() -> None:
    """Sorted, reversed, or up then down (a middle pivot is then the maximum at every round):
    the groups do not depend on the rows' order."""
    rng = np.random.default_rng(9)
    up = np.arange(3000.0)  # every value twice: ties at every split on column 0
    X = np.column_stack([np.concatenate([up, up[::-1]]), rng.normal(size=6000)])
    want = _group_set(X, kd_summaries(X, (64, 512)))
    for order in (np.argsort(X[:, 0], kind="stable"), np.arange(6000)[::-1], rng.permutation(6000)):
        assert _group_set(X[order], kd_summaries(X[order], (64, 512))) == want


def _group_set(X: np.ndarray, summaries: list[tuple[np.ndarray, np.ndarray]]) -> list[set]:
    return [
        {(tuple(np.round(mu, 9)), size) for mu, size in zip(means, sizes, strict=True)}
        for means, sizes in summaries
    ]


def test_summaries_ask_for_ascending_group_counts(blobs10k: np.ndarray) -> None:
    with pytest.raises(ValueError, match="cells must be ascending positive group counts"):
        kd_summaries(blobs10k, (2048, 1024))


# --------------------------------------------------------------------------- Hartigan's method
def test_hartigan_ends_where_no_single_row_move_helps() -> None:
    rng = np.random.default_rng(5)
    X = np.ascontiguousarray(rng.normal(size=(300, 3)))
    w = rng.uniform(0.5, 4.0, 300)
    inits = np.ascontiguousarray(X[rng.choice(300, size=(6, 5))])
    tot, finals = kern.hartigan_multistart(X, w, inits, 100)
    assert np.isfinite(tot).all()
    for s in range(inits.shape[0]):
        C = finals[s]
        d = ((X[:, None, :] - C[None]) ** 2).sum(axis=2)
        lab = d.argmin(axis=1)
        W = np.bincount(lab, weights=w, minlength=5)
        # the centers are the weighted means of the nearest-center clusters, and tot their cost
        means = np.stack([np.average(X[lab == c], axis=0, weights=w[lab == c]) for c in range(5)])
        np.testing.assert_allclose(C, means, rtol=1e-9, atol=1e-9)
        assert tot[s] == pytest.approx(float(w @ d[np.arange(300), lab]), rel=1e-10)
        # Hartigan's condition: moving any row to another cluster does not lower the cost
        own = W[lab] / (W[lab] - w) * d[np.arange(300), lab]
        other = W[None, :] / (W[None, :] + w[:, None]) * d
        other[np.arange(300), lab] = np.inf
        assert (other.min(axis=1) >= own * (1 - 1e-9)).all()


def test_hartigan_marks_a_start_that_empties_a_cluster() -> None:
    X = np.ascontiguousarray(np.arange(12.0).reshape(6, 2))
    inits = np.ascontiguousarray(np.stack([X[[0, 0, 5]], X[[0, 2, 5]]]))
    tot, _ = kern.hartigan_multistart(X, np.ones(6), inits, 10)
    assert tot[0] == np.inf and np.isfinite(tot[1])


# --------------------------------------------------------------------------- the search
def test_which_searches_use_summaries() -> None:
    def how(sample_size: object = "auto", init: str = "k-means++") -> model._Search:
        return model._resolve(25, 1, None, "hartigan-wong", sample_size, init, True)[0]

    auto, summary = how(), how("summary")
    assert not model._summary_search(auto, model.CORESET_MIN_ROWS, None)
    assert model._summary_search(auto, model.CORESET_MIN_ROWS + 1, None)
    assert model._summary_search(auto, 10_000_000, None)
    assert not model._summary_search(auto, 10_000, np.ones(10_000))  # weighted: every row
    assert not model._summary_search(how(init="random"), 10_000, None)  # R's search: every row
    for other in (None, 5_000):
        assert not model._summary_search(how(other), 10_000, None)
    assert model._summary_search(summary, model.CORESET_CELLS[-1] + 1, None)
    assert model._summary_search(summary, 10**6, None)
    assert not model._summary_search(summary, model.CORESET_CELLS[-1], None)  # no bigger than its summary


def test_refinements_share_a_budget_of_rows() -> None:
    """8 solutions run on all rows up to 20,000 rows, then 160,000 / n of them, at least 2."""
    got = {n: model._refinements(n) for n in (8_193, 20_000, 20_001, 40_000, 53_333, 80_000, 10**6)}
    assert got == {8_193: 8, 20_000: 8, 20_001: 7, 40_000: 4, 53_333: 3, 80_000: 2, 10**6: 2}


def test_auto_is_the_summary_search_in_its_range(blobs10k: np.ndarray) -> None:
    data = pl.DataFrame(blobs10k)
    auto, summary = kmeans(data, 8, seed=3), kmeans(data, 8, seed=3, sample_size="summary")
    assert np.array_equal(auto.labels, summary.labels) and auto.tot_withinss == summary.tot_withinss
    small = pl.DataFrame(blobs10k[:8_000])
    assert kmeans(small, 8, seed=3).tot_withinss == kmeans(small, 8, seed=3, sample_size=None).tot_withinss


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"init": "random"}, r"sample_size: 'summary' draws k-means\+\+ starts .* not init='random'"),
        ({"algorithm": "lloyd", "weights": np.ones(10_000)}, r"sample_size: 'summary' summarises unweighted"),
        (
            {"sample_size": "summaries"},
            r"sample_size: expected an integer, got 'summaries'; or 'auto', 'summary'",
        ),
    ],
)
def test_summary_search_bad_options_are_named(blobs10k: np.ndarray, options: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        kmeans(pl.DataFrame(blobs10k), 3, **{"sample_size": "summary", **options})


def test_summary_search_finds_the_clusters_the_full_search_finds(blobs10k: np.ndarray) -> None:
    data = pl.DataFrame(blobs10k)
    for k in (2, 6):
        summary = kmeans(data, k, seed=3, sample_size="summary")
        full = kmeans(data, k, seed=3, sample_size=None)
        assert same_partition(summary.labels, full.labels)
        assert summary.tot_withinss == pytest.approx(full.tot_withinss, rel=1e-12)


def test_summary_search_is_as_good_as_scikit_learns_loop_on_blobs(blobs10k: np.ndarray) -> None:
    """Above the 6 true clusters the optima lie close together: scikit-learn's best of 25 moves
    by up to 1.5e-3 with its random_state, and any one search lands within 1e-4 of another's
    only most of the time. Over three seeds, the search's mean gap to the best total known is at
    most the loop's, and no k is more than 5e-4 above the loop with the same seed."""
    seeds = (1, 2, 3)
    data = pl.DataFrame(blobs10k)
    ours = np.array([kmeans_grid(data, seed=s, sample_size="summary").frame["tot_withinss"] for s in seeds])
    theirs = np.array(
        [[KMeans(k, n_init=25, random_state=s).fit(blobs10k).inertia_ for k in range(1, 11)] for s in seeds]
    )
    best = np.minimum(ours.min(axis=0), theirs.min(axis=0))
    assert (ours / best - 1).mean() <= (theirs / best - 1).mean(), (ours / best - 1, theirs / best - 1)
    assert (ours <= theirs * (1 + 5e-4)).all(), ours / theirs - 1


def test_grid_fit_equals_kmeans_with_its_seed_on_summaries(blobs10k: np.ndarray) -> None:
    data = pl.DataFrame(blobs10k)
    grid = kmeans_grid(data, k=[3, 8], seed=5, sample_size="summary")
    for k in (3, 8):
        single = kmeans(data, k, seed=grid_seed(5, k), sample_size="summary")
        assert np.array_equal(grid.fit(k).labels, single.labels)
        assert grid.fit(k).tot_withinss == single.tot_withinss


@pytest.mark.parametrize("why", ["coarse summary has fewer distinct means than k", "every start failed"])
def test_summary_search_falls_back_to_every_row(
    blobs10k: np.ndarray, monkeypatch: pytest.MonkeyPatch, why: str
) -> None:
    data = pl.DataFrame(blobs10k)
    every = kmeans(data, 12, seed=4, sample_size=None)
    taken: list[bool] = []
    summary_inits = model._summary_inits

    def spy(*args: object) -> np.ndarray | None:
        inits = summary_inits(*args)
        taken.append(inits is None)
        return inits

    monkeypatch.setattr(model, "_summary_inits", spy)
    if why.startswith("coarse"):
        monkeypatch.setattr(model, "CORESET_CELLS", (8, 2048))  # 8 group means for 12 clusters
    else:

        def failed(means: np.ndarray, w: np.ndarray, inits: np.ndarray, max_pass: int) -> tuple:
            return np.full(inits.shape[0], np.inf), np.zeros_like(inits)

        monkeypatch.setattr(kern, "hartigan_multistart", failed)
    fit = kmeans(data, 12, seed=4, sample_size="summary")
    assert taken == [True]  # the summary search gave up, and the rows' own starts ran
    assert fit.converged and fit.sizes.min() > 0
    if why.startswith("coarse"):  # given up before drawing: the very starts of sample_size=None
        assert fit.tot_withinss == every.tot_withinss and np.array_equal(fit.labels, every.labels)
    else:  # the summaries' draws came first, so other starts of the same search on every row
        assert fit.tot_withinss == pytest.approx(every.tot_withinss, rel=0.02)


def test_summary_search_on_clumpy_rows_is_as_good_as_every_row(songs: pl.DataFrame) -> None:
    """The data file's rows resampled, their float columns jittered (as the benchmark's songs-like
    files): tight clumps with whole popularities. Either search can miss by up to 2e-3 at some k
    for a seed, so compare over six seeds: the mean gap to the best known tot_withinss. A coarse
    summary of 256 groups (merging clumps) fails this, 3.7e-4 against every row's 0; 1,024 groups
    pass."""
    columns = ["popularity", "danceability", "acousticness", "loudness", "energy"]
    base = songs.select(pl.col(columns).cast(pl.Float64)).drop_nulls().to_numpy()
    rng = np.random.default_rng(7)
    X = base[rng.integers(0, base.shape[0], 10_000)]
    X[:, 1:] += rng.normal(size=(X.shape[0], 4)) * 0.05 * base[:, 1:].std(axis=0)
    data = pl.DataFrame(X, schema=columns)

    def grids(**options: object) -> np.ndarray:
        return np.array(
            [kmeans_grid(data, range(2, 11), seed=s, **options).frame["tot_withinss"] for s in range(1, 7)]
        )

    summary, every = grids(), grids(sample_size=None)
    best = np.minimum(summary.min(axis=0), every.min(axis=0))
    gap_summary, gap_every = (summary / best - 1).mean(), (every / best - 1).mean()
    assert gap_summary <= 2 * gap_every + 2e-5, (gap_summary, gap_every)


def test_large_data_continues_on_a_finer_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    """From 32,768 rows the starts go through 1,024, 2,048 and then 8,192 group means; the fit
    is still a local optimum of all rows (each row with its nearest center)."""
    X, _ = make_blobs(40_000, n_features=3, centers=5, random_state=4)
    seen: list[int] = []
    hartigan = kern.hartigan_multistart

    def spy(means: np.ndarray, *args: object) -> tuple:
        seen.append(means.shape[0])
        return hartigan(means, *args)

    monkeypatch.setattr(kern, "hartigan_multistart", spy)
    fit = kmeans(pl.DataFrame(X), 7, seed=2)
    assert seen == [1024, 2048, 8192]
    nearest = ((X[:, None, :] - fit.centers[None]) ** 2).sum(axis=2).argmin(axis=1) + 1
    assert (nearest == fit.labels).all()


def test_quick_passes_try_each_row_against_its_recorded_cluster_only() -> None:
    """Hartigan & Wong's quick transfer: a row moves to ``alt[i]`` when that lowers the sum of
    squares, and is not tried against any other cluster, however much better."""
    X = np.ascontiguousarray([[0.0], [1.0], [2.0], [10.0], [11.0], [20.0], [21.0], [3.9]])
    w = np.ones(8)
    lab = np.array([0, 0, 0, 1, 1, 2, 2, 1], np.int32)  # row 7 (3.9) sits in the cluster at 10-11
    C = np.array([[1.0], [(10 + 11 + 3.9) / 3], [20.5]])
    W = np.array([3.0, 3.0, 2.0])
    alt = np.full(8, -1, np.int32)
    alt[7] = 2  # recorded: the cluster at 20-21, which is worse for it than staying
    CT = np.ascontiguousarray(C.T)
    seen, changed = np.full(8, -1, np.int64), np.zeros(4, np.int64)  # never tried; no move yet
    assert kern._quick_pass(X, w, lab, alt, C, CT, W, seen, changed) == 0 and lab[7] == 1
    alt[7], seen[7] = 0, -1  # recorded: the cluster at 0-2, much better (and not tried against it)
    assert kern._quick_pass(X, w, lab, alt, C, CT, W, seen, changed) == 1
    np.testing.assert_array_equal(CT, C.T)  # the transposed copy follows
    assert lab[7] == 0 and alt[7] == 1  # moved, and its old cluster is now its alternative
    np.testing.assert_allclose(C[:, 0], [(0 + 1 + 2 + 3.9) / 4, 10.5, 20.5])
    np.testing.assert_allclose(W, [4.0, 2.0, 2.0])
    assert changed.tolist() == [1, 1, 0, 1]  # the move count, and the clusters it changed


def test_quick_passes_skip_a_row_whose_two_clusters_have_not_changed_since_it_was_tried() -> None:
    """The skip's contract: a row tried when the move count was ``seen[i]`` is tried again only once
    its cluster or its alt has changed since (``changed[c] > seen[i]``); until then every number of
    its test is unchanged, so trying it could not move it. Shown on a state where trying it would
    move it: the row stays until its alt is marked changed."""
    X = np.ascontiguousarray([[0.0], [1.0], [10.0], [11.0], [4.0]])
    w = np.ones(5)
    lab = np.array([0, 0, 1, 1, 1], np.int32)
    alt = np.array([-1, -1, -1, -1, 0], np.int32)
    C = np.array([[0.5], [25.0 / 3]])
    W = np.array([2.0, 3.0])
    CT = np.ascontiguousarray(C.T)
    seen, changed = np.full(5, -1, np.int64), np.zeros(3, np.int64)
    seen[4] = 0  # tried when no move had been made, and nothing has changed since
    assert kern._quick_pass(X, w, lab, alt, C, CT, W, seen, changed) == 0 and lab[4] == 1
    changed[0] = 1  # its alt changed after it was tried
    assert kern._quick_pass(X, w, lab, alt, C, CT, W, seen, changed) == 1 and lab[4] == 0


# --------------------------------------------------------------------------- Lloyd's ranking
@pytest.mark.parametrize("seed", range(4))
def test_lloyd_rank_reaches_scikit_learns_lloyd_from_the_same_starts(seed: int) -> None:
    """Lloyd's algorithm to convergence with Hamerly's bounds: the same fixed point as
    scikit-learn's Lloyd (tol=0, run until no row changes cluster) from each start."""
    X, _ = make_blobs(3_000, n_features=4, centers=5, cluster_std=2.0, random_state=seed)
    X = np.ascontiguousarray(X)
    k = 8
    rows = np.random.default_rng(seed).choice(X.shape[0], size=(5, k), replace=False)
    inits = np.ascontiguousarray(X[rows])
    tot, finals = kern.lloyd_rank(X, inits, 1000)
    for s in range(inits.shape[0]):
        km = KMeans(k, init=inits[s], n_init=1, tol=0.0, max_iter=1000, algorithm="lloyd").fit(X)
        assert tot[s] == pytest.approx(km.inertia_, rel=1e-12)
        nearest = ((X[:, None, :] - finals[s][None]) ** 2).sum(axis=2).argmin(axis=1)
        assert same_partition(nearest, km.labels_)


@settings(max_examples=40, deadline=None)
@given(
    X=arrays(np.float64, st.tuples(st.integers(12, 60), st.integers(1, 3)), elements=st.integers(-20, 20)),
    k=st.integers(2, 5),
    seed=st.integers(0, 2**16),
)
def test_lloyd_rank_ends_at_a_fixed_point_of_lloyds_algorithm(X: np.ndarray, k: int, seed: int) -> None:
    """Any data (integer values: duplicates and exact ties) and any starts: each finite result's
    centers are the means of their clusters, each row is at a nearest center (to rounding), and
    ``tot`` is the sum of squares about them."""
    X = np.ascontiguousarray(X + np.random.default_rng(seed).normal(scale=1e-3, size=X.shape))
    inits = np.ascontiguousarray(X[np.random.default_rng(seed).choice(X.shape[0], size=(3, k))])
    tot, finals = kern.lloyd_rank(X, inits, 10_000)
    for s in range(3):
        if not np.isfinite(tot[s]):  # a cluster emptied
            continue
        d = ((X[:, None, :] - finals[s][None]) ** 2).sum(axis=2)
        lab = d.argmin(axis=1)
        assert np.unique(lab).size == k
        means = np.stack([X[lab == c].mean(axis=0) for c in range(k)])
        np.testing.assert_allclose(finals[s], means, rtol=1e-9, atol=1e-9)
        assert tot[s] == pytest.approx(d[np.arange(X.shape[0]), lab].sum(), rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("block", [1, 7, 4096])
def test_lloyd_rank_by_blocks_of_rows_changes_nothing(
    blobs10k: np.ndarray, block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows' bounds are checked a block at a time: the same totals and centers, bit for bit, as
    one block of all rows."""
    rows = np.random.default_rng(3).choice(blobs10k.shape[0], size=(3, 6), replace=False)
    inits = np.ascontiguousarray(blobs10k[rows])
    monkeypatch.setattr(kern, "LLOYD_BLOCK", blobs10k.shape[0])
    tot, finals = kern.lloyd_rank(blobs10k, inits, 1000)
    monkeypatch.setattr(kern, "LLOYD_BLOCK", block)
    tot_b, finals_b = kern.lloyd_rank(blobs10k, inits, 1000)
    np.testing.assert_array_equal(tot_b, tot)
    np.testing.assert_array_equal(finals_b, finals)


@settings(max_examples=40, deadline=None)
@given(
    X=arrays(np.float64, st.tuples(st.integers(3, 90), st.integers(1, 4)), elements=st.integers(-3, 3)),
    k=st.integers(2, 6),
    seed=st.integers(0, 2**16),
)
def test_nearest_two_of_a_batch_of_rows_is_the_brute_force_one(X: np.ndarray, k: int, seed: int) -> None:
    """Any listed rows (fewer than a batch, in any order; small integers, so exact ties): the nearest
    center (the first of equals), the distance to it and to the second nearest, exactly; other rows
    untouched."""
    rng = np.random.default_rng(seed)
    C = np.ascontiguousarray(X[rng.choice(X.shape[0], size=k)] + rng.integers(-1, 2, size=(k, X.shape[1])))
    m = min(X.shape[0], kern.NEAREST_BATCH)
    listed = rng.permutation(X.shape[0])[:m]
    rows = np.zeros(kern.NEAREST_BATCH, np.int64)
    rows[:m] = listed
    upper, lower = np.full(X.shape[0], -1.0), np.full(X.shape[0], -1.0)
    p, nb = X.shape[1], kern.NEAREST_BATCH
    XB = np.full((p, nb), 7.0)  # lanes past m hold whatever an earlier batch left
    D, D1, D2, nearest = np.empty(nb), np.empty(nb), np.empty(nb), np.empty(nb, np.int64)
    kern._nearest_two_rows(X, rows, m, C, upper, lower, XB, D, D1, D2, nearest)
    d = ((X[listed][:, None, :] - C[None]) ** 2).sum(axis=2)
    np.testing.assert_array_equal(nearest[:m], d.argmin(axis=1))
    np.testing.assert_array_equal(upper[listed], np.sqrt(d.min(axis=1)))
    np.testing.assert_array_equal(lower[listed], np.sqrt(np.sort(d, axis=1)[:, 1]))
    others = np.setdiff1d(np.arange(X.shape[0]), listed)
    assert (upper[others] == -1.0).all() and (lower[others] == -1.0).all()


def test_lloyd_rank_marks_a_start_that_leaves_a_cluster_empty() -> None:
    """A center no row is nearest to stays where it is (it may win rows later, as the start with
    a repeated center does); one that never does marks the start failed."""
    X = np.ascontiguousarray(np.arange(12.0).reshape(6, 2))
    far = np.array([[0.0, 1.0], [1000.0, 1000.0], [10.0, 11.0]])
    inits = np.ascontiguousarray(np.stack([far, X[[0, 0, 5]], X[[0, 2, 5]]]))
    tot, _ = kern.lloyd_rank(X, inits, 100)
    assert tot[0] == np.inf and np.isfinite(tot[1:]).all()


def test_the_summary_search_runs_hartigan_wong_from_the_best_lloyd_result(
    blobs10k: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The best summary solutions (8 at 10,000 rows) run Lloyd's algorithm on all rows; the fit
    is Hartigan–Wong from the final centers of the one that ends lowest."""
    ranked: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    lloyd_rank = kern.lloyd_rank

    def spy(X: np.ndarray, starts: np.ndarray, max_iter: int) -> tuple:
        tot, finals = lloyd_rank(X, starts, max_iter)
        ranked.append((starts, tot, finals))
        return tot, finals

    monkeypatch.setattr(kern, "lloyd_rank", spy)
    fit = kmeans(pl.DataFrame(blobs10k), 9, seed=3)
    [(starts, tot, finals)] = ranked
    assert starts.shape[0] == model._refinements(10_000) == 8
    best = int(np.argmin(tot))
    ic1, _, wss, *_ = kern.hartigan_wong(blobs10k, finals[best])
    assert same_partition(fit.labels, ic1) and fit.tot_withinss == pytest.approx(wss.sum(), rel=1e-12)
    assert fit.tot_withinss <= tot[best] * (1 + 1e-12)  # Hartigan–Wong only improves on it
    # one start is not ranked, and neither are starts that all failed
    one = np.ascontiguousarray(starts[:1])
    assert model._lloyd_ranked(blobs10k, one) is one and model._lloyd_ranked(blobs10k, None) is None


def test_the_summary_search_segments_the_coarse_summary_not_the_rows(
    blobs10k: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The principal-axis start of the summary search is the weighted segmentation of the 1,024
    group means it runs on: the rows themselves are never ordered along the axis (at 10,000 rows
    that took 6-9 ms before the grid's threads start)."""
    seen: list[tuple[int, bool]] = []
    order = model._principal_axis_order

    def spy(X: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
        seen.append((X.shape[0], w is not None))
        return order(X, w)

    monkeypatch.setattr(model, "_principal_axis_order", spy)
    grid = kmeans_grid(pl.DataFrame(blobs10k), k=range(1, 6), seed=1)
    assert seen == [(model.CORESET_CELLS[0], True)]  # once for the whole grid, on the summary
    assert grid.fit(5).pc_start


def _distinct_reference(tot: np.ndarray, finals: np.ndarray, keep: int) -> list[int]:
    """The selection written plainly with numpy (the rule of kern.distinct_solutions)."""
    kept: list[int] = []
    for s in np.argsort(tot, kind="stable").tolist():
        if len(kept) == keep:
            break
        if not np.isfinite(tot[s]):
            continue
        key = finals[s][np.lexsort(finals[s].T[::-1])]
        same = any(
            abs(tot[s] - tot[t]) <= 1e-6 * abs(tot[t])
            and np.allclose(key, finals[t][np.lexsort(finals[t].T[::-1])], rtol=1e-9, atol=1e-12)
            for t in kept
        )
        if not same:
            kept.append(s)
    return kept


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 2**32 - 1), st.integers(1, 12), st.integers(1, 6), st.integers(1, 4), st.integers(0, 20)
)
def test_distinct_solutions_keep_the_best_of_each(seed: int, nstart: int, k: int, p: int, keep: int) -> None:
    """Best first, one start per solution: copies of a solution with their centers in another
    order, or moved by 1e-13, are the same solution; moved by 1e-6, or with a total 1e-5 apart,
    another; failed starts (inf, NaN) never kept; ties in the total go to the earliest start."""
    rng = np.random.default_rng(seed)
    base = rng.integers(-3, 4, size=(max(1, nstart // 2), k, p)).astype(float)
    pick = rng.integers(0, base.shape[0], size=nstart)
    finals = base[pick].copy()
    for s in range(nstart):
        finals[s] = finals[s][rng.permutation(k)]
        finals[s] += rng.choice([0.0, 1e-13, 1e-6], p=[0.6, 0.3, 0.1])
    tot = (pick.astype(float) + 1.0) * 1000.0 + rng.choice([0.0, 1e-8, 1e-2], size=nstart)
    tot[rng.random(nstart) < 0.15] = np.inf
    tot[rng.random(nstart) < 0.05] = np.nan
    assert kern.distinct_solutions(tot, finals, keep) == _distinct_reference(tot, finals, keep)

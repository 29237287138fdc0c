"""cluster_grid: one k-grid contract for k-means, hierarchical clustering and Gaussian mixtures.

Oracles: kmeans_grid itself (k-means must keep its numbers), hclust/gaussian_mixture fitted one k at a
time, and scikit-learn's silhouette, Calinski–Harabasz and Davies–Bouldin scores.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from tidyclust import cluster_grid, kmeans_grid, suggest_k
from tidyclust.errors import ParameterError
from tidyclust.hclust import hclust
from tidyclust.mixture import gaussian_mixture
from tidyclust.model import grid_seed

COMMON = [
    "k", "method", "totss", "tot_withinss", "betweenss", "silhouette", "calinski_harabasz",
    "davies_bouldin",
]  # fmt: skip


@pytest.fixture(scope="module")
def blobs() -> pl.DataFrame:
    rng = np.random.default_rng(7)
    centers = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    X = np.vstack([c + rng.normal(size=(30, 2)) for c in centers])
    return pl.DataFrame({"x": X[:, 0], "y": X[:, 1], "label": np.repeat(["a", "b", "c"], 30)})


def test_kmeans_keeps_the_numbers_of_kmeans_grid(lesson: pl.DataFrame) -> None:
    columns = ["popularity", "danceability", "acousticness", "loudness", "energy"]
    ours = cluster_grid(lesson, range(1, 6), columns=columns, seed=2056, nstart=5)
    theirs = kmeans_grid(lesson, range(1, 6), columns=columns, seed=2056, nstart=5)
    assert ours.frame.columns[: len(COMMON)] == COMMON
    assert "iter" in ours.frame.columns and ours.frame.columns[-1] == "seconds"
    assert ours.method == "kmeans" and set(ours.frame["method"]) == {"kmeans"}
    shared = [c for c in theirs.frame.columns if c != "seconds"]
    assert ours.frame.select(shared).equals(theirs.frame.select(shared))
    assert ours.frame.filter(pl.col("k") == 3)["tot_withinss"].item() == pytest.approx(12998.660253)
    assert ours.fit(3).labels.tolist() == theirs.fit(3).labels.tolist()


def test_hclust_cuts_one_tree(blobs: pl.DataFrame) -> None:
    grid = cluster_grid(blobs, range(1, 7), method="hclust", linkage="average")
    assert grid.frame.columns == [*COMMON, "height", "seconds"]
    assert grid.fit(2).merge is grid.fit(6).merge  # one tree, cut six times
    for k in range(1, 7):
        alone = hclust(blobs, k, columns=["x", "y"], linkage="average")
        fit = grid.fit(k)
        assert fit.labels.tolist() == alone.labels.tolist()
        row = grid.frame.filter(pl.col("k") == k).row(0, named=True)
        assert row["tot_withinss"] == pytest.approx(alone.tot_withinss)
        assert row["height"] == pytest.approx(alone.height)
    assert np.all(np.diff(grid.frame["height"].to_numpy()) < 0)


def test_quality_columns_are_scikit_learns(blobs: pl.DataFrame) -> None:
    grid = cluster_grid(blobs, [1, 2, 3, 4], method="hclust")
    X = blobs.select("x", "y").to_numpy()
    first = grid.frame.row(0, named=True)
    assert first["silhouette"] is None and first["calinski_harabasz"] is None
    for row in grid.frame.filter(pl.col("k") > 1).iter_rows(named=True):
        labels = grid.fit(row["k"]).labels
        assert row["silhouette"] == pytest.approx(silhouette_score(X, labels))
        assert row["calinski_harabasz"] == pytest.approx(calinski_harabasz_score(X, labels))
        assert row["davies_bouldin"] == pytest.approx(davies_bouldin_score(X, labels))


def test_gmm_fits_each_k_with_its_grid_seed(blobs: pl.DataFrame) -> None:
    grid = cluster_grid(blobs, [1, 2, 3], method="gmm", seed=11, nstart=2, covariance="diag")
    assert grid.frame.columns == [*COMMON, "bic", "aic", "log_likelihood", "seconds"]
    for k in (1, 2, 3):
        alone = gaussian_mixture(
            blobs, k, columns=["x", "y"], seed=grid_seed(11, k), nstart=2, covariance="diag"
        )
        row = grid.frame.filter(pl.col("k") == k).row(0, named=True)
        assert row["bic"] == pytest.approx(alone.bic)
        assert row["log_likelihood"] == pytest.approx(alone.log_likelihood)
        assert grid.fit(k).labels.tolist() == alone.labels.tolist()
    # three well separated blobs: BIC is smallest at 3
    assert suggest_k(grid).filter(pl.col("rule") == "bic")["k"].item() == 3


def test_suggest_k_reads_any_method(blobs: pl.DataFrame) -> None:
    rules = suggest_k(cluster_grid(blobs, range(1, 7), method="hclust"))
    assert rules["rule"].to_list() == ["elbow", "silhouette", "calinski_harabasz", "davies_bouldin"]
    assert dict(rules.select("rule", "k").iter_rows())["elbow"] == 3
    frame = pl.DataFrame({"k": [1, 2, 3], "bic": [30.0, 10.0, 20.0]})
    assert suggest_k(frame).rows() == [("bic", "min BIC (Gaussian mixture)", 2, True)]


def test_progress_is_called_after_each_k(blobs: pl.DataFrame) -> None:
    calls: list[tuple[int, int, int]] = []
    cluster_grid(blobs, [2, 4], method="hclust", progress=lambda *a: calls.append(a))
    assert calls == [(1, 2, 2), (2, 2, 4)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "dbscan"}, r"method: 'dbscan' has no number of clusters.*kdistance_plot"),
        ({"method": "hdbscan"}, r"method: 'hdbscan' has no number of clusters"),
        ({"method": "kmedoids"}, r"method: 'kmedoids' is not a clustering method; choose one of 'kmeans'"),
        ({"method": "hclust", "linkage": "ward"}, r"linkage: 'ward' is not a linkage \(R's 'ward' is"),
        ({"method": "hclust", "nstart": 5}, r"nstart: not an option of cluster_grid\(method='hclust'\)"),
        ({"method": "gmm", "covariance": "round"}, r"covariance: 'round' is not a covariance type"),
        ({"method": "hclust", "k": []}, r"k: the grid is empty"),
        ({"method": "gmm", "k": [2, 2]}, r"k: the grid repeats a value"),
        ({"method": "hclust", "k": [2, 500]}, r"k: 500 clusters asked for but the data has 90 rows"),
        ({"method": "hclust", "k": [0, 2]}, r"k: must be >= 1"),
        ({"method": "hclust", "progress": 3}, r"progress: expected a callable"),
    ],
)
def test_bad_input_is_named(blobs: pl.DataFrame, kwargs: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        cluster_grid(blobs, **{"k": [1, 2], **kwargs})


def test_fit_of_a_k_not_in_the_grid(blobs: pl.DataFrame) -> None:
    grid = cluster_grid(blobs, [2, 3], method="hclust")
    with pytest.raises(ParameterError, match="k: 5 is not in the grid; fitted k are 2, 3"):
        grid.fit(5)


def test_a_forked_child_makes_its_own_grid_pool() -> None:
    """kmeans_grid's shared thread pool does not survive a fork (its threads are not copied; the
    report forks figure and gap workers after a grid ran): a child must get a fresh pool whose
    tasks run, not a copy whose queue nobody serves."""
    import multiprocessing

    from tidyclust._threads import shared_pool

    assert shared_pool().submit(int, "7").result(timeout=10) == 7  # the parent's pool has threads
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply_async(_run_on_the_shared_pool).get(timeout=60) == 42


def _run_on_the_shared_pool() -> int:
    from tidyclust._threads import shared_pool

    return shared_pool().submit(int, "42").result(timeout=20)


def test_kmeans_grid_threads_change_nothing_but_the_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The grid's k run side by side (this thread and the pool's) or one after another: the same
    fits and rows, handed over in the order of k, with progress after each."""
    from tidyclust import model

    data = pl.DataFrame(np.random.default_rng(4).normal(size=(400, 3)))
    ks = [5, 2, 9, 1, 7, 3]

    def run(min_work: int) -> tuple[pl.DataFrame, list[tuple[int, int, int]]]:
        monkeypatch.setattr(model, "GRID_PARALLEL_MIN_WORK", min_work)
        calls: list[tuple[int, int, int]] = []
        grid = kmeans_grid(data, ks, seed=8, progress=lambda *a: calls.append(a))
        return grid.frame.drop("seconds"), calls

    serial, serial_calls = run(10**12)
    threaded, threaded_calls = run(0)
    assert serial.equals(threaded)
    assert serial_calls == threaded_calls == [(i + 1, len(ks), k) for i, k in enumerate(ks)]


@pytest.mark.parametrize("stage", ["fit", "score"])
def test_kmeans_grid_error_in_one_k_is_raised_and_the_rest_dropped(
    monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    """An error in one k's fit, or in its score, is raised where the grid reads that k, and the
    shared pool is free again for the next grid."""
    from tidyclust import model

    monkeypatch.setattr(model, "GRID_PARALLEL_MIN_WORK", 0)
    name = {"fit": "_fit_quiet", "score": "_grid_row"}[stage]
    original = getattr(model, name)
    started: list[int] = []

    def failing(prep, k_or_fit, *rest):
        k = k_or_fit if stage == "fit" else k_or_fit.k
        started.append(k)
        if k == 6:
            raise RuntimeError(f"{stage} of k = 6 failed")
        return original(prep, k_or_fit, *rest)

    monkeypatch.setattr(model, name, failing)
    data = pl.DataFrame(np.random.default_rng(4).normal(size=(300, 2)))
    with pytest.raises(RuntimeError, match=f"{stage} of k = 6 failed"):
        kmeans_grid(data, range(1, 9), seed=1)
    assert 6 in started
    monkeypatch.setattr(model, name, original)
    assert kmeans_grid(data, range(1, 9), seed=1).frame.height == 8


def test_grid_tasks_fit_largest_k_first_then_score_smallest_k_first() -> None:
    """One thread taking every task: the fits from the largest k down, then the scores from the
    smallest k up (the dearest silhouettes first, so that they fill the other threads' gap)."""
    from tidyclust.model import _GridTasks

    log: list[str] = []

    def fit(k: int) -> tuple[int, int, float]:
        log.append(f"fit {k}")
        return k, 0, 0.0

    def score(fitted: tuple[int, int, float]) -> tuple[int, int, dict]:
        log.append(f"score {fitted[0]}")
        return fitted[0], 0, {"k": fitted[0]}

    tasks = _GridTasks([3, 1, 4, 2], fit, score)
    tasks.work()
    assert log == ["fit 4", "fit 3", "fit 2", "fit 1", "score 1", "score 2", "score 3", "score 4"]
    assert [tasks.results[k].result()[2] for k in (3, 1, 4, 2)] == [{"k": 3}, {"k": 1}, {"k": 4}, {"k": 2}]

"""Tests for tidyclust.metrics: oracles are scikit-learn, R's cluster package and hand-computed toys."""

from __future__ import annotations

import doctest
import importlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_samples, silhouette_score

from tidyclust.errors import ColumnNotFoundError, DataValueError, ParameterError
from tidyclust.gap import MAXSE_METHODS, within_dispersion
from tidyclust.metrics import (
    agreement,
    elbow,
    gap_statistic,
    max_se,
    mean_silhouette,
    silhouette,
    silhouette_sample,
    silhouette_summary,
    silhouette_widths,
    suggest_k,
)

DATA = Path("/work/shared/data/nigerian-songs.csv")
LESSON_GENRES = ["afro dancehall", "afropop", "nigerian pop"]
LESSON_COLUMNS = ["popularity", "danceability", "acousticness", "loudness", "energy"]


@pytest.fixture(scope="module")
def lesson() -> pl.DataFrame:
    if not DATA.exists():
        pytest.skip(f"lesson data not found at {DATA}")
    songs = pl.read_csv(DATA)
    return songs.filter(pl.col("artist_top_genre").is_in(LESSON_GENRES) & (pl.col("popularity") != 0))


@pytest.fixture(scope="module")
def lesson_k3(lesson: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    X = lesson.select(LESSON_COLUMNS).to_numpy().astype(np.float64)
    labels = KMeans(3, n_init=25, random_state=1).fit_predict(X) + 1
    return X, labels


# --------------------------------------------------------------------------- silhouette, low level
def test_silhouette_toy_by_hand() -> None:
    X = np.array([[0.0], [1.0], [10.0], [12.0]])
    s, nb = silhouette_widths(X, np.array([1, 1, 2, 2]))
    # row 1: a = 1, b = (10 + 12) / 2 = 11 -> 10/11; row 3: a = 2, b = (10 + 9) / 2 = 9.5 -> 7.5/9.5
    np.testing.assert_allclose(s, [10 / 11, 0.9, 7.5 / 9.5, (11.5 - 2) / 11.5])
    assert nb.tolist() == [2, 2, 1, 1]


def test_silhouette_lesson_k3(lesson_k3: tuple[np.ndarray, np.ndarray]) -> None:
    X, labels = lesson_k3
    assert sorted(np.bincount(labels)[1:].tolist()) == [65, 110, 111]
    assert mean_silhouette(X, labels) == pytest.approx(0.549466752526, abs=1e-6)
    assert mean_silhouette(X, labels) == pytest.approx(silhouette_score(X, labels), abs=1e-9)
    s, _ = silhouette_widths(X, labels)
    np.testing.assert_allclose(s, silhouette_samples(X, labels), atol=1e-9)


def test_silhouette_noise_rows_are_excluded() -> None:
    X = np.array([[0.0], [1.0], [5.0], [10.0], [12.0]])
    s, nb = silhouette_widths(X, np.array([1, 1, 0, 2, 2]))
    assert np.isnan(s[2]) and nb[2] == 0
    clean = silhouette_widths(X[[0, 1, 3, 4]], np.array([1, 1, 2, 2]))[0]
    np.testing.assert_allclose(s[[0, 1, 3, 4]], clean)
    assert mean_silhouette(X, np.array([1, 1, 0, 2, 2])) == pytest.approx(clean.mean())


def test_silhouette_singleton_is_zero() -> None:
    X = np.array([[0.0], [1.0], [2.0], [50.0]])
    s, _ = silhouette_widths(X, np.array([1, 1, 1, 2]))
    assert s[3] == 0.0


@pytest.mark.parametrize(
    ("labels", "match"),
    [
        (np.array([1, 1, 2]), "has 3 values but the data has 4 rows"),
        (np.array([1, 1, 1, 1]), "between 2 and n - 1 clusters"),
        (np.array([1, 2, 3, 4]), "between 2 and n - 1 clusters"),
        (np.array([1, -1, 2, 2]), "negative label -1"),
        (np.array([1.5, 1, 2, 2]), "integer cluster codes"),
    ],
)
def test_silhouette_label_errors(labels: np.ndarray, match: str) -> None:
    X = np.arange(4.0).reshape(-1, 1)
    with pytest.raises(ParameterError, match=match):
        silhouette_widths(X, labels)


def test_silhouette_matrix_errors() -> None:
    with pytest.raises(ParameterError, match="X: expected a non-empty 2-D"):
        mean_silhouette(np.arange(4.0), np.array([1, 1, 2, 2]))
    with pytest.raises(DataValueError, match="row 2 has a missing or infinite value"):
        mean_silhouette(np.array([[0.0], [np.nan], [1.0], [2.0]]), np.array([1, 1, 2, 2]))


# --------------------------------------------------------------------------- silhouette vs R
R_DIR = Path(__file__).parent / "r_oracle"


@pytest.fixture(scope="module")
def usarrests() -> tuple[np.ndarray, pl.DataFrame]:
    frame = pl.read_csv(R_DIR / "usarrests.csv")
    cutree = pl.read_csv(R_DIR / "usarrests_cutree.csv")
    return frame.drop("state").to_numpy().astype(np.float64), cutree


@pytest.mark.r_oracle
@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_silhouette_equals_r_cluster_silhouette(usarrests, k: int) -> None:
    X, cutree = usarrests
    want = pl.read_csv(R_DIR / "usarrests_silhouette.csv").filter(pl.col("k") == k)
    got = silhouette(X, labels=cutree[f"k{k}"].to_numpy())
    assert got["row"].to_list() == want["row"].to_list()
    assert got["cluster"].to_list() == want["cluster"].to_list()
    assert got["neighbor"].to_list() == want["neighbor"].to_list()
    np.testing.assert_allclose(got["sil_width"].to_numpy(), want["sil_width"].to_numpy(), rtol=0, atol=1e-12)


def test_silhouette_neighbor_ties_go_to_smallest_label() -> None:
    X = np.array([[0.0], [0.0], [5.0], [6.0], [-5.0], [-6.0]])
    assert silhouette_widths(X, np.array([1, 1, 2, 2, 3, 3]))[1][:2].tolist() == [2, 2]
    assert silhouette_widths(X, np.array([3, 3, 1, 1, 2, 2]))[1][:2].tolist() == [1, 1]


# --------------------------------------------------------------------------- silhouette frame
@dataclass(frozen=True)
class _Fit:
    """The minimal fit contract of docs/design.md: labels and model_matrix(data)."""

    labels: np.ndarray
    columns: tuple[str, ...]

    def model_matrix(self, data: pl.DataFrame) -> np.ndarray:
        return data.select(self.columns).to_numpy().astype(np.float64)


TOY = pl.DataFrame({"x": [0.0, 10.0, 1.0, 12.0, 50.0], "name": list("abcde")})


def test_silhouette_frame_from_fit_and_from_frame() -> None:
    fit = _Fit(labels=np.array([1, 2, 1, 2, 0]), columns=("x",))
    got = silhouette(fit, TOY)
    assert got.schema == pl.Schema(
        {"row": pl.Int32, "cluster": pl.Int32, "neighbor": pl.Int32, "sil_width": pl.Float64}
    )
    assert got["row"].to_list() == [1, 2, 3, 4]  # the noise row 5 is left out
    np.testing.assert_allclose(got["sil_width"], [10 / 11, 7.5 / 9.5, 0.9, (11.5 - 2) / 11.5])
    assert got.equals(silhouette(TOY, labels=[1, 2, 1, 2, 0], columns=["x"]))
    assert got.equals(silhouette(TOY.select("x").to_numpy(), labels=[1, 2, 1, 2, 0]))


def test_silhouette_sorted_as_fviz() -> None:
    got = silhouette(TOY, labels=[1, 2, 1, 2, 0], columns=["x"], sort=True)
    assert got["row"].to_list() == [1, 3, 4, 2]
    assert got["cluster"].to_list() == [1, 1, 2, 2]


def test_silhouette_summary_as_r() -> None:
    sil = silhouette(TOY, labels=[1, 2, 1, 2, 0], columns=["x"])
    got = silhouette_summary(sil)
    assert got["cluster"].to_list() == [1, 2]
    assert got["size"].to_list() == [2, 2]
    np.testing.assert_allclose(got["avg_sil_width"], [(10 / 11 + 0.9) / 2, (7.5 / 9.5 + 9.5 / 11.5) / 2])
    with pytest.raises(ParameterError, match=r"sil: expected the frame returned by tidyclust\.silhouette"):
        silhouette_summary(pl.DataFrame({"a": [1]}))


def test_silhouette_argument_errors() -> None:
    fit = _Fit(labels=np.array([1, 2, 1, 2, 0]), columns=("x",))
    with pytest.raises(ParameterError, match="data: a fit needs the data it was fitted on"):
        silhouette(fit)
    with pytest.raises(ParameterError, match="labels: give either a fit"):
        silhouette(fit, TOY, labels=[1, 2, 1, 2, 0])
    with pytest.raises(ParameterError, match="labels: DataFrame carries no cluster labels"):
        silhouette(TOY)
    with pytest.raises(ParameterError, match="has 3 values but the data has 5 rows"):
        silhouette(TOY, labels=[1, 2, 1], columns=["x"])


# --------------------------------------------------------------------------- silhouette properties
@st.composite
def clustered(draw) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(4, 40))
    p = draw(st.integers(1, 3))
    values = st.floats(-100, 100, allow_nan=False, allow_infinity=False).map(lambda v: round(v, 3))
    X = np.array(draw(st.lists(values, min_size=n * p, max_size=n * p))).reshape(n, p)
    K = draw(st.integers(2, n - 1))
    labels = np.array(draw(st.lists(st.integers(1, K), min_size=n, max_size=n)))
    assume(2 <= np.unique(labels).size <= n - 1)
    return X, labels


@settings(max_examples=60, deadline=None)
@given(clustered())
def test_silhouette_property_equals_sklearn_and_bounded(case) -> None:
    X, labels = case
    s, nb = silhouette_widths(X, labels)
    assert np.all((s >= -1) & (s <= 1))
    assert np.all(nb != labels)
    np.testing.assert_allclose(s, silhouette_samples(X, labels), rtol=0, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(clustered(), st.randoms(use_true_random=False))
def test_silhouette_property_invariances(case, rnd) -> None:
    X, labels = case
    s, _ = silhouette_widths(X, labels)
    values = np.unique(labels)
    relabel = dict(zip(values, rnd.sample(range(1, 100), values.size), strict=True))
    s_relabelled, _ = silhouette_widths(X, np.array([relabel[v] for v in labels]))
    np.testing.assert_allclose(s_relabelled, s, atol=1e-12)
    perm = np.array(rnd.sample(range(labels.size), labels.size))
    s_perm, _ = silhouette_widths(X[perm], labels[perm])
    np.testing.assert_allclose(s_perm, s[perm], atol=1e-12)


# --------------------------------------------------------------------------- sampled silhouette
def test_silhouette_sample_full_sample_is_exact(lesson_k3) -> None:
    X, labels = lesson_k3
    est = silhouette_sample(X, labels=labels, sample_size=10_000, seed=3)
    assert est["sample_size"].item() == est["n"].item() == 286
    assert est["estimate"].item() == pytest.approx(mean_silhouette(X, labels), abs=1e-12)
    assert est["std_error"].item() == 0.0
    assert est["ci_low"].item() == est["ci_high"].item()


def test_silhouette_sample_reproducible_and_covers(lesson_k3) -> None:
    X, labels = lesson_k3
    truth = mean_silhouette(X, labels)
    first = silhouette_sample(X, labels=labels, sample_size=40, seed=11)
    assert first.equals(silhouette_sample(X, labels=labels, sample_size=40, seed=11))
    covered = [
        row["ci_low"] <= truth <= row["ci_high"]
        for seed in range(200)
        for row in silhouette_sample(X, labels=labels, sample_size=40, seed=seed).iter_rows(named=True)
    ]
    assert 0.88 <= np.mean(covered) <= 0.995


def test_silhouette_sample_errors(lesson_k3) -> None:
    X, labels = lesson_k3
    with pytest.raises(ParameterError, match="confidence: must be a number strictly between 0 and 1"):
        silhouette_sample(X, labels=labels, confidence=1.5)
    with pytest.raises(ParameterError, match="sample_size: must be >= 2, got 1"):
        silhouette_sample(X, labels=labels, sample_size=1)


# --------------------------------------------------------------------------- gap statistic
def _cutree_like(fixture_X: np.ndarray, cutree: pl.DataFrame):
    """R's cutree(hclust(dist(x)), k) labels on the fixture data, scipy's complete linkage elsewhere."""

    def cluster(X: np.ndarray, k: int, seed: int) -> np.ndarray:
        if X.shape == fixture_X.shape and np.array_equal(X, fixture_X):
            return cutree[f"k{k}"].to_numpy()
        return fcluster(linkage(X, method="complete"), t=k, criterion="maxclust")

    return cluster


@pytest.mark.r_oracle
@pytest.mark.parametrize("space", ["scaledPCA", "original"])
@pytest.mark.parametrize("d_power", [1, 2])
def test_gap_matches_r_clusgap(usarrests, space: str, d_power: int) -> None:
    X, cutree = usarrests
    want = pl.read_csv(R_DIR / "usarrests_clusgap.csv").filter(
        (pl.col("spaceH0") == space) & (pl.col("d_power") == d_power)
    )
    got = gap_statistic(
        X, k_max=8, B=200, spaceH0=space, d_power=d_power, seed=5, cluster_fn=_cutree_like(X, cutree)
    )
    # (a) logW is deterministic given the clustering: equal to R to rounding.
    np.testing.assert_allclose(got["logW"], want["logW"], rtol=1e-13)
    # (b) E_logW comes from different random reference sets: equal within sampling error
    # (each mean has standard error ~ SE_sim / sqrt(B)); SE_sim itself within 35 %.
    se_diff = np.sqrt(got["SE_sim"].to_numpy() ** 2 + want["SE_sim"].to_numpy() ** 2) / np.sqrt(200)
    assert np.all(np.abs(got["E_logW"].to_numpy() - want["E_logW"].to_numpy()) < 4.5 * se_diff)
    np.testing.assert_allclose(got["SE_sim"], want["SE_sim"], rtol=0.35)


def test_gap_logw_by_hand() -> None:
    X = np.array([[0.0, 0.0], [3.0, 4.0], [10.0, 0.0], [10.0, 1.0], [10.0, 3.0]])
    labels = np.array([1, 1, 2, 2, 2])
    # cluster 1: one pair at distance 5, n = 2; cluster 2: distances 1, 3, 2, n = 3.
    assert within_dispersion(X, labels, 1) == pytest.approx(0.5 * (5 / 2 + 6 / 3))
    assert within_dispersion(X, labels, 2) == pytest.approx(0.5 * (25 / 2 + 14 / 3))
    # d.power = 2 gives half the within sum of squares.
    wss = sum(((X[labels == c] - X[labels == c].mean(axis=0)) ** 2).sum() for c in (1, 2))
    assert within_dispersion(X, labels, 2) == pytest.approx(0.5 * wss)


def test_gap_seeded_reproducible_with_default_kmeans() -> None:
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, (15, 2)), rng.normal(8, 1, (15, 2))]
    frame = pl.DataFrame(X, schema=["a", "b"], orient="row")
    first = gap_statistic(frame, k_max=4, B=6, seed=42, nstart=3)
    assert first.columns == ["k", "logW", "E_logW", "gap", "SE_sim"]
    assert first.equals(gap_statistic(frame, k_max=4, B=6, seed=42, nstart=3))
    assert not first.equals(gap_statistic(frame, k_max=4, B=6, seed=43, nstart=3))
    np.testing.assert_allclose(first["gap"], first["E_logW"] - first["logW"])
    assert max_se(first["gap"], first["SE_sim"]) == 2


def test_gap_default_kmeans_is_the_public_kmeans_and_workers_change_nothing() -> None:
    """The default clustering skips kmeans()'s per-call frame and checks, not its answer; the
    reference sets split between forked workers give the same bits as one process."""
    from tidyclust.model import kmeans

    rng = np.random.default_rng(3)
    X = np.r_[rng.normal(0, 1, (40, 3)), rng.normal(5, 1, (30, 3)), rng.normal((9, 0, 4), 1, (30, 3))]

    def public(M: np.ndarray, k: int, seed: int) -> np.ndarray:
        return kmeans(pl.DataFrame(M, schema=["x1", "x2", "x3"], orient="row"), k, nstart=4, seed=seed).labels

    want = gap_statistic(X, k_max=5, B=5, seed=7, cluster_fn=public)
    assert gap_statistic(X, k_max=5, B=5, seed=7, nstart=4).equals(want)
    assert gap_statistic(X, k_max=5, B=5, seed=7, nstart=4, workers=2).equals(want)
    assert gap_statistic(X, k_max=5, B=5, seed=7, nstart=4, workers=3).equals(want)
    assert not gap_statistic(X, k_max=5, B=5, seed=8, nstart=4, workers=2).equals(want)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"workers": 0}, "workers: must be >= 1, got 0"),
        ({"B": 0}, "B: must be >= 1, got 0"),
        ({"k_max": 1}, "k_max: must be >= 2, got 1"),
        ({"k_max": 50}, r"k_max: must be at most the number of rows \(6\)"),
        ({"spaceH0": "pca"}, "spaceH0: must be one of 'scaledPCA', 'original', got 'pca'"),
        ({"d_power": 0}, "d_power: must be a positive number"),
        ({"cluster_fn": lambda X, k, seed: np.ones(2)}, r"cluster_fn: returned labels of shape \(2,\)"),
    ],
)
def test_gap_errors(kwargs: dict, match: str) -> None:
    X = np.arange(12.0).reshape(6, 2)
    with pytest.raises(ParameterError, match=match):
        gap_statistic(X, **({"k_max": 2, "B": 2} | kwargs))


# --------------------------------------------------------------------------- maxSE
def _floats(text: str) -> list[float]:
    return [float(v) for v in text.split()]


@pytest.mark.r_oracle
def test_max_se_equals_r_on_fixture() -> None:
    cases = pl.read_csv(R_DIR / "maxse.csv")
    assert cases.height >= 500
    for row in cases.iter_rows(named=True):
        f, se = _floats(row["f"]), _floats(row["SE_f"])
        got = max_se(f, se, method=row["method"], SE_factor=row["SE_factor"])
        assert got == row["k"], row


@pytest.mark.r_oracle
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript not installed")
def test_max_se_equals_live_r(tmp_path: Path) -> None:
    rng = np.random.default_rng(2024)
    curves = [
        (np.round(np.cumsum(rng.normal(0.05, 0.2, K)), 2), np.round(rng.uniform(0, 0.2, K), 2))
        for K in rng.integers(1, 12, 30)
    ]
    script = "library(cluster)\n" + "".join(
        f"cat(maxSE(c({', '.join(map(str, f))}), c({', '.join(map(str, se))}), method = '{m}'), '\\n')\n"
        for f, se in curves
        for m in MAXSE_METHODS
    )
    (tmp_path / "maxse.R").write_text(script)
    run = subprocess.run(["Rscript", str(tmp_path / "maxse.R")], capture_output=True, text=True, check=True)
    want = [int(v) for v in run.stdout.split()]
    got = [max_se(f, se, method=m) for f, se in curves for m in MAXSE_METHODS]
    assert got == want


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (([1, 2], [0.1, 0.1]), {"method": "best"}, "method: 'best' is not a maxSE method; use one of first"),
        (([1, 2], [0.1]), {}, "SE_f: has 1 values but f has 2"),
        (([1, 2], [0.1, -0.1]), {}, "SE_f: standard errors must be >= 0"),
        (([1, 2], [0.1, 0.1]), {"SE_factor": -1}, "SE_factor: must be a number >= 0"),
        (([], []), {}, "f: expected a non-empty vector of finite numbers"),
    ],
)
def test_max_se_errors(args, kwargs, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        max_se(*args, **kwargs)


# --------------------------------------------------------------------------- elbow and suggest_k
# The lesson's published R k-grid (tests/r_oracle/lesson_tot_withinss.json).
_LESSON_GRID = json.loads((Path(__file__).parent / "r_oracle" / "lesson_tot_withinss.json").read_text())
LESSON_K, LESSON_WSS = _LESSON_GRID["k"], _LESSON_GRID["tot_withinss"]


def test_elbow_lesson_grid_is_3() -> None:
    assert elbow(LESSON_K, LESSON_WSS) == 3
    assert elbow(pl.DataFrame({"k": LESSON_K, "tot_withinss": LESSON_WSS})) == 3


def test_elbow_agrees_with_kneed() -> None:
    kneed = pytest.importorskip("kneed")
    for wss in (LESSON_WSS, [100.0, 40.0, 15.0, 12.0, 10.0], [50, 30, 22, 19, 17, 16, 15.5]):
        ks = list(range(1, len(wss) + 1))
        knee = kneed.KneeLocator(ks, wss, curve="convex", direction="decreasing").knee
        assert elbow(ks, wss) == knee


def test_elbow_none_for_a_straight_line() -> None:
    assert elbow([1, 2, 3, 4], [40.0, 30.0, 20.0, 10.0]) is None


@pytest.mark.parametrize(
    ("k", "w", "match"),
    [
        ([1, 2], [2.0, 1.0], "k: need at least 3 strictly increasing values of k"),
        ([1, 3, 2], [3.0, 2.0, 1.0], "k: need at least 3 strictly increasing values of k"),
        ([1, 2, 3], [3.0, 2.0], "tot_withinss: has 2 values but k has 3"),
        ([1, 2, 3], [3.0, float("nan"), 1.0], "tot_withinss: expected a 1-D vector of finite numbers"),
    ],
)
def test_elbow_errors(k, w, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        elbow(k, w)


def test_elbow_frame_without_column() -> None:
    with pytest.raises(ColumnNotFoundError, match="k: the frame lacks column"):
        elbow(pl.DataFrame({"k": [1, 2, 3]}))


def _lesson_grid() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "k": LESSON_K,
            "tot_withinss": LESSON_WSS,
            "silhouette": [None, 0.5, 0.549, 0.45, 0.42, 0.41, 0.40, 0.39, 0.38, 0.37],
            "calinski_harabasz": [None, 600.0, 860.0, 850.0, 900.0, 880.0, 870.0, 860.0, 850.0, 840.0],
            "davies_bouldin": [None, 0.7, 0.6, 0.65, 0.7, 0.72, 0.74, 0.75, 0.76, 0.77],
        }
    )


def test_suggest_k_rules_and_agreement() -> None:
    gap = pl.DataFrame({"k": [1, 2, 3, 4], "gap": [0.1, 0.3, 0.5, 0.45], "SE_sim": [0.01, 0.01, 0.01, 0.01]})
    got = suggest_k(SimpleNamespace(frame=_lesson_grid()), gap=gap)
    assert got["rule"].to_list() == ["elbow", "silhouette", "calinski_harabasz", "davies_bouldin", "gap"]
    assert got["k"].to_list() == [3, 3, 5, 3, 3]
    assert got["agree"].to_list() == [True, True, False, True, True]
    assert got.schema["k"] == pl.Int32


def test_suggest_k_needs_k_column() -> None:
    with pytest.raises(ColumnNotFoundError, match="grid: the frame lacks column"):
        suggest_k(pl.DataFrame({"silhouette": [0.1]}))
    with pytest.raises(ParameterError, match="grid: expected a k-grid"):
        suggest_k([1, 2, 3])


# --------------------------------------------------------------------------- agreement
def test_agreement_by_hand() -> None:
    res = agreement([1, 1, 2, 2, 2, 3], ["b", "b", "a", "a", "b", "c"])
    # levels a=1, b=2, c=3: only row 5 (cluster 2, 'b') and row 6 (cluster 3, 'c') match naively
    assert (res.naive_correct, res.best_correct, res.n) == (2, 5, 6)
    assert res.best_accuracy == pytest.approx(5 / 6)
    assert res.matching.rows() == [(1, "b", 2), (2, "a", 2), (3, "c", 1)]
    assert res.wide().rows() == [(1, 0, 2, 0), (2, 2, 1, 0), (3, 0, 0, 1)]
    assert res.table.height == 9 and res.table["n"].sum() == 6
    assert res.ari == pytest.approx(adjusted_rand_score([2, 2, 1, 1, 2, 3], [1, 1, 2, 2, 2, 3]))
    assert res.glance().columns == [
        "n",
        "naive_correct",
        "naive_accuracy",
        "best_correct",
        "best_accuracy",
        "ari",
        "nmi",
    ]


def test_agreement_invariant_to_label_permutation_except_naive() -> None:
    truth = pl.Series(["x", "y", "y", "z", "z", "z", "x", "y"])
    a = agreement([1, 2, 2, 3, 3, 1, 1, 2], truth)
    b = agreement([3, 1, 1, 2, 2, 3, 3, 1], truth)
    assert (a.best_correct, a.ari, a.nmi) == (b.best_correct, pytest.approx(b.ari), pytest.approx(b.nmi))
    assert a.naive_correct != b.naive_correct


def test_agreement_noise_counts_as_wrong() -> None:
    res = agreement(np.array([1, 1, 0, 2]), ["a", "a", "a", "b"])
    assert res.best_correct == 3 and res.naive_correct == 3  # row 3 (noise) is the only miss
    assert res.table["cluster"].unique().sort().to_list() == [1, 2]


def test_agreement_lesson_best_matched_112(lesson, lesson_k3) -> None:
    _, labels = lesson_k3
    res = agreement(labels, lesson["artist_top_genre"])
    assert res.best_correct == 112 and res.n == 286


def test_agreement_errors() -> None:
    with pytest.raises(ParameterError, match="truth: has 2 values but there are 3 labels"):
        agreement([1, 2, 1], ["a", "b"])
    with pytest.raises(ParameterError, match="truth: has 1 missing value"):
        agreement([1, 2, 1], ["a", None, "b"])
    with pytest.raises(ParameterError, match="labels_or_fit: expected a fit or a sequence"):
        agreement(3, ["a"])


# --------------------------------------------------------------------------- docs, end to end, speed
@pytest.mark.parametrize(
    "module", ["tidyclust.metrics", "tidyclust.gap", "tidyclust.agreement", "tidyclust.selection"]
)
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.slow
def test_lesson_end_to_end_with_tidyclust_kmeans(lesson: pl.DataFrame) -> None:
    model = pytest.importorskip("tidyclust.model")
    fit = model.kmeans(lesson, 3, columns=LESSON_COLUMNS, nstart=25, seed=1)
    assert mean_silhouette(fit.model_matrix(lesson), fit.labels) == pytest.approx(0.549466752526, abs=1e-6)
    assert agreement(fit, lesson["artist_top_genre"]).best_correct == 112
    grid = model.kmeans_grid(lesson, range(1, 11), columns=LESSON_COLUMNS, nstart=25, seed=1)
    picks = dict(suggest_k(grid).select("rule", "k").iter_rows())
    assert picks["elbow"] == 3

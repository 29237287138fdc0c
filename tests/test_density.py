"""DBSCAN/HDBSCAN fits (noise = cluster 0), their tidiers and predict, and the k-distance curve."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.cluster import DBSCAN, HDBSCAN
from sklearn.metrics import adjusted_rand_score

from tidyclust._fit import PredictNotDefinedError
from tidyclust.agreement import agreement
from tidyclust.density import DensityFit, NoClustersWarning, dbscan, hdbscan
from tidyclust.errors import ParameterError
from tidyclust.kdistance import kdistance_plot, kdistances, suggest_eps
from tidyclust.methods import cluster
from tidyclust.metrics import silhouette

COLS = ["popularity", "danceability", "acousticness", "loudness", "energy"]
# noise first, then two groups of three, then a far point
TOY = pl.DataFrame({"x": [20.0, 0.0, 0.1, 0.2, 5.0, 5.1, 5.2]})


def test_dbscan_toy_by_hand():
    fit = dbscan(TOY, eps=0.15, min_samples=3)
    # 0.1 and 5.1 are core (3 rows within 0.15); 0, 0.2, 5.0, 5.2 are border; 20 is noise
    assert fit.labels.tolist() == [0, 1, 1, 1, 2, 2, 2]
    assert fit.labels.dtype == np.int32
    assert fit.core.tolist() == [False, False, True, False, False, True, False]
    assert (fit.k, fit.n_noise) == (2, 1)
    g = fit.glance().row(0, named=True)
    assert g == {"method": "dbscan", "k": 2, "n": 7, "n_noise": 1, "tot_withinss": pytest.approx(0.04),
                 "eps": 0.15, "min_samples": 3, "n_core": 2}  # fmt: skip


def test_tidy_has_a_noise_row_always():
    tidy = dbscan(TOY, eps=0.15, min_samples=3).tidy()
    assert tidy.columns == ["cluster", "noise", "size", "withinss", "x"]
    assert tidy.rows() == [
        (0, True, 1, None, 20.0),
        (1, False, 3, pytest.approx(0.02), pytest.approx(0.1)),
        (2, False, 3, pytest.approx(0.02), pytest.approx(5.1)),
    ]
    clean = dbscan(TOY.tail(6), eps=0.15, min_samples=3).tidy()
    assert clean.row(0) == (0, True, 0, None, None)


def test_augment_adds_cluster_core_and_probability():
    out = dbscan(TOY, eps=0.15, min_samples=3).augment(TOY)
    assert out.columns == ["x", ".cluster", ".core", ".probability"]
    assert out[".cluster"].dtype == pl.Int32 and out[".probability"].to_list() == [0, 1, 1, 1, 1, 1, 1]


def test_only_noise_warns_and_reports_k_zero():
    with pytest.warns(NoClustersWarning, match="every row is noise"):
        fit = dbscan(TOY, eps=0.01, min_samples=2)
    assert fit.k == 0 and fit.n_noise == 7 and fit.labels.tolist() == [0] * 7
    assert fit.tidy().height == 1 and fit.glance()["k"].item() == 0
    assert fit.predict(pl.DataFrame({"x": [0.0]})).to_list() == [0]


def test_same_partition_as_sklearn(lesson):
    fit = dbscan(lesson, eps=1.2, min_samples=5, columns=COLS, scale=True)
    X = fit.model_matrix(lesson)
    ref = DBSCAN(eps=1.2, min_samples=5).fit(X)
    assert adjusted_rand_score(fit.labels, ref.labels_ + 1) == 1.0
    np.testing.assert_array_equal(fit.labels == 0, ref.labels_ == -1)
    h = hdbscan(lesson, min_cluster_size=8, columns=COLS, scale=True)
    ref = HDBSCAN(min_cluster_size=8, copy=True).fit(X)
    np.testing.assert_array_equal(h.labels == 0, ref.labels_ == -1)
    assert adjusted_rand_score(h.labels, ref.labels_ + 1) == 1.0
    np.testing.assert_allclose(h.probability, ref.probabilities_)


def test_predict_joins_nearest_core_within_eps():
    fit = dbscan(TOY, eps=0.15, min_samples=3)
    new = pl.DataFrame({"x": [0.05, 5.24, 0.3, 5.3, 12.0]})
    # 0.3 is within eps of the border row 0.2 only, so it is noise: border rows do not recruit
    assert fit.predict(new).to_list() == [1, 2, 0, 0, 0]
    assert fit.predict(TOY.filter(pl.Series(fit.core))).to_list() == [1, 2]


def test_predict_uses_the_fitted_scaling(lesson):
    fit = dbscan(lesson, eps=1.2, min_samples=5, columns=COLS, scale=True)
    pred = fit.predict(lesson).to_numpy()
    np.testing.assert_array_equal(pred[fit.core], fit.labels[fit.core])
    assert np.all(pred[fit.labels == 0] == 0)


def test_hdbscan_toy_and_predict_not_available():
    df = pl.DataFrame({"x": [0.0, 0.1, 0.2, 0.3, 5.0, 5.1, 5.2, 5.3, 20.0]})
    fit = hdbscan(df, min_cluster_size=3)
    assert fit.labels.tolist() == [1, 1, 1, 1, 2, 2, 2, 2, 0]
    assert fit.glance().columns == [
        "method", "k", "n", "n_noise", "tot_withinss", "min_cluster_size", "min_samples",
    ]  # fmt: skip
    assert fit.glance()["min_samples"].item() == 3
    with pytest.raises(PredictNotDefinedError, match="no approximate_predict"):
        fit.predict(df)


def test_first_appearance_numbering_skips_noise(lesson):
    fit = dbscan(lesson, eps=1.2, min_samples=5, columns=COLS, scale=True)
    clustered = fit.labels[fit.labels > 0]
    first = np.unique(clustered, return_index=True)[1]
    assert np.all(np.diff(first) > 0) and clustered[0] == 1


def test_metrics_work_on_density_fits(lesson):
    fit = hdbscan(lesson, min_cluster_size=8, columns=COLS, scale=True)
    sil = silhouette(fit, lesson)
    assert sil.height == lesson.height - fit.n_noise  # noise rows are left out
    agree = agreement(fit, lesson["artist_top_genre"])
    assert agree.n == lesson.height


@settings(max_examples=40, deadline=None)
@given(
    X=arrays(np.float64, st.tuples(st.integers(3, 30), st.integers(1, 2)),
             elements=st.integers(0, 12).map(float)),
    eps=st.floats(0.5, 4.0),
    min_samples=st.integers(1, 5),
    seed=st.integers(0, 100),
)  # fmt: skip
def test_core_and_noise_do_not_depend_on_row_order(X, eps, min_samples, seed):
    perm = np.random.default_rng(seed).permutation(X.shape[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoClustersWarning)
        a = dbscan(pl.DataFrame(X), eps=eps, min_samples=min_samples)
        b = dbscan(pl.DataFrame(X[perm]), eps=eps, min_samples=min_samples)
    np.testing.assert_array_equal(a.core[perm], b.core)
    np.testing.assert_array_equal(a.labels[perm] == 0, b.labels == 0)
    assert a.k == b.k
    # a row is core exactly when its k-distance (k = min_samples) is <= eps
    if 2 <= min_samples <= X.shape[0]:
        kd = kdistances(pl.DataFrame(X), k=min_samples).sort("row")["kdistance"].to_numpy()
        np.testing.assert_array_equal(a.core, kd <= eps)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"eps": 0.0, "min_samples": 3}, r"eps: must be a finite distance > 0, got 0.0"),
        ({"eps": "wide", "min_samples": 3}, r"eps: expected a positive number"),
        ({"eps": float("inf"), "min_samples": 3}, r"eps: must be a finite distance"),
        ({"eps": 0.5, "min_samples": 0}, r"min_samples: must be >= 1, got 0; it counts the row itself"),
        ({"eps": 0.5, "min_samples": 2.5}, r"min_samples: expected an integer"),
    ],
)
def test_dbscan_bad_arguments(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        dbscan(TOY, **kwargs)


def test_hdbscan_bad_arguments():
    with pytest.raises(ParameterError, match="min_cluster_size: must be >= 2, got 1"):
        hdbscan(TOY, min_cluster_size=1)
    with pytest.raises(ParameterError, match="min_cluster_size: 8 is larger than the data"):
        hdbscan(TOY, min_cluster_size=8)
    with pytest.raises(ParameterError, match="min_samples: must be >= 1"):
        hdbscan(TOY, min_cluster_size=2, min_samples=0)


def test_cluster_dispatch_for_density_methods():
    fit = cluster(TOY, "dbscan", eps=0.15, min_samples=3, seed=1)
    assert isinstance(fit, DensityFit) and fit.method == "dbscan"
    assert cluster(TOY, "hdbscan", min_cluster_size=3).method == "hdbscan"
    with pytest.raises(ParameterError, match="k: not an option of method 'dbscan'; its options are eps"):
        cluster(TOY, "dbscan", k=2)


# ------------------------------------------------------------------------------------ k-distance
def test_kdistances_by_hand():
    curve = kdistances(pl.DataFrame({"x": [0.0, 1.0, 3.0, 10.0]}), k=2)
    assert curve.rows() == [(1, 1, 1.0), (2, 2, 1.0), (3, 3, 2.0), (4, 4, 7.0)]
    curve3 = kdistances(pl.DataFrame({"x": [0.0, 1.0, 3.0, 10.0]}), k=3)
    assert curve3["kdistance"].to_list() == [2.0, 3.0, 3.0, 9.0]


def test_suggest_eps_finds_the_knee():
    curve = pl.DataFrame({"kdistance": [1.0, 1.1, 1.2, 1.3, 5.0, 9.0]})
    assert suggest_eps(curve) == 1.3
    assert suggest_eps(pl.DataFrame({"kdistance": [1.0, 1.0, 1.0]})) is None


def _kneed_eps(y: np.ndarray) -> float | None:
    from kneed import KneeLocator

    if y.shape[0] < 3 or y[-1] == y[0]:
        return None
    knee = KneeLocator(np.arange(y.shape[0]), y, curve="convex", direction="increasing").knee
    return None if knee is None else float(y[int(knee)])


@settings(max_examples=300, deadline=None)
@given(
    arrays(np.float64, st.integers(3, 60), elements=st.floats(0, 100, allow_nan=False)),
    st.booleans(),
)
def test_suggest_eps_is_kneeds_knee(values: np.ndarray, sort: bool):
    """The numpy Kneedle picks kneed's knee, on sorted k-distance curves and on any curve."""
    pytest.importorskip("kneed")
    y = np.sort(values) if sort else values
    assert suggest_eps(pl.DataFrame({"kdistance": y})) == _kneed_eps(y)


def test_suggest_eps_is_kneeds_knee_on_the_lesson(lesson):
    pytest.importorskip("kneed")
    for k, scale in ((5, False), (10, False), (5, True), (10, True)):
        curve = kdistances(lesson, k=k, columns=COLS, scale=scale)
        assert suggest_eps(curve) == _kneed_eps(curve["kdistance"].to_numpy())


def test_kdistance_plot_marks_the_eps(lesson):
    plot = kdistance_plot(lesson, k=5, columns=COLS, scale=True)
    assert [type(layer.geom).__name__ for layer in plot.layers] == ["geom_line", "geom_hline", "geom_text"]
    eps = suggest_eps(kdistances(lesson, k=5, columns=COLS, scale=True))
    assert plot.layers[1]._data["yintercept"].tolist() == [eps]
    assert plot.layers[1].geom.aes_params["linetype"] == "dashed"
    assert plot.labels.y == "Distance to the k-th nearest row (k = 5, the row itself counted)"
    fixed = kdistance_plot(lesson, k=5, columns=COLS, scale=True, eps=1.0)
    assert fixed.layers[1]._data["yintercept"].tolist() == [1.0]
    plot.draw()


def test_kdistances_errors():
    with pytest.raises(ParameterError, match="k: must be >= 2"):
        kdistances(TOY, k=1)
    with pytest.raises(ParameterError, match="k: 8 neighbours asked for but the data has 7 rows"):
        kdistances(TOY, k=8)

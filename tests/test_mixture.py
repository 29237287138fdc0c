"""Gaussian mixture fits: relabelling, probabilities, tidiers, sklearn parity, predict, errors."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture

from tidyclust.agreement import agreement
from tidyclust.errors import ParameterError
from tidyclust.methods import cluster
from tidyclust.metrics import silhouette
from tidyclust.mixture import COVARIANCES, MixtureFit, gaussian_mixture

COLS = ["popularity", "danceability", "acousticness", "loudness", "energy"]


@pytest.fixture(scope="module")
def blobs() -> pl.DataFrame:
    rng = np.random.default_rng(3)
    centers = np.array([[8.0, 8.0], [0.0, 0.0], [8.0, 0.0]])
    X = np.vstack([c + rng.normal(scale=0.5, size=(40, 2)) for c in centers])
    return pl.DataFrame(X[rng.permutation(120)], schema=["a", "b"])


def test_labels_follow_first_appearance_and_means_follow_labels(blobs):
    fit = gaussian_mixture(blobs, 3, nstart=4, seed=1)
    assert fit.labels.dtype == np.int32 and fit.labels[0] == 1
    first = np.unique(fit.labels, return_index=True)[1]
    assert np.all(np.diff(first) > 0)
    X = blobs.to_numpy()
    for j in range(3):
        np.testing.assert_allclose(fit.means[j], X[fit.labels == j + 1].mean(axis=0), atol=0.05)
    np.testing.assert_array_equal(fit.probabilities.argmax(axis=1) + 1, fit.labels)
    np.testing.assert_allclose(fit.probabilities.sum(axis=1), 1.0)
    np.testing.assert_allclose(fit.weights, fit.sizes / 120, atol=0.01)


def test_matches_sklearn_up_to_the_relabelling(blobs):
    fit = gaussian_mixture(blobs, 3, covariance="diag", nstart=5, seed=11)
    rs = int(np.random.SeedSequence(11).generate_state(1, np.uint32)[0])
    ref = GaussianMixture(3, covariance_type="diag", n_init=5, random_state=rs).fit(blobs.to_numpy())
    order = fit._order
    np.testing.assert_allclose(fit.means, ref.means_[order])
    np.testing.assert_allclose(fit.weights, ref.weights_[order])
    np.testing.assert_allclose(fit.covariances, ref.covariances_[order])
    np.testing.assert_allclose(fit.probabilities, ref.predict_proba(blobs.to_numpy())[:, order])
    assert fit.bic == pytest.approx(ref.bic(blobs.to_numpy()))
    assert fit.aic == pytest.approx(ref.aic(blobs.to_numpy()))
    assert fit.log_likelihood == pytest.approx(ref.score(blobs.to_numpy()) * 120)


def test_tidy_glance_augment(blobs):
    fit = gaussian_mixture(blobs, 3, seed=2)
    tidy = fit.tidy()
    assert tidy.columns == ["cluster", "size", "weight", "withinss", "a", "b"]
    assert tidy["cluster"].to_list() == [1, 2, 3] and tidy["size"].sum() == 120
    assert tidy["weight"].sum() == pytest.approx(1.0)
    g = fit.glance()
    assert g.columns == [
        "method", "k", "covariance", "log_likelihood", "bic", "aic", "totss", "tot_withinss",
        "betweenss", "converged", "n_iter", "nstart", "seed",
    ]  # fmt: skip
    row = g.row(0, named=True)
    assert row["method"] == "gmm" and row["converged"] and row["seed"] == 2 and row["nstart"] == 25
    assert row["totss"] == pytest.approx(row["tot_withinss"] + row["betweenss"])
    out = fit.augment(blobs)
    assert out.columns == ["a", "b", ".cluster", ".prob_1", ".prob_2", ".prob_3"]
    assert out.drop(".cluster", ".prob_1", ".prob_2", ".prob_3").equals(blobs)
    probs = out.select(pl.col("^\\.prob_.*$")).to_numpy()
    np.testing.assert_array_equal(probs.argmax(axis=1) + 1, out[".cluster"].to_numpy())


def test_predict_and_predict_proba(blobs):
    fit = gaussian_mixture(blobs, 3, nstart=4, seed=4)
    np.testing.assert_array_equal(fit.predict(blobs).to_numpy(), fit.labels)
    proba = fit.predict_proba(blobs)
    assert proba.columns == [".prob_1", ".prob_2", ".prob_3"]
    np.testing.assert_allclose(proba.to_numpy(), fit.probabilities)
    new = pl.DataFrame({"a": [8.1, 0.2], "b": [7.9, -0.1]})
    near = [int(np.argmin(((fit.means - p) ** 2).sum(axis=1))) + 1 for p in new.to_numpy()]
    assert fit.predict(new).to_list() == near


def test_seed_reproducible_and_recorded(blobs):
    a, b = gaussian_mixture(blobs, 3, nstart=4, seed=9), gaussian_mixture(blobs, 3, nstart=4, seed=9)
    np.testing.assert_array_equal(a.probabilities, b.probabilities)
    fresh = gaussian_mixture(blobs, 2, nstart=2)
    again = gaussian_mixture(blobs, 2, nstart=2, seed=fresh.seed)
    np.testing.assert_array_equal(fresh.labels, again.labels)


def test_row_order_does_not_change_the_partition(blobs):
    perm = np.random.default_rng(0).permutation(120)
    a = gaussian_mixture(blobs, 3, nstart=4, seed=5)
    b = gaussian_mixture(blobs[perm], 3, nstart=4, seed=5)
    assert adjusted_rand_score(a.labels[perm], b.labels) == 1.0


@pytest.mark.parametrize("covariance", COVARIANCES)
def test_every_covariance_type_on_the_lesson(covariance, lesson):
    fit = gaussian_mixture(lesson, 3, covariance=covariance, nstart=3, seed=1, columns=COLS, scale=True)
    assert fit.k == 3 and fit.covariance == covariance
    # means are in data units although the fit ran on standardised columns
    assert 0 < fit.means[:, COLS.index("danceability")].min() < 1
    assert fit.glance()["bic"].item() > 0


def test_metrics_work_on_mixture_fits(lesson):
    fit = gaussian_mixture(lesson, 3, nstart=3, seed=1, columns=COLS, scale=True)
    assert silhouette(fit, lesson).height == lesson.height
    assert agreement(fit, lesson["artist_top_genre"]).n == lesson.height


def test_unknown_covariance_lists_the_valid_names(blobs):
    with pytest.raises(ParameterError, match="covariance: 'full_rank' is not a covariance type; "
                       "choose one of 'full', 'tied', 'diag', 'spherical'"):  # fmt: skip
        gaussian_mixture(blobs, 2, covariance="full_rank")


@pytest.mark.parametrize(
    ("k", "kwargs", "match"),
    [
        (0, {}, "k: must be >= 1, got 0"),
        (3, {"columns": ["c"]}, "k: 3 components asked for but the data has only 2 distinct row"),
        (2, {"nstart": 0}, "nstart: must be >= 1, got 0"),
        (2, {"seed": -1}, "seed: must be >= 0"),
    ],
)
def test_bad_arguments(k, kwargs, match):
    df = pl.DataFrame({"a": [0.0, 1.0, 5.0, 6.0], "c": [1.0, 1.0, 2.0, 2.0]})
    with pytest.raises(ParameterError, match=match):
        gaussian_mixture(df, k, **kwargs)


def test_cluster_dispatch_for_gmm(blobs):
    fit = cluster(blobs, "gmm", k=3, nstart=4, seed=2, covariance="tied")
    assert isinstance(fit, MixtureFit) and fit.covariances.shape == (2, 2)
    np.testing.assert_array_equal(
        fit.labels, gaussian_mixture(blobs, 3, nstart=4, seed=2, covariance="tied").labels
    )

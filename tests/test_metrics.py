"""Tests for tidyclust.metrics: oracles are scikit-learn, R's cluster package and hand-computed toys."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_samples, silhouette_score

from tidyclust.errors import DataValueError, ParameterError
from tidyclust.metrics import mean_silhouette, silhouette_widths

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

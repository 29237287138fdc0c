"""Shared fixtures: the lesson's data, read from ../shared/data (never from the repository)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import polars as pl
import pytest

REPO = Path(__file__).resolve().parents[1]
SONGS_CSV = Path(
    os.environ.get("TIDYCLUST_TEST_DATA", REPO.parent / "shared" / "data" / "nigerian-songs.csv")
)
LESSON_COLUMNS = ["popularity", "danceability", "acousticness", "loudness", "energy"]


@pytest.fixture(scope="session")
def songs_path() -> Path:
    if not SONGS_CSV.is_file():
        pytest.fail(f"the lesson data is missing: expected {SONGS_CSV} (set TIDYCLUST_TEST_DATA to its path)")
    return SONGS_CSV


@pytest.fixture(scope="session")
def songs(songs_path: Path) -> pl.DataFrame:
    from tidyclust.data import read_songs

    return read_songs(songs_path)


@pytest.fixture(scope="session")
def lesson(songs: pl.DataFrame) -> pl.DataFrame:
    """The lesson's 286 rows: genres afro dancehall, afropop, nigerian pop; popularity != 0."""
    from tidyclust.tidy import filter_songs

    return filter_songs(songs)


@pytest.fixture(scope="session")
def rscript() -> str:
    path = shutil.which("Rscript")
    if path is None:
        pytest.skip("Rscript is not installed (apt-get install r-base-core r-cran-cluster r-cran-jsonlite)")
    return path

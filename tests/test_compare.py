"""compare_methods and `tidyclust compare`: every method on the same rows, side by side.

Oracles: each method fitted alone (the same labels), tidyclust.agreement and the lesson's k-means
numbers (sizes 111 / 110 / 65, mean silhouette 0.549).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tidyclust import compare_methods
from tidyclust.agreement import agreement
from tidyclust.compare import COMPARE_SCHEMA, density_defaults
from tidyclust.errors import ParameterError
from tidyclust.hclust import hclust
from tidyclust.kdistance import kdistances, suggest_eps

COLUMNS = ["popularity", "danceability", "acousticness", "loudness", "energy"]


@pytest.fixture(scope="module")
def lesson_compare(lesson: pl.DataFrame) -> pl.DataFrame:
    return compare_methods(lesson, columns=COLUMNS, seed=2056, nstart=10)


def test_one_row_per_method_with_the_documented_columns(lesson_compare: pl.DataFrame) -> None:
    assert lesson_compare.schema == pl.Schema(COMPARE_SCHEMA)
    assert lesson_compare["method"].to_list() == ["kmeans", "hclust", "dbscan", "hdbscan", "gmm"]
    assert (lesson_compare["seconds"] > 0).all()


def test_kmeans_row_holds_the_lesson_numbers(lesson_compare: pl.DataFrame) -> None:
    row = lesson_compare.row(0, named=True)
    assert (row["k"], row["n_noise"], row["sizes"]) == (3, 0, "111/110/65")
    assert row["silhouette"] == pytest.approx(0.5495, abs=5e-4)
    assert row["matched_accuracy"] == pytest.approx(112 / 286)


def test_rows_agree_with_the_methods_fitted_alone(lesson: pl.DataFrame, lesson_compare: pl.DataFrame) -> None:
    rows = {r["method"]: r for r in lesson_compare.iter_rows(named=True)}
    tree = hclust(lesson, 3, columns=COLUMNS)
    assert rows["hclust"]["sizes"] == "/".join(map(str, tree.sizes))
    assert rows["hclust"]["ari"] == pytest.approx(agreement(tree, lesson["artist_top_genre"]).ari)
    eps = suggest_eps(kdistances(lesson, k=10, columns=COLUMNS))
    assert rows["dbscan"]["settings"] == f"eps={eps:.3g}, min_samples=10 (knee)"
    sizes = [int(s) for s in rows["dbscan"]["sizes"].split("/")]
    assert sum(sizes) + rows["dbscan"]["n_noise"] == lesson.height
    assert rows["hdbscan"]["settings"] == "min_cluster_size=14"  # 286 // 20


def test_only_noise_is_a_row_not_a_crash(lesson: pl.DataFrame) -> None:
    frame = compare_methods(lesson, methods=["dbscan"], columns=COLUMNS, eps=0.01)
    row = frame.row(0, named=True)
    assert (row["k"], row["n_noise"], row["sizes"], row["silhouette"]) == (0, 286, "", None)
    assert row["matched_accuracy"] == 0.0


def test_density_defaults_follow_the_documented_rules() -> None:
    rng = np.random.default_rng(3)
    df = pl.DataFrame({"x": rng.normal(size=200), "y": rng.normal(size=200), "z": rng.normal(size=200)})
    d = density_defaults(df, ["x", "y", "z"])
    assert (d["min_samples"], d["min_cluster_size"]) == (6, 10)
    assert d["eps_rule"] in ("knee", "90th percentile") and d["eps"] > 0
    assert density_defaults(df, ["x"], eps=0.5)["eps_rule"] == "given"


def test_without_truth_the_agreement_columns_are_null() -> None:
    df = pl.DataFrame({"x": [0.0, 0.1, 0.2, 0.3, 0.4, 9.0, 9.1, 9.2, 9.3, 9.4]})
    frame = compare_methods(df, methods=["kmeans", "gmm"], k=2, seed=1, truth=None, nstart=2)
    assert frame["sizes"].to_list() == ["5/5", "5/5"]
    assert frame["ari"].is_null().all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"methods": ["kmeans", "kmedoids"]}, r"methods: 'kmedoids' is not a clustering method; choose from"),
        ({"methods": []}, r"methods: none given"),
        ({"linkage": "ward"}, r"linkage: 'ward' is not a linkage"),
        ({"covariance": "round"}, r"covariance: 'round' is not a covariance type"),
        ({"truth": "genre"}, r"truth: 'genre' is not a column of the data"),
        ({"k": 0}, r"k: must be >= 1"),
    ],
)
def test_bad_input_is_named(lesson: pl.DataFrame, kwargs: dict, message: str) -> None:
    with pytest.raises((ParameterError, KeyError), match=message):
        compare_methods(lesson, columns=COLUMNS, **kwargs)


# --------------------------------------------------------------------------- the command line
def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tidyclust.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_prints_the_table(songs_path: Path) -> None:
    result = run_cli("compare", "--data", str(songs_path), "--methods", "kmeans", "dbscan", "--eps", "0.01")
    assert result.returncode == 0, result.stderr
    assert "286 songs, raw features" in result.stdout
    assert "111/110/65" in result.stdout
    assert "note: dbscan labelled every song as noise" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--methods", "kmedoids"], "tidyclust: error: methods: 'kmedoids' is not a clustering method"),
        (["--linkage", "ward"], "tidyclust: error: linkage: 'ward' is not a linkage"),
    ],
)
def test_cli_mistakes_exit_2_with_one_line(songs_path: Path, args: list[str], message: str) -> None:
    result = run_cli("compare", "--data", str(songs_path), *args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message)
    assert "Traceback" not in result.stderr

"""examples/kmeans_lesson.py runs and prints the lesson's numbers, so it never goes stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "examples" / "kmeans_lesson.py"
FIGURES = {"genre_counts", "feature_boxplots", "cluster_scatter", "elbow", "silhouette", "contingency"}


def test_lesson_script_prints_the_lesson_numbers(songs_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "figures"
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--data", str(songs_path), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    text = run.stdout
    for line in [
        "Rows and columns read: 530 x 16",
        "Rows after the filter: 286",
        "Rows of df_numeric_long: 3432",
        "K-means clustering with 3 clusters of sizes 111, 110, 65",
        "tot.withinss: 12998.66",
        "Elbow at k = 3",
        "Mean silhouette width: 0.549",
        "Lesson's check (cluster number = genre's factor code): 109 of 286",
        "Best one-to-one matching of clusters to genres: 112 of 286",
    ]:
        assert line in text, line
    for genre, n in [("afro dancehall", 206), ("afropop", 61), ("nigerian pop", 19)]:
        assert any(genre in row and f" {n} " in row for row in text.splitlines()), genre
    assert {p.stem for p in out.glob("*.png")} == FIGURES
    assert all(p.stat().st_size > 5_000 for p in out.glob("*.png"))


def test_every_r_step_is_quoted_above_its_python_twin() -> None:
    source = SCRIPT.read_text(encoding="utf-8")
    for r_step in [
        "# df <- read_csv(",
        "# df %>% count(artist_top_genre)",
        "# df_numeric_long <- df_numeric %>%",
        '#   pivot_longer(!artist_top_genre, names_to = "feature_names", values_to = "values")',
        "# set.seed(2056)",
        "# kclust <- kmeans(df_numeric_select, centers = 3, nstart = 25)",
        "# tidy(kclust)",
        "# augment(kclust, df)",
        "# kclusts <- tibble(k = 1:10)",
        "# sil <- silhouette(",
        "# table(",
    ]:
        assert r_step in source, r_step

"""The cases, as run inside a child process: one function per (case, side), each returning a dict.

Every function loads its own data, makes a warm-up call on a small slice (or, for the lesson, on the
data itself) and measures the call with :func:`benchmarks.harness.measure`. Specs are plain dicts
so that the parent can pass them on the command line as JSON.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from benchmarks import datasets
from benchmarks.harness import measure

__all__ = ["CASES", "run_case"]

K_GRID = range(1, 11)
NSTART = 25
WARMUP_ROWS = 2_000
LESSON = "lesson"


# --------------------------------------------------------------------------- data
def _lesson_frame() -> pl.DataFrame:
    from tidyclust import read_songs, tidy

    kept = tidy.filter_songs(read_songs(datasets.lesson_path()))
    return kept.select(pl.col(list(tidy.LESSON_COLUMNS)).cast(pl.Float64))


def _grid_frame(n: int | str) -> pl.DataFrame:
    if n == LESSON:
        return _lesson_frame()
    return pl.read_parquet(datasets.blobs_paths(int(n))[1])


def _grid_matrix(n: int | str) -> np.ndarray:
    if n == LESSON:
        return np.ascontiguousarray(_lesson_frame().to_numpy(), dtype=np.float64)
    return np.load(datasets.blobs_paths(int(n))[0])


def _slice(data: Any, n: int | str) -> Any:
    """The warm-up data: the lesson itself, else its first WARMUP_ROWS rows."""
    return data if n == LESSON else data[:WARMUP_ROWS]


# The k-grid's warm-up: enough rows to take the timed call's code paths (the search runs on
# summaries from 8,193 rows, with the same kernels at every size; above 5,000 the silhouette is
# estimated),
# so that their kernels and imports are loaded in the warm-up, not counted in the timed call's
# time and peak memory: the data itself up to GRID_WARMUP_ROWS rows, else its first
# GRID_WARMUP_ROWS rows. Both sides warm up on the same rows.
GRID_WARMUP_ROWS = 25_000


def _grid_slice(data: Any, n: int | str) -> Any:
    if n == LESSON or int(n) <= GRID_WARMUP_ROWS:
        return data
    return data[:GRID_WARMUP_ROWS]


# --------------------------------------------------------------------------- k-grid
def grid_ours(spec: dict[str, Any]) -> dict[str, Any]:
    """``tidyclust.kmeans_grid(frame, k=1..10, nstart=25)``: full grid time and fit-only time.

    Fit-only time is the sum of the grid's own ``seconds`` column (time in ``kmeans`` per k,
    without the silhouette / Calinski–Harabasz / Davies–Bouldin the grid also computes).
    """
    from tidyclust import kmeans_grid

    frame = _grid_frame(spec["n"])
    seed = spec["seed"]

    def grid(data: pl.DataFrame) -> Any:
        return kmeans_grid(data, k=K_GRID, nstart=NSTART, seed=seed)

    m = measure(
        lambda: grid(frame),
        warmup=lambda: grid(_grid_slice(frame, spec["n"])),
        repeats=spec["repeats"],
        extra=lambda g: float(g.frame["seconds"].sum()),
    )
    return {
        **m.as_dict(),
        "fit_only_s": m.extras,
        "tot_withinss": m.result.frame["tot_withinss"].to_list(),
        "rows": frame.height,
        "data_mb": frame.estimated_size() / 2**20,
        "traced_peak_mb": _traced_peak_mb(lambda: grid(frame)),
    }


def _traced_peak_mb(call: Callable[[], Any]) -> float:
    """Peak of the memory Python and numpy allocate during one more (untimed) call, over what was
    allocated before it (tracemalloc): the call's live working set, free of the allocator's
    retention and thread stacks that make the resident-size peak noisy on small data. Every array
    the grid makes is a numpy array, so it is traced; scikit-learn's Cython buffers would not be,
    so this is measured on our side only and is information, not the bar."""
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del result
    return (peak - before) / 2**20


def grid_sklearn(spec: dict[str, Any]) -> dict[str, Any]:
    """The loop a user writes: ``for k in 1..10: KMeans(k, n_init=25, random_state=seed).fit(X)``."""
    from sklearn.cluster import KMeans

    X = _grid_matrix(spec["n"])
    seed = spec["seed"]

    def loop(data: np.ndarray) -> list[float]:
        return [float(KMeans(k, n_init=NSTART, random_state=seed).fit(data).inertia_) for k in K_GRID]

    m = measure(lambda: loop(X), warmup=lambda: loop(_grid_slice(X, spec["n"])), repeats=spec["repeats"])
    return {**m.as_dict(), "tot_withinss": m.result, "rows": X.shape[0], "data_mb": X.nbytes / 2**20}


# --------------------------------------------------------------------------- silhouette
Score = Callable[[np.ndarray, np.ndarray], float]


def _silhouette_case(spec: dict[str, Any], score: Score) -> dict[str, Any]:
    n = int(spec["n"])
    X = np.load(datasets.blobs_paths(n)[0])
    labels = np.load(datasets.labels_path(n))
    m = measure(
        lambda: score(X, labels),
        warmup=lambda: score(X[:WARMUP_ROWS], labels[:WARMUP_ROWS]),
        repeats=spec["repeats"],
    )
    return {**m.as_dict(), "value": float(m.result), "rows": n, "data_mb": X.nbytes / 2**20}


def silhouette_ours(spec: dict[str, Any]) -> dict[str, Any]:
    """``tidyclust.metrics.mean_silhouette(X, labels)`` (exact, O(n·p) memory)."""
    from tidyclust.metrics import mean_silhouette

    return _silhouette_case(spec, mean_silhouette)


def silhouette_sklearn(spec: dict[str, Any]) -> dict[str, Any]:
    """``sklearn.metrics.silhouette_score(X, labels)`` (exact; chunked distance matrix)."""
    from sklearn.metrics import silhouette_score

    return _silhouette_case(spec, silhouette_score)


# --------------------------------------------------------------------------- reshaping
def _numeric_features() -> list[str]:
    from tidyclust.data import SONGS_SCHEMA

    return [c for c, t in SONGS_SCHEMA.items() if t.is_numeric()]


def _verb_tidyclust(module: Any, verb: str) -> Callable[[Path], pl.DataFrame]:
    """The verb on the untouched ``scan_songs(path)``: Polars streams the file, DuckDB reads it itself."""
    from tidyclust import scan_songs

    calls: dict[str, Callable[[pl.LazyFrame], pl.DataFrame]] = {
        "filter_songs": module.filter_songs,
        "filter_steps": module.filter_steps,
        "count_by": lambda lf: module.count_by(lf, "artist_top_genre"),
        "pivot_longer": module.pivot_longer,
        "feature_summary": lambda lf: module.feature_summary(lf, by_group=True),
    }
    return lambda path: calls[verb](scan_songs(path))


def _verb_pandas(verb: str) -> Callable[[Path], Any]:
    """What a pandas user writes; reading only the columns the answer needs (generous to pandas)."""
    import pandas as pd

    from tidyclust.tidy import LESSON_GENRES

    label, features = "artist_top_genre", _numeric_features()

    def read(path: Path, columns: list[str] | None = None) -> Any:
        if path.suffix == ".csv":
            return pd.read_csv(path, usecols=columns)
        return pd.read_parquet(path, columns=columns)

    def filter_songs(path: Path) -> Any:
        df = read(path)
        return df[df[label].isin(LESSON_GENRES) & (df["popularity"] != 0)]

    def filter_steps(path: Path) -> Any:
        df = read(path, [label, "popularity"])
        genre_ok = df[label].isin(LESSON_GENRES)
        return [len(df), int(genre_ok.sum()), int((genre_ok & (df["popularity"] != 0)).sum())]

    def count_by(path: Path) -> Any:
        return read(path, [label])[label].value_counts()

    def pivot_longer(path: Path) -> Any:
        df = read(path, [label, *features])
        return df.melt(id_vars=label, var_name="feature_names", value_name="values")

    def feature_summary(path: Path) -> Any:
        return read(path, [label, *features]).groupby(label)[features].describe()

    return {
        "filter_songs": filter_songs,
        "filter_steps": filter_steps,
        "count_by": count_by,
        "pivot_longer": pivot_longer,
        "feature_summary": feature_summary,
    }[verb]


def songs_csv_path(parquet: Path) -> Path:
    """The CSV twin of a songs-like Parquet file, written beside it once (Polars streams the copy)."""
    csv = parquet.with_suffix(".csv")
    if not csv.is_file():
        tmp = csv.with_name(csv.name + ".tmp")
        pl.scan_parquet(parquet).sink_csv(tmp)
        tmp.replace(csv)
    return csv


def reshape(spec: dict[str, Any]) -> dict[str, Any]:
    """One verb, one implementation (``tidy``, ``sql`` or ``pandas``) on the songs-like file.

    ``spec["path"]`` is a Parquet or a CSV file; the warm-up reads the 10,000-row file of the same format.
    """
    from tidyclust import sql, tidy

    impl, verb = spec["impl"], spec["verb"]
    call = _verb_pandas(verb) if impl == "pandas" else _verb_tidyclust(tidy if impl == "tidy" else sql, verb)
    path, warm = Path(spec["path"]), datasets.songs_like_path(10_000)
    if path.suffix == ".csv":
        warm = songs_csv_path(warm)
    m = measure(lambda: call(path), warmup=lambda: call(warm), repeats=spec["repeats"])
    return {**m.as_dict(), "rows_out": len(m.result), "file_mb": path.stat().st_size / 2**20}


CASES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "grid/ours": grid_ours,
    "grid/sklearn": grid_sklearn,
    "silhouette/ours": silhouette_ours,
    "silhouette/sklearn": silhouette_sklearn,
    "reshape/tidy": reshape,
    "reshape/sql": reshape,
    "reshape/pandas": reshape,
}


def run_case(spec: dict[str, Any]) -> dict[str, Any]:
    """Dispatch on ``spec["case"]/spec["side"]``."""
    return CASES[f"{spec['case']}/{spec['side']}"](spec)

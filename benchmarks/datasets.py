"""Seeded benchmark data, generated once into a cache folder outside the repository.

* Gaussian blobs (``sklearn.datasets.make_blobs``: 5 features, 6 centres, a fixed seed), stored
  twice: ``.npy`` (what the scikit-learn side loads) and uncompressed Parquet (what our side loads),
  so that neither side makes a transient copy while loading (which would raise its memory baseline).
* Songs-like files with the 16 columns of :data:`tidyclust.data.SONGS_SCHEMA`: rows of the lesson's
  file drawn with replacement, numeric features jittered (5 % of each column's sd, clipped to the
  column's range), names made unique. Genres, the popularity-0 share and the feature distributions
  are therefore the lesson's.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

__all__ = [
    "BLOB_CENTERS",
    "BLOB_FEATURES",
    "SEED",
    "blobs_paths",
    "cache_dir",
    "lesson_path",
    "songs_like_path",
]

SEED = 2056
BLOB_FEATURES = 5
BLOB_CENTERS = 6
_JITTER = 0.05
_REPO = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    """``$TIDYCLUST_BENCH_DIR`` if set, else ``/tmp/tidyclust-bench`` (created if needed)."""
    path = Path(os.environ.get("TIDYCLUST_BENCH_DIR") or "/tmp/tidyclust-bench")
    path.mkdir(parents=True, exist_ok=True)
    return path


def lesson_path() -> Path:
    """The lesson's songs CSV: ``$TIDYCLUST_TEST_DATA`` if set, else ``../shared/data`` beside the repo."""
    env = os.environ.get("TIDYCLUST_TEST_DATA")
    path = Path(env) if env else _REPO.parent / "shared" / "data" / "nigerian-songs.csv"
    if not path.is_file():
        raise FileNotFoundError(
            f"lesson data: {path} does not exist; set TIDYCLUST_TEST_DATA to the songs CSV"
        )
    return path


def blobs_paths(n: int, *, seed: int = SEED) -> tuple[Path, Path]:
    """``(npy, parquet)`` paths of ``n`` seeded blob rows, columns ``x0..x4`` (see also labels_path)."""
    stem = cache_dir() / f"blobs-{n}-{BLOB_FEATURES}x{BLOB_CENTERS}-seed{seed}"
    npy, parquet, labels = stem.with_suffix(".npy"), stem.with_suffix(".parquet"), labels_path(n, seed=seed)
    if not (npy.is_file() and parquet.is_file() and labels.is_file()):
        from sklearn.datasets import make_blobs

        X, y = make_blobs(n_samples=n, n_features=BLOB_FEATURES, centers=BLOB_CENTERS, random_state=seed)
        X = np.ascontiguousarray(X, dtype=np.float64)
        _atomic(npy, lambda p: _save_npy(p, X))
        _atomic(labels, lambda p: _save_npy(p, (y + 1).astype(np.int32)))
        frame = pl.from_numpy(X, schema=[f"x{j}" for j in range(BLOB_FEATURES)])
        _atomic(parquet, lambda p: frame.write_parquet(p, compression="uncompressed"))
    return npy, parquet


def labels_path(n: int, *, seed: int = SEED) -> Path:
    """The true blob of each row (1-based int32), saved beside :func:`blobs_paths`."""
    return cache_dir() / f"blobs-{n}-{BLOB_FEATURES}x{BLOB_CENTERS}-seed{seed}.labels.npy"


def songs_like_path(n: int, *, seed: int = SEED) -> Path:
    """A Parquet file of ``n`` songs-like rows with the 16 columns of ``SONGS_SCHEMA`` (made once)."""
    path = cache_dir() / f"songs-like-{n}-seed{seed}.parquet"
    if not path.is_file():
        frame = _songs_like(n, seed)
        _atomic(path, lambda p: frame.write_parquet(p))
    return path


def _songs_like(n: int, seed: int) -> pl.DataFrame:
    from tidyclust.data import SONGS_SCHEMA, read_songs

    base = read_songs(lesson_path())
    rng = np.random.default_rng(seed)
    rows = base[rng.integers(0, base.height, size=n)]
    columns = []
    for name, dtype in SONGS_SCHEMA.items():
        column = rows.get_column(name)
        if name == "name":
            column = rows.select(pl.format("{} #{}", pl.col(name), pl.int_range(n))).to_series().alias(name)
        elif dtype == pl.Float64() or name == "length":
            column = _jitter(column, base.get_column(name), rng).cast(dtype)
        columns.append(column)
    return pl.DataFrame(columns)


def _jitter(column: pl.Series, reference: pl.Series, rng: np.random.Generator) -> pl.Series:
    """``column`` plus Gaussian noise of 5 % of the reference sd, clipped to the reference range."""
    values = column.cast(pl.Float64).to_numpy()
    noise = rng.normal(0.0, _JITTER * float(reference.std() or 0.0), size=values.shape[0])
    low, high = float(reference.min()), float(reference.max())
    jittered = np.clip(values + noise, low, high)
    if column.dtype.is_integer():
        jittered = np.round(jittered)
    return pl.Series(column.name, jittered)


def _save_npy(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as handle:  # a handle, so that np.save does not append ".npy" to the name
        np.save(handle, array)


def _atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Write through a temporary name, so an interrupted run never leaves a half file in the cache."""
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    tmp.replace(path)


def main(argv: list[str]) -> int:
    """``python -m benchmarks.datasets blobs|songs N``: make one cached file (run as a child by
    :mod:`benchmarks.run`, so that the runner's own resident memory stays small)."""
    kind, n = argv[0], int(argv[1])
    print(blobs_paths(n)[0] if kind == "blobs" else songs_like_path(n))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))

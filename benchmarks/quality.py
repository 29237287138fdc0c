"""How good is the k-grid's search? ``python -m benchmarks.quality [--rows 10000] [--seeds 4]``.

The speed bars of the k-grid come with a quality bar: ``tot_withinss`` within 1e-4 (relative) of
scikit-learn's loop ``for k in 1..10: KMeans(k, n_init=25, random_state=seed)`` or better, at every
k. One data set and one seed (what :mod:`benchmarks.run` times) says little about a search whose
optima at k above the true number of clusters lie 1e-4 to 1e-3 apart, so this script runs the grid
and the loop over several kinds of data and seeds, side by side, and prints per data set:

* ``ours s`` and ``loop s``: mean seconds of one grid (``kmeans_grid``, which also scores every k)
  and of one loop, in this process, one after the other;
* ``gap``: the mean over seeds and k of ``tot_withinss / best − 1``, where ``best`` is the smallest
  value seen for that data set and k (ours, the loop, the loop with another seed, each over every
  seed, and a long reference run: ``KMeans(k, n_init=REFERENCE_STARTS)``); the loop's own gap
  beside it;
* ``at every k``: the share of grids within 1e-4 of the loop (same seed) or better at every k, and,
  for scale, the same share for the loop with another ``random_state`` (seed + OTHER_SEED) against
  the loop;
* ``worst``: the worst ``ours / loop − 1`` over every seed and k.

Data (5 columns, seeded; made in this process): ``blobs`` (6 well
separated Gaussian blobs, the timing benchmark's kind, one data seed per search seed), ``overlap``
(9 overlapping blobs), ``aniso`` (6 blobs through a linear map), ``uniform`` (the unit cube),
``songs`` and ``songs-scaled`` (the lesson's five columns on songs-like rows: the lesson's rows
drawn with replacement and jittered, about 286 tight clumps; unscaled as the lesson, and scaled).
The songs-like files (:func:`benchmarks.datasets.songs_like_path`) and the reference runs are made
once into ``$TIDYCLUST_BENCH_DIR`` (see :func:`benchmarks.datasets.cache_dir`), outside the
repository.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable

import numpy as np

from benchmarks import datasets

KS = range(1, 11)
NSTART = 25
REFERENCE_STARTS = 200
WITHIN = 1e-4
OTHER_SEED = 10_000
SETS = ("blobs", "overlap", "aniso", "uniform", "songs", "songs-scaled")


def make(kind: str, n: int, seed: int) -> np.ndarray:
    """``n`` rows of data set ``kind`` (data seed ``seed``), float64, C order."""
    from sklearn.datasets import make_blobs

    rng = np.random.default_rng(seed)
    if kind == "blobs":
        X = make_blobs(n, n_features=5, centers=6, random_state=seed)[0]
    elif kind == "overlap":
        X = make_blobs(n, n_features=5, centers=9, cluster_std=2.5, center_box=(-8, 8), random_state=seed)[0]
    elif kind == "aniso":
        X = make_blobs(n, n_features=5, centers=6, random_state=seed)[0] @ rng.normal(size=(5, 5))
    elif kind == "uniform":
        X = rng.uniform(size=(n, 5))
    elif kind in ("songs", "songs-scaled"):
        import polars as pl

        from tidyclust.tidy import LESSON_COLUMNS

        frame = pl.read_parquet(datasets.songs_like_path(n, seed=seed), columns=list(LESSON_COLUMNS))
        X = frame.cast(pl.Float64).to_numpy()
        if kind == "songs-scaled":
            X = (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)
    else:
        raise ValueError(f"data set: {kind!r} is not one of {', '.join(SETS)}")
    return np.ascontiguousarray(X, dtype=np.float64)


def ours(X: np.ndarray, seed: int) -> list[float]:
    import polars as pl

    from tidyclust import kmeans_grid

    frame = pl.from_numpy(X, schema=[f"x{j}" for j in range(X.shape[1])])
    return kmeans_grid(frame, k=KS, nstart=NSTART, seed=seed).frame["tot_withinss"].to_list()


def loop(X: np.ndarray, seed: int, n_init: int = NSTART) -> list[float]:
    from sklearn.cluster import KMeans

    return [float(KMeans(k, n_init=n_init, random_state=seed).fit(X).inertia_) for k in KS]


def reference(kind: str, n: int, seed: int, X: np.ndarray) -> list[float]:
    """``KMeans(k, n_init=REFERENCE_STARTS)`` per k, computed once per data set and cached."""
    path = datasets.cache_dir() / f"quality-ref-{kind}-{n}-seed{seed}-{REFERENCE_STARTS}.json"
    if path.is_file():
        return json.loads(path.read_text())
    values = loop(X, seed, REFERENCE_STARTS)
    path.write_text(json.dumps(values))
    return values


def timed(call: Callable[[], list[float]]) -> tuple[list[float], float]:
    t0 = time.perf_counter()
    values = call()
    return values, time.perf_counter() - t0


def evaluate(kind: str, n: int, seeds: list[int], grid: Callable = ours) -> dict[str, float]:
    """The figures of one data set (see the module docstring); ``grid(X, seed)`` is the search."""
    # blobs: a new data set per seed (the loop's own spread is data-dependent); others: one data set
    data_seeds = seeds if kind == "blobs" else [datasets.SEED] * len(seeds)
    mats = {s: make(kind, n, s) for s in set(data_seeds)}
    grid(mats[data_seeds[0]], seeds[0])  # warm-up: imports, numba's cache
    runs = []
    for s, ds in zip(seeds, data_seeds, strict=True):
        X = mats[ds]
        ours_v, ours_s = timed(lambda X=X, s=s: grid(X, s))
        loop_v, loop_s = timed(lambda X=X, s=s: loop(X, s))
        other = loop(X, s + OTHER_SEED)
        runs.append((ds, np.array(ours_v), np.array(loop_v), ours_s, loop_s, np.array(other)))
    best = {ds: np.array(reference(kind, n, ds, mats[ds])) for ds in mats}
    for ds, o, lp, _, _, other in runs:
        best[ds] = np.minimum(best[ds], np.minimum(np.minimum(o, lp), other))
    gap = [o / best[ds] - 1 for ds, o, *_ in runs]
    loop_gap = [lp / best[ds] - 1 for ds, _, lp, *_ in runs]
    vs_loop = [o / lp - 1 for _, o, lp, *_ in runs]
    self_ok = [np.all(other / lp - 1 <= WITHIN) for _, _, lp, _, _, other in runs]
    return {
        "ours_s": float(np.mean([r[3] for r in runs])),
        "loop_s": float(np.mean([r[4] for r in runs])),
        "gap": float(np.mean(gap)),
        "loop_gap": float(np.mean(loop_gap)),
        "at_every_k": float(np.mean([np.all(v <= WITHIN) for v in vs_loop])),
        "loop_self": float(np.mean(self_ok)),
        "worst": float(np.max(vs_loop)),
        "worst_k": int(KS[int(np.argmax(np.max(vs_loop, axis=0)))]),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.quality", description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, nargs="+", default=[10_000])
    p.add_argument("--seeds", type=int, default=4, help="search seeds per data set (default: 4)")
    p.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    p.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = p.parse_args(argv)
    seeds = [datasets.SEED + i for i in range(args.seeds)]
    header = f"{'data':>14} {'rows':>8} {'ours s':>7} {'loop s':>7} {'gap':>8} {'loop gap':>8} "
    print(header + f"{'at every k':>10} {'loop/self':>9} {'worst':>9}")
    results = {}
    for n in args.rows:
        for kind in args.sets:
            r = evaluate(kind, n, seeds)
            results[f"{kind}-{n}"] = r
            print(
                f"{kind:>14} {n:>8,} {r['ours_s']:>7.3f} {r['loop_s']:>7.3f} {r['gap']:>8.1e} "
                f"{r['loop_gap']:>8.1e} {r['at_every_k']:>10.0%} {r['loop_self']:>9.0%} "
                f"{r['worst']:>+9.1e} (k={r['worst_k']})",
                flush=True,
            )
    allr = list(results.values())
    print(
        f"{'mean':>14} {'':>8} {np.mean([r['ours_s'] for r in allr]):>7.3f} "
        f"{np.mean([r['loop_s'] for r in allr]):>7.3f} {np.mean([r['gap'] for r in allr]):>8.1e} "
        f"{np.mean([r['loop_gap'] for r in allr]):>8.1e} {np.mean([r['at_every_k'] for r in allr]):>10.0%}"
    )
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

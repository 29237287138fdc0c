"""Compile the report's numba kernels on both cores when numba's cache is cold.

On a cold cache (the first report after installing) compiling the kernels costs about 7 s of CPU,
as much as the rest of the run. The kernels compile independently of each other, and numba writes
each one to its on-disk cache (``cache=True``), where another process finds it. So a forked helper
and this process take the compile tasks below in turn (a shared counter: the next task not yet
taken), calling each kernel once on a tiny matrix with the argument types the package passes; the
helper's kernels are then loaded from the cache when first called here.

The command line forks the helper first thing (:func:`compiling`), before it imports the rest of
the package and reads the data, so the helper compiles while this process does that; a report
built in-process forks it when it reaches :func:`compile_kernels`. Either way this process joins in
once it has imported what the report will use (``meanwhile``), which it would otherwise import
alone after the compile, one core idle.

The tasks only compile: no number of the report comes from them. If a kernel's signature changes
and a task no longer matches it, the report is as slow as without this module, not wrong (the
tests check that the tasks cover every signature a k-means report compiles). With a warm cache
nothing is forked.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from tidyclust import _hclust_kernel as hkern
from tidyclust import _kmeans_kernels as kern
from tidyclust import _silhouette_kernel as skern

__all__ = ["TASKS", "compile_kernels", "compiling"]

_N, _P, _K = 12, 3, 3


def _matrix() -> np.ndarray:
    return np.ascontiguousarray(np.random.default_rng(0).normal(size=(_N, _P)))


def _labels() -> np.ndarray:
    return (np.arange(_N) % _K).astype(np.int32)


def _multistart() -> None:
    """Hartigan–Wong's multi-start (the AS 136 routines under it)."""
    X = _matrix()
    kern.multistart(X, np.empty(0), np.ascontiguousarray(np.stack([X[:_K], X[_K : 2 * _K]])), 10, False, 1)


def _starts() -> None:
    """k-means++ starts, the principal-axis start, and the checks and relabelling around a fit."""
    X = _matrix()
    kern.count_distinct_rows(X, _K)
    kern.kmeanspp_starts(X, np.empty(0), np.arange(_N), _K, 3, np.full(2, 0.5), np.full((2, _K, 3), 0.5))
    table = kern.segment_table(X, np.arange(_N), _K)
    kern.segment_means(X, np.arange(_N), table, _K)
    kern.relabel_first_appearance(_labels(), _K)


def _silhouette() -> None:
    labels = _labels() + 1
    labels.setflags(write=False)  # a fit's labels are read-only
    XT, starts = kern.cluster_sorted_transpose(_matrix(), labels, _K)
    skern.cluster_mean_distances(XT, starts, np.arange(_N, dtype=np.int64))


def _cluster_stats() -> None:
    """A fit's sizes, centres and withinss, and the Calinski–Harabasz and Davies–Bouldin indices
    (one task: ch_db calls cluster_stats)."""
    kern.cluster_stats(_matrix(), _labels(), np.empty(0), _K)
    kern.ch_db(_matrix(), _labels(), _K)


def _gap_dispersion() -> None:
    skern.within_cluster_distance_sums(
        np.ascontiguousarray(_matrix().T), np.array([0, 5, _N], dtype=np.int64), 1.0
    )


def _hclust() -> None:
    hkern.agglomerate(hkern.euclidean(_matrix()), hkern.LINKAGE_CODES["ward.D2"])


#: (the kernel whose cache says whether the task is needed, the task), longest first. The kernel is
#: the compiled one (``_segment_table``), not its Python wrapper, which has no cache to ask.
TASKS: tuple[tuple[Any, Callable[[], None]], ...] = (
    (kern._multistart_hw, _multistart),
    (hkern._agglomerate, _hclust),
    (kern._segment_table, _starts),
    (skern._rows_kernel, _silhouette),
    (kern._ch_db, _cluster_stats),
    (skern._pair_sums, _gap_dispersion),
)


def _cached(kernel: Any) -> bool:
    """Whether numba's cache holds a compiled version of ``kernel`` for its current source."""
    try:
        return bool(kernel._cache._cache_file._load_index())
    except Exception:  # numba internals moved: assume cached, i.e. do what the report did before
        return True


def _take_tasks(tasks: list[Callable[[], None]], taken: Any) -> None:
    while True:
        with taken.get_lock():
            index = taken.value
            taken.value += 1
        if index >= len(tasks):
            return
        with contextlib.suppress(Exception):  # only a compile: the report compiles (or fails) later
            tasks[index]()


def _set_up_numba() -> None:
    """numba's one-time set-up of its typing and target contexts (about 0.3 s of CPU, otherwise done
    by the first compile of each process): done before forking, the helper inherits it."""
    from numba.core.registry import cpu_target

    cpu_target.typing_context.refresh()
    cpu_target.target_context.refresh()


@dataclass(frozen=True)
class _Helper:
    tasks: list[Callable[[], None]]
    taken: Any  # the shared counter
    process: Any


#: The helper :func:`compiling` forked, until :func:`compile_kernels` joins it.
_helper: _Helper | None = None


def _fork_helper() -> _Helper | None:
    """Fork a process taking the compile tasks missing from numba's cache; None if none is missing,
    on one core, or where the platform cannot fork."""
    tasks = [task for kernel, task in TASKS if not _cached(kernel)]
    if not tasks or (os.cpu_count() or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    with contextlib.suppress(Exception):  # numba internals moved: each process sets itself up
        _set_up_numba()
    ctx = multiprocessing.get_context("fork")
    taken = ctx.Value("i", 0)
    process = ctx.Process(target=_take_tasks, args=(tasks, taken), daemon=True)
    process.start()
    return _Helper(tasks, taken, process)


@contextlib.contextmanager
def compiling() -> Iterator[None]:
    """Fork the compile helper now (a cold cache only), for :func:`compile_kernels` to join later.

    On leaving, a helper nobody joined (the command failed first) is stopped.
    """
    global _helper
    if _helper is None:
        _helper = _fork_helper()
    try:
        yield
    finally:
        helper, _helper = _helper, None
        if helper is not None:
            helper.process.terminate()
            helper.process.join()


def compile_kernels(meanwhile: Callable[[], object] | None = None) -> int:
    """Compile the kernels missing from numba's cache, here and in the forked helper; how many tasks.

    Joins the helper :func:`compiling` forked, else forks one. ``meanwhile`` runs here first, while
    the helper compiles (only if there is something to compile). Does nothing (returns 0) with a
    warm cache, on one core, or where the platform cannot fork.
    """
    global _helper
    helper = _helper if _helper is not None else _fork_helper()
    _helper = None
    if helper is None:
        return 0
    try:
        if meanwhile is not None:
            meanwhile()
        _take_tasks(helper.tasks, helper.taken)
    except BaseException:
        helper.process.terminate()  # this process failed: its error is what the caller sees
        raise
    finally:
        helper.process.join()
    return len(helper.tasks)

"""Thread pools sized for the data: one thread for small inputs, everything for large ones.

On a few hundred rows the OpenMP/BLAS pools under scikit-learn, and numba's pool, cost far more
than they save, and on a busy two-core machine they collapse: a lesson-size Gaussian mixture
(25 starts) takes 0.2 s on one thread and 5 s with two threads fighting another process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

__all__ = ["PARALLEL_MIN_ROWS", "shared_pool", "threads_for"]

#: Below this many rows every pool runs on one thread.
PARALLEL_MIN_ROWS = 10_000


@contextmanager
def threads_for(n_rows: int) -> Iterator[None]:
    """Limit scikit-learn's (threadpoolctl) and numba's pools to one thread for small data."""
    if n_rows >= PARALLEL_MIN_ROWS:
        yield
        return
    import numba
    from threadpoolctl import threadpool_limits

    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        numba.set_num_threads(before)


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _forget_pool_in_child() -> None:
    """A forked child has none of the pool's threads (the report forks figure and gap workers):
    it makes its own pool if it needs one, instead of queueing work nobody would run."""
    global _POOL, _POOL_LOCK
    _POOL, _POOL_LOCK = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_in_child)


def shared_pool() -> ThreadPoolExecutor:
    """One thread per core, made on first use and kept for the process: a k-grid's tasks run
    there. Reusing the threads (and the allocator arenas and stacks they warmed) keeps a grid
    call from paying for new threads each time, in time and in resident memory. Tasks submitted
    here must not wait on other tasks of this pool."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="tidyclust")
        return _POOL

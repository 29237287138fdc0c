"""Thread pools sized for the data: one thread for small inputs, everything for large ones.

On a few hundred rows the OpenMP/BLAS pools under scikit-learn, and numba's pool, cost far more
than they save, and on a busy two-core machine they collapse: a lesson-size Gaussian mixture
(25 starts) takes 0.2 s on one thread and 5 s with two threads fighting another process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["PARALLEL_MIN_ROWS", "threads_for"]

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

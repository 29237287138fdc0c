"""Measuring: repeated timings and the peak-memory delta inside a child, and spawning children.

Memory method (the same for every case): each case runs in a fresh child process. The child imports
the libraries, loads its data and makes one warm-up call (numba compiles or loads its cache there,
reported as ``first_call_s``); then it reads its own ``VmHWM`` (the high-water mark of its
resident memory so far) as the baseline, runs the timed repeats, and reads ``VmHWM`` again.
``peak_delta_mb`` = after − baseline: the extra resident memory the call needed at its peak, over
what the process already held (interpreter, libraries, the data itself). Whole-process peaks are
recorded too (``peak_rss_mb``, from ``os.wait4`` in the parent).
"""

from __future__ import annotations

import gc
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Measured", "Spawned", "cpu_burner", "maxrss_mb", "measure", "spawn"]

_MB = 1024.0  # ru_maxrss is in KiB on Linux


def maxrss_mb() -> float:
    """High-water mark of this process's resident memory (MiB): ``VmHWM`` of ``/proc/self/status``.

    Not ``getrusage().ru_maxrss``: Linux carries that across ``fork`` + ``exec``, so a child starts
    with its parent's resident size as a floor and a small case would read as +0 MiB. ``VmHWM``
    belongs to the address space that ``exec`` creates fresh.
    """
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / _MB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / _MB


@dataclass(frozen=True)
class Measured:
    """Timings of the repeats (seconds), the first call, the memory delta and the last result."""

    times: list[float]
    first_call_s: float
    baseline_rss_mb: float
    peak_delta_mb: float
    extras: list[Any]
    result: Any

    @property
    def median(self) -> float:
        """The median of the repeats (the number quoted)."""
        return statistics.median(self.times)

    def as_dict(self) -> dict[str, Any]:
        """The JSON-ready summary (without the result itself)."""
        return {
            "times_s": self.times,
            "median_s": self.median,
            "first_call_s": self.first_call_s,
            "baseline_rss_mb": self.baseline_rss_mb,
            "peak_delta_mb": self.peak_delta_mb,
        }


def measure(
    call: Callable[[], Any],
    *,
    warmup: Callable[[], Any],
    repeats: int,
    extra: Callable[[Any], Any] | None = None,
) -> Measured:
    """Run ``warmup`` once (timed as the first call), then ``call`` ``repeats`` times.

    ``extra(result)`` is kept for every repeat (e.g. the fit-only seconds of a grid). The previous
    result is dropped before each repeat. The memory peak is that of one call: before each repeat
    the high-water mark is reset to the current resident size (``/proc/self/clear_refs``), and the
    call's peak is the mark after it minus the resident size before it; the largest over the
    repeats is reported. (A single high-water mark over all repeats would also count what the
    allocator kept from earlier repeats: glibc raises its mmap threshold after large frees, so
    freed blocks stay resident and the mark creeps up with every repeat, on both sides.) Where the
    mark cannot be reset, it is the mark over all repeats minus the mark after the warm-up.
    """
    gc.collect()
    t0 = time.perf_counter()
    warmup()
    first = time.perf_counter() - t0
    gc.collect()
    baseline = maxrss_mb()
    times: list[float] = []
    extras: list[Any] = []
    peaks: list[float] = []
    result: Any = None
    for _ in range(repeats):
        result = None
        gc.collect()
        start = _reset_peak()
        t0 = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - t0)
        if start is not None:
            peaks.append(maxrss_mb() - start)
        if extra is not None:
            extras.append(extra(result))
    peak = max(peaks) if peaks else maxrss_mb() - baseline
    return Measured(times, first, baseline, peak, extras, result)


def _reset_peak() -> float | None:
    """Reset this process's high-water mark to its resident size; that size (MiB), or None if the
    kernel does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return None
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / _MB
    return None


@dataclass(frozen=True)
class Spawned:
    """A finished child: exit code, wall time, peak RSS (MiB) and the tail of its stderr."""

    returncode: int
    wall_s: float
    peak_rss_mb: float
    stderr_tail: str


def spawn(cmd: list[str], *, timeout: float, env: dict[str, str] | None = None) -> Spawned:
    """Run ``cmd`` to completion; its own peak RSS comes from ``os.wait4`` (not RUSAGE_CHILDREN,
    which is the maximum over every child this process ever waited for). That figure has the parent's
    resident size at fork as a floor, so the parent stays lean: data is generated in a child too."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().decode(errors="replace")[-2000:]
    return Spawned(proc.returncode, wall, usage.ru_maxrss / _MB, tail)


@contextmanager
def cpu_burner(enabled: bool = True) -> Iterator[int | None]:
    """Keep one core busy (``python -c "while True: pass"``) for the duration of the block."""
    if not enabled:
        yield None
        return
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)  # let it reach the scheduler before the measurement starts
        yield proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def python_cmd(module: str, *args: str | Path) -> list[str]:
    """``[this python, -m, module, *args]``."""
    return [sys.executable, "-m", module, *map(str, args)]

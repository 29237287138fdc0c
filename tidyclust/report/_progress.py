"""A dependency-free progress bar on stderr, fed by ``kmeans_grid(progress=...)``."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    """Draw ``label [#####-----] done/total  k=K`` on one line of a terminal.

    Called as ``bar(done, total, k)`` after each k of a grid. On a terminal the line is redrawn in
    place; elsewhere (a log file, a pipe, a test) only the finished line is written, once.

    Parameters
    ----------
    label : str
        What is running, e.g. ``"k-grid (unscaled)"``.
    stream : text stream, optional
        Where to draw; default ``sys.stderr``.
    width : int
        Characters of the bar itself.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> bar = ProgressBar("k-grid", stream=out)
    >>> for done in (1, 2): bar(done, 2, done)
    >>> out.getvalue().startswith("k-grid [")
    True
    """

    def __init__(self, label: str, *, stream: TextIO | None = None, width: int = 24) -> None:
        self.label = label
        self.stream = sys.stderr if stream is None else stream
        self.width = width
        self.started = time.perf_counter()
        isatty = getattr(self.stream, "isatty", None)
        self.live = bool(isatty and isatty())

    def __call__(self, done: int, total: int, k: int) -> None:
        """Record that ``done`` of ``total`` fits are finished, the last one for ``k``."""
        filled = self.width * done // max(total, 1)
        bar = "#" * filled + "-" * (self.width - filled)
        seconds = time.perf_counter() - self.started
        line = f"{self.label} [{bar}] {done}/{total}  k={k}  {seconds:.1f} s"
        if self.live:
            self.stream.write("\r" + line + ("\n" if done >= total else ""))
            self.stream.flush()
        elif done >= total:
            self.stream.write(line + "\n")

"""The report's cold-cache compile step (tidyclust._warmup): it must compile what a report uses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tidyclust import _warmup

#: Run in a fresh interpreter, whose dispatchers hold only what it loads or compiles itself.
SCRIPT = """
import json, sys
from numba.core.registry import CPUDispatcher
from tidyclust import _hclust_kernel, _kmeans_kernels, _silhouette_kernel
from tidyclust import _warmup
from tidyclust.report import build_report

def signatures():
    return {f"{module.__name__}.{name}": sorted(map(str, obj.signatures))
            for module in (_hclust_kernel, _kmeans_kernels, _silhouette_kernel)
            for name, obj in vars(module).items() if isinstance(obj, CPUDispatcher)}

for _, task in _warmup.TASKS:
    task()
before = signatures()
build_report(sys.argv[1])  # the k-means report, with its gap statistic and methods compared
after = signatures()
print(json.dumps({
    "new": {name: sorted(set(sigs) - set(before.get(name, []))) for name, sigs in after.items()},
    "several": {name: sigs for name, sigs in after.items() if len(sigs) > 1},
}))
"""


def _fresh(code: str, *args: str, numba_cache: Path | None = None) -> Any:
    """Run ``code`` in a fresh interpreter (on an empty numba cache in ``numba_cache``, if given);
    the JSON it printed last."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(numba_cache)} if numba_cache is not None else None
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, env=env
    )
    return json.loads(out.stdout.splitlines()[-1])


#: The helper is forked: two cores and fork.
needs_fork = pytest.mark.skipif(
    (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"), reason="the helper needs fork and two cores"
)


def test_the_tasks_compile_every_kernel_signature_a_report_uses(songs_path: Path) -> None:
    got = _fresh(SCRIPT, str(songs_path))
    new = {name: sigs for name, sigs in got["new"].items() if sigs}
    assert new == {}, "kernel signatures a report compiles that no _warmup task compiles"
    # each signature is a compile of its own (0.1-3 s on a cold cache): a literal argument
    # (Literal[int](0) where int64 would do) or a second array layout makes a second one
    assert got["several"] == {}, "kernels a report compiles more than once"


def test_each_task_is_keyed_by_a_compiled_kernel() -> None:
    # a Python wrapper in TASKS has no numba cache: _cached would call it cached, its task never ran
    from numba.core.registry import CPUDispatcher

    assert all(isinstance(kernel, CPUDispatcher) for kernel, _ in _warmup.TASKS)


def test_warm_cache_forks_nothing() -> None:
    for _, task in _warmup.TASKS:  # compiled (and cached) here, if they were not already
        task()
    assert all(_warmup._cached(kernel) for kernel, _ in _warmup.TASKS)
    assert _warmup.compile_kernels() == 0


@needs_fork
def test_compile_kernels_joins_the_helper_compiling_forked(tmp_path: Path) -> None:
    code = """
import json
from tidyclust import _warmup
calls = []
with _warmup.compiling():
    helper = _warmup._helper
    n = _warmup.compile_kernels(meanwhile=lambda: calls.append(helper.process.is_alive()))
print(json.dumps({
    "forked": helper is not None, "tasks": n, "meanwhile": calls, "exitcode": helper.process.exitcode,
    "all_cached": all(_warmup._cached(kernel) for kernel, _ in _warmup.TASKS),
    "again": _warmup.compile_kernels(),
}))
"""
    got = _fresh(code, numba_cache=tmp_path / "numba-cache")
    assert got == {
        "forked": True,
        "tasks": len(_warmup.TASKS),  # every task, shared by the two processes
        "meanwhile": [True],  # ran once, here, while the helper was compiling
        "exitcode": 0,  # the helper ran out of tasks and ended
        "all_cached": True,
        "again": 0,  # warm now: nothing forked
    }


@needs_fork
def test_a_helper_nobody_joined_is_stopped(tmp_path: Path) -> None:
    # the command failed before its report compiled anything: the helper must not outlive it
    code = """
import json, signal
from tidyclust import _warmup
try:
    with _warmup.compiling():
        helper = _warmup._helper
        raise ValueError("a user mistake")
except ValueError:
    pass
print(json.dumps([helper.process.is_alive(), helper.process.exitcode == -signal.SIGTERM, _warmup._helper]))
"""
    assert _fresh(code, numba_cache=tmp_path / "numba-cache") == [False, True, None]


def test_the_report_modules_are_the_ones_a_report_imports(songs_path: Path, tmp_path: Path) -> None:
    # a name here that no report imports would be imported for nothing on every cold run
    code = """
import json, sys
from tidyclust.report import build_report, render_report
from tidyclust.report._compute import REPORT_MODULES
before = {name: name in sys.modules for name in REPORT_MODULES}
render_report(build_report(sys.argv[1]), sys.argv[2])
print(json.dumps([before, {name: name in sys.modules for name in REPORT_MODULES}]))
"""
    before, after = _fresh(code, str(songs_path), str(tmp_path / "r.html"))
    assert not any(before.values()), "imported with the report's own modules already: nothing to gain"
    assert all(after.values())


def test_a_report_module_that_is_gone_only_loses_the_head_start(monkeypatch: pytest.MonkeyPatch) -> None:
    # REPORT_MODULES names a private plotnine module: if a release renames it, the report must not fail
    from tidyclust.report import _compute

    monkeypatch.delitem(sys.modules, "colorsys", raising=False)
    monkeypatch.setattr(_compute, "REPORT_MODULES", ("tidyclust_no_such_module", "colorsys"))
    _compute._import_report_modules()  # no error
    assert "colorsys" in sys.modules  # and the names after it are still imported

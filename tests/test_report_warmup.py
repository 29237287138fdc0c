"""The report's cold-cache compile step (tidyclust.report._warmup): it must compile what a report uses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tidyclust.report import _warmup

#: Run in a fresh interpreter, whose dispatchers hold only what it loads or compiles itself.
SCRIPT = """
import json, sys
from numba.core.registry import CPUDispatcher
from tidyclust import _hclust_kernel, _kmeans_kernels, _silhouette_kernel
from tidyclust.report import _warmup, build_report

def signatures():
    return {f"{module.__name__}.{name}": sorted(map(str, obj.signatures))
            for module in (_hclust_kernel, _kmeans_kernels, _silhouette_kernel)
            for name, obj in vars(module).items() if isinstance(obj, CPUDispatcher)}

for _, task in _warmup.TASKS:
    task()
before = signatures()
build_report(sys.argv[1])  # the k-means report, with its gap statistic and methods compared
after = signatures()
print(json.dumps({name: sorted(set(sigs) - set(before.get(name, []))) for name, sigs in after.items()}))
"""


def test_the_tasks_compile_every_kernel_signature_a_report_uses(songs_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(songs_path)], capture_output=True, text=True, check=True
    )
    new = {name: sigs for name, sigs in json.loads(out.stdout.splitlines()[-1]).items() if sigs}
    assert new == {}, "kernel signatures a report compiles that no _warmup task compiles"


def test_each_task_is_keyed_by_a_compiled_kernel() -> None:
    # a Python wrapper in TASKS has no numba cache: _cached would call it cached, its task never ran
    from numba.core.registry import CPUDispatcher

    assert all(isinstance(kernel, CPUDispatcher) for kernel, _ in _warmup.TASKS)


def test_warm_cache_forks_nothing() -> None:
    for _, task in _warmup.TASKS:  # compiled (and cached) here, if they were not already
        task()
    assert all(_warmup._cached(kernel) for kernel, _ in _warmup.TASKS)
    assert _warmup.compile_kernels() == 0

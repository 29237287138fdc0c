"""Run the benchmark suite: ``python -m benchmarks.run [--quick] [--under-load] [--out PATH]``.

Each case runs in a fresh child process (see :mod:`benchmarks.harness` for the memory method);
this process only generates the data, spawns the children, judges the bars, prints the table and
writes the JSON file. ``--help`` lists every option.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

from benchmarks import datasets
from benchmarks.harness import cpu_burner, python_cmd, spawn
from benchmarks.summary import judge, table

LESSON = "lesson"
VERBS = ("filter_songs", "filter_steps", "count_by", "pivot_longer", "feature_summary")
FORMATS = ("parquet", "csv")
BIG_ROWS = 50_000  # from here on a case uses --repeats-big
LESSON_REPEAT_FACTOR = 5  # the lesson's cases run 5 x --repeats times
HUGE_ROWS = 1_000_000  # from here on a k-grid uses --repeats-huge
CHILD_TIMEOUT_S = 3600.0
REPO = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- options
def _size(text: str) -> int | str:
    """``lesson`` (or 286, its row count) or a row count such as ``100000`` or ``1e6``."""
    if text in {LESSON, "286"}:
        return LESSON
    return int(float(text))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line; ``--quick`` replaces the size defaults with the small ones."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes only (about 2 minutes)")
    p.add_argument(
        "--sections",
        nargs="+",
        default=["grid", "silhouette", "reshape", "report"],
        choices=["grid", "silhouette", "reshape", "report"],
        help="what to run (default: all)",
    )
    p.add_argument(
        "--sizes", nargs="+", type=_size, help="k-grid rows (default: lesson 10000 100000 1000000)"
    )
    p.add_argument("--silhouette-sizes", nargs="+", type=int, help="default: 5000 20000 50000")
    p.add_argument(
        "--reshape-rows", nargs="+", type=int, help="rows of the songs-like files (default: 1e6 1e7)"
    )
    p.add_argument(
        "--reshape-formats",
        nargs="+",
        choices=FORMATS,
        default=list(FORMATS),
        help="read the songs-like file as Parquet, CSV or both (default: both)",
    )
    p.add_argument("--verbs", nargs="+", choices=VERBS, default=list(VERBS), help="default: every verb")
    p.add_argument("--report-sizes", nargs="+", type=_size, help="default: lesson 1000000")
    p.add_argument("--repeats", type=int, help="timed runs of small cases (default: 5; --quick: 3)")
    p.add_argument("--repeats-big", type=int, default=3, help=f"from {BIG_ROWS:,} rows (default: 3)")
    p.add_argument(
        "--repeats-huge",
        type=int,
        default=1,
        help=f"k-grids from {HUGE_ROWS:,} rows, both sides (default: 1; one sklearn loop is ~1 min)",
    )
    p.add_argument("--seed", type=int, default=datasets.SEED, help="seed of the fits (data: 2056)")
    p.add_argument(
        "--under-load",
        action="store_true",
        help="also run the lesson grid while a CPU-burning process holds one core",
    )
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "latest.json")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown too")
    args = p.parse_args(argv)
    quick = args.quick
    args.repeats = args.repeats or (3 if quick else 5)
    args.sizes = args.sizes or ([LESSON, 10_000] if quick else [LESSON, 10_000, 100_000, 1_000_000])
    args.silhouette_sizes = args.silhouette_sizes or ([5_000, 20_000] if quick else [5_000, 20_000, 50_000])
    args.reshape_rows = args.reshape_rows or ([1_000_000] if quick else [1_000_000, 10_000_000])
    args.report_sizes = args.report_sizes or ([LESSON] if quick else [LESSON, 1_000_000])
    return args


def _repeats(args: argparse.Namespace, rows: int | str, *, grid: bool = False) -> int:
    if rows == LESSON:
        # 10-20 ms calls: over 5 repeats their median moved by a third between runs on a quiet machine
        return LESSON_REPEAT_FACTOR * args.repeats
    if int(rows) < BIG_ROWS:
        return args.repeats
    if grid and int(rows) >= HUGE_ROWS:
        return args.repeats_huge
    return args.repeats_big


# --------------------------------------------------------------------------- running children
def ensure_data(kind: str, n: int) -> Path:
    """Generate (once) the cached blobs or songs-like file in a child; return the songs-like path."""
    done = spawn(python_cmd("benchmarks.datasets", kind, n), timeout=CHILD_TIMEOUT_S)
    if done.returncode != 0:
        raise RuntimeError(f"generating {kind} {n}: {done.stderr_tail}")
    return datasets.songs_like_path(n) if kind == "songs" else datasets.blobs_paths(n)[0]


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one case in a fresh ``python -m benchmarks.child``; its result plus load and peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        load_before = os.getloadavg()[0]
        done = spawn(python_cmd("benchmarks.child", json.dumps(spec), out), timeout=CHILD_TIMEOUT_S)
        if done.returncode != 0 or not out.is_file():
            return {"error": f"exit {done.returncode}", "stderr": done.stderr_tail}
        result = json.loads(out.read_text(encoding="utf-8"))
    return {
        **result,
        "peak_rss_mb": done.peak_rss_mb,
        "load1_before": load_before,
        "load1_after": os.getloadavg()[0],
    }


def compare(section: str, label: str, ours: dict[str, Any], baseline: dict[str, Any], **extra: Any) -> dict:
    """Run both sides, ours first, and judge the comparison; print one progress line."""
    print(f"  {label}: ours ...", end="", flush=True)
    ours_result = run_child(ours)
    print(" baseline ...", end="", flush=True)
    base_result = run_child(baseline)
    print(" done", flush=True)
    return judge({"section": section, "label": label, "ours": ours_result, "baseline": base_result, **extra})


def grid_comparisons(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The k-grid k = 1..10, nstart = 25: kmeans_grid vs the scikit-learn loop, per size."""
    out = []
    for n in args.sizes:
        if n != LESSON:
            ensure_data("blobs", int(n))
        spec = {"case": "grid", "n": n, "repeats": _repeats(args, n, grid=True), "seed": args.seed}
        label = f"k-grid {'lesson (286)' if n == LESSON else f'{n:,}'}"
        out.append(
            compare("grid", label, {**spec, "side": "ours"}, {**spec, "side": "sklearn"}, lesson=n == LESSON)
        )
        if n == LESSON and args.under_load:
            with cpu_burner() as pid:
                out.append(
                    compare(
                        "grid",
                        label + " under load",
                        {**spec, "side": "ours"},
                        {**spec, "side": "sklearn"},
                        lesson=True,
                        burner_pid=pid,
                    )
                )
    return out


def silhouette_comparisons(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Exact mean silhouette: tidyclust.metrics.mean_silhouette vs sklearn's silhouette_score."""
    out = []
    for n in args.silhouette_sizes:
        ensure_data("blobs", n)
        spec = {"case": "silhouette", "n": n, "repeats": _repeats(args, n)}
        out.append(
            compare("silhouette", f"silhouette {n:,}", {**spec, "side": "ours"}, {**spec, "side": "sklearn"})
        )
    return out


def ensure_csv(parquet: Path) -> Path:
    """The CSV twin of a songs-like Parquet file, written (once) by a child."""
    done = spawn(python_cmd("benchmarks.child", "csv", parquet), timeout=CHILD_TIMEOUT_S)
    if done.returncode != 0:
        raise RuntimeError(f"writing the CSV of {parquet}: {done.stderr_tail}")
    return parquet.with_suffix(".csv")


def reshape_comparisons(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Each verb via tidy.* and sql.* on scan_songs(path) of a Parquet and a CSV file, against pandas."""
    warm = ensure_data("songs", 10_000)  # the warm-up file
    out = []
    for n in args.reshape_rows:
        print(f"  generating / reusing the {n:,}-row songs-like files ...", flush=True)
        parquet = ensure_data("songs", n)
        for fmt in args.reshape_formats:
            path = parquet if fmt == "parquet" else ensure_csv(parquet)
            if fmt == "csv":
                ensure_csv(warm)
            size = f"{path.stat().st_size / 2**20:,.0f} MiB"
            for verb in args.verbs:
                spec = {"case": "reshape", "verb": verb, "path": str(path), "repeats": _repeats(args, n)}
                base = run_child({**spec, "side": "pandas", "impl": "pandas"})
                for impl in ("tidy", "sql"):
                    label = f"{impl}.{verb} {fmt} {n:,} ({size})"
                    print(f"  {label} ...", flush=True)
                    ours = run_child({**spec, "side": impl, "impl": impl})
                    c = {"section": "reshape", "label": label, "ours": ours, "baseline": base}
                    out.append(judge(c))
    return out


# --------------------------------------------------------------------------- the report, end to end
def _tidyclust_cli() -> list[str]:
    script = Path(sys.executable).parent / "tidyclust"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "tidyclust.cli"]


def run_report(data: Path, repeats: int, out_dir: Path, *, cold: bool = False) -> dict[str, Any]:
    """``tidyclust report --data DATA`` in a subprocess, ``repeats`` times: wall time and peak RSS.

    ``cold``: each run with an empty numba cache of its own (``NUMBA_CACHE_DIR``), as the first
    report after installing, when every kernel compiles."""
    cmd = [
        *_tidyclust_cli(),
        "report",
        "--data",
        str(data),
        "--out",
        str(out_dir / f"report-{data.stem}.html"),
    ]
    load_before = os.getloadavg()[0]
    runs = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="tidyclust-numba-") as cache:
            env = {**os.environ, "NUMBA_CACHE_DIR": cache} if cold else None
            runs.append(spawn(cmd, timeout=CHILD_TIMEOUT_S, env=env))
    failed = [r for r in runs if r.returncode != 0]
    if failed:
        return {"error": f"exit {failed[0].returncode}", "stderr": failed[0].stderr_tail}
    times = [r.wall_s for r in runs]
    return {
        "times_s": times,
        "median_s": statistics.median(times),
        "peak_rss_mb": max(r.peak_rss_mb for r in runs),
        "load1_before": load_before,
        "load1_after": os.getloadavg()[0],
    }


def report_comparisons(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The CLI end to end; the first (warm-up) run is on the lesson data and is reported apart. The
    lesson's report is also run on a cold numba cache (the first report after installing)."""
    out_dir = datasets.cache_dir() / "reports"
    out_dir.mkdir(exist_ok=True)
    lesson = datasets.lesson_path()
    warm = run_report(lesson, 1, out_dir)
    out = []
    for n in args.report_sizes:
        data = lesson if n == LESSON else ensure_data("songs", int(n))
        for cold in (False, True) if n == LESSON else (False,):
            label = f"report {'lesson (286)' if n == LESSON else f'{n:,} rows'}"
            label += ", cold numba cache" if cold else ""
            print(f"  {label} ...", flush=True)
            ours = run_report(data, _repeats(args, n) if not cold else args.repeats, out_dir, cold=cold)
            ours["first_call_s"] = warm.get("median_s")
            comparison = {
                "section": "report",
                "label": label,
                "ours": ours,
                "baseline": None,
                "lesson": n == LESSON,
            }
            out.append(judge(comparison))
    return out


# --------------------------------------------------------------------------- machine and output
def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine_info() -> dict[str, Any]:
    """CPU count, platform, Python and library versions, the repository commit."""
    libs = ("tidyclust", "numpy", "numba", "polars", "duckdb", "pandas", "pyarrow", "scikit-learn")
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "versions": {name: version(name) for name in libs},
        "git_commit": _git("rev-parse", "HEAD"),
        # the suite measures the working tree: uncommitted changes to the package are listed here
        "git_dirty_package_files": _git("status", "--porcelain", "--", "tidyclust", "sql").splitlines(),
    }


def markdown(comparisons: list[dict[str, Any]]) -> str:
    """The plain table as a Markdown table."""
    lines = table(comparisons).splitlines()
    cells = [[c.strip() for c in line.split(" | ")] for i, line in enumerate(lines) if i != 1]
    rows = ["| " + " | ".join(r) + " |" for r in cells]
    rows.insert(1, "|" + "---|" * len(cells[0]))
    return "\n".join(rows)


SECTIONS = {
    "grid": grid_comparisons,
    "silhouette": silhouette_comparisons,
    "reshape": reshape_comparisons,
    "report": report_comparisons,
}


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sections, print the table, write the JSON file; exit 1 if a bar fails.

    The JSON file is rewritten after every section, so an interrupted run keeps what it measured.
    """
    args = parse_args(argv)
    load_before = os.getloadavg()
    print(f"tidyclust benchmarks ({'quick' if args.quick else 'full'}); load average {load_before}")
    result: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "argv": sys.argv[1:] if argv is None else argv,
        "machine": machine_info(),
        "load_average_before": load_before,
        "comparisons": [],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for name in args.sections:
        print(f"{name}:", flush=True)
        result["comparisons"] += SECTIONS[name](args)
        result["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        result["load_average_after"] = os.getloadavg()
        args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    comparisons = result["comparisons"]
    print()
    print(table(comparisons))
    if args.markdown:
        print()
        print(markdown(comparisons))
    print(f"\nload average before {load_before}, after {result['load_average_after']}")
    print(f"results written to {args.out}")
    return 0 if all(b["passed"] for c in comparisons for b in c["bars"]) else 1


if __name__ == "__main__":
    sys.exit(main())

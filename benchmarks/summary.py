"""Ratios, the bars from the performance issue, and the printed table.

A comparison is a dict with ``section``, ``label``, ``ours``, ``baseline`` (the child results) and,
once :func:`judge` has run, ``metrics`` and ``bars`` (each bar: name, limit, value, passed).
"""

from __future__ import annotations

import statistics
from typing import Any

__all__ = ["judge", "table"]

# The bars of the issue "Performance: a benchmark suite".
LESSON_SPEEDUP = 10.0
GRID_SPEEDUP = 5.0
GRID_REL_TOL = 1e-4
LESSON_REL_TOL = 1e-12  # "at least as good": no worse than floating-point noise
GRID_MEMORY_FACTOR = 3.0
SILHOUETTE_SPEEDUP = 4.0
SILHOUETTE_TOL = 1e-9
SILHOUETTE_MEMORY_MB = 1024.0
SILHOUETTE_MEMORY_FROM_ROWS = 50_000
REPORT_LESSON_S = 10.0
REPORT_BIG_S = 60.0
REPORT_BIG_MB = 4096.0


def _bar(name: str, value: float, limit: float, *, at_least: bool) -> dict[str, Any]:
    passed = value >= limit if at_least else value <= limit
    return {
        "name": name,
        "value": value,
        "limit": limit,
        "rule": ">=" if at_least else "<=",
        "passed": passed,
    }


def _grid(c: dict[str, Any]) -> None:
    ours, base = c["ours"], c["baseline"]
    fit_only = statistics.median(ours["fit_only_s"])
    rel = [o / b - 1.0 for o, b in zip(ours["tot_withinss"], base["tot_withinss"], strict=True)]
    worst = max(rel)
    c["metrics"] = {
        "speedup_full_grid": base["median_s"] / ours["median_s"],
        "speedup_fits_only": base["median_s"] / fit_only,
        "ours_fits_only_s": fit_only,
        "rel_diff_per_k": rel,
        "worst_rel_diff": worst,
        "worst_k": rel.index(worst) + 1,
        "memory_factor": ours["peak_delta_mb"] / base["data_mb"],
    }
    m = c["metrics"]
    if c["lesson"]:
        c["bars"] = [
            _bar("speed-up (full grid)", m["speedup_full_grid"], LESSON_SPEEDUP, at_least=True),
            _bar("worst tot_withinss rel. diff", worst, LESSON_REL_TOL, at_least=False),
        ]
    else:
        c["bars"] = [
            _bar("speed-up (full grid)", m["speedup_full_grid"], GRID_SPEEDUP, at_least=True),
            _bar("worst tot_withinss rel. diff", worst, GRID_REL_TOL, at_least=False),
            _bar("peak memory / data size", m["memory_factor"], GRID_MEMORY_FACTOR, at_least=False),
        ]


def _silhouette(c: dict[str, Any]) -> None:
    ours, base = c["ours"], c["baseline"]
    c["metrics"] = {
        "speedup": base["median_s"] / ours["median_s"],
        "abs_diff": abs(ours["value"] - base["value"]),
    }
    c["bars"] = [
        _bar("speed-up", c["metrics"]["speedup"], SILHOUETTE_SPEEDUP, at_least=True),
        _bar("|ours - sklearn|", c["metrics"]["abs_diff"], SILHOUETTE_TOL, at_least=False),
    ]
    if ours["rows"] >= SILHOUETTE_MEMORY_FROM_ROWS:
        c["bars"].append(
            _bar("peak memory (MiB)", ours["peak_delta_mb"], SILHOUETTE_MEMORY_MB, at_least=False)
        )


def _reshape(c: dict[str, Any]) -> None:
    c["metrics"] = {"speedup": c["baseline"]["median_s"] / c["ours"]["median_s"]}
    c["bars"] = []  # the issue sets no bar here: ratios only


def _report(c: dict[str, Any]) -> None:
    ours = c["ours"]
    c["metrics"] = {}
    if c["lesson"]:
        c["bars"] = [_bar("wall time (s)", ours["median_s"], REPORT_LESSON_S, at_least=False)]
    else:
        c["bars"] = [
            _bar("wall time (s)", ours["median_s"], REPORT_BIG_S, at_least=False),
            _bar("peak RSS (MiB)", ours["peak_rss_mb"], REPORT_BIG_MB, at_least=False),
        ]


def judge(c: dict[str, Any]) -> dict[str, Any]:
    """Add ``metrics`` and ``bars`` to a comparison (nothing if a side failed to run)."""
    if "error" in c.get("ours", {}) or "error" in (c.get("baseline") or {}):
        c["metrics"], c["bars"] = {}, [{"name": "ran", "passed": False, "value": None, "limit": None}]
        return c
    {"grid": _grid, "silhouette": _silhouette, "reshape": _reshape, "report": _report}[c["section"]](c)
    return c


# --------------------------------------------------------------------------- the table
HEADER = ("case", "ours", "baseline", "speed-up", "quality", "ours mem", "verdict")


def _s(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.3g} s" if x < 100 else f"{x:.0f} s"


def _row(c: dict[str, Any]) -> tuple[str, ...]:
    ours, base, m = c["ours"], c.get("baseline"), c["metrics"]
    if "error" in ours or "error" in (base or {}):
        return (c["label"], "error", "", "", "", "", "FAIL (did not run; see the JSON's stderr)")
    speedup, quality, mem = "", "", f"+{ours.get('peak_delta_mb', 0):.0f} MiB"
    if c["section"] == "grid":
        speedup = f"{m['speedup_full_grid']:.1f}x (fits {m['speedup_fits_only']:.1f}x)"
        quality = f"worst {m['worst_rel_diff']:+.1e} (k={m['worst_k']})"
        mem += f" ({m['memory_factor']:.1f}x data)"
        if "traced_peak_mb" in ours:
            mem += f"; traced {ours['traced_peak_mb'] / base['data_mb']:.1f}x"
    elif c["section"] == "silhouette":
        speedup, quality = f"{m['speedup']:.1f}x", f"|diff| {m['abs_diff']:.1e}"
        mem += f" (sk +{base['peak_delta_mb']:.0f})"
    elif c["section"] == "reshape":
        speedup = f"{m['speedup']:.1f}x"
        mem += f" (pd +{base['peak_delta_mb']:.0f})"
    else:
        mem = f"{ours['peak_rss_mb']:.0f} MiB RSS"
    verdict = "-" if not c["bars"] else ("PASS" if all(b["passed"] for b in c["bars"]) else "FAIL")
    failed = [b["name"] for b in c["bars"] if not b["passed"]]
    if failed:
        verdict += " (" + "; ".join(failed) + ")"
    return (
        c["label"],
        _s(ours["median_s"]),
        _s(base["median_s"]) if base else "-",
        speedup,
        quality,
        mem,
        verdict,
    )


def table(comparisons: list[dict[str, Any]]) -> str:
    """A plain-text table, one line per comparison, medians of the repeats."""
    rows = [HEADER, *(_row(c) for c in comparisons)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)

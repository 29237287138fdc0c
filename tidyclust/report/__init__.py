"""The self-contained HTML report: :func:`build_report` computes, :func:`render_report` writes.

>>> from tidyclust.report import build_report, render_report
>>> result = build_report("../shared/data/nigerian-songs.csv")  # doctest: +SKIP
>>> render_report(result, "reports/tidyclust-report.html")  # doctest: +SKIP

The page has every figure inline (PNG ``data:`` URIs), the interactive scatter with plotly.js inline,
and every table rendered from a Polars frame with all text escaped: it opens offline, from anywhere.
"""

from __future__ import annotations

from tidyclust.report._compute import (
    Analysis,
    DataSource,
    ReportOptions,
    ReportResult,
    build_report,
    check_output,
)
from tidyclust.report._render import render_html, render_report, templates_dir

__all__ = [
    "Analysis",
    "DataSource",
    "ReportOptions",
    "ReportResult",
    "build_report",
    "check_output",
    "render_html",
    "render_report",
    "templates_dir",
]

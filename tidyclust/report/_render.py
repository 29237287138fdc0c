"""Render a :class:`ReportResult` as one self-contained HTML file (Jinja2, autoescaped)."""

from __future__ import annotations

import math
import os
import time
from importlib import resources
from pathlib import Path

import jinja2
import polars as pl
from markupsafe import Markup

from tidyclust import interactive
from tidyclust.model import search_description
from tidyclust.report._compute import Analysis, ReportResult, check_output
from tidyclust.report._figures import comparison_figures, draw, main_figures
from tidyclust.report._tables import Table, table

__all__ = ["render_html", "render_report", "templates_dir"]

TEMPLATE = "report.html.j2"
AUGMENT_ROWS = 10


def templates_dir() -> Path:
    """The templates folder: inside the installed package, else the checkout's ``reports/templates``."""
    packaged = resources.files("tidyclust") / "templates"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "reports" / "templates"


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=True,  # every value from the data is text, never markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def _silhouette_text(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.3f}"


def _sizes_text(fit: object) -> str:
    sizes = " / ".join(str(int(s)) for s in fit.sizes)
    noise = getattr(fit, "n_noise", None)
    return sizes if noise is None else f"{sizes or 'none'} (+ {noise} noise)"


def _side_row(side: Analysis) -> dict[str, str]:
    fit, agree = side.fit, side.agreement
    between = getattr(fit, "betweenss", None)
    return {
        "suggested k": str(side.suggested_k),
        "mean silhouette width": _silhouette_text(side.mean_silhouette),
        "cluster sizes": _sizes_text(fit),
        "between SS / total SS": _pct(between, fit.totss) if between is not None else "–",
        "matched to genre": f"{agree.best_correct:,} of {agree.n:,} ({_pct(agree.best_correct, agree.n)})",
        "adjusted Rand index": f"{agree.ari:.3f}",
    }


def _comparison(result: ReportResult) -> Table:
    """The challenge in one table: raw against standardised features, at the same k."""
    raw, std = (result.main, result.other) if not result.main.scale else (result.other, result.main)
    left, right = _side_row(raw), _side_row(std)
    frame = pl.DataFrame(
        {
            "measure": list(left),
            "raw features": list(left.values()),
            "standardised features": list(right.values()),
        }
    )
    note = (
        f"The {_scaling(result.other)} side was run {result.other.rows_note}."
        if result.other.rows_note
        else ""
    )
    found = f"{result.options.method}, each finding its own k"
    at = f"both at k = {result.k}" if result.main.grid is not None else found
    return table(frame, "comparison", f"Raw against standardised features, {at}", note=note)


def _scaling(side: Analysis) -> str:
    return "standardised features" if side.scale else "raw features"


def _tables(result: ReportResult) -> dict[str, Table]:
    if result.options.method != "kmeans":
        from tidyclust.report._method_tables import method_tables

        return method_tables(result)
    main, opts = result.main, result.options
    show = [c for c in ("name", "artist", "artist_top_genre") if c in result.data.columns]
    augmented = main.fit.augment(result.data).select(*show, *opts.columns, ".cluster")
    grid = main.grid.frame.drop("totss", "seconds")
    raw, std = (result.main, result.other) if not result.main.scale else (result.other, result.main)
    tables = [
        table(result.steps, "filter-steps", "Rows kept by each filter step"),
        table(result.genre_counts, "genre-counts", "Songs per genre (kept rows)"),
        table(
            result.feature_summary,
            "feature-summary",
            "Feature summary (R's type-7 quartiles; outliers beyond 1.5 × IQR)",
        ),
        table(grid, "k-grid", f"The k-grid: one k-means fit per k (nstart = {opts.nstart})"),
        table(main.suggestions, "suggest-k", "What each rule suggests"),
        table(result.gap, "gap-table", "Gap statistic (cluster::clusGap's Tab)"),
        table(main.fit.tidy(), "tidy", "tidy(kclust): one row per cluster, centres in the data's units"),
        table(main.fit.glance(), "glance", "glance(kclust): one row for the model"),
        table(
            augmented.head(AUGMENT_ROWS), "augment", f"augment(kclust, df): the first {AUGMENT_ROWS} songs"
        ),
        table(main.agreement.wide(), "contingency", "Songs per cluster and genre"),
        table(
            main.agreement.matching, "matching", "Best one-to-one matching of clusters to genres (Hungarian)"
        ),
        table(main.agreement.glance(), "agreement", "Agreement with the genres"),
        _comparison(result),
        table(raw.fit.tidy(), "tidy-raw", "Centres, raw features"),
        table(std.fit.tidy(), "tidy-scaled", "Centres, standardised features (shown in the data's units)"),
    ]
    if main.silhouette_summary is not None:
        tables.append(table(main.silhouette_summary, "silhouette-summary", "Silhouette width per cluster"))
    tables.append(methods_table(result))
    return {t.id: t for t in tables}


def methods_table(result: ReportResult) -> Table:
    """The "Methods compared" table (tidyclust.compare_methods on the report's rows)."""
    k = result.k if result.main.grid is not None else 3
    note = (
        "accuracy: share of songs in the cluster matched to their genre (best one-to-one matching; noise "
        f"counts as wrong). k = {k} for kmeans, hclust and gmm; dbscan and hdbscan find their own k."
    )
    # Short headers, so the ten columns fit the page's width without scrolling.
    shown = result.compare.rename({"matched_accuracy": "accuracy", "n_noise": "noise"}, strict=False)
    return table(short_sizes(shown), "methods", "Methods compared on the same songs", note=note)


#: Cluster sizes shown per method: a density method can find hundreds of clusters (186 on a
#: million songs), whose unbroken "33/36/70/..." would run out of the table.
SHOWN_SIZES = 8


def short_sizes(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its ``sizes`` ("65/110/111") cut to the first SHOWN_SIZES and a count.

    Examples
    --------
    >>> short_sizes(pl.DataFrame({"sizes": ["65/110/111", "/".join(["5"] * 12)]}))["sizes"].to_list()
    ['65/110/111', '5/5/5/5/5/5/5/5 … (12 clusters)']
    """
    parts = pl.col("sizes").str.split("/")
    head = parts.list.head(SHOWN_SIZES).list.join("/")
    more = pl.format("{} … ({} clusters)", head, parts.list.len())
    shown = pl.when(parts.list.len() > SHOWN_SIZES).then(more).otherwise(pl.col("sizes"))
    return frame.with_columns(shown.alias("sizes"))


def _key_numbers(result: ReportResult) -> list[tuple[str, str, str]]:
    main = result.main
    agree = main.agreement
    k_note = "given with --k" if result.k_given else "suggested by most rules"
    if main.grid is None:
        k_note = f"found by {result.options.method}, {main.fit.n_noise} songs noise"
    return [
        ("songs", f"{result.data.height:,}", f"of {result.n_read:,} read, after the filter"),
        ("clusters", str(result.k), k_note),
        ("mean silhouette", _silhouette_text(main.mean_silhouette), "−1 to 1; higher is better separated"),
        (
            "matched to genre",
            f"{agree.best_correct:,} of {agree.n:,}",
            f"{_pct(agree.best_correct, agree.n)}, ARI {agree.ari:.3f}",
        ),
    ]


def _reproducibility(result: ReportResult, seconds_drawing: float) -> dict[str, object]:
    opts = result.options
    computing = sum(result.timings.values())
    return {
        "versions": result.versions,
        "options": {
            "columns": ", ".join(opts.columns),
            "genres": ", ".join(opts.genres),
            "popularity rule": "popularity != 0"
            if opts.min_popularity is None
            else f"popularity >= {opts.min_popularity}",
            "k": f"{result.k} ({'given' if result.k_given else 'suggested'})",
            "k-grid": f"1 to {opts.kmax}",
            "nstart": str(opts.nstart),
            "seed": str(opts.seed),
            "scale": "TRUE (standardised)" if opts.scale else "FALSE (raw, as the lesson)",
            "algorithm": opts.algorithm,
            "k-means starts": search_description(result.main.data.height, opts.sample_size),
            "gap statistic": result.gap_note,
            "silhouette": result.main.silhouette_note,
            **_method_options(result),
        },
        "source": result.source,
        "timings": {**result.timings, "figures and HTML": seconds_drawing},
        "total": computing + seconds_drawing,
        "created": result.created,
    }


def _method_options(result: ReportResult) -> dict[str, str]:
    """The footer's options of a method other than k-means (none for the k-means report)."""
    opts, main = result.options, result.main
    if opts.method == "kmeans":
        return {}
    out = {"method": opts.method}
    if opts.method == "hclust":
        out["linkage"] = opts.linkage
    elif opts.method == "gmm":
        out["covariance"] = opts.covariance
    else:
        settings = main.extras["settings"]
        out |= {name: str(value) for name, value in main.extras["options"].items()}
        if opts.method == "dbscan":
            out["eps"] = f"{settings['eps']:.4g} ({settings['eps_rule']})"
    return out


def render_html(result: ReportResult) -> str:
    """The report as one HTML string: figures inline, plotly.js inline, nothing fetched from a network."""
    t0 = time.perf_counter()

    def rest_of_page() -> dict[str, object]:  # while the first figures are drawn
        fig = interactive.cluster_scatter_figure(
            result.main.fit.augment(result.data), seed=result.options.seed
        )
        return {
            "method": result.options.method,
            "r": result,
            "main": result.main,
            "other": result.other,
            "tables": _tables(result),
            "key_numbers": _key_numbers(result),
            "interactive": Markup(interactive.cluster_scatter_html(fig)),  # plotly escapes <, > and /
            "interactive_cap": interactive.DEFAULT_MAX_POINTS,
            "css": Markup((templates_dir() / "report.css").read_text(encoding="utf-8")),
            "template": _environment().get_template(TEMPLATE),
        }

    figures, context = draw({**main_figures(result), **comparison_figures(result)}, rest_of_page)
    context["figures"] = figures
    template = context.pop("template")
    context["repro"] = _reproducibility(result, time.perf_counter() - t0)
    return template.render(context)


def render_report(result: ReportResult, path: str | os.PathLike[str]) -> Path:
    """Write the report for ``result`` to ``path`` (its folder is created) and return the path.

    Parameters
    ----------
    result : ReportResult
        From :func:`tidyclust.report.build_report`.
    path : path
        The HTML file to write.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> result = build_report("../shared/data/nigerian-songs.csv")  # doctest: +SKIP
    >>> render_report(result, "reports/tidyclust-report.html")  # doctest: +SKIP
    PosixPath('reports/tidyclust-report.html')
    """
    out = check_output(path)
    page = render_html(result)
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return out

"""The report's tables for a method other than k-means (the k-means report's are in ``_render``)."""

from __future__ import annotations

import polars as pl

from tidyclust.report._compute import ReportResult
from tidyclust.report._render import AUGMENT_ROWS, _comparison, methods_table
from tidyclust.report._tables import Table, table

__all__ = ["method_tables"]


def _choose_k_tables(result: ReportResult) -> list[Table]:
    main, method = result.main, result.options.method
    if main.grid is None:
        settings, fit = main.extras["settings"], main.fit
        row = {
            "method": method, **{k: str(v) for k, v in main.extras["options"].items()},
            "eps rule": settings["eps_rule"] if method == "dbscan" else "–",
            "clusters found": str(fit.k), "noise songs": str(fit.n_noise),
        }  # fmt: skip
        return [
            table(pl.DataFrame([row]), "density-settings", f"{method}: the options used and what it found")
        ]
    grid = main.grid.frame.drop("totss", "seconds", "method")
    what = (
        "one tree, cut at each k"
        if method == "hclust"
        else f"one mixture per k (nstart = {result.options.nstart})"
    )
    return [
        table(grid, "k-grid", f"The k-grid: {what}"),
        table(main.suggestions, "suggest-k", "What each rule suggests"),
    ]


def _extra_tables(result: ReportResult) -> list[Table]:
    main = result.main
    out = []
    if "probabilities" in main.extras:
        out.append(
            table(
                main.extras["probabilities"],
                "probabilities",
                "Membership probabilities: per component, the most probable component's probability "
                "(uncertain: below 0.9)",
            )
        )
    return out


def method_tables(result: ReportResult) -> dict[str, Table]:
    """Every table of a hclust, gmm, dbscan or hdbscan report, by id."""
    main, opts = result.main, result.options
    name = f"{opts.method} fit"
    show = [c for c in ("name", "artist", "artist_top_genre") if c in result.data.columns]
    augmented = main.fit.augment(result.data).select(*show, *opts.columns, pl.col("^\\..*$"))
    raw, std = (result.main, result.other) if not result.main.scale else (result.other, result.main)
    tables = [
        table(result.steps, "filter-steps", "Rows kept by each filter step"),
        table(result.genre_counts, "genre-counts", "Songs per genre (kept rows)"),
        table(
            result.feature_summary,
            "feature-summary",
            "Feature summary (R's type-7 quartiles; outliers beyond 1.5 × IQR)",
        ),
        *_choose_k_tables(result),
        table(main.fit.tidy(), "tidy", f"tidy({name}): one row per cluster, means in the data's units"),
        table(main.fit.glance(), "glance", f"glance({name}): one row for the model"),
        table(
            augmented.head(AUGMENT_ROWS), "augment", f"augment({name}, df): the first {AUGMENT_ROWS} songs"
        ),
        *_extra_tables(result),
        table(main.agreement.glance(), "agreement", "Agreement with the genres (noise counts as wrong)"),
        _comparison(result),
        table(raw.fit.tidy(), "tidy-raw", "Clusters, raw features"),
        table(std.fit.tidy(), "tidy-scaled", "Clusters, standardised features (shown in the data's units)"),
        methods_table(result),
    ]
    if main.agreement.table.height:
        tables.append(table(main.agreement.wide(), "contingency", "Songs per cluster and genre"))
        tables.append(
            table(
                main.agreement.matching,
                "matching",
                "Best one-to-one matching of clusters to genres (Hungarian)",
            )
        )
    if main.silhouette_summary is not None:
        tables.append(table(main.silhouette_summary, "silhouette-summary", "Silhouette width per cluster"))
    return {t.id: t for t in tables}

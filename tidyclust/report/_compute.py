"""Everything the report shows, computed once: :func:`build_report` returns a :class:`ReportResult`."""

from __future__ import annotations

import contextlib
import importlib
import os
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from tidyclust import data as data_mod
from tidyclust import metrics, tidy
from tidyclust._threads import threads_for
from tidyclust._validate import check_genres, check_int, check_min_popularity, check_model_columns
from tidyclust._warmup import compile_kernels
from tidyclust.agreement import Agreement
from tidyclust.errors import EmptyDataError, ParameterError
from tidyclust.model import (
    ALGORITHMS,
    Algorithm,
    KMeansConvergenceWarning,
    KMeansFit,
    KMeansGrid,
    kmeans,
    kmeans_grid,
)
from tidyclust.report._progress import ProgressBar

__all__ = ["Analysis", "DataSource", "ReportOptions", "ReportResult", "build_report"]

#: Exact per-row silhouettes up to this many rows; beyond, a sampled estimate of the mean.
SILHOUETTE_EXACT_MAX = 20_000
#: The gap statistic's reference sets are drawn for at most this many rows (a seeded sample beyond).
GAP_MAX_ROWS = 1_000
#: The gap statistic's reference sets are clustered in this many processes at most (one per core).
GAP_WORKERS = 2
#: Above this many rows the challenge (the analysis at the other scaling) runs on a seeded sample
#: of this many rows. (The k-means search itself is :func:`tidyclust.kmeans`'s ``"auto"``.)
LARGE_ROWS = 50_000
LARGE_SAMPLE = 20_000
#: Below this many rows the k-means kernels run on one thread: their parallel start-up costs more
#: than it saves on small data, many times more on a busy machine.
VERSIONED = (
    "tidyclust",
    "polars",
    "duckdb",
    "scikit-learn",
    "numpy",
    "numba",
    "plotnine",
    "plotly",
    "jinja2",
)


NO_GAP = pl.DataFrame(schema={"k": pl.Int32, "logW": pl.Float64, "E_logW": pl.Float64,
                              "gap": pl.Float64, "SE_sim": pl.Float64})  # fmt: skip


@dataclass(frozen=True)
class ReportOptions:
    """The options the report was built with (echoed in its footer)."""

    columns: tuple[str, ...]
    genres: tuple[str, ...]
    min_popularity: int | None
    k: int | None
    kmax: int
    nstart: int
    seed: int
    scale: bool
    algorithm: str
    gap_B: int  # noqa: N815 (clusGap's B)
    sample_size: int | Literal["auto"] | None = "auto"
    method: str = "kmeans"
    linkage: str = "ward.D2"
    covariance: str = "full"
    eps: float | None = None
    min_samples: int | None = None
    min_cluster_size: int | None = None


@dataclass(frozen=True)
class DataSource:
    """Where the songs came from: what the user named, the local file read, and its sha256."""

    label: str
    path: str | None
    sha256: str | None


@dataclass(frozen=True, eq=False)
class Analysis:
    """One run of the lesson's analysis (the k-grid, the final fit and how good it is) at one scaling.

    ``data`` holds the rows it was run on (every clustered row, or for the comparison side of big data
    a seeded sample, which ``rows_note`` describes). For the density methods (no k) ``grid`` and
    ``suggestions`` are ``None``; ``extras`` holds what only one method shows (see
    :mod:`tidyclust.report._methods`).
    """

    scale: bool
    data: pl.DataFrame
    rows_note: str
    grid: KMeansGrid | Any | None
    suggestions: pl.DataFrame | None
    suggested_k: int
    fit: KMeansFit | Any
    silhouette: pl.DataFrame | None
    silhouette_summary: pl.DataFrame | None
    mean_silhouette: float
    silhouette_note: str
    agreement: Agreement
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class ReportResult:
    """Everything :func:`tidyclust.report.render_report` draws; see :func:`build_report`."""

    options: ReportOptions
    source: DataSource
    n_read: int
    steps: pl.DataFrame
    genre_counts: pl.DataFrame
    feature_summary: pl.DataFrame
    data: pl.DataFrame
    n_missing: int
    gap: pl.DataFrame
    gap_note: str
    main: Analysis
    other: Analysis
    k: int
    k_given: bool
    compare: pl.DataFrame | None = None
    timings: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    created: str = ""


#: What a report imports on first use: scikit-learn's estimators and metrics (agreement with the
#: genres, the methods compared), matplotlib's pyplot and plotnine's layout engine (the first figure
#: drawn). On a cold numba cache they are imported while the compile helper works.
REPORT_MODULES = (
    "sklearn.cluster",
    "sklearn.metrics",
    "sklearn.mixture",
    "sklearn.neighbors",
    "matplotlib.pyplot",
    "plotnine._mpl.layout_manager",
)


def _import_report_modules() -> None:
    for name in REPORT_MODULES:
        # only a head start: a module a library renamed is imported later under its new name
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def _versions() -> dict[str, str]:
    out = {}
    for name in VERSIONED:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _source(data: object, source: str | os.PathLike[str] | None) -> tuple[pl.DataFrame, DataSource]:
    """Read the songs (unless given a frame) and describe where they came from."""
    if isinstance(data, pl.DataFrame):
        if source is None:
            return data, DataSource("a polars DataFrame passed to build_report", None, None)
        path = data_mod.resolve_source(source)
        return data, DataSource(os.fspath(source), str(path.resolve()), data_mod.sha256_file(path))
    source = data if source is None else source
    label = (
        os.fspath(source) if source is not None else os.environ.get("TIDYCLUST_DATA") or data_mod.LESSON_URL
    )
    path = data_mod.resolve_source(source)
    if not os.access(path, os.R_OK):
        raise EmptyDataError(
            f"source: {str(path)!r} cannot be read (permission denied); check its permissions"
        )
    songs = data_mod.read_songs(path)
    return songs, DataSource(label, str(path.resolve()), data_mod.sha256_file(path))


def _options(
    columns, genres, min_popularity, k, kmax, nstart, seed, scale, algorithm, gap_B
) -> ReportOptions:
    if algorithm not in ALGORITHMS:
        raise ParameterError(
            f"algorithm: {algorithm!r} is not a k-means algorithm; choose one of {', '.join(ALGORITHMS)}"
        )
    kmax = check_int(kmax, "kmax", minimum=3, hint="; the elbow needs at least k = 1, 2, 3")
    if k is not None:
        k = check_int(k, "k", minimum=2, hint="; k is the number of clusters (one cluster has no silhouette)")
        if k > kmax:
            raise ParameterError(f"k: {k} is above kmax ({kmax}); raise kmax to at least {k} or lower k")
    if isinstance(columns, str):
        columns = [columns]
    return ReportOptions(
        columns=tuple(columns),
        genres=tuple(check_genres(genres)),
        min_popularity=check_min_popularity(min_popularity),
        k=k,
        kmax=kmax,
        nstart=check_int(nstart, "nstart", minimum=1),
        seed=check_int(seed, "seed", minimum=0),
        scale=bool(scale),
        algorithm=algorithm,
        gap_B=check_int(gap_B, "gap_B", minimum=2),
    )


def _consensus(suggestions: pl.DataFrame) -> int:
    """The k most rules pick (``suggest_k``'s ``agree`` rows); 2 if no rule could decide."""
    agreed = suggestions.filter(pl.col("agree") & pl.col("k").is_not_null())
    return int(agreed["k"][0]) if agreed.height else 2


def _silhouette(fit: KMeansFit, data: pl.DataFrame, seed: int):
    """Exact per-row widths (sorted as fviz_silhouette) or, for big data, a sampled mean estimate."""
    if data.height <= SILHOUETTE_EXACT_MAX:
        sil = metrics.silhouette(fit, data, sort=True)
        note = f"exact, all {data.height:,} rows"
        return sil, metrics.silhouette_summary(sil), float(sil["sil_width"].mean()), note
    est = metrics.silhouette_sample(fit, data, sample_size=2_000, seed=seed)
    note = (
        f"estimated from {int(est['sample_size'][0]):,} sampled rows (seed {seed}), 95% CI "
        f"{est['ci_low'][0]:.3f} to {est['ci_high'][0]:.3f}"
    )
    return None, None, float(est["estimate"][0]), note


def _sample_rows(data: pl.DataFrame, n: int, seed: int) -> tuple[pl.DataFrame, str]:
    """At most ``n`` rows, a seeded sample in data order, and a note saying so (empty if all rows)."""
    if data.height <= n:
        return data, ""
    kept = data.with_row_index("__row").sample(n=n, seed=seed).sort("__row").drop("__row")
    return kept, f"on a random sample of {n:,} of {data.height:,} rows (seed {seed})"


def _analysis(
    data: pl.DataFrame,
    opts: ReportOptions,
    scale: bool,
    gap,
    k: int | None,
    progress: bool,
    rows_note: str = "",
) -> Analysis:
    """The k-grid, the rules' suggestions, the final fit at ``k`` (default: the suggestion), its quality."""
    columns = list(opts.columns)
    bar = ProgressBar("k-grid (scaled)  " if scale else "k-grid (unscaled)") if progress else None
    with threads_for(data.height):
        grid = kmeans_grid(
            data, range(1, opts.kmax + 1), columns=columns, nstart=opts.nstart, seed=opts.seed,
            algorithm=opts.algorithm, scale=scale, sample_size=opts.sample_size, progress=bar,
        )  # fmt: skip
        suggestions = metrics.suggest_k(grid, gap=gap)
        suggested = _consensus(suggestions)
        fit = kmeans(
            data, k or suggested, columns=columns, nstart=opts.nstart, seed=opts.seed,
            algorithm=opts.algorithm, scale=scale, sample_size=opts.sample_size,
        )  # fmt: skip
        sil, summary, mean, note = _silhouette(fit, data, opts.seed)
    agree = metrics.agreement(fit, data[tidy.LABEL])
    return Analysis(
        scale, data, rows_note, grid, suggestions, suggested, fit, sil, summary, mean, note, agree
    )


def _gap(data: pl.DataFrame, opts: ReportOptions) -> tuple[pl.DataFrame, str]:
    """clusGap on the matrix the main fit sees (scaled if it is), on a seeded sample of big data."""
    X = tidy.prepare(data, list(opts.columns), scale=opts.scale).data.select(opts.columns).to_numpy()
    note = f"B = {opts.gap_B} uniform reference sets (scaledPCA), k-means with nstart = {opts.nstart}"
    if X.shape[0] > GAP_MAX_ROWS:
        rows = np.sort(np.random.default_rng(opts.seed).choice(X.shape[0], GAP_MAX_ROWS, replace=False))
        X = X[rows]
        note += f", on a random sample of {GAP_MAX_ROWS:,} of {data.height:,} rows (seed {opts.seed})"
    cluster_fn = None
    if opts.algorithm != "hartigan-wong":
        names = [f"x{j + 1}" for j in range(X.shape[1])]

        def cluster_fn(M: np.ndarray, k: int, seed: int) -> np.ndarray:
            frame = pl.DataFrame(M, schema=names, orient="row")
            return kmeans(frame, k, nstart=opts.nstart, seed=seed, algorithm=opts.algorithm).labels

    with threads_for(X.shape[0]), warnings.catch_warnings():
        # fits of uniform reference sets may stop at iter.max; they only feed E[log W_k]
        warnings.simplefilter("ignore", KMeansConvergenceWarning)
        gap = metrics.gap_statistic(
            X, k_max=opts.kmax, B=opts.gap_B, seed=opts.seed, nstart=opts.nstart, cluster_fn=cluster_fn,
            workers=min(os.cpu_count() or 1, GAP_WORKERS),
        )  # fmt: skip
    return gap, note


def build_report(
    data: pl.DataFrame | str | os.PathLike[str] | None = None,
    *,
    source: str | os.PathLike[str] | None = None,
    genres: Sequence[str] = tidy.LESSON_GENRES,
    min_popularity: int | None = None,
    columns: Sequence[str] = tidy.LESSON_COLUMNS,
    k: int | None = None,
    kmax: int = 10,
    nstart: int = 25,
    seed: int = 2056,
    scale: bool = False,
    algorithm: Algorithm = "hartigan-wong",
    gap_B: int = 50,
    sample_size: int | Literal["auto"] | None = "auto",
    progress: bool = False,
    method: str = "kmeans",
    linkage: str = "ward.D2",
    covariance: str = "full",
    eps: float | None = None,
    min_samples: int | None = None,
    min_cluster_size: int | None = None,
) -> ReportResult:
    """Compute everything the lesson's report shows.

    Reads and filters the songs, counts genres, summarises the features, fits the k-grid
    (k = 1..kmax) and the gap statistic, suggests k, fits the final k-means and measures it
    (silhouette, agreement with the genres) and repeats the analysis with the opposite ``scale``
    (the lesson's challenge: standardised vs raw features), at the same k.

    Parameters
    ----------
    data : polars DataFrame, path, URL or None
        The songs, or where to read them (``None``: ``$TIDYCLUST_DATA``, else the lesson's copy).
    source : path or URL, optional
        With a frame: the file it was read from, for the footer's sha256.
    genres, min_popularity
        The filter (see :func:`tidyclust.tidy.filter_songs`).
    columns
        The features clustered on (default the lesson's five).
    k : int, optional
        The final number of clusters, 2 <= k <= kmax; ``None`` = the k most selection rules suggest.
    kmax, nstart, seed, scale, algorithm
        The k-grid runs k = 1..kmax; the rest as :func:`tidyclust.kmeans`.
    gap_B : int
        Reference data sets of the gap statistic.
    sample_size : int, "auto" or None
        How the k-means starts are searched, as :func:`tidyclust.kmeans`'s (``"auto"``: every row
        up to 8,192 rows, then on summaries of the rows, the best refined on all rows).
    progress : bool
        Draw a progress bar on stderr while the k-grids run.
    method : {"kmeans", "hclust", "dbscan", "hdbscan", "gmm"}
        The clustering method of the report (default k-means, the lesson's). For hclust and gmm the
        k-grid is :func:`tidyclust.cluster_grid` (no gap statistic: it is defined with k-means); for
        dbscan/hdbscan it is replaced by the k-distance curve and the chosen ``eps``.
    linkage, covariance, eps, min_samples, min_cluster_size
        The method's options (hclust, gmm, dbscan, dbscan/hdbscan, hdbscan); ``None`` = the defaults of
        :func:`tidyclust.compare.density_defaults`.

    Returns
    -------
    ReportResult

    Examples
    --------
    >>> result = build_report("../shared/data/nigerian-songs.csv")  # doctest: +SKIP
    >>> result.k, result.main.fit.sizes.tolist()  # doctest: +SKIP
    (3, [111, 110, 65])
    """
    from tidyclust.report._methods import check_method_options, method_analyses, methods_compared

    t0 = time.perf_counter()
    opts = _options(columns, genres, min_popularity, k, kmax, nstart, seed, scale, algorithm, gap_B)
    checked = check_method_options(method, k, linkage, covariance, eps, min_samples, min_cluster_size)
    opts = replace(opts, **checked)
    songs, where = _source(data, source)
    opts = ReportOptions(
        **{**opts.__dict__, "columns": tuple(check_model_columns(songs, list(opts.columns)))}
    )
    kept = tidy.filter_songs(songs, genres=opts.genres, min_popularity=opts.min_popularity)
    if kept.height < 2:
        raise EmptyDataError(
            f"genres/min_popularity: the filter keeps {kept.height} row(s); keep more genres or lower "
            "min_popularity"
        )
    prepared = tidy.prepare(kept, list(opts.columns))
    clustered = prepared.data
    if sample_size not in ("auto", None):
        sample_size = check_int(sample_size, "sample_size", minimum=2)
    opts = replace(opts, sample_size=sample_size)
    timings = {"read and reshape": time.perf_counter() - t0}
    t = time.perf_counter()
    if compile_kernels(meanwhile=_import_report_modules):  # a cold numba cache only
        timings["compiling (first run)"] = time.perf_counter() - t
    if opts.method == "kmeans":
        t = time.perf_counter()
        gap, gap_note = _gap(clustered, opts)
        timings["gap statistic"] = time.perf_counter() - t
        t = time.perf_counter()
        main = _analysis(clustered, opts, opts.scale, gap, opts.k, progress)
        final_k = opts.k if opts.k is not None else main.suggested_k
        timings["main analysis"] = time.perf_counter() - t
        t = time.perf_counter()
        # the challenge repeats everything at the other scaling; on big data, on a sample of the rows
        rows, rows_note = _sample_rows(clustered, LARGE_ROWS, opts.seed)
        other = _analysis(rows, opts, not opts.scale, None, final_k, progress, rows_note)
        timings["challenge (other scaling)"] = time.perf_counter() - t
    else:
        gap, gap_note = NO_GAP, f"not computed for {opts.method} (clusGap's W_k is defined with k-means)"
        main, other = method_analyses(clustered, opts, progress, timings)
        final_k = main.fit.k
    t = time.perf_counter()
    compared = methods_compared(clustered, opts, final_k)
    timings["methods compared"] = time.perf_counter() - t
    return ReportResult(
        options=opts,
        source=where,
        n_read=songs.height,
        steps=tidy.filter_steps(songs, genres=opts.genres, min_popularity=opts.min_popularity),
        genre_counts=tidy.count_by(kept),
        feature_summary=tidy.feature_summary(kept.select(tidy.LABEL, *opts.columns)),
        data=clustered,
        n_missing=prepared.n_dropped,
        gap=gap,
        gap_note=gap_note,
        main=main,
        other=other,
        k=final_k,
        k_given=opts.k is not None,
        compare=compared,
        timings=timings,
        versions=_versions(),
        created=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def check_output(path: str | os.PathLike[str]) -> Path:
    """Check, before any computing, that a report can be written at ``path``; create its folder.

    Raises :class:`ParameterError` naming the path and the reason when it cannot.

    Examples
    --------
    >>> import tempfile, os
    >>> check_output(os.path.join(tempfile.mkdtemp(), "out", "report.html")).name
    'report.html'
    """
    out = Path(path).expanduser()
    if out.is_dir():
        raise ParameterError(
            f"out: {str(out)!r} is a folder; give a file name such as {str(out / 'report.html')!r}"
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ParameterError(
            f"out: cannot create the folder {str(out.parent)!r} ({exc.strerror or exc}); choose another path"
        ) from None
    if not os.access(out.parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise ParameterError(f"out: {str(out)!r} is not writable (permission denied); choose a writable path")
    return out

"""The ``tidyclust`` command line: thin; parses arguments, calls the public API, returns an exit code.

A user mistake (a missing file, an unknown genre or column, a bad number) exits with code 2 and one
line on stderr, ``tidyclust: error: ...``; never a traceback.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

from tidyclust import __version__
from tidyclust.errors import TidyclustError, did_you_mean

__all__ = ["main", "run"]

USAGE_ERROR = 2

#: The cyclic garbage collector's first threshold in the ``tidyclust`` process (Python's default:
#: 700 allocations). numba's compiler and plotnine allocate millions of small objects, and each
#: collection of the oldest generation walks all of them: the lesson report spent 0.6 s warm and
#: 1.0 s on a cold numba cache in collections, and 0.16 s and 0.4 s with this threshold.
GC_THRESHOLD = 50_000


class UsageError(TidyclustError, ValueError):
    """A command-line mistake found after parsing (e.g. a genre not in the data)."""


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """--data, --genres and --min-popularity, shared by every command that reads the songs."""
    from tidyclust.tidy import LESSON_GENRES

    parser.add_argument(
        "--data",
        metavar="PATH_OR_URL",
        help="songs CSV or Parquet file, or URL (default: $TIDYCLUST_DATA, else the lesson's copy, cached)",
    )
    parser.add_argument(
        "--genres",
        nargs="+",
        metavar="GENRE",
        default=list(LESSON_GENRES),
        help="genres to keep (default: %(default)s)",
    )
    parser.add_argument(
        "--min-popularity",
        type=int,
        metavar="N",
        default=None,
        help="keep songs with popularity >= N (default: the lesson's rule, popularity != 0)",
    )


def check_genres_in_data(data: pl.DataFrame, genres: Sequence[str]) -> None:
    """On the command line an unknown genre is a typo until shown otherwise: say so, with a suggestion."""
    present = data.get_column("artist_top_genre").drop_nulls().unique().sort().to_list()
    for genre in genres:
        if genre not in present:
            raise UsageError(
                f"--genres: {genre!r} is not a genre of the data{did_you_mean(genre, present)} "
                f"(genres present: {', '.join(present)})"
            )


def show(title: str, frame: pl.DataFrame) -> None:
    """Print a frame as a plain table under a title."""
    with pl.Config(
        tbl_rows=-1,
        tbl_cols=-1,
        tbl_hide_dataframe_shape=True,
        tbl_hide_column_data_types=True,
        tbl_formatting="UTF8_FULL_CONDENSED",
        tbl_width_chars=160,
        fmt_str_lengths=80,
    ):
        print(f"\n{title}")
        print(frame)


def add_data_command_options(parser: argparse.ArgumentParser) -> None:
    """Options of ``tidyclust data``: the data options and --engine."""
    add_data_options(parser)
    parser.add_argument(
        "--engine",
        choices=["polars", "duckdb"],
        # Polars by default (benchmarks/README.md, "Reshaping", 2026-11-29): it filters and counts as
        # fast or faster than DuckDB from Parquet and CSV, and its feature summary needs about a third
        # of DuckDB's memory (10M rows: +2.0 GiB against +5.4 GiB; 1M rows: 1.6 s against 3.0 s).
        # The answers are the same (tests/test_tidy.py proves the twins equal).
        default="polars",
        help="engine of the reshaping: Polars (tidyclust.tidy) or DuckDB SQL (tidyclust.sql) "
        "(default: %(default)s)",
    )


def cmd_data(args: argparse.Namespace) -> int:
    """``tidyclust data``: rows read, rows kept by each filter step, genre counts, feature summary.

    The file is scanned lazily (never read whole: a 10M-row CSV takes a fraction of its text size);
    if the engine stumbles on a malformed value, the file is read the careful way, by ``read_songs``,
    which names the row and column at fault (or, for padding it tolerates, carries on).
    """
    import duckdb

    from tidyclust import data as data_mod
    from tidyclust import sql, tidy

    verbs = tidy if args.engine == "polars" else sql
    try:
        songs: pl.DataFrame | pl.LazyFrame = data_mod.scan_songs(args.data)
        tables = _data_tables(verbs, songs, args)
    except (pl.exceptions.PolarsError, duckdb.Error):
        songs = data_mod.read_songs(args.data)
        tables = _data_tables(verbs, songs, args)
    steps = tables[0][1]
    n_rows, n_columns = steps.get_column("rows_in")[0], len(songs.collect_schema())
    print(f"Read {n_rows} rows x {n_columns} columns from {args.data or 'the default source'}")
    for title, frame in tables:
        show(title, frame)
    return 0


def _data_tables(
    verbs: Any, songs: pl.DataFrame | pl.LazyFrame, args: argparse.Namespace
) -> list[tuple[str, pl.DataFrame]]:
    genres = verbs.count_by(songs)
    if genres.height == 0:
        from tidyclust.data import read_songs

        read_songs(args.data)  # raises EmptyDataError, naming the file
    check_genres_in_data(genres, args.genres)
    steps = verbs.filter_steps(songs, genres=args.genres, min_popularity=args.min_popularity)
    kept = verbs.filter_songs(songs, genres=args.genres, min_popularity=args.min_popularity)
    summary_title = "Feature summary (kept rows; quartiles as R's type 7, outliers beyond 1.5 x IQR)"
    return [
        ("Rows kept by each filter step", steps),
        ("Songs per genre (kept rows)", verbs.count_by(kept)),
        (summary_title, verbs.feature_summary(kept)),
    ]


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """Options of ``tidyclust report``: the data options, the model options and --out."""
    from tidyclust.model import ALGORITHMS
    from tidyclust.tidy import LESSON_COLUMNS

    add_data_options(parser)
    parser.add_argument(
        "--columns",
        nargs="+",
        metavar="COLUMN",
        default=list(LESSON_COLUMNS),
        help="features to cluster on (default: %(default)s)",
    )
    parser.add_argument(
        "--k", type=int, default=None, help="clusters in the final fit (default: the k most rules suggest)"
    )
    parser.add_argument("--kmax", type=int, default=10, help="fit k = 1..KMAX (default: %(default)s)")
    parser.add_argument("--nstart", type=int, default=25, help="random starts per fit (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=2056, help="random seed (default: %(default)s)")
    parser.add_argument(
        "--scale",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="standardise the features first (default: no, as the lesson)",
    )
    parser.add_argument(
        "--algorithm",
        choices=ALGORITHMS,
        default="hartigan-wong",
        help="k-means algorithm (default: %(default)s)",
    )
    parser.add_argument(
        "--method",
        default="kmeans",
        help="clustering method: kmeans, hclust, dbscan, hdbscan or gmm (default: %(default)s)",
    )
    add_method_options(parser)
    parser.add_argument(
        "--out",
        default="reports/tidyclust-report.html",
        metavar="PATH",
        help="HTML file to write (default: %(default)s)",
    )


def cmd_report(args: argparse.Namespace) -> int:
    """``tidyclust report``: compute the lesson's analysis and write it as one self-contained HTML file."""
    from tidyclust._warmup import compiling

    with compiling():  # a cold numba cache: a helper compiles while the rest is imported and read
        return _report(args)


def _report(args: argparse.Namespace) -> int:
    from tidyclust import data as data_mod
    from tidyclust import report
    from tidyclust.report._methods import check_method_options

    out = report.check_output(args.out)
    check_method_options(  # a typo in the method or its options is reported before any reading
        args.method, args.k, args.linkage, args.covariance, args.eps, args.min_samples, args.min_cluster_size
    )
    songs = data_mod.read_songs(args.data)
    check_genres_in_data(songs, args.genres)
    result = report.build_report(
        songs,
        source=args.data,
        genres=args.genres,
        min_popularity=args.min_popularity,
        columns=args.columns,
        k=args.k,
        kmax=args.kmax,
        nstart=args.nstart,
        seed=args.seed,
        scale=args.scale,
        algorithm=args.algorithm,
        progress=True,
        method=args.method,
        linkage=args.linkage,
        covariance=args.covariance,
        eps=args.eps,
        min_samples=args.min_samples,
        min_cluster_size=args.min_cluster_size,
    )
    path = report.render_report(result, out)
    print(f"Report written to {path.resolve()}")
    return 0


def add_method_options(parser: argparse.ArgumentParser) -> None:
    """The options of the methods other than k-means (shared by ``report`` and ``compare``)."""
    parser.add_argument(
        "--linkage", default="ward.D2", help="hclust linkage, R's names (default: %(default)s)"
    )
    parser.add_argument(
        "--eps", type=float, default=None, help="dbscan radius (default: the k-distance knee)"
    )
    parser.add_argument(
        "--min-samples", type=int, default=None, help="dbscan core-row count (default: max(5, 2 x columns))"
    )
    parser.add_argument(
        "--min-cluster-size",
        type=int,
        default=None,
        help="hdbscan smallest cluster (default: max(5, rows/20))",
    )
    parser.add_argument(
        "--covariance",
        default="full",
        help="gmm covariance: full, tied, diag, spherical (default: %(default)s)",
    )


def add_compare_options(parser: argparse.ArgumentParser) -> None:
    """Options of ``tidyclust compare``."""
    from tidyclust.methods import METHODS
    from tidyclust.tidy import LESSON_COLUMNS

    add_data_options(parser)
    parser.add_argument(
        "--methods", nargs="+", metavar="METHOD", default=list(METHODS), help="methods (default: %(default)s)"
    )
    parser.add_argument(
        "--columns",
        nargs="+",
        metavar="COLUMN",
        default=list(LESSON_COLUMNS),
        help="features (default: %(default)s)",
    )
    parser.add_argument(
        "--k", type=int, default=3, help="clusters for kmeans, hclust, gmm (default: %(default)s)"
    )
    parser.add_argument("--nstart", type=int, default=25, help="kmeans/gmm starts (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=2056, help="random seed (default: %(default)s)")
    parser.add_argument(
        "--scale", action=argparse.BooleanOptionalAction, default=False, help="standardise the features first"
    )
    add_method_options(parser)


def cmd_compare(args: argparse.Namespace) -> int:
    """``tidyclust compare``: every method on the same songs, side by side."""
    from tidyclust import data as data_mod
    from tidyclust import tidy
    from tidyclust.compare import _check_choices, _check_methods, compare_methods

    _check_methods(args.methods)  # a typo is reported before the data is read
    _check_choices(args.linkage, args.covariance)
    songs = data_mod.read_songs(args.data)
    check_genres_in_data(songs, args.genres)
    kept = tidy.filter_songs(songs, genres=args.genres, min_popularity=args.min_popularity)
    clustered = tidy.prepare(kept, args.columns).data
    frame = compare_methods(
        clustered, methods=args.methods, k=args.k, columns=args.columns, seed=args.seed, scale=args.scale,
        nstart=args.nstart, linkage=args.linkage, covariance=args.covariance, eps=args.eps,
        min_samples=args.min_samples, min_cluster_size=args.min_cluster_size,
    )  # fmt: skip
    scaling = "standardised" if args.scale else "raw"
    print(f"{clustered.height} songs, {scaling} features: {', '.join(args.columns)}")
    show("Methods compared (matched_accuracy: best one-to-one matching of clusters to genres)", frame)
    for row in frame.filter(pl.col("k") == 0).iter_rows(named=True):
        print(f"note: {row['method']} labelled every song as noise ({row['settings']}); try a larger --eps")
    return 0


COMMANDS: dict[
    str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
] = {
    "data": (
        "read and filter the songs; print the counts and the feature summary",
        add_data_command_options,
        cmd_data,
    ),
    "report": (
        "compute the lesson's analysis and write it as one self-contained HTML report",
        add_report_options,
        cmd_report,
    ),
    "compare": (
        "fit every clustering method on the same songs and print them side by side",
        add_compare_options,
        cmd_compare,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``tidyclust`` command."""
    parser = argparse.ArgumentParser(
        prog="tidyclust", description="Tidy-data k-means clustering analytics of the Nigerian songs lesson."
    )
    parser.add_argument("--version", action="version", version=f"tidyclust {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (help_text, add_options, run) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        add_options(command)
        command.set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except TidyclustError as exc:
        print(f"tidyclust: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("tidyclust: interrupted", file=sys.stderr)
        return 130


def run() -> None:
    """The ``tidyclust`` console script: :func:`main` in a process tuned for one short command.

    Two process-wide settings that a library must not make but a command that owns its process may:
    the collector's first threshold is raised to :data:`GC_THRESHOLD`, and once ``main`` returns the
    process ends without the interpreter's teardown, which freed every module's objects one by one
    (0.65 s after a report). The exit handlers still run and both streams are flushed first; every
    file the commands write is closed before they return. argparse's exits (``--help``, a usage
    error) and uncaught exceptions end the process the usual way. A closed pipe on stdout
    (``tidyclust data | head``) ends it with code 1 and no traceback.
    """
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (`tidyclust data | head`): no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's recipe
        code = 1
    sys.stderr.flush()
    atexit._run_exitfuncs()  # what the interpreter's exit would run (CPython's own hook for it)
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()

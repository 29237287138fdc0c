"""The tidy verbs: the lesson's numbers, oracles, and SQL/Polars parity on the lesson and generated data."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from tidyclust import sql, tidy
from tidyclust.errors import ColumnNotFoundError, ColumnTypeError, ParameterError

LESSON_FEATURES = [
    "release_date",
    "length",
    "popularity",
    "danceability",
    "acousticness",
    "energy",
    "instrumentalness",
    "liveness",
    "loudness",
    "speechiness",
    "tempo",
    "time_signature",
]


# --- the lesson's numbers -------------------------------------------------------------------------


def test_lesson_filter_keeps_286_rows(songs: pl.DataFrame, lesson: pl.DataFrame) -> None:
    assert lesson.height == 286
    counts = dict(tidy.count_by(lesson).iter_rows())
    assert counts == {"afro dancehall": 206, "afropop": 61, "nigerian pop": 19}
    assert tidy.count_by(lesson).get_column("n").to_list() == [206, 61, 19]
    # Row order is the file's order.
    expected = songs.with_row_index().filter(
        pl.col("artist_top_genre").is_in(tidy.LESSON_GENRES) & (pl.col("popularity") != 0)
    )
    assert lesson.equals(expected.drop("index"))


def test_filter_steps_account_for_every_row(songs: pl.DataFrame) -> None:
    steps = tidy.filter_steps(songs)
    assert steps.get_column("rows_kept").to_list() == [530, 442, 286]
    assert steps.get_column("rows_dropped").to_list() == [0, 88, 156]
    assert steps.get_column("rule").to_list()[2] == "popularity != 0"
    assert steps.get_column("rows_in")[1:].to_list() == steps.get_column("rows_kept")[:-1].to_list()


def test_min_popularity_rule(songs: pl.DataFrame) -> None:
    kept = tidy.filter_songs(songs, min_popularity=40)
    assert kept.height > 0
    assert kept.get_column("popularity").min() >= 40
    expected = songs.filter(
        pl.col("artist_top_genre").is_in(tidy.LESSON_GENRES) & (pl.col("popularity") >= 40)
    )
    assert kept.height == expected.height


def test_select_numeric_and_pivot_longer(lesson: pl.DataFrame) -> None:
    numeric = tidy.select_numeric(lesson)
    assert numeric.columns == ["artist_top_genre", *LESSON_FEATURES]
    long = tidy.pivot_longer(lesson)
    assert long.shape == (3432, 3)
    assert long.columns == ["artist_top_genre", "feature_names", "values"]
    # tidyr's order: row 1's twelve features, then row 2's.
    assert long.get_column("feature_names")[:12].to_list() == LESSON_FEATURES
    first = lesson.row(0, named=True)
    assert long.get_column("values")[:12].to_list() == [float(first[f]) for f in LESSON_FEATURES]
    assert long.get_column("artist_top_genre")[12] == lesson.get_column("artist_top_genre")[1]


def test_pivot_longer_keeps_missing_values_and_nan_apart() -> None:
    frame = pl.DataFrame(
        {"artist_top_genre": ["a", None, "b"], "x": [1.0, None, 3.0], "y": [float("nan"), 5.0, None]}
    )
    long = tidy.pivot_longer(frame)
    expected = pl.DataFrame(
        {
            "artist_top_genre": ["a", "a", None, None, "b", "b"],
            "feature_names": ["x", "y"] * 3,
            "values": [1.0, float("nan"), None, 5.0, 3.0, None],
        }
    )
    assert long.equals(expected)
    assert long.get_column("values").is_nan().to_list() == [False, True, None, False, False, None]


def test_feature_summary_against_numpy(lesson: pl.DataFrame) -> None:
    summary = tidy.feature_summary(lesson)
    assert summary.get_column("feature_names").to_list() == LESSON_FEATURES
    for row in summary.iter_rows(named=True):
        x = lesson.get_column(row["feature_names"]).cast(pl.Float64).to_numpy()
        q1, med, q3 = np.percentile(x, [25, 50, 75])  # numpy's default "linear" is R's type 7
        fence = 1.5 * (q3 - q1)
        assert row["n"] == 286
        assert row["q1"] == pytest.approx(q1, rel=1e-12)
        assert row["median"] == pytest.approx(med, rel=1e-12)
        assert row["q3"] == pytest.approx(q3, rel=1e-12)
        assert row["sd"] == pytest.approx(np.std(x, ddof=1), rel=1e-12)
        assert row["n_outliers"] == int(((x < q1 - fence) | (x > q3 + fence)).sum())


@pytest.mark.r_oracle
def test_feature_summary_against_r(lesson: pl.DataFrame, rscript: str, tmp_path: Path) -> None:
    path = tmp_path / "lesson.csv"
    lesson.write_csv(path)
    script = f"""
    d <- read.csv("{path}")
    feats <- c({", ".join(repr(f) for f in LESSON_FEATURES)})
    out <- lapply(feats, function(f) {{
      x <- d[[f]]; q <- quantile(x, c(.25, .5, .75), type = 7); iqr <- q[3] - q[1]
      list(q1 = q[[1]], median = q[[2]], q3 = q[[3]], sd = sd(x),
           n_outliers = sum(x < q[1] - 1.5 * iqr | x > q[3] + 1.5 * iqr))
    }})
    cat(sprintf('[%s]', paste(sapply(out, function(o) sprintf(
      '{{"q1": %.17g, "median": %.17g, "q3": %.17g, "sd": %.17g, "n_outliers": %d}}',
      o$q1, o$median, o$q3, o$sd, o$n_outliers)), collapse = ",")))
    """
    result = subprocess.run([rscript, "-e", script], capture_output=True, text=True, check=True)
    expected = json.loads(result.stdout)
    summary = tidy.feature_summary(lesson).to_dicts()
    for got, want in zip(summary, expected, strict=True):
        for key, value in want.items():
            assert got[key] == pytest.approx(value, rel=1e-12), (got["feature_names"], key)


def test_prepare_scales_as_r_scale(lesson: pl.DataFrame) -> None:
    prepared = tidy.prepare(lesson, list(tidy.LESSON_COLUMNS), scale=True)
    assert prepared.n_dropped == 0
    assert prepared.data.columns == lesson.columns  # every column kept, order kept
    for name in tidy.LESSON_COLUMNS:
        x = lesson.get_column(name).cast(pl.Float64).to_numpy()
        expected = (x - x.mean()) / x.std(ddof=1)
        np.testing.assert_allclose(
            prepared.data.get_column(name).to_numpy(), expected, rtol=1e-12, atol=1e-14
        )


def test_prepare_drops_and_counts_missing_rows() -> None:
    frame = pl.DataFrame(
        {"g": ["a", "b", "c", "d"], "x": [1.0, None, 3.0, float("nan")], "y": [1, 2, None, 4]}
    )
    prepared = tidy.prepare(frame, ["x"])
    assert prepared.n_dropped == 2
    assert prepared.data.get_column("g").to_list() == ["a", "c"]
    assert tidy.prepare(frame, ["x", "y"]).n_dropped == 3
    assert tidy.prepare(frame, ["y"]).data.get_column("y").to_list() == [1, 2, 4]


# --- bad input ------------------------------------------------------------------------------------


def test_injection_is_data(songs: pl.DataFrame) -> None:
    evil = "afro'); DROP TABLE songs; --"
    con = sql.connect()
    assert sql.filter_songs(songs, genres=[evil], con=con).height == 0
    assert tidy.filter_songs(songs, genres=[evil]).height == 0
    # The connection still works and the frame is untouched.
    assert sql.filter_songs(songs, con=con).height == 286
    assert songs.height == 530


@pytest.mark.parametrize("module", [tidy, sql])
def test_unknown_column_names_it_and_suggests(module, lesson: pl.DataFrame) -> None:
    with pytest.raises(
        ColumnNotFoundError,
        match=r"column: 'artist_top_genr' is not a column of the data; did you mean 'artist_top_genre'\?",
    ):
        module.count_by(lesson, "artist_top_genr")
    with pytest.raises(
        ColumnNotFoundError, match=r"columns: 'popularty' is not a column .*did you mean 'popularity'\?"
    ):
        module.prepare(lesson, ["popularty"])
    with pytest.raises(ColumnNotFoundError, match=r"label: 'genre' is not a column"):
        module.pivot_longer(lesson, label="genre")


@pytest.mark.parametrize("module", [tidy, sql])
def test_bad_arguments(module, lesson: pl.DataFrame) -> None:
    with pytest.raises(ParameterError, match=r"min_popularity: must be >= 0, got -1"):
        module.filter_songs(lesson, min_popularity=-1)
    with pytest.raises(ParameterError, match=r"genres: no genres given"):
        module.filter_songs(lesson, genres=[])
    with pytest.raises(ColumnTypeError, match=r"columns: column 'name' has type String, not a number"):
        module.prepare(lesson, ["name"])
    constant = lesson.with_columns(pl.lit(1.0).alias("energy"))
    with pytest.raises(ParameterError, match=r"scale: column 'energy' is constant"):
        module.prepare(constant, ["energy", "loudness"], scale=True)


def test_sql_never_uses_the_default_connection(lesson: pl.DataFrame) -> None:
    sql.filter_songs(lesson)
    tables = (
        duckdb.default_connection()
        .sql(
            "SELECT table_name FROM duckdb_tables() "
            "UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal"
        )
        .fetchall()
    )
    assert ("songs",) not in tables


# The verbs both engines run with the data as their only argument.
ONE_ARGUMENT_VERBS = (
    "filter_songs",
    "filter_steps",
    "count_by",
    "select_numeric",
    "pivot_longer",
    "feature_summary",
)


def test_every_sql_file_has_a_polars_twin() -> None:
    assert set(sql.query_names()) == {
        "count_by",
        "drop_missing",
        "feature_summary",
        "feature_summary_by_group",
        "filter_songs",
        "filter_steps",
        "pivot_longer",
        "scale_columns",
        "select_numeric",
    }
    for name in sql.query_names():
        assert "{" not in sql.read_query(name), f"{name}.sql must bind values, not format them"


# --- parity: SQL and Polars give the same frame ---------------------------------------------------


def _verbs(frame: pl.DataFrame, genres: list[str], min_popularity: int | None):
    yield (
        "filter_songs",
        {"genres": genres, "min_popularity": min_popularity},
        lambda m: m.filter_songs(frame, genres=genres, min_popularity=min_popularity),
    )
    yield "filter_steps", {}, lambda m: m.filter_steps(frame, genres=genres, min_popularity=min_popularity)
    yield "count_by", {}, lambda m: m.count_by(frame, "artist_top_genre")
    yield "select_numeric", {}, lambda m: m.select_numeric(frame)
    yield "pivot_longer", {}, lambda m: m.pivot_longer(frame)
    yield "feature_summary", {}, lambda m: m.feature_summary(frame)
    yield "feature_summary_by_group", {}, lambda m: m.feature_summary(frame, by_group=True)
    yield "prepare", {}, lambda m: m.prepare(frame, ["popularity", "x"]).data
    yield (
        "prepare_n_dropped",
        {},
        lambda m: pl.DataFrame({"n": [m.prepare(frame, ["popularity", "x"]).n_dropped]}),
    )


def _assert_same(name: str, ours: pl.DataFrame, theirs: pl.DataFrame) -> None:
    # Counts, labels, order and dtypes must be identical; sums of floats may differ in the last bits
    # between two engines' summation orders, so statistics compare to 1e-12.
    try:
        assert_frame_equal(ours, theirs, check_exact=False, rel_tol=1e-12, abs_tol=1e-12)
    except AssertionError as exc:
        raise AssertionError(f"{name}: SQL and Polars differ: {exc}") from exc


def test_parity_on_the_lesson_data(songs: pl.DataFrame) -> None:
    frame = songs.with_columns(x=pl.col("energy"))
    for name, _, call in _verbs(frame, list(tidy.LESSON_GENRES), None):
        _assert_same(name, call(tidy), call(sql))
    lesson = tidy.filter_songs(songs)
    assert_frame_equal(tidy.prepare(lesson, scale=True).data, sql.prepare(lesson, scale=True).data)


GENRES = ["afropop", "afro dancehall", "nigerian pop", "jùjú", "a'b", "x; DROP TABLE songs", ""]

songs_frames = (
    st.integers(min_value=0, max_value=40)
    .flatmap(
        lambda n: st.fixed_dictionaries(
            {
                "artist_top_genre": st.lists(
                    st.one_of(st.none(), st.sampled_from(GENRES)), min_size=n, max_size=n
                ),
                "popularity": st.lists(st.one_of(st.none(), st.integers(0, 100)), min_size=n, max_size=n),
                "x": st.lists(
                    st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from([0.0, 1.5])),
                    min_size=n,
                    max_size=n,
                ),
            }
        )
    )
    .map(
        lambda d: pl.DataFrame(
            d, schema={"artist_top_genre": pl.String, "popularity": pl.Int64, "x": pl.Float64}
        )
    )
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    frame=songs_frames,
    genres=st.lists(st.sampled_from(GENRES), min_size=1, max_size=3),
    min_popularity=st.one_of(st.none(), st.integers(0, 100)),
)
def test_parity_on_generated_data(frame: pl.DataFrame, genres: list[str], min_popularity: int | None) -> None:
    for name, _, call in _verbs(frame, genres, min_popularity):
        _assert_same(name, call(tidy), call(sql))


def test_lazy_input_gives_the_same_frames(songs_path: Path, songs: pl.DataFrame) -> None:
    from tidyclust.data import scan_songs

    lazy = scan_songs(songs_path)
    verbs = ["filter_songs", "filter_steps", "count_by", "select_numeric", "pivot_longer", "feature_summary"]
    for verb in verbs:
        eager = getattr(tidy, verb)(songs)
        _assert_same(verb, getattr(tidy, verb)(lazy), eager)
        _assert_same(verb, getattr(sql, verb)(lazy), eager)
    assert tidy.prepare(lazy, ["popularity"]).data.equals(tidy.prepare(songs, ["popularity"]).data)


# --- file and lazy input: DuckDB reads the file itself, Polars streams --------------------------


def _plan(con: duckdb.DuckDBPyConnection) -> str:
    return con.sql("EXPLAIN SELECT * FROM songs").fetchall()[0][1]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_sql_lets_duckdb_read_the_file(songs: pl.DataFrame, tmp_path: Path, suffix: str) -> None:
    from tidyclust.data import scan_songs, songs_file

    path = tmp_path / f"songs{suffix}"
    songs.write_csv(path) if suffix == ".csv" else songs.write_parquet(path)
    scan = scan_songs(path)
    assert songs_file(scan) == path
    assert songs_file(scan.filter(pl.col("popularity") > 0)) is None  # a derived plan is not the file
    con = sql.connect()
    with sql._songs(con, scan, None):
        plan = _plan(con)
    assert "PYTHON" not in plan and ("READ_CSV" in plan if suffix == ".csv" else "PARQUET" in plan.upper())
    with sql._songs(con, scan.filter(pl.col("popularity") > 0), ["popularity"]):
        assert "PYTHON_ARROW_SCAN" in _plan(con)  # streamed from Polars
    # A path, the untouched scan and the frame give the same answers on both engines.
    for verb in ONE_ARGUMENT_VERBS:
        eager = getattr(tidy, verb)(songs)
        for source in (path, str(path), scan):
            _assert_same(verb, getattr(sql, verb)(source), eager)
            _assert_same(verb, getattr(tidy, verb)(source), eager)
    _assert_same(
        "by_group", sql.feature_summary(path, by_group=True), tidy.feature_summary(songs, by_group=True)
    )
    assert sql.prepare(path, ["popularity"]).data.equals(tidy.prepare(songs, ["popularity"]).data)


def test_awkward_csv_text_reads_the_same_on_both_engines(songs: pl.DataFrame, tmp_path: Path) -> None:
    # Quotes, commas, newlines and non-ASCII text inside fields, empty (missing) fields, an extra column.
    awkward = songs.head(6).with_columns(
        name=pl.Series(['say "hi"', "a, b", "line\nbreak", "AYLØ", None, ""]),
        popularity=pl.Series([0, None, 30, 40, 50, 60], dtype=pl.Int64),
        energy=pl.Series([0.5, None, 0.25, 1.0, 0.0, 0.75]),
        note=pl.Series(["x", "y", None, "z", "w", "v"]),
    )
    path = tmp_path / "awkward.csv"
    awkward.write_csv(path)
    for verb in ["filter_songs", "select_numeric", "pivot_longer", "feature_summary"]:
        _assert_same(verb, getattr(sql, verb)(path), getattr(tidy, verb)(path))
    kept = sql.filter_songs(path, genres=awkward.get_column("artist_top_genre").unique().to_list())
    assert kept.get_column("name").to_list() == [
        s for s, p in zip(awkward["name"], awkward["popularity"], strict=True) if p
    ]


def test_derived_lazy_frames_stream_into_duckdb(songs_path: Path, songs: pl.DataFrame) -> None:
    from tidyclust.data import scan_songs

    lazy = scan_songs(songs_path).filter(pl.col("release_date") >= 2010)
    eager = songs.filter(pl.col("release_date") >= 2010)
    for verb in ONE_ARGUMENT_VERBS:
        _assert_same(verb, getattr(sql, verb)(lazy), getattr(tidy, verb)(eager))
    _assert_same(
        "by_group", sql.feature_summary(lazy, by_group=True), tidy.feature_summary(eager, by_group=True)
    )


def test_data_of_the_wrong_kind_is_an_error() -> None:
    for module in (tidy, sql):
        with pytest.raises(
            ParameterError, match=r"data: expected a polars DataFrame or LazyFrame, .* got list"
        ):
            module.count_by([1, 2, 3])

"""The HTML report as a reader gets it: the file is parsed and its figures, tables and footer checked.

The lesson's numbers come from the R lesson (and tests/test_model.py's R oracle): 286 songs kept,
206 / 61 / 19 per genre, tot_withinss 12998.66 at k = 3, cluster sizes 65 / 110 / 111, mean
silhouette width 0.549 and 112 of 286 songs in the cluster matched to their genre.
"""

from __future__ import annotations

import base64
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest

from tidyclust.data import LESSON_SHA256
from tidyclust.report import build_report, check_output, render_report
from tidyclust.tidy import LESSON_GENRES

#: A song name and an artist that would run script if any text from the data reached the page unescaped:
#: the name as an element, the artist as an attempt to close the <script> that carries the chart's JSON.
SONG_PAYLOAD = "<script>window.__pwned=1;alert(1)</script>"
ARTIST_PAYLOAD = "</script><script>window.__pwned=2</script><!--"

MAIN_FIGURES = {
    "genre-counts", "feature-boxplots", "elbow", "silhouette-k", "gap", "silhouette",
    "cluster-pca", "cluster-scatter", "contingency",
}  # fmt: skip
COMPARISON_FIGURES = {
    f"{name}-{side}" for name in ("elbow", "silhouette-k", "cluster-pca") for side in ("main", "other")
}


class Page(HTMLParser):
    """What a reader sees, collected: images, links, scripts and every table's cells by id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: dict[str, str] = {}  # figure id -> img src
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value) of every src / href
        self.scripts: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.text: list[str] = []
        self.tags: set[str] = set()
        self._figure: str | None = None
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._script: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.add(tag)
        for name in ("src", "href", "data", "action"):
            if a.get(name):
                self.urls.append((tag, name, a[name]))
        if tag == "figure":
            self._figure = a.get("id")
            if self._figure and self._figure.startswith("table-"):
                self._table = self._figure.removeprefix("table-")
                self.tables[self._table] = []
        elif tag == "img" and self._figure:
            self.images[self._figure.removeprefix("figure-")] = a.get("src") or ""
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []
        elif tag == "script":
            self._script = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "figure":
            self._figure = self._table = None
        elif tag == "script" and self._script is not None:
            self.scripts.append("".join(self._script))
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def rows(self, table: str) -> list[dict[str, str]]:
        header, *body = self.tables[table]
        return [dict(zip(header, row, strict=True)) for row in body]


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


@pytest.fixture(scope="module")
def lesson_report(songs_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = build_report(songs_path)
    return render_report(result, tmp_path_factory.mktemp("report") / "out" / "report.html")


@pytest.fixture(scope="module")
def page(lesson_report: Path) -> Page:
    return parse(lesson_report)


def hostile_copy(songs_path: Path, folder: Path) -> Path:
    """The songs with the first song the lesson keeps renamed to a script (and its artist too)."""
    raw = pl.read_csv(songs_path, infer_schema=False)
    kept = (pl.col("artist_top_genre").is_in(list(LESSON_GENRES))) & (pl.col("popularity") != "0")
    first = int(raw.with_row_index().filter(kept)["index"][0])
    hostile = raw.with_columns(
        name=pl.when(pl.int_range(pl.len()) == first).then(pl.lit(SONG_PAYLOAD)).otherwise("name"),
        artist=pl.when(pl.int_range(pl.len()) == first).then(pl.lit(ARTIST_PAYLOAD)).otherwise("artist"),
    )
    path = folder / "hostile-songs.csv"
    hostile.write_csv(path)
    return path


@pytest.fixture(scope="module")
def hostile_report(songs_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    result = build_report(hostile_copy(songs_path, folder), kmax=4, nstart=5, gap_B=5)
    return render_report(result, folder / "report.html")


# --------------------------------------------------------------------------- figures and links
def test_every_figure_is_inline_png(page: Page) -> None:
    assert set(page.images) == MAIN_FIGURES | COMPARISON_FIGURES
    for name, src in page.images.items():
        assert src.startswith("data:image/png;base64,"), name
        png = base64.b64decode(src.split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n", name
        assert len(png) > 5_000, f"{name}: suspiciously small PNG ({len(png)} bytes)"


def test_nothing_is_fetched_from_a_network(page: Page, lesson_report: Path) -> None:
    for tag, attr, value in page.urls:
        assert not value.lower().startswith(("http:", "https:", "//", "ftp:")), (tag, attr, value)
    assert not page.tags & {"link", "iframe", "object", "embed", "base"}  # nothing else to fetch
    style = lesson_report.read_text(encoding="utf-8").split("</style>")[0]
    assert "url(" not in style and "@import" not in style


def test_the_interactive_chart_is_inlined(page: Page, lesson_report: Path) -> None:
    html = lesson_report.read_text(encoding="utf-8")
    assert 'id="interactive-scatter"' in html
    assert any("Plotly.newPlot" in s for s in page.scripts)
    assert max(len(s) for s in page.scripts) > 1_000_000  # plotly.js itself, not a CDN reference


# --------------------------------------------------------------------------- the lesson's numbers
def test_tables_hold_the_lesson_numbers(page: Page) -> None:
    steps = page.rows("filter-steps")
    assert steps[-1]["rows_kept"] == "286"
    counts = {r["artist_top_genre"]: r["n"] for r in page.rows("genre-counts")}
    assert counts == {"afro dancehall": "206", "afropop": "61", "nigerian pop": "19"}
    grid = {r["k"]: r for r in page.rows("k-grid")}
    assert grid["3"]["tot_withinss"] == "12998.66"
    assert len(grid) == 10
    assert sorted(r["size"] for r in page.rows("tidy")) == ["110", "111", "65"]
    assert page.rows("glance")[0]["tot_withinss"] == "12998.66"
    assert {r["cluster"]: r["size"] for r in page.rows("silhouette-summary")} == {
        "1": "111",
        "2": "110",
        "3": "65",
    }
    agreement = page.rows("agreement")[0]
    assert (agreement["best_correct"], agreement["n"]) == ("112", "286")


def test_header_shows_the_key_numbers(page: Page) -> None:
    text = " ".join(" ".join(page.text).split())
    assert "286 of 530 read" in text
    assert "MEAN SILHOUETTE" in text.upper() and "0.549" in text
    assert "112 of 286" in text
    assert "suggested by most rules" in text


def test_the_challenge_compares_raw_and_standardised(page: Page) -> None:
    rows = {r["measure"]: r for r in page.rows("comparison")}
    assert rows["cluster sizes"]["raw features"] == "111 / 110 / 65"
    assert rows["mean silhouette width"]["raw features"] == "0.549"
    assert rows["mean silhouette width"]["standardised features"] != "0.549"
    assert {"tidy-raw", "tidy-scaled"} <= set(page.tables)


def test_footer_names_the_data_and_the_software(page: Page) -> None:
    text = " ".join(page.text)
    assert LESSON_SHA256 in text
    assert LESSON_SHA256.startswith("efcc14d5")
    for name in ("polars", "duckdb", "scikit-learn", "numpy", "plotnine"):
        assert name in text
    assert "2056" in text and "total" in text


# --------------------------------------------------------------------------- hostile text
def test_song_names_are_text_never_markup(hostile_report: Path) -> None:
    html = hostile_report.read_text(encoding="utf-8")
    assert SONG_PAYLOAD not in html
    assert ARTIST_PAYLOAD not in html
    assert "<script>window.__pwned" not in html
    page = parse(hostile_report)
    # the augment table shows the name as the reader would type it ...
    assert page.rows("augment")[0]["name"] == SONG_PAYLOAD
    assert page.rows("augment")[0]["artist"] == ARTIST_PAYLOAD
    # ... and no script element holds it: the only scripts are plotly.js and the chart's call
    assert not any(s.strip().startswith("window.__pwned") for s in page.scripts)
    clean_scripts = 2  # plotly.js bundle + Plotly.newPlot(...)
    assert len(page.scripts) <= clean_scripts + 1
    chart = next(s for s in page.scripts if "Plotly.newPlot" in s)
    assert "</" not in chart and "<!--" not in chart
    # hover text is HTML-escaped for plotly's label markup, and plotly's JSON escapes "/" (and < >)
    assert "&lt;script&gt;window.__pwned=1;alert(1)&lt;\\u002fscript&gt;" in chart


# --------------------------------------------------------------------------- the command line
def mistakes(songs_path: Path, tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    """Command lines with one user mistake each, and what the error line must say."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    data = ["--data", str(songs_path)]
    return {
        "unknown column": ([*data, "--columns", "popularty", "energy"], "did you mean 'popularity'"),
        "unknown genre": ([*data, "--genres", "afropopp"], "did you mean 'afropop'"),
        "k above kmax": ([*data, "--k", "12", "--kmax", "10"], "above kmax"),
        "k below 1": ([*data, "--k", "0"], "k: must be >= 2"),
        "unwritable out": ([*data, "--out", str(blocker / "report.html")], "out: cannot create the folder"),
        "unreadable data": (["--data", str(tmp_path / "missing.csv")], "does not exist"),
    }


def check_one_line(name: str, code: int, err: str, expected: str) -> None:
    lines = err.strip().splitlines()
    assert code == 2, (name, err)
    assert len(lines) == 1, (name, err)
    assert lines[0].startswith("tidyclust: error: "), (name, err)
    assert expected in lines[0], (name, lines[0])


def test_cli_user_mistakes_exit_2_with_one_line(
    songs_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tidyclust.cli import main

    out = ["--out", str(tmp_path / "r.html")]
    for name, (argv, expected) in mistakes(songs_path, tmp_path).items():
        code = main(["report", *out, *argv])
        captured = capsys.readouterr()
        check_one_line(name, code, captured.err, expected)
        assert captured.out == ""
    assert not (tmp_path / "r.html").exists()


def test_cli_process_exits_2_without_traceback(songs_path: Path, tmp_path: Path) -> None:
    cases = mistakes(songs_path, tmp_path)
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-m", "tidyclust.cli", "report", *cases[name][0]],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("unknown column", "unwritable out")
    }
    for name, proc in procs.items():
        _, err = proc.communicate(timeout=60)
        check_one_line(name, proc.returncode, err, cases[name][1])
        assert "Traceback" not in err


def test_cli_checks_out_before_computing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="is a folder"):
        check_output(tmp_path)
    assert check_output(tmp_path / "new" / "report.html").parent.is_dir()


# --------------------------------------------------------------------------- other methods
COLUMNS = ("popularity", "danceability", "acousticness", "loudness", "energy")


def method_page(songs_path: Path, folder: Path, method: str, **options: object) -> Page:
    result = build_report(songs_path, method=method, kmax=5, nstart=3, **options)
    return parse(render_report(result, folder / f"{method}.html"))


@pytest.fixture(scope="module")
def hclust_page(songs_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Page:
    return method_page(songs_path, tmp_path_factory.mktemp("hclust"), "hclust", k=3)


@pytest.fixture(scope="module")
def gmm_page(songs_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Page:
    return method_page(songs_path, tmp_path_factory.mktemp("gmm"), "gmm", covariance="diag")


@pytest.fixture(scope="module")
def dbscan_page(songs_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Page:
    return method_page(songs_path, tmp_path_factory.mktemp("dbscan"), "dbscan")


def test_kmeans_report_compares_the_methods(page: Page) -> None:
    rows = {r["method"]: r for r in page.rows("methods")}
    assert list(rows) == ["kmeans", "hclust", "dbscan", "hdbscan", "gmm"]
    assert rows["kmeans"]["sizes"] == "111/110/65"
    assert "Methods compared" in " ".join(page.text)


def test_methods_table_cuts_long_size_lists() -> None:
    """dbscan found 186 clusters on a million songs: their sizes, unbroken by spaces, ran out of
    the table. Up to 8 are shown whole."""
    from tidyclust.report._render import short_sizes

    eight, many = "/".join(["7"] * 8), "/".join(str(i) for i in range(1, 187))
    frame = pl.DataFrame({"method": ["kmeans", "hclust", "dbscan"], "sizes": ["65/110/111", eight, many]})
    got = short_sizes(frame)
    assert got["sizes"].to_list() == ["65/110/111", eight, "1/2/3/4/5/6/7/8 … (186 clusters)"]
    assert got["method"].to_list() == ["kmeans", "hclust", "dbscan"]


def test_hclust_report_shows_the_tree_and_its_cuts(hclust_page: Page, lesson: pl.DataFrame) -> None:
    from tidyclust.hclust import hclust

    assert {"dendrogram", "elbow", "silhouette-k", "silhouette"} <= set(hclust_page.images)
    assert "gap" not in hclust_page.images  # the gap statistic is k-means only
    fit = hclust(lesson, 3, columns=list(COLUMNS))
    assert [r["size"] for r in hclust_page.rows("tidy")] == [str(s) for s in fit.sizes]
    glance = hclust_page.rows("glance")[0]
    assert (glance["method"], glance["linkage"]) == ("hclust", "ward.D2")
    grid = hclust_page.rows("k-grid")
    assert [r["k"] for r in grid] == ["1", "2", "3", "4", "5"] and "height" in grid[0]
    assert "Hierarchical clustering of Nigerian songs" in " ".join(hclust_page.text)


def test_gmm_report_shows_bic_and_probabilities(gmm_page: Page) -> None:
    rules = {r["rule"]: r for r in gmm_page.rows("suggest-k")}
    assert "bic" in rules
    assert "bic" in gmm_page.rows("k-grid")[0]
    glance = gmm_page.rows("glance")[0]
    probabilities = gmm_page.rows("probabilities")
    assert len(probabilities) == int(glance["k"]) == len(gmm_page.rows("tidy"))
    assert sum(int(r["size"]) for r in probabilities) == 286
    assert all(0.0 < float(r["mean_probability"]) <= 1.0 for r in probabilities)


def test_dbscan_report_counts_the_noise(dbscan_page: Page, lesson: pl.DataFrame) -> None:
    from tidyclust.kdistance import kdistances, suggest_eps

    assert "kdistance" in dbscan_page.images
    assert not {"elbow", "silhouette-k", "gap"} & set(dbscan_page.images)
    settings = dbscan_page.rows("density-settings")[0]
    eps = suggest_eps(kdistances(lesson, k=10, columns=list(COLUMNS)))
    assert float(settings["eps"]) == pytest.approx(eps)
    assert settings["eps rule"] == "knee"
    tidy_rows = dbscan_page.rows("tidy")
    assert (tidy_rows[0]["cluster"], tidy_rows[0]["noise"]) == ("0", "yes")  # noise is its own group
    assert tidy_rows[0]["size"] == settings["noise songs"]
    assert sum(int(r["size"]) for r in tidy_rows) == 286


def test_dbscan_report_with_only_noise_is_a_report(songs_path: Path, tmp_path: Path) -> None:
    page = method_page(songs_path, tmp_path, "dbscan", eps=0.01)
    settings = page.rows("density-settings")[0]
    assert (settings["clusters found"], settings["noise songs"]) == ("0", "286")
    assert "Every song is noise" in " ".join(page.text)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--method", "kmedoids"], "method: 'kmedoids' is not a clustering method; choose one of 'kmeans'"),
        (["--method", "hclust", "--linkage", "ward"], "linkage: 'ward' is not a linkage"),
        (["--method", "dbscan", "--k", "3"], "k: dbscan finds its own number of clusters"),
        (["--method", "gmm", "--covariance", "round"], "covariance: 'round' is not a covariance type"),
    ],
)
def test_cli_method_mistakes_exit_2_with_one_line(
    songs_path: Path, tmp_path: Path, argv: list[str], expected: str
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tidyclust.cli", "report", "--data", str(songs_path), *argv,
         "--out", str(tmp_path / "r.html")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    check_one_line(argv[1], proc.returncode, proc.stderr, expected)
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "r.html").exists()


_FAILING_DRAW = """
import pandas as pd
from plotnine import aes, geom_point, ggplot
from tidyclust.report import _figures

frame = pd.DataFrame({"x": range(3000), "y": range(3000)})
plot = ggplot(frame, aes("x", "y")) + geom_point()
items = {str(i): _figures._figure(str(i), "alt", plot) for i in range(4)}

def fails():
    raise RuntimeError("the rest of the page failed")

try:
    _figures.draw(items, fails)
except RuntimeError as error:
    print(error)
"""


def test_a_failure_while_the_forked_child_draws_is_raised_not_a_hang() -> None:
    """The figure child writes its PNGs to a pipe; if this process fails before reading them, the
    error must reach the caller (it once waited forever for a child blocked on a full pipe)."""
    done = subprocess.run(
        [sys.executable, "-c", _FAILING_DRAW], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "the rest of the page failed"

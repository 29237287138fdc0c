"""Tests for tidyclust.plots: what each built figure contains (layers, mappings, data), plus baselines.

Each figure is drawn (``p.draw()`` computes every layer's data) and checked against oracles: the
lesson's genre counts (206 / 61 / 19), numpy's type-7 quartiles, scikit-learn's PCA, R's
``prcomp`` / ``factoextra::fviz_cluster`` axis labels, and hand-made toy cases.

Baseline images live in ``tests/baseline_images/`` and are compared with
``matplotlib.testing.compare.compare_images`` (RMS tolerance ``BASELINE_TOL``). After an intended
change of a figure, look at the new image, then regenerate the baselines with::

    TIDYCLUST_REGENERATE_BASELINES=1 .venv/bin/pytest tests/test_plots.py -k baseline
"""

from __future__ import annotations

import os
import re
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from matplotlib.path import Path as MplPath
from matplotlib.testing.compare import compare_images
from plotnine import ggplot, labs
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_samples

from tidyclust.errors import ColumnNotFoundError, ParameterError
from tidyclust.plots import (
    CATEGORY10,
    TABLEAU10,
    cluster_plot,
    cluster_scatter,
    contingency_heatmap,
    elbow_plot,
    feature_boxplots,
    gap_plot,
    genre_counts,
    pca_coordinates,
    silhouette_k_plot,
    silhouette_plot,
)

BASELINES = Path(__file__).parent / "baseline_images"
BASELINE_TOL = 6.0
NUMERIC = [
    "release_date", "length", "popularity", "danceability", "acousticness", "energy",
    "instrumentalness", "liveness", "loudness", "speechiness", "tempo", "time_signature",
]  # fmt: skip


@dataclass(frozen=True)
class ToyFit:
    """The part of the fit contract a cluster plot reads: labels and the model matrix."""

    labels: np.ndarray
    columns: tuple[str, ...]

    def model_matrix(self, data: pl.DataFrame) -> np.ndarray:
        return data.select(self.columns).to_numpy().astype(np.float64)


def drawn(plot: ggplot) -> ggplot:
    """Draw the plot (computing every layer's data) and return it; close the figure."""
    import matplotlib.pyplot as plt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig = plot.draw()
    plt.close(fig)
    return plot


def geoms(plot: ggplot) -> list[str]:
    return [type(layer.geom).__name__ for layer in plot.layers]


@pytest.fixture(scope="module")
def fit3(lesson: pl.DataFrame) -> ToyFit:
    X = lesson.select(NUMERIC).to_numpy().astype(np.float64)
    Xs = (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)
    labels = KMeans(3, n_init=10, random_state=1).fit_predict(Xs) + 1
    return ToyFit(labels.astype(np.int32), tuple(NUMERIC))


@pytest.fixture(scope="module")
def grid() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "k": [1, 2, 3, 4, 5, 6],
            "tot_withinss": [3432.0, 2990.0, 2775.0, 2540.0, 2350.0, 2185.0],
            "silhouette": [None, 0.136, 0.142, 0.146, 0.137, 0.119],
        }
    )


@pytest.fixture(scope="module")
def sil(lesson: pl.DataFrame, fit3: ToyFit) -> pl.DataFrame:
    X = fit3.model_matrix(lesson)
    Xs = (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)
    return pl.DataFrame(
        {
            "row": np.arange(1, lesson.height + 1),
            "cluster": fit3.labels,
            "sil_width": silhouette_samples(Xs, fit3.labels),
        }
    )


# --------------------------------------------------------------------------- genre_counts
def test_genre_counts_holds_the_lesson_counts_in_order(lesson: pl.DataFrame) -> None:
    p = drawn(genre_counts(lesson))
    assert geoms(p) == ["geom_col", "geom_text"]
    assert p.mapping["x"] == "artist_top_genre" and p.mapping["y"] == "n"
    assert p.data["artist_top_genre"].tolist() == ["afro dancehall", "afropop", "nigerian pop"]
    assert p.data["n"].tolist() == [206, 61, 19]
    bars = p.layers[0].data.sort_values("x")
    assert bars["fill"].tolist() == list(CATEGORY10[:3])
    assert p.layers[1].data["label"].tolist() == [206, 61, 19]
    assert p.labels.title == "Top genres"


def test_genre_counts_top_and_errors(songs: pl.DataFrame) -> None:
    assert genre_counts(songs, top=2).data["n"].tolist() == [328, 90]
    with pytest.raises(
        ColumnNotFoundError, match=r"column: 'artist_top_genr' .*did you mean 'artist_top_genre'"
    ):
        genre_counts(songs, column="artist_top_genr")
    with pytest.raises(ParameterError, match="top: must be >= 1"):
        genre_counts(songs, top=0)
    with pytest.raises(ParameterError, match="data: expected a polars DataFrame"):
        genre_counts(songs.to_pandas())


# --------------------------------------------------------------------------- feature_boxplots
def test_feature_boxplots_facets_are_the_twelve_features(lesson: pl.DataFrame) -> None:
    p = drawn(feature_boxplots(lesson))
    assert geoms(p) == ["geom_boxplot", "geom_point"]
    assert list(p.facet.vars) == ["feature_names"] and p.facet.ncol == 4
    assert p.facet.free == {"x": True, "y": True}
    assert p.layout.layout["feature_names"].tolist() == sorted(NUMERIC)  # R's facet_wrap order
    assert p.theme.themeables["legend_position"].properties["value"] == "none"


def test_feature_boxplots_boxes_are_ggplot_stat_boxplot(lesson: pl.DataFrame) -> None:
    boxes = feature_boxplots(lesson).data
    row = boxes[(boxes["artist_top_genre"] == "afropop") & (boxes["feature_names"] == "danceability")]
    values = lesson.filter(pl.col("artist_top_genre") == "afropop")["danceability"].to_numpy()
    q1, med, q3 = np.percentile(values, [25, 50, 75])  # numpy's default is R's type 7
    inside = values[(values >= q1 - 1.5 * (q3 - q1)) & (values <= q3 + 1.5 * (q3 - q1))]
    got = row[["q1", "median", "q3", "ymin", "ymax"]].to_numpy().ravel()
    np.testing.assert_allclose(got, [q1, med, q3, inside.min(), inside.max()])
    assert int(row["n_outliers"].iloc[0]) == values.size - inside.size
    assert len(boxes) == 3 * 12


def test_feature_boxplots_long_input_matches_wide(lesson: pl.DataFrame) -> None:
    long = lesson.select("artist_top_genre", *NUMERIC).unpivot(
        index="artist_top_genre", variable_name="feature_names", value_name="values"
    )
    wide = feature_boxplots(lesson).data.sort_values(["artist_top_genre", "feature_names"])
    from_long = feature_boxplots(long).data.sort_values(["artist_top_genre", "feature_names"])
    np.testing.assert_allclose(
        wide[["q1", "median", "q3", "ymin", "ymax"]], from_long[["q1", "median", "q3", "ymin", "ymax"]]
    )


def test_feature_boxplots_thin_outliers_and_say_so() -> None:
    rng = np.random.default_rng(0)
    n = 200_000
    data = pl.DataFrame({"g": rng.choice(["a", "b"], n), "x": rng.standard_t(2, n)})
    p = drawn(feature_boxplots(data, label="g", max_outliers=50))
    assert len(p.layers[1].data) == 100
    assert re.match(r"boxes from all rows; outliers: showing 100 of [\d,]+ \(seed=0\)", p.labels.caption)


def test_feature_boxplots_errors(lesson: pl.DataFrame) -> None:
    with pytest.raises(ColumnNotFoundError, match="label: 'genre' is not a column"):
        feature_boxplots(lesson, label="genre")
    with pytest.raises(ParameterError, match="fill: expected 'feature' or 'label'"):
        feature_boxplots(lesson, fill="colour")


# --------------------------------------------------------------------------- choosing k
def test_elbow_plot_marks_the_suggested_k(grid: pl.DataFrame) -> None:
    p = drawn(elbow_plot(grid, suggested_k=3))
    assert geoms(p) == ["geom_line", "geom_point", "geom_vline", "geom_label"]
    assert p.data["k"].tolist() == [1, 2, 3, 4, 5, 6]
    assert p.layers[2].data["xintercept"].tolist() == [3]
    assert p.layers[3].data["label"].tolist() == ["suggested k = 3"]
    assert geoms(elbow_plot(grid)) == ["geom_line", "geom_point"]


@pytest.mark.parametrize(("k", "ha"), [(1, "left"), (3, "center"), (6, "right")])
def test_mark_label_at_an_end_of_k_extends_inwards(grid: pl.DataFrame, k: int, ha: str) -> None:
    # a label centred on the first or last k would be clipped by the panel's edge
    label = elbow_plot(grid, suggested_k=k).layers[3]
    assert label.geom.aes_params["ha"] == ha


def test_elbow_plot_takes_a_grid_object_and_checks_k(grid: pl.DataFrame) -> None:
    @dataclass
    class Grid:
        frame: pl.DataFrame

    assert elbow_plot(Grid(grid.reverse())).data["k"].tolist() == [1, 2, 3, 4, 5, 6]
    with pytest.raises(ParameterError, match=r"suggested_k: 9 is not one of the k in the frame"):
        elbow_plot(grid, suggested_k=9)
    with pytest.raises(ColumnNotFoundError, match="grid_or_frame: 'tot_withinss' is not a column"):
        elbow_plot(grid.drop("tot_withinss"))


def test_silhouette_k_plot_drops_k1_and_marks_the_best(grid: pl.DataFrame) -> None:
    p = drawn(silhouette_k_plot(grid))
    assert p.data["k"].tolist() == [2, 3, 4, 5, 6]
    assert p.layers[2].data["xintercept"].tolist() == [4]
    assert p.labels.y == "Average silhouette width"


def test_gap_plot_error_bars_and_firstmax_default() -> None:
    gap = pl.DataFrame({"k": [1, 2, 3, 4], "gap": [0.3, 0.5, 0.45, 0.6], "SE_sim": [0.01, 0.02, 0.03, 0.04]})
    p = drawn(gap_plot(gap))
    assert geoms(p) == ["geom_line", "geom_point", "geom_errorbar", "geom_vline", "geom_label"]
    bars = p.layers[2].data.sort_values("x")
    np.testing.assert_allclose(bars["ymin"], [0.29, 0.48, 0.42, 0.56])
    np.testing.assert_allclose(bars["ymax"], [0.31, 0.52, 0.48, 0.64])
    # cluster::maxSE(method = "firstmax"): first k whose gap the next k does not exceed -> k = 2
    assert p.layers[3].data["xintercept"].tolist() == [2]
    assert drawn(gap_plot(gap, k_best=4)).layers[3].data["xintercept"].tolist() == [4]
    with pytest.raises(ColumnNotFoundError, match="gap_frame: 'SE_sim'"):
        gap_plot(gap.drop("SE_sim"))


# --------------------------------------------------------------------------- silhouette_plot
def test_silhouette_plot_orders_bars_like_fviz_silhouette(sil: pl.DataFrame) -> None:
    p = drawn(silhouette_plot(sil))
    assert geoms(p) == ["geom_col", "geom_hline"]
    data = p.data
    assert data["position"].tolist() == list(range(1, sil.height + 1))
    clusters = data["cluster"].astype(int).to_numpy()
    assert (np.diff(clusters) >= 0).all()
    for c in np.unique(clusters):
        assert (np.diff(data["sil_width"].to_numpy()[clusters == c]) <= 0).all()
    mean = sil["sil_width"].mean()
    assert p.layers[1].data["yintercept"].tolist() == pytest.approx([mean])
    assert p.labels.title.endswith(f"Average silhouette width: {mean:.2f}")
    assert list(data["cluster"].cat.categories) == ["1", "2", "3"]
    assert p.layers[0].data.sort_values("x")["fill"].iloc[0] == TABLEAU10[0]


def test_silhouette_plot_thins_per_cluster_and_says_so(sil: pl.DataFrame) -> None:
    p = silhouette_plot(sil, max_bars=30)
    assert (
        p.labels.caption == f"showing {len(p.data)} of {sil.height} rows (evenly spaced within each cluster)"
    )
    for c in (1, 2, 3):  # each cluster keeps its largest and smallest width
        widths = sil.filter(pl.col("cluster") == c)["sil_width"]
        kept = p.data.loc[p.data["cluster"] == str(c), "sil_width"]
        assert kept.max() == widths.max() and kept.min() == widths.min()


# --------------------------------------------------------------------------- cluster_plot
def test_cluster_plot_axes_give_pca_explained_variance(lesson: pl.DataFrame, fit3: ToyFit) -> None:
    p = drawn(cluster_plot(fit3, lesson))
    assert geoms(p) == ["geom_polygon", "geom_point", "geom_point"]
    X = fit3.model_matrix(lesson)
    ratio = PCA(2).fit((X - X.mean(axis=0)) / X.std(axis=0, ddof=1)).explained_variance_ratio_ * 100
    assert p.labels.x == f"Dim1 ({ratio[0]:.1f}%)" and p.labels.y == f"Dim2 ({ratio[1]:.1f}%)"
    # factoextra 1.0.7, fviz_cluster(kmeans(scale(num), 3), data = num) on the lesson's 12 columns
    assert (p.labels.x, p.labels.y) == ("Dim1 (18.6%)", "Dim2 (12.5%)")
    points = p.layers[1].data
    assert len(points) == lesson.height and p.labels.caption is None
    assert sorted(points["color"].unique()) == sorted(TABLEAU10[:3])


def test_cluster_plot_hulls_enclose_their_points_and_centers_are_means(
    lesson: pl.DataFrame, fit3: ToyFit
) -> None:
    p = drawn(cluster_plot(fit3, lesson))
    hulls, points, centers = (layer.data for layer in p.layers)
    for c in (1, 2, 3):  # plotnine's group is the cluster's position among the levels 1..k
        xy = points.loc[points["group"] == c, ["x", "y"]].to_numpy()
        polygon = MplPath(hulls.loc[hulls["group"] == c, ["x", "y"]].to_numpy(), closed=False)
        inside = polygon.contains_points(xy, radius=1e-9) | polygon.contains_points(xy, radius=-1e-9)
        assert inside.all(), f"cluster {c}: {int((~inside).sum())} points outside the hull"
        np.testing.assert_allclose(
            centers.loc[centers["group"] == c, ["x", "y"]].to_numpy()[0], xy.mean(axis=0)
        )


def test_cluster_plot_small_and_collinear_clusters() -> None:
    data = pl.DataFrame(
        {
            "a": [0.0, 5.0, 5.1, 9.0, 10.0, 11.0, 3.0, 3.5, 2.0],
            "b": [0.0, 5.0, 5.2, 9.0, 10.0, 11.0, 0.0, 1.0, 1.5],
            "c": [1.0, 2.0, 2.0, 0.0, 0.0, 0.0, 4.0, 5.0, 4.0],
        }
    )
    fit = ToyFit(np.array([1, 2, 2, 3, 3, 3, 4, 4, 4]), ("a", "b", "c"))
    p = drawn(cluster_plot(fit, data, stand=False))
    hulls = p.layers[0].data
    sizes = hulls.groupby(hulls["group"]).size().tolist()
    assert sizes == [2, 2, 3]  # cluster 1 (one point): no hull; 2: a segment; 3 (collinear): a segment
    noise = ToyFit(np.array([0, 2, 2, 3, 3, 3, 4, 4, 4]), ("a", "b", "c"))
    assert len(drawn(cluster_plot(noise, data)).layers[2].data) == 3  # no centre for noise


def test_cluster_plot_thins_points_but_hulls_use_all(fit3: ToyFit, lesson: pl.DataFrame) -> None:
    full = drawn(cluster_plot(fit3, lesson))
    thin = drawn(cluster_plot(fit3, lesson, max_points=50, seed=3))
    assert len(thin.layers[1].data) == 50
    assert thin.labels.caption == "showing 50 of 286 rows (random sample, seed=3)"
    np.testing.assert_allclose(thin.layers[0].data[["x", "y"]], full.layers[0].data[["x", "y"]])


def test_cluster_plot_errors(fit3: ToyFit, lesson: pl.DataFrame) -> None:
    with pytest.raises(ParameterError, match=r"data: has 10 rows but the fit has 286 labels"):
        cluster_plot(fit3, lesson.head(10))
    with pytest.raises(ParameterError, match=r"fit: expected a fit with .labels and .model_matrix"):
        cluster_plot(np.zeros(3), lesson)
    with pytest.raises(ParameterError, match="max_points: expected a positive integer or None"):
        cluster_plot(fit3, lesson, max_points=0)
    two = cluster_plot(ToyFit(fit3.labels, ("popularity", "energy")), lesson)  # fviz: no PCA for two columns
    assert (two.labels.x, two.labels.y) == ("popularity", "energy")


@pytest.mark.r_oracle
def test_pca_coordinates_match_r_prcomp(rscript: str, lesson: pl.DataFrame, tmp_path: Path) -> None:
    csv = tmp_path / "num.csv"
    lesson.select(NUMERIC).write_csv(csv)
    code = (
        f"options(digits = 15); d <- read.csv('{csv}'); "
        "p <- prcomp(scale(d), center = FALSE, scale = FALSE); e <- p$sdev^2; "
        "cat(100 * e[1:2] / sum(e), '\\n'); write.table(p$x[, 1:2], row.names = FALSE, col.names = FALSE)"
    )
    out = subprocess.run(
        [rscript, "-e", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    r_pct = np.array(out[0].split(), dtype=float)
    r_scores = np.array([line.split() for line in out[1:]], dtype=float)
    scores, pct = pca_coordinates(lesson.select(NUMERIC).to_numpy())
    np.testing.assert_allclose(pct, r_pct, rtol=1e-10)
    np.testing.assert_allclose(np.abs(scores), np.abs(r_scores), atol=1e-8)  # R's signs are arbitrary


# --------------------------------------------------------------------------- cluster_scatter
def test_cluster_scatter_maps_cluster_and_genre(lesson: pl.DataFrame, fit3: ToyFit) -> None:
    aug = lesson.with_columns(pl.Series(".cluster", fit3.labels, dtype=pl.Int32))
    p = drawn(cluster_scatter(aug))
    assert geoms(p) == ["geom_point"]
    assert dict(p.mapping) == {
        "x": "popularity", "y": "danceability", "color": ".cluster", "shape": "artist_top_genre",
    }  # fmt: skip
    assert list(p.data[".cluster"].cat.categories) == ["1", "2", "3"]
    colours = dict(zip(p.data[".cluster"].astype(str), p.layers[0].data["color"], strict=True))
    assert colours == {"1": TABLEAU10[0], "2": TABLEAU10[1], "3": TABLEAU10[2]}
    assert p.labels.caption is None and len(p.data) == 286


def test_cluster_scatter_thins_and_says_so(lesson: pl.DataFrame, fit3: ToyFit) -> None:
    aug = lesson.with_columns(pl.Series(".cluster", fit3.labels, dtype=pl.Int32))
    p = cluster_scatter(aug, max_points=100, seed=7)
    assert len(p.data) == 100
    assert p.labels.caption == "showing 100 of 286 rows (random sample, seed=7)"
    assert list(p.data[".cluster"].cat.categories) == ["1", "2", "3"]  # levels from every row
    with pytest.raises(
        ColumnNotFoundError, match=r"x: 'popularty' is not a column.*did you mean 'popularity'"
    ):
        cluster_scatter(aug, x="popularty")
    assert "shape" not in cluster_scatter(aug, shape=None).mapping


# --------------------------------------------------------------------------- contingency_heatmap
def test_contingency_heatmap_long_and_wide_tables_agree() -> None:
    long = pl.DataFrame(
        {"cluster": [1, 1, 2, 2], "truth": ["afropop", "nigerian pop"] * 2, "n": [30, 2, 31, 17]}
    )
    wide = pl.DataFrame({"cluster": [1, 2], "afropop": [30, 31], "nigerian pop": [2, 17]})

    @dataclass
    class Agreement:
        table: pl.DataFrame

    for table, label in ((long, "truth"), (wide, "label"), (Agreement(long), "truth")):
        p = drawn(contingency_heatmap(table))
        assert geoms(p) == ["geom_tile", "geom_text"]
        assert p.mapping["x"] == label and p.mapping["y"] == "cluster"
        cells = p.data.sort_values(["cluster", label])
        assert cells["n"].tolist() == [30, 2, 31, 17]
        assert p.layers[1].data.sort_values(["y", "x"])["label"].sum() == 80
        assert list(p.data["cluster"].cat.categories) == ["1", "2"]


def test_contingency_heatmap_rejects_ambiguous_tables() -> None:
    bad = pl.DataFrame({"cluster": [1], "a": ["x"], "b": ["y"], "n": [3]})
    with pytest.raises(
        ParameterError, match="table: a long table needs 'cluster', 'n' and exactly one label"
    ):
        contingency_heatmap(bad)


# --------------------------------------------------------------------------- every figure
def builders(lesson: pl.DataFrame, fit3: ToyFit, grid: pl.DataFrame, sil: pl.DataFrame) -> dict:
    aug = lesson.with_columns(pl.Series(".cluster", fit3.labels, dtype=pl.Int32))
    gap = pl.DataFrame({"k": [1, 2, 3], "gap": [0.2, 0.5, 0.4], "SE_sim": [0.02, 0.03, 0.03]})
    table = pl.DataFrame({"cluster": [1, 2], "afropop": [30, 31], "nigerian pop": [2, 17]})
    return {
        "genre_counts": lambda: genre_counts(lesson),
        "feature_boxplots": lambda: feature_boxplots(lesson),
        "elbow_plot": lambda: elbow_plot(grid, suggested_k=3),
        "silhouette_k_plot": lambda: silhouette_k_plot(grid),
        "silhouette_plot": lambda: silhouette_plot(sil),
        "gap_plot": lambda: gap_plot(gap),
        "cluster_plot": lambda: cluster_plot(fit3, lesson),
        "cluster_scatter": lambda: cluster_scatter(aug),
        "contingency_heatmap": lambda: contingency_heatmap(table),
    }


def test_every_figure_extends_with_plus(lesson, fit3, grid, sil) -> None:
    for name, build in builders(lesson, fit3, grid, sil).items():
        p = build() + labs(title="x")
        assert isinstance(p, ggplot), name
        assert drawn(p).labels.title == "x", name


def test_figures_thin_a_million_rows_and_say_so() -> None:
    rng = np.random.default_rng(0)
    n = 1_000_000
    data = pl.DataFrame(
        {
            "g": rng.choice(["a", "b", "c"], n),
            "x": rng.normal(size=n),
            "y": rng.normal(size=n),
            "z": rng.normal(size=n),
        }
    )
    labels = rng.integers(1, 4, n).astype(np.int32)
    box = feature_boxplots(data, label="g")
    scatter = cluster_scatter(data.with_columns(pl.Series(".cluster", labels)), x="x", y="y", shape="g")
    pca = cluster_plot(ToyFit(labels, ("x", "y", "z")), data)
    assert len(scatter.data) == 20_000 and scatter.labels.caption.startswith("showing 20,000 of 1,000,000")
    assert pca.labels.caption.startswith("showing 20,000 of 1,000,000") and len(box.data) == 9


# --------------------------------------------------------------------------- baseline images
@pytest.mark.parametrize("name", ["genre_counts", "elbow_plot", "gap_plot"])  # inputs fixed, no fitting
def test_baseline_image(name, lesson, fit3, grid, sil, tmp_path: Path) -> None:
    plot = builders(lesson, fit3, grid, sil)[name]()
    expected = BASELINES / f"{name}.png"
    if os.environ.get("TIDYCLUST_REGENERATE_BASELINES"):
        BASELINES.mkdir(exist_ok=True)
        plot.save(expected, dpi=72, verbose=False)
        pytest.skip(f"regenerated {expected}")
    actual = tmp_path / f"{name}.png"
    plot.save(actual, dpi=72, verbose=False)
    assert compare_images(str(expected), str(actual), tol=BASELINE_TOL) is None


# --------------------------------------------------------------------------- with the real pipeline
def test_figures_from_the_real_fit_grid_and_metrics(lesson: pl.DataFrame) -> None:
    model = pytest.importorskip("tidyclust.model")
    metrics = pytest.importorskip("tidyclust.metrics")
    agreement = pytest.importorskip("tidyclust.agreement")
    columns = ["popularity", "danceability", "acousticness", "loudness", "energy"]
    fit = model.kmeans(lesson, 3, columns=columns, nstart=5, seed=2023, scale=True)
    grid = model.kmeans_grid(lesson, k=range(1, 5), columns=columns, nstart=5, seed=2023)
    assert drawn(elbow_plot(grid, suggested_k=3)).data["k"].tolist() == [1, 2, 3, 4]
    assert drawn(silhouette_k_plot(grid)).data["k"].tolist() == [2, 3, 4]
    sil = metrics.silhouette(fit, lesson)
    assert drawn(silhouette_plot(sil)).layers[1].data["yintercept"].tolist() == pytest.approx(
        [sil["sil_width"].mean()]
    )
    p = drawn(cluster_plot(fit, lesson))
    ratio = PCA(2).fit(fit.model_matrix(lesson)).explained_variance_ratio_ * 100
    assert p.labels.x == f"Dim1 ({ratio[0]:.1f}%)"
    scatter = drawn(cluster_scatter(fit.augment(lesson)))
    assert len(scatter.data) == lesson.height
    heat = drawn(contingency_heatmap(agreement.agreement(fit, lesson["artist_top_genre"])))
    assert heat.data["n"].sum() == lesson.height


def test_lazy_frames_are_collected(lesson: pl.DataFrame) -> None:
    assert genre_counts(lesson.lazy()).data["n"].tolist() == [206, 61, 19]
    with pytest.raises(ColumnNotFoundError, match="column: 'genre'"):
        genre_counts(lesson.lazy(), column="genre")

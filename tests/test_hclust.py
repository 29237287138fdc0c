"""hclust: R parity (committed fixtures + live Rscript), scipy as a second oracle, toy cases,
invariants, tidiers, the dendrogram, errors and the cluster() entry point."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.cluster.hierarchy import linkage as scipy_linkage
from scipy.spatial.distance import pdist
from sklearn.metrics import adjusted_rand_score

from tidyclust._fit import PredictNotDefinedError
from tidyclust.agreement import agreement
from tidyclust.dendrogram import dendrogram_data, dendrogram_plot
from tidyclust.errors import ColumnNotFoundError, ParameterError
from tidyclust.hclust import LINKAGES, HclustFit, hclust
from tidyclust.methods import METHODS, cluster
from tidyclust.metrics import silhouette

ORACLE = Path(__file__).parent / "r_oracle"
FIXTURES = json.loads((ORACLE / "hclust_fixtures.json").read_text())
DATA_SETS = [name for name in FIXTURES if name != "r_version"]
TOY = pl.DataFrame({"x": [0.0, 1.0, 10.0, 11.0, 30.0]})


def _data(name: str, lesson: pl.DataFrame) -> pl.DataFrame:
    spec = FIXTURES[name]
    return lesson if spec["data"] is None else pl.DataFrame(spec["data"])


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    return adjusted_rand_score(a, b) == 1.0


# ------------------------------------------------------------------------------------- R parity
@pytest.mark.parametrize("name", DATA_SETS)
@pytest.mark.parametrize("linkage", LINKAGES)
def test_tree_and_cuts_match_r(name, linkage, lesson):
    spec = FIXTURES[name]
    tree = spec["trees"][linkage]
    fit = hclust(_data(name, lesson), 1, columns=spec["columns"], linkage=linkage, scale=spec["scale"])
    np.testing.assert_allclose(fit.merge_height, tree["height"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.sort(fit.merge_height), np.sort(tree["height"]), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(fit.merge, np.array(tree["merge"]))
    np.testing.assert_array_equal(fit.order, tree["order"])
    for k, expected in zip(tree["k"], tree["cut_k"], strict=True):
        labels = fit.cut(k).labels
        assert _same_partition(labels, np.array(expected))
        np.testing.assert_array_equal(labels, expected)  # cutree numbers by first appearance too
    for h, expected in zip(tree.get("h", []), tree.get("cut_h", []), strict=True):
        np.testing.assert_array_equal(fit.cut(height=h).labels, expected)


def test_only_inversion_trees_refuse_height_cuts(lesson):
    for name in DATA_SETS:
        for linkage, tree in FIXTURES[name]["trees"].items():
            assert ("h" in tree) == bool(np.all(np.diff(tree["height"]) >= 0)), (name, linkage)
            if "h" not in tree:
                assert linkage in ("median", "centroid")


def test_live_rscript_on_fresh_data(rscript, tmp_path):
    rng = np.random.default_rng(7)
    frame = pl.DataFrame({"a": rng.normal(size=25).round(6), "b": rng.normal(size=25).round(6)})
    frame.write_csv(tmp_path / "in.csv")
    subprocess.run(
        [
            rscript,
            str(ORACLE / "hclust_fixtures.R"),
            "--live",
            str(tmp_path / "in.csv"),
            str(tmp_path / "out.json"),
        ],
        check=True,
        capture_output=True,
    )
    trees = json.loads((tmp_path / "out.json").read_text())
    for linkage in LINKAGES:
        fit = hclust(frame, 1, linkage=linkage)
        np.testing.assert_allclose(fit.merge_height, trees[linkage]["height"], rtol=1e-10)
        for k, expected in zip(trees[linkage]["k"], trees[linkage]["cut_k"], strict=True):
            np.testing.assert_array_equal(fit.cut(k).labels, expected)


# ------------------------------------------------------------------------- scipy, second oracle
@pytest.mark.parametrize("name", ["gauss", "usarrests_scaled", "lesson_scaled"])
def test_scipy_agrees_where_it_implements_the_same_linkage(name, lesson):
    spec = FIXTURES[name]
    fit = hclust(_data(name, lesson), 1, columns=spec["columns"], linkage="ward.D2", scale=spec["scale"])
    d = pdist(fit.model_matrix(_data(name, lesson)))
    same = {"ward.D2": "ward", "single": "single", "complete": "complete", "average": "average",
            "mcquitty": "weighted"}  # fmt: skip
    for ours, theirs in same.items():
        heights = (
            fit.cut(1).merge_height
            if ours == "ward.D2"
            else hclust(
                _data(name, lesson), 1, columns=spec["columns"], linkage=ours, scale=spec["scale"]
            ).merge_height
        )
        np.testing.assert_allclose(np.sort(heights), np.sort(scipy_linkage(d, theirs)[:, 2]), rtol=1e-10)
    # R's ward.D / median / centroid apply their update to unsquared distances; scipy squares its
    # input first, so scipy on sqrt(d), heights squared, is the same tree.
    for ours in ("ward.D", "median", "centroid"):
        heights = hclust(_data(name, lesson), 1, columns=spec["columns"], linkage=ours, scale=spec["scale"])
        theirs = scipy_linkage(np.sqrt(d), "ward" if ours == "ward.D" else ours)[:, 2] ** 2
        np.testing.assert_allclose(np.sort(heights.merge_height), np.sort(theirs), rtol=1e-9)


def test_ward_d_differs_from_ward_d2():
    df = pl.DataFrame({"x": [0.0, 1.0, 3.0, 7.0, 15.0]})
    d1, d2 = (hclust(df, 1, linkage=m).merge_height for m in ("ward.D", "ward.D2"))
    assert not np.allclose(d1, d2)
    assert d1[0] == d2[0] == 1.0  # singletons: both are the plain distance


# ---------------------------------------------------------------------------------- toy cases
def test_toy_complete_linkage_by_hand():
    fit = hclust(TOY, 2, linkage="complete")
    # merges: {0,1} and {10,11} at 1, then those two at max distance 11, then 30 at 30
    np.testing.assert_array_equal(fit.merge_height, [1.0, 1.0, 11.0, 30.0])
    np.testing.assert_array_equal(fit.merge, [[-1, -2], [-3, -4], [1, 2], [-5, 3]])
    assert fit.labels.tolist() == [1, 1, 1, 1, 2]
    assert fit.labels.dtype == np.int32


def test_height_cut_keeps_merges_at_or_below_it():
    fit = hclust(TOY, height=1.0, linkage="single")  # merge heights 1, 1, 9, 19
    assert fit.k == 3 and fit.labels.tolist() == [1, 1, 2, 2, 3]
    assert fit.cut(height=0.999).k == 5
    assert fit.cut(height=9.0).k == 2
    assert fit.cut(height=100.0).k == 1


def test_cut_height_reported_for_k_cuts():
    fit = hclust(TOY, 2, linkage="single")
    assert fit.height == pytest.approx((9.0 + 19.0) / 2)
    assert fit.cut(height=fit.height).k == 2
    assert fit.cut(1).height == 19.0
    assert fit.cut(5).height == 0.5


def test_tidy_and_glance_by_hand():
    fit = hclust(TOY, 2, linkage="average")
    tidy = fit.tidy()
    assert tidy.columns == ["cluster", "size", "withinss", "x"]
    assert tidy.rows() == [(1, 4, 101.0, 5.5), (2, 1, 0.0, 30.0)]
    g = fit.glance()
    assert g.columns == ["method", "linkage", "k", "height", "totss", "tot_withinss", "betweenss"]
    row = g.row(0, named=True)
    assert row["method"] == "hclust" and row["linkage"] == "average" and row["k"] == 2
    assert row["totss"] == pytest.approx(row["tot_withinss"] + row["betweenss"])
    assert row["tot_withinss"] == 101.0


def test_scale_reports_centers_in_data_units(lesson):
    cols = ["popularity", "danceability", "acousticness", "loudness", "energy"]
    fit = hclust(lesson, 3, columns=cols, scale=True)
    means = lesson.with_columns(c=pl.Series(fit.labels)).group_by("c").agg(pl.col(cols).mean()).sort("c")
    np.testing.assert_allclose(fit.centers, means.select(cols).to_numpy(), rtol=1e-12)
    assert fit.totss == pytest.approx(len(cols) * (lesson.height - 1))


def test_augment_and_model_matrix(lesson):
    cols = ["danceability", "energy"]
    fit = hclust(lesson, 3, columns=cols, linkage="complete", scale=True)
    out = fit.augment(lesson)
    assert out.columns == [*lesson.columns, ".cluster"] and out[".cluster"].dtype == pl.Int32
    assert out.drop(".cluster").equals(lesson)
    X = fit.model_matrix(lesson)
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=1e-12)
    with pytest.raises(ParameterError, match="fitted on 286"):
        fit.augment(lesson.head(5))


def test_metrics_work_on_hclust_fits(lesson):
    cols = ["danceability", "energy", "loudness"]
    fit = hclust(lesson, 3, columns=cols, scale=True)
    sil = silhouette(fit, lesson)
    assert sil.height == lesson.height and set(sil["cluster"].unique()) == {1, 2, 3}
    agree = agreement(fit, lesson["artist_top_genre"])
    assert 0.0 <= agree.best_accuracy <= 1.0


# ---------------------------------------------------------------------------------- invariants
@settings(max_examples=40, deadline=None)
@given(
    X=arrays(np.float64, st.tuples(st.integers(2, 25), st.integers(1, 3)),
             elements=st.integers(-20, 20).map(float)),
    linkage=st.sampled_from(LINKAGES),
    data=st.data(),
)  # fmt: skip
def test_cut_by_k_gives_k_clusters_and_sums_add_up(X, linkage, data):
    frame = pl.DataFrame(X, schema=[f"c{j}" for j in range(X.shape[1])])
    k = data.draw(st.integers(1, X.shape[0]))
    fit = hclust(frame, k, linkage=linkage)
    assert np.unique(fit.labels).size == k == fit.k
    first = np.unique(fit.labels, return_index=True)[1]
    assert np.all(np.diff(first) > 0)  # numbered by first appearance
    assert fit.totss == pytest.approx(fit.tot_withinss + fit.betweenss, abs=1e-8)
    assert fit.sizes.sum() == X.shape[0]


@settings(max_examples=25, deadline=None)
@given(perm_seed=st.integers(0, 1000), linkage=st.sampled_from(["ward.D2", "complete", "average"]))
def test_row_order_does_not_change_the_partition(perm_seed, linkage):
    rng = np.random.default_rng(perm_seed)
    X = rng.normal(size=(30, 2))  # continuous data: no ties, so the tree is unique
    perm = rng.permutation(30)
    a = hclust(pl.DataFrame(X, schema=["a", "b"]), 4, linkage=linkage)
    b = hclust(pl.DataFrame(X[perm], schema=["a", "b"]), 4, linkage=linkage)
    assert _same_partition(a.labels[perm], b.labels)
    np.testing.assert_allclose(np.sort(a.merge_height), np.sort(b.merge_height), rtol=1e-12)


# ------------------------------------------------------------------------------------- errors
def test_unknown_linkage_lists_the_valid_ones():
    with pytest.raises(ParameterError, match=r"linkage: 'ward' is not a linkage \(R's 'ward' is 'ward.D'\)"):
        hclust(TOY, 2, linkage="ward")
    with pytest.raises(ParameterError, match=r"choose one of 'ward.D', 'ward.D2', 'single'.*'centroid'"):
        hclust(TOY, 2, linkage="upgma")


def test_exactly_one_of_k_and_height():
    with pytest.raises(ParameterError, match="give exactly one of them"):
        hclust(TOY)
    with pytest.raises(ParameterError, match="give exactly one of them"):
        hclust(TOY, 2, height=3.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"k": 0}, "k: must be >= 1, got 0"),
        ({"k": 6}, "k: 6 clusters asked for but the data has 5 rows"),
        ({"k": 2.5}, "k: expected an integer"),
        ({"height": -1.0}, "height: must be a finite number >= 0"),
        ({"height": "high"}, "height: expected a number"),
        ({"k": 2, "scale": "yes"}, "scale: expected True or False"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        hclust(TOY, **kwargs)


def test_inversion_tree_cannot_be_cut_by_height():
    df = pl.DataFrame({"x": [0.0, 2.0, 1.0], "y": [0.0, 0.0, 1.9]})
    fit = hclust(df, 2, linkage="centroid")
    assert not fit.monotone and fit.height is None
    with pytest.raises(ParameterError, match=r"has inversions.*cut it by k instead"):
        fit.cut(height=1.0)


def test_predict_is_not_defined():
    with pytest.raises(PredictNotDefinedError, match=r"hclust.*defines no assignment of new rows"):
        hclust(TOY, 2).predict(TOY)
    assert issubclass(PredictNotDefinedError, NotImplementedError)


def test_missing_column_error():
    with pytest.raises(ColumnNotFoundError, match="'y' is not a column"):
        hclust(TOY, 2, columns=["y"])


def test_fit_is_immutable():
    fit = hclust(TOY, 2)
    with pytest.raises(AttributeError):
        fit.k = 3  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        fit.labels[0] = 5


# ---------------------------------------------------------------------------------- dendrogram
def test_dendrogram_segments_leaves_and_cut():
    fit = hclust(TOY, 2, linkage="complete")
    segments, leaves = dendrogram_data(fit)
    assert sorted(leaves["row"]) == [1, 2, 3, 4, 5]
    assert len(segments) == 3 * 4  # three segments per merge
    assert segments["y"].max() == 30.0
    assert set(segments["cluster"]) == {"1", "above cut"}  # cluster 2 is a single leaf
    by_row = dict(zip(leaves["row"], leaves["cluster"], strict=True))
    assert by_row == {1: "1", 2: "1", 3: "1", 4: "1", 5: "2"}
    plot = dendrogram_plot(fit)
    geoms = [type(layer.geom).__name__ for layer in plot.layers]
    assert geoms == ["geom_segment", "geom_point", "geom_hline"]
    cut = plot.layers[2]
    assert cut.geom.aes_params["linetype"] == "dashed"
    assert cut._data["yintercept"].tolist() == [fit.height]
    plot.draw()


def test_dendrogram_rejects_other_fits_and_bad_labels():
    with pytest.raises(ParameterError, match="expected an HclustFit"):
        dendrogram_data("not a fit")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="leaf_labels: has 2 values but the tree has 5 leaves"):
        dendrogram_plot(hclust(TOY, 2), leaf_labels=["a", "b"])


# --------------------------------------------------------------------------- cluster() dispatch
def test_cluster_dispatches_and_ignores_seed_for_deterministic_methods():
    fit = cluster(TOY, "hclust", k=2, seed=3, linkage="single")
    assert isinstance(fit, HclustFit)
    assert fit.labels.tolist() == hclust(TOY, 2, linkage="single").labels.tolist()
    assert METHODS == ("kmeans", "hclust", "dbscan", "hdbscan", "gmm")


def test_cluster_errors_list_methods_and_options():
    with pytest.raises(
        ParameterError, match="method: 'ward' is not a clustering method; choose one of 'kmeans'"
    ):
        cluster(TOY, "ward", k=2)  # type: ignore[arg-type]
    with pytest.raises(
        ParameterError, match="nstart: not an option of method 'hclust'; its options are k, height"
    ):
        cluster(TOY, "hclust", k=2, nstart=10)

"""Agglomerative hierarchical clustering as R's ``stats::hclust`` + ``cutree``, with tidiers.

The tree is R's: Euclidean distances as ``dist()``, then the agglomeration loop of ``hclust.f``
(:mod:`tidyclust._hclust_kernel`), so merge heights, merge order and tie-breaking match R. The
linkages carry R's names and meanings:

* ``"ward.D2"``: Ward's criterion on *squared* distances (heights are square roots again); the
  same tree as :func:`scipy.cluster.hierarchy.linkage` ``method="ward"``.
* ``"ward.D"``: the Ward update applied to the distances *as given* (unsquared Euclidean here),
  as R's ``hclust(dist(x), "ward.D")``; scipy has no such method (its ``ward`` squares first).
* ``"single"``, ``"complete"``, ``"average"`` (UPGMA), ``"mcquitty"`` (WPGMA, scipy's
  ``"weighted"``).
* ``"median"`` (WPGMC) and ``"centroid"`` (UPGMC): R applies their Lance–Williams formulas to the
  distances it is given, here unsquared Euclidean, so the heights are not centroid distances
  (scipy's methods of the same names square first). Their trees can have inversions (a merge
  lower than an earlier one); as in R, such a tree can be cut by ``k`` but not by ``height``.

Cutting follows ``cutree``: by ``k``, the clusters after the first n - k merges; by ``height``,
``k = n - #(merge heights <= height)``. Labels are 1..k by first appearance in the rows (as
``cutree`` numbers them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import polars as pl

from tidyclust import _hclust_kernel as kern
from tidyclust._fit import (
    FitMixin,
    Matrix,
    centers_frame,
    cluster_sums,
    prepare_matrix,
    readonly,
    relabel,
)
from tidyclust._validate import check_int
from tidyclust.errors import ParameterError, PredictNotDefinedError

__all__ = ["LINKAGES", "HclustFit", "hclust"]

Linkage = Literal["ward.D", "ward.D2", "single", "complete", "average", "mcquitty", "median", "centroid"]
#: R's ``hclust`` method names, in the order its documentation lists them.
LINKAGES: tuple[str, ...] = (
    "ward.D", "ward.D2", "single", "complete", "average", "mcquitty", "median", "centroid",
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class HclustFit(FitMixin):
    """A hierarchical clustering: R's tree (``merge``, ``merge_height``, ``order``) and one cut of it.

    ``centers`` are cluster means in the units of the data; ``withinss``, ``totss``,
    ``tot_withinss`` and ``betweenss`` are sums of squares in the space the tree was built in
    (:meth:`model_matrix`). ``height`` is the cut height: the one given, or for a cut by ``k`` the
    midpoint between the last merge kept and the first undone (as ``factoextra::fviz_dend`` draws
    it; ``None`` when the tree has inversions).
    """

    k: int
    columns: tuple[str, ...]
    labels: np.ndarray
    linkage: str
    height: float | None
    merge: np.ndarray
    merge_height: np.ndarray
    order: np.ndarray
    centers: np.ndarray
    sizes: np.ndarray
    withinss: np.ndarray
    totss: float
    tot_withinss: float
    betweenss: float
    scale: bool = False
    center_: np.ndarray | None = None
    scale_: np.ndarray | None = None
    method: str = field(default="hclust")
    _matrix: np.ndarray = field(default=None, repr=False)

    @property
    def monotone(self) -> bool:
        """Whether the merge heights never decrease (always, except median/centroid inversions)."""
        return bool(np.all(np.diff(self.merge_height) >= 0))

    def tidy(self) -> pl.DataFrame:
        """One row per cluster: ``cluster``, ``size``, ``withinss``, then each feature's mean.

        Examples
        --------
        >>> import polars as pl
        >>> fit = hclust(pl.DataFrame({"x": [0.0, 1.0, 10.0, 11.0]}), 2)
        >>> fit.tidy().rows()
        [(1, 2, 0.5, 0.5), (2, 2, 0.5, 10.5)]
        """
        return pl.DataFrame(
            {
                "cluster": pl.Series(np.arange(1, self.k + 1), dtype=pl.Int32),
                "size": pl.Series(self.sizes, dtype=pl.Int64),
                "withinss": pl.Series(self.withinss, dtype=pl.Float64),
            }
        ).with_columns(centers_frame(self.columns, self.centers))

    def glance(self) -> pl.DataFrame:
        """One row: method, linkage, k, height (of the cut), totss, tot_withinss, betweenss.

        Examples
        --------
        >>> import polars as pl
        >>> hclust(pl.DataFrame({"x": [0.0, 1.0, 10.0, 11.0]}), height=5.0).glance()["k"].item()
        2
        """
        return pl.DataFrame(
            {
                "method": [self.method],
                "linkage": [self.linkage],
                "k": [self.k],
                "height": [self.height],
                "totss": [self.totss],
                "tot_withinss": [self.tot_withinss],
                "betweenss": [self.betweenss],
            },
            schema_overrides={"k": pl.Int32, "height": pl.Float64},
        )

    def cut(self, k: int | None = None, *, height: float | None = None) -> HclustFit:
        """The same tree cut at another ``k`` or ``height`` (exactly one), without refitting.

        Examples
        --------
        >>> import polars as pl
        >>> fit = hclust(pl.DataFrame({"x": [0.0, 1.0, 10.0, 11.0]}), 2)
        >>> fit.cut(3).labels.tolist()
        [1, 1, 2, 3]
        """
        return _cut(self, k, height)

    def linkage_matrix(self) -> np.ndarray:
        """The tree as a scipy linkage matrix ``Z`` (for :mod:`scipy.cluster.hierarchy`)."""
        return _scipy_linkage(self.merge, self.merge_height)

    def predict(self, new_data: pl.DataFrame) -> pl.Series:
        """Not defined: a hierarchical clustering has no rule for placing new rows in its tree.

        Raises
        ------
        PredictNotDefinedError
            Always. Refit on the combined data, or fit k-means/a Gaussian mixture, which predict.
        """
        raise PredictNotDefinedError(
            "predict: hierarchical clustering (hclust) defines no assignment of new rows to "
            "clusters; refit hclust() on the combined data, or use kmeans() or gaussian_mixture(), "
            "which have predict()"
        )


def _r_merge(ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """R's ``merge`` matrix (``hcass2``): -i for observation i, s for the cluster made at step s;
    a singleton is listed first, two clusters in increasing order."""
    n = ia.shape[0] + 1
    last_step = np.zeros(n, np.int64)  # step that last formed the cluster represented by each row
    merge = np.zeros((n - 1, 2), np.int64)
    for s in range(n - 1):
        a, b = (int(-x - 1) if last_step[x] == 0 else int(last_step[x]) for x in (ia[s], ib[s]))
        if a > 0 and b < 0:
            a, b = b, a
        elif a > 0 and b > 0:
            a, b = min(a, b), max(a, b)
        merge[s] = a, b
        last_step[ia[s]] = s + 1
    return merge


def _r_order(merge: np.ndarray) -> np.ndarray:
    """R's leaf ``order`` (1-based): expand the last merge, left child before right."""
    order = [int(merge[-1, 0]), int(merge[-1, 1])]
    for s in range(merge.shape[0] - 1, 0, -1):
        j = order.index(s)
        order[j : j + 1] = [int(merge[s - 1, 0]), int(merge[s - 1, 1])]
    return np.array([-o for o in order], np.int64)


def _scipy_linkage(merge: np.ndarray, heights: np.ndarray) -> np.ndarray:
    n = merge.shape[0] + 1
    ids = np.where(merge < 0, -merge - 1, n + merge - 1).astype(np.float64)
    sizes = np.ones(2 * n - 1)
    for s in range(n - 1):
        sizes[n + s] = sizes[int(ids[s, 0])] + sizes[int(ids[s, 1])]
    return np.column_stack([ids, heights, sizes[n:]])


def _cutree_k(merge: np.ndarray, k: int) -> np.ndarray:
    """``cutree(tree, k)``: the clusters after the first n - k merges, numbered by first appearance."""
    n = merge.shape[0] + 1
    group = np.arange(n)
    members: dict[int, np.ndarray] = {}
    for s in range(n - k):
        rows = [np.array([-x - 1]) if x < 0 else members.pop(int(x)) for x in merge[s]]
        members[s + 1] = np.concatenate(rows)
        group[members[s + 1]] = members[s + 1].min()
    return relabel(group)[0]


def _k_for_height(heights: np.ndarray, height: float) -> int:
    """``cutree(tree, h = height)``'s k: n - (number of merge heights <= height)."""
    return int(heights.shape[0] + 1 - np.count_nonzero(heights <= height))


def _cut_height_for_k(heights: np.ndarray, k: int) -> float | None:
    if np.any(np.diff(heights) < 0):
        return None
    n = heights.shape[0] + 1
    if k == 1:
        return float(heights[-1])
    lower = heights[n - k - 1] if k < n else 0.0
    return float((lower + heights[n - k]) / 2)


def _check_height(height: object, heights: np.ndarray, linkage: str) -> float:
    if isinstance(height, bool) or not isinstance(height, (int, float, np.integer, np.floating)):
        raise ParameterError(f"height: expected a number, got {height!r}")
    if not np.isfinite(height) or height < 0:
        raise ParameterError(f"height: must be a finite number >= 0, got {height!r}")
    if np.any(np.diff(heights) < 0):
        raise ParameterError(
            f"height: the {linkage!r} tree has inversions (its merge heights are not increasing), so "
            "it cannot be cut at a height (R's cutree refuses too); cut it by k instead"
        )
    return float(height)


def _cut(fit: HclustFit, k: object, height: object) -> HclustFit:
    n = fit.labels.shape[0]
    if (k is None) == (height is None):
        raise ParameterError(
            "k, height: give exactly one of them (k = number of clusters, height = where to cut "
            f"the tree), got k={k!r}, height={height!r}"
        )
    if height is not None:
        height = _check_height(height, fit.merge_height, fit.linkage)
        k = _k_for_height(fit.merge_height, height)
    else:
        k = check_int(k, "k", minimum=1, hint="; k is the number of clusters")
        if k > n:
            raise ParameterError(f"k: {k} clusters asked for but the data has {n} rows; choose k <= {n}")
        height = _cut_height_for_k(fit.merge_height, k)
    labels = _cutree_k(fit.merge, k)
    sizes, means, withinss = cluster_sums(fit._matrix, labels, k)
    mat = Matrix(fit._matrix, fit.columns, fit.center_, fit.scale_)
    tot_withinss = float(withinss.sum())
    return replace(
        fit,
        k=k,
        labels=readonly(labels),
        height=height,
        centers=readonly(mat.to_original(means)),
        sizes=readonly(sizes),
        withinss=readonly(withinss),
        tot_withinss=tot_withinss,
        betweenss=fit.totss - tot_withinss,
    )


def _check_linkage(linkage: object) -> str:
    if linkage not in kern.LINKAGE_CODES:
        hint = " (R's 'ward' is 'ward.D')" if linkage == "ward" else ""
        raise ParameterError(
            f"linkage: {linkage!r} is not a linkage{hint}; choose one of {', '.join(map(repr, LINKAGES))}"
        )
    return str(linkage)


def hclust(
    data: pl.DataFrame,
    k: int | None = None,
    *,
    height: float | None = None,
    columns: Sequence[str] | None = None,
    linkage: Linkage = "ward.D2",
    scale: bool = False,
) -> HclustFit:
    """Hierarchical clustering on Euclidean distances as R's ``hclust`` + ``cutree``.

    Parameters
    ----------
    data
        A polars DataFrame.
    k
        Number of clusters, 1 <= k <= number of rows (``cutree(k = )``). Give ``k`` or ``height``.
    height
        Cut the tree at this height (``cutree(h = )``): merges at or below it are kept.
    columns
        Columns to cluster on; ``None`` = every numeric column.
    linkage
        R's method name: ``"ward.D2"`` (default), ``"ward.D"``, ``"single"``, ``"complete"``,
        ``"average"``, ``"mcquitty"``, ``"median"`` or ``"centroid"`` (see the module notes).
    scale
        Standardise the columns first as R's ``scale()``.

    Returns
    -------
    HclustFit
        Labels 1..k by first appearance; ``fit.cut(...)`` recuts the same tree.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"x": [0.0, 1.0, 10.0, 11.0, 30.0]})
    >>> fit = hclust(df, 2, linkage="complete")
    >>> fit.labels.tolist(), fit.merge_height.tolist()
    ([1, 1, 1, 1, 2], [1.0, 1.0, 11.0, 30.0])
    """
    linkage = _check_linkage(linkage)
    mat = prepare_matrix(data, columns, scale, min_rows=2, method="hclust")
    ia, ib, crit = kern.agglomerate(kern.euclidean(mat.X), kern.LINKAGE_CODES[linkage])
    merge = _r_merge(ia, ib)
    tree = HclustFit(
        k=mat.X.shape[0],
        columns=mat.columns,
        labels=np.arange(1, mat.X.shape[0] + 1, dtype=np.int32),
        linkage=linkage,
        height=None,
        merge=readonly(merge),
        merge_height=readonly(crit),
        order=readonly(_r_order(merge)),
        centers=mat.X,
        sizes=np.ones(mat.X.shape[0], np.int64),
        withinss=np.zeros(mat.X.shape[0]),
        totss=mat.totss,
        tot_withinss=0.0,
        betweenss=mat.totss,
        scale=mat.scale_ is not None,
        center_=mat.center_,
        scale_=mat.scale_,
        _matrix=readonly(mat.X),
    )
    return _cut(tree, k, height)

"""Choosing k: the elbow of the within sum of squares, and what each rule suggests.

The elbow is the point of the curve farthest below the chord joining its first and last points,
after scaling both axes to [0, 1] -- the core of Kneedle (Satopää et al. 2011, the ``kneed``
package) without its sensitivity threshold, so it always names a point when the curve bends.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from tidyclust.errors import ColumnNotFoundError, ParameterError

__all__ = ["elbow", "suggest_k"]


def _grid_frame(grid: object, arg: str = "grid") -> pl.DataFrame:
    frame = getattr(grid, "frame", grid)
    if not isinstance(frame, pl.DataFrame):
        raise ParameterError(
            f"{arg}: expected a k-grid (tidyclust.cluster_grid or kmeans_grid) or a polars frame, "
            f"got {type(grid).__name__}"
        )
    return frame


def _vector(values: object, arg: str) -> np.ndarray:
    try:
        v = np.asarray(values.to_numpy() if isinstance(values, pl.Series) else values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"{arg}: expected a vector of numbers, got {values!r}") from None
    if v.ndim != 1 or not np.isfinite(v).all():
        raise ParameterError(f"{arg}: expected a 1-D vector of finite numbers, got {values!r}")
    return v


def elbow(
    k: Sequence[int] | np.ndarray | pl.Series | pl.DataFrame | object,
    tot_withinss: Sequence[float] | np.ndarray | pl.Series | None = None,
) -> int | None:
    """The elbow (knee) of a decreasing tot_withinss curve.

    Both axes are scaled to [0, 1]; the elbow is the k whose point lies farthest below the straight
    line from the first to the last point (max distance to the chord, the core of Kneedle).

    Parameters
    ----------
    k : sequence of int, or a k-grid / polars frame with columns ``k`` and ``tot_withinss``
        Increasing values of k.
    tot_withinss : sequence of float, optional
        Total within-cluster sum of squares for each k (omit when ``k`` is a grid or frame).

    Returns
    -------
    int or None
        The elbow k; ``None`` when no point lies below the chord (a straight or concave curve has
        no elbow).

    Examples
    --------
    >>> elbow([1, 2, 3, 4, 5], [100.0, 40.0, 15.0, 12.0, 10.0])
    3
    """
    if tot_withinss is None:
        frame = _grid_frame(k, "k")
        _require(frame, ["k", "tot_withinss"], "k")
        k, tot_withinss = frame["k"], frame["tot_withinss"]
    ks, w = _vector(k, "k"), _vector(tot_withinss, "tot_withinss")
    if ks.size != w.size:
        raise ParameterError(f"tot_withinss: has {w.size} values but k has {ks.size}; give one per k")
    if ks.size < 3 or not (np.diff(ks) > 0).all():
        raise ParameterError(f"k: need at least 3 strictly increasing values of k, got {ks.tolist()}")
    x = (ks - ks[0]) / (ks[-1] - ks[0])
    span = w.max() - w.min()
    y = (w - w.min()) / span if span > 0 else np.zeros_like(w)
    y0, y1 = y[0], y[-1]
    below = (y0 + (y1 - y0) * x) - y  # vertical gap under the chord, proportional to the distance
    best = int(np.argmax(below))
    return int(ks[best]) if below[best] > 1e-12 else None


def _require(frame: pl.DataFrame, columns: list[str], arg: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ColumnNotFoundError(
            f"{arg}: the frame lacks column(s) {', '.join(missing)} "
            f"(columns present: {', '.join(frame.columns)})"
        )


def _best(frame: pl.DataFrame, column: str, *, largest: bool) -> int | None:
    """k with the largest (or smallest) finite value of ``column``; ties to the smallest k."""
    if column not in frame.columns:
        return None
    ok = frame.filter(pl.col(column).is_not_null() & pl.col(column).is_finite())
    if ok.height == 0:
        return None
    ok = ok.sort([column, "k"], descending=[largest, False])
    return int(ok["k"][0])


def suggest_k(
    grid: object,
    *,
    gap: pl.DataFrame | None = None,
    gap_method: str = "firstSEmax",
    SE_factor: float = 1,
) -> pl.DataFrame:
    """What k each selection rule picks, and whether they agree.

    Parameters
    ----------
    grid : k-grid or polars frame
        ``tidyclust.cluster_grid(...)`` of any method or ``tidyclust.kmeans_grid(...)`` (their
        ``.frame``), or a frame with column ``k`` and any of ``tot_withinss`` (the elbow, whatever
        the method), ``silhouette``, ``calinski_harabasz``, ``davies_bouldin`` and ``bic``
        (Gaussian mixtures: the smallest BIC, scikit-learn's sign).
    gap : polars frame, optional
        :func:`tidyclust.gap.gap_statistic`'s result; adds the gap rule.
    gap_method, SE_factor
        The :func:`tidyclust.gap.max_se` rule used for the gap.

    Returns
    -------
    polars.DataFrame
        One row per available rule: ``rule``, ``criterion`` (what it does), ``k`` (null when the rule
        cannot decide), ``agree`` (this rule's k equals the consensus, the k picked most often,
        ties to the smaller k). All rules agree when ``agree.all()``.

    Examples
    --------
    >>> import polars as pl
    >>> g = pl.DataFrame({"k": [1, 2, 3, 4], "tot_withinss": [100.0, 30.0, 20.0, 18.0],
    ...                   "silhouette": [None, 0.7, 0.5, 0.4]})
    >>> suggest_k(g).select("rule", "k").rows()
    [('elbow', 2), ('silhouette', 2)]
    """
    from tidyclust.gap import max_se

    frame = _grid_frame(grid)
    _require(frame, ["k"], "grid")
    rules: list[tuple[str, str, int | None]] = []
    if "tot_withinss" in frame.columns:
        rules.append(("elbow", "knee of tot_withinss (max distance below the chord)", elbow(frame)))
    for column, largest, how in [
        ("silhouette", True, "max mean silhouette width"),
        ("calinski_harabasz", True, "max Calinski-Harabasz index"),
        ("davies_bouldin", False, "min Davies-Bouldin index"),
        ("bic", False, "min BIC (Gaussian mixture)"),
    ]:
        if column in frame.columns:
            rules.append((column, how, _best(frame, column, largest=largest)))
    if gap is not None:
        _require(gap, ["k", "gap", "SE_sim"], "gap")
        pos = max_se(gap["gap"], gap["SE_sim"].fill_nan(0.0), method=gap_method, SE_factor=SE_factor)
        how = f"gap statistic, maxSE {gap_method} (SE_factor={SE_factor})"
        rules.append(("gap", how, int(gap["k"][pos - 1])))
    return _with_agreement(rules)


def _with_agreement(rules: list[tuple[str, str, int | None]]) -> pl.DataFrame:
    picks = [k for _, _, k in rules if k is not None]
    consensus = min(set(picks), key=lambda v: (-picks.count(v), v)) if picks else None
    return pl.DataFrame(
        {
            "rule": [r for r, _, _ in rules],
            "criterion": [c for _, c, _ in rules],
            "k": pl.Series([k for _, _, k in rules], dtype=pl.Int32),
            "agree": [k is not None and k == consensus for _, _, k in rules],
        }
    )

"""Gaussian mixture models with tidy output (scikit-learn's EM, best of ``nstart`` starts).

:class:`sklearn.mixture.GaussianMixture` does the fitting with ``n_init=nstart`` (k-means
initialisations) and a ``random_state`` derived from ``seed`` (the first 32-bit word of
``numpy.random.SeedSequence(seed)``). Hard labels are the most probable component; components
are renumbered 1..k by first appearance of their hard label in the rows (components that label no
row go last, in scikit-learn's order), and ``weights``, ``means``, ``covariances`` and the
membership probabilities follow that numbering.

``bic`` and ``aic`` are scikit-learn's (``-2 log L + penalty``: smaller is better; R's mclust
reports the negated BIC, where larger is better).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl

from tidyclust._fit import (
    FitMixin,
    Matrix,
    centers_frame,
    cluster_sums,
    prepare_matrix,
    readonly,
    relabel,
    resolve_seed,
)
from tidyclust._threads import threads_for
from tidyclust._validate import check_int
from tidyclust.errors import ParameterError

__all__ = ["COVARIANCES", "MixtureFit", "gaussian_mixture"]

Covariance = Literal["full", "tied", "diag", "spherical"]
COVARIANCES: tuple[str, ...] = ("full", "tied", "diag", "spherical")


@dataclass(frozen=True, eq=False, kw_only=True)
class MixtureFit(FitMixin):
    """A Gaussian mixture fit: an immutable value with broom-style tidiers.

    ``means`` are in the units of the data; ``covariances`` (scikit-learn's shapes for the
    ``covariance`` type) and the sums of squares are in the space the fit sees
    (:meth:`model_matrix`: standardised units when ``scale=True``). ``probabilities`` is the
    n x k matrix of membership probabilities, columns in cluster order.
    """

    k: int
    columns: tuple[str, ...]
    labels: np.ndarray
    covariance: str
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    probabilities: np.ndarray
    sizes: np.ndarray
    withinss: np.ndarray
    totss: float
    tot_withinss: float
    betweenss: float
    log_likelihood: float
    bic: float
    aic: float
    converged: bool
    n_iter: int
    nstart: int
    seed: int
    scale: bool = False
    center_: np.ndarray | None = None
    scale_: np.ndarray | None = None
    method: str = field(default="gmm")
    _estimator: Any = field(default=None, repr=False)
    _order: np.ndarray = field(default=None, repr=False)

    def tidy(self) -> pl.DataFrame:
        """One row per component: ``cluster``, ``size`` (rows it labels), ``weight`` (mixing
        proportion), ``withinss``, then each feature's mean.

        Examples
        --------
        >>> import polars as pl
        >>> df = pl.DataFrame({"x": [0.0, 0.2, 0.4, 10.0, 10.2, 10.4]})
        >>> gaussian_mixture(df, 2, seed=1).tidy().select("cluster", "size", pl.col("x").round(6)).rows()
        [(1, 3, 0.2), (2, 3, 10.2)]
        """
        return pl.DataFrame(
            {
                "cluster": pl.Series(np.arange(1, self.k + 1), dtype=pl.Int32),
                "size": pl.Series(self.sizes, dtype=pl.Int64),
                "weight": pl.Series(self.weights, dtype=pl.Float64),
                "withinss": pl.Series(self.withinss, dtype=pl.Float64),
            }
        ).with_columns(centers_frame(self.columns, self.means))

    def glance(self) -> pl.DataFrame:
        """One row: method, k, covariance, log_likelihood, bic, aic, totss, tot_withinss, betweenss,
        converged, n_iter, nstart, seed.

        Examples
        --------
        >>> import polars as pl
        >>> df = pl.DataFrame({"x": [0.0, 0.2, 0.4, 10.0, 10.2, 10.4]})
        >>> gaussian_mixture(df, 2, seed=1).glance()["converged"].item()
        True
        """
        names = [
            "method", "k", "covariance", "log_likelihood", "bic", "aic", "totss", "tot_withinss",
            "betweenss", "converged", "n_iter", "nstart", "seed",
        ]  # fmt: skip
        return pl.DataFrame(
            {name: [getattr(self, name)] for name in names},
            schema_overrides={"k": pl.Int32, "n_iter": pl.Int32, "nstart": pl.Int32, "seed": pl.UInt64},
        )

    def _augment_columns(self) -> list[pl.Series]:
        return _prob_columns(self.probabilities)

    def predict_proba(self, new_data: pl.DataFrame) -> pl.DataFrame:
        """Membership probabilities of new rows: ``.prob_1`` .. ``.prob_k`` (cluster order).

        Examples
        --------
        >>> import polars as pl
        >>> df = pl.DataFrame({"x": [0.0, 0.2, 0.4, 10.0, 10.2, 10.4]})
        >>> fit = gaussian_mixture(df, 2, seed=1)
        >>> [round(p, 3) for p in fit.predict_proba(pl.DataFrame({"x": [0.1]})).row(0)]
        [1.0, 0.0]
        """
        P = self._estimator.predict_proba(self.model_matrix(new_data))[:, self._order]
        return pl.DataFrame(_prob_columns(P))

    def predict(self, new_data: pl.DataFrame) -> pl.Series:
        """The most probable component of each new row.

        Examples
        --------
        >>> import polars as pl
        >>> df = pl.DataFrame({"x": [0.0, 0.2, 0.4, 10.0, 10.2, 10.4]})
        >>> gaussian_mixture(df, 2, seed=1).predict(pl.DataFrame({"x": [9.0, -1.0]})).to_list()
        [2, 1]
        """
        raw = self._estimator.predict(self.model_matrix(new_data))
        new_of_raw = np.empty(self.k, np.int32)
        new_of_raw[self._order] = np.arange(1, self.k + 1, dtype=np.int32)
        return pl.Series(".cluster", new_of_raw[raw], dtype=pl.Int32)


def _prob_columns(P: np.ndarray) -> list[pl.Series]:
    return [pl.Series(f".prob_{j + 1}", P[:, j], dtype=pl.Float64) for j in range(P.shape[1])]


def _check_covariance(covariance: object) -> str:
    if covariance not in COVARIANCES:
        raise ParameterError(
            f"covariance: {covariance!r} is not a covariance type; "
            f"choose one of {', '.join(map(repr, COVARIANCES))}"
        )
    return str(covariance)


def _check_k(k: object, X: np.ndarray) -> int:
    k = check_int(k, "k", minimum=1, hint="; k is the number of mixture components")
    distinct = np.unique(X, axis=0).shape[0]
    if distinct < k:
        raise ParameterError(
            f"k: {k} components asked for but the data has only {distinct} distinct row(s); "
            f"choose k <= {distinct}"
        )
    return k


def _full_order(raw: np.ndarray, k: int) -> np.ndarray:
    """Components by first appearance of their hard label; unused components last."""
    _, used = relabel(raw)
    return np.concatenate([used, np.setdiff1d(np.arange(k), used)]).astype(np.int64)


def _fit_mixture(mat: Matrix, k: int, covariance: str, nstart: int, seed: int) -> MixtureFit:
    from sklearn.mixture import GaussianMixture

    random_state = int(np.random.SeedSequence(seed).generate_state(1, np.uint32)[0])
    est = GaussianMixture(k, covariance_type=covariance, n_init=nstart, random_state=random_state)
    with threads_for(mat.X.shape[0]):
        est.fit(mat.X)
    order = _full_order(est.predict(mat.X), k)
    new_of_raw = np.empty(k, np.int32)
    new_of_raw[order] = np.arange(1, k + 1, dtype=np.int32)
    labels = new_of_raw[est.predict(mat.X)]
    sizes, _, withinss = cluster_sums(mat.X, labels, k)
    covariances = est.covariances_ if covariance == "tied" else est.covariances_[order]
    totss, tot_withinss = mat.totss, float(withinss.sum())
    return MixtureFit(
        k=k,
        columns=mat.columns,
        labels=readonly(labels),
        covariance=covariance,
        weights=readonly(est.weights_[order]),
        means=readonly(mat.to_original(est.means_[order])),
        covariances=readonly(covariances),
        probabilities=readonly(est.predict_proba(mat.X)[:, order]),
        sizes=readonly(sizes),
        withinss=readonly(withinss),
        totss=totss,
        tot_withinss=tot_withinss,
        betweenss=totss - tot_withinss,
        log_likelihood=float(est.score(mat.X) * mat.X.shape[0]),
        bic=float(est.bic(mat.X)),
        aic=float(est.aic(mat.X)),
        converged=bool(est.converged_),
        n_iter=int(est.n_iter_),
        nstart=nstart,
        seed=seed,
        scale=mat.scale_ is not None,
        center_=mat.center_,
        scale_=mat.scale_,
        _estimator=est,
        _order=readonly(order),
    )


def gaussian_mixture(
    data: pl.DataFrame,
    k: int,
    *,
    covariance: Covariance = "full",
    nstart: int = 25,
    seed: int | None = None,
    columns: Sequence[str] | None = None,
    scale: bool = False,
) -> MixtureFit:
    """A Gaussian mixture with ``k`` components, fitted by EM (best of ``nstart`` starts).

    Parameters
    ----------
    data
        A polars DataFrame.
    k
        Number of components, 1 <= k <= number of distinct rows.
    covariance
        ``"full"`` (each component its own covariance), ``"tied"`` (one shared), ``"diag"``
        (diagonal) or ``"spherical"`` (one variance per component).
    nstart
        EM runs from different k-means initialisations; the best by likelihood is kept.
    seed
        Seed of the starts; ``None`` draws a fresh one, recorded in ``fit.seed``.
    columns
        Columns to cluster on; ``None`` = every numeric column.
    scale
        Standardise the columns first as R's ``scale()``.

    Returns
    -------
    MixtureFit
        Hard labels 1..k by first appearance; ``augment()`` adds ``.prob_1`` .. ``.prob_k``.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"x": [10.0, 10.2, 10.4, 0.0, 0.2, 0.4]})
    >>> fit = gaussian_mixture(df, 2, seed=1)
    >>> fit.labels.tolist(), fit.weights.round(2).tolist()
    ([1, 1, 1, 2, 2, 2], [0.5, 0.5])
    """
    covariance = _check_covariance(covariance)
    nstart = check_int(nstart, "nstart", minimum=1, hint="; nstart is the number of EM starts")
    seed = resolve_seed(seed)
    mat = prepare_matrix(data, columns, scale, min_rows=2, method="gaussian_mixture")
    k = _check_k(k, mat.X)
    return _fit_mixture(mat, k, covariance, nstart, seed)

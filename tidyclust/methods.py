"""One entry point for every clustering method: ``cluster(data, method, **options)``.

Every fit it returns follows the same contract (docs/design.md, docs/glossary.md): ``labels``
(1..k by first appearance, 0 = noise), ``tidy()``, ``glance()``, ``augment(data)``,
``model_matrix(data)`` and, where the method defines it, ``predict(new_data)``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Literal

import polars as pl

from tidyclust.errors import ParameterError

__all__ = ["DETERMINISTIC", "METHODS", "Method", "cluster", "method_function"]

Method = Literal["kmeans", "hclust", "dbscan", "hdbscan", "gmm"]
METHODS: tuple[str, ...] = ("kmeans", "hclust", "dbscan", "hdbscan", "gmm")
#: Methods without random starts: ``cluster`` drops a ``seed`` given to them, so that one call
#: shape (``k=..., seed=...``) serves every method in a grid.
DETERMINISTIC: frozenset[str] = frozenset({"hclust", "dbscan", "hdbscan"})


def method_function(method: str) -> Callable[..., Any]:
    """The fitting function behind ``method`` (imported lazily).

    Examples
    --------
    >>> method_function("hclust").__name__
    'hclust'
    """
    if method == "kmeans":
        from tidyclust.model import kmeans

        return kmeans
    if method == "hclust":
        from tidyclust.hclust import hclust

        return hclust
    if method in ("dbscan", "hdbscan"):
        from tidyclust import density

        return getattr(density, method)
    if method == "gmm":
        from tidyclust.mixture import gaussian_mixture

        return gaussian_mixture
    raise ParameterError(
        f"method: {method!r} is not a clustering method; choose one of {', '.join(map(repr, METHODS))}"
    )


def cluster(data: pl.DataFrame, method: Method = "kmeans", **options: Any) -> Any:
    """Fit ``method`` to ``data`` with ``options`` (the keyword arguments of that method's function).

    ``"kmeans"`` -> :func:`tidyclust.model.kmeans`, ``"hclust"`` -> :func:`tidyclust.hclust.hclust`,
    ``"dbscan"``/``"hdbscan"`` -> :func:`tidyclust.density.dbscan`/:func:`~tidyclust.density.hdbscan`,
    ``"gmm"`` -> :func:`tidyclust.mixture.gaussian_mixture`. ``seed`` is accepted by every method
    and ignored by the deterministic ones (hclust, dbscan, hdbscan). An option the method does not
    take is an error that lists the options it does take.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"x": [0.0, 1.0, 10.0, 11.0]})
    >>> [cluster(df, m, k=2, seed=1).labels.tolist() for m in ("kmeans", "hclust", "gmm")]
    [[1, 1, 2, 2], [1, 1, 2, 2], [1, 1, 2, 2]]
    """
    fn = method_function(method)
    if method in DETERMINISTIC:
        options.pop("seed", None)
    params = inspect.signature(fn).parameters
    accepted = [name for name in params if name != "data"]
    unknown = [name for name in options if name not in accepted]
    if unknown:
        raise ParameterError(
            f"{unknown[0]}: not an option of method {method!r}; its options are {', '.join(accepted)}"
        )
    return fn(data, **options)

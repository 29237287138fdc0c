"""The package's namespace: every public name resolves, and ``import tidyclust`` imports little."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

import tidyclust

#: Imported by the first use of a name that needs them, not by ``import tidyclust``.
HEAVY = ("duckdb", "sklearn", "plotnine", "matplotlib", "plotly", "jinja2")


def _fresh(code: str) -> object:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_import_tidyclust_leaves_the_heavy_libraries_for_later() -> None:
    code = f"import json, sys, tidyclust; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    assert _fresh(code) == []


@pytest.mark.parametrize("name", sorted(set(tidyclust.__all__) - {"__version__"}))
def test_each_public_name_is_its_module_s_object(name: str) -> None:
    value = getattr(tidyclust, name)
    home = tidyclust._HOMES.get(name, name)
    module = importlib.import_module(f"tidyclust.{home or name}")
    assert value is (module if home is None else getattr(module, name))


def test_every_lazy_name_is_public_and_every_public_name_is_found() -> None:
    # a name added to __all__ but not to _HOMES (or the reverse) would fail only when first used
    up_front = {"__version__", "agreement", "hclust"}  # bound by __init__ itself
    submodules = {"plots", "report"}  # reachable as attributes, not star-imported
    assert set(tidyclust.__all__) == (set(tidyclust._HOMES) - submodules) | up_front


def test_star_import_and_dir_list_every_public_name() -> None:
    namespace: dict[str, object] = {}
    exec("from tidyclust import *", namespace)
    assert set(tidyclust.__all__) <= set(namespace)
    assert set(tidyclust.__all__) <= set(dir(tidyclust))


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'kmean'"):
        _ = tidyclust.kmean


def test_a_function_named_as_its_module_stays_the_function() -> None:
    # importing the module tidyclust.hclust sets the package's attribute `hclust`: it must not
    # replace the function of that name, whichever comes first
    code = """
import json
import tidyclust.hclust, tidyclust.agreement
import tidyclust
print(json.dumps([callable(tidyclust.hclust), callable(tidyclust.agreement),
                  tidyclust.hclust.__module__, tidyclust.agreement.__module__]))
"""
    assert _fresh(code) == [True, True, "tidyclust.hclust", "tidyclust.agreement"]


def test_submodules_are_reachable_as_attributes() -> None:
    code = "import json, tidyclust; print(json.dumps([tidyclust.report.__name__, tidyclust.plots.__name__]))"
    assert _fresh(code) == ["tidyclust.report", "tidyclust.plots"]

"""The Python API page (docs/python-api.md) and the library's own docstring examples run as
doctests: every example shows what the code really gives."""
from __future__ import annotations

import doctest
import importlib

import pytest

from conftest import ROOT

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def test_python_api_page_examples_run():
    pytest.importorskip("pandas")  # the page shows DataFrames too
    failures, tried = doctest.testfile(str(ROOT / "docs" / "python-api.md"), module_relative=False,
                                       optionflags=FLAGS, raise_on_error=False)
    assert tried >= 20 and failures == 0


@pytest.mark.parametrize("module", ["qdgraph.presentation.dataframe", "qdgraph.engine.queries"])
def test_docstring_examples(module):
    failures, tried = doctest.testmod(importlib.import_module(module), optionflags=FLAGS)
    assert failures == 0


def test_readme_points_to_the_python_api_page():
    assert "docs/python-api.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_query_help_names_every_predeclared_prefix():
    import re

    from conftest import invoke
    from qdgraph.namespaces import PREFIXES

    res = invoke("query", "--help")
    assert res.code == 0, res
    named = set(re.findall(r"[\w-]+", res.out.split("prefixes", 1)[1].split("predeclared", 1)[0]))
    assert set(PREFIXES) <= named

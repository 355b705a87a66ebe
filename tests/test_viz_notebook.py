"""Issue 11: pictures and query results inline in Jupyter, checked by running a small notebook
in a real kernel (nbclient + ipykernel), as a user's notebook would run.

The browser side (the picture drawn inside its iframe, under its own CSP) is in
test_viz_browser.py.
"""
from __future__ import annotations

import html
from html.parser import HTMLParser

import pytest

from conftest import ROOT
from conftest_viz import HOSTILE_IMG, HOSTILE_SCRIPT, write_sample

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def jupyter():
    """(nbformat, nbclient), imported when the test runs: every worker collects this file, even
    in runs that leave slow tests out, and the imports take a third of a second."""
    pytest.importorskip("ipykernel")
    return pytest.importorskip("nbformat"), pytest.importorskip("nbclient")

QUERY = """SELECT ?e ?label WHERE { ?e a qd:Enterprise ; rdfs:label ?label
  FILTER (STRSTARTS(STR(?e), "https://w3id.org/qdgraph/id/sample/")) } ORDER BY ?e ?label"""


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(markup: str) -> list[tuple[str, dict]]:
    p = _Tags()
    p.feed(markup)
    return p.tags


def html_output(cell) -> str:
    (out,) = [o for o in cell.outputs if o.output_type == "execute_result"]
    return out.data["text/html"]


def test_notebook_shows_results_and_pictures_inline(tmp_path, jupyter):
    nbformat, nbclient = jupyter
    from qdgraph.engine.graph import open_graph
    from qdgraph.presentation.viz import render

    files = [str(f) for f in write_sample(tmp_path, hostile=True)]
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell
    nb.cells = [
        cell(f"import sys\nsys.path.insert(0, {str(ROOT)!r})  # this checkout's qdgraph\n"
             f"import qdgraph\nkg = qdgraph.open(data={files!r})"),
        cell(f"kg.query({QUERY!r})"),
        cell('qdgraph.picture(kg, "chain", "样例虚拟现实")'),
        cell('qdgraph.picture(kg, "path", ("样例歌尔", "样例人才总量"), lang="en")'),
    ]
    nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()

    # the query result: an HTML table whose cells are text, the hostile label included
    table = html_output(nb.cells[1])
    kg = open_graph(files)
    assert [t for t, _ in tags(table)].count("tr") == 1 + len(kg.query(QUERY).rows) == 1 + 8  # 4 × zh, en
    assert {t for t, _ in tags(table)} <= {"table", "thead", "tbody", "tr", "th", "td"}
    assert html.escape(HOSTILE_IMG) in table and html.escape(HOSTILE_SCRIPT) in table

    # the pictures: one sandboxed iframe each, the page in srcdoc, exactly as render() writes it
    for c, (kind, name, opts) in zip(nb.cells[2:], [("chain", "样例虚拟现实", {}),
                                                    ("path", ("样例歌尔", "样例人才总量"), {"lang": "en"})]):
        out = html_output(c)
        ((tag, attrs),) = tags(out)
        assert tag == "iframe" and attrs["sandbox"] == "allow-scripts allow-forms allow-downloads"
        assert attrs["srcdoc"] == render(kg, kind, name, **opts)
        assert "Content-Security-Policy" in attrs["srcdoc"] and "<script" not in out

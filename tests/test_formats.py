"""The format registry: the CLI's choices, HTTP negotiation, the service description and every
writer come from one table, so each format is offered and written everywhere alike."""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from qdgraph.presentation import formats
from qdgraph.engine.results import AskResult, GraphResult, SelectResult
from qdgraph.interfaces.server.description import service_description
from qdgraph.interfaces.server.negotiate import choose

SELECT = SelectResult.from_values(["n", "name", "iri"], [[1, "青岛", ox.NamedNode("https://w3id.org/qdgraph/id/x")]])
GRAPH = GraphResult([ox.Triple(ox.NamedNode("https://w3id.org/qdgraph/id/x"),
                               ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), ox.Literal("青岛", language="zh"))])


@pytest.mark.parametrize("fmt", formats.FORMATS.values(), ids=lambda f: f.name)
def test_every_format_writes_its_kinds_and_is_negotiated(fmt):
    for kind in fmt.kinds:
        sample = {"select": SELECT, "ask": AskResult(True), "graph": GRAPH, "data": {"a": "青岛"}}[kind]
        text = formats.write(sample, fmt.name)
        assert text.strip()
        if kind == "graph":  # every RDF writer's output parses back to the same triple
            rdf = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "json-ld": ox.RdfFormat.JSON_LD,
                   "rdf-xml": ox.RdfFormat.RDF_XML}[fmt.name]
            assert [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(text.encode(), format=rdf)] == GRAPH.triples
    if not fmt.http:
        return
    form = "CONSTRUCT" if "graph" in fmt.kinds else "SELECT"
    assert choose(form, fmt.media_type) == fmt.name
    assert choose(form, None, requested=fmt.name) == fmt.name
    sd = service_description("http://localhost/sparql", 1, "nt").decode()
    assert f"<{formats.W3C_FORMATS}{fmt.w3c}>" in sd


def test_cli_query_offers_every_registry_format():
    from qdgraph.interfaces.cli.ask import query

    choices = next(p for p in query.params if p.name == "fmt").type.choices
    assert list(choices) == formats.names("select", "ask", "graph")


def test_a_format_of_another_kind_is_refused():
    with pytest.raises(ValueError, match="not one of"):
        formats.write(GRAPH, "csv")


# ------------------------------------------------------------------ spreadsheets and DataFrames
def test_excel_csv_carries_a_byte_order_mark_and_the_same_rows_as_csv():
    """Excel on Chinese Windows reads a CSV file as GBK unless it starts with a UTF-8 byte-order
    mark: `-F excel` writes it (and CRLF line ends), with the same cells as `-F csv`."""
    import csv
    import io

    from conftest import invoke

    query = "SELECT ?i ?l WHERE { ?i a qd:Indicator ; rdfs:label ?l FILTER (lang(?l) = 'zh') } ORDER BY ?i"
    plain = invoke("query", query, "-F", "csv")
    excel = invoke("query", query, "-F", "excel")
    assert plain.code == 0 and excel.code == 0, excel
    raw = excel.out.encode("utf-8")
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows == list(csv.reader(io.StringIO(plain.out))) and len(rows) > 10
    assert any("人才" in r[1] for r in rows)


def test_export_excel_writes_the_csv_export_with_a_byte_order_mark(tmp_path):
    from conftest import invoke

    assert invoke("export", "-F", "csv", "-o", tmp_path / "plain.csv").code == 0
    res = invoke("export", "-F", "excel", "-o", tmp_path / "excel.csv")
    assert res.code == 0, res
    raw = (tmp_path / "excel.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    plain = (tmp_path / "plain.csv").read_text(encoding="utf-8").splitlines()
    assert raw.decode("utf-8-sig").splitlines() == plain and "全市人才总量" in raw.decode("utf-8")


def test_results_become_dataframes_with_labels_beside_iris(kg):
    import qdgraph

    pytest.importorskip("pandas")
    res = kg.query("SELECT ?i ?n ?value WHERE { ?t a qd:Target ; qd:indicator ?i ; "
                   "<http://purl.org/linked-data/sdmx/2009/measure#obsValue> ?value . ?i skos:notation ?n } ORDER BY ?n")
    assert res.rows and all(isinstance(r["i"], ox.NamedNode) for r in res.rows)
    df = qdgraph.to_dataframe(res, kg, labels=True)
    assert list(df.columns) == ["i", "i_label", "n", "value"] and len(df) == len(res.rows)
    first = res.rows[0]
    assert df.loc[0, "i"] == first["i"].value  # IRIs as text, not pyoxigraph objects
    assert df.loc[0, "i_label"] == kg.label(first["i"].value, "zh")
    assert df["value"].tolist() == [float(r["value"].value) for r in res.rows]  # numbers as numbers
    en = qdgraph.to_dataframe(res, kg, labels=True, lang="en")
    assert en.loc[0, "i_label"] == kg.label(first["i"].value, "en") != df.loc[0, "i_label"]
    assert list(qdgraph.to_dataframe(res).columns) == ["i", "n", "value"]


def test_graph_results_become_dataframes_and_asks_do_not(kg):
    import qdgraph
    from qdgraph.errors import QdgraphError

    pytest.importorskip("pandas")
    df = qdgraph.to_dataframe(GRAPH)
    assert df.to_dict("records") == [{"subject": "https://w3id.org/qdgraph/id/x",
                                      "predicate": "http://www.w3.org/2000/01/rdf-schema#label", "object": "青岛"}]
    with pytest.raises(QdgraphError, match="ASK"):
        qdgraph.to_dataframe(AskResult(True))
    with pytest.raises(QdgraphError, match="needs the graph"):
        qdgraph.to_dataframe(SELECT, labels=True)

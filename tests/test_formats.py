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

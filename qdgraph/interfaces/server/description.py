"""The SPARQL 1.1 service description (``GET /sparql`` without a query).

Built as RDF terms and written by pyoxigraph, so nothing from a request reaches the text.
"""
from __future__ import annotations

import pyoxigraph as ox

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def service_description(endpoint_url: str, triples: int | None, fmt: str = "turtle") -> bytes:
    from qdgraph.presentation.formats import FORMATS, W3C_FORMATS, write
    from qdgraph.engine.results import GraphResult

    def sd(local):
        return ox.NamedNode(SD + local)

    svc = ox.NamedNode(endpoint_url)
    dataset, graph = ox.BlankNode("dataset"), ox.BlankNode("default")
    out = [
        ox.Triple(svc, RDF_TYPE, sd("Service")),
        ox.Triple(svc, sd("endpoint"), svc),
        ox.Triple(svc, sd("supportedLanguage"), sd("SPARQL11Query")),
        *[ox.Triple(svc, sd("resultFormat"), ox.NamedNode(W3C_FORMATS + f.w3c))
          for f in FORMATS.values() if f.http and f.w3c],
        ox.Triple(svc, sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), graph),
        ox.Triple(graph, RDF_TYPE, sd("Graph")),
    ]
    if triples is not None:
        out.append(ox.Triple(graph, ox.NamedNode(VOID + "triples"), ox.Literal(str(triples), datatype=ox.NamedNode(
            "http://www.w3.org/2001/XMLSchema#integer"))))
    return write(GraphResult(out), fmt).encode("utf-8")

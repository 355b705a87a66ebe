"""The SPARQL 1.1 service description (``GET /sparql`` without a query).

Built as RDF terms and written by pyoxigraph, so nothing from a request reaches the text.
"""
from __future__ import annotations

import pyoxigraph as ox

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RESULT_FORMATS = ["SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                  "Turtle", "N-Triples", "JSON-LD", "RDF_XML"]
RDF_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "json-ld": ox.RdfFormat.JSON_LD,
               "rdf-xml": ox.RdfFormat.RDF_XML}


def service_description(endpoint_url: str, triples: int | None, fmt: str = "turtle") -> bytes:
    def sd(local):
        return ox.NamedNode(SD + local)

    svc = ox.NamedNode(endpoint_url)
    dataset, graph = ox.BlankNode("dataset"), ox.BlankNode("default")
    out = [
        ox.Triple(svc, RDF_TYPE, sd("Service")),
        ox.Triple(svc, sd("endpoint"), svc),
        ox.Triple(svc, sd("supportedLanguage"), sd("SPARQL11Query")),
        *[ox.Triple(svc, sd("resultFormat"), ox.NamedNode(FORMATS + f)) for f in RESULT_FORMATS],
        ox.Triple(svc, sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), graph),
        ox.Triple(graph, RDF_TYPE, sd("Graph")),
    ]
    if triples is not None:
        out.append(ox.Triple(graph, ox.NamedNode(VOID + "triples"), ox.Literal(str(triples), datatype=ox.NamedNode(
            "http://www.w3.org/2001/XMLSchema#integer"))))
    prefixes = {"sd": SD, "formats": FORMATS, "void": VOID} if fmt == "turtle" else None
    return ox.serialize(out, format=RDF_FORMATS[fmt], prefixes=prefixes)

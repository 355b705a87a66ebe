"""Namespace prefixes predeclared in every query and used in every serialisation."""
from __future__ import annotations

import functools

QD = "https://w3id.org/qdgraph/ontology#"
QDR = "https://w3id.org/qdgraph/id/"

PREFIXES: dict[str, str] = {
    "qd": QD,
    "qdr": QDR,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "dcterms": "http://purl.org/dc/terms/",
    "qudt": "http://qudt.org/schema/qudt/",
    "unit": "http://qudt.org/vocab/unit/",
    "cur": "http://qudt.org/vocab/currency/",
    "time": "http://www.w3.org/2006/time#",
    "schema": "https://schema.org/",
    "oa": "http://www.w3.org/ns/oa#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "sh": "http://www.w3.org/ns/shacl#",
    # RDF Data Cube and the SDMX components it is used with (targets and observed values)
    "qb": "http://purl.org/linked-data/cube#",
    "sdmx-dimension": "http://purl.org/linked-data/sdmx/2009/dimension#",
    "sdmx-measure": "http://purl.org/linked-data/sdmx/2009/measure#",
    "sdmx-attribute": "http://purl.org/linked-data/sdmx/2009/attribute#",
}


def sparql_prologue() -> str:
    """PREFIX lines for the predeclared prefixes (for engines that take no prefix map)."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


@functools.lru_cache(maxsize=1 << 16)  # a lookup shortens the same few thousand IRIs many times
def shorten(iri: str) -> str:
    """``qd:Indicator`` for a known namespace, else the IRI in angle brackets."""
    for p, ns in PREFIXES.items():
        if iri.startswith(ns):
            local = iri[len(ns):]
            if local and all(c.isalnum() or c in "-_." for c in local):
                return f"{p}:{local}"
    return f"<{iri}>"


def expand(curie: str) -> str | None:
    """The full IRI of ``prefix:local`` for a known prefix, else None."""
    prefix, sep, local = curie.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return None

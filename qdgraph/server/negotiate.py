"""Content negotiation: which serialisation to answer with.

An explicit ``format`` (or ``output``) parameter wins over the Accept header, because that is
what browsers and tools such as SPARQLWrapper can set most easily. Format names are the CLI's
(``json``, ``xml``, ``csv``, ``tsv``; ``turtle``, ``json-ld``, ``nt``) plus ``rdf-xml``.
"""
from __future__ import annotations

from ..errors import QdgraphError


class NotAcceptable(QdgraphError):
    """No format we write matches what the client asked for."""

    http_status = 406


# media type -> format, in order of preference when the client accepts anything
RESULT_TYPES = [
    ("application/sparql-results+json", "json"), ("application/json", "json"),
    ("application/sparql-results+xml", "xml"), ("application/xml", "xml"), ("text/xml", "xml"),
    ("text/csv", "csv"), ("text/tab-separated-values", "tsv"),
]
GRAPH_TYPES = [
    ("text/turtle", "turtle"), ("application/x-turtle", "turtle"), ("text/n3", "turtle"),
    ("application/n-triples", "nt"), ("text/plain", "nt"),
    ("application/ld+json", "json-ld"), ("application/json", "json-ld"),
    ("application/rdf+xml", "rdf-xml"), ("application/xml", "rdf-xml"), ("text/xml", "rdf-xml"),
]
# values of ?format= / ?output= (the names SPARQLWrapper and other clients send)
RESULT_NAMES = {"json": "json", "srj": "json", "xml": "xml", "srx": "xml", "csv": "csv", "tsv": "tsv"}
GRAPH_NAMES = {"turtle": "turtle", "ttl": "turtle", "n3": "turtle", "nt": "nt", "ntriples": "nt",
               "n-triples": "nt", "json-ld": "json-ld", "jsonld": "json-ld", "json": "json-ld",
               "rdf-xml": "rdf-xml", "rdf+xml": "rdf-xml", "rdfxml": "rdf-xml", "rdf": "rdf-xml",
               "xml": "rdf-xml"}


def parse_accept(header: str | None) -> list[str]:
    """Media ranges of an Accept header, best first (q=0 dropped, ties keep their order)."""
    if not header:
        return ["*/*"]
    ranges = []
    for i, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for f in fields[1:]:
            k, _, v = f.partition("=")
            if k.strip().lower() == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
        if q > 0:
            ranges.append((-q, i, media))
    return [m for _, _, m in sorted(ranges)]


def choose(form: str, accept: str | None, requested: str | None = None) -> str:
    """The format for a query of ``form`` (SELECT, ASK, CONSTRUCT, DESCRIBE, or SD for the
    service description, which is a graph)."""
    graph = form in ("CONSTRUCT", "DESCRIBE", "SD")
    types = GRAPH_TYPES if graph else RESULT_TYPES
    if requested:
        names = GRAPH_NAMES if graph else RESULT_NAMES
        key = requested.strip().lower()
        by_type = dict(types)
        if key in names:
            return names[key]
        if key.split(";")[0].strip() in by_type:
            return by_type[key.split(";")[0].strip()]
        raise NotAcceptable(f"format {requested!r} is not available for {form_name(form)}; "
                            f"use one of: {', '.join(sorted(set(names.values())))}")
    for media in parse_accept(accept):
        if media == "*/*":
            return types[0][1]
        if media.endswith("/*"):
            major = media[:-1]
            for t, fmt in types:
                if t.startswith(major):
                    return fmt
            continue
        for t, fmt in types:
            if t == media:
                return fmt
    raise NotAcceptable(f"cannot answer {form_name(form)} as {accept!r}; available: "
                        + ", ".join(dict.fromkeys(t for t, _ in types)))


def form_name(form: str) -> str:
    return {"SD": "the service description", "CONSTRUCT": "CONSTRUCT/DESCRIBE", "DESCRIBE": "CONSTRUCT/DESCRIBE",
            "ASK": "SELECT/ASK", "SELECT": "SELECT/ASK"}.get(form, form)

"""Content negotiation: which serialisation to answer with.

An explicit ``format`` (or ``output``) parameter wins over the Accept header, because that is
what browsers and tools such as SPARQLWrapper can set most easily. Formats, their media types
and the names clients send come from the registry (``qdgraph.presentation.formats``).
"""
from __future__ import annotations

from qdgraph.errors import QdgraphError
from qdgraph.presentation.formats import by_request_name, get, media_types


class NotAcceptable(QdgraphError):
    """No format we write matches what the client asked for."""

    http_status = 406


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
    kind = "graph" if form in ("CONSTRUCT", "DESCRIBE", "SD") else "select"
    types = media_types(kind)
    if requested:
        names = by_request_name(kind)
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
            # a format whose own media type is of that kind first: text/* is CSV, not the
            # XML that also answers to the alias text/xml
            major = media[:-1]
            matches = [fmt for t, fmt in types if t.startswith(major)]
            own = [fmt for fmt in matches if get(fmt).media_type.startswith(major)]
            if own or matches:
                return (own or matches)[0]
            continue
        for t, fmt in types:
            if t == media:
                return fmt
    raise NotAcceptable(f"cannot answer {form_name(form)} as {accept!r}; available: "
                        + ", ".join(dict.fromkeys(t for t, _ in types)))


def form_name(form: str) -> str:
    return {"SD": "the service description", "CONSTRUCT": "CONSTRUCT/DESCRIBE", "DESCRIBE": "CONSTRUCT/DESCRIBE",
            "ASK": "SELECT/ASK", "SELECT": "SELECT/ASK"}.get(form, form)


def asks_for_html(accept: str | None) -> bool:
    """Whether a client names a web page before anything else it takes (a browser does;
    curl and SPARQL clients, which send */* or result types, do not)."""
    for media in parse_accept(accept):
        if media in ("text/html", "application/xhtml+xml"):
            return True
        if media != "*/*":
            return False
    return False


def prefers_html(accept: str | None) -> bool:
    """Whether a client that dereferences an IRI wants a page (a browser, or anything that
    takes */*) rather than RDF: the first media range it names decides."""
    for media in parse_accept(accept):
        if media in ("text/html", "application/xhtml+xml", "*/*", "text/*"):
            return True
        if media in dict(media_types("graph")) or media.endswith("/*"):
            return False
    return False

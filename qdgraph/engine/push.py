"""``qdgraph push``: upload the graph (ontology and data) to a remote triple store.

Two ways, both idempotent (pushing twice leaves the same graph):

- SPARQL 1.1 Graph Store Protocol: one ``PUT`` of the whole graph as N-Triples, which replaces
  the target graph. Oxigraph: ``http://HOST:PORT/store``; Virtuoso: ``http://HOST:8890/sparql-graph-crud-auth``
  (HTTP Digest login). Blank nodes (a quote's selectors, a period's instants) stay blank: one
  request carries them all, so each stays attached to what it is about.
- SPARQL 1.1 Update (``--update URL``): ``DROP SILENT`` the target graph, then ``INSERT DATA``
  in chunks. Blank nodes are only the same node within one request, and some stores refuse them
  in ``INSERT DATA`` (Virtuoso: SP031), so they are sent *skolemised*: ``_:b`` becomes the IRI
  ``https://w3id.org/qdgraph/.well-known/genid/b`` (RDF 1.1 §3.5). Queries see the same graph,
  except that ``isBlank`` is false for selectors and instants.

Target graph: ``--graph IRI``, else the store's default graph; a store that has no plain
default graph (Virtuoso: its default graph is the union of all graphs) refuses that, and then
the graph goes to the named graph ``https://w3id.org/qdgraph/graph`` (query it with
``--endpoint 'URL?default-graph-uri=https://w3id.org/qdgraph/graph'``).

The store's reply is judged by what the protocols say a store answers: a Graph Store ``PUT``
succeeds with 200, 201 or 204, an UPDATE with 200 or 204, and either with an empty body or one
that is not a web page (``text/html``, XHTML). A login or portal page in front of the store,
however it starts, is not a store accepting a graph. The store's own words are shown to the user.
Credentials come from ``user``, the URL or netrc (``qdgraph.engine.httpclient``), never printed.
"""
from __future__ import annotations

import json
import re
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, replace
from typing import Iterable, Iterator

import pyoxigraph as ox

from qdgraph.errors import QueryTimeout, UsageError
from qdgraph.engine.httpclient import EndpointError, Reply, Target, check, first_line, redact, request, target

N_TRIPLES = "application/n-triples"
SPARQL_UPDATE = "application/sparql-update; charset=utf-8"
# triples per INSERT DATA request: Virtuoso compiles each to SQL and refuses ~1,500 and more;
# 500 was its fastest size (and costs Oxigraph little)
CHUNK = 500
NAMED_GRAPH = "https://w3id.org/qdgraph/graph"  # where the graph goes when a store has no plain default graph
GENID = "https://w3id.org/qdgraph/.well-known/genid/"


@dataclass
class Pushed:
    triples: int
    url: str  # as shown (no password)
    graph: str | None  # None: the default graph
    answer: str  # the store's own words
    note: str = ""  # e.g. why the graph went to a named graph


def triples_of(kg) -> Iterator["ox.Triple"]:
    """Every triple of the graph; triples of named graphs go to the one target graph too."""
    for q in kg.quads():
        yield q.triple


def skolemise(triples: Iterable["ox.Triple"]) -> Iterator["ox.Triple"]:
    """The triples with every blank node replaced by its genid IRI (same label, same IRI)."""
    def iri(term):
        return ox.NamedNode(GENID + term.value) if isinstance(term, ox.BlankNode) else term

    for t in triples:
        yield ox.Triple(iri(t.subject), t.predicate, iri(t.object))


def graph_node(graph: str | None) -> "ox.NamedNode | None":
    if graph is None:
        return None
    try:
        return ox.NamedNode(graph)
    except ValueError as err:
        raise UsageError(f"graph {graph!r} is not an IRI: {err}").for_cli(f"--graph {graph!r} is not an IRI: {err}") from None


def gsp_url(tgt: Target, graph: str | None) -> Target:
    """The Graph Store Protocol URL of the target graph (``?default`` or ``?graph=IRI``)."""
    sep = "&" if urllib.parse.urlsplit(tgt.url).query else "?"
    suffix = sep + ("default" if graph is None else "graph=" + urllib.parse.quote(graph, safe=""))
    return replace(tgt, url=tgt.url + suffix, shown=tgt.shown + suffix)


class _Deadline:
    """One time budget for the whole push, however many requests it takes."""

    def __init__(self, seconds: float):
        self.seconds, self.end = seconds, time.monotonic() + seconds

    def request(self, tgt: Target, **kw) -> Reply:
        try:
            return request(tgt, timeout=self.seconds, deadline=self.end, **kw)
        except QueryTimeout:
            words = f"{tgt.shown}: the push did not finish within {self.seconds:g} s"
            raise QueryTimeout(words).for_cli(words + " (--timeout)") from None


def push_graph_store(kg, store_url: str, graph: str | None = None, timeout: float = 300.0,
                     user: str | None = None) -> Pushed:
    """PUT the whole graph to a Graph Store Protocol endpoint."""
    graph_node(graph)
    tgt = target(store_url, user)
    deadline = _Deadline(timeout)
    count = 0

    def counted(triples):
        nonlocal count
        for t in triples:
            count += 1
            yield t

    # Written to a temporary file first: the body gets a Content-Length (which every store
    # accepts) without the whole serialisation held in memory.
    with tempfile.TemporaryFile() as body:
        ox.serialize(counted(triples_of(kg)), body, format=ox.RdfFormat.N_TRIPLES)

        def put(g):
            body.seek(0)
            return deadline.request(gsp_url(tgt, g), method="PUT", body=body, headers={"Content-Type": N_TRIPLES})

        reply = put(graph)
        note = ""
        if graph is None and _no_default_graph(reply):
            note = _named_note(reply)
            graph, reply = NAMED_GRAPH, put(NAMED_GRAPH)
    accepted(reply, GRAPH_STORE_OK)
    return Pushed(count, tgt.shown, graph, _answer(reply), note)


def chunks(triples: Iterable["ox.Triple"], size: int = CHUNK) -> Iterator[list]:
    """Batches of ``size`` triples (blank nodes are skolemised first, so any split is safe)."""
    batch: list = []
    for t in triples:
        batch.append(t)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def update_requests(triples: Iterable["ox.Triple"], graph: str | None, size: int = CHUNK) -> Iterator[str]:
    """The UPDATE requests that replace the target graph with ``triples``. The DROP travels
    with the first INSERT, so a graph that fits one chunk is replaced in one atomic request."""
    node = graph_node(graph)
    drop = "DROP SILENT DEFAULT" if node is None else f"DROP SILENT GRAPH {node}"
    first = True
    for batch in chunks(skolemise(triples), size):
        body = "\n".join(f"{t.subject} {t.predicate} {t.object} ." for t in batch)  # N-Triples terms, escaped by pyoxigraph
        insert = f"INSERT DATA {{\n{body}\n}}" if node is None else f"INSERT DATA {{ GRAPH {node} {{\n{body}\n}} }}"
        yield (drop + " ;\n" + insert) if first else insert
        first = False
    if first:  # an empty graph: still replace what was there
        yield drop


def push_update(kg, update_url: str, graph: str | None = None, timeout: float = 300.0, size: int = CHUNK,
                user: str | None = None) -> Pushed:
    """Replace the target graph through a SPARQL UPDATE endpoint."""
    graph_node(graph)
    tgt = target(update_url, user)
    deadline = _Deadline(timeout)
    triples = list(triples_of(kg))
    note = ""

    def send(text):
        return deadline.request(tgt, method="POST", body=text.encode("utf-8"),
                                headers={"Content-Type": SPARQL_UPDATE, "Accept": "application/sparql-results+json, text/plain;q=0.9"})

    requests = update_requests(triples, graph, size)
    reply = send(next(requests))
    if graph is None and _no_default_graph(reply):
        note = _named_note(reply)
        graph = NAMED_GRAPH
        requests = update_requests(triples, graph, size)
        reply = send(next(requests))
    accepted(reply, UPDATE_OK)
    answers = [_answer(reply)]
    for text in requests:
        reply = accepted(send(text), UPDATE_OK)
        answers.append(_answer(reply))
    return Pushed(len(triples), tgt.shown, graph, answers[0] if len(answers) == 1 else
                  f"{answers[0]} … ({len(answers)} requests) … {answers[-1]}", note)


def _no_default_graph(reply: Reply) -> bool:
    # Virtuoso: 'contains "default" param but the endpoint is not configured to have default graph'
    # (Graph Store) and 'CLEAR DEFAULT operator requires declaration of a plain default graph' (UPDATE)
    return reply.status >= 400 and reply.status not in (401, 403, 404, 407) and b"default" in reply.body.lower()


def _named_note(reply: Reply) -> str:
    return (f"the store has no plain default graph ({first_line(reply.body)[:160]}), so the graph went to the named "
            f"graph <{NAMED_GRAPH}>; query it with --endpoint 'SPARQL_URL?default-graph-uri={NAMED_GRAPH}'")


GRAPH_STORE_OK = (200, 201, 204)  # SPARQL 1.1 Graph Store Protocol §5.3 (PUT)
UPDATE_OK = (200, 204)  # SPARQL 1.1 Protocol §2.2: success is 2XX; stores answer 200 or 204
_PAGE_TYPES = ("text/html", "application/xhtml+xml")  # what a person reads, never a store's answer
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)


def accepted(reply: Reply, ok: tuple[int, ...] = GRAPH_STORE_OK) -> Reply:
    """The reply, if it is a store accepting the data: a status in ``ok`` and a body that is
    empty or not a web page (by its media type; an untyped body cannot be told from one).
    Else an EndpointError saying why."""
    check(reply)
    if reply.status not in ok:
        raise EndpointError(f"{reply.url} answered {reply.status} {reply.reason}, not a store's success"
                            + (f" (Location: {redact(reply.headers['Location'])})" if reply.headers.get("Location") else ""))
    if reply.body.strip() and (reply.content_type in _PAGE_TYPES or not reply.content_type):
        m = _TITLE.search(reply.body)
        said = first_line(m.group(1) if m else reply.body) or first_line(re.sub(rb"<[^>]*>", b" ", reply.body))
        kind = "a web page" if reply.content_type else "a reply with no media type"
        raise EndpointError(f"{reply.url} answered {reply.status} with {kind} ({said[:120]!r}), not a store's reply: "
                            "nothing was stored. Is it a login page? Give the store's Graph Store or UPDATE URL and "
                            "credentials (--user, the URL or ~/.netrc)")
    return reply


def _answer(reply: Reply) -> str:
    """The store's own words: the status, and the message in its reply (SPARQL JSON or text)."""
    said = ""
    if reply.content_type.endswith("json"):
        try:
            doc = json.loads(reply.body)
            said = " ".join(str(v.get("value", "")) for b in doc["results"]["bindings"] for v in b.values())
        except (ValueError, KeyError, TypeError, AttributeError):
            said = ""
    said = first_line(said or reply.body)
    return f"{reply.status} {reply.reason}" + (f": {said}" if said else "")

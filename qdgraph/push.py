"""``qdgraph push``: upload the graph (ontology and data) to a remote triple store.

Two ways, both idempotent (pushing twice leaves the same graph):

- SPARQL 1.1 Graph Store Protocol: one ``PUT`` of the whole graph as N-Triples, which replaces
  the target graph (the default graph, or ``--graph IRI``). With Oxigraph the URL is
  ``http://HOST:PORT/store``.
- SPARQL 1.1 Update (``--update URL``): ``DROP SILENT`` the target graph, then ``INSERT DATA``
  in chunks.

Blank nodes (a quote's selectors, a period's instants) are only the same node within one
request, so a PUT sends everything at once, and UPDATE chunks never split the triples that
share a blank node: a selector arrives whole, still attached to its quote.
"""
from __future__ import annotations

import tempfile
import urllib.parse
from typing import Iterable, Iterator

import pyoxigraph as ox

from .errors import UsageError
from .remote import check_url, http_request

N_TRIPLES = "application/n-triples"
SPARQL_UPDATE = "application/sparql-update; charset=utf-8"
CHUNK = 10_000  # triples per INSERT DATA request: large enough to be quick, small enough for any server


def triples_of(kg) -> Iterator["ox.Triple"]:
    """Every triple of the graph; triples of named graphs go to the one target graph too."""
    for q in kg.quads():
        yield q.triple


def graph_node(graph: str | None) -> "ox.NamedNode | None":
    if graph is None:
        return None
    try:
        return ox.NamedNode(graph)
    except ValueError as err:
        raise UsageError(f"--graph {graph!r} is not an IRI: {err}") from None


def gsp_url(store_url: str, graph: str | None) -> str:
    """The Graph Store Protocol URL of the target graph (``?default`` or ``?graph=IRI``)."""
    check_url(store_url)
    sep = "&" if urllib.parse.urlsplit(store_url).query else "?"
    return store_url + sep + ("default" if graph is None else "graph=" + urllib.parse.quote(graph, safe=""))


def push_graph_store(kg, store_url: str, graph: str | None = None, timeout: float = 300.0) -> int:
    """PUT the whole graph to a Graph Store Protocol endpoint; the number of triples sent."""
    graph_node(graph)
    url = gsp_url(store_url, graph)
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
        size = body.tell()
        body.seek(0)
        http_request(url, data=body, method="PUT", timeout=timeout,
                     headers={"Content-Type": N_TRIPLES, "Content-Length": str(size)})
    return count


def chunks(triples: Iterable["ox.Triple"], size: int = CHUNK) -> Iterator[list]:
    """Batches of about ``size`` triples; all triples linked through blank nodes stay in one batch."""
    plain: list = []
    parent: dict = {}

    def find(b):
        while parent[b] != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        return b

    linked: list = []
    for t in triples:
        blanks = [x for x in (t.subject, t.object) if isinstance(x, ox.BlankNode)]
        if not blanks:
            plain.append(t)
            if len(plain) >= size:
                yield plain
                plain = []
            continue
        for b in blanks:
            parent.setdefault(b, b)
        if len(blanks) == 2:
            ra, rb = find(blanks[0]), find(blanks[1])
            if ra != rb:
                parent[ra] = rb
        linked.append((blanks[0], t))
    groups: dict = {}
    for b, t in linked:
        groups.setdefault(find(b), []).append(t)
    batch = plain
    for group in groups.values():
        if batch and len(batch) + len(group) > size:
            yield batch
            batch = []
        batch.extend(group)
    if batch:
        yield batch


def update_requests(triples: Iterable["ox.Triple"], graph: str | None, size: int = CHUNK) -> Iterator[str]:
    """The UPDATE requests that replace the target graph with ``triples``. The DROP travels
    with the first INSERT, so a graph that fits one chunk is replaced in one atomic request."""
    node = graph_node(graph)
    drop = "DROP SILENT DEFAULT" if node is None else f"DROP SILENT GRAPH {node}"
    first = True
    for batch in chunks(triples, size):
        body = "\n".join(f"{t.subject} {t.predicate} {t.object} ." for t in batch)  # N-Triples terms, escaped by pyoxigraph
        insert = f"INSERT DATA {{\n{body}\n}}" if node is None else f"INSERT DATA {{ GRAPH {node} {{\n{body}\n}} }}"
        yield (drop + " ;\n" + insert) if first else insert
        first = False
    if first:  # an empty graph: still replace what was there
        yield drop


def push_update(kg, update_url: str, graph: str | None = None, timeout: float = 300.0, size: int = CHUNK) -> int:
    """Replace the target graph through a SPARQL UPDATE endpoint; the number of triples sent."""
    check_url(update_url)
    triples = list(triples_of(kg))
    for request in update_requests(triples, graph, size):
        http_request(update_url, data=request.encode("utf-8"), method="POST", timeout=timeout,
                     headers={"Content-Type": SPARQL_UPDATE})
    return len(triples)

"""The read-only / offline guard: no query, however spelled, makes qdgraph (CLI, library or
server) open a connection or change the store.

A local listener counts every connection; every SERVICE spelling points at it. The spellings
come from the W3C SPARQL 1.1 syntax suites (``syntax-fed``, ``syntax-update-*``, read from the
shared folder) and from generated variants of the tricks that got past the old regex guard."""
from __future__ import annotations

import itertools
import os
import re
import socket
import threading
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import ROOT

SHARED = Path(os.environ.get("QDGRAPH_SHARED") or ROOT.parent / "shared")
W3C = SHARED / "w3c" / "sparql11"


class Listener:
    """A TCP listener on loopback that counts connections and answers each with an empty
    SPARQL result, so a query that did reach it would succeed visibly."""

    BODY = b'{"head":{"vars":["a"]},"results":{"bindings":[{"a":{"type":"literal","value":"LEAKED"}}]}}'

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self.count = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.count += 1
            try:
                conn.settimeout(2)
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                             b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(self.BODY) + self.BODY)
            except OSError:
                pass
            finally:
                conn.close()


@pytest.fixture(scope="module")
def listener():
    lst = Listener()
    yield lst
    lst.sock.close()


# ------------------------------------------------------------------ the spellings
def generated(url: str) -> list[str]:
    """SERVICE in every position and spelling that reaches Oxigraph's SERVICE operator."""
    iri = f"<{url}>"
    pro = f"PREFIX ex: <{url.rsplit('/', 1)[0]}/> "
    inner = "{ ?a ?b ?c }"
    cases = []
    for kw in ("SERVICE", "service", "Service", "sErViCe"):
        for silent in ("", " SILENT", " silent"):
            svc = f"{kw}{silent} {iri} {inner}"
            cases += [
                f"SELECT * WHERE {{ ?s a qd:Pillar .{svc} }}",
                f"SELECT * WHERE {{ ?s a qd:Pillar . {svc} }}",
                f"SELECT * WHERE {{ ?s a qd:Pillar {svc} }}",
                f"SELECT * WHERE {{ {svc} }}",
                f"SELECT*WHERE{{{svc}}}",
                f"SELECT * WHERE {{ ?s a qd:Pillar # comment\n{svc} }}",
                f"SELECT * WHERE {{ ?s a qd:Pillar # comment\r{svc} }}",
                f"SELECT * WHERE {{ ?s a qd:Pillar #\r\n{svc} }}",
                f"SELECT * WHERE {{ {{ SELECT * WHERE {{ {svc} }} }} }}",
                f"SELECT * WHERE {{ OPTIONAL {{ {svc} }} }}",
                f"SELECT * WHERE {{ {{ ?s a qd:Pillar }} UNION {{ {svc} }} }}",
                f"SELECT * WHERE {{ ?s a qd:Pillar FILTER EXISTS {{ {svc} }} }}",
                f"SELECT * WHERE {{ ?s a qd:Pillar MINUS {{ {svc} }} }}",
                f"SELECT * WHERE {{ GRAPH ?g {{ {svc} }} }}",
                f"SELECT * WHERE {{ BIND(1 AS ?x){svc} }}",
                f"SELECT * WHERE {{ FILTER(true){svc} }}",
                f"SELECT * WHERE {{ ?s ?p 1{svc} }}",
                f"SELECT * WHERE {{ ?s ?p 'x'{svc} }}",
                f"SELECT * WHERE {{ ?s ?p []{svc} }}",
                f"ASK {{ {svc} }}",
                f"ASK WHERE {{ {svc} }}",
                f"DESCRIBE ?a WHERE {{ {svc} }}",
                f"CONSTRUCT {{ ?a ?b ?c }} WHERE {{ {svc} }}",
                f"{pro}SELECT * WHERE {{ {kw}{silent} ex:sparql {inner} }}",
                f"{pro}SELECT * WHERE {{ {kw}ex:sparql {inner} }}",
                f"SELECT * WHERE {{ {kw}{silent} ?u {inner} }} VALUES ?u {{ {iri} }}",
                f"SELECT * WHERE {{ VALUES ?u {{ {iri} }} {kw}{silent}?u{inner} }}",
                f"SELECT * WHERE {{ FILTER(1<2){kw}#>\n{iri}{inner} }}",
                f"SELECT * WHERE {{ FILTER(1<2).{kw}#>\n{iri}{inner} }}",
                f"SELECT * WHERE {{ ?s ?p ?o FILTER(?o<'>'){kw} {iri} {inner} FILTER(?o!='') }}",
            ]
    return cases


def _w3c(folder: str, pattern: str) -> list[Path]:
    d = W3C / folder
    return sorted(d.glob(pattern)) if d.is_dir() else []


def w3c_service_queries(url: str) -> list[str]:
    """The W3C federation syntax tests with every IRI after SERVICE pointed at the listener."""
    out = []
    for f in _w3c("syntax-fed", "*.rq"):
        text = f.read_text(encoding="utf-8")
        out.append(re.sub(r"(SERVICE\s+(?:SILENT\s+)?)<[^>]*>", lambda m: m.group(1) + f"<{url}>", text, flags=re.I))
    return out


def w3c_updates() -> list[Path]:
    return [*_w3c("syntax-update-1", "*.ru"), *_w3c("syntax-update-2", "*.ru")]


needs_w3c = pytest.mark.skipif(not W3C.is_dir(), reason=f"W3C SPARQL suites not found at {W3C} (set QDGRAPH_SHARED)")


# ------------------------------------------------------------------ the listener can tell
def test_listener_counts_a_real_service_call(listener):
    """Without the guard, Oxigraph does connect: the test below could fail."""
    before = listener.count
    rows = list(ox.Store().query(f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?a ?b ?c }} }}"))
    assert listener.count == before + 1
    assert rows and rows[0]["a"].value == "LEAKED"


# ------------------------------------------------------------------ library and CLI
def test_every_generated_spelling_is_refused_without_a_connection(kg, listener):
    from qdgraph.errors import UnsafeQueryError

    before = listener.count
    cases = generated(listener.url)
    assert len(cases) > 300
    leaked = []
    for q in cases:
        try:
            kg.query(q)
            leaked.append(q)
        except UnsafeQueryError:
            pass
    assert not leaked, leaked[:5]
    assert listener.count == before


@needs_w3c
def test_w3c_federation_syntax_tests_are_refused(kg, listener):
    from qdgraph.errors import UnsafeQueryError

    before = listener.count
    queries = w3c_service_queries(listener.url)
    assert queries
    for q in queries:
        with pytest.raises(UnsafeQueryError):
            kg.query(q)
    assert listener.count == before


@needs_w3c
def test_w3c_update_syntax_tests_never_run(kg):
    """Every update in the W3C suites is refused before the engine sees it; the graph is as before."""
    from qdgraph.errors import QdgraphError, UnsafeQueryError

    files = w3c_updates()
    assert len(files) > 50
    size = len(kg)
    unsafe = 0
    for f in files:
        text = f.read_text(encoding="utf-8")
        with pytest.raises(QdgraphError):
            kg.query(text)
        try:
            kg.query(text)
        except UnsafeQueryError:
            unsafe += 1
        except QdgraphError:
            pass
    # Updates with an operation keyword are refused as updates, not merely as bad syntax
    # (the suite's few empty or prologue-only requests are "not a query").
    assert unsafe >= len(files) - 5
    assert len(kg) == size


def test_cli_refuses_with_one_line_and_no_connection(listener, capsys):
    from qdgraph.interfaces.cli import run

    before = listener.count
    q = f"SELECT * WHERE {{ ?s a qd:Pillar .SERVICE <{listener.url}> {{ ?a ?b ?c }} }}"
    assert run(["query", q]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("qdgraph: error: line 1: SERVICE is not allowed") and err.count("\n") == 1
    assert "LEAKED" not in out + err
    assert listener.count == before


@pytest.mark.parametrize("query", [
    "SELECT ?s WHERE { ?s a <http://www.w3.org/ns/sparql-service-description#Service> }",
    "PREFIX sd: <http://www.w3.org/ns/sparql-service-description#> SELECT ?s WHERE { ?s a sd:Service }",
    'SELECT ?s WHERE { ?s rdfs:label "SERVICE from LOAD" }',
    "SELECT ?s WHERE { ?s <http://example.org/service/from> ?o } # SERVICE <http://x/>",
    "SELECT ?s WHERE { ?s ?p ?o FILTER(?o < 3) }",
    "SELECT ?s WHERE { ?s ?p ?o FILTER(?o<3 && ?o>1) }",
    "SELECT ?service ?from WHERE { ?service ?from ?o }",
])
def test_harmless_look_alikes_still_run(kg, query):
    kg.query(query)  # no UnsafeQueryError


@pytest.mark.parametrize("query", [
    "SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
    "SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
])
def test_from_is_resolved_against_held_graphs_never_fetched(kg, listener, query):
    """FROM passes the guard only for the store engine, which reads graphs it holds: a graph it
    does not hold is refused (the --reason closure holds none), and an endpoint refuses FROM."""
    from qdgraph.errors import UnsafeQueryError, UsageError
    from qdgraph.engine.graph import open_graph
    from qdgraph.engine.remote import EndpointBackend
    from qdgraph.engine.sparql import check_read_only

    q = query.format(url=listener.url)
    before = listener.count
    with pytest.raises(UnsafeQueryError, match="FROM"):
        check_read_only(q)  # the guard itself still refuses FROM unless told otherwise
    assert check_read_only(q, allow_from=True) == "SELECT"
    with pytest.raises(UsageError, match="no graph"):
        kg.query(q)
    with pytest.raises(UsageError, match="no graph"):  # a closure of any graph holds no named graph
        open_graph([ROOT / "ontology" / "qdgraph.ttl"], bundled=False, reason="rdfs").query(q)
    with pytest.raises(UnsafeQueryError, match="FROM"):
        EndpointBackend(listener.url).query(q, {})
    assert listener.count == before


# ------------------------------------------------------------------ server
@pytest.mark.server
def test_server_refuses_every_spelling_without_a_connection(tmp_path_factory, _private_cache, listener):
    import urllib.parse

    from test_server import http, start_qdgraph

    proc, base = start_qdgraph(tmp_path_factory.mktemp("guard"))
    try:
        before = listener.count
        cases = generated(listener.url) + w3c_service_queries(listener.url)
        statuses = set()
        for q in itertools.islice(cases, None):
            status, _, body = http("POST", base + "/sparql", urllib.parse.urlencode({"query": q}).encode(),
                                   {"Content-Type": "application/x-www-form-urlencoded"})
            statuses.add(status)
            assert b"LEAKED" not in body
        assert statuses == {403}
        assert listener.count == before
    finally:
        proc.stop()


def test_code_templates_with_iris_put_in_are_guarded_by_their_template(kg, monkeypatch):
    """``kg.query_iris``: the template is what the guard reads (SERVICE in it is refused); the
    IRIs put in are IRIs only (one spelling SERVICE is just a name, and the text is not read
    by the second grammar for it), and text posing as an IRI never reaches the engine."""
    from qdgraph.engine import guard
    from qdgraph.errors import UnsafeQueryError

    label = "SELECT ?l WHERE { VALUES ?i { @iris@ } ?i rdfs:label ?l FILTER (?i NOT IN (@skip,@)) }"
    services = kg.resolve("生产性服务业占服务业增加值比重")
    assert "services" in services  # a stored IRI that spells the refused word
    read = []
    monkeypatch.setattr(guard, "rdflib_reading", lambda text: read.append(text) or guard.Reading(False))
    rows = kg.query_iris(label, iris=[services], skip=[kg.resolve("歌尔")]).rows
    assert {r["l"].value for r in rows} >= {"生产性服务业占服务业增加值比重"} and read == []
    with pytest.raises(UnsafeQueryError):
        kg.query_iris("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { VALUES ?i { @iris@ } ?i ?p ?o } }", iris=[services])
    with pytest.raises(ValueError):
        kg.query_iris(label, iris=[services + "> } SERVICE <http://127.0.0.1:9/"], skip=[])

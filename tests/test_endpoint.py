"""`qdgraph push` to a real Oxigraph server, and every lookup through
`--endpoint` giving the same output as the embedded graph."""
from __future__ import annotations

import json
import socket
import time
import urllib.request

import pyoxigraph as ox
import pytest

from conftest import assert_one_line_error
from test_server import Proc

pytestmark = pytest.mark.server

GRAPH = "https://w3id.org/qdgraph/test-graph"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory):
    """A real Oxigraph server (PyPI package `oxigraph`) on a free loopback port."""
    tmp = tmp_path_factory.mktemp("oxigraph")
    port = free_port()
    p = Proc(["oxigraph", "serve", "--location", str(tmp / "db"), "--bind", f"127.0.0.1:{port}"], tmp / "oxigraph.log")
    base = f"http://127.0.0.1:{port}"
    try:
        end = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/query?query=ASK%7B%7D", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > end or p.proc.poll() is not None:
                    raise RuntimeError("oxigraph did not start:\n" + p.text())
                time.sleep(0.1)
        yield base
    finally:
        p.stop()


def count(base: str, graph: str | None = None) -> int:
    q = f"SELECT (COUNT(*) AS ?n) WHERE {{ {'GRAPH <' + graph + '> ' if graph else ''}{{ ?s ?p ?o }} }}"
    with urllib.request.urlopen(urllib.request.Request(
            base + "/query", data=q.encode(), headers={"Content-Type": "application/sparql-query",
                                                       "Accept": "application/sparql-results+json"})) as r:
        return int(json.loads(r.read())["results"]["bindings"][0]["n"]["value"])


CLAIMS = """SELECT (COUNT(*) AS ?n) WHERE { ?c a qd:Claim ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ;
    qd:basis ?b . ?s ?p ?o }"""


@pytest.fixture(scope="module")
def pushed(oxigraph, kg, _private_cache):
    from conftest import invoke

    for _ in range(2):  # twice: the second push must change nothing
        res = invoke("push", oxigraph + "/store")
        assert res.code == 0, res
        assert f"pushed {len(kg)} triples" in res.err
        assert count(oxigraph) == len(kg)
    return oxigraph + "/query"


@pytest.fixture(scope="module")
def remote(pushed):
    from qdgraph.graph import open_graph

    return open_graph(endpoint=pushed)


def test_push_is_idempotent_and_keeps_claims_connected(pushed, remote, kg):
    assert len(remote) == len(kg)
    # every reified claim still points at a triple of the graph: blank nodes kept together
    assert remote.query(CLAIMS).rows[0]["n"].value == kg.query(CLAIMS).rows[0]["n"].value
    ground = sorted(str(q) for q in remote.quads() if not _has_blank(q))
    assert ground == sorted(str(ox.Quad(q.subject, q.predicate, q.object)) for q in kg.quads() if not _has_blank(q))


def _has_blank(q) -> bool:
    return isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)


def test_push_with_sparql_update_to_a_named_graph(oxigraph, kg):
    from qdgraph.push import push_update

    for _ in range(2):
        assert push_update(kg, oxigraph + "/update", GRAPH, size=500) == len(kg)  # small chunks: many requests
        assert count(oxigraph, GRAPH) == len(kg)
    claims = CLAIMS.replace("WHERE {", "WHERE { GRAPH <%s> {" % GRAPH) + " }"
    from qdgraph.graph import open_graph

    assert (open_graph(endpoint=oxigraph + "/query").query(claims).rows[0]["n"].value
            == kg.query(CLAIMS).rows[0]["n"].value)
    assert count(oxigraph) == len(kg)  # the default graph is untouched


def test_measures_for_every_indicator_match(remote, kg):
    from qdgraph.errors import QdgraphError
    from qdgraph.measures import measures_for

    rows = kg.query("SELECT ?i ?zh ?en WHERE { ?i a qd:Indicator ; rdfs:label ?zh, ?en "
                    "FILTER(lang(?zh) = 'zh' && lang(?en) = 'en') }").rows
    assert rows
    for r in rows:
        for name in (r["zh"].value, r["en"].value):
            try:
                want = measures_for(kg, name).to_dict()
            except QdgraphError as err:
                want = str(err)
            try:
                got = measures_for(remote, name).to_dict()
            except QdgraphError as err:
                got = str(err)
            assert got == want, name


def _cli_pair(*args):
    from conftest import invoke

    local = invoke(*args)
    far = invoke(*args, "--endpoint", ENDPOINT[0])
    assert (far.code, far.out, far.err) == (local.code, local.out, local.err), (local, far)
    return local


ENDPOINT: list = []


@pytest.fixture
def endpoint(pushed):
    ENDPOINT[:] = [pushed]
    return pushed


def test_cli_lookups_through_endpoint_match(endpoint, kg):
    ind = kg.query("SELECT ?zh WHERE { ?i a qd:Indicator ; rdfs:label ?zh FILTER(lang(?zh)='zh') } ORDER BY ?i LIMIT 1").rows
    chain = kg.query("SELECT ?zh WHERE { ?c a qd:IndustryChain ; rdfs:label ?zh FILTER(lang(?zh)='zh') } ORDER BY ?c LIMIT 1").rows
    name = ind[0]["zh"].value if ind else "人才总量"
    _cli_pair("measures", name)
    _cli_pair("measures", name, "--format", "json", "--lang", "en")
    _cli_pair("show", chain[0]["zh"].value if chain else "青岛")
    _cli_pair("show", name, "--format", "json")
    _cli_pair("search", name[:2])
    _cli_pair("indicators")
    _cli_pair("chains", "--format", "json")
    _cli_pair("query", "SELECT ?i ?l WHERE { ?i a qd:Indicator ; rdfs:label ?l } ORDER BY ?i ?l", "--format", "csv")
    _cli_pair("query", "--name", "measures-for-indicator", "--param", "indicator=qdr:indicator-gdp", "--format", "json")
    _cli_pair("query", "ASK { ?s a qd:Pillar }")


def test_endpoint_errors_are_one_line(cli, pushed):
    res = cli("measures", "x", "--endpoint", f"http://127.0.0.1:{free_port()}/query")
    assert_one_line_error(res, 1, "cannot reach http://127.0.0.1:")
    res = cli("measures", "x", "--endpoint", pushed.replace("/query", "/nope"))
    assert_one_line_error(res, 1, "/nope answered 404")
    res = cli("measures", "x", "--endpoint", "ftp://example.org/sparql")
    assert_one_line_error(res, 2, "not an http(s) URL")
    res = cli("query", "SELECT * WHERE { ?s ?p }", "--endpoint", pushed)
    assert res.code != 0 and "Traceback" not in res.err and len(res.err.strip().splitlines()) == 1


def test_push_errors_are_one_line(cli):
    res = cli("push")
    assert_one_line_error(res, 2, "STORE_URL")
    res = cli("push", f"http://127.0.0.1:{free_port()}/store")
    assert_one_line_error(res, 1, "cannot reach")
    res = cli("push", "http://127.0.0.1:1/store", "--graph", "not an iri")
    assert_one_line_error(res, 2, "--graph")


# ------------------------------------------------------------------ binding parameters (no server)
def test_values_block_opens_the_where_group():
    from qdgraph.remote import bind_values

    params = {"x": ox.Literal('say "WHERE {" } #', language="zh"), "i": ox.NamedNode("https://w3id.org/qdgraph/id/a")}
    q = 'CONSTRUCT { ?i rdfs:label "WHERE {" } # WHERE { in a comment\nWHERE { ?i rdfs:label ?x }'
    out = bind_values(q, params)
    assert out.endswith('WHERE { VALUES (?x ?i) { ("say \\"WHERE {\\" } #"@zh <https://w3id.org/qdgraph/id/a>) }  ?i rdfs:label ?x }')
    assert bind_values("ASK { ?s ?p ?o }", {"s": ox.NamedNode("urn:a")}).startswith("ASK { VALUES (?s)")
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:p"), ox.Literal('say "WHERE {" } #', language="zh")))
    res = store.query(bind_values("SELECT ?s WHERE { ?s ?p ?x }", {"x": params["x"]}))
    assert [r["s"] for r in res] == [ox.NamedNode("urn:a")]
    with pytest.raises(Exception, match="IRIs and literals"):
        bind_values("ASK { ?s ?p ?o }", {"s": ox.BlankNode("b")})


def test_update_chunks_keep_blank_nodes_together():
    from qdgraph.push import chunks

    a, b = ox.BlankNode("a"), ox.BlankNode("b")
    p = ox.NamedNode("urn:p")
    triples = [ox.Triple(ox.NamedNode(f"urn:s{i}"), p, ox.Literal(str(i))) for i in range(7)]
    triples += [ox.Triple(a, p, ox.Literal("1")), ox.Triple(a, p, b), ox.Triple(b, p, ox.Literal("2")),
                ox.Triple(ox.NamedNode("urn:x"), p, b)]
    batches = list(chunks(triples, size=3))
    assert sorted(map(str, (t for bt in batches for t in bt))) == sorted(map(str, triples))
    linked = [bt for bt in batches if any(isinstance(x, ox.BlankNode) for t in bt for x in (t.subject, t.object))]
    assert len(linked) == 1 and len(linked[0]) >= 4

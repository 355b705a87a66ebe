"""Official W3C suites, read from the shared folder (``../shared/w3c`` beside the checkout, or
``$QDGRAPH_SHARED/w3c``), never copied into the project; skipped, saying so, where absent.

- RDF 1.1 Turtle: every positive and negative syntax and evaluation test through the project's
  Turtle loading path (``qdgraph.storage.rdfio.parse_file``, what ``--data`` uses);
- SPARQL 1.1 query syntax: positive queries run or are refused by the read-only guard,
  negative ones are one-line syntax errors, never anything else;
- SPARQL 1.1 Protocol (prose tests, one case each) and the CSV/TSV and JSON result-format
  tests, against a real ``qdgraph serve``.
"""
from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest

from test_server import start_qdgraph
from conftest import ROOT

SHARED = Path(os.environ.get("QDGRAPH_SHARED") or ROOT.parent / "shared")
W3C = SHARED / "w3c"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
RDFT = "http://www.w3.org/ns/rdftest#"
QT = "http://www.w3.org/2001/sw/DataAccess/tests/test-query#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

needs_suite = pytest.mark.skipif(not W3C.is_dir(), reason=f"W3C test suites not found at {W3C} "
                                                            "(set QDGRAPH_SHARED to the folder holding w3c/)")


def manifest_entries(folder: Path) -> list[tuple[str, str, dict]]:
    """(name, type, {predicate: [objects]}) of every entry of ``folder/manifest.ttl``, in order."""
    path = folder / "manifest.ttl"
    if not path.is_file():
        return []
    g = ox.Store()
    g.load(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri())
    out = []
    for lst in g.quads_for_pattern(None, ox.NamedNode(MF + "entries"), None, None):
        cell = lst.object
        while cell != ox.NamedNode(RDF + "nil"):
            entry = next(g.quads_for_pattern(cell, ox.NamedNode(RDF + "first"), None, None)).object
            props: dict = {}
            for q in g.quads_for_pattern(entry, None, None, None):
                obj = q.object
                if isinstance(obj, ox.BlankNode):  # an action [ qt:query <q.rq> ; qt:data <d.ttl> ]
                    obj = {p.predicate.value: p.object for p in g.quads_for_pattern(obj, None, None, None)}
                props.setdefault(q.predicate.value, []).append(obj)
            name = props.get(MF + "name", [ox.Literal(str(entry))])[0].value
            out.append((name, props[RDF + "type"][0].value, props))
            cell = next(g.quads_for_pattern(cell, ox.NamedNode(RDF + "rest"), None, None)).object
    return out


def local(node) -> Path:
    return Path(urllib.parse.unquote(urllib.parse.urlsplit(node.value).path))


# ------------------------------------------------------------------ Turtle
TURTLE = manifest_entries(W3C / "rdf-turtle")


@needs_suite
@pytest.mark.parametrize("name, kind, props", TURTLE, ids=[t[0] for t in TURTLE] or None)
def test_turtle_suite(name, kind, props):
    from qdgraph.errors import TurtleSyntaxError
    from qdgraph.storage.rdfio import parse_file

    action = local(props[MF + "action"][0])
    if kind.endswith(("PositiveSyntax", "TestTurtleEval")):
        quads = parse_file(action)
        if kind.endswith("Eval"):
            _assert_same_graph(quads, local(props[MF + "result"][0]), name)
    elif kind.endswith(("NegativeSyntax", "NegativeEval")):
        with pytest.raises(TurtleSyntaxError) as err:
            parse_file(action)
        assert str(err.value).startswith(f"{action}:") and "\n" not in str(err.value)
    else:
        pytest.skip(f"test type {kind} is not a Turtle test")


def _assert_same_graph(quads, expected: Path, name: str):
    """The parsed graph equals the expected N-Triples, up to blank-node names. Relative IRIs
    are resolved against the test's own base in the suite and against the file here, so a
    test whose expected output names its base is compared on the rest of each IRI."""
    import rdflib
    from rdflib.compare import isomorphic

    base = "https://w3c.github.io/rdf-tests/rdf/rdf11/rdf-turtle/"  # the suite's own base

    def graph(nt: str) -> rdflib.Graph:  # language tags compare case-insensitively
        nt = re.sub(r'"@([A-Za-z0-9-]+)', lambda m: '"@' + m.group(1).lower(), nt)
        return rdflib.Graph().parse(data=nt, format="nt")

    got = ox.serialize((ox.Triple(q.subject, q.predicate, q.object) for q in quads),
                       format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    got = got.replace(expected.parent.resolve().as_uri() + "/", base)
    want = expected.read_text(encoding="utf-8")
    assert isomorphic(graph(got), graph(want)), name


# ------------------------------------------------------------------ SPARQL query syntax
SYNTAX = manifest_entries(W3C / "sparql11" / "syntax-query")


@pytest.fixture(scope="module")
def empty_kg():
    from qdgraph.engine.graph import KnowledgeGraph, LocalBackend

    return KnowledgeGraph(LocalBackend(ox.Store()))


@needs_suite
@pytest.mark.parametrize("name, kind, props", SYNTAX, ids=[t[0] for t in SYNTAX] or None)
def test_sparql_query_syntax_suite(empty_kg, name, kind, props):
    from qdgraph.errors import QdgraphError, QuerySyntaxError, UnsafeQueryError

    text = local(props[MF + "action"][0]).read_text(encoding="utf-8")
    if kind.endswith("PositiveSyntaxTest11"):
        try:
            empty_kg.query(text)
        except UnsafeQueryError:
            pass  # SERVICE (and FROM for an engine that might fetch): refused by the read-only guard
        except QdgraphError as err:  # it parsed; evaluation may still refuse (an unknown function)
            assert not isinstance(err, QuerySyntaxError), err
    elif kind.endswith("NegativeSyntaxTest11"):
        with pytest.raises(QdgraphError) as err:
            empty_kg.query(text)
        assert isinstance(err.value, (QuerySyntaxError, UnsafeQueryError)) and "\n" not in str(err.value)
    else:
        pytest.skip(f"test type {kind} is not a query syntax test")


# ------------------------------------------------------------------ a real server
def _serve(tmp: Path, *args):
    """A real `qdgraph serve` with two workers: (its Proc, its endpoint URL)."""
    proc, base = start_qdgraph(tmp, "--workers", "2", *map(str, args))
    return proc, base + "/sparql"


def request(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read()


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory, _private_cache):
    if not W3C.is_dir():
        pytest.skip(f"W3C test suites not found at {W3C}")
    p, url = _serve(tmp_path_factory.mktemp("w3c-serve"))
    yield url
    p.stop()


# ------------------------------------------------------------------ SPARQL 1.1 Protocol
SELECT = "SELECT ?s WHERE { ?s a qd:Pillar } LIMIT 2"
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
SELECT_TYPES = ("application/sparql-results+xml", "application/sparql-results+json", "text/csv",
                "text/tab-separated-values")
GRAPH_TYPES = ("application/rdf+xml", "text/turtle", "application/n-triples")


def enc(**fields) -> bytes:
    return urllib.parse.urlencode(fields, doseq=True).encode()


# name in the manifest -> (method, query string, body, headers, check(status, content type, body))
PROTOCOL = {
    "query via GET": ("GET", enc(query=SELECT).decode(), None, {}, lambda s, t, b: s == 200),
    "query via URL-encoded POST": ("POST", "", enc(query=SELECT), {"Content-Type": FORM}, lambda s, t, b: s == 200),
    "query via POST directly": ("POST", "", SELECT.encode(), {"Content-Type": DIRECT}, lambda s, t, b: s == 200),
    "query appropriate content type (expect one of: XML, JSON, CSV, TSV)": (
        "GET", enc(query=SELECT).decode(), None, {"Accept": "application/sparql-results+xml, */*;q=0.1"},
        lambda s, t, b: s == 200 and t.startswith(SELECT_TYPES)),
    "query appropriate content type (expect one of: XML, JSON)": (
        "GET", enc(query="ASK { ?s ?p ?o }").decode(), None, {"Accept": "application/sparql-results+json"},
        lambda s, t, b: s == 200 and t.startswith(SELECT_TYPES[:2])),
    "query appropriate content type (expect one of: RDF/XML, Turtle, N-Triples, RDFa)": (
        "GET", enc(query="DESCRIBE qd:Pillar").decode(), None, {"Accept": "application/rdf+xml"},
        lambda s, t, b: s == 200 and t.startswith(GRAPH_TYPES)),
    # Datasets may only name graphs the store holds (nothing is ever fetched): the suite's
    # graphs are not in it, so these are refused in one line instead of fetched.
    "GET query with protocol-specified default graph": (
        "GET", enc(query="ASK {}", **{"default-graph-uri": "http://kasei.us/2009/09/sparql/data/data1.rdf"}).decode(),
        None, {}, lambda s, t, b: s == 400 and b"nothing is fetched" in b),
    "POST query with protocol-specified named graphs": (
        "POST", enc(**{"named-graph-uri": "http://kasei.us/2009/09/sparql/data/data1.rdf"}).decode(),
        b"ASK {}", {"Content-Type": DIRECT}, lambda s, t, b: s == 400 and b"nothing is fetched" in b),
    "invoke query operation with a method other than GET or POST": (
        "PUT", enc(query=SELECT).decode(), None, {}, lambda s, t, b: s == 405),
    "invoke query operation with more than one query string": (
        "GET", enc(query=[SELECT, SELECT]).decode(), None, {}, lambda s, t, b: 400 <= s < 500),
    "invoke query operation with a POST with media type that's not url-encoded or application/sparql-query": (
        "POST", "", SELECT.encode(), {"Content-Type": "text/plain"}, lambda s, t, b: 400 <= s < 500),
    "invoke query operation with url-encoded body, but without application/x-www-form-urlencoded media type": (
        "POST", "", enc(query=SELECT), {"Content-Type": ""}, lambda s, t, b: 400 <= s < 500),
    "invoke query operation with SPARQL body, but without application/sparql-query media type": (
        "POST", "", SELECT.encode(), {"Content-Type": ""}, lambda s, t, b: 400 <= s < 500),
    "invoke query operation with direct POST, but with a non-UTF8 encoding (UTF-16)": (
        "POST", "", SELECT.encode("utf-16"), {"Content-Type": DIRECT + "; charset=UTF-16"},
        lambda s, t, b: 400 <= s < 500),
    "invoke query operation with invalid query syntax (4XX result)": (
        "GET", enc(query="SELECT * WHERE {").decode(), None, {}, lambda s, t, b: s == 400),
    "invoke update operation with GET": (
        "GET", enc(update="CLEAR ALL").decode(), None, {}, lambda s, t, b: 400 <= s < 500),
    "update via URL-encoded POST": (
        "POST", "", enc(update="CLEAR ALL"), {"Content-Type": FORM}, lambda s, t, b: s == 403),
    "update via POST directly": (
        "POST", "", b"CLEAR ALL", {"Content-Type": "application/sparql-update"}, lambda s, t, b: s == 403),
    "test for service-defined BASE URI (\"which MAY be the service endpoint\")": (
        "GET", enc(query="SELECT ?x WHERE { BIND (<relative> AS ?x) }").decode(), None,
        {"Accept": "text/tab-separated-values"}, lambda s, t, b: s == 200 and b"/relative>" in b),
}
PROTOCOL_NAMES = {name for name, _, _ in manifest_entries(W3C / "sparql11" / "protocol")}


@needs_suite
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PROTOCOL))
def test_sparql_protocol(endpoint, name):
    assert name in PROTOCOL_NAMES, f"not a test of the W3C protocol manifest: {name}"
    method, query, body, headers, check = PROTOCOL[name]
    status, ctype, data = request(method, endpoint + ("?" + query if query else ""), body, headers)
    assert check(status, ctype, data), (status, ctype, data[:300])
    if status >= 400:
        assert data.count(b"\n") == 1 and b"Traceback" not in data


# ------------------------------------------------------------------ result formats
EX = "http://example.org/"


def _result_entries(folder: str):
    return [(folder, name, props) for name, kind, props in manifest_entries(W3C / "sparql11" / folder)
            if kind.endswith("QueryEvaluationTest")]


# Oxigraph stores some literals in canonical form ("-3"^^xsd:negativeInteger becomes an
# xsd:integer, 1.0e6 becomes "1000000"^^xsd:double): the store's doing, not the TSV writer's
_CANONICAL = pytest.mark.xfail(reason="Oxigraph canonicalises literals when it loads them", strict=True)
RESULTS = [pytest.param(*r, marks=_CANONICAL) if r[1].startswith("tsv03") else r
           for r in _result_entries("csv-tsv-res") + _result_entries("json-res")]


@pytest.fixture(scope="module")
def result_endpoints(tmp_path_factory, _private_cache):
    """One server per data file the tests use: that file and the ontology (``--only``)."""
    servers, urls = [], {}
    try:
        for folder in ("csv-tsv-res", "json-res"):
            for data in sorted((W3C / "sparql11" / folder).glob("data*.ttl")):
                p, url = _serve(tmp_path_factory.mktemp("w3c-res"), "--data", data, "--only")
                servers.append(p)
                urls[data.resolve()] = url
        yield urls
    finally:
        for p in servers:
            p.stop()


def _bnodes(text: str) -> str:
    return re.sub(r"_:[A-Za-z0-9]+", "_:b", text)


@needs_suite
@pytest.mark.slow
@pytest.mark.parametrize("folder, name, props", RESULTS,
                         ids=[(r.values if hasattr(r, "values") else r)[1] for r in RESULTS] or None)
def test_result_formats(result_endpoints, folder, name, props):
    action = props[MF + "action"][0]
    query = local(action[QT + "query"]).read_text(encoding="utf-8")
    url = result_endpoints[local(action[QT + "data"]).resolve()]
    expected = local(props[MF + "result"][0])
    accept = {".csv": "text/csv", ".tsv": "text/tab-separated-values", ".srj": "application/sparql-results+json"}
    status, ctype, body = request("POST", url, query.encode(), {"Content-Type": DIRECT,
                                                                  "Accept": accept[expected.suffix]})
    assert status == 200, body
    text = body.decode("utf-8")
    if expected.suffix == ".srj":
        got, want = json.loads(text), json.loads(expected.read_text(encoding="utf-8"))
        if "boolean" in want:
            assert got["boolean"] == want["boolean"]
            return
        rows = [r for r in got["results"]["bindings"] if r["s"]["value"].startswith(EX)]  # the ontology's rows left out
        assert set(got["head"]["vars"]) == set(want["head"]["vars"])

        def plain(bindings):
            return [{k: {**t, "value": "b"} if t["type"] == "bnode" else t for k, t in b.items()} for b in bindings]

        assert plain(rows) == plain(want["results"]["bindings"])
    else:
        # rows as {variable: cell}: SELECT * may list its variables in any order
        sep = "\t" if expected.suffix == ".tsv" else ","

        def table(text):
            lines = text.replace("\r\n", "\n").splitlines()
            head = lines[0].split(sep)
            return [dict(zip(head, _bnodes(l).split(sep))) for l in lines[1:]]

        s_col = "?s" if expected.suffix == ".tsv" else "s"
        ours = [r for r in table(text) if r[s_col].startswith((EX, f"<{EX}"))]  # the ontology's rows left out
        assert ours == table(expected.read_text(encoding="utf-8"))


# ------------------------------------------------------------------ reading SPARQL XML results
SRX = sorted(W3C.rglob("*.srx")) if W3C.is_dir() else []


@needs_suite
@pytest.mark.parametrize("path", SRX, ids=[str(p.relative_to(W3C)) for p in SRX] or None)
def test_xml_results_are_read_as_oxigraph_reads_them(path):
    """``--endpoint`` reads SELECT/ASK answers as SPARQL XML with its own reader (it must take
    Virtuoso's blank-node labels, which pyoxigraph refuses); on every W3C results file it gives
    the rows pyoxigraph's parser gives."""
    from qdgraph.engine.remote import parse_results_xml

    ours = parse_results_xml(path.read_bytes())
    theirs = ox.parse_query_results(path.read_bytes(), format=ox.QueryResultsFormat.XML)
    if isinstance(theirs, ox.QueryBoolean):
        assert ours.value is bool(theirs)
        return
    assert ours.variables == [v.value for v in theirs.variables]
    want = [{v.value: s[v] for v in theirs.variables if s[v] is not None} for s in theirs]
    assert sorted(repr(sorted(r.items())) for r in ours.rows) == sorted(repr(sorted(r.items())) for r in want)

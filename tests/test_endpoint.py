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
    from qdgraph.engine.graph import open_graph

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
    from qdgraph.engine.push import push_update

    for _ in range(2):
        assert push_update(kg, oxigraph + "/update", GRAPH, size=500).triples == len(kg)  # small chunks: many requests
        assert count(oxigraph, GRAPH) == len(kg)
    claims = CLAIMS.replace("WHERE {", "WHERE { GRAPH <%s> {" % GRAPH) + " }"
    from qdgraph.engine.graph import open_graph

    assert (open_graph(endpoint=oxigraph + "/query").query(claims).rows[0]["n"].value
            == kg.query(CLAIMS).rows[0]["n"].value)
    assert count(oxigraph) == len(kg)  # the default graph is untouched


def test_measures_for_every_indicator_match(remote, kg):
    from qdgraph.errors import QdgraphError
    from qdgraph.domain.measures import measures_for

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
    from qdgraph.engine.remote import bind_values

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


def test_update_requests_carry_no_blank_nodes():
    from qdgraph.engine.push import GENID, update_requests

    a = ox.BlankNode("a")
    p = ox.NamedNode("urn:p")
    triples = [ox.Triple(ox.NamedNode(f"urn:s{i}"), p, ox.Literal(str(i))) for i in range(7)]
    triples += [ox.Triple(a, p, ox.Literal("1")), ox.Triple(ox.NamedNode("urn:x"), p, a)]
    requests = list(update_requests(triples, "urn:g", size=3))
    assert len(requests) == 3 and requests[0].startswith("DROP SILENT GRAPH <urn:g> ;")
    text = "\n".join(requests)
    assert "_:" not in text and text.count(f"<{GENID}a>") == 2  # one IRI for the node, in whichever request
    store = ox.Store()
    for r in requests:
        store.update(r)
    assert len(store) == len(triples)


# ------------------------------------------------------------------ HTTP against small real servers (issue 12)
import base64  # noqa: E402
import threading  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

from test_virtuoso import run  # noqa: E402  (the CLI in-process)


class _Server:
    """A real HTTP server on a free loopback port, answering with ``handle(handler)``."""

    def __init__(self, handle):
        self.seen: list[dict] = []
        outer = self

        class H(BaseHTTPRequestHandler):
            def _any(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                outer.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body})
                status, headers, data = handle(self, body)
                headers = dict(headers)
                if "Server" in headers:  # the software this stand-in says it is, in place of BaseHTTP's
                    self.server_version, self.sys_version = headers.pop("Server"), ""
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_HEAD = _any

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # a short poll: shutdown() waits for it (0.5 s by default, per test)
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    made = []

    def make(handle):
        made.append(_Server(handle))
        return made[-1]

    yield make
    for s in made:
        s.close()


def _one_line(res, code, *fragments):
    c, out, err = res
    assert c == code, res
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for f in fragments:
        assert f in err, err


def test_push_refuses_a_login_page(server):
    page = b'<!DOCTYPE html><html><head><title>Sign in - Portal</title></head><body><form method=post>' \
           b'<input name=password type=password></form></body></html>'
    s = server(lambda h, body: (200, {"Content-Type": "text/html; charset=utf-8"}, page))
    _one_line(run("push", s.url + "/store"), 1, "web page", "Sign in - Portal", "nothing was stored")


def test_password_in_url_is_basic_auth_and_never_printed(server, tmp_path):
    good = "Basic " + base64.b64encode("ann:s@cret pw".encode()).decode()

    def handle(h, body):
        if h.headers.get("Authorization") != good:
            return 401, {"WWW-Authenticate": 'Basic realm="store"'}, b"login required"
        return 204, {}, b""

    s = server(handle)
    host = s.url.split("//")[1]
    code, out, err = run("push", f"http://ann:s%40cret%20pw@{host}/store")
    assert code == 0 and "the store answered: 204" in err, err
    assert "s@cret" not in out + err and "s%40cret" not in out + err and "ann:***@" in err
    assert s.seen[-1]["method"] == "PUT" and s.seen[-1]["body"].count(b"\n") > 100
    assert run("push", s.url + "/store", "--user", "ann:s@cret pw")[0] == 0
    netrc = tmp_path / "netrc"
    netrc.write_text('machine 127.0.0.1 login ann password "s@cret pw"\n')
    netrc.chmod(0o600)
    assert run("push", s.url + "/store", env={"NETRC": str(netrc)})[0] == 0
    res = run("push", f"http://ann:wrong@{host}/store")
    _one_line(res, 1, "401", "login required", "ann:***@")
    assert "wrong" not in res[2]


def _raw_server(serve):
    """A socket server whose connection handler is ``serve(conn)`` (for misbehaving servers)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)

    def loop():
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


def _read_head(conn) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_an_early_answer_is_shown_not_a_broken_pipe(kg):
    def serve(conn):
        _read_head(conn)  # answer before reading the (large) body, then hang up, as Virtuoso does
        conn.sendall(b"HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nContent-Length: 21\r\n"
                     b"Connection: close\r\n\r\nplease log in first.\n")
        conn.close()

    sock, url = _raw_server(serve)
    try:
        _one_line(run("push", url + "/store"), 1, "answered 401", "please log in first", "~/.netrc")
    finally:
        sock.close()


def test_a_trickling_server_meets_a_total_deadline():
    import time as _time

    def serve(conn):
        _read_head(conn)
        try:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\nContent-Length: 100000\r\n\r\n")
            for _ in range(600):
                conn.sendall(b" ")
                _time.sleep(0.05)
        except OSError:
            pass
        conn.close()

    sock, url = _raw_server(serve)
    try:
        t0 = _time.monotonic()
        _one_line(run("push", url + "/store", "--timeout", "1"), 3, "did not finish within 1 s")
        assert _time.monotonic() - t0 < 8
        from qdgraph.errors import QueryTimeout
        from qdgraph.engine.remote import EndpointBackend

        t0 = _time.monotonic()
        with pytest.raises(QueryTimeout):
            EndpointBackend(url + "/sparql", timeout=1).query("ASK { ?s ?p ?o }", {})
        assert _time.monotonic() - t0 < 3
    finally:
        sock.close()


@pytest.mark.parametrize("url", ["http://[::1/x", "http://127.0.0.1:99999/x", "http://exa mple.org/x", "file:///etc/passwd"])
def test_bad_urls_are_one_line(url):
    _one_line(run("push", url), 2, "URL")
    _one_line(run("measures", "x", "--endpoint", url), 2, "URL")


def test_protocol_falls_back_to_a_direct_post(server):
    def handle(h, body):
        if h.command == "POST" and h.headers.get("Content-Type", "").startswith("application/sparql-query"):
            return 200, {"Content-Type": "application/sparql-results+json"}, b'{"head": {}, "boolean": true}'
        return 405, {"Allow": "POST"}, b"method not allowed"

    s = server(handle)
    from qdgraph.engine.remote import EndpointBackend

    b = EndpointBackend(s.url + "/sparql")
    assert b.query("ASK { ?s ?p ?o }", {}).value is True
    assert b._bad == {"get", "form"} and "direct" in b._good
    assert b.query("ASK { ?s ?p ?o }", {}).value is True
    assert [r["method"] for r in s.seen[-1:]] == ["POST"] and len(s.seen) == 5  # GET, form, probe, query, query


VIRTUOSO_STYLE = {
    "application/sparql-results+json": json.dumps({"head": {"vars": ["b", "t"]}, "results": {"bindings": [
        {"b": {"type": "bnode", "value": "nodeID://b10006"},
         "t": {"type": "typed-literal", "datatype": "http://www.w3.org/2001/XMLSchema#boolean", "value": "1"}}]}}),
    "application/sparql-results+xml": """<?xml version="1.0"?>
<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head><variable name="b"/><variable name="t"/></head>
<results><result><binding name="b"><bnode>nodeID://b10006</bnode></binding>
<binding name="t"><literal datatype="http://www.w3.org/2001/XMLSchema#boolean">1</literal></binding></result></results>
</sparql>"""}


@pytest.mark.parametrize("media_type", sorted(VIRTUOSO_STYLE))
def test_virtuoso_style_answers_are_read(server, media_type):
    """Blank nodes labelled nodeID://… and booleans as 0/1, from a stand-in, in either results
    format; once the server has said it is Virtuoso, XML is asked for first (it writes XML
    four times faster than JSON)."""
    s = server(lambda h, body: (200, {"Content-Type": media_type, "Server": "Virtuoso/07.20.3240 (Linux)"},
                                VIRTUOSO_STYLE[media_type].encode()))
    from qdgraph.engine.remote import EndpointBackend

    for _ in range(2):
        row = EndpointBackend(s.url + "/sparql").query("SELECT ?b ?t WHERE { ?b ?p ?t }", {}).rows[0]
        assert isinstance(row["b"], ox.BlankNode) and row["t"].value == "true"
    first, second = (r["headers"]["Accept"].split(",")[0] for r in s.seen)
    assert (first, second) == ("application/sparql-results+json", "application/sparql-results+xml")


def test_xml_answers_with_a_doctype_are_refused(server):
    """Entities are how XML is made to blow up; SPARQL results have no document type."""
    bomb = (b'<?xml version="1.0"?><!DOCTYPE sparql [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            b'<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/><boolean>true</boolean></sparql>')
    s = server(lambda h, body: (200, {"Content-Type": "application/sparql-results+xml"}, bomb))
    _one_line(run("query", "ASK { ?s ?p ?o }", "--endpoint", s.url + "/sparql"), 1,
              "not SPARQL XML results", "document type")


def test_regional_chinese_tags_count_as_chinese(tmp_path):
    """A "zh-CN" label passes the shapes (sh:languageIn ("zh")), so the queries take it as Chinese
    (langMatches), and adding a file changes no other chain's row."""
    extra = tmp_path / "extra.ttl"
    extra.write_text("""@prefix qd: <https://w3id.org/qdgraph/ontology#> .
@prefix qdr: <https://w3id.org/qdgraph/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
qdr:test-zh-cn-enterprise a qd:Enterprise ; rdfs:label "测试地区标签企业"@zh-CN ; qd:inChain qdr:chain-virtual-reality .
""", encoding="utf-8")
    plain = run("query", "--name", "chains", "--format", "csv")
    more = run("query", "--name", "chains", "--format", "csv", "--data", extra)
    assert plain[0] == more[0] == 0, more
    changed = set(more[1].splitlines()) - set(plain[1].splitlines())
    assert len(changed) == 1 and "测试地区标签企业" in changed.pop()
    assert len(more[1].splitlines()) == len(plain[1].splitlines())


def test_a_qdgraph_servers_row_cap_is_paged_past(tmp_path, kg, _private_cache):
    from test_server import start_qdgraph

    p, base = start_qdgraph(tmp_path, "--max-rows", "300", "--workers", "1")
    typed = "SELECT ?s ?t WHERE { ?s a ?t }"
    try:
        code, out, err = run("query", typed, "--format", "tsv", "--endpoint", base + "/sparql")
        assert len(kg.query(typed).rows) > 900  # read in four pages or more
        assert code == 0 and err == "" and len(out.splitlines()) == len(kg.query(typed).rows) + 1, err
        code, out, err = run("query", "SELECT ?s WHERE { ?s ?p ?o } LIMIT 400", "--format", "csv", "--endpoint", base + "/sparql")
        assert code == 0 and "cut at 300 rows" in err and len(out.splitlines()) == 301
        from qdgraph.engine.remote import EndpointBackend

        res = EndpointBackend(base + "/sparql").query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", {}, limit=10)
        assert len(res.rows) == 10 and res.truncated  # the backend protocol's own limit
    finally:
        p.stop()

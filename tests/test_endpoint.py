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
import sys  # noqa: E402
import threading  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

from test_virtuoso import run  # noqa: E402  (the CLI in-process)


class _QuietServer(ThreadingHTTPServer):
    """A client that gives up mid-answer (a deadline test) is expected here: BaseHTTP would print its
    broken pipe to sys.stderr, which the in-process ``qd`` fixture captures as if qdgraph wrote it."""

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Server:
    """A real HTTP server on a loopback port (a free one unless given), answering with
    ``handle(handler)``; ``tls``: a server-side SSLContext (https); ``keep_alive``: HTTP/1.1."""

    def __init__(self, handle, tls=None, port=0, keep_alive=False):
        self.seen: list[dict] = []
        outer = self

        class H(BaseHTTPRequestHandler):
            if keep_alive:
                protocol_version = "HTTP/1.1"  # every answer has a Content-Length

            def _any(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                outer.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body,
                                   "peer": self.client_address})
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

        self.httpd = _QuietServer(("127.0.0.1", port), H)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.httpd.server_address[1]}"
        # a short poll: shutdown() waits for it (0.5 s by default, per test)
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    made = []

    def make(handle, **kw):
        made.append(_Server(handle, **kw))
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
    format; JSON is asked for first, of Virtuoso too (reading its XML costs twice as much)."""
    s = server(lambda h, body: (200, {"Content-Type": media_type, "Server": "Virtuoso/07.20.3240 (Linux)"},
                                VIRTUOSO_STYLE[media_type].encode()))
    from qdgraph.engine.remote import EndpointBackend

    for _ in range(2):
        row = EndpointBackend(s.url + "/sparql").query("SELECT ?b ?t WHERE { ?b ?p ?t }", {}).rows[0]
        assert isinstance(row["b"], ox.BlankNode) and row["t"].value == "true"
    first, second = (r["headers"]["Accept"].split(",")[0] for r in s.seen)
    assert first == second == "application/sparql-results+json"


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


# ------------------------------------------------------------------ the client's policies (issue 22: httpx, configured)
import re  # noqa: E402
import ssl  # noqa: E402
import subprocess  # noqa: E402


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and localhost: (certificate file, key file)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls(certificate, monkeypatch):
    """A server-side TLS context whose certificate qdgraph trusts ($SSL_CERT_FILE, read when
    the client is made: the process's client is made afresh before and after)."""
    from qdgraph.engine import httpclient

    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    httpclient._client.cache_clear()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*map(str, certificate))
    yield ctx
    httpclient._client.cache_clear()


def _ports_80_and_443():
    for port in (80, 443):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError as err:
                pytest.skip(f"port {port} on 127.0.0.1 is not free here ({err.strerror})")


HOPS = {  # (the store's scheme, where it redirects to); httpx keeps a login only for http:80 -> https:443
    "another host": ("http", "http://localhost:{port}"),
    "another port": ("http", "http://127.0.0.1:{port}"),
    "http to https": ("http", "https://127.0.0.1:{port}"),
    "https to http": ("https", "http://127.0.0.1:{port}"),
    "http:80 to https:443 on the same host": ("http", "https://127.0.0.1"),
}


@pytest.mark.parametrize("hop", sorted(HOPS))
def test_credentials_never_follow_a_redirect_to_another_origin(server, tls, hop):
    scheme, far_url = HOPS[hop]
    default_ports = "80" in hop
    if default_ports:
        _ports_80_and_443()
    good = "Basic " + base64.b64encode(b"ann:s3cret").decode()
    far_tls = tls if far_url.startswith("https") else None
    # the place redirected to asks for a login: it must not get one
    far = server(lambda h, body: (401, {"WWW-Authenticate": 'Basic realm="far"'}, b"who are you?"),
                 tls=far_tls, port=443 if default_ports else 0)
    location = far_url.format(port=far.url.rsplit(":", 1)[1]) + "/sparql"

    def near_handle(h, body):
        if h.headers.get("Authorization") != good:
            return 401, {"WWW-Authenticate": 'Basic realm="store"'}, b"log in"
        return 307, {"Location": location}, b""

    near = server(near_handle, tls=tls if scheme == "https" else None, port=80 if default_ports else 0)
    url = near.url.replace("://", "://ann:s3cret@", 1) + "/sparql"
    code, out, err = run("query", "ASK { ?s ?p ?o }", "--endpoint", url)
    assert code == 1 and "answered 401" in err and "who are you?" in err, err  # the far place's own answer
    assert any(r["headers"].get("Authorization") == good for r in near.seen)  # the login went where it belongs
    assert far.seen and not any("Authorization" in r["headers"] for r in far.seen), far.seen


def test_a_redirect_within_the_store_keeps_the_login(server):
    good = "Basic " + base64.b64encode(b"ann:s3cret").decode()

    def handle(h, body):
        if h.headers.get("Authorization") != good:
            return 401, {"WWW-Authenticate": 'Basic realm="store"'}, b"log in"
        if h.path.startswith("/old"):
            return 301, {"Location": "/sparql?" + h.path.split("?", 1)[1]}, b""
        return 200, {"Content-Type": "application/sparql-results+json"}, b'{"head": {}, "boolean": true}'

    s = server(handle)
    code, out, err = run("query", "ASK { ?s ?p ?o }", "--endpoint", s.url.replace("://", "://ann:s3cret@") + "/old")
    assert (code, out.strip()) == (0, "true"), err


def test_redirects_count_against_one_deadline(server):
    def handle(h, body):  # each hop is quick enough alone; together they are not
        time.sleep(0.4)
        return 302, {"Location": "/sparql?" + h.path.split("?", 1)[1]}, b""

    s = server(handle)
    t0 = time.monotonic()
    _one_line(run("query", "ASK { ?s ?p ?o }", "--endpoint", s.url + "/sparql", "--timeout", "1"), 3,
              "did not answer within 1 s")
    assert time.monotonic() - t0 < 2 and len(s.seen) <= 4


def test_queries_reuse_one_connection(server):
    s = server(lambda h, body: (200, {"Content-Type": "application/sparql-results+json"}, b'{"head": {}, "boolean": true}'),
               keep_alive=True)
    from qdgraph.engine.remote import EndpointBackend

    backend = EndpointBackend(s.url + "/sparql")
    for _ in range(5):
        assert backend.query("ASK { ?s ?p ?o }", {}).value is True
    assert len(s.seen) == 5 and len({r["peer"] for r in s.seen}) == 1


def test_a_digest_login_is_answered_once_and_then_reused(server):
    """httpx's DigestAuth against a stand-in that checks the response hash (RFC 7616, MD5, qop=auth)."""
    import hashlib

    def h(text):
        return hashlib.md5(text.encode()).hexdigest()

    def handle(hd, body):
        got = hd.headers.get("Authorization", "")
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', got))
        want = h(f"{h('ann:store:s3cret')}:{fields.get('nonce')}:{fields.get('nc')}:{fields.get('cnonce')}:auth:"
                 f"{h(hd.command + ':' + fields.get('uri', ''))}")
        if not got.startswith("Digest ") or fields.get("response") != want:
            return 401, {"WWW-Authenticate": 'Digest realm="store", nonce="n0nce", qop="auth", algorithm=MD5'}, b"log in"
        return 200, {"Content-Type": "application/sparql-results+json"}, b'{"head": {}, "boolean": true}'

    s = server(handle)
    from qdgraph.engine.remote import EndpointBackend

    backend = EndpointBackend(s.url + "/sparql", user="ann:s3cret")
    for _ in range(3):
        assert backend.query("ASK { ?s ?p ?o }", {}).value is True
    assert len(s.seen) == 4  # one challenge, then the login answers it and every later request carries it
    assert "s3cret" not in str([r["headers"] for r in s.seen])


def test_a_server_trickling_its_headers_meets_the_deadline():
    def serve(conn):
        _read_head(conn)
        try:  # a header line that never ends, one byte every 20 ms: each read gets a byte
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 50_000:
                conn.sendall(bytes([byte]))
                time.sleep(0.02)
        except OSError:
            pass
        conn.close()

    sock, url = _raw_server(serve)
    try:
        t0 = time.monotonic()
        _one_line(run("query", "ASK { ?s ?p ?o }", "--endpoint", url + "/sparql", "--timeout", "1"), 3,
                  "did not answer within 1 s")
        assert time.monotonic() - t0 < 3
    finally:
        sock.close()


def test_a_name_lookup_sent_in_batches_meets_one_deadline(server):
    """The name index asks a big store for many entries in batches of a few hundred IRIs (measures
    at 10 M triples: 87 requests). Each batch had a deadline of its own, so a store answering every
    batch just under it held a lookup for an hour; the batches now share the lookup's one deadline,
    as a query's pages do."""
    from qdgraph.engine.remote import EndpointBackend
    from qdgraph.errors import QueryTimeout
    from qdgraph.names import QueriedNameIndex

    big = b'{"head": {"vars": ["e"]}, "results": {"bindings": [{"e": {"type": "uri", "value": "urn:x:0"}}]}}'

    def handle(h, body):
        if b"OFFSET" in body or "OFFSET" in h.path:  # "is the store big?": yes
            return 200, {"Content-Type": "application/sparql-results+json"}, big
        time.sleep(0.3)  # every batch well within the 1 s deadline alone
        return 200, {"Content-Type": "application/sparql-results+json"}, b'{"head": {"vars": ["e", "p", "x"]}, ' \
            b'"results": {"bindings": []}}'

    s = server(handle)
    index = QueriedNameIndex(EndpointBackend(s.url + "/sparql", timeout=1))
    t0 = time.monotonic()
    with pytest.raises(QueryTimeout):
        index.prefetch([f"urn:x:{i}" for i in range(2000)])  # ten batches: 3 s
    assert time.monotonic() - t0 < 1.6
    assert len(s.seen) <= 5

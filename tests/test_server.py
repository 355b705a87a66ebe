"""`qdgraph serve`, a read-only SPARQL 1.1 endpoint, tested as users reach it:
a real server process on loopback, SPARQLWrapper and curl.

Answers are compared with the embedded graph's, never with fixed data (the data grows)."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import ROOT
from qdgraph.presentation.formats import write

pytestmark = pytest.mark.server

SLOW_VALUES = " ".join(str(i) for i in range(80))
# A query whose cost does not depend on the data: 80^5 rows to count (minutes of work).
SLOW = ("SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(f"VALUES ?{v} {{ {SLOW_VALUES} }}" for v in "abcde") + " }")
TIMEOUT = 2  # seconds: the time limit of the server whose queries must time out (``strict``)


# ------------------------------------------------------------------ helpers (also used by test_endpoint)
class Proc:
    """A server subprocess whose log goes to a file (a full pipe would block it)."""

    def __init__(self, args: list[str], log: Path, env: dict | None = None):
        self.log = log
        self._fh = open(log, "wb")
        self.proc = subprocess.Popen(args, stdout=self._fh, stderr=subprocess.STDOUT, cwd=ROOT,
                                     env={**os.environ, **(env or {})})

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, pattern: str, timeout: float = 90) -> re.Match:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = re.search(pattern, self.text())
            if m:
                return m
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}):\n{self.text()}")
            time.sleep(0.05)
        raise RuntimeError(f"server did not start:\n{self.text()}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # Oxigraph stops on SIGTERM, not SIGINT
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._fh.close()


def start_qdgraph(tmp: Path, *args: str) -> tuple[Proc, str]:
    """A real ``qdgraph serve`` on a free port: (its Proc, its base URL). Two query workers
    unless ``args`` say otherwise (each is a process of its own: the default four cost twice
    the start-up, and two already show one worker's fate cannot block the other)."""
    workers = () if "--workers" in args else ("--workers", "2")
    p = Proc([sys.executable, str(ROOT / "cli.py"), "serve", "--port", "0", "--quiet", *workers, *args],
             tmp / "serve.log")
    try:
        base = p.wait_for(r"serving at (http://127\.0\.0\.1:\d+)/").group(1)
    except BaseException:
        p.stop()
        raise
    return p, base


def http(method: str, url: str, data: bytes | None = None, headers: dict | None = None, timeout: float = 30):
    """(status, headers, body) without raising on 4xx/5xx."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def curl(*args: str, timeout: float = 30) -> tuple[int, dict, str]:
    """Run curl; (status, lower-cased headers, body text)."""
    out = subprocess.run(["curl", "-sS", "-D", "-", *args], capture_output=True, timeout=timeout)
    assert out.returncode == 0, out.stderr
    raw = out.stdout.decode("utf-8")
    head, _, body = raw.partition("\r\n\r\n")
    while head.startswith("HTTP/1.1 100"):  # curl shows the Expect: 100-continue exchange
        head, _, body = body.partition("\r\n\r\n")
    lines = head.split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    return status, headers, body


def key(term) -> str:
    return str(term)  # N-Triples form: equal terms, equal keys


def row_set(rows) -> list:
    return sorted(tuple(sorted((k, key(v)) for k, v in r.items())) for r in rows)


def json_row_set(doc) -> list:
    from qdgraph.engine.results import term_from_json

    return row_set([{k: term_from_json(v) for k, v in b.items()} for b in doc["results"]["bindings"]])


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def server(tmp_path_factory, _private_cache):
    # The serve default time limit (10 s), not TIMEOUT: a worker's first query that only rdflib's
    # grammar reads (a syntax error) imports rdflib (0.3 s of CPU), its first picture pyvis;
    # on a loaded 2-core machine either took past 2 s of wall time, and a test expecting a
    # 400 got the time limit's 503.
    p, base = start_qdgraph(tmp_path_factory.mktemp("serve"), "--max-rows", "1000", "--workers", "4")
    yield base
    p.stop()


@pytest.fixture(scope="module")
def strict(tmp_path_factory, _private_cache):
    """A server with a time limit of TIMEOUT, for the queries that must pass it."""
    p, base = start_qdgraph(tmp_path_factory.mktemp("strict"), "--timeout", str(TIMEOUT))
    yield base
    p.stop()


@pytest.fixture(scope="module")
def sparql(server):
    return server + "/sparql"


LABELS = "SELECT ?s ?l WHERE { ?s a qd:Indicator ; rdfs:label ?l }"


# ------------------------------------------------------------------ protocol, with curl
def test_get_post_form_and_post_query_agree_with_the_embedded_graph(kg, sparql):
    want = row_set(kg.query(LABELS).rows)
    assert want
    s1, h1, b1 = curl(sparql + "?" + urllib.parse.urlencode({"query": LABELS}))
    s2, h2, b2 = curl(sparql, "--data-urlencode", "query=" + LABELS)
    s3, h3, b3 = curl(sparql, "-H", "Content-Type: application/sparql-query", "--data-binary", LABELS)
    for status, headers, body in ((s1, h1, b1), (s2, h2, b2), (s3, h3, b3)):
        assert status == 200, body
        assert headers["content-type"].startswith("application/sparql-results+json")
        assert json_row_set(json.loads(body)) == want


@pytest.mark.parametrize("accept, fmt, ctype", [
    ("application/sparql-results+json", "json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "xml", "application/sparql-results+xml"),
    ("text/csv", "csv", "text/csv"),
    ("text/tab-separated-values", "tsv", "text/tab-separated-values"),
])
def test_select_formats_by_accept_and_by_format_param(kg, sparql, accept, fmt, ctype):
    want = write(kg.query(LABELS + " ORDER BY ?s ?l"), fmt)
    q = LABELS + " ORDER BY ?s ?l"
    s, h, body = curl(sparql, "-H", "Accept: " + accept, "--data-urlencode", "query=" + q)
    same = (lambda a, b: json.loads(a) == json.loads(b)) if fmt == "json" else str.__eq__  # JSON is compact on the wire
    assert s == 200 and h["content-type"].startswith(ctype)
    assert same(body, want)
    s, h, body = curl(sparql + "?" + urllib.parse.urlencode({"query": q, "format": fmt}))
    assert s == 200 and h["content-type"].startswith(ctype) and same(body, want)


@pytest.mark.parametrize("accept, parse_as", [
    ("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/ld+json", ox.RdfFormat.JSON_LD), ("application/rdf+xml", ox.RdfFormat.RDF_XML),
])
def test_construct_formats(kg, sparql, accept, parse_as):
    q = "CONSTRUCT { ?i rdfs:label ?l } WHERE { ?i a qd:Indicator ; rdfs:label ?l }"
    want = sorted(map(str, kg.query(q).triples))
    s, h, body = curl(sparql, "-H", "Accept: " + accept, "--data-urlencode", "query=" + q)
    assert s == 200 and h["content-type"].startswith(accept), body[:300]
    got = sorted(str(t.triple) for t in ox.parse(body.encode(), format=parse_as))
    assert got == want


def test_ask_and_not_acceptable(sparql):
    s, h, body = curl(sparql, "-H", "Accept: application/sparql-results+json", "--data-urlencode", "query=ASK { ?s a qd:Indicator }")
    assert s == 200 and json.loads(body) == {"head": {}, "boolean": True}
    s, _, body = curl(sparql, "-H", "Accept: image/png", "--data-urlencode", "query=ASK { ?s ?p ?o }")
    assert s == 406 and "available" in body
    s, _, body = curl(sparql + "?" + urllib.parse.urlencode({"query": "ASK {?s ?p ?o}", "format": "turtle"}))
    assert s == 406


def test_service_description(sparql, kg):
    s, h, body = curl(sparql)
    assert s == 200 and h["content-type"].startswith("text/turtle")
    g = list(ox.parse(body.encode(), format=ox.RdfFormat.TURTLE))
    sd = "http://www.w3.org/ns/sparql-service-description#"
    preds = {(t.predicate.value, str(t.object)) for t in g}
    assert (sd + "endpoint", f"<{sparql}>") in preds
    assert (sd + "supportedLanguage", f"<{sd}SPARQL11Query>") in preds
    assert any(p == "http://rdfs.org/ns/void#triples" and o.startswith(f'"{len(kg)}"') for p, o in preds)


def test_params_are_bound_as_terms(kg, sparql):
    iri = kg.query("SELECT ?i WHERE { ?i a qd:Indicator } ORDER BY ?i LIMIT 1").rows[0]["i"]
    q = "SELECT ?l WHERE { ?i rdfs:label ?l }"
    s, _, body = curl(sparql, "--data-urlencode", "query=" + q, "--data-urlencode", f"param=i=<{iri.value}>")
    assert s == 200
    assert json_row_set(json.loads(body)) == row_set(kg.query(q, {"i": iri}).rows)
    # a value with quotes and braces stays one literal: nothing is pasted into the query
    s, _, body = curl(sparql, "--data-urlencode", "query=SELECT ?x WHERE { BIND(?v AS ?x) }",
                      "--data-urlencode", 'param=v="} } DROP ALL #"@en')
    assert s == 200
    assert json.loads(body)["results"]["bindings"] == [{"x": {"type": "literal", "value": "} } DROP ALL #", "xml:lang": "en"}}]


# ------------------------------------------------------------------ read-only, bad input
@pytest.mark.parametrize("args", [
    ["--data-urlencode", "update=INSERT DATA { <urn:a> <urn:b> <urn:c> }"],
    ["-H", "Content-Type: application/sparql-update", "--data-binary", "DROP ALL"],
    ["--data-urlencode", "query=INSERT DATA { <urn:a> <urn:b> <urn:c> }"],
])
def test_update_is_forbidden(sparql, kg, args):
    before = len(kg)
    s, _, body = curl(sparql, *args)
    assert s == 403 and ("read-only" in body or "not allowed" in body)
    s, _, body = curl(sparql, "--data-urlencode", "query=ASK { <urn:a> <urn:b> <urn:c> }")
    assert json.loads(body)["boolean"] is False and len(kg) == before


@pytest.mark.parametrize("query, word", [
    ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "SERVICE"),
    ("LOAD <http://example.org/data.ttl>", "LOAD"),
])
def test_load_service_are_refused_with_the_guards_message(sparql, query, word):
    from qdgraph.errors import UnsafeQueryError
    from qdgraph.engine.sparql import check_read_only

    with pytest.raises(UnsafeQueryError) as err:
        check_read_only(query)
    s, h, body = curl(sparql, "--data-urlencode", "query=" + query)
    assert s == 403 and word in body and body.strip() == str(err.value)
    assert h["content-type"].startswith("text/plain")


def test_from_names_only_graphs_the_store_holds(sparql):
    s, h, body = curl(sparql, "--data-urlencode", "query=SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }")
    assert s == 400 and body.startswith("no graph <http://example.org/g> in this store") and "fetched" in body


def test_malformed_query_is_400_with_the_parsers_message(sparql):
    s, _, body = curl(sparql, "--data-urlencode", "query=SELECT ?s WHERE { ?s ?p }")
    assert s == 400 and "line 1, column" in body and "\n" == body[-1] and body.count("\n") == 1
    s, _, body = curl(sparql, "--data-urlencode", "query=")
    assert s == 400 and "empty query" in body
    s, _, body = curl(sparql, "-H", "Content-Type: text/plain", "--data-binary", "ASK {}")
    assert s == 415
    s, _, body = curl(sparql, "--data-urlencode", "query=ASK {}", "--data-urlencode", "default-graph-uri=urn:x")
    assert s == 400 and "no graph <urn:x>" in body  # only graphs the store holds; nothing is fetched


def test_row_cap_marks_truncation(sparql):
    q = ("SELECT ?a ?b WHERE { VALUES ?a { " + SLOW_VALUES[:119] + " } VALUES ?b { " + SLOW_VALUES + " } }")
    s, h, body = curl(sparql, "--data-urlencode", "query=" + q)
    doc = json.loads(body)
    assert s == 200 and len(doc["results"]["bindings"]) == 1000
    assert h["x-qdgraph-truncated"] == "max-rows=1000"
    assert doc["truncated"] is True and "urn:qdgraph:truncated" in doc["head"]["link"]
    s, h, body = curl(sparql, "-H", "Accept: text/csv", "--data-urlencode", "query=" + q)
    assert h["x-qdgraph-truncated"] and body.count("\r\n") == 1001
    s, h, body = curl(sparql, "--data-urlencode", "query=SELECT ?s WHERE { ?s a qd:Indicator }")
    assert "x-qdgraph-truncated" not in h


ODD_TEXT = "".join(chr(i) for i in range(0x80)) + "\u2028\ufeff青岛😀\U0010ffff"


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o", "SELECT ?x ?s WHERE { OPTIONAL { ?s ?p 'nothing' } }",
    "SELECT * WHERE {}", "SELECT ?s WHERE { ?s ?p ?o FILTER(false) }", "SELECT ?a WHERE { VALUES ?a { 1 2 UNDEF } }",
    "SELECT (TRIPLE(<http://a>, <http://b>, TRIPLE(<http://a>, <http://b>, 'c'@en)) AS ?t) (1/0 AS ?e) WHERE {}",
    'SELECT ("x"@en--ltr AS ?d) WHERE {}', "ASK { ?s ?p ?o }", "ASK { ?s ?p 'nothing' }"])
def test_the_engines_json_is_the_python_writers_document(query):
    """The worker lets the engine write SPARQL JSON; the bytes are those the Python writer
    writes, for every kind of term, or the Python writer answers (a base direction)."""
    from qdgraph.engine.backend import Dataset, LocalBackend
    from qdgraph.interfaces.server.worker import _engine_json

    st = ox.Store()
    s, p = ox.NamedNode("http://ex/s"), ox.NamedNode("http://ex/p%22q\u00e9")
    for o in (ox.Literal(ODD_TEXT), ox.Literal("x", language="zh-Hans"), ox.BlankNode("b1"),
              ox.Literal("1.50", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal"))):
        st.add(ox.Quad(s, p, o))
    backend = LocalBackend(st)
    engine = _engine_json(backend, query, {}, 100, None, Dataset((), ()))
    python = write(backend.query(query, {}, base_iri=None), "json", compact=True).encode("utf-8")
    if "--ltr" in query:
        assert engine is None  # the engine keeps the direction, the Python writer does not
    else:
        assert engine == python


def test_the_engines_json_leaves_a_long_answer_to_the_row_cap():
    from qdgraph.engine.backend import Dataset, LocalBackend
    from qdgraph.interfaces.server.worker import _engine_json, op_query

    q = "SELECT ?a WHERE { VALUES ?a { " + SLOW_VALUES + " } }"  # 80 rows
    backend = LocalBackend(ox.Store())
    assert _engine_json(backend, q, {}, 79, None, Dataset((), ())) is None
    assert _engine_json(backend, q, {}, 80, None, Dataset((), ())) is not None

    class KG:
        pass

    kg = KG()
    kg.backend = backend
    answer = op_query(kg, q, {}, "json", 79, None)
    assert answer.headers == {"X-Qdgraph-Truncated": "max-rows=79"} and json.loads(answer.body)["truncated"]


def _exchange(base: str, *sends) -> list[bytes]:
    """Send each of ``sends`` on one connection (waiting for the answers of one before the
    next; a tuple is sent in parts, a moment apart); the raw answers, split."""
    import socket

    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    answers = []
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        for data in sends:
            for part in data if isinstance(data, tuple) else (data,):
                sock.sendall(part)
                time.sleep(0.05)
            data = b"".join(data) if isinstance(data, tuple) else data
            want, got = data.count(b"HTTP/1.1\r\n"), b""
            while got.count(b"HTTP/1.1 ") < want or not _complete(got, want):
                chunk = sock.recv(65536)
                assert chunk, got
                got += chunk
            answers += [b"HTTP/1.1 " + a for a in got.split(b"HTTP/1.1 ")[1:]]
    return answers


def _complete(got: bytes, want: int) -> bool:
    parts = got.split(b"HTTP/1.1 ")[1:]
    if len(parts) < want:
        return False
    head, _, body = parts[-1].partition(b"\r\n\r\n")
    length = re.search(rb"content-length: (\d+)", head)
    return bool(length) and len(body) >= int(length.group(1))


def test_a_repeated_request_gets_the_same_answer_with_its_own_date(server):
    """Repeated requests are answered from the cache by their bytes: the same answer as the
    first, a Date of their own, keep-alive kept, pipelined or not; a request that differs in a
    header (Accept) is its own request."""
    q = b"SELECT ?s WHERE { ?s a qd:Indicator } ORDER BY ?s"

    def req(accept=b"application/sparql-results+json"):
        return (b"POST /sparql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/sparql-query\r\n"
                b"Accept: " + accept + b"\r\nContent-Length: %d\r\n\r\n" % len(q) + q)

    answers = _exchange(server, req(), req(), req() + req(), req(b"text/csv"), (req()[:30], req()[30:]))
    assert len(answers) == 6
    heads = [a.partition(b"\r\n\r\n")[0] for a in answers]
    bodies = [a.partition(b"\r\n\r\n")[2] for a in answers]
    assert all(h.startswith(b"HTTP/1.1 200 ") and b"\r\ndate: " in h for h in heads)
    assert all(b"connection: close" not in h for h in heads)
    json_answers = [b for i, b in enumerate(bodies) if i != 4]
    assert len(set(json_answers)) == 1 and json.loads(json_answers[0])["results"]["bindings"]
    assert bodies[4].startswith(b"s\r\n")  # CSV for the request that asked for it
    no_date = {re.sub(rb"\r\ndate: [^\r]*", b"", h) for i, h in enumerate(heads) if i != 4}
    assert len(no_date) == 1


def children(pid: int) -> set[int]:
    out = set()
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.add(int(d.name))
            except (OSError, IndexError, ValueError):
                pass
    return out


def query_workers(pid: int) -> set[int]:
    """The query workers below ``pid``: its own and those of the other serving processes."""
    out = set()
    for c in children(pid):
        try:
            cmd = Path(f"/proc/{c}/cmdline").read_bytes()
        except OSError:
            continue
        out |= {c} if b"server.worker" in cmd else query_workers(c)
    return out


def _cpu_ticks(pids) -> int:
    total = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total


@pytest.fixture(scope="module")
def uncached(tmp_path_factory, _private_cache):
    # eight workers: one serving process per core (up to two here), four workers each
    p, base = start_qdgraph(tmp_path_factory.mktemp("serve-uncached"), "--cache-mb", "0", "--workers", "8")
    yield base
    p.stop()


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads processes from /proc (Linux)")
def test_a_quick_query_asked_again_is_answered_without_waking_a_worker(uncached):
    """Without the result cache, a query that a worker answered quickly is answered again by
    the serving processes themselves: the same status, headers and bytes every time (the
    first answer came through the app's route, the others without it), and the workers' CPU
    stays still (through a worker, these requests cost them well over a second). Every serving
    process runs without the network, as the workers do. A query whose answer changes from run
    to run (RAND) still gets a new answer each time."""
    from test_guard_spellings import _seccomp_mode
    import http.client

    host, port = uncached.split("//")[1].split(":")
    q = "SELECT ?s ?l WHERE { ?s rdfs:label ?l } LIMIT 300"  # a few ms of CPU: answered in threads
    point = "ASK { ?s a qd:Indicator }"  # well under a millisecond: answered on the event loop
    conns = [http.client.HTTPConnection(host, int(port), timeout=30) for _ in range(8)]  # spread over the serving processes

    def ask(conn, query=q):
        conn.request("POST", "/sparql", query.encode(), {"Content-Type": "application/sparql-query",
                                                           "Accept": "application/sparql-results+json"})
        r = conn.getresponse()
        return r.status, r.read(), tuple((k, v) for k, v in r.getheaders() if k.lower() != "date")

    try:
        # the first on each serving process: a worker, which reports the CPU it took
        bodies = [ask(c) for _ in range(3) for c in conns]
        points = [ask(c, point) for _ in range(3) for c in conns]
        pid = _server_pid(uncached)
        workers = query_workers(pid)
        assert len(workers) == 8
        fronts = [pid, *(c for c in children(pid) if c not in workers)]
        assert len(fronts) == min(2, os.cpu_count() or 1)
        if _seccomp_mode(pid) is not None:  # Linux
            assert [_seccomp_mode(p) for p in fronts] == [2] * len(fronts)
        before = _cpu_ticks(workers)
        for k in range(250):
            bodies.append(ask(conns[k % len(conns)]))
            points.append(ask(conns[k % len(conns)], point))
        spent = _cpu_ticks(workers) - before
        assert {b for b in bodies} == {bodies[0]} and bodies[0][0] == 200
        assert {b for b in points} == {points[0]} and json.loads(points[0][1])["boolean"] is True
        assert len(json.loads(bodies[0][1])["results"]["bindings"]) == 300
        assert spent <= 10, f"the workers spent {spent} ticks on requests known to be quick"
        rand = {ask(conns[0], "SELECT (RAND() AS ?r) WHERE {}")[1] for _ in range(20)}
        assert len(rand) == 20
    finally:
        for c in conns:
            c.close()


@pytest.mark.slow  # waits out a real time limit, or kills a real writer
def test_slow_query_times_out_without_freezing_fast_ones(strict):
    sparql = strict + "/sparql"
    slow: dict = {}

    def run_slow():
        t = time.monotonic()
        slow["status"], _, slow["body"] = http("POST", sparql, SLOW.encode(), {"Content-Type": "application/sparql-query"})
        slow["secs"] = time.monotonic() - t

    th = threading.Thread(target=run_slow)
    th.start()
    time.sleep(0.3)  # the slow query is now running in a worker
    fast = []
    while th.is_alive() and len(fast) < 200:
        t = time.monotonic()
        status, _, body = http("GET", sparql + "?" + urllib.parse.urlencode({"query": "ASK { ?s a qd:Indicator }"}),
                               headers={"Accept": "application/sparql-results+json"})
        fast.append(time.monotonic() - t)
        assert status == 200 and json.loads(body)["boolean"] is True
        time.sleep(0.02)  # a client asking again and again, not a busy loop
    th.join()
    assert slow["status"] == 503, slow
    assert f"did not finish within {TIMEOUT:g} s".encode() in slow["body"]
    assert TIMEOUT - 0.2 < slow["secs"] < TIMEOUT + 2
    assert len(fast) >= 10 and max(fast) < 0.5, fast  # answered all along, promptly


@pytest.mark.slow  # waits out a real time limit, or kills a real writer
@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads processes from /proc (Linux)")
def test_timed_out_worker_is_killed_and_replaced(strict):
    sparql = strict + "/sparql"
    pid = _server_pid(strict)
    before = _settled_children(pid)
    status, _, _ = http("POST", sparql, SLOW.encode(), {"Content-Type": "application/sparql-query"})
    assert status == 503
    end = time.monotonic() + 30
    while time.monotonic() < end:
        now = query_workers(pid)
        if len(now) == len(before) and now != before:
            break
        time.sleep(0.1)
    now = query_workers(pid)
    assert len(now) == len(before) and now != before  # one worker gone (killed), a new one in its place
    status, _, _ = http("GET", sparql + "?query=ASK%7B%7D")
    assert status == 200


def _settled_children(pid: int):
    """The worker set once it stops changing (an earlier test's replacement may still be starting)."""
    last, end = query_workers(pid), time.monotonic() + 20
    while time.monotonic() < end:
        time.sleep(0.5)
        now = query_workers(pid)
        if now == last:
            return now
        last = now
    return last


def _server_pid(base: str) -> int:
    port = int(base.rsplit(":", 1)[1])
    # the process that listens on the port: find it through /proc/net/tcp and the fds
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        if int(parts[1].split(":")[1], 16) == port and parts[3] == "0A":
            inode = parts[9]
    assert inode
    holders = {}  # every serving process holds it: the first is the one whose parent does not
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            for fd in (d / "fd").iterdir():
                if os.readlink(fd) == f"socket:[{inode}]":
                    holders[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
                    break
        except OSError:
            continue
    first = [pid for pid, parent in holders.items() if parent not in holders]
    assert len(first) == 1, holders
    return first[0]


# ------------------------------------------------------------------ SPARQLWrapper
def test_sparqlwrapper_select_get_and_post(kg, sparql):
    from SPARQLWrapper import GET, JSON, POST, POSTDIRECTLY, SPARQLWrapper

    want = row_set(kg.query(LABELS).rows)
    for method, req in ((GET, None), (POST, None), (POST, POSTDIRECTLY)):
        sw = SPARQLWrapper(sparql)
        sw.setQuery("PREFIX qd: <https://w3id.org/qdgraph/ontology#>\n"
                    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n" + LABELS)
        sw.setReturnFormat(JSON)
        sw.setMethod(method)
        if req:
            sw.setRequestMethod(req)
        assert json_row_set(sw.query().convert()) == want


def test_sparqlwrapper_formats(kg, sparql):
    from SPARQLWrapper import CSV, JSONLD, N3, TSV, TURTLE, XML, SPARQLWrapper

    sw = SPARQLWrapper(sparql)
    sw.setQuery(LABELS)
    sw.setReturnFormat(XML)
    doc = sw.query().convert()  # a DOM document
    assert len(doc.getElementsByTagName("result")) == len(kg.query(LABELS).rows)
    for fmt in (CSV, TSV):
        sw.setReturnFormat(fmt)
        assert len(sw.query().convert().decode().strip().splitlines()) == len(kg.query(LABELS).rows) + 1
    sw.setQuery("CONSTRUCT WHERE { ?i a qd:Indicator ; rdfs:label ?l }")
    n = len(kg.query("CONSTRUCT WHERE { ?i a qd:Indicator ; rdfs:label ?l }").triples)
    for fmt in (XML, TURTLE, JSONLD, N3):
        sw.setReturnFormat(fmt)
        res = sw.query().convert()
        if isinstance(res, bytes):
            import rdflib

            res = rdflib.Graph().parse(data=res, format={TURTLE: "turtle", N3: "n3"}[fmt])
        assert len(res) == n, fmt


def test_sparqlwrapper_ask_update_and_bad_query(sparql):
    import urllib.error

    from SPARQLWrapper import JSON, POST, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    sw = SPARQLWrapper(sparql)
    sw.setReturnFormat(JSON)
    sw.setQuery("ASK { ?s a qd:Pillar }")
    assert sw.query().convert()["boolean"] is True
    sw.setQuery("SELECT ?s WHERE { ?s ?p }")
    with pytest.raises(QueryBadFormed, match="line 1"):
        sw.query()
    sw.setMethod(POST)
    sw.setQuery("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    with pytest.raises(urllib.error.HTTPError) as err:
        sw.query()
    assert err.value.code == 403


# ------------------------------------------------------------------ JSON lookups
def test_lookups_match_the_library(kg, server):
    from qdgraph.domain.entity import describe
    from qdgraph.domain.measures import measures_for

    inds = kg.query("SELECT ?i ?zh WHERE { ?i a qd:Indicator ; rdfs:label ?zh FILTER(lang(?zh) = 'zh') }").rows
    assert inds
    for r in inds:
        s, h, body = curl(server + "/api/measures?" + urllib.parse.urlencode({"indicator": r["zh"].value}))
        assert s == 200 and h["content-type"].startswith("application/json")
        assert json.loads(body) == json.loads(json.dumps(measures_for(kg, r["zh"].value).to_dict()))
    # the --basis filter, the same over HTTP
    q = urllib.parse.urlencode({"indicator": inds[0]["zh"].value, "basis": "subject,roadmap"})
    s, _, body = curl(server + "/api/measures?" + q)
    assert s == 200
    assert json.loads(body) == json.loads(json.dumps(measures_for(kg, inds[0]["zh"].value, "subject,roadmap").to_dict()))
    name = inds[0]["i"].value
    s, _, body = curl(server + "/api/entity?" + urllib.parse.urlencode({"name": name}))
    assert s == 200 and json.loads(body) == json.loads(json.dumps(describe(kg, name).to_dict()))
    s, _, body = curl(server + "/api/search?" + urllib.parse.urlencode({"q": inds[0]["zh"].value[:2], "limit": 5}))
    hits = json.loads(body)["results"]
    want = kg.names().search(inds[0]["zh"].value[:2], limit=5)
    assert [h["iri"] for h in hits] == [e["iri"] for _, e in want]
    s, _, body = curl(server + "/api/indicators")
    assert s == 200 and len(json.loads(body)["indicators"]) == len(kg.named("indicators").rows)
    s, _, body = curl(server + "/api/queries")
    from qdgraph.engine.queries import all_queries

    assert [q["name"] for q in json.loads(body)["queries"]] == list(all_queries())


def test_lookup_errors_are_json(server):
    s, h, body = curl(server + "/api/measures?" + urllib.parse.urlencode({"indicator": "<script>zzzz不存在</script>"}))
    assert s == 404 and h["content-type"].startswith("application/json")
    assert "no indicator matches" in json.loads(body)["error"]
    s, _, body = curl(server + "/api/measures?indicator=gdp&basis=nonsense")
    assert s in (400, 404) and "unknown basis" in json.loads(body)["error"]
    s, _, body = curl(server + "/api/entity")
    assert s == 400 and "name" in json.loads(body)["error"]
    s, _, body = curl(server + "/api/search?q=x&limit=abc")
    assert s == 400
    s, _, _ = curl(server + "/nope")
    assert s == 404


def test_viz_page_or_501(kg, server):
    import importlib.util

    chain = kg.query("SELECT ?c WHERE { ?c a qd:IndustryChain } ORDER BY ?c LIMIT 1").rows
    s, h, body = curl(server + "/viz/chain?" + urllib.parse.urlencode({"name": chain[0]["c"].value if chain else "x"}))
    if importlib.util.find_spec("qdgraph.presentation.viz") is None:
        assert s == 501
    else:
        assert s == 200 and h["content-type"].startswith("text/html") and "<html" in body.lower()
        s, _, body = curl(server + "/viz/chain?name=%3Cscript%3Enothing-like-this")
        assert s in (400, 404) and "<script>" not in h.get("content-type", "")


# ------------------------------------------------------------------ the page, CORS, bind address
def test_page_is_offline_and_escapes(server):
    s, h, html = curl(server + "/query")  # the workbench; the site has the home page
    assert s == 200 and h["content-type"].startswith("text/html")
    assert "default-src 'none'" in h["content-security-policy"]
    assert "<textarea" in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith(("/", "#")) and not a.startswith("//") for a in assets), assets
    for path in ("/static/app.js", "/static/app.css"):
        s, _, text = curl(server + path)
        assert s == 200 and text
        html += text
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", html, re.I), "the page must load nothing from the network"
    assert "innerHTML" not in html  # graph and user text go through textContent


def test_site_and_workbench_beside_the_endpoint(kg, server, sparql):
    """The site's pages are mounted in the same server: its home page at /, every entity at
    its /id/… path; the workbench at /query, and at /sparql for a browser that sends no query;
    a SPARQL client at /sparql still gets the service description."""
    import importlib.util

    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    s, h, html = curl(sparql, "-H", "Accept: " + browser)
    assert s == 200 and h["content-type"].startswith("text/html") and "<textarea" in html
    s, h, _ = curl(sparql)
    assert s == 200 and h["content-type"].startswith("text/turtle")
    if importlib.util.find_spec("qdgraph.interfaces.site") is None:
        pytest.skip("the site (qdgraph.interfaces.site) is not installed")
    s, h, html = curl(server + "/", "-H", "Accept: " + browser)
    assert s == 200 and h["content-type"].startswith("text/html") and "<textarea" not in html
    iri = kg.query("SELECT ?i WHERE { ?i a qd:Indicator } ORDER BY ?i LIMIT 1").rows[0]["i"].value
    path = urllib.parse.urlsplit(iri).path
    assert path.startswith("/qdgraph/id/")
    s, h, html = curl(server + path.removeprefix("/qdgraph"), "-H", "Accept: " + browser)
    assert s == 200 and h["content-type"].startswith("text/html")


def test_no_cors_unless_asked_and_loopback_only(server, sparql):
    s, h, _ = curl(sparql + "?query=ASK%7B%7D", "-H", "Origin: https://evil.example")
    assert s == 200 and "access-control-allow-origin" not in h
    s, h, _ = curl(sparql, "-X", "OPTIONS", "-H", "Origin: https://evil.example",
                   "-H", "Access-Control-Request-Method: POST")
    assert "access-control-allow-origin" not in h
    assert server.startswith("http://127.0.0.1:")


@pytest.mark.slow  # starts a second server of its own
def test_cors_and_data_when_asked(tmp_path_factory, _private_cache):
    tmp = tmp_path_factory.mktemp("serve-cors")
    extra = tmp / "extra.ttl"
    extra.write_text('<urn:qdgraph:test> <http://www.w3.org/2000/01/rdf-schema#label> "测试"@zh .\n', encoding="utf-8")
    p, base = start_qdgraph(tmp, "--cors", "https://example.org", "--workers", "1", "--data", str(extra))
    try:
        s, h, body = curl(base + "/sparql?query=" + urllib.parse.quote("ASK { <urn:qdgraph:test> rdfs:label ?l }"),
                          "-H", "Origin: https://example.org")
        assert s == 200 and json.loads(body)["boolean"] is True
        assert h["access-control-allow-origin"] == "https://example.org"
        s, h, _ = curl(base + "/sparql", "-X", "OPTIONS", "-H", "Origin: https://example.org")
        assert s == 204 and "POST" in h["access-control-allow-methods"]
    finally:
        p.stop()
    assert p.proc.returncode == 0


def test_serve_errors_are_one_line(cli):
    from conftest import assert_one_line_error

    res = cli("serve", "--cors", "evil\r\nX: y")
    assert_one_line_error(res, 2, "--cors")
    res = cli("serve", "--data", str(ROOT / "missing.ttl"))
    assert res.code != 0 and "Traceback" not in res.err


# ------------------------------------------------------------------ --endpoint on our own server
def test_endpoint_backend_against_qdgraph_serve(kg, sparql):
    from qdgraph.engine.graph import open_graph
    from qdgraph.domain.measures import measures_for

    remote = open_graph(endpoint=sparql)
    assert len(remote) == len(kg)
    name = kg.query("SELECT ?zh WHERE { ?i a qd:Indicator ; rdfs:label ?zh FILTER(lang(?zh)='zh') } LIMIT 1").rows[0]["zh"].value
    assert measures_for(remote, name).to_dict() == measures_for(kg, name).to_dict()

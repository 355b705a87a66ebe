"""The read-only guard against 10,000 SERVICE spellings generated from the SPARQL grammar
(tests/sparql_spellings.py), through the library and `qdgraph serve`, with a listener counting
every connection; and the operating-system layer behind the guard (qdgraph.engine.sandbox):
with the guard switched off, a process that gave up the network still fetches nothing.
The CLI's pass over the same spellings is tests/test_guard_spellings_cli.py."""
from __future__ import annotations

import http.client
import subprocess
import sys
import textwrap
import threading
import urllib.parse
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import ROOT
from sparql_spellings import spellings
from test_read_only_guard import Listener

N = 10_000


@pytest.fixture(scope="module")
def listener():
    lst = Listener()
    yield lst
    lst.sock.close()


def test_the_spellings_are_real_service_calls(listener):
    """Oxigraph reads nearly all of them as queries, and run without the guard they connect:
    the tests below could fail."""
    from qdgraph.namespaces import PREFIXES

    store = ox.Store()
    store.update("INSERT DATA { <http://example.org/s> a <https://w3id.org/qdgraph/ontology#Pillar> ; "
                 "<http://example.org/p> 1, 'x', <http://example.org/o> }")
    sample = spellings(listener.url, N)[::50]  # 200 spread over the list
    before, parsed = listener.count, 0
    for q in sample:
        try:
            res = store.query(q, prefixes=dict(PREFIXES), base_iri="https://w3id.org/qdgraph/id/")
            bool(res) if isinstance(res, ox.QueryBoolean) else list(res)
            parsed += 1
        except SyntaxError:
            pass  # keywords spelled with \\u escapes: Oxigraph does not unescape them
        except (OSError, RuntimeError):  # it parsed; the call failed (the listener's reply, a join)
            parsed += 1
    assert parsed >= 0.9 * len(sample)
    assert listener.count - before >= 20


def test_library_refuses_every_spelling_without_a_connection(kg, listener):
    from qdgraph.errors import QuerySyntaxError, UnsafeQueryError

    before = listener.count
    leaked, kinds = [], {UnsafeQueryError: 0, QuerySyntaxError: 0}
    for q in spellings(listener.url, N):
        try:
            kg.query(q)
            leaked.append(q)
        except (UnsafeQueryError, QuerySyntaxError) as err:
            kinds[type(err)] += 1
    assert not leaked, leaked[:3]
    assert listener.count == before
    assert kinds[UnsafeQueryError] >= 0.95 * N  # refused as SERVICE, not merely as bad syntax


@pytest.mark.server
@pytest.mark.slow
def test_serve_refuses_every_spelling_without_a_connection(tmp_path_factory, _private_cache, listener):
    from test_server import start_qdgraph

    proc, base = start_qdgraph(tmp_path_factory.mktemp("spellings"))
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    queries = spellings(listener.url, N)
    statuses: dict[int, int] = {}
    leaks: list[str] = []
    lock = threading.Lock()

    def client(part: list[str]) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        for q in part:
            body = urllib.parse.urlencode({"query": q}).encode()
            conn.request("POST", "/sparql", body, {"Content-Type": "application/x-www-form-urlencoded"})
            resp = conn.getresponse()
            data = resp.read()
            with lock:
                statuses[resp.status] = statuses.get(resp.status, 0) + 1
                if b"LEAKED" in data:
                    leaks.append(q)
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.close()

    try:
        before = listener.count
        threads = [threading.Thread(target=client, args=(queries[i::4],)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sum(statuses.values()) == N
        assert set(statuses) <= {400, 403}, statuses
        assert statuses.get(403, 0) >= 0.95 * N
        assert not leaks
        assert listener.count == before
    finally:
        proc.stop()


# ------------------------------------------------------------------ below the guard
def _seccomp_mode(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Seccomp:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


needs_seccomp = pytest.mark.skipif(not sys.platform.startswith("linux") or _seccomp_mode(1) is None,
                                   reason="the network sandbox is seccomp, which only Linux has")


@needs_seccomp
def test_without_the_guard_a_process_that_gave_up_the_network_fetches_nothing(listener, tmp_path):
    """`qdgraph query` on a local graph gives up the network before the engine sees the query:
    with the guard switched off (as a future miss would), the SERVICE call fails to connect."""
    script = textwrap.dedent(f"""
        import sys
        import qdgraph.engine.sparql as sparql
        import qdgraph.engine.graph as graph
        sparql.check_query = graph.check_query = lambda *a, **k: "SELECT"   # the guard, switched off
        from qdgraph.interfaces import cli
        cli.OWN_PROCESS = True
        sys.exit(cli.run(["query", "SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?a ?b ?c }} }}"]))
    """)
    before = listener.count
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                            "HOME": str(tmp_path), "QDGRAPH_CACHE": str(tmp_path / "cache")})
    assert listener.count == before, out.stdout + out.stderr
    assert "LEAKED" not in out.stdout
    assert out.returncode != 0 and out.stderr.count("\n") == 1, out.stderr  # one line, no traceback


@needs_seccomp
@pytest.mark.server
def test_serve_workers_run_without_the_network(tmp_path_factory, _private_cache):
    """Every process of `qdgraph serve` runs under a seccomp filter: its query workers, and the
    serving processes too (they answer quick queries themselves), once the socket listens."""
    from test_server import start_qdgraph

    proc, _ = start_qdgraph(tmp_path_factory.mktemp("sandbox"))
    try:
        pid = proc.proc.pid
        def below(p: int) -> list[int]:
            kids = [int(c) for t in Path(f"/proc/{p}/task").iterdir() for c in (t / "children").read_text().split()]
            return kids + [d for k in kids for d in below(k)]

        every = [pid, *below(pid)]
        assert len(every) >= 3
        assert all(_seccomp_mode(c) == 2 for c in every), [(c, _seccomp_mode(c)) for c in every]
    finally:
        proc.stop()

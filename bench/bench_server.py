#!/usr/bin/env python3
"""Bounded load test of `qdgraph serve`, compared with `oxigraph serve-read-only` on the same
store (read-only, both at once; --oxigraph-store copy: a copy of its triples) and the same query
mix, in one run, on loopback.

    python bench/bench_server.py [--clients 50] [--requests 2000]

50 clients (spread over a few processes, each client a thread with a keep-alive connection)
send a fixed number of SPARQL requests (2000 per run, 3 runs per server and mix, the servers
taking turns so that noise on a shared machine hits both) (the named queries the CLI runs, a parameterised
measures lookup, label lookups, ASK); every answer must be 200. Prints latency p50/p95/p99 and
throughput for each server and the throughput ratios against Oxigraph measured in the same run
(issue 24's targets: without the result cache >= 0.5x on the light mix and >= 0.8x on the cli mix;
with the cache, on these repeated queries, >= 1x), and each server's own CPU per answer (its
process and, for qdgraph, its query workers): on a machine shared with other work, throughput
follows the load average, CPU per answer much less.
Prints figures, asserts nothing.
"""
from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def query_mixes(kg) -> dict[str, list[str]]:
    """Two mixes of full query texts (prefix lines included), identical for both servers:
    "cli", the queries the lookups run (the engine's work dominates), and "light", point
    lookups and ASK that take the engine well under a millisecond (the server's own overhead
    dominates)."""
    cli = query_mix(kg)
    light = [q for q in cli if "ASK" in q or "SELECT ?p ?o WHERE" in q]
    return {"cli": cli, "light": light}


def query_mix(kg) -> list[str]:
    """Full query texts (prefix lines included), identical for both servers."""
    from qdgraph.namespaces import sparql_prologue
    from qdgraph.engine.queries import all_queries
    from qdgraph.engine.sparql import bind_values

    named = all_queries()
    mix = [named[n].text for n in ("indicators", "chains", "pillars", "stats") if n in named]
    inds = [r["i"] for r in kg.query("SELECT ?i WHERE { ?i a qd:Indicator } ORDER BY ?i").rows]
    for i in inds[:4]:
        mix.append(bind_values(named["measures-for-indicator"].text, {"indicator": i}))
        mix.append(bind_values("SELECT ?p ?o WHERE { ?s ?p ?o }", {"s": i}))
    mix.append("ASK { ?s a qd:Pillar }")
    mix.append('SELECT ?s WHERE { ?s rdfs:label ?l FILTER(CONTAINS(STR(?l), "青岛")) } LIMIT 20')
    return [sparql_prologue() + q for q in mix]


# ------------------------------------------------------------------ load generator
def _client(host, port, path, queries, n, offset, out, errors):
    conn = http.client.HTTPConnection(host, port, timeout=60)
    for k in range(n):
        body = queries[(offset + k) % len(queries)].encode("utf-8")
        t = time.perf_counter()
        try:
            conn.request("POST", path, body, {"Content-Type": "application/sparql-query",
                                              "Accept": "application/sparql-results+json"})
            resp = conn.getresponse()
            resp.read()
            ok = resp.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=60)
        out.append(time.perf_counter() - t)
        if not ok:
            errors.append(1)
    conn.close()


def _process(args):
    host, port, path, queries, counts, first, barrier_at = args
    while time.time() < barrier_at:  # every process starts at the same moment
        time.sleep(0.001)
    lat, errs, threads = [], [], []
    for j, n in enumerate(counts):
        t = threading.Thread(target=_client, args=(host, port, path, queries, n, first + j, lat, errs))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    return lat, len(errs)


def load(url_path: str, port: int, queries, clients: int, requests: int, procs: int):
    per_client = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]
    groups = [per_client[i::procs] for i in range(procs)]
    start_at = time.time() + 0.5
    jobs = [("127.0.0.1", port, url_path, queries, g, i * 7, start_at) for i, g in enumerate(groups)]
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        t0 = time.time()
        results = pool.map(_process, jobs)
        wall = time.time() - max(t0, start_at)
    lat = sorted(x for r in results for x in r[0])
    errors = sum(r[1] for r in results)
    return lat, errors, wall


def pct(lat, p):
    return lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))] * 1000


def report(name, runs, requests):
    """One line per server: median throughput over the rounds; latencies pooled."""
    lat = sorted(x for _, l, _ in runs for x in l)
    errors = sum(e for _, _, e in runs)
    rps = statistics.median(r for r, _, _ in runs)
    print(f"{name:<26} {len(runs)}x{requests} requests  errors {errors}  {rps:6.0f} req/s (median; "
          f"{'/'.join(f'{r:.0f}' for r, _, _ in runs)})  p50 {pct(lat, 50):5.1f} ms  p95 {pct(lat, 95):5.1f} ms  "
          f"p99 {pct(lat, 99):5.1f} ms")


# ------------------------------------------------------------------ servers
def wait_http(port: int, path: str, proc, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path)
            c.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and its live descendants (qdgraph's other serving
    processes and every query worker)."""
    def one(p):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return 0.0
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = [int(k) for k in f.read().split()]
    except OSError:
        kids = []
    return one(pid) + sum(tree_cpu(k) for k in kids)


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--procs", type=int, default=5, help="client processes the clients are spread over")
    ap.add_argument("--rounds", type=int, default=3, help="runs per server and mix (the servers alternate)")
    ap.add_argument("--workers", type=int, help="qdgraph serve --workers")
    ap.add_argument("--mix", action="append", choices=("cli", "light"), help="only this mix (again for more; default: both)")
    ap.add_argument("--oxigraph-store", choices=("same", "copy"), default="same",
                    help="same: Oxigraph opens the very store qdgraph serves (read-only; the issue's "
                         "comparison); copy: a fresh store of the same triples (written in one go, its "
                         "files laid out differently: the engine reads it ~25%% faster)")
    a = ap.parse_args()

    from qdgraph.engine.graph import open_graph

    kg = open_graph()
    tmp = Path(tempfile.mkdtemp(prefix="qdgraph-bench-"))
    procs = []
    try:
        from qdgraph.storage.generations import STORE_SUBDIR

        ox_store = kg.backend.gen / STORE_SUBDIR  # the bundled store qdgraph serve opens
        if a.oxigraph_store == "copy":  # the same triples in a store of its own
            import pyoxigraph as ox

            ox_store = tmp / "ox"
            st = ox.Store(str(ox_store))
            st.extend(kg.quads())
            st.flush()
            del st
        ox_port = free_port()
        oxp = subprocess.Popen(["oxigraph", "serve-read-only", "--location", str(ox_store),
                                "--bind", f"127.0.0.1:{ox_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(oxp)
        q_ports = {}
        for name, extra in (("qdgraph serve (uncached)", ["--cache-mb", "0"]), ("qdgraph serve (cached)", [])):
            log = tmp / f"serve-{len(q_ports)}.log"
            cmd = [sys.executable, str(ROOT / "cli.py"), "serve", "--port", "0", "--quiet", "--timeout", "30",
                   "--max-rows", "100000", *extra] + (["--workers", str(a.workers)] if a.workers else [])
            qp = subprocess.Popen(cmd, stdout=open(log, "w"), stderr=subprocess.STDOUT, cwd=ROOT)
            procs.append(qp)
            end = time.time() + 90
            while not (m := re.search(r"serving at http://127\.0\.0\.1:(\d+)/", log.read_text())):
                if time.time() > end or qp.poll() is not None:
                    raise SystemExit("qdgraph serve did not start:\n" + log.read_text())
                time.sleep(0.1)
            q_ports[name] = int(m.group(1))
        wait_http(ox_port, "/query?query=ASK%7B%7D", oxp)
        print(f"graph: {len(kg)} triples; Oxigraph on {'the same store' if a.oxigraph_store == 'same' else 'a copy'} "
              f"({ox_store}); {a.clients} clients over {a.procs} processes; {a.requests} requests per run; "
              f"{os.cpu_count()} CPUs")
        # uncached: every request runs the query; cached: the mixes repeat their queries, as a
        # dashboard does, so after the warm-up every answer is a lookup (--cache-mb)
        servers = tuple((name, port, "/sparql") for name, port in q_ports.items()) + (
            ("oxigraph serve-read-only", ox_port, "/query"),)
        pids = {name: p.pid for name, p in zip(q_ports, procs[1:])} | {"oxigraph serve-read-only": oxp.pid}
        for mix_name, queries in query_mixes(kg).items():
            if a.mix and mix_name not in a.mix:
                continue
            print(f"\nmix {mix_name!r}: {len(queries)} queries; {a.rounds} rounds, the servers taking turns")
            for name, port, path in servers:
                load(path, port, queries, min(a.clients, 10), 200, min(a.procs, 2))  # warm-up
            runs = {name: [] for name, _, _ in servers}
            cpu = {name: 0.0 for name, _, _ in servers}
            for _ in range(a.rounds):  # alternate, so a noisy moment on a shared machine hits both
                for name, port, path in servers:
                    before = tree_cpu(pids[name])
                    lat, errors, wall = load(path, port, queries, a.clients, a.requests, a.procs)
                    cpu[name] += tree_cpu(pids[name]) - before
                    runs[name].append((a.requests / wall, lat, errors))
            for name, rs in runs.items():
                report(name, rs, a.requests)
            # the servers' own CPU per answer (process and workers; the load generator excluded):
            # what a busy machine's share buys, steadier than throughput while the load swings
            print("server CPU per answer: " + ", ".join(
                f"{name.split(' (')[-1].rstrip(')') if 'qdgraph' in name else 'oxigraph'} "
                f"{1000 * c / (a.rounds * a.requests):.2f} ms" for name, c in cpu.items()))
            uncached = {"light": 0.5, "cli": 0.8}.get(mix_name, 0.5)
            for name, target in (("qdgraph serve (uncached)", uncached), ("qdgraph serve (cached)", 1.0)):
                ratios = [q[0] / o[0] for q, o in zip(runs[name], runs["oxigraph serve-read-only"])]
                print(f"throughput ratio {name} / oxigraph: median {statistics.median(ratios):.2f}x "
                      f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)}; target >= {target}x: "
                      f"{'met' if statistics.median(ratios) >= target else 'NOT met'}; load average {os.getloadavg()[0]:.1f})")
    finally:
        for p in procs:
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

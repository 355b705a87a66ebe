#!/usr/bin/env python3
"""A lookup through OpenLink Virtuoso beside the same lookup on the embedded graph.

Starts a private Virtuoso (Debian's virtuoso-opensource with Debian's own virtuoso.ini and its
[SPARQL] limits, files in a temporary folder, loopback, free ports: tests/virtuoso_server.py), pushes the bundled graph with `qdgraph push` (Digest login), and
times whole `qdgraph` processes with and without `--endpoint`. With `--triples N` it also
bulk-loads a synthetic city of about N triples (bench/generate.py, plus `qdgraph export
--format nt`) with Virtuoso's bulk loader and times the lookups against that graph.

    python bench/bench_virtuoso.py [-n RUNS] [--triples 1000000]

The first lookup through an endpoint builds the name index (every label) and keeps it in the
cache folder; the medians are of the lookups after it.

Prints medians; asserts nothing.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from virtuoso_server import MISSING, Virtuoso  # noqa: E402

PASSWORD = "bench-pw"
GRAPH = "https://w3id.org/qdgraph/graph"
LOOKUPS = [["measures", "人才总量"], ["show", "歌尔"], ["indicators"], ["chains"],
           ["path", "歌尔", "人才总量"], ["rank", "--type", "Measure"]]  # the last two read the whole graph


def qdgraph() -> list[str]:
    return [sys.executable, str(ROOT / "cli.py")]  # this checkout's code, whatever is installed


def timed(cmd: list[str], runs: int) -> float:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        out.append(time.perf_counter() - t)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.strip()}")
    return statistics.median(out)


def table(title: str, rows: list[tuple[str, float, float]]) -> None:
    print(f"\n{title}")
    from qdgraph.presentation.formats import pad  # lines up Chinese (wide) characters

    print(f"  {'lookup':<22}{'embedded':>10}{'Virtuoso':>10}{'ratio':>8}")
    for name, a, b in rows:
        print(f"  {pad(name, 22)}{a * 1000:>8.0f}ms{b * 1000:>8.0f}ms{b / a:>7.1f}×")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--runs", type=int, default=7)
    ap.add_argument("--triples", type=int, default=0, help="also bulk-load a synthetic city of about N triples")
    args = ap.parse_args()
    if MISSING:
        raise SystemExit(MISSING)
    q = qdgraph()
    with tempfile.TemporaryDirectory(prefix="qdgraph-bench-virtuoso-") as tmp:
        tmp = Path(tmp)
        (tmp / "db").mkdir()
        t = time.perf_counter()
        server = Virtuoso(tmp / "db", PASSWORD, load_dir=tmp, memory_gb=2 if args.triples else 0.25)
        print(f"Virtuoso started in {time.perf_counter() - t:.1f} s at {server.url}")
        try:
            endpoint = server.url + "/sparql?" + urllib.parse.urlencode({"default-graph-uri": GRAPH})
            t = time.perf_counter()
            subprocess.run([*q, "push", server.url + "/sparql-graph-crud-auth", "--user", f"dba:{PASSWORD}"],
                           check=True, capture_output=True)
            print(f"push of the bundled graph (Graph Store PUT, Digest): {time.perf_counter() - t:.2f} s")
            rows = []
            for lookup in LOOKUPS:
                rows.append((" ".join(lookup), timed([*q, *lookup], args.runs),
                             timed([*q, *lookup, "--endpoint", endpoint], args.runs)))
            table(f"bundled graph, whole `qdgraph` processes, median of {args.runs}", rows)
            if args.triples:
                big(server, q, tmp, args)
        finally:
            server.stop()


def big(server, q, tmp: Path, args) -> None:
    import generate

    nt = tmp / "city.nt"
    with open(nt, "w", encoding="utf-8") as f:
        subprocess.run([*q, "export", "--format", "nt"], stdout=f, check=True)
        n = generate.generate(f, generate.enterprises_for(args.triples))
    graph = "https://w3id.org/qdgraph/bench-city"
    t = time.perf_counter()
    server.bulk_load(nt, graph)
    print(f"\nbulk load (ld_dir + rdf_loader_run) of {nt.stat().st_size / 1e6:.0f} MB, "
          f"{n:,} + bundled triples: {time.perf_counter() - t:.1f} s")
    store = tmp / "store"
    t = time.perf_counter()
    subprocess.run([*q, "load", str(nt), "--store", str(store)], check=True, capture_output=True)
    print(f"qdgraph load of the same file into an on-disk store: {time.perf_counter() - t:.1f} s")
    endpoint = server.url + "/sparql?" + urllib.parse.urlencode({"default-graph-uri": graph})
    first = timed([*q, *LOOKUPS[0], "--endpoint", endpoint], 1)
    print(f"first lookup through Virtuoso (reads every label, in pages, to build the name index): {first:.1f} s")
    rows = []
    for lookup in LOOKUPS[:2]:
        rows.append((" ".join(lookup), timed([*q, *lookup, "--store", str(store)], args.runs),
                     timed([*q, *lookup, "--endpoint", endpoint], args.runs)))
    table(f"{args.triples:,}-triple city: --store vs Virtuoso --endpoint, median of {args.runs}", rows)


if __name__ == "__main__":
    main()

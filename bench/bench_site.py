#!/usr/bin/env python3
"""Median server time of the site's pages, per kind of page (target: at most 50 ms on the
bundled data).

    python bench/bench_site.py [--runs 15]

The site's routes run in-process under Starlette's test client; each answer's
``Server-Timing: page;dur=…`` header is the server's own time (routing, the page's queries and
library calls in a thread, the template). The first answer of each kind (cold: the graph's
claims, quotes and progress read once per store generation, matplotlib imported) is printed
apart. Then every IRI of the graph is fetched once as HTML and once as Turtle. Prints figures,
asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = {
    "home": "/",
    "indicator": "/id/indicator-total-talent",
    "measure": "/id/measure-support-industrial-internet-platforms",
    "chain": "/id/chain-virtual-reality",
    "platform": "/id/platform-kaos",
    "claim": "/id/claim-platform-kaos--partOfProgramme--programme-shuangkua-platforms",
    "quote": "/id/q000-030",
    "source": "/source/doc-000",
    "search (name)": "/search?q=" + quote("xunixianshi"),
    "search (question)": "/search?q=" + quote("哪些措施影响人才总量"),
    "rdf (turtle)": "/id/indicator-total-talent?format=turtle",
}


def server_ms(resp) -> float:
    return float(resp.headers["server-timing"].split("dur=")[1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    a = ap.parse_args()

    import warnings

    warnings.filterwarnings("ignore")
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from qdgraph.interfaces.site import ID_PREFIX, SiteState, routes

    state = SiteState()
    client = TestClient(Starlette(routes=routes(state)))
    print(f"{'page':<20} {'cold ms':>8} {'median ms':>10} {'p90 ms':>8} {'CPU ms':>8}  (server time, {a.runs} runs;"
          " CPU: the process's CPU time per request, median, which a busy machine does not inflate)")
    medians = {}
    for kind, path in PAGES.items():
        cold = server_ms(client.get(path, headers={"Accept-Language": "zh-CN"}))
        times, cpu = [], []
        for _ in range(a.runs):
            c0 = time.process_time()
            times.append(server_ms(client.get(path, headers={"Accept-Language": "zh-CN"})))
            cpu.append((time.process_time() - c0) * 1000)
        times.sort()
        medians[kind] = statistics.median(times)
        print(f"{kind:<20} {cold:>8.1f} {medians[kind]:>10.1f} {times[int(0.9 * (len(times) - 1))]:>8.1f}"
              f" {statistics.median(cpu):>8.1f}")
    worst = max(medians, key=medians.get)
    print(f"slowest median: {worst} {medians[worst]:.1f} ms (target <= 50 ms); load average now "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    import pyoxigraph as ox

    kg = state.graph()
    iris = sorted({t.value for q in kg.quads() for t in (q.subject, q.object)
                   if isinstance(t, ox.NamedNode) and t.value.startswith(ID_PREFIX)})
    t0 = time.perf_counter()
    html = [server_ms(client.get("/id/" + i[len(ID_PREFIX):], headers={"Accept": "text/html"})) for i in iris]
    rdf = [server_ms(client.get("/id/" + i[len(ID_PREFIX):], headers={"Accept": "text/turtle"})) for i in iris]
    wall = time.perf_counter() - t0
    print(f"every IRI ({len(iris)}): HTML median {statistics.median(html):.1f} ms, max {max(html):.1f} ms; "
          f"Turtle median {statistics.median(rdf):.1f} ms; {wall:.1f} s wall for both")


if __name__ == "__main__":
    main()

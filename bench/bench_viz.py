#!/usr/bin/env python3
"""How fast the pictures are: page build time through pyvis (``Network.add_node`` /
``add_edge``, ``generate_html``) for synthetic 1k and 10k node graphs (target ≤ 1 s at the
2,000-node cap with 10k-node input; pyvis's add_node / add_edge grow quadratically, which is
why the cap exists), the same with ``--size betweenness`` and ``--color community``, the
NetworkX projection of the bundled graph, and the time until a 1,000-node page has stabilised
in headless chromium (target ≤ 3 s; the page sets ``window.qdgraphStabilizedAt`` when
vis-network reports the layout done).

It also times ``qdgraph viz chain`` as a whole process on the stores bench/bench_scale.py
built (out/bench/store-10k, -100k, -1m, if present; opened read-only) for the largest chain
(about 9,000 enterprises at 1 M; target ≤ 3 s): each view queries only its part of the graph
and groups a chain's thousands of enterprises into one "N more" node.

Prints figures; asserts nothing. Usage: python bench/bench_viz.py [-n RUNS] [--no-browser] [--no-stores]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
CHAIN = "合成产业链01"   # bench/generate.py's largest chain
TYPES = ["qd:Measure", "qd:Enterprise", "qd:IndustryChain", "qd:Indicator", "qd:Pillar"]


def synthetic(n: int, seed: int = 0):
    """A graph shaped like the real one: a few hubs, many leaves, ~1.5 edges per node."""
    import networkx as nx

    rnd = random.Random(seed)
    g = nx.MultiDiGraph(vocab={"qd:inChain": {"zh": "所属产业链", "en": "in chain"}})
    for i in range(n):
        t = TYPES[0] if i % 3 == 0 else rnd.choice(TYPES)
        g.add_node(f"urn:bench:{i}", type=t, label=f"节点{i} 名称较长的措施或企业", zh=f"节点{i}", en=f"node {i}",
                   quote="目标到2026年，全市人才总量超过300万人。")
    for i in range(1, n):
        for j in {rnd.randrange(i), int(rnd.paretovariate(1.2)) % i}:
            g.add_edge(f"urn:bench:{i}", f"urn:bench:{j}", key="qd:inChain", rel="qd:inChain", label="所属产业链",
                       basis="qd:Stated", inferred=False, evidence="已聚集歌尔、小鸟看看等企业110余家。")
    return g


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def median_times(fn, runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds: on a shared machine the CPU time shows the cost itself."""
    wall, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def bench_build(runs: int) -> str:
    from qdgraph.presentation.viz import build_page

    build_page(synthetic(10), title="warm-up")  # imports pyvis, reads and caches vis-network
    page_1k = None
    for n in (1000, 10_000):
        g = synthetic(n)
        wall, cpu = median_times(lambda: build_page(g, title="bench"), runs)
        print(f"page build through pyvis, {n:>6,} nodes in: {wall:6.3f} s ({cpu:.3f} s CPU; "
              f"{min(n, 2000):,} nodes drawn, default cap 2,000)   target ≤ 1 s at 10k")
        if n == 1000:
            page_1k = build_page(g, title="bench 1k")
    g = synthetic(10_000)
    for opts in ({"size": "degree"}, {"size": "pagerank"}, {"size": "betweenness"}, {"color": "community"}):
        wall, cpu = median_times(lambda: build_page(g, title="bench", **opts), 1)
        what = " ".join(f"--{k} {v}" for k, v in opts.items())
        print(f"page build through pyvis, 10,000 nodes in, {what:<20}: {wall:6.3f} s ({cpu:.3f} s CPU; "
              "measured over all 10,000)")
    return page_1k


def bench_imports() -> None:
    """pyvis (and the IPython it imports) is paid for by viz only: a lookup imports neither."""
    import subprocess

    code = ("import sys, time; sys.path.insert(0, %r); from qdgraph.interfaces.cli import run; run(['measures', '人才总量']); "
            "lookup = sorted({m.split('.')[0] for m in sys.modules} & {'pyvis', 'IPython'}); "
            "t = time.perf_counter(); import pyvis.network; print(lookup, time.perf_counter() - t)" % str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    modules, seconds = out.strip().splitlines()[-1].rsplit(" ", 1)
    print(f"qdgraph measures imports pyvis/IPython: {modules} (importing them costs {float(seconds):.3f} s, "
          "paid by viz only)")


def bench_projection(runs: int) -> None:
    from qdgraph.engine.graph import open_graph
    from qdgraph.domain.nxgraph import to_networkx

    kg = open_graph()
    g = to_networkx(kg)
    t = median_time(lambda: to_networkx(kg), runs)
    print(f"to_networkx on the bundled graph ({g.number_of_nodes()} nodes, {g.number_of_edges()} edges): {t:6.3f} s")


def bench_stores(runs: int) -> None:
    import subprocess

    for label in ("10k", "100k", "1m"):
        store = ROOT / "out" / "bench" / f"store-{label}"
        if not store.is_dir():
            print(f"viz chain from store-{label}: skipped (run bench/bench_scale.py to build it)")
            continue
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / "chain.html"
            cmd = [sys.executable, str(ROOT / "cli.py"), "viz", "chain", CHAIN, "--store", str(store), "-o", str(out)]

            def once():
                subprocess.run(cmd, check=True, capture_output=True)

            t = median_time(once, runs)
            print(f"viz chain {CHAIN} from store-{label} (whole process): {t:6.3f} s, "
                  f"{out.stat().st_size / 1e6:.1f} MB html   target ≤ 3 s at 1m")


def bench_browser(page: str, runs: int) -> None:
    if not os.path.exists(CHROMIUM):
        print("stabilisation: skipped (no /usr/bin/chromium)")
        return
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bench-1k.html"
        path.write_text(page, encoding="utf-8")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            wall, inpage = [], []
            for _ in range(runs):
                pg = browser.new_page(viewport={"width": 1280, "height": 800})
                pg.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort())
                t = time.perf_counter()
                pg.goto(path.as_uri())
                while not pg.evaluate("() => window.qdgraphStabilized === true"):
                    pg.wait_for_timeout(20)
                wall.append(time.perf_counter() - t)
                inpage.append(pg.evaluate("() => window.qdgraphStabilizedAt") / 1000)
                pg.close()
            browser.close()
    print(f"stabilised, 1,000-node page in headless chromium: {statistics.median(inpage):6.3f} s after navigation "
          f"({statistics.median(wall):.3f} s wall incl. load)   target ≤ 3 s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--runs", type=int, default=3)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--no-stores", action="store_true", help="skip viz chain on the bench_scale.py stores")
    args = ap.parse_args()
    bench_imports()
    page = bench_build(args.runs)
    bench_projection(args.runs)
    if not args.no_stores:
        bench_stores(args.runs)
    if not args.no_browser:
        bench_browser(page, args.runs)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Time `qdgraph import` of an enterprise list into a fresh store (target: 5,000 rows in at
most 30 s, validation included).

    python bench/bench_import.py [--rows 500 5000]

Each row names a different enterprise in one of the bundled chains, so every row is new,
checked, SHACL-validated and written. Prints figures, asserts nothing.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[500, 5000])
    a = ap.parse_args()

    from qdgraph.engine.graph import open_graph

    chains = [r["l"].value for r in open_graph().query(
        'SELECT ?l WHERE { ?c a qd:IndustryChain ; rdfs:label ?l FILTER (lang(?l) = "zh") } ORDER BY ?l').rows]
    tmp = Path(tempfile.mkdtemp(prefix="qdgraph-bench-import-"))
    try:
        base = tmp / "base"
        subprocess.run([sys.executable, str(ROOT / "cli.py"), "load", "--store", str(base)], check=True,
                       capture_output=True)
        for n in a.rows:
            csv = tmp / f"list-{n}.csv"
            csv.write_text("name,chain,district,founded\n" + "".join(
                f"青岛基准测试{i:05d}号科技有限公司,{chains[i % len(chains)]},黄岛区,2019-05-03\n" for i in range(n)),
                encoding="utf-8")
            store = tmp / f"store-{n}"
            shutil.copytree(base, store)
            t0 = time.perf_counter()
            res = subprocess.run([sys.executable, str(ROOT / "cli.py"), "import", str(csv), "--store", str(store)],
                                 capture_output=True, text=True)
            wall = time.perf_counter() - t0
            status = "ok" if res.returncode == 0 else f"exit {res.returncode}: {res.stderr.strip()}"
            print(f"{n:>6} rows: {wall:6.1f} s  ({n / wall:,.0f} rows/s)  {status}  [target: 5,000 rows <= 30 s]")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""How fast a lookup feels: `qdgraph measures 人才总量` as a whole process, against
`python -c pass` measured in the same run (target: at most 10×).

Prints the medians and the ratio; asserts nothing. Usage: python bench/bench_lookup.py [-n RUNS]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-n", "--runs", type=int, default=15)
    args = ap.parse_args()
    exe = shutil.which("qdgraph")
    lookup = [exe] if exe else [sys.executable, str(ROOT / "cli.py")]
    lookups = [
        ("measures 人才总量", [*lookup, "measures", "人才总量"]),
        ("show 歌尔", [*lookup, "show", "歌尔"]),
        ("indicators", [*lookup, "indicators"]),
    ]
    subprocess.run([*lookup, "measures", "人才总量"], capture_output=True, check=True)  # builds the compiled store once
    base = timed([sys.executable, "-c", "pass"], args.runs)
    b = statistics.median(base)
    print(f"python -c pass                {b * 1000:7.1f} ms (median of {args.runs})")
    for name, cmd in lookups:
        t = statistics.median(timed(cmd, args.runs))
        print(f"qdgraph {name:<20} {t * 1000:7.1f} ms   ratio {t / b:5.2f}×" +
              ("   (target ≤ 10×)" if name.startswith("measures") else ""))
    cold_env = dict(os.environ, QDGRAPH_CACHE=str(ROOT / "out" / "bench-cold-cache"))
    shutil.rmtree(cold_env["QDGRAPH_CACHE"], ignore_errors=True)
    t = time.perf_counter()
    subprocess.run([*lookup, "measures", "人才总量"], capture_output=True, env=cold_env, check=True)
    print(f"first run (compiles the store) {(time.perf_counter() - t) * 1000:6.1f} ms")
    shutil.rmtree(cold_env["QDGRAPH_CACHE"], ignore_errors=True)


if __name__ == "__main__":
    main()

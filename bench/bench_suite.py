#!/usr/bin/env python3
"""How long the test suite takes: `python3 -m pytest` (target: at most 90 s on a 2-core
machine) and `python3 -m pytest -m "not slow"` (target: at most 30 s), each as a whole process
from this checkout, with the wall time, the CPU time of it and its children, and the number of
workers pytest-xdist started.

Prints the figures; asserts nothing. Usage: python bench/bench_suite.py [--quick-only] [-n RUNS]
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"full": 90.0, "quick": 30.0}


def run(args: list[str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the run and its children, pytest's summary line)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=ROOT,
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [l for l in proc.stdout.splitlines() if re.search(r"\d+ (passed|failed)", l)]
    return wall, cpu, lines[-1].strip("= ") if lines else f"exit {proc.returncode}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick-only", action="store_true", help="time only -m 'not slow'")
    ap.add_argument("-n", "--runs", type=int, default=1, help="runs of each (the median is shown)")
    opts = ap.parse_args()
    print(f"{os.cpu_count()} cores; pytest-xdist workers: cores + 1 (tests/conftest.py)")
    suites = {"quick": ["-m", "not slow"]} if opts.quick_only else {"full": [], "quick": ["-m", "not slow"]}
    for name, args in suites.items():
        runs = [run(args) for _ in range(opts.runs)]
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        print(f"{name:6} {wall:6.1f} s wall (target ≤ {TARGETS[name]:.0f} s)  {cpu:6.1f} s CPU  {runs[-1][2]}")


if __name__ == "__main__":
    main()

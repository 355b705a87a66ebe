"""Name lookups on a big embedded store: `search` of a part of a name, the did-you-mean of an
unknown name (typed and untyped), and lookups by an exact name, as whole `qdgraph` processes,
each beside its target; and what the name index costs to write and keep (names.sqlite).

    python bench/bench_names.py --store /tmp/s25/big/store -n 3
    python bench/bench_names.py --store OLD --store NEW    # before and after, same run

--tree runs another checkout's qdgraph (a `git archive` of an earlier commit) on the stores
given after it, so before and after are measured in one run, against one load average.
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import generate  # noqa: E402

ENTERPRISE = generate.enterprise_name(0)
# (what, arguments, exit code expected, target in seconds)
LOOKUPS = [
    ("search part of a name", ["search", ENTERPRISE[2:6]], 0, 1.0),
    ("search pinyin part", ["search", "haikedianzi"], 0, 1.0),
    ("near miss of an indicator", ["measures", "人才总两"], 0, 1.0),  # resolved: close and clearly best
    ("unknown name (did you mean)", ["show", "歌而"], 1, 1.0),
    ("exact name: indicator", ["measures", "合成指标01"], 0, None),
    ("exact name: enterprise", ["show", ENTERPRISE], 0, None),
]


def cpu_of(cmd: list[str], env: dict) -> tuple[float, float, int, str, bytes]:
    """Wall and CPU (user + system, from wait4) of one process, its exit code, stderr, stdout."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    return (time.perf_counter() - t, ru.ru_utime + ru.ru_stime, os.waitstatus_to_exitcode(status),
            err.decode("utf-8", "replace").strip(), out)


def load_avg() -> str:
    return "load %.1f" % os.getloadavg()[0]


def names_db(store: Path) -> Path:
    return store / (store / "CURRENT").read_text().strip() / "names.sqlite"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", action="append", required=True, help="a store `qdgraph load` built (repeatable)")
    ap.add_argument("--tree", action="append", default=[], help="the checkout to run for the store given at the "
                    "same place (default: this one)")
    ap.add_argument("-n", "--runs", type=int, default=3)
    a = ap.parse_args()
    from qdgraph.storage.generations import is_store

    for store in a.store:
        if not is_store(Path(store)):
            ap.error(f"--store {store}: not a store `qdgraph load` built")
    trees = a.tree + [str(ROOT)] * (len(a.store) - len(a.tree))
    answers: dict = {}
    for store, tree in zip(map(Path, a.store), trees):
        env = dict(os.environ, PYTHONPATH=tree, QDGRAPH_CACHE=os.environ.get("QDGRAPH_CACHE", "/tmp/bench-names-cache"))
        db = names_db(store)
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        entries = con.execute("SELECT count(*) FROM entries").fetchone()[0]
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        print(f"\n{store} (qdgraph from {tree}): names.sqlite {db.stat().st_size / 1e6:.1f} MB, "
              f"{entries:,} entries, tables {', '.join(tables)}", flush=True)
        for what, args, code, target in LOOKUPS:
            cmd = [sys.executable, "-m", "qdgraph", *args, "--store", str(store)]
            got = [cpu_of(cmd, env) for _ in range(a.runs)]
            if any(g[2] != code for g in got):
                print(f"  {what:<34} FAILED (exit {got[0][2]}): {got[0][3][-200:]}", flush=True)
                continue
            wall = statistics.median(g[0] for g in got)
            cpu = statistics.median(g[1] for g in got)
            # judged on CPU: on these shared machines the wall time swings with the load average
            goal = f"target <= {target:g} s: {'met' if cpu <= target else 'NOT met'} (CPU)" if target else ""
            print(f"  {what:<34} wall {wall:6.2f} s  cpu {cpu:6.2f} s  {goal}  ({load_avg()})", flush=True)
            answers.setdefault(what, set()).add(got[0][4] + got[0][3].encode())
    if len(a.store) > 1:
        same = [w for w, outs in answers.items() if len(outs) == 1]
        print(f"\nsame output on every store: {len(same)} of {len(answers)} lookups"
              + "".join(f"\n  DIFFERENT: {w}" for w in answers if w not in same), flush=True)


if __name__ == "__main__":
    main()

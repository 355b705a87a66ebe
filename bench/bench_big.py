#!/usr/bin/env python3
"""Past one machine's comfort: a synthetic city of about 10 M triples (bench/generate.py) in the
embedded store and in OpenLink Virtuoso, side by side, in one run.

    python bench/bench_big.py [--triples 1e7] [--nt FILE] [--out DIR] [--memory-gb 4] [-n RUNS]

Embedded: `qdgraph load FILE --store DIR` (wall, CPU, peak RSS of the process), then cold
`qdgraph measures`, `show` and `chains` as whole processes on that store. Virtuoso: a private
server started from Debian's own virtuoso.ini (tests/virtuoso_server.py, stock=True: its [SPARQL]
limits untouched, buffers sized by --memory-gb), the same file by Virtuoso's bulk loader (wall;
peak RSS of virtuoso-t), then the same commands through `--endpoint` — the first one builds the
endpoint's name index (every label, in pages) and keeps it; the medians are of the runs after it.
A command the stock limits refuse is reported with the store's words; the same commands are then
run again with the estimate limit off (MaxQueryCostEstimationTime = 0, on the same database).

Every figure is printed as soon as it is measured (the 10 M load takes minutes), with the load
average beside it: on a shared machine wall times swing with the load, CPU times much less.
Prints figures; asserts nothing. Output (the store, the Virtuoso database) under --out.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

import generate  # noqa: E402

CLI = [sys.executable, str(ROOT / "cli.py")]
INDICATOR = "合成指标01"
CHAIN = "合成产业链01"
GRAPH = "https://w3id.org/qdgraph/bench-city"
PASSWORD = "dba"  # the same on every start of the same database (the server's own login stays dba)


def load_avg() -> str:
    return f"load average {os.getloadavg()[0]:.1f}"


def proc(cmd: list[str], env=None) -> dict:
    """One child process: wall, CPU (user + system) and peak RSS, the time to its first line of
    output, its exit code and its last error line."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    first = None
    for line in p.stdout:
        if first is None:
            first = time.perf_counter() - t
    err = p.stderr.read().decode("utf-8", "replace")
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return {"wall": time.perf_counter() - t, "cpu": ru.ru_utime + ru.ru_stime, "rss": ru.ru_maxrss * 1024,
            "first": first, "code": p.returncode, "err": err.strip().splitlines()[-1] if err.strip() else ""}


def runs(cmd: list[str], n: int) -> dict:
    got = [proc(cmd) for _ in range(n)]
    bad = [g for g in got if g["code"] != 0]
    if bad:
        return {"failed": bad[0]["err"][:300]}
    return {k: statistics.median(g[k] for g in got) for k in ("wall", "cpu")} | {
        "first": statistics.median(g["first"] or 0 for g in got)}


def show(name: str, r: dict, target: str = "") -> None:
    if "failed" in r:
        print(f"  {name:<34} FAILED: {r['failed']}", flush=True)
        return
    print(f"  {name:<34} wall {r['wall'] * 1000:7.0f} ms  cpu {r['cpu'] * 1000:6.0f} ms  first line "
          f"{r['first'] * 1000:6.0f} ms  {target}  ({load_avg()})", flush=True)


def vm_hwm(pid: int) -> int:
    """Peak resident memory of a running process (Linux VmHWM), bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--triples", type=float, default=1e7)
    ap.add_argument("--nt", help="an N-Triples file bench/generate.py wrote (default: generate one under --out)")
    ap.add_argument("--out", default=str(ROOT / "out" / "bench-big"))
    ap.add_argument("--memory-gb", type=float, default=4, help="Virtuoso's buffers (default 4 GB)")
    ap.add_argument("-n", "--runs", type=int, default=3)
    ap.add_argument("--skip", choices=("embedded", "virtuoso"), help="measure only the other side")
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QDGRAPH_CACHE", str(out / "cache"))
    nt = Path(a.nt) if a.nt else out / f"city-{int(a.triples)}.nt"  # no "+": Virtuoso's ld_dir would not match it
    if not nt.exists():
        t = time.perf_counter()
        with open(nt, "w", encoding="utf-8") as f:
            n = generate.generate(f, generate.enterprises_for(int(a.triples)))
        print(f"generated {n:,} triples in {time.perf_counter() - t:.0f} s", flush=True)
    print(f"file {nt} ({nt.stat().st_size / 1e9:.2f} GB); {os.cpu_count()} CPUs; {load_avg()}", flush=True)
    ent = generate.enterprise_name(0)
    lookups = {"measures": ["measures", INDICATOR], "show": ["show", ent], "chains": ["chains"]}

    if a.skip != "embedded":
        store = out / "store"
        shutil.rmtree(store, ignore_errors=True)
        r = proc(CLI + ["load", str(nt), "--store", str(store)])
        if r["code"]:
            raise SystemExit(f"qdgraph load failed: {r['err']}")
        print(f"\nembedded: qdgraph load  wall {r['wall']:.0f} s  cpu {r['cpu']:.0f} s  peak RSS "
              f"{r['rss'] / 2**30:.2f} GB  ({load_avg()})", flush=True)
        size = sum(f.stat().st_size for f in store.rglob("*") if f.is_file())
        print(f"  store on disk {size / 2**30:.2f} GB", flush=True)
        print(f"cold commands on the store, whole processes, median of {a.runs}:", flush=True)
        for name, cmd in lookups.items():
            show(name, runs(CLI + cmd + ["--store", str(store)], a.runs))

    if a.skip != "virtuoso":
        from virtuoso_server import MISSING, Virtuoso

        if MISSING:
            raise SystemExit(MISSING)
        db = out / "virtuoso"
        shutil.rmtree(db, ignore_errors=True)
        db.mkdir()
        server = Virtuoso(db, PASSWORD, load_dir=nt.parent, memory_gb=a.memory_gb, stock=True)
        try:
            print(f"\nVirtuoso (Debian's virtuoso.ini, limits {server.limits()}, buffers for {a.memory_gb:g} GB)", flush=True)
            t = time.perf_counter()
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            server.bulk_load(nt, GRAPH)
            print(f"  bulk load (ld_dir + rdf_loader_run + checkpoint) wall {time.perf_counter() - t:.0f} s; "
                  f"virtuoso-t peak RSS {vm_hwm(server.proc.pid) / 2**30:.2f} GB  ({load_avg()})", flush=True)
            del r0
            lines = server.isql(f"SPARQL SELECT COUNT(*) FROM <{GRAPH}> WHERE {{ ?s ?p ?o }};").splitlines()
            at = next(i for i, line in enumerate(lines) if line.startswith("____"))  # the answer follows
            count = int(next(line for line in lines[at + 1:] if line.strip()).strip())
            print(f"  {count:,} triples in the graph", flush=True)
            if not count:
                raise SystemExit("Virtuoso's bulk loader loaded nothing (see its virtuoso.log)")
            size = sum(f.stat().st_size for f in db.glob("virtuoso*.db"))
            print(f"  database on disk {size / 2**30:.2f} GB", flush=True)
            endpoint = server.url + "/sparql?" + urllib.parse.urlencode({"default-graph-uri": GRAPH})
            server = measure_endpoint(server, endpoint, lookups, a, db, nt)
        finally:
            server.stop()


def measure_endpoint(server, endpoint, lookups, a, db, nt):
    from virtuoso_server import Virtuoso

    for attempt in ("stock limits", "estimate limit off"):
        print(f"through --endpoint ({attempt}):", flush=True)
        first = proc(CLI + lookups["measures"] + ["--endpoint", endpoint])
        print(f"  first lookup (builds the name index: every label, in pages) wall {first['wall']:.1f} s"
              + (f"  FAILED: {first['err'][:300]}" if first["code"] else ""), flush=True)
        refused = bool(first["code"])
        for name, cmd in lookups.items():
            r = runs(CLI + cmd + ["--endpoint", endpoint], a.runs)
            show(name, r)
            refused |= "failed" in r
        print(f"  virtuoso-t peak RSS so far {vm_hwm(server.proc.pid) / 2**30:.2f} GB", flush=True)
        if not refused or attempt != "stock limits":
            return server
        server.stop()  # the same database, the estimate limit off (as the README tells publishers)
        server = Virtuoso(db, PASSWORD, load_dir=nt.parent, memory_gb=a.memory_gb, stock=True,
                          sparql={"MaxQueryCostEstimationTime": 0})
        endpoint = server.url + "/sparql?" + urllib.parse.urlencode({"default-graph-uri": GRAPH})
    return server


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Past one machine's comfort: a synthetic city of about 10 M triples (bench/generate.py) in the
embedded store and in OpenLink Virtuoso, side by side, in one run.

    python bench/bench_big.py [--triples 1e7] [--nt FILE] [--out DIR] [--memory-gb 4] [-n RUNS]
                              [--skip embedded|virtuoso] [--virtuoso-db DIR]

Embedded: `qdgraph load FILE --store DIR` (wall, CPU, peak RSS of the process), then cold
lookups as whole processes on that store. Virtuoso: a private server started from Debian's own
virtuoso.ini (tests/virtuoso_server.py, stock=True: its [SPARQL] limits untouched — 10,000 rows,
400 s of estimated cost, 60 s — buffers sized by --memory-gb) gets what the store holds as a
user moves it (`qdgraph export --format nt --store DIR`, then Virtuoso's bulk loader: wall, peak
RSS of virtuoso-t); with --skip embedded, the generated file and the bundled graph's export
instead (the rules' links on the synthetic city are then missing there). Then the same lookups
through `--endpoint`, each a whole process: the first run after the server started (its caches
cold) and the median of the runs; a command the stock limits refuse is reported with the
store's words. Where both sides ran, each answer is compared byte for byte.
--virtuoso-db DIR reuses a database an earlier run loaded (kept under --out/virtuoso, or any).

Every figure is printed as soon as it is measured (the 10 M load takes minutes), with the load
average beside it: on a shared machine wall times swing with the load, CPU times much less.
Prints figures; asserts nothing. Output (the store, the Virtuoso database) under --out.
"""
from __future__ import annotations

import argparse
import os
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
NO_SUCH = "不存在的指标xyz"
PASSWORD = "dba"  # the same on every start of the same database (the server's own login stays dba)


def load_avg() -> str:
    return f"load average {os.getloadavg()[0]:.1f}"


COMMAND_TIMEOUT = 600.0  # seconds a lookup may take before the bench stops it (--command-timeout)


def proc(cmd: list[str], env=None, timeout: float | None = None) -> dict:
    """One child process: wall, CPU (user + system) and peak RSS, the time to its first line of
    output, its exit code and its last error line. Stopped after ``timeout`` seconds (a lookup that
    never ends would hold the whole bench: the last stop's measures through Virtuoso ran 16 minutes)."""
    import threading

    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    watchdog = threading.Timer(timeout or COMMAND_TIMEOUT, p.kill)
    watchdog.start()
    first = None
    for line in p.stdout:
        if first is None:
            first = time.perf_counter() - t
    err = p.stderr.read().decode("utf-8", "replace")
    _, status, ru = os.wait4(p.pid, 0)
    killed = not watchdog.is_alive()
    watchdog.cancel()
    p.returncode = os.waitstatus_to_exitcode(status)
    if killed:
        err += f"\nno answer within {timeout or COMMAND_TIMEOUT:g} s: stopped by the bench"
    return {"wall": time.perf_counter() - t, "cpu": ru.ru_utime + ru.ru_stime, "rss": ru.ru_maxrss * 1024,
            "first": first, "code": p.returncode, "err": err.strip().splitlines()[-1] if err.strip() else "",
            "err_lines": len(err.strip().splitlines())}


def proc_out(cmd: list[str]) -> bytes:
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        return b"(no answer within the bench's command timeout)"
    return done.stdout + b"\n--- stderr ---\n" + done.stderr


def runs(cmd: list[str], n: int) -> dict:
    got = [proc(cmd)]
    if got[0]["code"] < 0:  # stopped at the timeout: once is enough
        return {"failed": got[0]["err"][:300]}
    got += [proc(cmd) for _ in range(n - 1)]
    expected = 1 if NO_SUCH in cmd else 0  # a name that names nothing: a one-line error, exit 1
    bad = [g for g in got if g["code"] != expected or (expected and g["err_lines"] != 1)]
    if bad:
        return {"failed": bad[0]["err"][:300]}
    return {k: statistics.median(g[k] for g in got) for k in ("wall", "cpu")} | {
        "first": statistics.median(g["first"] or 0 for g in got), "cold": got[0]["wall"]}


def show(name: str, r: dict, target: str = "") -> None:
    if "failed" in r:
        print(f"  {name:<34} FAILED: {r['failed']}", flush=True)
        return
    print(f"  {name:<34} wall {r['wall'] * 1000:7.0f} ms  cpu {r['cpu'] * 1000:6.0f} ms  first line "
          f"{r['first'] * 1000:6.0f} ms  first run {r['cold'] * 1000:6.0f} ms  {target}  ({load_avg()})", flush=True)


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
    ap.add_argument("--virtuoso-db", help="a Virtuoso database folder an earlier run loaded: reused, not loaded again")
    ap.add_argument("--command-timeout", type=float, default=COMMAND_TIMEOUT,
                    help=f"seconds before a lookup is stopped and reported as failed (default {COMMAND_TIMEOUT:g})")
    a = ap.parse_args()
    globals()["COMMAND_TIMEOUT"] = a.command_timeout
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QDGRAPH_CACHE", str(out / "cache"))
    if a.nt and not Path(a.nt).is_file():  # a file given is read, never generated in its place
        ap.error(f"--nt {a.nt}: no such file")
    nt = Path(a.nt) if a.nt else out / f"city-{int(a.triples)}.nt"  # no "+": Virtuoso's ld_dir would not match it
    if not nt.exists():
        t = time.perf_counter()
        with open(nt, "w", encoding="utf-8") as f:
            n = generate.generate(f, generate.enterprises_for(int(a.triples)))
        print(f"generated {n:,} triples in {time.perf_counter() - t:.0f} s", flush=True)
    print(f"file {nt} ({nt.stat().st_size / 1e9:.2f} GB); {os.cpu_count()} CPUs; {load_avg()}", flush=True)
    ent = generate.enterprise_name(0)
    # the three first; then the other lookup commands, on a synthetic and a bundled name
    lookups = {"measures": ["measures", INDICATOR], "show": ["show", ent], "chains": ["chains"],
               "measures (bundled name)": ["measures", "人才总量"], "show (bundled name)": ["show", "歌尔"],
               "measures (no such name)": ["measures", NO_SUCH], "indicators": ["indicators"],
               "pillars": ["pillars"], "summary": ["summary"], "readings": ["readings"],
               "progress": ["progress"], "progress (one indicator)": ["progress", "人才总量"],
               "search (part of a name)": ["search", ent[2:6]], "ask": ["ask", "人才总量的目标是什么"]}
    answers: dict[str, bytes] = {}

    if a.skip != "embedded":
        store = out / "store"
        shutil.rmtree(store, ignore_errors=True)
        r = proc(CLI + ["load", str(nt), "--store", str(store)], timeout=86400)
        if r["code"]:
            raise SystemExit(f"qdgraph load failed: {r['err']}")
        print(f"\nembedded: qdgraph load  wall {r['wall']:.0f} s  cpu {r['cpu']:.0f} s  peak RSS "
              f"{r['rss'] / 2**30:.2f} GB  ({load_avg()})", flush=True)
        size = sum(f.stat().st_size for f in store.rglob("*") if f.is_file())
        print(f"  store on disk {size / 2**30:.2f} GB", flush=True)
        print(f"cold commands on the store, whole processes, median of {a.runs}:", flush=True)
        for name, cmd in lookups.items():
            show(name, runs(CLI + cmd + ["--store", str(store)], a.runs))
            answers[name] = proc_out(CLI + cmd + ["--store", str(store)])

    if a.skip != "virtuoso":
        from virtuoso_server import MISSING, Virtuoso

        if MISSING:
            raise SystemExit(MISSING)
        db = Path(a.virtuoso_db) if a.virtuoso_db else out / "virtuoso"
        if not a.virtuoso_db:
            shutil.rmtree(db, ignore_errors=True)
            db.mkdir()
        files = [] if a.virtuoso_db else export_for_virtuoso(out, nt, None if a.skip == "embedded" else out / "store", db)
        server = Virtuoso(db, PASSWORD, load_dir=nt.parent, memory_gb=a.memory_gb, stock=True)
        try:
            print(f"\nVirtuoso (Debian's virtuoso.ini, limits {server.limits()}, buffers for {a.memory_gb:g} GB)", flush=True)
            if files:
                t = time.perf_counter()
                for f in files:
                    server.bulk_load(f, GRAPH)
                print(f"  bulk load (ld_dir + rdf_loader_run + checkpoint) of {', '.join(f.name for f in files)}: wall "
                      f"{time.perf_counter() - t:.0f} s; virtuoso-t peak RSS {vm_hwm(server.proc.pid) / 2**30:.2f} GB  "
                      f"({load_avg()})", flush=True)
            else:
                print(f"  reusing the database in {db}", flush=True)
            lines = server.isql(f"SPARQL SELECT COUNT(*) FROM <{GRAPH}> WHERE {{ ?s ?p ?o }};").splitlines()
            at = next(i for i, line in enumerate(lines) if line.startswith("____"))  # the answer follows
            count = int(next(line for line in lines[at + 1:] if line.strip()).strip())
            print(f"  {count:,} triples in the graph", flush=True)
            if not count:
                raise SystemExit("Virtuoso's bulk loader loaded nothing (see its virtuoso.log)")
            size = sum(f.stat().st_size for f in db.glob("virtuoso*.db"))
            print(f"  database on disk {size / 2**30:.2f} GB", flush=True)
            endpoint = server.url + "/sparql?" + urllib.parse.urlencode({"default-graph-uri": GRAPH})
            print(f"through --endpoint (stock limits), whole processes, median of {a.runs}:", flush=True)
            for name, cmd in lookups.items():
                r = runs(CLI + cmd + ["--endpoint", endpoint], a.runs)
                same = ""
                if name in answers and "failed" not in r:
                    same = "same answer as embedded" if proc_out(CLI + cmd + ["--endpoint", endpoint]) == answers[name] \
                        else "ANSWER DIFFERS from embedded"
                show(name, r, same)
            print(f"  virtuoso-t peak RSS so far {vm_hwm(server.proc.pid) / 2**30:.2f} GB", flush=True)
        finally:
            server.stop()


def export_for_virtuoso(out: Path, nt: Path, store: Path | None, db: Path) -> list[Path]:
    """The N-Triples files a user would bulk-load: the store's export (the rules' links and the
    bundled graph with the data), or without a store the generated file and the bundled graph."""
    if store is not None:
        target = db / "store.nt"  # the database folder is in Virtuoso's DirsAllowed
        t = time.perf_counter()
        r = proc(CLI + ["export", "--format", "nt", "--store", str(store), "-o", str(target)], timeout=86400)
        if r["code"]:
            raise SystemExit(f"qdgraph export failed: {r['err']}")
        print(f"\nqdgraph export --format nt --store: wall {time.perf_counter() - t:.0f} s, "
              f"{target.stat().st_size / 1e9:.2f} GB  ({load_avg()})", flush=True)
        return [target]
    bundled = db / "bundled.nt"
    r = proc(CLI + ["export", "--format", "nt", "-o", str(bundled)], timeout=86400)
    if r["code"]:
        raise SystemExit(f"qdgraph export failed: {r['err']}")
    return [nt, bundled]


if __name__ == "__main__":
    main()

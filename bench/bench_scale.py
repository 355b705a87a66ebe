"""The scale benchmark: qdgraph beside raw pyoxigraph at about 10 k, 100 k and 1 M triples.

    python bench/bench_scale.py                  # all three sizes (the 1 M run takes a few minutes)
    python bench/bench_scale.py --sizes 10k,100k

For each size a synthetic city is generated (bench/generate.py) and measured, every number in
a fresh process so nothing is cached in Python between them (the OS page cache is warm, as it
is for a user running one command after another):

- load: `qdgraph load FILE --store DIR` against a script that only calls pyoxigraph's
  bulk_load — wall time and peak RSS (os.wait4 gives each child's own maximum);
- cold commands: `qdgraph measures` and `qdgraph show` as whole processes from the built store,
  against a process that opens the store with pyoxigraph and runs the command's main named query
  (parameters bound by the same VALUES block qdgraph uses);
- every named query in qdgraph/engine/queries/ (median of 3, in one process) against pyoxigraph's
  query() with the same text and the same VALUES binding;
- `qdgraph viz chain` on the largest chain, if qdgraph.presentation.viz is installed;
- rule materialisation (qdgraph/storage/rules/, run inside `qdgraph load`; the time is in the store's
  manifest) against the load time, and the links each rule derives;
- the bundled graph's cache built cold (a fresh cache folder), rules included.

Targets at 1 M (issue 6): load ≤ 1.5× raw and ≤ 1 GB; cold commands ≤ 300 ms; no named query
over 1 s. Issue 9: rules ≤ half the load time; the bundled cache builds in under 2 s cold. Output goes under out/bench/ (git-ignored).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import generate  # noqa: E402

CLI = [sys.executable, str(ROOT / "cli.py")]
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
INDICATOR = "合成指标01"
CHAIN = "合成产业链01"

RAW_LOAD = """
import sys, pyoxigraph as ox
s = ox.Store(sys.argv[1])
s.bulk_load(path=sys.argv[2], format=ox.RdfFormat.N_TRIPLES)
s.flush()
"""

# the cold-command baseline: open the store and run the command's main query, nothing else
RAW_QUERY = """
import re, sys, pyoxigraph as ox
sys.path.insert(0, sys.argv[4])
from qdgraph.namespaces import PREFIXES
from qdgraph.engine.queries import get_query
s = ox.Store.read_only(sys.argv[1])
q = get_query(sys.argv[2])
from qdgraph.engine.remote import bind_values  # the same VALUES binding qdgraph uses: isolates qdgraph's own cost
list(s.query(bind_values(q.text, {q.params[0].name: ox.NamedNode(sys.argv[3])}), prefixes=PREFIXES))
"""

NAMED = """
import json, re, statistics, sys, time
sys.path.insert(0, sys.argv[2])
import pyoxigraph as ox
from qdgraph.engine.graph import open_graph
from qdgraph.namespaces import PREFIXES
from qdgraph.engine.queries import all_queries
binds = json.loads(sys.argv[3])
from qdgraph.storage.generations import STORE_SUBDIR, current_generation
kg = open_graph(store=sys.argv[1])
store = ox.Store.read_only(str(current_generation(sys.argv[1]) / STORE_SUBDIR))  # the same database, raw
out = {}
for name, q in sorted(all_queries().items()):
    params = {p.name: ox.NamedNode(binds.get(p.name, binds["entity"])) for p in q.params}
    def qd():
        return len(kg.named(name, params).rows)
    from qdgraph.engine.remote import bind_values  # the binding qdgraph uses, so the gap is qdgraph's own
    text = bind_values(q.text, params)
    def raw():
        return sum(1 for _ in store.query(text, prefixes=PREFIXES))
    res = {}
    for side, fn in (("qdgraph", qd), ("raw", raw)):
        times, rows = [], None
        for _ in range(3):
            t = time.perf_counter(); rows = fn(); times.append(time.perf_counter() - t)
            if rows is None or times[-1] > 20:
                break
        res[side] = None if rows is None else statistics.median(times)
        res[side + "_rows"] = rows
    out[name] = res
print(json.dumps(out))
"""


def run(cmd: list[str], env=None) -> tuple[float, int, subprocess.CompletedProcess]:
    """Wall seconds and peak RSS (bytes) of one child process."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = p.communicate()  # reads the pipes; the child is reaped below with its own rusage
    wall = time.perf_counter() - t
    try:
        _, status, ru = os.wait4(p.pid, 0)
        code = os.waitstatus_to_exitcode(status)
    except ChildProcessError:  # already reaped by communicate(): fall back to the children's max
        import resource

        ru, code = resource.getrusage(resource.RUSAGE_CHILDREN), p.returncode
    rss = ru.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    cp = subprocess.CompletedProcess(cmd, code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))
    if code != 0:
        raise SystemExit(f"failed ({code}): {' '.join(cmd)}\n{cp.stderr[-2000:]}")
    return wall, rss, cp


def median_run(cmd, n=3) -> float:
    return statistics.median(run(cmd)[0] for _ in range(n))


def bench_size(label: str, triples: int, out: Path, repeat: int) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    nt = out / f"city-{label}.nt"
    with open(nt, "w", encoding="utf-8") as f:
        n_triples = generate.generate(f, generate.enterprises_for(triples))
    raw_dir, store = out / f"raw-{label}", out / f"store-{label}"
    r = {"size": label, "triples": n_triples, "file_mb": nt.stat().st_size / 1e6}

    loads = {"raw": [], "qdgraph": []}
    for _ in range(repeat):
        shutil.rmtree(raw_dir, ignore_errors=True)
        shutil.rmtree(store, ignore_errors=True)
        loads["raw"].append(run([sys.executable, "-c", RAW_LOAD, str(raw_dir), str(nt)])[:2])
        loads["qdgraph"].append(run(CLI + ["load", str(nt), "--store", str(store)])[:2])
    for side in loads:
        r[f"load_{side}"] = statistics.median(t for t, _ in loads[side])
        r[f"rss_{side}"] = max(m for _, m in loads[side])

    from qdgraph.storage.generations import STORE_SUBDIR, current_generation, read_manifest

    db = str(current_generation(store) / STORE_SUBDIR)
    manifest = read_manifest(current_generation(store))
    r["rules_seconds"] = manifest.get("rules_seconds")
    r["rules_links"] = sum(manifest.get("rules", {}).values())
    from qdgraph.engine.graph import open_graph

    kg = open_graph(store=store)
    ind = kg.resolve(INDICATOR, types=["qd:Indicator"])
    chain = kg.resolve(CHAIN, types=["qd:IndustryChain"])
    ent_name = generate.enterprise_name(0)
    ent = kg.resolve(ent_name)
    del kg

    r["measures_qdgraph"] = median_run(CLI + ["measures", INDICATOR, "--store", str(store)])
    r["measures_raw"] = median_run([sys.executable, "-c", RAW_QUERY, db, "measures-for-indicator", ind, str(ROOT)])
    r["show_qdgraph"] = median_run(CLI + ["show", ent_name, "--store", str(store)])
    r["show_raw"] = median_run([sys.executable, "-c", RAW_QUERY, db, "entity-out", ent, str(ROOT)])

    _, _, cp = run([sys.executable, "-c", NAMED, str(store), str(ROOT),
                    json.dumps({"entity": chain, "indicator": ind})])
    r["named"] = json.loads(cp.stdout)

    if importlib.util.find_spec("qdgraph.presentation.viz") is not None:
        html = out / f"viz-{label}.html"
        try:
            t, rss, _ = run(CLI + ["viz", "chain", CHAIN, "--store", str(store), "-o", str(html)])
            r["viz"], r["viz_mb"] = t, html.stat().st_size / 1e6
        except SystemExit as err:
            r["viz"] = f"failed: {str(err).splitlines()[-1][:80]}"
    else:
        r["viz"] = "skipped (no qdgraph.presentation.viz)"
    shutil.rmtree(raw_dir, ignore_errors=True)
    return r


# ------------------------------------------------------------------ report
def ms(x):
    return "n/a" if x is None else f"{x * 1000:.0f} ms"


def ratio(a, b):
    return "" if a is None or b in (None, 0) else f"{a / b:.2f}×"


def table(headers, rows) -> str:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths))  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


BUNDLE = """
import sys, time
sys.path.insert(0, sys.argv[1])
t = time.perf_counter()
from qdgraph.storage.bundle import bundled_store_dir
d = bundled_store_dir()
print(time.perf_counter() - t if d else -1)
"""


def bench_bundle(out: Path) -> dict:
    """The bundled graph's cache built from nothing (rules included), then a cold command on it."""
    cache = out / "bundle-cache"
    shutil.rmtree(cache, ignore_errors=True)
    env = dict(os.environ, QDGRAPH_CACHE=str(cache))
    wall, rss, cp = run([sys.executable, "-c", BUNDLE, str(ROOT)], env=env)
    cmd = CLI + ["measures", "全市人才总量"]
    measures = statistics.median(run(cmd, env=env)[0] for _ in range(3))
    shutil.rmtree(cache, ignore_errors=True)
    return {"build": float(cp.stdout.strip()), "process": wall, "rss": rss, "measures": measures}


def report(results: list[dict], bundle: dict | None = None) -> str:
    out = []
    rows = []
    for r in results:
        rows.append([r["size"], f"{r['triples']:,}", f"{r['load_raw']:.2f} s", f"{r['load_qdgraph']:.2f} s",
                     ratio(r["load_qdgraph"], r["load_raw"]), f"{r['rss_raw'] / 2**20:.0f} MB",
                     f"{r['rss_qdgraph'] / 2**20:.0f} MB", ratio(r["rss_qdgraph"], r["rss_raw"])])
    out.append("Load (whole process; peak RSS)\n" + table(
        ["size", "triples", "raw load", "qdgraph load", "ratio", "raw peak", "qdgraph peak", "ratio"], rows))
    rows = []
    for r in results:
        rows.append([r["size"], ms(r["measures_raw"]), ms(r["measures_qdgraph"]), ratio(r["measures_qdgraph"], r["measures_raw"]),
                     ms(r["show_raw"]), ms(r["show_qdgraph"]), ratio(r["show_qdgraph"], r["show_raw"]),
                     r["viz"] if isinstance(r["viz"], str) else f"{r['viz']:.2f} s ({r['viz_mb']:.1f} MB html)"])
    out.append("Cold commands (whole process, median of 3; raw = open + the command's main query)\n" + table(
        ["size", "raw measures", "qdgraph measures", "ratio", "raw show", "qdgraph show", "ratio", "viz chain"], rows))
    rows = [[r["size"], f"{r['triples']:,}", f"{r['load_qdgraph']:.2f} s",
             "n/a" if r.get("rules_seconds") is None else f"{r['rules_seconds']:.2f} s",
             ratio(r.get("rules_seconds"), r["load_qdgraph"]), f"{r.get('rules_links', 0):,}"] for r in results]
    out.append("Rule materialisation (inside qdgraph load)\n" + table(
        ["size", "triples", "qdgraph load", "rules", "share of load", "links derived"], rows))
    if bundle:
        out.append(f"Bundled cache, cold: built in {bundle['build']:.2f} s (whole process {bundle['process']:.2f} s, "
                   f"peak {bundle['rss'] / 2**20:.0f} MB); then `qdgraph measures 全市人才总量` {ms(bundle['measures'])}")
    names = sorted(results[0]["named"])
    headers = ["named query"] + [f"{r['size']} qdgraph (raw)" for r in results]
    rows = []
    for n in names:
        row = [n]
        for r in results:
            q = r["named"][n]
            row.append(f"{ms(q['qdgraph'])} ({ms(q['raw'])})  {q['qdgraph_rows']} rows")
        rows.append(row)
    out.append("Named queries (median of 3, warm process)\n" + table(headers, rows))
    if len(results) > 1:
        a, b = results[0], results[-1]
        k = b["triples"] / a["triples"]
        rows = [[m, f"{b[m] / a[m]:.1f}×" if a.get(m) and b.get(m) else ""] for m in
                ("load_raw", "load_qdgraph", "rss_qdgraph", "measures_qdgraph", "show_qdgraph")]
        worst = max(names, key=lambda n: (b["named"][n]["qdgraph"] or 0) / max(a["named"][n]["qdgraph"] or 1e-9, 1e-3))
        rows.append([f"slowest-growing query ({worst})",
                     f"{(b['named'][worst]['qdgraph'] or 0) / max(a['named'][worst]['qdgraph'] or 1e-9, 1e-3):.0f}×"])
        out.append(f"Growth {a['size']} → {b['size']} (triples × {k:.0f}; linear = × {k:.0f})\n"
                   + table(["cost", "grew"], rows))
    last = results[-1]
    slow = [n for n in names if (last["named"][n]["qdgraph"] or 0) > 1.0]
    checks = [f"load ≤ 1.5× raw: {'yes' if last['load_qdgraph'] <= 1.5 * last['load_raw'] else 'NO'}",
              f"peak ≤ 1 GB: {'yes' if last['rss_qdgraph'] <= 2**30 else 'NO'}",
              f"cold measures ≤ 300 ms: {'yes' if last['measures_qdgraph'] <= 0.3 else 'NO'}",
              f"cold show ≤ 300 ms: {'yes' if last['show_qdgraph'] <= 0.3 else 'NO'}",
              f"named queries ≤ 1 s: {'yes' if not slow else 'NO: ' + ', '.join(slow)}",
              f"rules ≤ half the load: {'yes' if (last.get('rules_seconds') or 0) <= 0.5 * last['load_qdgraph'] else 'NO'}"]
    if bundle:
        checks.append(f"bundle cold build < 2 s: {'yes' if bundle['build'] < 2 else 'NO'}")
    out.append(f"Targets at {last['size']}: " + "; ".join(checks))
    return "\n\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="qdgraph vs raw pyoxigraph at 10k / 100k / 1M triples")
    ap.add_argument("--sizes", default="10k,100k,1m", help="comma-separated: 10k, 100k, 1m (default: all)")
    ap.add_argument("--out", default=str(ROOT / "out" / "bench"), help="working folder (default out/bench)")
    ap.add_argument("--repeat", type=int, default=1, help="loads per size (median); default 1")
    ap.add_argument("--json", help="also write the raw numbers to this file")
    args = ap.parse_args(argv)
    sizes = [s.strip().lower() for s in args.sizes.split(",") if s.strip()]
    bad = [s for s in sizes if s not in SIZES]
    if bad:
        ap.error(f"unknown size {bad[0]!r} (choose from {', '.join(SIZES)})")
    os.environ.setdefault("QDGRAPH_CACHE", str(Path(args.out) / "cache"))
    results = []
    for s in sizes:
        print(f"[{s}] generating, loading, querying …", file=sys.stderr, flush=True)
        results.append(bench_size(s, SIZES[s], Path(args.out), args.repeat))
    print("[bundle] building the bundled cache cold …", file=sys.stderr, flush=True)
    bundle = bench_bundle(Path(args.out))
    text = report(results, bundle)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps({"sizes": results, "bundle": bundle}, ensure_ascii=False, indent=1),
                                   encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""`qdgraph progress` for 12 indicators with 10,000 observed values, cold from a store
(target: 300 ms), beside two references measured in the same run, in turn: `python -c pass`
and a bare pyoxigraph script that opens the store and queries the same figures.

Builds (once, under out/bench-progress/) a store of the bundled graph plus a synthetic pillar
of 12 indicators, each with a Data Cube target for 2026, three measures that affect it, and
10,000 monthly observed values between them. Every number is made up: this is bench data,
never part of the bundled graph. Prints the medians; asserts nothing.

    python bench/bench_progress.py [-n RUNS] [--observations 10000]
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "out" / "bench-progress"
PILLAR_ZH = "基准进度任务"


def bench_triples(n_obs: int, n_ind: int = 12):
    import pyoxigraph as ox

    from qdgraph.namespaces import PREFIXES, QD, QDR
    from qdgraph.engine.periods import Period, period_triples

    P = {k: PREFIXES[k] for k in PREFIXES}
    n, lit = ox.NamedNode, ox.Literal
    a = n(P["rdf"] + "type")
    dec = n(P["xsd"] + "decimal")
    rnd = random.Random(14)
    doc, quote = n(QDR + "bench-progress-doc"), n(QDR + "bench-progress-q")
    selector = n(QDR + "bench-progress-q-selector")
    pillar = n(QDR + "bench-progress-pillar")
    # a quote as the model writes one: a Web Annotation specific resource of the document
    out = [(doc, a, n(QD + "SourceDocument")), (doc, n(P["dcterms"] + "title"), lit("基准来源")),
           (quote, a, n(QD + "Quote")), (quote, n(P["oa"] + "hasSource"), doc), (quote, n(P["oa"] + "hasSelector"), selector),
           (selector, a, n(P["oa"] + "TextQuoteSelector")), (selector, n(P["oa"] + "exact"), lit("基准。")),
           (pillar, a, n(QD + "Pillar")), (pillar, n(P["rdfs"] + "label"), lit(PILLAR_ZH, language="zh")),
           (pillar, n(P["rdfs"] + "label"), lit("bench progress pillar", language="en"))]
    months = [Period(1900 + m // 12, m % 12 + 1) for m in range(12 * 126)]  # 1900-01 … 2025-12
    per = n_obs // n_ind
    periods = set()
    for i in range(n_ind):
        ind = n(f"{QDR}bench-progress-indicator-{i}")
        out += [(ind, a, n(QD + "Indicator")), (ind, n(P["skos"] + "notation"), lit(str(900 + i))),
                (ind, n(P["rdfs"] + "label"), lit(f"基准指标{i}", language="zh")),
                (ind, n(P["rdfs"] + "label"), lit(f"bench indicator {i}", language="en")),
                (ind, n(QD + "measuredUnder"), pillar), (ind, n(P["prov"] + "wasDerivedFrom"), quote)]
        t = n(f"{QDR}bench-progress-target-{i}")
        out += [(t, a, n(P["qb"] + "Observation")), (t, a, n(QD + "Target")), (t, n(P["qb"] + "dataSet"), n(QDR + "dataset-targets")),
                (t, n(QD + "indicator"), ind), (t, n(P["sdmx-dimension"] + "refPeriod"), n(QDR + "period-2026")),
                (t, n(P["sdmx-dimension"] + "refArea"), n(QDR + "place-qingdao")),
                (t, n(P["sdmx-measure"] + "obsValue"), lit(str(100 + i), datatype=dec)),
                (t, n(P["sdmx-attribute"] + "unitMeasure"), n(P["unit"] + "PERCENT")),
                (t, n(QD + "comparator"), n(QD + "AtLeast")), (t, n(QD + "valueKind"), n(QD + "TargetValue"))]
        for j in range(3):
            m = n(f"{QDR}bench-progress-measure-{i}-{j}")
            c = n(f"{QDR}bench-progress-claim-{i}-{j}")
            out += [(m, a, n(QD + "Measure")), (m, n(P["rdfs"] + "label"), lit(f"基准措施{i}-{j}", language="zh")),
                    (m, n(P["rdfs"] + "label"), lit(f"bench measure {i}-{j}", language="en")), (m, n(QD + "affects"), ind),
                    (c, a, n(QD + "Claim")), (c, n(P["rdf"] + "subject"), m), (c, n(P["rdf"] + "predicate"), n(QD + "affects")),
                    (c, n(P["rdf"] + "object"), ind), (c, n(QD + "basis"), n(QD + "Stated")),
                    (c, n(P["prov"] + "wasDerivedFrom"), quote)]
        value = 50.0
        for p in months[-per:]:
            value += rnd.uniform(-0.2, 0.3)
            o = n(f"{QDR}bench-progress-obs-{i}-{p.key}")
            out += [(o, a, n(P["qb"] + "Observation")), (o, n(P["qb"] + "dataSet"), n(QDR + "dataset-observed")),
                    (o, n(QD + "indicator"), ind), (o, n(P["sdmx-dimension"] + "refPeriod"), n(p.iri)),
                    (o, n(P["sdmx-dimension"] + "refArea"), n(QDR + "place-qingdao")),
                    (o, n(P["sdmx-measure"] + "obsValue"), lit(f"{value:.2f}", datatype=dec)),
                    (o, n(P["sdmx-attribute"] + "unitMeasure"), n(P["unit"] + "PERCENT")),
                    (o, n(QD + "valueKind"), n(QD + "ObservedValue")), (o, n(P["prov"] + "wasDerivedFrom"), quote)]
            periods.add(p)
    for p in periods | {Period(2026)}:
        out += period_triples(p)
    return out


def _code_digest() -> str:
    """What a store built now depends on: qdgraph's code and queries (the answers kept with a
    store are keyed by query text), the bundled data and this script. A store built by other
    code would measure that code: it is built again (a few seconds)."""
    import hashlib

    h = hashlib.sha256()
    for pattern in ("qdgraph/**/*.py", "qdgraph/**/*.rq", "ontology/*.ttl", "data/*.ttl", "bench/bench_progress.py"):
        for f in sorted(ROOT.glob(pattern)):
            if "__pycache__" not in f.parts:
                h.update(str(f.relative_to(ROOT)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:12]


def build(n_obs: int) -> Path:
    import pyoxigraph as ox

    store = OUT / f"store-{n_obs}-{_code_digest()}"
    if (store / "CURRENT").is_file():
        return store
    for old in OUT.glob(f"store-{n_obs}*"):  # built by other code: never measured again
        shutil.rmtree(old, ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    data = OUT / f"progress-{n_obs}.nt"
    data.write_bytes(ox.serialize((ox.Triple(*t) for t in bench_triples(n_obs)), format=ox.RdfFormat.N_TRIPLES))
    shutil.rmtree(store, ignore_errors=True)
    subprocess.run([sys.executable, str(ROOT / "cli.py"), "load", str(data), "--store", str(store)], check=True,
                   stdout=subprocess.DEVNULL)
    return store


def _cpu_wall(cmd: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of ``cmd`` run once as a process."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


# the reference: a bare script that opens the store with pyoxigraph and asks its engine for
# every figure (qdgraph/domain/progress-observations.rq, what progress runs on a store that keeps
# no answers) as strings, nothing else; progress reads them from the answers kept with the store
# (engine/queries/indicator-figures.rq: one text a figure), with its indicators, targets and measures
RAW = """import sys, pyoxigraph as ox
from pathlib import Path
store = Path(sys.argv[1])
gen = store / (store / "CURRENT").read_text().strip()
st = ox.Store.read_only(str(gen / "store"))
rows = [(s[0].value, s[1].value, s[2].value, s[3].value, s[4].value)
        for s in st.query(Path(sys.argv[2]).read_text(), prefixes=dict(sys.argv[i].split("=", 1) for i in range(3, len(sys.argv))))]
"""


def main() -> None:
    from qdgraph.namespaces import PREFIXES

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-n", "--runs", type=int, default=7)
    ap.add_argument("--observations", type=int, default=10_000)
    args = ap.parse_args()
    store = build(args.observations)
    cmd = [sys.executable, str(ROOT / "cli.py"), "progress", "--pillar", PILLAR_ZH, "--store", str(store)]
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "raw pyoxigraph: open, query the figures": [sys.executable, "-c", RAW, str(store),
                                                   str(ROOT / "qdgraph/domain/progress-observations.rq"),
                                                   *(f"{k}={v}" for k, v in PREFIXES.items())],
        "qdgraph progress --pillar … -F table": [*cmd, "-F", "table"],
        "qdgraph progress --pillar … -F json": [*cmd, "-F", "json"],
    }
    for c in cases.values():  # untimed: writes the .pyc files an installed qdgraph has (see __main__)
        _cpu_wall(c)
    load = os.getloadavg()
    times: dict[str, list] = {k: [] for k in cases}
    for _ in range(args.runs):  # one of each in turn: a swing of the load falls on all of them
        for name, c in cases.items():
            times[name].append(_cpu_wall(c))
    print(f"cold, {args.observations:,} observations of 12 indicators; medians of {args.runs}; "
          f"load average {load[0]:.2f} before, {os.getloadavg()[0]:.2f} after")
    for name, got in times.items():
        wall = statistics.median(w for w, _ in got)
        cpu = statistics.median(c for _, c in got)
        target = "   (target 300 ms)" if name.startswith("qdgraph") else ""
        print(f"  {name:<40} wall {wall * 1000:7.1f} ms   cpu {cpu * 1000:7.1f} ms{target}")
    # in process, CPU time: imports, then opening the store and computing
    code = ("import time, sys; sys.path.insert(0, %r); t0 = time.process_time(); "
            "from qdgraph.engine.graph import open_graph; from qdgraph.domain.progress import progress; t1 = time.process_time(); "
            "kg = open_graph(store=%r); r = progress(kg, pillar=%r); t2 = time.process_time(); "
            "n = sum(len(i.observations) for i in r.indicators); "
            "print(f'{(t1 - t0) * 1000:.1f} {(t2 - t1) * 1000:.1f} {len(r.indicators)} {n}')") % (str(ROOT), str(store), PILLAR_ZH)
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
            for _ in range(args.runs)]
    imp = statistics.median(float(r[0]) for r in runs)
    work = statistics.median(float(r[1]) for r in runs)
    print(f"  in process (cpu): imports {imp:.1f} ms, open + compute {work:.1f} ms "
          f"({runs[0][2]} indicators, {runs[0][3]} observations read)")


if __name__ == "__main__":
    os.environ.setdefault("QDGRAPH_CACHE", str(OUT / "cache"))
    # cold means a new process, not a checkout compiling the modules it changed at every run
    # (with PYTHONDONTWRITEBYTECODE set, a changed module's stale .pyc is never replaced)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    main()

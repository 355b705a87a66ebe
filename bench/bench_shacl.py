#!/usr/bin/env python3
"""Which SHACL engine `qdgraph validate` and `import` should use (issue 22, item 2): each
candidate against Apache Jena SHACL, an engine that shares no code with any of them, on every
shape and test case, and its time on the bundled data and on a 5,000-row enterprise import.

    python bench/bench_shacl.py [--rows 5000] [--runs 3] [--limit 120] [--only NAME ...]

Candidates (each skipped with a note when it is not installed):
  pyshacl        pySHACL on an rdflib Graph
  pyshacl-ox     pySHACL on an Oxigraph Store (its ``oxigraph`` extra, pySHACL >= 0.40)
  pyshacl-turbo  pyshacl-turbo (Rust, pySHACL's API), on an rdflib Graph and on an Oxigraph Store
  shifty         pyshifty (Rust); shifty-quick: its quick verdict first, the report only for
                 data that does not conform (what `qdgraph validate` does)
  rudof          pyrudof (Rust), its native and its SPARQL engine

Cases: the bundled data; the control of tests/test_second_engine.py; the broken graphs of
tests/test_validate.py (BAD, HOSTILE, one per SHACL feature) and tests/test_classic_mistakes.py
(the correct sample and each mistake); the graph `import` validates for N new rows. Each data
graph is the one `validate` (or `import`) builds, handed to every engine as N-Triples.

A candidate agrees on a case when it gives Jena's results: the same (focus node, path,
severity) triples, as many times each (blank nodes all alike; a path that is not an IRI as
""). Each run is a child process with a time limit (--limit seconds); times are the best of
--runs and include reading the data into the engine's own form. Prints figures, asserts nothing.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "tests"))

SH = "http://www.w3.org/ns/shacl#"


# ------------------------------------------------------------------ cases
def _nt(store) -> bytes:
    import pyoxigraph as ox

    return ox.serialize((ox.Triple(q.subject, q.predicate, q.object) for q in store), format=ox.RdfFormat.N_TRIPLES)


def _shapes_nt(files) -> bytes:
    import pyoxigraph as ox

    return _nt([q for f in files for q in ox.parse(path=str(f), format=ox.RdfFormat.TURTLE)])


def _validate_graph(tmp: Path, name: str, text: str | None = None, with_bundled: bool = False) -> bytes:
    from qdgraph.domain.validate import data_graph

    files = []
    if text is not None:
        files = [tmp / f"{name}.ttl"]
        files[0].write_text(text, encoding="utf-8")
    return _nt(data_graph(files, with_bundled=with_bundled)[1])


def cases(tmp: Path, rows: int) -> dict[str, tuple[bytes, bytes]]:
    """name → (data N-Triples, shapes N-Triples)."""
    import pyoxigraph as ox

    import test_classic_mistakes as mistakes
    import test_second_engine
    import test_validate
    from qdgraph import paths

    ours = _shapes_nt(paths.shape_files())
    out = {"bundled data": (_validate_graph(tmp, "bundled", with_bundled=True), ours),
           "second-engine control": (_validate_graph(tmp, "control", test_second_engine.BROKEN), ours),
           "validate BAD": (_validate_graph(tmp, "bad", test_validate.BAD), ours),
           "validate HOSTILE": (_validate_graph(tmp, "hostile", test_validate.HOSTILE), ours),
           "sample, correct": (_validate_graph(tmp, "sample", mistakes.SAMPLE.read_text(encoding="utf-8")), ours)}
    for name, (_, update) in sorted(mistakes.MISTAKES.items()):
        store = ox.Store()
        store.load(path=str(mistakes.SAMPLE), format=ox.RdfFormat.TURTLE)
        store.update(mistakes.PREFIXES + update)
        text = store.dump(format=ox.RdfFormat.TURTLE, from_graph=ox.DefaultGraph()).decode("utf-8")
        out[f"mistake: {name}"] = (_validate_graph(tmp, "mistake", text), ours)
    data = _nt(ox.parse(test_validate._DATA, format=ox.RdfFormat.TURTLE))
    for name, body in sorted(test_validate._FEATURES.items()):
        shape = test_validate._EX + f"ex:S a sh:NodeShape ; sh:targetClass ex:T , ex:U ; {body} .\n"
        out[f"feature: {name}"] = (data, _nt(ox.parse(shape, format=ox.RdfFormat.TURTLE)))
    if rows:
        out[f"import {rows:,} rows"] = (import_graph(tmp, rows), ours)
    return out


def import_graph(tmp: Path, rows: int) -> bytes:
    """The graph `qdgraph import` hands to SHACL for ``rows`` new enterprises (bench_import's list)."""
    from qdgraph.domain import importer
    from qdgraph.engine.graph import open_graph

    chains = [r["l"].value for r in open_graph().query(
        'SELECT ?l WHERE { ?c a qd:IndustryChain ; rdfs:label ?l FILTER (lang(?l) = "zh") } ORDER BY ?l').rows]
    store = tmp / "store"
    subprocess.run([sys.executable, str(ROOT / "cli.py"), "load", "--store", str(store)], check=True,
                   capture_output=True)
    csv = tmp / f"list-{rows}.csv"
    csv.write_text("name,chain,district,founded\n" + "".join(
        f"青岛基准测试{i:05d}号科技有限公司,{chains[i % len(chains)]},黄岛区,2019-05-03\n" for i in range(rows)),
        encoding="utf-8")
    seen = []
    real = importer.raise_first_violation
    importer.raise_first_violation = lambda mini, *a: seen.append(_nt(mini))
    try:
        importer.import_file(csv, store, dry_run=True)
    finally:
        importer.raise_first_violation = real
    return seen[0]


# ------------------------------------------------------------------ engines
# each: (data N-Triples, shapes N-Triples) → [(focus, path, severity, message)]

def _report_rows(report) -> list[tuple]:
    """A W3C validation report (an rdflib Graph) as rows."""
    import rdflib

    sh = rdflib.Namespace(SH)
    out = []
    for r in report.subjects(rdflib.RDF.type, sh.ValidationResult):
        focus, path = report.value(r, sh.focusNode), report.value(r, sh.resultPath)
        out.append(("_:" if isinstance(focus, rdflib.BNode) else str(focus),
                    str(path) if isinstance(path, rdflib.URIRef) else "",
                    str(report.value(r, sh.resultSeverity)).rsplit("#", 1)[-1],
                    str(report.value(r, sh.resultMessage) or "")))
    return out


def _rdflib(nt: bytes):
    import rdflib

    return rdflib.Graph().parse(data=nt, format="nt")


def _oxigraph(nt: bytes):
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(nt, format=ox.RdfFormat.N_TRIPLES)
    return store


def run_pyshacl(data: bytes, shapes: bytes, on_oxigraph: bool = False):
    from pyshacl import validate

    _, report, _ = validate(_oxigraph(data) if on_oxigraph else _rdflib(data), shacl_graph=_rdflib(shapes),
                            inference="none", advanced=True, allow_warnings=True)
    return _report_rows(report)


def run_turbo(data: bytes, shapes: bytes, on_oxigraph: bool = False):
    from pyshacl_turbo import validate

    _, report, _ = validate(_oxigraph(data) if on_oxigraph else _rdflib(data), shacl_graph=_rdflib(shapes),
                            inference="none", advanced=True, allow_warnings=True)
    return _report_rows(report)


def run_shifty(data: bytes, shapes: bytes):
    import shifty

    # "data": focus nodes and values from the data graph alone, as pySHACL and Jena do;
    # "error": a constraint shifty does not know fails the run instead of being skipped
    _, report, _ = shifty.validate(data, shapes, graph_mode="data", infer=False, on_unsupported="error")
    return _report_rows(report)


def run_shifty_quick(data: bytes, shapes: bytes):
    """As `qdgraph validate` uses pyshifty: its quick verdict, and the report only when the data
    does not conform."""
    import shifty

    if shifty.validate_algebra(data, shapes, graph_mode="data", infer=False, on_unsupported="error").conforms:
        return []
    return run_shifty(data, shapes)


def run_rudof(data: bytes, shapes: bytes, mode: str = "Native"):
    import pyrudof

    rudof = pyrudof.Rudof(pyrudof.RudofConfig())
    rudof.read_data(data.decode("utf-8"), format=pyrudof.RDFFormat.NTriples)
    rudof.read_shacl(shapes.decode("utf-8"), format=pyrudof.ShaclFormat.NTriples)
    report = rudof.validate_shacl(mode=getattr(pyrudof.ShaclValidationMode, mode))
    out = []
    for v in report:
        focus, path = str(v.focus_node), str(v.path or "")
        out.append(("_:" if focus.startswith("_:") else focus.strip("<>"),
                    path.strip("<>") if path.startswith(("<", "http")) else "",
                    str(v.severity).rsplit("#", 1)[-1].strip(">").replace("sh:", ""), str(v.message or "")))
    return out


ENGINES = {
    "pyshacl": ("pyshacl", lambda d, s: run_pyshacl(d, s)),
    "pyshacl-ox": ("pyshacl", lambda d, s: run_pyshacl(d, s, on_oxigraph=True)),
    "pyshacl-turbo": ("pyshacl_turbo", lambda d, s: run_turbo(d, s)),
    "pyshacl-turbo-ox": ("pyshacl_turbo", lambda d, s: run_turbo(d, s, on_oxigraph=True)),
    "shifty": ("shifty", run_shifty),
    "shifty-quick": ("shifty", run_shifty_quick),
    "rudof": ("pyrudof", lambda d, s: run_rudof(d, s)),
    "rudof-sparql": ("pyrudof", lambda d, s: run_rudof(d, s, "Sparql")),
}


def _version(module: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    dist = {"pyshacl_turbo": "pyshacl-turbo", "shifty": "pyshifty"}.get(module, module)
    try:
        __import__(module)
        return version(dist)
    except (ImportError, PackageNotFoundError):
        return None


def _child(conn, engine: str, data: bytes, shapes: bytes):
    try:
        t, cpu = time.perf_counter(), time.process_time()   # CPU: every thread of this process
        rows = ENGINES[engine][1](data, shapes)
        conn.send(("ok", (time.perf_counter() - t, time.process_time() - cpu), rows))
    except BaseException as err:  # reported as the candidate's failure on that case
        conn.send(("error", (0.0, 0.0), f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"[:200]))


def run(engine: str, data: bytes, shapes: bytes, limit: float):
    """(status, seconds, rows) from a child process, stopped after ``limit`` seconds."""
    parent, child = mp.Pipe(duplex=False)
    p = mp.get_context("fork").Process(target=_child, args=(child, engine, data, shapes))
    p.start()
    if not parent.poll(limit):
        p.kill()
        p.join()
        return "timeout", (limit, limit), None
    status, seconds, rows = parent.recv()
    p.join()
    return status, seconds, rows


def key(rows) -> Counter:
    return Counter(r[:3] for r in rows)


def jena_results(jena, tmp: Path, name: str, data: bytes, shapes: bytes) -> Counter:
    d, s = tmp / "jena-data.nt", tmp / "jena-shapes.nt"
    d.write_bytes(data)
    s.write_bytes(shapes)
    return key(_report_rows(jena.shacl(s, d)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5000, help="rows of the import case (0: none)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs on the bundled data and the import")
    ap.add_argument("--limit", type=float, default=120.0, help="seconds before a run is stopped")
    ap.add_argument("--only", nargs="+", choices=sorted(ENGINES), help="candidates to run")
    a = ap.parse_args()

    from jena import Jena, unavailable

    tmp = Path(tempfile.mkdtemp(prefix="qdgraph-bench-shacl-"))
    try:
        all_cases = cases(tmp, a.rows)
        why = unavailable()
        if why:
            sys.exit(f"Jena is the reference and cannot run here: {why}")
        jena = Jena(tmp / "jena")
        ref = {}
        t = time.perf_counter()
        for name, (data, shapes) in all_cases.items():
            ref[name] = jena_results(jena, tmp, name, data, shapes)
        print(f"Jena SHACL (reference): {len(all_cases)} cases in {time.perf_counter() - t:.0f} s; results per case: "
              + ", ".join(f"{n} {sum(c.values())}" for n, c in ref.items()))
        timed = [n for n in all_cases if n == "bundled data" or n.startswith("import ")]
        print(f"\ntimes: wall / CPU seconds, best of {a.runs}, reading the N-Triples included")
        print(f"{'candidate':<18} {'version':<8} {'agrees':>8}  " + "  ".join(f"{n:>18}" for n in timed))
        for engine in a.only or ENGINES:
            ver = _version(ENGINES[engine][0])
            if ver is None:
                print(f"{engine:<18} {'-':<8} not installed")
                continue
            agree, notes, times = 0, [], {}
            for name, (data, shapes) in all_cases.items():
                best, status, rows = None, "ok", None
                for _ in range(a.runs if name in timed else 1):
                    status, seconds, rows = run(engine, data, shapes, a.limit)
                    if status != "ok":
                        break
                    best = seconds if best is None else min(best, seconds)
                if name in timed:
                    times[name] = f"{best[0]:.2f} / {best[1]:.2f} s" if status == "ok" else \
                        f"> {a.limit:.0f} s" if status == "timeout" else "error"
                if status == "ok" and key(rows) == ref[name]:
                    agree += 1
                elif status == "ok":
                    got = key(rows)
                    notes.append(f"{name}: only Jena {sorted((ref[name] - got).elements())[:3]}, "
                                 f"only {engine} {sorted((got - ref[name]).elements())[:3]}")
                else:
                    notes.append(f"{name}: {status} {rows if status == 'error' else ''}".rstrip())
            print(f"{engine:<18} {ver:<8} {agree:>3}/{len(all_cases):<4}  "
                  + "  ".join(f"{times.get(n, '-'):>18}" for n in timed), flush=True)
            for n in notes:
                print(f"    {n}")
        print(f"\n`qdgraph validate` on the bundled data, the whole command (best of {a.runs}):", end=" ")
        best = min(_wall([sys.executable, str(ROOT / "cli.py"), "validate"]) for _ in range(a.runs))
        print(f"{best:.2f} s  [target: <= 1 s]")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _wall(cmd) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t


if __name__ == "__main__":
    main()

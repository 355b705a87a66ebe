"""Large named answers at scale: the first row and the whole answer, streamed from the least key
(``# stream:`` headers) beside the plain query, both through qdgraph's API, and the first line
of `qdgraph query --name NAME -F tsv` as a reader of its pipe sees it.

Issue 24: every named query whose answer is itself large (≥ 1,000 rows) gives its first row
≤ 200 ms at 1 M triples, its answer the same rows in the same order (checked here too), and
(this bench's own bar) the whole answer ≤ 1.2× the plain query's time. CPU time of this process
(the machine is shared: wall time swings with the load); each figure the best and the median of
--repeat runs, warm (the store opened and each query run once before).

    python3 bench/bench_stream.py --store /tmp/s25/qd-store [--repeat 5] [--cli]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHAIN = "合成产业链01"  # the entity of entity-claims and entity-in, as bench_scale.py asks


def first_and_all(ask) -> tuple[float, float, list]:
    """CPU seconds from asking to the first row, and to the last; the rows."""
    c = time.process_time()
    it = iter(ask().rows)
    out = [next(it, None)]
    first = time.process_time() - c
    out += list(it)
    return first, time.process_time() - c, out


def _cpu(pid: int) -> float:
    """CPU seconds a running process has used so far (user + system; 10 ms ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cli_first_line(store: str, name: str, params: list[str]) -> tuple[float, float, float]:
    """`qdgraph query --name NAME -F tsv`: seconds to the first row's line on the pipe (wall: a
    reader waits in real time), the process's CPU seconds by then, and in all."""
    cmd = [sys.executable, str(ROOT / "cli.py"), "query", "--name", name, "-F", "tsv", "--store", store, *params]
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    p.stdout.readline()  # the header
    p.stdout.readline()
    first, first_cpu = time.perf_counter() - t, _cpu(p.pid)
    for _ in p.stdout:
        pass
    _, status, ru = os.wait4(p.pid, 0)
    return first, first_cpu, ru.ru_utime + ru.ru_stime


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", help="comma-separated query names")
    ap.add_argument("--cli", action="store_true", help="also the CLI's first line (a new process each run)")
    args = ap.parse_args(argv)

    import pyoxigraph as ox

    from qdgraph.engine.graph import open_graph
    from qdgraph.engine.queries import all_queries

    kg = open_graph(store=args.store)
    chain = kg.resolve(CHAIN, types=["qd:IndustryChain"])
    names = args.only.split(",") if args.only else [n for n, q in all_queries().items() if q.stream]
    print(f"store {args.store}, {len(kg):,} triples; CPU ms, best / median of {args.repeat}; load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"{'query':18} {'rows':>7}  {'plain first':>13} {'plain all':>13}  {'streamed first':>15} "
          f"{'streamed all':>13}  {'all ratio':>9}  same" + ("   cli: first line wall / cpu, all cpu" if args.cli else ""))
    for name in names:
        q = all_queries()[name]
        params = {p.name: ox.NamedNode(chain) for p in q.params}
        runs = {"plain": [], "streamed": []}
        rows = {}
        for i in range(args.repeat + 1):
            for side in ("plain", "streamed"):
                f, a, r = first_and_all(lambda: kg.backend.stream(q.text, params) if side == "plain"
                                        else kg.named(name, params, stream=True))
                if i:  # the first run warms the store's caches
                    runs[side].append((f, a))
                rows[side] = r
        same = rows["plain"] == rows["streamed"]

        def fig(side, k):
            xs = [r[k] * 1000 for r in runs[side]]
            return f"{min(xs):5.0f} / {statistics.median(xs):5.0f}"

        ratio = statistics.median(a for _, a in runs["streamed"]) / statistics.median(a for _, a in runs["plain"])
        line = (f"{name:18} {len(rows['plain']):7,}  {fig('plain', 0):>13} {fig('plain', 1):>13}  "
                f"{fig('streamed', 0):>15} {fig('streamed', 1):>13}  {ratio:8.2f}×  {'yes' if same else 'NO'}")
        if args.cli:
            cli = [cli_first_line(args.store, name, [f"--param={p.name}=<{chain}>" for p in q.params])
                   for _ in range(3)]
            line += "   " + " / ".join(f"{statistics.median(c[i] for c in cli) * 1000:5.0f}" for i in range(2))
            line += f", {statistics.median(c[2] for c in cli) * 1000:5.0f}"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

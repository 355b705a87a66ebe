"""Quick queries answered by the serving process itself, without the hop to a worker.

Handing a query to a worker process and reading its reply back costs more than the engine's
own work on a point lookup (bench_server, 2 cores shared, server CPU per answer: light mix
0.87-0.96 ms through a worker, 0.51-0.56 ms answered here; cli mix 2.9-3.3 -> 2.3-2.7 ms).
A worker is there to be killed: the engine cannot be interrupted, so a query that may run past
the time or memory limit must run where a kill stops it. A query whose cost is *known* needs
no kill: the store is read-only and a generation is never written again, so the same request
(query text, parameters, format, row cap, base IRI, dataset) on the same generation does the
same work. Hence:

- every request is first answered by a worker, which reports the CPU its task took;
- a successful answer that took at most ``QUICK_CPU`` (and a twentieth of ``--timeout``) is
  remembered by its request (``QUICK_BYTES`` of query text at most, the least recently asked
  forgotten first);
- the next time, that request is answered here by the same ``worker.handle`` (the read-only
  guard first, then the engine): the same bytes a worker sends. One that took at most
  ``LOOP_CPU`` (a point lookup, a lookup's query) runs on the event loop: in a thread, the GIL
  passed to and fro costs more than a short query's engine work (bench_server light mix,
  server CPU per answer 0.37 ms on the loop, 0.49 ms in threads; cli mix 2.8 ms on the loop,
  3.6-4.0 in threads). A longer one runs in one of the process's threads (as many as its
  workers), the loop serving other requests meanwhile: the engine lets go of the GIL while it
  evaluates, so several run at once, as they would in the workers. ``serve`` runs one serving
  process per core (``fronts.py``), so loops alone keep every core busy (with one serving
  process, the loop alone had given 0.65-0.70x Oxigraph's throughput on the cli mix);
- a query that calls a function with a new value at each run (NOW, RAND, UUID, STRUUID,
  BNODE: ``cache.cacheable``) is never remembered: its work could differ from one run to the
  next (``FILTER(RAND() < 0.01 && EXISTS {…})``).

Safety: ``serve`` answers here only once this process has given up the network exactly as the
workers have (``sandbox.deny_network``: a seccomp filter, installed once the socket listens and
before anything is answered), so the read-only guard keeps its second line of defence wherever
user SPARQL runs. ``serve(lock_down=False)`` (a library caller's own process) never answers here.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

from qdgraph.interfaces.server.cache import cacheable
from qdgraph.interfaces.server.messages import Answer, Reply, Task

QUICK_CPU = 0.02     # seconds of CPU a worker took, at most, for the request to be answered here next time
# ... on the event loop itself (more: in a thread of the serving process). 5 ms, not 1: the
# lookups' queries take 2-4 ms, and their hop to a thread and back cost 0.9 ms of CPU an answer
# under load, the GIL passed between loop and threads (bench_server, cli mix, runs minutes apart: 3.65 ->
# 2.78 ms an answer, 0.73x -> 1.01x Oxigraph's throughput, p99 334 ms against its 336); a
# request on the loop holds the others of its serving process for at most that long
LOOP_CPU = 0.005
QUICK_BYTES = 8 << 20  # query text remembered, at most (a POST body may be 2 MiB)


class QuickPath:
    """The serving process's own read-only view of the store, for requests known to be quick."""

    def __init__(self, spec: dict, timeout: float, threads: int = 4):
        self.spec = spec
        self.threads = threads  # at most this many requests answered at once in threads
        self.limit = min(QUICK_CPU, timeout / 20)  # far inside the time limit, whatever the machine's load
        self._known: OrderedDict = OrderedDict()  # request -> [the length of its query text, least CPU it took]
        self._bytes = 0
        self._graph: tuple = ("", None)  # (generation, KnowledgeGraph) open here
        self._opening: str | None = None  # the generation being opened (or that could not be)
        self._pool = None  # the threads, started at the first request that needs one

    @staticmethod
    def key(op: str, args: dict, gen: str):
        """The request as its answer depends on it, or None for a task never answered here."""
        if op != "sparql":
            return None
        return (gen, args["query"], tuple(args["param_pairs"]), args["accept"], args["requested"],
                args["max_rows"], args["base_iri"], args["dataset"])

    def learn(self, key, reply: Reply, cpu: float) -> None:
        """A worker's reply to ``key`` and the CPU it took: remember quick answers."""
        if key is None or cpu > self.limit or not isinstance(reply, Answer) or not cacheable(key[1]):
            return
        known, size = self._known, len(key[1]) + sum(map(len, key[2])) + 200
        if key in known or size > QUICK_BYTES:
            return
        known[key] = [size, cpu]
        self._bytes += size
        while self._bytes > QUICK_BYTES:
            self._bytes -= known.popitem(last=False)[1][0]

    def find(self, key, gen: str):
        """(graph, entry) for a request known to be quick, ``entry[1]`` the least CPU it took;
        None: a worker must answer (not known, or the generation is not open here yet)."""
        entry = self._known.get(key) if key is not None else None
        if entry is None:
            return None
        self._known.move_to_end(key)  # the least recently asked is forgotten first
        g, kg = self._graph
        if g != gen or kg is None:
            if self._opening != gen:  # opened off the loop; workers answer meanwhile
                self._opening = gen
                threading.Thread(target=self._open, args=(gen,), daemon=True, name="qdgraph-open").start()
            return None
        return kg, entry

    @staticmethod
    def on_loop(found) -> bool:
        """Whether a request ``find`` found is answered on the event loop (else in a thread)."""
        return found[1][1] <= LOOP_CPU

    def answer(self, key, task: Task) -> Reply | None:
        """The reply to a request known to be quick enough for the event loop, answered here;
        None: it is not (a thread or a worker must answer)."""
        found = self.find(key, task.generation)
        if found is None or not self.on_loop(found):
            return None
        return self.run(*found, task)

    def executor(self) -> ThreadPoolExecutor:
        """The threads for requests above LOOP_CPU (started after the seccomp filter, which
        covers every thread of the process anyway)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="qdgraph-quick")
        return self._pool

    @staticmethod
    def run(kg, entry: list, task: Task) -> Reply:
        """``worker.handle`` here (on the loop or in a thread), noting the CPU it took."""
        from qdgraph.interfaces.server.worker import handle

        started = time.thread_time()
        reply = handle(kg, task)
        entry[1] = min(entry[1], time.thread_time() - started)
        return reply

    def _open(self, gen: str) -> None:
        from qdgraph.interfaces.server.worker import open_spec

        try:
            kg = open_spec({**self.spec, "generation": gen or None})
            kg.backend.run("ASK {}", {})  # the database opened now, off the loop
        except Exception:  # noqa: BLE001 — that generation is gone already: workers answer (and say so)
            return
        self._graph = (gen, kg)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)

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
- the next time, that request is answered here, on the event loop, by the same
  ``worker.handle`` (the read-only guard first, then the engine): the same bytes a worker sends;
  the loop waits 20 ms at most. On the loop rather than in threads: with threads
  the GIL passed to and fro cost 0.2-0.6 ms a request, most of the hop saved; ``serve`` runs
  one serving process per core instead (``fronts.py``);
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
from collections import OrderedDict

from qdgraph.interfaces.server.cache import cacheable
from qdgraph.interfaces.server.messages import Answer, Reply, Task

QUICK_CPU = 0.02     # seconds of CPU a worker took, at most, for the request to be answered here next time
QUICK_BYTES = 8 << 20  # query text remembered, at most (a POST body may be 2 MiB)


class QuickPath:
    """The serving process's own read-only view of the store, for requests known to be quick."""

    def __init__(self, spec: dict, timeout: float):
        self.spec = spec
        self.limit = min(QUICK_CPU, timeout / 20)  # far inside the time limit, whatever the machine's load
        self._known: OrderedDict = OrderedDict()  # request -> the length of its query text
        self._bytes = 0
        self._graph: tuple = ("", None)  # (generation, KnowledgeGraph) open here
        self._opening: str | None = None  # the generation being opened (or that could not be)

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
        known[key] = size
        self._bytes += size
        while self._bytes > QUICK_BYTES:
            self._bytes -= known.popitem(last=False)[1]

    def answer(self, key, task: Task) -> Reply | None:
        """The reply to a request known to be quick, answered here; None: a worker must answer
        (not known, or the generation is not open here yet)."""
        if key is None or key not in self._known:
            return None
        self._known.move_to_end(key)  # the least recently asked is forgotten first
        g, kg = self._graph
        if g != task.generation or kg is None:
            if self._opening != task.generation:  # opened off the loop; workers answer meanwhile
                self._opening = task.generation
                threading.Thread(target=self._open, args=(task.generation,), daemon=True,
                                 name="qdgraph-open").start()
            return None
        from qdgraph.interfaces.server.worker import handle

        return handle(kg, task)

    def _open(self, gen: str) -> None:
        from qdgraph.interfaces.server.worker import open_spec

        try:
            kg = open_spec({**self.spec, "generation": gen or None})
            kg.backend.run("ASK {}", {})  # the database opened now, off the loop
        except Exception:  # noqa: BLE001 — that generation is gone already: workers answer (and say so)
            return
        self._graph = (gen, kg)

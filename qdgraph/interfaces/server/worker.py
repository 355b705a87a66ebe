"""The code that runs inside a query worker process.

The engine cannot be interrupted once a query starts, so the server runs every query (and
every lookup, which is a handful of queries) in a worker process it can kill when the time
limit passes (see ``pool.py``). A worker opens the graph read-only once, then answers tasks
from its pipe until the pipe closes. Results are serialised here, in the worker, so the
serving process only moves bytes.

Messages are the typed ``Task`` / ``Answer`` / ``Refusal`` of ``messages.py``; each reply goes
back with the CPU seconds its task took. The same ``handle`` answers a request known to be
quick in the serving process (``quick.py``).
"""
from __future__ import annotations

import functools
import json
import signal
import time
from typing import Any

from qdgraph.errors import QdgraphError
from qdgraph.interfaces.server.messages import Answer, Failed, Ready, Refusal, Reply, Task

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
TRUNCATED_HEADER = "X-Qdgraph-Truncated"


def open_spec(spec: dict):
    """The KnowledgeGraph a worker serves, from the picklable description the server made:
    a store on disk (``qdgraph load``'s, the bundled cache, or the --data graph the server
    compiled once for all workers)."""
    from qdgraph.engine.backend import StoreBackend
    from qdgraph.engine.graph import KnowledgeGraph

    # "generation": a worker following the store to the generation the server names
    return KnowledgeGraph(StoreBackend(spec["path"], description=spec.get("description"),
                                       generation=spec.get("generation")))


def generation_of(kg) -> str:
    gen = getattr(kg.backend, "gen", None)
    return gen.name if gen is not None else ""


def main(conn, spec: dict) -> None:
    """Open the graph, then serve tasks from ``conn`` until it closes."""
    try:
        kg = open_spec(spec)
        size = len(kg)
    except QdgraphError as err:
        conn.send(Failed(str(err)))
        return
    except Exception as err:  # noqa: BLE001 — reported to the server, which prints one line
        conn.send(Failed(f"{type(err).__name__}: {err}"))
        return
    # user SPARQL runs here and needs no network: give it up for good (defence in depth behind
    # the read-only guard; the socket pair to the server is already open)
    from qdgraph.engine.sandbox import deny_network

    sandbox = deny_network()
    # the first query's imports and compiled patterns, now rather than in the first request: its
    # CPU is what the pool reads to answer it in the serving process next time (quick.py)
    handle(kg, Task("sparql", {"query": "ASK {}", "param_pairs": [], "accept": None, "requested": None,
                               "max_rows": 1}))
    conn.send(Ready(size, sandbox))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return  # the server closed the pipe (or died): nothing left to do
        if task is None:
            return
        gen = task.generation
        if gen and gen != generation_of(kg):  # the store was replaced: follow it
            try:
                fresh = open_spec({**spec, "generation": gen})
            except Exception:  # noqa: BLE001 — that generation is gone already
                conn.send((Refusal(503, "the store was replaced while this request waited; send it again"), 0.0))
                continue
            del kg  # close the old database before holding the new one
            kg = fresh
        # with the CPU it took: the pool answers a request that was quick in the serving
        # process next time (quick.py)
        started = time.process_time()
        reply = handle(kg, task)
        conn.send((reply, time.process_time() - started))


def handle(kg, task: Task) -> Reply:
    try:
        return OPS[task.op](kg, **task.args)
    except QdgraphError as err:  # the error table (qdgraph.errors) gives status and details
        return Refusal(err.http_status, str(err), err.details())
    except MemoryError:  # a Python allocation over the cap (the pool's watchdog catches the engine's)
        return Refusal(503, "the query needed more memory than a query worker may use (the server's --max-memory)")
    except Exception as err:  # noqa: BLE001 — a bug: answer 500, keep the worker alive
        import traceback

        traceback.print_exc()
        return Refusal(500, f"internal error: {type(err).__name__}: {err}")


# ---------------------------------------------------------------- SPARQL
# The guard's verdict per query text: it is a pure function of the text, and its reading
# (0.2-0.4 ms) costs more than the engine's on a point lookup that a dashboard sends again and
# again. lru_cache keeps no exception: a refused text is read again each time.
@functools.lru_cache(maxsize=4096)
def _guarded(query: str) -> str:
    from qdgraph.engine.sparql import check_query

    return check_query(query)


@functools.lru_cache(maxsize=1024)  # (form, Accept, ?format=): clients send the same few
def _format(form: str, accept: str | None, requested: str | None) -> str:
    from qdgraph.interfaces.server.negotiate import choose

    return choose(form, accept, requested)


def op_sparql(kg, query: str, param_pairs: list, accept: str | None, requested: str | None, max_rows: int | None,
              base_iri: str | None = None, dataset: tuple = ((), ())):
    """A query as the endpoint received it: the read-only guard first (nesting, then UPDATE,
    LOAD, SERVICE, FROM; a refusal is the guard's one line), then the parameters as terms and
    the format from ``accept`` / ``requested`` (406), then ``op_query``. Here rather than in the
    serving process: one core there serves every request, the workers share the others."""
    from qdgraph.engine.graph import param_terms
    from qdgraph.engine.sparql import parse_params

    form = _guarded(query)
    params = param_terms(parse_params(param_pairs)) if param_pairs else {}
    fmt = _format(form, accept, requested)
    return op_query(kg, query, params, fmt, max_rows, base_iri, dataset)


def op_query(kg, query: str, params: dict, fmt: str, max_rows: int | None, base_iri: str | None = None,
             dataset: tuple = ((), ())):
    """Run ``query``, keeping at most ``max_rows`` rows (or triples): the cut happens while the
    engine's answer is read, so an over-large answer is never held in memory whole. Relative
    IRIs resolve against ``base_iri`` (the endpoint's URL); ``dataset`` is (default graphs,
    named graphs), graphs the store holds. ``params`` are RDF terms already.

    ``op_sparql`` has run the read-only guard on ``query`` (``check_query``, once per request),
    so the engine runs it directly (``Backend.query``)."""
    from qdgraph.engine.backend import Dataset

    if fmt == "json" and getattr(kg.backend, "local", False):
        body = _engine_json(kg.backend, query, params, max_rows, base_iri, Dataset(*dataset))
        if body is not None:
            from qdgraph.presentation.formats import get

            return Answer(get("json").content_type, body, {})
    res = kg.backend.query(query, params, limit=max_rows, base_iri=base_iri, dataset=Dataset(*dataset))
    headers = {}
    if getattr(res, "truncated", False):
        headers[TRUNCATED_HEADER] = f"max-rows={max_rows}"
    from qdgraph.presentation.formats import get, write

    options = {"compact": True} if fmt == "json" else {}
    return Answer(get(fmt).content_type, write(res, fmt, **options).encode("utf-8"), headers)


ROW_BYTES = 1024  # the engine's JSON is cut off past this many bytes a row on average (see _engine_json)


class _Full(Exception):
    pass


class _Capped:
    """A binary output for the engine's writer that refuses more than ``cap`` bytes."""

    __slots__ = ("parts", "size", "cap")

    def __init__(self, cap: int | None):
        self.parts, self.size, self.cap = [], 0, cap

    def write(self, data) -> int:
        self.size += len(data)
        if self.cap is not None and self.size >= self.cap:
            raise _Full()
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


def _engine_json(backend, query: str, params: dict, max_rows: int | None, base_iri, dataset) -> bytes | None:
    """A SELECT's SPARQL JSON as the engine writes it (an ASK's as formats.py does), or None
    where the Python writer must answer. The engine's document is byte for byte the compact one
    ``formats.write(…, "json", compact=True)`` writes (tests/test_server.py compares them), for
    1.3-2x less CPU, except for literals with a base direction, which it keeps ("its:dir"):
    those answers are written by Python, as before. The engine cannot stop at ``max_rows``: it
    is cut off past ``ROW_BYTES`` a row on average (an answer never grows past what the row
    cap lets the Python writer hold), and a document that may hold more than ``max_rows`` rows
    (over 3 bytes a row: ``{},``) has its rows counted; any answer past the cap is run again
    by the row-counting path, which cuts it and marks it truncated."""
    import pyoxigraph as ox

    try:
        res = backend.run(query, params, base_iri=base_iri, dataset=dataset)
    except QdgraphError:
        return None  # the usual path says it, in its words
    if isinstance(res, ox.QueryBoolean):  # formats._write_json's ASK document
        return b'{"head": {}, "boolean": true}\n' if res else b'{"head": {}, "boolean": false}\n'
    if not isinstance(res, ox.QuerySolutions):
        return None
    out = _Capped(None if max_rows is None else ROW_BYTES * (max_rows + 1))
    try:
        res.serialize(out, ox.QueryResultsFormat.JSON)
    except Exception:  # noqa: BLE001 — too long, or an evaluation error: the usual path answers
        return None
    body = b"".join(out.parts)
    if b'"its:dir"' in body:
        return None
    if max_rows is not None and len(body) >= 3 * (max_rows + 1) - 1 \
            and len(json.loads(body)["results"]["bindings"]) > max_rows:
        return None
    return body


# ---------------------------------------------------------------- lookups
def _json(obj) -> Answer:
    return Answer(JSON_TYPE, json.dumps(obj, ensure_ascii=False).encode("utf-8"))


def op_measures(kg, indicator: str, basis: str | None = None):
    from qdgraph.domain.measures import measures_for

    return _json(measures_for(kg, indicator, basis).to_dict())


def op_entity(kg, name: str):
    from qdgraph.domain.entity import describe

    return _json(describe(kg, name).to_dict())


def op_search(kg, q: str, types: list, limit: int):
    hits = kg.names().search(q, types, limit=limit)
    return _json({"query": q, "results": [
        {"score": s, "iri": e["iri"], "zh": e.get("zh"), "en": e.get("en"), "types": e["types"]} for s, e in hits]})


def op_indicators(kg):
    from qdgraph.domain.wording import indicator_rows

    return _json({"indicators": indicator_rows(kg)})


def op_viz(kg, kind: str, name: str, options: dict):
    try:
        from qdgraph.presentation import viz
        render = viz.render
    except (ImportError, AttributeError):
        return Refusal(501, "pictures are not available in this install (qdgraph.presentation.viz is missing)")
    html = render(kg, kind, name, **options)
    return Answer(HTML_TYPE, html.encode("utf-8"))


def op_progress(kg, indicator: str | None, pillar: str | None):
    from qdgraph.domain.progress import progress

    return _json(progress(kg, indicator, pillar=pillar).to_dict())


def op_progress_page(kg, indicator: str | None, pillar: str | None, lang: str):
    from qdgraph.presentation.viz.progress import render_progress

    html = render_progress(kg, indicator, pillar=pillar, lang=lang)
    return Answer(HTML_TYPE, html.encode("utf-8"))


OPS: dict[str, Any] = {
    "sparql": op_sparql, "query": op_query, "measures": op_measures, "entity": op_entity, "search": op_search,
    "indicators": op_indicators, "viz": op_viz, "progress": op_progress, "progress_page": op_progress_page,
}


if __name__ == "__main__":  # started by pool.Worker: python -m qdgraph.interfaces.server.worker FD
    import sys
    from multiprocessing.connection import Connection

    # Ctrl-C in the terminal reaches the whole process group; the server stops its workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _conn = Connection(int(sys.argv[1]))
    try:
        _spec = _conn.recv()
    except (EOFError, OSError):
        sys.exit(0)
    main(_conn, _spec)

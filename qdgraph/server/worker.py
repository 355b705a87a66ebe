"""The code that runs inside a query worker process.

The engine cannot be interrupted once a query starts, so the server runs every query (and
every lookup, which is a handful of queries) in a worker process it can kill when the time
limit passes (see ``pool.py``). A worker opens the graph read-only once, then answers tasks
from its pipe until the pipe closes. Results are serialised here, in the worker, so the
serving process only moves bytes.

A task is a tuple ``(op, args)``; the reply is ``("ok", content_type, body, headers)`` or
``("error", status, message, extra)``.
"""
from __future__ import annotations

import json
import signal
from functools import lru_cache
from typing import Any

from ..errors import (AmbiguousNameError, NotFoundError, QdgraphError, QuerySyntaxError, QueryTimeout,
                      UnsafeQueryError, UsageError)

CONTENT_TYPES = {
    "json": "application/sparql-results+json; charset=utf-8",
    "xml": "application/sparql-results+xml; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "turtle": "text/turtle; charset=utf-8",
    "json-ld": "application/ld+json; charset=utf-8",
    "nt": "application/n-triples; charset=utf-8",
    "rdf-xml": "application/rdf+xml; charset=utf-8",
}
JSON_TYPE = "application/json; charset=utf-8"
TRUNCATED_HEADER = "X-Qdgraph-Truncated"


def open_spec(spec: dict):
    """The KnowledgeGraph a worker serves, from the picklable description the server made."""
    from ..graph import KnowledgeGraph, LocalBackend, open_graph

    if spec["kind"] == "compiled":  # a --data graph the server compiled once for all workers
        import pyoxigraph as ox

        from ..bundle import load_names

        d = spec["path"]
        return KnowledgeGraph(LocalBackend(ox.Store.read_only(str(d / "store")), load_names(d),
                                           description=spec.get("description", str(d))))
    if spec["kind"] == "store":
        if spec.get("generation"):
            from ..storage import StoreBackend

            return KnowledgeGraph(StoreBackend(spec["path"], generation=spec["generation"]))
        return open_graph(store=spec["path"])
    return open_graph()


def generation_of(kg) -> str:
    gen = getattr(kg.backend, "gen", None)
    return gen.name if gen is not None else ""


def main(conn, spec: dict) -> None:
    """Open the graph, then serve tasks from ``conn`` until it closes."""
    try:
        kg = open_spec(spec)
        size = len(kg)
    except QdgraphError as err:
        conn.send(("failed", str(err)))
        return
    except Exception as err:  # noqa: BLE001 — reported to the server, which prints one line
        conn.send(("failed", f"{type(err).__name__}: {err}"))
        return
    conn.send(("ready", size))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return  # the server closed the pipe (or died): nothing left to do
        if task is None:
            return
        op, args, gen = task
        if gen and gen != generation_of(kg):  # the store was replaced: follow it
            try:
                fresh = open_spec({**spec, "generation": gen})
            except Exception:  # noqa: BLE001 — that generation is gone already
                conn.send(("error", 503, "the store was replaced while this request waited; send it again", {}))
                continue
            del kg  # close the old database before holding the new one
            kg = fresh
        conn.send(handle(kg, (op, args)))


def handle(kg, task) -> tuple:
    op, args = task
    try:
        return OPS[op](kg, **args)
    except NotFoundError as err:
        return ("error", 404, str(err), {"suggestions": err.suggestions})
    except AmbiguousNameError as err:
        from ..names import describe_entry

        cands = [describe_entry(c) if isinstance(c, dict) else str(c) for c in err.candidates]
        return ("error", 409, str(err), {"candidates": cands})
    except UnsafeQueryError as err:
        return ("error", 403, str(err), {})
    except QueryTimeout as err:
        return ("error", 503, str(err), {})
    except (QuerySyntaxError, UsageError) as err:
        return ("error", 400, str(err), {})
    except QdgraphError as err:
        return ("error", 400, str(err), {})
    except Exception as err:  # noqa: BLE001 — a bug: answer 500, keep the worker alive
        import traceback

        traceback.print_exc()
        return ("error", 500, f"internal error: {type(err).__name__}: {err}", {})


# ---------------------------------------------------------------- SPARQL
def run_query(kg, query: str, params: dict, max_rows: int | None, base_iri: str | None = None,
              dataset: tuple = ((), ())):
    """Execute ``query`` and keep at most ``max_rows`` rows (or triples): the cut happens while
    iterating, so an over-large answer is never held in memory whole. Relative IRIs resolve
    against ``base_iri`` (the endpoint's URL); ``dataset`` is (default graphs, named graphs)."""
    import pyoxigraph as ox

    from ..graph import Dataset, materialise

    guard(query)  # the server checked already; a second look at a known query costs nothing
    chosen = Dataset(*dataset)
    store = getattr(kg.backend, "store", None)
    if not isinstance(store, ox.Store):  # some other backend: it materialises, we cut after
        res = kg.query(query, params, dataset=chosen)
        return _cap(res, max_rows)
    limit = None if max_rows is None else max_rows + 1
    out = materialise(kg.backend.run(query, params, base_iri=base_iri, dataset=chosen), limit)
    return _cap(out, max_rows)


def _cap(res, max_rows):
    items = getattr(res, "rows", None) if res.kind == "select" else getattr(res, "triples", None)
    res.truncated = bool(getattr(res, "truncated", False))
    if items is not None and max_rows is not None and len(items) > max_rows:
        del items[max_rows:]
        res.truncated = True
    return res


def guard(query: str) -> str:
    """``check_read_only``, remembered for short queries: dashboards and scripts send the
    same texts again and again, and the check costs more than running a small query."""
    from ..sparql import check_read_only

    return _guard_cached(query) if len(query) <= 16384 else check_read_only(query)


@lru_cache(maxsize=1024)
def _guard_cached(query: str) -> str:
    from ..sparql import check_read_only

    return check_read_only(query)  # a refusal raises, and is not remembered


def serialize(res, fmt: str) -> bytes:
    if fmt == "json" and res.kind == "select":
        # compact, not the CLI's indented form: the same JSON document, written 4x faster
        # (json's C encoder does not do indentation)
        return json.dumps(res.to_json(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if fmt == "rdf-xml":  # not one of the CLI's formats, but what many RDF clients default to
        import pyoxigraph as ox

        return ox.serialize(res.triples, format=ox.RdfFormat.RDF_XML)
    return res.serialize(fmt).encode("utf-8")


def op_query(kg, query: str, params: dict, fmt: str, max_rows: int | None, base_iri: str | None = None,
             dataset: tuple = ((), ())):
    res = run_query(kg, query, params, max_rows, base_iri, dataset)
    headers = {}
    if getattr(res, "truncated", False):
        headers[TRUNCATED_HEADER] = f"max-rows={max_rows}"
    return ("ok", CONTENT_TYPES[fmt], serialize(res, fmt), headers)


# ---------------------------------------------------------------- lookups
def _json(obj) -> tuple:
    return ("ok", JSON_TYPE, json.dumps(obj, ensure_ascii=False).encode("utf-8"), {})


def op_measures(kg, indicator: str):
    from ..measures import measures_for

    return _json(measures_for(kg, indicator).to_dict())


def op_entity(kg, name: str):
    from ..entity import describe

    return _json(describe(kg, name).to_dict())


def op_search(kg, q: str, types: list, limit: int):
    hits = kg.names().search(q, types, limit=limit)
    return _json({"query": q, "results": [
        {"score": s, "iri": e["iri"], "zh": e.get("zh"), "en": e.get("en"), "types": e["types"]} for s, e in hits]})


def op_indicators(kg):
    from ..results import term_text

    res = kg.named("indicators")
    rows = [{k: term_text(v) for k, v in row.items()} for row in res.rows]
    return _json({"variables": res.variables, "indicators": rows})


def op_viz(kg, kind: str, name: str, options: dict):
    try:
        from .. import viz
        render = viz.render
    except (ImportError, AttributeError):
        return ("error", 501, "pictures are not available in this install (qdgraph.viz is missing)", {})
    html = render(kg, kind, name, **options)
    return ("ok", "text/html; charset=utf-8", html.encode("utf-8"), {})


OPS: dict[str, Any] = {
    "query": op_query, "measures": op_measures, "entity": op_entity, "search": op_search,
    "indicators": op_indicators, "viz": op_viz,
}


if __name__ == "__main__":  # started by pool.Worker: python -m qdgraph.server.worker FD
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

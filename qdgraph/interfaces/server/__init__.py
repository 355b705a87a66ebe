"""``qdgraph serve``: a read-only SPARQL 1.1 endpoint over the graph, with JSON lookups and a
query page.

- ``http11.py``: a small asyncio HTTP/1.1 server; ``handler.py``: the routes (protocol,
  negotiation, read-only checks);
- ``pool.py`` / ``worker.py``: queries run in worker processes that are killed at the time limit;
- ``negotiate.py``: which format to answer with; ``description.py``: the service description;
- ``static/``: the query page (hand-written HTML, CSS and JS; nothing loaded from a CDN).
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from qdgraph import __version__
from qdgraph.errors import QdgraphError
from qdgraph.interfaces.server.cache import ResultCache
from qdgraph.interfaces.server.http11 import MAX_HEAD

STATIC = Path(__file__).resolve().parent / "static"
# The page may load only itself: no CDN, no inline script, nothing from another origin.
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
STATIC_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/static/app.css": ("app.css", "text/css; charset=utf-8"),
}


@dataclass
class App:
    """What every request handler needs to know."""

    pool: object
    endpoint_url: str
    timeout: float = 10.0
    max_rows: int | None = 10000
    cors: str | None = None
    quiet: bool = False
    triples: int | None = None
    static: dict = field(default_factory=dict)
    queries_json: bytes = b"[]"
    cache: ResultCache = field(default_factory=ResultCache)
    allowed_hosts: frozenset | None = None  # Host names answered (None: any); see host_allowed


def graph_spec(data=(), store=None, bundled: bool = True) -> tuple[dict, Path | None]:
    """How workers open the graph, and a temporary folder to delete at exit (or None).

    Extra ``--data`` files are parsed once here (so a broken file is reported once, before
    anything starts) and compiled to a temporary on-disk store that every worker opens
    read-only, sharing the operating system's page cache instead of a parsed copy each."""
    if store:
        return {"path": Path(store)}, None
    if not data and bundled:
        from qdgraph.engine.graph import open_bundled

        backend = open_bundled()  # checked (and repaired) here, once, before workers open it
        if backend is not None:
            d = backend.gen.parent
            del backend
            return {"path": d, "description": f"bundled ({d})"}, None
    from qdgraph.fileio import owned_tempdir, sweep_orphans
    from qdgraph.storage.build import build_store

    sweep_orphans(tempfile.gettempdir(), "qdgraph-serve-")  # left by servers that were killed
    tmp = owned_tempdir("qdgraph-serve-")
    try:  # all or nothing: a file that does not parse is reported as file:line, once
        build_store(tmp / "graph", data, bundled=bundled)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    files = ", ".join(map(str, data))
    return {"path": tmp / "graph", "description": f"bundled + {files}" if bundled else files}, tmp


def _queries_json() -> bytes:
    from qdgraph.namespaces import PREFIXES
    from qdgraph.engine.queries import all_queries

    queries = [{"name": q.name, "title": q.title, "description": q.description, "text": q.text,
                "params": [{"name": p.name, "kind": p.kind, "help": p.help} for p in q.params]}
               for q in all_queries().values()]
    from qdgraph.presentation.formats import FORMATS

    formats = [{"name": f.name, "label": f.label, "kinds": f.kinds} for f in FORMATS.values() if f.http]
    return json.dumps({"prefixes": PREFIXES, "queries": queries, "formats": formats}, ensure_ascii=False).encode("utf-8")


def _static() -> dict:
    out = {}
    for route, (name, ctype) in STATIC_FILES.items():
        headers = {"Cache-Control": "no-cache"}
        if name == "index.html":
            headers["Content-Security-Policy"] = PAGE_CSP
        out[route] = (ctype, (STATIC / name).read_bytes(), headers)
    return out


def default_workers() -> int:
    # at least 4, so a couple of slow queries leave workers free for everyone else
    return max(4, min(8, os.cpu_count() or 1))


def common_headers(app: App):
    """Headers on every answer: no MIME sniffing; CORS only when ``--cors`` asked for it."""
    base = {"X-Content-Type-Options": "nosniff"}
    if app.cors:  # browsers then let pages of that origin read answers
        base["Access-Control-Allow-Origin"] = app.cors
        base["Access-Control-Expose-Headers"] = "X-Qdgraph-Truncated"
        if app.cors != "*":
            base["Vary"] = "Origin"
    return lambda req: base


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def serve(*, data=(), bundled=True, store=None, host="127.0.0.1", port=7878, timeout=10.0, max_rows=10000,
          cors=None, workers=None, quiet=False, ready=None, cache_mb: float = 64) -> None:
    """Run the endpoint until SIGINT/SIGTERM. ``ready(url)`` is called once it accepts requests.
    ``cache_mb``: memory for repeated answers (0: no cache). ``bundled=False``: serve the
    ``data`` files alone."""
    from qdgraph.interfaces.server.pool import WorkerPool

    spec, tmp = graph_spec(data, store, bundled)
    pool = None
    try:
        pool = WorkerPool(spec, workers or default_workers())
        app = App(pool, "", timeout, max_rows, cors, quiet, pool.triples, _static(), _queries_json(),
                  ResultCache(int(cache_mb * (1 << 20))),
                  # listening on loopback: answer only to loopback names (no DNS rebinding)
                  LOOPBACK_NAMES if host in LOOPBACK_NAMES else None)
        asyncio.run(_main(app, host, port, ready))
    finally:
        if pool is not None:
            pool.close()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        sys.stderr.flush()


async def _main(app: App, host: str, port: int, ready) -> None:
    from qdgraph.interfaces.server.handler import Routes
    from qdgraph.interfaces.server.http11 import HttpServer

    loop = asyncio.get_running_loop()
    app.pool.attach(loop)
    log = None if app.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    http = HttpServer(Routes(app), f"qdgraph/{__version__}", common_headers(app), log)
    display_host = f"[{host}]" if ":" in host else host
    try:
        server = await asyncio.start_server(http.handle_connection, host, port, backlog=512,
                                            limit=MAX_HEAD, reuse_address=True)
    except OSError as err:
        raise QdgraphError(f"cannot listen on {display_host}:{port}: {err.strerror or err}") from None
    port = server.sockets[0].getsockname()[1]
    base = f"http://{display_host}:{port}"
    app.endpoint_url = base + "/sparql"
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if ready:
        ready(base)
    async with server:
        await stop.wait()

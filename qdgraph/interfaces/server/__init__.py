"""``qdgraph serve``: a read-only SPARQL 1.1 endpoint over the graph, with JSON lookups, pictures,
the SPARQL workbench and (when installed) the site's pages.

- ``app.py``: the Starlette application (routes, Host check, negotiation, read-only guard);
  ``protocol.py``: uvicorn on httptools (llhttp) held to h11's rules, one-line answers to bad
  requests, and repeated requests answered from the cache before any parsing;
- ``pool.py`` / ``worker.py`` / ``messages.py``: queries run in worker processes that are
  killed at the time or memory limit, and the typed messages between them;
- ``negotiate.py``: which format to answer with; ``description.py``: the service description;
  ``cache.py``: repeated answers;
- ``static/``: the workbench page (hand-written HTML, CSS and JS; nothing loaded from a CDN).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path

from qdgraph import __version__
from qdgraph.errors import QdgraphError


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


def default_workers() -> int:
    # Four per core, 4 to 16: between two queries a worker waits for the serving process and
    # the client, so with one per core the cores idle through every hand-off (bench_server,
    # 2 cores: the cli mix 90 -> 170-230 answers/s from 4 workers to 8); at least 4, so a couple
    # of slow queries leave workers free for everyone else. A worker holds ~15 MB of its own.
    return max(4, min(16, 4 * (os.cpu_count() or 1)))


def default_headers(cors: str | None) -> list[tuple[str, str]]:
    """Headers on every answer: no MIME sniffing; CORS only when ``--cors`` asked for it."""
    out = [("Server", f"qdgraph/{__version__}"), ("X-Content-Type-Options", "nosniff")]
    if cors:  # browsers then let pages of that origin read answers
        out += [("Access-Control-Allow-Origin", cors), ("Access-Control-Expose-Headers", "X-Qdgraph-Truncated")]
        if cors != "*":
            out.append(("Vary", "Origin"))
    return out


def serve(*, data=(), bundled=True, store=None, host="127.0.0.1", port=7878, timeout=10.0, max_rows=10000,
          cors=None, workers=None, quiet=False, ready=None, cache_mb: float = 64, max_memory_mb: float | None = None) -> None:
    """Run the endpoint until SIGINT/SIGTERM. ``ready(url)`` is called once it accepts requests.
    ``cache_mb``: memory for repeated answers (0: no cache). ``max_memory_mb``: private memory
    a query worker may hold (default ``pool.DEFAULT_MAX_MEMORY``). ``bundled=False``: serve the
    ``data`` files alone."""
    import uvicorn

    from qdgraph.interfaces.server.app import LOOPBACK_NAMES, State, build_app, load_static
    from qdgraph.interfaces.server.cache import ResultCache
    from qdgraph.interfaces.server.pool import DEFAULT_MAX_MEMORY, WorkerPool
    from qdgraph.interfaces.server.protocol import Protocol, Server

    display_host = f"[{host}]" if ":" in host else host
    sock = _listen(host, port, display_host)  # before the workers start: a taken port is said at once
    tmp = pool = None
    try:
        spec, tmp = graph_spec(data, store, bundled)
        max_memory = DEFAULT_MAX_MEMORY if max_memory_mb is None else int(max_memory_mb * (1 << 20))
        pool = WorkerPool(spec, workers or default_workers(), max_memory=max_memory)
        base = f"http://{display_host}:{sock.getsockname()[1]}"
        state = State(pool, base + "/sparql", timeout, max_rows, cors, quiet, pool.triples, load_static(),
                      _queries_json(), ResultCache(int(cache_mb * (1 << 20))),
                      # listening on loopback: answer only to loopback names (no DNS rebinding)
                      LOOPBACK_NAMES if host in LOOPBACK_NAMES else None)
        config = uvicorn.Config(
            build_app(state), http=Protocol.bind(state), loop=_loop(), lifespan="on", interface="asgi3",
            log_config=None, log_level="error", access_log=False,  # the app logs each request (not --quiet)
            server_header=False, headers=default_headers(cors), backlog=512,
            timeout_keep_alive=30, timeout_graceful_shutdown=3)
        if not quiet or pool.sandbox is None:
            print("qdgraph: queries run in worker processes without network access (seccomp)" if pool.sandbox else
                  "qdgraph: warning: this platform cannot take the network from query workers; the "
                  "read-only guard alone keeps queries from reaching it", file=sys.stderr)
        Server(config, ready=(lambda: ready(base)) if ready else None).run(sockets=[sock])
    finally:
        sock.close()
        if pool is not None:
            pool.close()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        sys.stderr.flush()


def _loop() -> str:
    import importlib.util

    return "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"  # uvloop: not on Windows


def _listen(host: str, port: int, display_host: str) -> socket.socket:
    """A socket bound to ``host``:``port`` (0: any free port), for uvicorn to listen on."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as err:
        raise QdgraphError(f"cannot listen on {display_host}:{port}: {err.strerror or err}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as err:
        sock.close()
        raise QdgraphError(f"cannot listen on {display_host}:{port}: {err.strerror or err}") from None
    return sock

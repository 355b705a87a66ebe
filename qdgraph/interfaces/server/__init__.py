"""``qdgraph serve``: a read-only SPARQL 1.1 endpoint over the graph, with JSON lookups, pictures,
the SPARQL workbench and (when installed) the site's pages.

- ``app.py``: the Starlette application (routes, Host check, negotiation, read-only guard);
  ``protocol.py``: uvicorn on httptools (llhttp) held to h11's rules, one-line answers to bad
  requests, and repeated requests answered from the cache before any parsing;
- ``pool.py`` / ``worker.py`` / ``messages.py``: queries run in worker processes that are
  killed at the time or memory limit, and the typed messages between them;
- ``quick.py``: a request a worker answered quickly is answered next time by the serving
  process itself; ``fronts.py``: one serving process per core on the one socket, each without
  the network (seccomp), as the workers are;
- ``negotiate.py``: which format to answer with; ``description.py``: the service description;
  ``cache.py``: repeated answers;
- ``static/``: the workbench page (hand-written HTML, CSS and JS; nothing loaded from a CDN).
"""
from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path

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


def default_workers() -> int:
    # Four per core, 4 to 16: between two queries a worker waits for the serving process and
    # the client, so with one per core the cores idle through every hand-off (bench_server,
    # 2 cores: the cli mix 90 -> 170-230 answers/s from 4 workers to 8); at least 4, so a couple
    # of slow queries leave workers free for everyone else. A worker holds ~15 MB of its own.
    return max(4, min(16, 4 * (os.cpu_count() or 1)))


def default_fronts(workers: int) -> int:
    """Serving processes: one per core (at most 4), each with at least four workers of its own
    (``fronts.py``): a serving process sends new queries to its own workers only, so a few slow
    queries must not take all of them."""
    if os.name != "posix":  # the listening socket is handed to the others by file descriptor
        return 1
    return max(1, min(os.cpu_count() or 1, 4, workers // 4))


def serve(*, data=(), bundled=True, store=None, host="127.0.0.1", port=7878, timeout=10.0, max_rows=10000,
          cors=None, workers=None, quiet=False, ready=None, cache_mb: float = 64, max_memory_mb: float | None = None,
          lock_down: bool = False) -> None:
    """Run the endpoint until SIGINT/SIGTERM. ``ready(url)`` is called once it accepts requests.
    ``cache_mb``: memory for repeated answers (0: no cache). ``max_memory_mb``: private memory
    a query worker may hold (default ``pool.DEFAULT_MAX_MEMORY``). ``bundled=False``: serve the
    ``data`` files alone. ``lock_down``: the serving processes give up the network for good
    once the socket listens, as the workers do, then answer requests known to be quick
    themselves (``quick.py``), one serving process per core (``fronts.py``); ``qdgraph serve``
    asks for it, a library caller's own process may not want it (it stays one process)."""
    from qdgraph.interfaces.server.fronts import OtherFront, run_front
    from qdgraph.interfaces.server.pool import DEFAULT_MAX_MEMORY, START_TIMEOUT

    display_host = f"[{host}]" if ":" in host else host
    sock = _listen(host, port, display_host)  # before the workers start: a taken port is said at once
    tmp, others = None, []
    try:
        spec, tmp = graph_spec(data, store, bundled)
        n = workers or default_workers()
        fronts = default_fronts(n) if lock_down else 1
        shares = [n // fronts + (1 if i < n % fronts else 0) for i in range(fronts)]
        settings = {
            "spec": spec, "base": f"http://{display_host}:{sock.getsockname()[1]}", "host": host, "timeout": timeout,
            "max_rows": max_rows, "cors": cors, "quiet": quiet, "cache_bytes": int(cache_mb * (1 << 20)) // fronts,
            "max_memory": DEFAULT_MAX_MEMORY if max_memory_mb is None else int(max_memory_mb * (1 << 20)),
            "lock_down": lock_down}
        others = [OtherFront(settings, k, sock) for k in shares[1:]]  # they start while this one does

        def others_ready():  # before this one accepts: then all accept when ``ready`` is called
            for f in others:
                f.wait_ready(START_TIMEOUT)

        run_front(settings, shares[0], sock, ready=(lambda: ready(settings["base"])) if ready else None,
                  before_run=others_ready, announce=True)
    finally:
        for f in others:
            f.stop()
        sock.close()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        sys.stderr.flush()


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

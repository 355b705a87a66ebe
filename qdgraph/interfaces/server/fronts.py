"""Serving processes: ``serve`` runs one per core (``default_fronts``), all accepting on the one
listening socket, as gunicorn's and uvicorn's own workers do.

Each is a whole server: HTTP parsing, the app, its result cache, its own worker pool, and the
requests known to be quick answered on its own event loop (``quick.py``). One process would
be one core for all of that: answering on the loop saves the hop to a worker (the largest
part of a point lookup's cost) only if the loops have the cores the workers had. The first is
the process ``serve`` was called in; the others are ``python -m
qdgraph.interfaces.server.fronts`` processes that receive the socket by file descriptor and
their settings over a socket pair, say when they accept requests, and stop when that socket
closes (the first one stopped or died) or on SIGTERM.

What each may do: it was handed a socket that already listens; accepting a connection creates
no socket. So each gives up the network (``sandbox.deny_network``: creating an IPv4/IPv6 socket
fails, io_uring is refused) before it answers anything, as its workers do before they run a
query; reading the store, writing answers to accepted connections and starting replacement
workers stay allowed.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from multiprocessing.connection import Connection

from qdgraph import __version__
from qdgraph.errors import QdgraphError


def run_front(settings: dict, workers: int, sock: socket.socket, ready=None, before_run=None,
              announce: bool = False, watch: int | None = None) -> None:
    """One serving process's server on ``sock``, with ``workers`` query workers, until stopped.
    ``before_run()``: called once the workers are up, before the server accepts; ``ready()``:
    once it accepts; ``watch``: a file descriptor whose end (EOF) stops the server."""
    import uvicorn

    from qdgraph.interfaces.server.app import LOOPBACK_NAMES, State, build_app, load_static
    from qdgraph.interfaces.server.cache import ResultCache
    from qdgraph.interfaces.server.pool import WorkerPool
    from qdgraph.interfaces.server.protocol import Protocol, Server

    spec, timeout, quiet, host, cors = (settings[k] for k in ("spec", "timeout", "quiet", "host", "cors"))
    pool = WorkerPool(spec, workers, max_memory=settings["max_memory"])
    try:
        if settings["lock_down"]:
            # the socket listens and the workers are started: nothing here needs a new network
            # socket from now on, so this process gives the network up as the workers did, and
            # only then may user SPARQL run here (quick.py)
            from qdgraph.engine.sandbox import deny_network
            from qdgraph.interfaces.server.quick import QuickPath

            if deny_network() == pool.sandbox:
                pool.quick = QuickPath(spec, timeout, threads=workers)  # as many at once as its workers
        state = State(pool, settings["base"] + "/sparql", timeout, settings["max_rows"], cors, quiet, pool.triples,
                      load_static(), _queries_json(), ResultCache(settings["cache_bytes"]),
                      # listening on loopback: answer only to loopback names (no DNS rebinding)
                      LOOPBACK_NAMES if host in LOOPBACK_NAMES else None)
        app = build_app(state)
        config = uvicorn.Config(
            app, http=Protocol.bind(state, app), loop=_loop(), lifespan="on", interface="asgi3",
            log_config=None, log_level="error", access_log=False,  # the app logs each request (not --quiet)
            server_header=False, headers=default_headers(cors), backlog=512,
            timeout_keep_alive=30, timeout_graceful_shutdown=3)
        if announce and (not quiet or pool.sandbox is None):
            print(f"qdgraph: queries run without network access (seccomp), in worker processes"
                  f"{' and, once known to be quick, in the serving processes' if pool.quick else ''}" if pool.sandbox else
                  "qdgraph: warning: this platform cannot take the network from query workers; the "
                  "read-only guard alone keeps queries from reaching it", file=sys.stderr)
        if before_run is not None:
            before_run()
        Server(config, ready=ready, watch=watch).run(sockets=[sock])
    finally:
        pool.close()


def _queries_json() -> bytes:
    from qdgraph.namespaces import PREFIXES
    from qdgraph.engine.queries import all_queries

    queries = [{"name": q.name, "title": q.title, "description": q.description, "text": q.text,
                "params": [{"name": p.name, "kind": p.kind, "help": p.help} for p in q.params]}
               for q in all_queries().values()]
    from qdgraph.presentation.formats import FORMATS

    formats = [{"name": f.name, "label": f.label, "kinds": f.kinds} for f in FORMATS.values() if f.http]
    return json.dumps({"prefixes": PREFIXES, "queries": queries, "formats": formats}, ensure_ascii=False).encode("utf-8")


def default_headers(cors: str | None) -> list[tuple[str, str]]:
    """Headers on every answer: no MIME sniffing; CORS only when ``--cors`` asked for it."""
    out = [("Server", f"qdgraph/{__version__}"), ("X-Content-Type-Options", "nosniff")]
    if cors:  # browsers then let pages of that origin read answers
        out += [("Access-Control-Allow-Origin", cors), ("Access-Control-Expose-Headers", "X-Qdgraph-Truncated")]
        if cors != "*":
            out.append(("Vary", "Origin"))
    return out


def _loop() -> str:
    import importlib.util

    return "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"  # uvloop: not on Windows


class OtherFront:
    """A serving process beside the first, on the same listening socket."""

    def __init__(self, settings: dict, workers: int, sock: socket.socket):
        from qdgraph.interfaces.server.pool import spawn

        # only the other process holds its end of the pair: our exit gives it EOF
        self.proc, self.sock = spawn("qdgraph.interfaces.server.fronts", "a serving process", sock.fileno())
        with Connection(os.dup(self.sock.fileno())) as conn:
            conn.send((settings, workers))

    def wait_ready(self, timeout: float) -> None:
        """Block until the process accepts requests; a QdgraphError if it cannot."""
        with Connection(os.dup(self.sock.fileno())) as conn:
            if not conn.poll(timeout):
                raise QdgraphError(f"a serving process did not start within {timeout:g} s")
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                raise QdgraphError(f"a serving process exited at start (exit code {self.proc.poll()})") from None
        if msg != "ready":
            raise QdgraphError(str(msg))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # stops as on Ctrl-C: open requests answered, then its workers
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.sock.close()


def _main(conn_fd: int, sock_fd: int) -> int:
    conn = Connection(conn_fd)
    try:
        settings, workers = conn.recv()
    except (EOFError, OSError):
        return 0
    sock = socket.socket(fileno=sock_fd)
    try:
        run_front(settings, workers, sock, ready=lambda: conn.send("ready"), watch=conn_fd)
    except QdgraphError as err:
        conn.send(str(err))  # said once, by the first process
        return 1
    return 0


if __name__ == "__main__":  # started by OtherFront: python -m qdgraph.interfaces.server.fronts CONN_FD SOCKET_FD
    # Ctrl-C in the terminal reaches the whole process group: the first process stops this one
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(_main(int(sys.argv[1]), int(sys.argv[2])))

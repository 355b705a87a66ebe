"""A pool of query worker processes that can be killed.

Measured with pyoxigraph 0.5: the engine releases the GIL while it evaluates, so a slow query
in a thread would not freeze the others. But it cannot be interrupted: a timed-out query in a
thread keeps a core busy until it ends (a cross join may take hours), and a few of those take
the server down. A process can be killed. So each request borrows an idle worker, and a worker
that misses the deadline is killed and replaced in the background.

The same goes for memory: one query (a cross join sorted before LIMIT 1) can take gigabytes.
While a worker is busy, the pool reads its private memory from /proc every 50 ms and kills it
past ``max_memory`` (a watchdog rather than RLIMIT_AS: the engine reserves far more address
space than it touches, and an allocation refused under RLIMIT_AS aborts the process without a
word, where a kill we chose lets us say why).

The pool is driven from the server's asyncio loop: each worker's socket is a transport of
that loop, read as its bytes arrive (no blocking read, any event loop), so thousands of waiting
requests cost no threads. One timer looks at every busy worker every ``WATCH_EVERY`` while any
is busy (deadline and memory), rather than two timers per request.
"""
from __future__ import annotations

import asyncio
import os
import pickle
import socket
import struct
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path

from qdgraph.errors import QdgraphError, QueryTimeout
from qdgraph.interfaces.server.messages import Failed, Ready, Reply, Task

START_TIMEOUT = 120.0  # opening a large store can take a while
WATCH_EVERY = 0.05     # seconds between two looks at a busy worker's memory
DEFAULT_MAX_MEMORY = 1024 << 20  # bytes a worker may hold privately (serve --max-memory)
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
PKG_PARENT = str(Path(__file__).resolve().parents[3])  # so `-m qdgraph.interfaces.server.worker` finds this copy


class ServerBusy(QdgraphError):
    """Every worker is taken for longer than the time limit."""

    http_status = 503


class WorkerCrashed(QdgraphError):
    """A worker died while answering (out of memory, a crash in the engine)."""

    http_status = 500


class MemoryCapExceeded(QdgraphError):
    """A query needed more memory than a worker may use (``serve --max-memory``)."""

    http_status = 503


def private_memory(pid: int) -> int | None:
    """Bytes of memory ``pid`` holds that are its own (resident, not file-backed or shared:
    the store's mapped files do not count), or None where /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            fields = f.read().split()
        return (int(fields[1]) - int(fields[2])) * _PAGE
    except (OSError, IndexError, ValueError):
        return None


def spawn(module: str, what: str, *fds: int) -> tuple[subprocess.Popen, socket.socket]:
    """``python -m module CONN_FD *fds``, this qdgraph importable there, and our end of the socket
    pair it talks over (its end is CONN_FD; ``fds`` are passed on too)."""
    ours, theirs = socket.socketpair()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (PKG_PARENT, env.get("PYTHONPATH")) if p)
    try:
        proc = subprocess.Popen([sys.executable, "-m", module, str(theirs.fileno()), *map(str, fds)],
                                pass_fds=(theirs.fileno(), *fds), stdin=subprocess.DEVNULL, env=env)
    except OSError as err:
        ours.close()
        raise QdgraphError(f"cannot start {what}: {err}") from None
    finally:
        theirs.close()  # only the child holds its end now: its exit gives us EOF
    return proc, ours


class Worker:
    """One ``python -m qdgraph.interfaces.server.worker`` process, talking over a socket pair.

    A plain subprocess rather than ``multiprocessing``: spawn-mode multiprocessing re-imports
    the caller's main module in every child (a script that calls ``serve()`` without an
    ``if __name__ == "__main__"`` guard would start servers recursively), and fork is unsafe
    once threads exist. The worker speaks ``multiprocessing.connection.Connection`` (a 4-byte
    length, then a pickle); the pool reads the same frames from an asyncio transport."""

    def __init__(self, spec: dict):
        self.proc, self.sock = spawn("qdgraph.interfaces.server.worker", "a query worker")
        self.link: _Link | None = None  # set once the pool's loop reads this worker
        self.busy_since = 0.0
        self.deadline = 0.0
        with Connection(os.dup(self.sock.fileno())) as conn:
            conn.send(spec)

    def wait_ready(self, timeout: float) -> Ready:
        """Block until the worker has opened the graph; its Ready message."""
        with Connection(os.dup(self.sock.fileno())) as conn:
            if not conn.poll(timeout):
                self.kill()
                raise QdgraphError(f"a query worker did not start within {timeout:g} s")
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                self.kill()
                raise QdgraphError(f"a query worker exited at start (exit code {self.proc.poll()})") from None
        if not isinstance(msg, Ready):
            self.kill()
            reason = msg.message if isinstance(msg, Failed) else repr(msg)
            raise QdgraphError(f"a query worker could not open the graph: {reason}")
        return msg

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        try:
            self.sock.close()
        except OSError:
            pass


class _Link(asyncio.Protocol):
    """A worker's socket as read by the pool's loop: frames in, the reply of the task it runs
    (with the CPU seconds it took)."""

    def __init__(self):
        self.transport = None
        self.waiter: asyncio.Future | None = None
        self._buf = bytearray()

    def connection_made(self, transport) -> None:
        self.transport = transport

    def send(self, task: Task) -> None:
        data = pickle.dumps(task, pickle.HIGHEST_PROTOCOL)
        self.transport.write(struct.pack("!i", len(data)) + data)

    def data_received(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        while len(buf) >= 4:
            (n,) = struct.unpack_from("!i", buf)
            start = 4
            if n == -1:  # Connection's header for a reply over 2 GiB
                if len(buf) < 12:
                    return
                (n,) = struct.unpack_from("!Q", buf, 4)
                start = 12
            if len(buf) < start + n:
                return
            reply = pickle.loads(memoryview(buf)[start:start + n])
            del buf[:start + n]
            waiter, self.waiter = self.waiter, None
            if waiter is not None and not waiter.done():
                waiter.set_result(reply)

    def connection_lost(self, exc) -> None:
        self.fail(EOFError())

    def fail(self, err: BaseException) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(err)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class WorkerPool:
    """``size`` worker processes serving the graph ``spec`` (see ``worker.open_spec``).

    Build it before the event loop runs (starting workers blocks); then ``await attach()``
    on the loop that will run requests."""

    def __init__(self, spec: dict, size: int, log=None, max_memory: int | None = DEFAULT_MAX_MEMORY):
        self.spec = spec
        self.size = size
        self.max_memory = max_memory  # bytes; None: no cap
        self.log = log or (lambda msg: print(msg, file=sys.stderr))
        self._lock = threading.Lock()
        self._workers: set[Worker] = set()
        self._busy: set[Worker] = set()
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle: asyncio.Queue | None = None
        self._sweeping = None  # the timer of the next look at busy workers, while any is busy
        self.triples = None
        self.quick = None  # a quick.QuickPath, set once this process has given up the network as the workers have
        self.sandbox: str | None = None  # how every worker gave up the network (None: not all could)
        self._gen, self._gen_sig = "", None
        self._pointer = os.path.join(spec["path"], "CURRENT")  # a str: looked at on every request
        started = [Worker(spec) for _ in range(size)]  # start all, then wait: they load in parallel
        try:
            ready = [w.wait_ready(START_TIMEOUT) for w in started]
            self.triples = ready[-1].triples
            kinds = {r.sandbox for r in ready}
            self.sandbox = kinds.pop() if len(kinds) == 1 else None
        except BaseException:
            for w in started:
                w.kill()
            raise
        self._workers.update(started)

    async def attach(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._idle = asyncio.Queue()
        for w in list(self._workers):
            await self._adopt(w)

    async def _adopt(self, w: Worker) -> None:
        """Read ``w`` on the pool's loop, and count it idle."""
        _, w.link = await self._loop.connect_accepted_socket(_Link, w.sock)
        self._idle.put_nowait(w)

    def generation(self) -> str:
        """The store generation answers come from now: CURRENT of the store folder, looked at
        on every request (a stat; the file is read only when it changed). Every task carries it and a worker on another generation reopens
        the store first, so after an ``import`` every answer comes from the new generation and
        answers never alternate between old and new."""
        try:
            st = os.stat(self._pointer)
            sig = (st.st_ino, st.st_mtime_ns, st.st_size)
            if sig != self._gen_sig:
                self._gen = Path(self._pointer).read_text(encoding="utf-8").strip()
                self._gen_sig = sig
        except OSError:
            pass  # mid-swap or removed: keep answering from the generation we know
        return self._gen

    def answer_now(self, op: str, args: dict, gen: str) -> Reply | None:
        """The reply to a request known to be quick, answered in this process (``quick.py``)
        as ``run`` would answer it; None: a worker must answer (``run``)."""
        quick = self.quick
        if quick is None:
            return None
        return quick.answer(quick.key(op, args, gen), Task(op, args, gen))

    async def run(self, op: str, args: dict, timeout: float, gen: str | None = None) -> Reply:
        """Run ``op`` (a key of ``worker.OPS``) with ``args`` in an idle worker; its reply, or
        QueryTimeout / ServerBusy / MemoryCapExceeded / WorkerCrashed. ``timeout`` bounds the
        whole wait: for a free worker and for the answer. The worker answers from generation
        ``gen`` (default: the current one)."""
        task = Task(op, args, self.generation() if gen is None else gen)
        quick = self.quick
        loop = self._loop
        if quick is not None:  # known to be quick: answered in this process (quick.py)
            key = quick.key(op, args, task.generation)
            found = quick.find(key, task.generation)
            if found is not None:
                if quick.on_loop(found):
                    return quick.run(*found, task)
                return await loop.run_in_executor(quick.executor(), quick.run, *found, task)
        deadline = loop.time() + timeout
        if not self._idle.empty():  # the common case: no timer, no task
            w = self._idle.get_nowait()
        else:
            try:
                async with asyncio.timeout_at(deadline):
                    w = await self._idle.get()
            except TimeoutError:
                raise ServerBusy(f"all {self.size} query workers are busy; try again shortly") from None
        link = w.link
        link.waiter = reply = loop.create_future()
        w.busy_since, w.deadline = loop.time(), deadline
        self._busy.add(w)
        if self._sweeping is None:
            self._sweeping = loop.call_later(WATCH_EVERY, self._sweep)
        try:
            link.send(task)
            # The worker writes its whole reply at once; the link reads it as it arrives.
            result, cpu = await reply
        except TimeoutError:
            self._replace(w)
            raise QueryTimeout(f"query did not finish within {timeout:g} s (the server's --timeout); it was stopped") from None
        except MemoryCapExceeded:
            self._replace(w)
            raise MemoryCapExceeded(f"the query needed more than {self.max_memory >> 20} MiB (the server's --max-memory); "
                                    "it was stopped") from None
        except (EOFError, OSError):
            self._replace(w)
            raise WorkerCrashed("the query worker died while answering (out of memory?); it has been replaced") from None
        except BaseException:  # cancelled: the worker's state is unknown, so replace it
            self._replace(w)
            raise
        self._busy.discard(w)
        self._idle.put_nowait(w)
        if quick is not None:
            quick.learn(key, result, cpu)
        return result

    def _sweep(self) -> None:
        """A look at every busy worker, again in WATCH_EVERY while any is busy: past its
        deadline, its request fails with TimeoutError; past the memory cap (once it has worked
        WATCH_EVERY: most answers come sooner), it is killed at once (every further millisecond
        costs more memory) and the request fails with MemoryCapExceeded."""
        self._sweeping = None
        now = self._loop.time()
        for w in list(self._busy):
            if now >= w.deadline:
                w.link.fail(TimeoutError())
            elif self.max_memory is not None and now - w.busy_since >= WATCH_EVERY:
                used = private_memory(w.proc.pid)
                if used is not None and used > self.max_memory:
                    if w.proc.poll() is None:
                        w.proc.kill()
                    w.link.fail(MemoryCapExceeded())
        if self._busy:
            self._sweeping = self._loop.call_later(WATCH_EVERY, self._sweep)

    def _replace(self, w: Worker) -> None:
        self._busy.discard(w)
        w.link.waiter = None
        w.link.close()
        with self._lock:
            self._workers.discard(w)
        # killing waits for the process, and a new worker takes a moment to open the graph:
        # both happen off the event loop
        threading.Thread(target=self._respawn, args=(w,), daemon=True, name="qdgraph-respawn").start()

    def _respawn(self, old: Worker) -> None:
        old.kill()
        if self._closed:
            return
        try:
            w = Worker(self.spec)
            w.wait_ready(START_TIMEOUT)
        except QdgraphError as err:
            self.log(f"qdgraph: cannot replace a query worker: {err}")
            return
        with self._lock:
            if self._closed:
                w.kill()
                return
            self._workers.add(w)
        try:
            asyncio.run_coroutine_threadsafe(self._adopt(w), self._loop)
        except RuntimeError:  # the loop has stopped: the server is shutting down
            w.kill()

    def close(self) -> None:
        if self.quick is not None:
            self.quick.close()
        with self._lock:
            self._closed = True
            workers = list(self._workers)
            self._workers.clear()
        for w in workers:
            w.kill()

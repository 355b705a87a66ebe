"""uvicorn, set up for ``qdgraph serve``: its httptools protocol (llhttp, the C parser of
Node.js), held to what h11 enforced before it, with what uvicorn has no setting for.

llhttp in its strict mode already refuses what could smuggle a second request: an unknown
transfer coding, Content-Length beside Transfer-Encoding, two lengths, folded header lines
(obs-fold), bytes outside ASCII in the request line, bare LF line ends. On top of it:

- only ``chunked`` alone is a transfer coding (llhttp takes ``gzip, chunked``; h11 did not,
  and nothing here decodes gzip), and one Transfer-Encoding header at most (501);
- the request line and headers are held to ``MAX_HEAD`` (431; httptools has no limit);
- a refused request gets a one-line answer naming the problem, with its own status, where
  uvicorn answers every one "400 Invalid HTTP request received.", and the connection closes;
- a repeated request is answered from the result cache before anything is parsed: the bytes
  of a request that arrived whole are the key, the answer's bytes the value (``cache.py``
  holds both; the app marks which answers may be kept). No parser, no ASGI task, no routing:
  a dictionary lookup and one write, which no server library offers;
- SIGINT and SIGTERM stop the server and return, where uvicorn raises the signal again once it
  has stopped (which would end the process before the workers and the temporary store are
  cleaned up, and with a non-zero status).

Measured with bench/bench_server.py (bundled graph, 2 cores shared): the server's CPU per
cached answer went from 0.37-0.41 ms (h11, every request routed) to 0.06-0.08 ms; per uncached
point lookup (with the workers' changes) from 2.3 to 1.2 ms, then to 0.57-0.75 ms once answered
by the serving processes themselves (``quick.py``, ``fronts.py``).
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from email.utils import formatdate
from http import HTTPStatus
from urllib.parse import unquote

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from qdgraph.interfaces.server.app import CACHE_MARK, MAX_HEAD, headers_of, log_line

HOLD_BODY = 64 * 1024  # a /sparql body up to this is read whole before its task would start (uvicorn's
                       # HIGH_WATER_LIMIT: a longer one pauses reading until the task reads it)


class Refused(Exception):
    """Raised in a parser callback: stop parsing and answer (status, one line)."""

    def __init__(self, status: int, line: str):
        super().__init__(line)
        self.status, self.line = status, line


TOO_LONG = (431, f"request line and headers over {MAX_HEAD // 1024} KiB: send a long query with POST "
                 "(body of type application/sparql-query, or a form)")
ONLY_CHUNKED = (501, "only the chunked transfer coding is understood: send the body with a Content-Length "
                     "or chunked, without any other coding")
BAD_LINE = (400, "malformed request line: METHOD /path HTTP/1.1, the path ASCII with other characters %-escaped")


def explain(err: BaseException | None) -> tuple[int, str]:
    """(status, one line) for a request the parser refused."""
    if isinstance(err, Refused):
        return err.status, err.line
    cause = getattr(err, "__context__", None)
    if isinstance(cause, Refused):  # raised in a callback, wrapped by httptools
        return cause.status, cause.line
    text = str(err) if err is not None else "invalid HTTP request"
    if "Transfer-Encoding" in text and "Content-Length" in text:
        return 400, "a request may not have both Content-Length and Transfer-Encoding"
    if "Transfer-Encoding" in text:
        return ONLY_CHUNKED
    if isinstance(err, httptools.HttpParserInvalidURLError) or any(
            w in text for w in ("url", "method", "version", "after version", "Invalid HTTP")):
        return BAD_LINE
    return 400, f"bad request: {text}"


class _OneSend:
    """The connection's transport, with the writes of one turn of the event loop sent as one.
    uvicorn writes a response's head and its body separately: two system calls and two
    wake-ups of the client per answer, which cost more than the rest of a cached answer.
    ``record`` (a list, or None) keeps a copy of what is written, for the cache."""

    __slots__ = ("_transport", "_loop", "_pending", "record")

    def __init__(self, transport, loop):
        self._transport, self._loop, self._pending, self.record = transport, loop, [], None

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)
        if self.record is not None:
            self.record.append(data)

    def _flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name):
        return getattr(self._transport, name)


class Protocol(HttpToolsProtocol):
    """One connection. ``state`` (the app's State: cache, pool, quiet) and ``front`` (the app's
    ``Front``) are set by ``bind``."""

    state = None
    front = None

    @classmethod
    def bind(cls, state, front=None) -> type["Protocol"]:
        return type("Protocol", (cls,), {"state": state, "front": front})

    def __init__(self, config, server_state, app_state, _loop=None):
        super().__init__(config, server_state, app_state, _loop)
        self._idle = True        # between two requests: nothing of the next one read yet
        self._head = 0           # bytes of the current request's line and headers
        self._te = False         # a Transfer-Encoding header was seen
        self._begun = 0          # requests begun in this call of data_received
        self._recorded = None    # (raw request, its cycle) whose answer is being recorded
        self._send = None
        self._held = None        # (cycle, app) of a /sparql request read to its end before a task starts
        self._at_headers = False  # in on_headers_complete (a new request, not a pipelined one)

    def connection_made(self, transport) -> None:
        self._send = _OneSend(transport, self.loop)
        super().connection_made(self._send)

    # ---------------------------------------------------------- the cache, before any parsing
    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        idle = self._idle and not self.pipeline and (self.cycle is None or self.cycle.response_complete)
        # a client not reading its answers waits for them as usual; no cache (--cache-mb 0): no look
        if idle and not self.flow.write_paused and self.state.cache.max_bytes > 0:
            hit = self.state.cache.raw_get(data, self.state.pool.generation())
            if hit is not None:
                self._answer(hit)
                return
        self._begun = 0
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:  # no WebSocket here: answered as any other request
            pass
        except (httptools.HttpParserError, Refused) as err:
            self._refuse(*explain(err))
            return
        if not self._idle and self._head > MAX_HEAD:  # a head still arriving, already too long
            self._refuse(*TOO_LONG)
            return
        # the whole of one request, alone, in one read: its answer may be kept under these bytes
        if idle and self._idle and self._begun == 1 and not self.expect_100_continue \
                and self.state.cache.max_bytes > 0 and len(data) <= self.state.cache.max_key:
            self._recorded = (data, self.cycle)
            self._send.record = []
        held = self._held
        if held is not None and not held[0].more_body:  # read to its end: answered now, or its task starts
            self._held = None
            self._answer_held(*held)

    def _answer(self, hit) -> None:
        prefix, suffix, log = hit
        name, date = self.server_state.default_headers[0]  # uvicorn puts the Date first, renewed each second
        if name != b"date":
            date = formatdate(usegmt=True).encode()
        self._send.write(prefix + date + suffix)
        self.server_state.total_requests += 1
        if not self.state.quiet:
            print(log_line(self.client, *log), file=sys.stderr, flush=True)
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)

    def on_response_complete(self) -> None:
        rec, self._recorded = self._recorded, None
        if rec is not None:
            data, cycle = rec
            written, self._send.record = self._send.record, None
            gen = cycle.scope["state"].get(CACHE_MARK)
            if gen is not None and cycle.keep_alive and written and not cycle.disconnected:
                self._keep(data, gen, b"".join(written), cycle.scope)
        super().on_response_complete()

    def _keep(self, data: bytes, gen: str, response: bytes, scope) -> None:
        # the Date line is written afresh on every answer; the rest is the same bytes
        at = response.find(b"\r\ndate: ")
        end = response.find(b"\r\n", at + 8)
        head_end = response.find(b"\r\n\r\n")
        if at < 0 or end < 0 or head_end < end:
            return
        size = len(response) - head_end - 4
        status = int(response[9:12])
        self.state.cache.raw_put(data, gen, response[:at + 8], response[end:],
                                 (scope["method"], scope["path"], status, size))

    # ---------------------------------------------------------- parser callbacks, held to h11's rules
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._idle, self._head, self._te = False, 0, False
        self._begun += 1

    def on_url(self, url: bytes) -> None:
        self._head += len(url)
        if self._head > MAX_HEAD:
            raise Refused(*TOO_LONG)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head += len(name) + len(value) + 4
        if self._head > MAX_HEAD:
            raise Refused(*TOO_LONG)
        if name.lower() == b"transfer-encoding":
            if self._te or value.strip(b" \t").lower() != b"chunked":
                raise Refused(*ONLY_CHUNKED)
            self._te = True
        super().on_header(name, value)

    def _headers_complete(self) -> None:
        super().on_headers_complete()
        if not self.url.startswith(b"/"):
            # absolute form (http://name/path): httptools keeps only the path; the app checks the
            # authority as the Host it replaces (RFC 9112 3.2.2), so it gets the target whole, as h11 gave it
            raw_path = self.url.partition(b"?")[0]
            self.scope["path"] = unquote(raw_path.decode("ascii"))
            self.scope["raw_path"] = raw_path

    def on_message_complete(self) -> None:
        self._idle = True
        super().on_message_complete()

    # ---------------------------------------------------------- /sparql without an ASGI task
    # A GET or POST on /sparql is held until its body is read (uvicorn would start its ASGI task
    # at the end of the headers), then answered at once where it can be (``Front.answer_now``:
    # the cache, or a query known to be quick); anything else starts its task as usual. The
    # task, the routing and Starlette's objects cost more than the engine on a point lookup
    # (bench_server light mix, server CPU per answer, same runs, load 12-26: 0.78-0.99 ms
    # through the task, 0.60-0.67 ms this way; the engine's part about 0.25 ms; Oxigraph 0.38-0.52).
    def on_headers_complete(self) -> None:
        self._at_headers = True
        try:
            self._headers_complete()
        finally:
            self._at_headers = False

    def _start_asgi_task(self, cycle, app) -> None:
        if self._at_headers and self.front is not None and self._may_hold(cycle):
            self._held = (cycle, app)
            return
        super()._start_asgi_task(cycle, app)

    def _may_hold(self, cycle) -> bool:
        scope = cycle.scope
        if scope["path"] != "/sparql" or not cycle.keep_alive or cycle.waiting_for_100_continue or self._te:
            return False
        if scope["method"] == "GET":
            return True
        length = headers_of(scope).get("content-length") if scope["method"] == "POST" else None
        return length is not None and length.isdigit() and int(length) <= HOLD_BODY

    def _answer_held(self, cycle, app) -> None:
        response = None
        if cycle.keep_alive and not cycle.disconnected and not self.flow.write_paused:
            response = self.front.answer_now(cycle.scope, bytes(cycle.body))
        if response is None:
            super()._start_asgi_task(cycle, app)
            return
        # what uvicorn's RequestResponseCycle.send writes, in one piece
        out = [STATUS_LINE[response.status_code]]
        for name, value in (*self.server_state.default_headers, *response.raw_headers):
            if name == b"connection" and b"close" in value.lower():
                cycle.keep_alive = False
            out += (name, b": ", value, b"\r\n")
        out += (b"\r\n", response.body)
        cycle.response_started = cycle.response_complete = True
        self._send.write(b"".join(out))
        if not self.state.quiet:
            scope = cycle.scope
            print(log_line(scope.get("client"), scope["method"], scope["path"], response.status_code,
                           len(response.body)), file=sys.stderr, flush=True)
        if not cycle.keep_alive:
            self._send.close()
        cycle.on_response()

    def connection_lost(self, exc) -> None:
        self._held = None
        super().connection_lost(exc)

    # ---------------------------------------------------------- refusals
    def _refuse(self, status: int, line: str) -> None:
        self._send.record, self._recorded, self._held = None, None, None
        body = (line + "\n").encode("utf-8")
        head = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n".encode()]
        head += [name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers]
        head += [b"content-type: text/plain; charset=utf-8\r\n", b"content-length: %d\r\n" % len(body),
                 b"connection: close\r\n\r\n"]
        self._send.write(b"".join(head) + body)
        self._send.close()

    def send_400_response(self, msg: str) -> None:  # uvicorn's own calls (none on the paths above)
        self._refuse(400, f"bad request: {msg}")


class Server(uvicorn.Server):
    """``ready()`` is called once the socket accepts requests; signals stop it and return, as
    does the end of file descriptor ``watch`` (a serving process's link to the first one)."""

    def __init__(self, config: uvicorn.Config, ready=None, watch: int | None = None):
        super().__init__(config)
        self.ready, self.watch = ready, watch

    async def startup(self, sockets=None):
        await super().startup(sockets)
        if self.started and self.watch is not None:
            asyncio.get_running_loop().add_reader(self.watch, self._watched)
        if self.started and self.ready:
            self.ready()

    def _watched(self) -> None:
        try:
            more = os.read(self.watch, 64)
        except OSError:
            more = b""
        if not more:  # the other end is gone: stop as on SIGTERM
            asyncio.get_running_loop().remove_reader(self.watch)
            self.should_exit = True

    @contextlib.contextmanager
    def capture_signals(self):
        if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
            yield
            return
        # a signal this process ignores stays ignored (the other serving processes leave Ctrl-C
        # to the first, which stops them)
        handled = [sig for sig in (signal.SIGINT, signal.SIGTERM) if signal.getsignal(sig) is not signal.SIG_IGN]
        before = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in before.items():
                signal.signal(sig, handler)

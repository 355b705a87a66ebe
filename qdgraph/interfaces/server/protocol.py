"""uvicorn, set up for ``qdgraph serve``: its h11 protocol (the HTTP/1.1 parser that refuses
what could smuggle a second request: transfer codings other than chunked, conflicting lengths,
bad request lines), with two small additions uvicorn has no setting for:

- a request refused by the parser gets a one-line answer naming the problem, with the status
  the parser suggests (431 for an over-long head, 501 for an unknown transfer coding), where
  uvicorn answers every such request "400 Invalid HTTP request received.";
- SIGINT and SIGTERM stop the server and return, where uvicorn raises the signal again once it
  has stopped (which would end the process before the workers and the temporary store are
  cleaned up, and with a non-zero status).
"""
from __future__ import annotations

import contextlib
import signal
import threading
from http import HTTPStatus

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from qdgraph.interfaces.server.app import MAX_HEAD


class _Connection(h11.Connection):
    """h11's connection, remembering the last protocol error (uvicorn drops it)."""

    error: h11.RemoteProtocolError | None = None

    def next_event(self):
        try:
            return super().next_event()
        except h11.RemoteProtocolError as err:
            self.error = err
            raise


def explain(err: h11.RemoteProtocolError | None) -> tuple[int, str]:
    """(status, one line) for a request the parser refused."""
    text = str(err) if err is not None else "invalid HTTP request"
    status = getattr(err, "error_status_hint", 400) or 400
    if status == 431 or "too long" in text:
        return 431, (f"request line and headers over {MAX_HEAD // 1024} KiB: send a long query with POST "
                     "(body of type application/sparql-query, or a form)")
    if "Transfer-Encoding" in text:
        return 501, ("only the chunked transfer coding is understood: send the body with a Content-Length "
                     "or chunked, without any other coding")
    if "request line" in text:
        return 400, "malformed request line: METHOD /path HTTP/1.1, the path ASCII with other characters %-escaped"
    return (status if 400 <= status < 600 else 400), f"bad request: {text}"


class _OneSend:
    """The connection's transport, with the writes of one turn of the event loop sent as one.
    uvicorn writes a response's head and its body separately: two system calls and two
    wake-ups of the client per answer, which cost more than the rest of a cached answer."""

    __slots__ = ("_transport", "_loop", "_pending")

    def __init__(self, transport, loop):
        self._transport, self._loop, self._pending = transport, loop, []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

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


class Protocol(H11Protocol):
    def __init__(self, config, server_state, app_state, _loop=None):
        super().__init__(config, server_state, app_state, _loop)
        self.conn = _Connection(h11.SERVER, MAX_HEAD)

    def connection_made(self, transport) -> None:
        super().connection_made(_OneSend(transport, self.loop))

    def send_400_response(self, msg: str) -> None:
        status, line = explain(self.conn.error)
        body = (line + "\n").encode("utf-8")
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                   (b"x-content-type-options", b"nosniff"), (b"connection", b"close")]
        for event in (h11.Response(status_code=status, headers=headers, reason=HTTPStatus(status).phrase),
                      h11.Data(data=body), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event))
        self.transport.close()


class Server(uvicorn.Server):
    """``ready()`` is called once the socket accepts requests; signals stop it and return."""

    def __init__(self, config: uvicorn.Config, ready=None):
        super().__init__(config)
        self.ready = ready

    async def startup(self, sockets=None):
        await super().startup(sockets)
        if self.started and self.ready:
            self.ready()

    @contextlib.contextmanager
    def capture_signals(self):
        if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        before = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in before.items():
                signal.signal(sig, handler)

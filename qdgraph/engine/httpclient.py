"""HTTP for talking to triple stores (``--endpoint`` and ``push``): httpx, configured.

httpx does the protocol — one client per process keeps and reuses connections, Basic and
Digest login, redirects, streamed bodies, TLS. What this module adds is qdgraph's policy, as
settings and hooks of that client:

- credentials from ``--user``, the URL (``http://user:pw@host/…``) or netrc, sent only when the
  server asks, as the scheme it asks for (Virtuoso's ``/sparql-graph-crud-auth`` asks for Digest),
  and only to the scheme, host and port they were given for: httpx drops them on a redirect to
  another host, and the request hook also on the one it keeps them for (``http:`` to ``https:``
  on the same host); a redirect to anything but http(s) (``file:``, ``ftp:``) is an error. Every
  message names the URL with its password replaced by ``***``;
- a total deadline (``timeout`` seconds, or a ``deadline`` shared by a query's pages or a push's
  requests): httpx's connections run on an httpcore network backend whose every connect, read
  and write waits only for the time left, so no redirect, login retry or server trickling its
  headers or body one byte at a time holds a command past it;
- a cap on the size of a reply (``QDGRAPH_MAX_REPLY_MB``, 512 MiB unless set), on every reply
  read (a redirect's or a login challenge's too, which httpx reads itself): bodies are streamed
  and reading stops at the cap. Replies are asked for uncompressed, as before httpx.
"""
from __future__ import annotations

import contextvars
import functools
import http.cookiejar
import os
import re
import socket
import ssl
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Mapping

import httpcore
import httpx

from qdgraph import __version__
from qdgraph.errors import QdgraphError, QueryTimeout, UsageError

USER_AGENT = f"qdgraph/{__version__}"
REDIRECTS = 5
MAX_REPLY_MB = 512  # default cap on one reply, in MiB; QDGRAPH_MAX_REPLY_MB changes it
_POLICY = "qdgraph.policy"  # request extension carrying the policy to the hook (redirects keep it)


class EndpointError(QdgraphError):
    """The endpoint could not be reached, or answered with an HTTP error."""

    http_status = 502  # another server failed us, not the request


@dataclass
class Reply:
    status: int
    reason: str
    headers: httpx.Headers  # case-insensitive get()
    body: bytes
    url: str  # shown form (no password)

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Target:
    """A URL split into what is sent (no user info) and what may be shown, plus the login
    for its credentials (which remembers the scheme and Digest nonce the server asked for)."""

    url: str
    shown: str
    login: httpx.Auth | None = field(default=None, repr=False, compare=False)


def redact(url: str) -> str:
    """The URL with any password replaced by ``***`` (for messages)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return re.sub(r"//[^/@]*@", "//***@", url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def target(url: str, user: str | None = None) -> Target:
    """Check ``url`` and find its credentials: ``user`` (``NAME:PASSWORD``), else the URL's
    own user info, else netrc (``$NETRC`` or ``~/.netrc``) for its host."""
    shown = redact(url)
    if any(ord(c) < 33 for c in url):
        raise UsageError(f"not a valid URL (it contains spaces or control characters): {shown!r}")
    try:
        parsed = httpx.URL(url)  # an IRI is sent as a URI: IDNA host, percent-encoded path and query
    except httpx.InvalidURL as err:
        raise UsageError(f"not a valid URL: {shown!r} ({err})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise UsageError(f"not an http(s) URL: {shown!r}")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise UsageError(f"not a valid URL: {shown!r} (port {parsed.port})")
    if user is not None:
        name, _, password = user.partition(":")
    elif parsed.username:
        name, password = parsed.username, parsed.password  # httpx decodes %40 and the like
    else:
        name, password = _netrc(parsed.host)
    clean = str(parsed.copy_with(username=None, password=None, fragment=None))
    return Target(clean, shown, _Login(name, password or "") if name else None)


def _netrc(host: str) -> tuple[str | None, str | None]:
    import netrc

    path = os.environ.get("NETRC") or os.path.join(os.path.expanduser("~"), ".netrc")
    if not os.path.isfile(path):
        return None, None
    try:
        found = netrc.netrc(path).authenticators(host)
    except (netrc.NetrcParseError, OSError) as err:
        raise UsageError(f"cannot read {path}: {getattr(err, 'msg', err)}") from None
    return (found[0], found[2]) if found else (None, None)


def _origin(url: httpx.URL) -> tuple:
    return url.scheme, url.host, url.port or {"http": 80, "https": 443}.get(url.scheme)


class _Login(httpx.Auth):
    """httpx's BasicAuth or DigestAuth, whichever the server's challenge names (httpx has both,
    not the choice). Nothing is sent before a server asks, and a challenge from another origin
    (after a redirect) is not answered."""

    def __init__(self, user: str, password: str):
        self._basic, self._digest = httpx.BasicAuth(user, password), httpx.DigestAuth(user, password)
        self._scheme: str | None = None

    def auth_flow(self, request: httpx.Request):
        try:
            if self._scheme is None:
                response = yield request
                self._scheme = _asked(response, request)
                if self._scheme == "digest":  # DigestAuth answers the challenge in hand
                    flow = self._digest.auth_flow(request)
                    next(flow)
                    yield flow.send(response)
                if self._scheme != "basic":
                    return
            yield from (self._digest if self._scheme == "digest" else self._basic).auth_flow(request)
        except (KeyError, NotImplementedError) as err:  # an algorithm or qop httpx does not speak
            raise EndpointError(f"{redact(str(request.url))} asks for a Digest login qdgraph cannot give ({err})") from None


def _asked(response: httpx.Response, request: httpx.Request) -> str | None:
    if response.status_code != 401 or _origin(response.url) != _origin(request.url):
        return None
    said = [v.strip().lower() for v in response.headers.get_list("WWW-Authenticate")]
    if any(v.startswith("digest ") for v in said):
        return "digest"
    return "basic" if any(re.match(r"basic\b", v) for v in said) else None


@dataclass
class _Policy:
    """What the hooks enforce on every request sent and reply read, redirects and logins included."""

    method: str
    origin: tuple  # where the credentials may go
    shown: str
    cap: int  # bytes, one reply

    def too_big(self) -> EndpointError:
        return EndpointError(f"{self.shown} sent a reply larger than {self.cap / (1 << 20):g} MiB, qdgraph's cap on "
                             "one reply (QDGRAPH_MAX_REPLY_MB): stopped reading it")


def _before_each(request: httpx.Request) -> None:
    policy: _Policy | None = request.extensions.get(_POLICY)
    if policy is None:
        return
    if request.url.scheme not in ("http", "https"):
        raise EndpointError(f"{policy.shown} redirected to {redact(str(request.url))!r}: qdgraph follows http(s) only")
    if request.method != policy.method:  # a 301-303 turns PUT/POST into a body-less GET
        raise EndpointError(f"{policy.shown} redirected the {policy.method} to {redact(str(request.url))} as a "
                            f"{request.method}: not followed (give the URL it moved to)")
    if _origin(request.url) != policy.origin:
        request.headers.pop("Authorization", None)


def _after_each(response: httpx.Response) -> None:
    policy: _Policy | None = response.request.extensions.get(_POLICY)
    if policy is None:
        return
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > policy.cap:
        raise policy.too_big()
    response.stream = _Capped(response.stream, policy)


class _Capped(httpx.SyncByteStream):
    """A reply's body as it arrives, stopped at the cap."""

    def __init__(self, stream: httpx.SyncByteStream, policy: _Policy):
        self.stream, self.policy = stream, policy

    def __iter__(self):
        size = 0
        for chunk in self.stream:
            size += len(chunk)
            if size > self.policy.cap:
                raise self.policy.too_big()
            yield chunk

    def close(self) -> None:
        self.stream.close()


_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("qdgraph_http_deadline", default=None)


def _left(timeout: float | None, late: type[Exception]) -> float | None:
    end = _DEADLINE.get()
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise late("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    """A connection on which nothing waits past the deadline of the request using it."""

    def __init__(self, stream: httpcore.NetworkStream):
        self._s = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._s.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._s.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._s.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> httpcore.NetworkStream:
        return _Stream(self._s.start_tls(ssl_context, server_hostname, _left(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._s.get_extra_info(info)


class _Backend(httpcore.SyncBackend):
    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None) -> httpcore.NetworkStream:
        return _Stream(super().connect_tcp(host, port, _left(timeout, httpcore.ConnectTimeout), local_address, socket_options))


def _transport(ssl_context: ssl.SSLContext | None) -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport(verify=ssl_context or False)  # False: the http:// one never speaks TLS
    # httpx takes no network backend: its pool is made again, as httpx makes it, on ours
    transport._pool = httpcore.ConnectionPool(ssl_context=ssl_context, network_backend=_Backend(), max_connections=100,
                                              max_keepalive_connections=20, keepalive_expiry=5.0)
    return transport


class _Transport(httpx.BaseTransport):
    """httpx's transports on the deadline-keeping backend, the https one made on first use:
    loading the CA certificates (the system's, as curl trusts; $SSL_CERT_FILE if set) takes
    0.1-0.2 s a process, which a store on http:// never needs."""

    def __init__(self):
        self._plain, self._tls = _transport(None), None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "https":
            return self._plain.handle_request(request)
        if self._tls is None:
            self._tls = _transport(ssl.create_default_context())
        return self._tls.handle_request(request)

    def close(self) -> None:
        for t in (self._plain, self._tls):
            if t is not None:
                t.close()


@functools.cache
def _client() -> httpx.Client:
    return httpx.Client(
        transport=_Transport(), follow_redirects=True, max_redirects=REDIRECTS, timeout=None,  # the deadline is the limit
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},  # what arrives is what is capped
        cookies=http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[])),  # keep none
        event_hooks={"request": [_before_each], "response": [_after_each]})


if hasattr(os, "register_at_fork"):  # a child process opens its own connections
    os.register_at_fork(after_in_child=_client.cache_clear)


def max_reply() -> int:
    """The cap on one reply, in bytes."""
    text = os.environ.get("QDGRAPH_MAX_REPLY_MB", "")
    try:
        mib = float(text) if text.strip() else MAX_REPLY_MB
    except ValueError:
        mib = -1
    if not 0 < mib < float("inf"):
        raise UsageError(f"QDGRAPH_MAX_REPLY_MB={text!r}: give a size in MiB, such as {MAX_REPLY_MB}")
    return int(mib * (1 << 20))


class _Rewound:
    """A file body httpx can send again (a login retry, a 307): each pass starts at the top."""

    def __init__(self, f):
        self.f, self.start = f, f.tell()

    def __iter__(self):
        self.f.seek(self.start)
        while chunk := self.f.read(1 << 16):
            yield chunk


def request(url: str | Target, *, method: str = "GET", body: bytes | Any = None,
            headers: Mapping[str, str] | None = None, timeout: float = 60.0,
            user: str | None = None, deadline: float | None = None) -> Reply:
    """Send one request (with login and redirects as needed) within ``timeout`` seconds in all,
    or by ``deadline`` (``time.monotonic()``) if given. Returns the final ``Reply`` whatever its
    status; network failures and a reply over the size cap become ``EndpointError``, the
    deadline ``QueryTimeout``, each naming the URL without its password."""
    tgt = url if isinstance(url, Target) else target(url, user)
    policy = _Policy(method, _origin(httpx.URL(tgt.url)), tgt.shown, max_reply())
    hdrs = dict(headers or {})
    if body is not None:
        # a connection of its own: Virtuoso answers an error before reading a body, then reads
        # the rest of that body as the next request on the connection ("501 Method Not Implemented")
        hdrs.setdefault("Connection", "close")
    if body is not None and not isinstance(body, (bytes, bytearray)):
        pos = body.tell()
        hdrs.setdefault("Content-Length", str(body.seek(0, 2) - pos))
        body.seek(pos)
        body = _Rewound(body)
    client = _client()
    token = _DEADLINE.set(time.monotonic() + timeout if deadline is None else deadline)
    try:
        req = client.build_request(method, tgt.url, content=body, headers=hdrs, extensions={_POLICY: policy})
        resp = client.send(req, auth=tgt.login, stream=True)
        try:
            data = _read(resp, policy) if method != "HEAD" else b""
        finally:
            resp.close()  # a reply not read to its end closes its connection, not back to the pool
        return Reply(resp.status_code, resp.reason_phrase, resp.headers, data, tgt.shown)
    except httpx.TimeoutException:
        raise QueryTimeout(f"{tgt.shown} did not answer within {timeout:g} s") from None
    except httpx.TooManyRedirects:
        raise EndpointError(f"{tgt.shown}: more than {REDIRECTS} redirects") from None
    except (httpx.HTTPError, httpx.InvalidURL) as err:
        raise EndpointError(f"cannot reach {tgt.shown}: {_why(err)}") from None
    finally:
        _DEADLINE.reset(token)


def _read(resp: httpx.Response, policy: _Policy) -> bytes:
    chunks, size = [], 0
    for chunk in resp.iter_bytes():  # decoded: the cap holds for what a body sent compressed unasked becomes
        size += len(chunk)
        if size > policy.cap:
            raise policy.too_big()
        chunks.append(chunk)
    return b"".join(chunks)


def _why(err: BaseException | None) -> str:
    """The cause of a failed request in a few words: the socket's (httpx chains it), else httpx's."""
    top = err
    while err is not None and not (isinstance(err, OSError) and err.strerror or isinstance(err, ssl.SSLError)):
        err = err.__cause__ or err.__context__
    if err is None:
        return str(top) or type(top).__name__
    return f"TLS: {err.reason or err}" if isinstance(err, ssl.SSLError) else (
        f"unknown host ({err.strerror})" if isinstance(err, socket.gaierror) else err.strerror)


def first_line(body: bytes | str) -> str:
    """One informative line of a reply: the first line of text, or of a web page (a server's
    error page, a stack trace in HTML) its longest line of text, which is the message."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    page = re.match(r"\s*<(!doctype|html|head|body|\?xml)", text, re.I)
    if page:
        text = re.sub(r"<(script|style|title)\b.*?</\1>", " ", text, flags=re.S | re.I)
        text = re.sub(r"<[^>]*>", "\n", text)
    lines = [" ".join("".join(c for c in line if c.isprintable()).split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return ""
    return (max(lines, key=len) if page else lines[0])[:300]


def check(reply: Reply, what: str = "") -> Reply:
    """Raise EndpointError for an error status, naming the status and the server's first line."""
    if reply.status >= 400:
        line = first_line(reply.body)
        hint = ""
        if reply.status == 401:
            hint = " (log in: http://NAME:PASSWORD@HOST/… in the URL, ~/.netrc, or push --user NAME)"
        raise EndpointError(f"{reply.url}{what} answered {reply.status} {reply.reason}"
                            + (f": {line}" if line else "") + hint)
    return reply

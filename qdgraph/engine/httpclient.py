"""HTTP for talking to triple stores (``--endpoint`` and ``push``), on the standard library.

What urllib does not give, and stores need:

- credentials from ``--user``, the URL (``http://user:pw@host/…``) or netrc, sent as HTTP
  Basic or Digest (Virtuoso's ``/sparql-graph-crud-auth`` asks for Digest) — and never shown:
  every message names the URL with its password replaced by ``***``;
- a total deadline per request (connect, send, headers and body together), so a server that
  trickles bytes cannot hold a command past ``timeout`` (a watchdog shuts the socket);
- a large body is not sent blind to a server that wants to log us in first: the challenge is
  fetched with a body-less ``HEAD``; if a server still answers early and closes (401, 413,
  500), its answer is read instead of reporting "broken pipe".
"""
from __future__ import annotations

import base64
import hashlib
import http.client
import os
import re
import socket
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Mapping

from qdgraph import __version__
from qdgraph.errors import QdgraphError, QueryTimeout, UsageError

USER_AGENT = f"qdgraph/{__version__}"
_PROBE_AUTH_FROM = 64 << 10  # bytes: a body this large is not sent before we know how to log in
_REDIRECTS = 5
_URL_SAFE = "/%:@!$&'()*+,;=?~[]"  # already-legal URL characters, left as they are


class EndpointError(QdgraphError):
    """The endpoint could not be reached, or answered with an HTTP error."""

    http_status = 502  # another server failed us, not the request


@dataclass
class Reply:
    status: int
    reason: str
    headers: Any  # http.client.HTTPMessage: case-insensitive get()
    body: bytes
    url: str  # shown form (no password)

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Target:
    """A URL split into what is sent (no user info) and what may be shown, plus credentials."""

    url: str
    shown: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)


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
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # raises ValueError for a bad port
    except ValueError as err:
        raise UsageError(f"not a valid URL: {shown!r} ({err})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"not an http(s) URL: {shown!r}")
    if any(ord(c) < 33 for c in url):
        raise UsageError(f"not a valid URL (it contains spaces or control characters): {shown!r}")
    host = parts.netloc.rpartition("@")[2]
    try:  # an IRI is sent as a URI: IDNA host name, percent-encoded path and query
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError as err:
        raise UsageError(f"not a valid host name in {shown!r}: {err}") from None
    clean = urllib.parse.urlunsplit(parts._replace(
        netloc=ascii_host, path=urllib.parse.quote(parts.path, safe=_URL_SAFE),
        query=urllib.parse.quote(parts.query, safe=_URL_SAFE), fragment=""))
    name = password = None
    if user is not None:
        name, _, password = user.partition(":")
    elif parts.username is not None:
        name = urllib.parse.unquote(parts.username)
        password = urllib.parse.unquote(parts.password or "")
    else:
        name, password = _netrc(parts.hostname)
    return Target(clean, shown, name or None, password)


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


# ------------------------------------------------------------------ authentication
_challenges: dict[str, tuple[str, dict]] = {}  # host -> (scheme, params) last asked for


def _parse_challenge(header: str) -> tuple[str, dict] | None:
    """The strongest scheme we speak from a WWW-Authenticate header: Digest, else Basic."""
    found: dict[str, dict] = {}
    for m in re.finditer(r'(?:^|,)\s*(Digest|Basic)\b((?:\s*,?\s*[\w-]+=(?:"[^"]*"|[^\s,]*))*)', header, re.I):
        params = {k.lower(): v.strip('"') for k, v in re.findall(r'([\w-]+)=("[^"]*"|[^\s,]*)', m.group(2))}
        found.setdefault(m.group(1).lower(), params)
    for scheme in ("digest", "basic"):
        if scheme in found:
            return scheme, found[scheme]
    return None


def _authorization(tgt: Target, scheme: str, params: dict, method: str, path: str) -> str:
    user, pw = tgt.user or "", tgt.password or ""
    if scheme == "basic":
        return "Basic " + base64.b64encode(f"{user}:{pw}".encode("utf-8")).decode("ascii")
    algo = params.get("algorithm", "MD5")
    hname = {"MD5": "md5", "MD5-SESS": "md5", "SHA-256": "sha256", "SHA-256-SESS": "sha256"}.get(algo.upper())
    if hname is None:
        raise EndpointError(f"{tgt.shown} asks for Digest {algo}, which qdgraph does not speak")

    def h(text: str) -> str:
        return hashlib.new(hname, text.encode("utf-8")).hexdigest()

    realm, nonce = params.get("realm", ""), params.get("nonce", "")
    cnonce, nc = os.urandom(8).hex(), "00000001"
    ha1 = h(f"{user}:{realm}:{pw}")
    if algo.upper().endswith("-SESS"):
        ha1 = h(f"{ha1}:{nonce}:{cnonce}")
    ha2 = h(f"{method}:{path}")
    qops = [q.strip() for q in params.get("qop", "").split(",") if q.strip()]
    fields = {"username": user, "realm": realm, "nonce": nonce, "uri": path, "algorithm": algo}
    if "auth" in qops:
        fields.update(qop="auth", nc=nc, cnonce=cnonce, response=h(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"))
    else:
        fields["response"] = h(f"{ha1}:{nonce}:{ha2}")
    if "opaque" in params:
        fields["opaque"] = params["opaque"]
    unquoted = ("qop", "nc", "algorithm")
    return "Digest " + ", ".join(f"{k}={v}" if k in unquoted else f'{k}="{v}"' for k, v in fields.items())


# ------------------------------------------------------------------ one request
class _Watchdog:
    """Shuts the connection's socket when the deadline passes, whatever the request is doing."""

    def __init__(self, conn, deadline: float):
        self.conn, self.fired = conn, False
        self.timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self.timer.daemon = True

    def _fire(self):
        self.fired = True
        sock = self.conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self):
        self.timer.start()
        return self

    def __exit__(self, *exc):
        self.timer.cancel()


def request(url: str | Target, *, method: str = "GET", body: bytes | Any = None,
            headers: Mapping[str, str] | None = None, timeout: float = 60.0,
            user: str | None = None) -> Reply:
    """Send one request (with authentication and redirects as needed) within ``timeout``
    seconds in all. Returns the final ``Reply`` whatever its status; network failures become
    ``EndpointError`` and the deadline ``QueryTimeout``, naming the URL without its password."""
    tgt = url if isinstance(url, Target) else target(url, user)
    deadline = time.monotonic() + timeout
    hdrs = {"User-Agent": USER_AGENT, **(headers or {})}
    size = _body_size(body)
    if size is not None:
        hdrs.setdefault("Content-Length", str(size))
    for _ in range(_REDIRECTS + 1):
        host = urllib.parse.urlsplit(tgt.url).netloc
        if tgt.user is not None and host not in _challenges and (size or 0) >= _PROBE_AUTH_FROM:
            _learn(host, _send(tgt, "HEAD", None, dict(hdrs, **{"Content-Length": "0"}), deadline, timeout))
        reply = _send(tgt, method, body, hdrs, deadline, timeout)
        if tgt.user is not None and _learn(host, reply):  # a new challenge (or nonce): answer it once
            _rewind(body)
            reply = _send(tgt, method, body, hdrs, deadline, timeout)
        if reply.status in (301, 302, 303, 307, 308) and reply.headers.get("Location") and (
                method in ("GET", "HEAD") or reply.status in (307, 308)):
            nxt = urllib.parse.urljoin(tgt.url, reply.headers["Location"])
            same = urllib.parse.urlsplit(nxt).netloc == host
            tgt = Target(nxt, redact(nxt), tgt.user if same else None, tgt.password if same else None)
            _rewind(body)
            continue
        return reply
    raise EndpointError(f"{tgt.shown}: more than {_REDIRECTS} redirects")


def _learn(host: str, reply: Reply) -> bool:
    """Remember the login a 401 asks for; True if it is new (so the request is worth retrying)."""
    if reply.status != 401:
        return False
    chal = _parse_challenge(", ".join(reply.headers.get_all("WWW-Authenticate") or []))
    if chal is None or _challenges.get(host) == chal:
        return False
    _challenges[host] = chal
    return True


def _body_size(body) -> int | None:
    if body is None:
        return None
    if isinstance(body, (bytes, bytearray)):
        return len(body)
    pos = body.tell()
    body.seek(0, 2)
    end = body.tell()
    body.seek(pos)
    return end - pos


def _rewind(body) -> None:
    if body is not None and not isinstance(body, (bytes, bytearray)):
        body.seek(0)


def _send(tgt: Target, method: str, body, hdrs: dict, deadline: float, timeout: float) -> Reply:
    parts = urllib.parse.urlsplit(tgt.url)
    path = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    left = deadline - time.monotonic()
    if left <= 0:
        raise QueryTimeout(f"{tgt.shown} did not answer within {timeout:g} s")
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    kw = {"context": ssl.create_default_context()} if parts.scheme == "https" else {}
    conn = cls(parts.hostname, parts.port, timeout=left, **kw)
    send = dict(hdrs)
    chal = _challenges.get(parts.netloc)
    if tgt.user is not None and chal:
        send["Authorization"] = _authorization(tgt, chal[0], chal[1], method, path)
    try:
        with _Watchdog(conn, deadline) as dog:
            try:
                try:
                    conn.request(method, path, body=body, headers=send)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the server answered before taking the whole body: read its answer
                resp = conn.getresponse()
                data = resp.read() if method != "HEAD" else b""
                return Reply(resp.status, resp.reason, resp.headers, data, tgt.shown)
            except (OSError, http.client.HTTPException) as err:
                if dog.fired or isinstance(err, (socket.timeout, TimeoutError)):
                    raise QueryTimeout(f"{tgt.shown} did not answer within {timeout:g} s") from None
                raise EndpointError(f"cannot reach {tgt.shown}: {_why(err)}") from None
    finally:
        conn.close()


def _why(err: BaseException) -> str:
    if isinstance(err, socket.gaierror):
        return f"unknown host ({err.strerror})"
    if isinstance(err, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(err, ssl.SSLError):
        return f"TLS: {err.reason or err}"
    return getattr(err, "strerror", None) or str(err) or type(err).__name__


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

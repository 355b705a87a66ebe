"""The ASGI application (Starlette): the SPARQL 1.1 Protocol at /sparql, JSON lookups under
/api, pictures under /viz, the progress page, the ontology, the SPARQL workbench at /query,
and the site's pages (``qdgraph.interfaces.site``, mounted when installed).

The serving process only parses requests, checks them (Host, methods, sizes) and moves bytes:
queries and lookups run in the worker pool (``pool.py``), which enforces the time and memory
limits by killing workers; the read-only guard and the choice of format run there too, before
the engine sees a query. Errors are one line: plain text on /sparql (as
SPARQL endpoints answer), ``{"error": …}`` JSON on /api.
"""
from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from qdgraph.errors import QdgraphError
from qdgraph.interfaces.server.cache import ResultCache, cacheable
from qdgraph.interfaces.server.messages import Answer, Reply
from qdgraph.interfaces.server.negotiate import asks_for_html, choose, prefers_html

STATIC = Path(__file__).resolve().parent / "static"
# The page may load only itself: no CDN, no inline script, nothing from another origin.
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
STATIC_FILES = {  # served from memory: three small files, read once
    "/query": ("index.html", "text/html; charset=utf-8"),
    "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/static/app.css": ("app.css", "text/css; charset=utf-8"),
}
MAX_HEAD = 64 * 1024            # request line + headers (the HTTP parser's limit, see protocol.py)
MAX_BODY = 2 * 1024 * 1024      # a query, even with a large VALUES block, is far below this

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
READ_ONLY = "SPARQL Update is not allowed: this endpoint is read-only"
TEXT = "text/plain; charset=utf-8"
JSON = "application/json; charset=utf-8"
ALLOW = "GET, HEAD, POST, OPTIONS"
CACHE_MARK = "qdgraph.cached"  # in scope["state"]: this answer is in the cache (value: its generation)
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_NAME_RE = re.compile(r"[a-z][a-z0-9-]{0,39}")
_HOST = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~-]+)(?::\d{1,5})?")


@dataclass
class State:
    """What every route needs: the worker pool, the limits, the cache. The site's routes
    (``qdgraph.interfaces.site.routes(state)``) get the same object."""

    pool: object
    endpoint_url: str = ""
    timeout: float = 10.0
    max_rows: int | None = 10000
    cors: str | None = None
    quiet: bool = False
    triples: int | None = None
    static: dict = field(default_factory=dict)
    queries_json: bytes = b"[]"
    cache: ResultCache = field(default_factory=ResultCache)
    allowed_hosts: frozenset | None = None  # Host names answered (None: any); see Front
    _graph: tuple = field(default=("", None), repr=False)  # (generation, KnowledgeGraph) for graph()

    def graph(self):
        """The graph, opened in this process, for the site's pages: they run shipped queries
        only (user SPARQL runs in the workers, within the limits). Follows the store to its
        current generation, as the workers do."""
        gen = self.pool.generation()
        if self._graph[1] is None or self._graph[0] != gen:
            from qdgraph.interfaces.server.worker import open_spec

            self._graph = (gen, open_spec({**self.pool.spec, "generation": gen or None}))
        return self._graph[1]

    async def run(self, op: str, args: dict, gen: str | None = None) -> Reply:
        """Run ``op`` (a key of ``worker.OPS``) in a query worker, within the time and memory
        limits: an ``Answer`` or a ``Refusal`` (or a QdgraphError: timeout, busy, memory)."""
        return await self.pool.run(op, args, self.timeout, gen)


@dataclass
class _Query:
    """A /sparql request's query, read and ready to run: its cache key, its text, and the
    worker's arguments (``worker.op_sparql``)."""

    key: tuple
    query: str
    args: dict


class HttpError(Exception):
    def __init__(self, status: int, message: str, extra: dict | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.extra, self.headers = status, message, extra or {}, headers or {}


def error_response(status: int, message: str, api: bool, extra: dict | None = None,
                   headers: dict | None = None) -> Response:
    """One line: ``{"error": …}`` on /api, plain text elsewhere."""
    if api:
        body = json.dumps({"error": message, **(extra or {})}, ensure_ascii=False).encode("utf-8")
        return Response(body, status, headers, JSON)
    return Response((message + "\n").encode("utf-8"), status, headers, TEXT)


def respond(reply: Reply, api: bool = False, vary: bool = False) -> Response:
    """A worker's reply as an HTTP response."""
    if isinstance(reply, Answer):
        headers = {**reply.headers, "Vary": "Accept"} if vary else reply.headers
        return Response(reply.body, 200, headers, reply.content_type)
    return error_response(reply.status, reply.message, api, reply.extra)


def _is_api(path: str) -> bool:
    return path.startswith("/api/")


# ------------------------------------------------------------------ in front of every route
class Front:
    """Plain ASGI middleware, before any routing: the Host check, OPTIONS and unknown methods,
    and the request log. Written against ASGI itself (not Starlette's BaseHTTPMiddleware) so a
    request costs a few dictionary lookups here."""

    def __init__(self, app, state: State, endpoints: "Endpoints | None" = None):
        self.app, self.state, self.endpoints = app, state, endpoints
        self.sparql = endpoints.sparql if endpoints is not None else None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        refusal, scope, path = self.check(scope)
        method = scope["method"]
        if refusal is not None:
            # a request this malformed leaves the rest of the connection untrusted: close it
            headers = {"Allow": ALLOW} if refusal[0] == 405 else {"Connection": "close"} if refusal[0] == 400 else None
            response = error_response(*refusal, api=_is_api(path), headers=headers)
        elif method == "OPTIONS":
            response = self.options()
        else:
            response = None
        if not self.state.quiet:
            send = self._logged(scope, send)
        if response is not None:
            return await response(scope, receive, send)
        if path == "/sparql" and self.sparql is not None:
            return await self._sparql(scope, receive, send)
        await self.app(scope, receive, send)

    def check(self, scope) -> tuple[tuple | None, dict, str]:
        """(refusal: (status, line) or None, the scope, its path): the Host header and the
        method, as every request is checked before it is routed."""
        path = scope["path"]
        hosts = [v for k, v in scope["headers"] if k == b"host"]
        host = hosts[0].decode("latin-1") if hosts else None
        refusal = None
        if len(hosts) > 1:
            refusal = (400, "more than one Host header")
        elif not hosts and scope["http_version"] == "1.1":  # RFC 9112 3.2: a 400 without one
            refusal = (400, "missing Host header: HTTP/1.1 requests must name the host")
        elif not path.startswith("/"):
            # absolute form (GET http://name/path HTTP/1.1): its authority replaces Host (RFC 9112
            # 3.2.2), so it is checked as the Host would be, never skipped
            url = urlsplit(path)
            if url.scheme in ("http", "https") and url.netloc and (url.path or "/").startswith("/"):
                host, path = url.netloc, url.path or "/"
                scope = {**scope, "path": path, "raw_path": path.encode("utf-8")}
            elif path == "*" and scope["method"] == "OPTIONS":
                path = "/"
            else:
                refusal = (400, "malformed request target: give a path such as /sparql")
        if refusal is None and host is not None and not _HOST.fullmatch(host):
            refusal = (400, "bad Host header")
        allowed = self.state.allowed_hosts
        if refusal is None and allowed is not None and host is not None and _host_name(host) not in allowed:
            # a page elsewhere that points its own name at 127.0.0.1 (DNS rebinding) must not read answers
            refusal = (421, f"this server answers requests for localhost only (Host: {host}); "
                            "start it with --host to serve other names")
        method = scope["method"]
        if refusal is None and method not in ("GET", "HEAD", "POST", "OPTIONS"):
            refusal = (405, f"method {method} is not allowed")
        return refusal, scope, path

    def answer_now(self, scope, body: bytes) -> Response | None:
        """The answer to a GET or POST on /sparql that needs no wait: from the cache, or a query
        known to be quick (``quick.py``), which runs here as the worker would run it (the
        read-only guard, then the engine); None: the usual route answers (anything else, any
        refusal, a forwarded request). ``protocol.py`` calls this without an ASGI task: the
        task, the routing and Starlette's request objects cost more than a point lookup."""
        if self.sparql is None or scope["path"] != "/sparql" or scope["method"] not in ("GET", "POST"):
            return None
        refusal, _, _ = self.check(scope)
        headers = headers_of(scope)
        if refusal is not None or "x-forwarded-for" in headers or "x-forwarded-proto" in headers:
            return None  # the forwarded client is for uvicorn's proxy middleware to read
        try:
            return self.endpoints.sparql_now(scope, body)
        except Exception:  # noqa: BLE001 — an error of the request: the usual route answers it in its words
            return None

    async def _sparql(self, scope, receive, send):
        """/sparql without Starlette's routing and middleware (a fifth of this process's time
        per query): the route's handler, and its errors answered as the app's handlers do."""
        request = Request(scope, receive)
        try:
            response = await self.sparql(request)
        except HttpError as err:
            response = await _on_http_error(request, err)
        except QdgraphError as err:
            response = await _on_qdgraph_error(request, err)
        except Exception as err:  # noqa: BLE001 — a bug: logged with its traceback, answered 500
            import traceback

            traceback.print_exc()
            response = await _on_bug(request, err)
        await response(scope, receive, send)

    def options(self) -> Response:
        headers = {"Allow": ALLOW}
        if self.state.cors:
            headers.update({"Access-Control-Allow-Methods": ALLOW, "Access-Control-Allow-Headers": "Content-Type, Accept",
                            "Access-Control-Max-Age": "600"})
        return Response(None, 204, headers)

    @staticmethod
    def _logged(scope, send):
        """``send`` that writes one line per answer to stderr: peer, time, request, status, bytes."""
        status, size = [0], [0]

        async def logged(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            elif message["type"] == "http.response.body":
                size[0] += len(message.get("body", b""))
                if not message.get("more_body"):
                    print(log_line(scope.get("client"), scope["method"], scope["path"], status[0], size[0]),
                          file=sys.stderr, flush=True)
            await send(message)

        return logged


def log_line(client, method: str, path: str, status: int, size: int) -> str:
    """The request log's line: peer, time, request, status, bytes."""
    return f"{(client or ('-',))[0]} [{time.strftime('%H:%M:%S')}] \"{method} {path}\" {status} {size}"


def _host_name(host: str) -> str:
    """The Host header's name, lower case, without port or brackets."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return name.strip("[]").lower()


# ------------------------------------------------------------------ the routes
class Endpoints:
    def __init__(self, state: State):
        self.state = state
        self.api = {"measures": self.api_measures, "entity": self.api_entity, "search": self.api_search,
                    "indicators": self.api_indicators, "queries": self.api_queries, "progress": self.api_progress}

    # ---------------------------------------------------------- /sparql
    async def sparql(self, request: Request) -> Response:
        body = await read_body(request) if request.method == "POST" else b""
        step = self.sparql_begin(request.scope, body)
        if isinstance(step, Response):
            return step
        reply = await self.state.run("sparql", step.args, step.key[0])
        return self.sparql_end(request.scope, step, reply)

    def sparql_now(self, scope, body: bytes) -> Response | None:
        """``sparql`` when its answer needs no wait (``Front.answer_now``); None: it does."""
        step = self.sparql_begin(scope, body)
        if isinstance(step, Response):
            return step
        reply = self.state.pool.answer_now("sparql", step.args, step.key[0])
        return None if reply is None else self.sparql_end(scope, step, reply)

    def sparql_begin(self, scope, body: bytes) -> Response | "_Query":
        """Everything before the query runs: a Response if the request is answered already
        (from the cache, or the page or service description for a request with no query), else
        the query to run; HttpError for a bad request."""
        # A repeated request is answered from the cache before anything is parsed. The key is
        # the store generation and everything the answer depends on: the query string, the
        # body with its type (query, parameters, dataset, format) and the Accept header.
        state = self.state
        post = scope["method"] == "POST"
        headers = headers_of(scope)
        key = (state.pool.generation(), post, scope["query_string"], body,
               headers.get("content-type", ""), headers.get("accept", ""))
        hit = state.cache.get(key)
        if hit is not None:
            scope.setdefault("state", {})[CACHE_MARK] = key[0]  # protocol.py keeps the response by its bytes
            return respond(hit, vary=True)
        fields = parse_qs(scope["query_string"].decode("latin-1"), keep_blank_values=True) if scope["query_string"] else {}
        query = None
        if post:
            ctype = headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype == SPARQL_UPDATE:
                raise HttpError(403, READ_ONLY)
            if ctype == FORM:
                # a form body is ASCII with %-escapes of UTF-8 bytes
                try:
                    pairs = parse_qs(body_text(headers, body), keep_blank_values=True, errors="strict")
                except UnicodeDecodeError:
                    raise HttpError(400, "the form's %-escapes are not valid UTF-8") from None
                for k, v in pairs.items():
                    fields.setdefault(k, []).extend(v)
            elif ctype == SPARQL_QUERY:
                query = body_text(headers, body)
            elif not ctype:
                raise HttpError(415, f"the request has no Content-Type: POST a query as {SPARQL_QUERY} or {FORM}")
            else:
                raise HttpError(415, f"POST a query as {SPARQL_QUERY} or {FORM}, not {ctype}")
        if "update" in fields:
            raise HttpError(403, READ_ONLY)
        if query is None:
            values = fields.get("query", [])
            if len(values) > 1:
                raise HttpError(400, "give one query parameter, not several")
            query = values[0] if values else None
        elif "query" in fields:
            raise HttpError(400, "give the query once: in the body or in ?query=, not both")
        requested = _one(fields, "format") or _one(fields, "output")
        accept = headers.get("accept")
        if query is None:
            if post:
                raise HttpError(400, "no query: send query=… (form) or a body of type " + SPARQL_QUERY)
            if not requested and asks_for_html(accept):  # a browser at /sparql: the workbench
                return self.page("/query")
            return self.service_description(accept, requested)
        # The read-only guard, the parameters and the format are the worker's to check, before
        # its engine sees the query (``worker.op_sparql``): the grammar's reading of a query costs
        # more than the rest of a request here, and this process is one core for every request.
        # A dataset names graphs this store holds (checked by the worker: 400 for any other);
        # nothing is ever fetched.
        dataset = (tuple(fields.get("default-graph-uri", ())), tuple(fields.get("named-graph-uri", ())))
        return _Query(key, query, {"query": query, "param_pairs": fields.get("param", []), "accept": accept,
                                   "requested": requested, "max_rows": state.max_rows,
                                   "base_iri": state.endpoint_url, "dataset": dataset})

    def sparql_end(self, scope, step: "_Query", reply: Reply) -> Response:
        """The answer to ``step``, kept in the cache when it may be."""
        state = self.state
        if state.cache.max_bytes > 0 and isinstance(reply, Answer) and cacheable(step.query) \
                and state.cache.put(step.key, reply):
            scope.setdefault("state", {})[CACHE_MARK] = step.key[0]
        return respond(reply, vary=True)

    def service_description(self, accept, requested) -> Response:
        from qdgraph.interfaces.server.description import service_description
        from qdgraph.presentation.formats import get

        fmt = choose("SD", accept, requested)
        body = service_description(self.state.endpoint_url, self.state.triples, fmt)
        return Response(body, 200, {"Vary": "Accept"}, get(fmt).content_type)

    # ---------------------------------------------------------- pages
    def page(self, path: str) -> Response:
        ctype, body, headers = self.state.static[path]
        return Response(body, 200, headers, ctype)

    async def static(self, request: Request) -> Response:
        path = request.scope["path"]
        return self.page("/query" if path == "/" else path)

    async def ontology(self, request: Request) -> Response:
        """The ontology IRI dereferenced (w3id redirects here): its documentation for browsers,
        the ontology itself for RDF clients."""
        from qdgraph.presentation.docs import CSP, ontology_document
        from qdgraph.presentation.formats import get

        accept, requested = request.headers.get("accept"), _one(_query(request), "format")
        html = (requested or "").lower() == "html" or (not requested and prefers_html(accept))
        fmt = "html" if html else choose("CONSTRUCT", accept, requested)
        body = await asyncio.to_thread(ontology_document, fmt)   # pyLODE takes a second, once
        headers = {"Vary": "Accept", **({"Content-Security-Policy": CSP} if html else {})}
        return Response(body, 200, headers, "text/html; charset=utf-8" if html else get(fmt).content_type)

    async def progress_page(self, request: Request) -> Response:
        q = _query(request)
        lang = _one(q, "lang") or "zh"
        if lang not in ("zh", "en"):
            raise HttpError(400, "lang must be zh or en")
        return respond(await self.state.run("progress_page", {**_progress_args(q), "lang": lang}))

    async def viz(self, request: Request) -> Response:
        kind, q = request.path_params["kind"], _query(request)
        if not _NAME_RE.fullmatch(kind):
            raise HttpError(404, "no such picture kind")
        options = {}
        if q.get("depth"):
            options["depth"] = _int(q, "depth", 1, 0, 6)
        if q.get("lang"):
            lang = _one(q, "lang")
            if lang not in ("zh", "en"):
                raise HttpError(400, "lang must be zh or en")
            options["lang"] = lang
        if q.get("layout"):
            layout = _one(q, "layout")
            if not _NAME_RE.fullmatch(layout):
                raise HttpError(400, "bad layout name")
            options["layout"] = layout
        name = (_one(q, "name") or "").strip() or None  # kind "all" needs none; viz says if one is missing
        return respond(await self.state.run("viz", {"kind": kind, "name": name, "options": options}))

    # ---------------------------------------------------------- /api
    async def api_route(self, request: Request) -> Response:
        handler = self.api.get(request.path_params["name"])
        if handler is None:
            raise HTTPException(404)
        return await handler(_query(request))

    async def lookup(self, op: str, args: dict) -> Response:
        return respond(await self.state.run(op, args), api=True)

    async def api_measures(self, q):
        args = {"indicator": _required(q, "indicator")}
        if _one(q, "basis"):
            args["basis"] = _one(q, "basis")
        return await self.lookup("measures", args)

    async def api_entity(self, q):
        return await self.lookup("entity", {"name": _required(q, "name")})

    async def api_search(self, q):
        types = [t if ":" in t else f"qd:{t}" for t in q.get("type", []) if t]
        limit = _int(q, "limit", 20, 1, 200)
        return await self.lookup("search", {"q": _required(q, "q"), "types": types, "limit": limit})

    async def api_indicators(self, q):
        return await self.lookup("indicators", {})

    async def api_queries(self, q):
        return Response(self.state.queries_json, 200, None, JSON)

    async def api_progress(self, q):
        return await self.lookup("progress", _progress_args(q))


# ------------------------------------------------------------------ errors, as one line
def _path(request: Request) -> str:
    return request.scope["path"]


async def _on_http_error(request: Request, err: HttpError) -> Response:
    return error_response(err.status, err.message, _is_api(_path(request)), err.extra, err.headers)


async def _on_qdgraph_error(request: Request, err: QdgraphError) -> Response:
    return error_response(err.http_status, str(err), _is_api(_path(request)), err.details())


async def _on_starlette_error(request: Request, err: HTTPException) -> Response:
    path = _path(request)
    if err.status_code == 404:
        message = f"no such page: {path} (try /, /sparql or /api/queries)"
    elif err.status_code == 405:
        message = f"{request.method} is only for /sparql, not {path}"
    else:
        message = err.detail
    return error_response(err.status_code, message, _is_api(path), headers=err.headers)


async def _on_bug(request: Request, err: Exception) -> Response:
    # a bug: Starlette answers with this, then uvicorn logs the traceback; the server keeps serving
    return error_response(500, f"internal error: {type(err).__name__}", _is_api(_path(request)))


# ------------------------------------------------------------------ the application
def site_routes(state: State) -> list:
    """The site's routes (``qdgraph.interfaces.site.routes(state)``), or none where the site
    is not installed. A site that is present but broken fails loudly at start."""
    if importlib.util.find_spec("qdgraph.interfaces.site") is None:
        return []
    import qdgraph.interfaces.site as site

    return list(site.routes(state)) if hasattr(site, "routes") else []


def build_app(state: State) -> Front:
    """The whole ASGI application for ``state``."""
    ep = Endpoints(state)
    page = ["GET", "HEAD"]
    routes = [
        Route("/sparql", ep.sparql, methods=["GET", "HEAD", "POST"]),
        Route("/query", ep.static, methods=page),
        Route("/static/app.js", ep.static, methods=page),
        Route("/static/app.css", ep.static, methods=page),
        Route("/api/{name}", ep.api_route, methods=page),
        Route("/viz/{kind}", ep.viz, methods=page),
        Route("/ontology", ep.ontology, methods=page),
        Route("/progress", ep.progress_page, methods=page),
        *site_routes(state),
        Route("/", ep.static, methods=page),  # the workbench, until the site has a home page
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await state.pool.attach()  # the pool reads its workers on this loop
        yield

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={
        HttpError: _on_http_error, QdgraphError: _on_qdgraph_error, HTTPException: _on_starlette_error,
        Exception: _on_bug})
    app.state.qdgraph = state
    return Front(app, state, ep)


def load_static() -> dict:
    """The workbench page and its assets: {path: (content type, bytes, headers)}."""
    out = {}
    for route, (name, ctype) in STATIC_FILES.items():
        headers = {"Cache-Control": "no-cache"}
        if name == "index.html":
            headers["Content-Security-Policy"] = PAGE_CSP
        out[route] = (ctype, (STATIC / name).read_bytes(), headers)
    return out


# ------------------------------------------------------------------ request helpers
async def read_body(request: Request) -> bytes:
    """The request body, refused (413) past MAX_BODY before it is all read."""
    # closing: the rest of the body is not worth reading
    too_big = HttpError(413, f"request body over {MAX_BODY // 1024 // 1024} MiB", headers={"Connection": "close"})
    length = headers_of(request.scope).get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY:
        raise too_big
    # the ASGI messages read directly (Starlette's Request.stream, without its async generator:
    # a fifth of a point lookup's time in this process went to reading its body)
    chunks, size, receive = [], 0, request.receive
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise too_big
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def headers_of(scope) -> dict[str, str]:
    """The request's headers as a dict (the first of repeated names), made once per request:
    Starlette's ``request.headers.get`` reads the whole list at every call."""
    got = scope.get("qdgraph.headers")
    if got is None:
        got = {}
        for k, v in scope["headers"]:
            got.setdefault(k.decode("latin-1"), v.decode("latin-1"))
        scope["qdgraph.headers"] = got
    return got


def _charset(headers: dict) -> str | None:
    for part in headers.get("content-type", "").split(";")[1:]:
        k, _, v = part.partition("=")
        if k.strip().lower() == "charset":
            return v.strip().strip('"').lower()
    return None


def body_text(headers: dict, body: bytes) -> str:
    """The request body as text. SPARQL is always UTF-8 (its media type says so), so another
    charset is refused (415) rather than misread, and bytes that are not UTF-8 are a 400."""
    charset = _charset(headers) or "utf-8"
    if charset not in ("utf-8", "utf8", "us-ascii"):
        raise HttpError(415, f"send the query as UTF-8 (the request says charset={charset})")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise HttpError(400, f"the body is not valid UTF-8 (byte {err.start})") from None


def _query(request: Request) -> dict:
    return parse_qs(request.scope["query_string"].decode("latin-1"), keep_blank_values=True)


def _progress_args(q: dict) -> dict:
    """?indicator=NAME and/or ?pillar=NAME for /progress and /api/progress (neither: all)."""
    return {k: (_one(q, k) or "").strip() or None for k in ("indicator", "pillar")}


def _one(q: dict, key: str) -> str | None:
    vals = q.get(key) or []
    return vals[0] if vals else None


def _required(q: dict, key: str) -> str:
    v = (_one(q, key) or "").strip()
    if not v:
        raise HttpError(400, f"missing parameter {key}=…")
    return v


def _int(q: dict, key: str, default: int, lo: int, hi: int) -> int:
    v = _one(q, key)
    if v is None or v == "":
        return default
    try:
        n = int(v)
    except ValueError:
        raise HttpError(400, f"{key} must be a whole number") from None
    if not lo <= n <= hi:
        raise HttpError(400, f"{key} must be between {lo} and {hi}")
    return n

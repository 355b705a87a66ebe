"""HTTP routes: the SPARQL 1.1 Protocol at /sparql, JSON lookups under /api, pictures under
/viz, and the query page at /.

The serving process only parses requests, checks them (read-only guard, formats, sizes) and
moves bytes: queries and lookups run in the worker pool (``pool.py``), which enforces the time
limit by killing workers. Errors are one line: plain text on /sparql (as SPARQL endpoints
answer), ``{"error": …}`` JSON on /api.
"""
from __future__ import annotations

import json
import re
import sys
import traceback
from urllib.parse import parse_qs

from qdgraph.errors import QdgraphError
from qdgraph.interfaces.server.http11 import Request, Response, host_name
from qdgraph.interfaces.server.negotiate import choose, prefers_html

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
READ_ONLY = "SPARQL Update is not allowed: this endpoint is read-only"
TEXT = "text/plain; charset=utf-8"
JSON = "application/json; charset=utf-8"
ALLOW = "GET, HEAD, POST, OPTIONS"
_NAME_RE = re.compile(r"[a-z][a-z0-9-]{0,39}")


class HttpError(Exception):
    def __init__(self, status: int, message: str, extra: dict | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.extra, self.headers = status, message, extra or {}, headers or {}


def error_response(err: HttpError, api: bool) -> Response:
    if api:
        body = json.dumps({"error": err.message, **err.extra}, ensure_ascii=False).encode("utf-8")
        return Response(err.status, JSON, body, dict(err.headers))
    return Response(err.status, TEXT, (err.message + "\n").encode("utf-8"), dict(err.headers))


class Routes:
    """``await routes(request) -> Response``; ``app`` is the server's ``App`` (pool, limits)."""

    def __init__(self, app):
        self.app = app
        self.api = {"measures": self.api_measures, "entity": self.api_entity, "search": self.api_search,
                    "indicators": self.api_indicators, "queries": self.api_queries, "progress": self.api_progress}

    async def __call__(self, req: Request) -> Response:
        path = req.path
        api = path.startswith("/api/")
        try:
            allowed = self.app.allowed_hosts
            if allowed is not None and req.headers.get("host") is not None and host_name(req) not in allowed:
                # a page elsewhere that points its own name at 127.0.0.1 (DNS rebinding) must not read answers
                raise HttpError(421, "this server answers requests for localhost only (Host: "
                                     f"{req.headers['host']}); start it with --host to serve other names")
            if req.method == "OPTIONS":
                return self.options()
            if req.method not in ("GET", "HEAD", "POST"):
                raise HttpError(405, f"method {req.method} is not allowed", headers={"Allow": ALLOW})
            if path == "/sparql":
                return await self.sparql(req)
            if req.method == "POST":
                raise HttpError(405, f"POST is only for /sparql, not {path}", headers={"Allow": "GET, HEAD"})
            query = parse_qs(req.query, keep_blank_values=True)
            if path in self.app.static:
                ctype, body, headers = self.app.static[path]
                return Response(200, ctype, body, dict(headers))
            if api and path[5:] in self.api:
                return await self.api[path[5:]](query)
            if path.startswith("/viz/"):
                return await self.viz(path[5:], query)
            if path == "/ontology":
                return await self.ontology(req.headers.get("accept"), _one(query, "format"))
            if path == "/progress":
                return await self.progress_page(query)
            raise HttpError(404, f"no such page: {path} (try /, /sparql or /api/queries)")
        except HttpError as err:
            return error_response(err, api)
        except QdgraphError as err:
            return error_response(HttpError(err.http_status, str(err), err.details()), api)
        except Exception as err:  # noqa: BLE001 — a bug: log it, answer 500, keep serving
            traceback.print_exc(file=sys.stderr)
            return error_response(HttpError(500, f"internal error: {type(err).__name__}"), api)

    def options(self) -> Response:
        headers = {"Allow": ALLOW}
        if self.app.cors:
            headers.update({"Access-Control-Allow-Methods": ALLOW, "Access-Control-Allow-Headers": "Content-Type, Accept",
                            "Access-Control-Max-Age": "600"})
        return Response(204, None, b"", headers)

    # ------------------------------------------------------------ /sparql
    async def sparql(self, req: Request) -> Response:
        # A repeated request is answered from the cache before anything is parsed. The key is
        # the store generation and everything the answer depends on: the query string, the
        # body with its type (query, parameters, dataset, format) and the Accept header.
        app = self.app
        key = (app.pool.generation(), req.method == "POST", req.query, req.body,
               req.headers.get("content-type", ""), req.headers.get("accept", ""))
        hit = app.cache.get(key)
        if hit is not None:
            return self.reply(hit, api=False, vary=True)
        response, reply = await self._sparql(req, key[0])
        if reply is not None and reply[0] == "ok":
            app.cache.put(key, reply)
        return response

    async def _sparql(self, req: Request, gen: str) -> tuple[Response, tuple | None]:
        """The answer, and the worker's reply it came from (None: not a query result)."""
        fields = parse_qs(req.query, keep_blank_values=True)
        query = None
        if req.method == "POST":
            ctype = req.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype == SPARQL_UPDATE:
                raise HttpError(403, READ_ONLY)
            if ctype == FORM:
                # a form body is ASCII with %-escapes of UTF-8 bytes
                try:
                    pairs = parse_qs(body_text(req), keep_blank_values=True, errors="strict")
                except UnicodeDecodeError:
                    raise HttpError(400, "the form's %-escapes are not valid UTF-8") from None
                for k, v in pairs.items():
                    fields.setdefault(k, []).extend(v)
            elif ctype == SPARQL_QUERY:
                query = body_text(req)
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
        # a dataset of graphs this store holds (checked by the worker: 400 for any other);
        # nothing is ever fetched
        dataset = (tuple(fields.get("default-graph-uri", [])), tuple(fields.get("named-graph-uri", [])))
        requested = _one(fields, "format") or _one(fields, "output")
        accept = req.headers.get("accept")
        if query is None:
            if req.method == "POST":
                raise HttpError(400, "no query: send query=… (form) or a body of type " + SPARQL_QUERY)
            return self.service_description(accept, requested), None
        reply = await self.run_query(query, fields.get("param", []), accept, requested, dataset, gen)
        return self.reply(reply, api=False, vary=True), reply

    async def run_query(self, query: str, param_pairs: list[str], accept, requested, dataset, gen) -> tuple:
        """The worker's reply to ``query``: ("ok", type, body, headers) or ("error", …)."""
        from qdgraph.engine.graph import param_terms
        from qdgraph.engine.sparql import check_query
        from qdgraph.engine.sparql import parse_params

        # nesting first (thousands of levels crash a parser), then UPDATE, LOAD, SERVICE, FROM
        # refused before any worker sees them
        form = check_query(query)
        params = param_terms(parse_params(param_pairs))
        fmt = choose(form, accept, requested)
        app = self.app
        return await app.pool.run(("query", {"query": query, "params": params, "fmt": fmt, "max_rows": app.max_rows,
                                             "base_iri": app.endpoint_url, "dataset": dataset}), app.timeout, gen)

    def service_description(self, accept, requested) -> Response:
        from qdgraph.presentation.formats import get
        from qdgraph.interfaces.server.description import service_description

        fmt = choose("SD", accept, requested)
        body = service_description(self.app.endpoint_url, self.app.triples, fmt)
        return Response(200, get(fmt).content_type, body, {"Vary": "Accept"})

    async def ontology(self, accept, requested) -> Response:
        """The ontology IRI dereferenced (w3id redirects here): its documentation for browsers,
        the ontology itself for RDF clients."""
        import asyncio

        from qdgraph.presentation.docs import CSP, ontology_document
        from qdgraph.presentation.formats import get

        html = (requested or "").lower() == "html" or (not requested and prefers_html(accept))
        fmt = "html" if html else choose("CONSTRUCT", accept, requested)
        body = await asyncio.to_thread(ontology_document, fmt)   # pyLODE takes a second, once
        headers = {"Vary": "Accept", **({"Content-Security-Policy": CSP} if html else {})}
        return Response(200, "text/html; charset=utf-8" if html else get(fmt).content_type, body, headers)

    # ------------------------------------------------------------ /api and /viz
    async def lookup(self, op: str, args: dict) -> Response:
        return self.reply(await self.app.pool.run((op, args), self.app.timeout), api=True)

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
        return Response(200, JSON, self.app.queries_json)

    async def api_progress(self, q):
        return await self.lookup("progress", _progress_args(q))

    async def progress_page(self, q) -> Response:
        args = _progress_args(q)
        lang = _one(q, "lang") or "zh"
        if lang not in ("zh", "en"):
            raise HttpError(400, "lang must be zh or en")
        reply = await self.app.pool.run(("progress_page", {**args, "lang": lang}), self.app.timeout)
        return self.reply(reply, api=False)

    async def viz(self, kind: str, q) -> Response:
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
        reply = await self.app.pool.run(("viz", {"kind": kind, "name": name, "options": options}), self.app.timeout)
        return self.reply(reply, api=False)

    # ------------------------------------------------------------ worker replies
    def reply(self, reply: tuple, api: bool, vary: bool = False) -> Response:
        if reply[0] == "ok":
            _, ctype, body, headers = reply
            if vary:
                headers = {**headers, "Vary": "Accept"}
            return Response(200, ctype, body, headers)
        _, status, message, extra = reply
        return error_response(HttpError(status, message, extra), api)


def _progress_args(q: dict) -> dict:
    """?indicator=NAME and/or ?pillar=NAME for /progress and /api/progress (neither: all)."""
    return {k: (_one(q, k) or "").strip() or None for k in ("indicator", "pillar")}


def _charset(req: Request) -> str | None:
    for part in req.headers.get("content-type", "").split(";")[1:]:
        k, _, v = part.partition("=")
        if k.strip().lower() == "charset":
            return v.strip().strip('"').lower()
    return None


def body_text(req: Request) -> str:
    """The request body as text. SPARQL is always UTF-8 (its media type says so), so another
    charset is refused (415) rather than misread, and bytes that are not UTF-8 are a 400."""
    charset = _charset(req) or "utf-8"
    if charset not in ("utf-8", "utf8", "us-ascii"):
        raise HttpError(415, f"send the query as UTF-8 (the request says charset={charset})")
    try:
        return req.body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise HttpError(400, f"the body is not valid UTF-8 (byte {err.start})") from None


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

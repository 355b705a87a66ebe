"""The analyst's site: a page at every entity's IRI, and pages that answer the plain questions.

``routes(state)`` returns Starlette routes that ``qdgraph serve`` mounts beside the SPARQL
endpoint:

- ``/`` home (pillars, indicators with target and status, chains, search box, example questions);
- ``/id/{path}`` every resource IRI ``https://w3id.org/qdgraph/id/…``: HTML for browsers, or its
  RDF (Turtle, N-Triples, JSON-LD, RDF/XML) by content negotiation or ``?format=``;
- ``/source/{id}`` a source document's text, each quote anchored ``#q-…``;
- ``/search?q=`` names (zh, en, pinyin, near misses) grouped by type, and plain questions
  answered by named queries (``qdgraph.domain.questions``), showing the SPARQL that ran;
- ``/site/site.css`` the one stylesheet.

``state`` is anything with a ``graph()`` method (or a callable) returning the current
``KnowledgeGraph``. Pages run shipped named queries and library functions only, in a thread
(``run_in_threadpool``); the words come from the message catalogue (``qdgraph.presentation.i18n``),
the language from ``?lang=`` (remembered in a cookie), then Accept-Language, then Chinese.
Pages need no JavaScript and load nothing from elsewhere (a strict CSP says so).
"""
from __future__ import annotations

import re
import time
from functools import lru_cache
from pathlib import Path

from qdgraph.errors import QdgraphError
from qdgraph.presentation import i18n

HERE = Path(__file__).resolve().parent
ID_PREFIX = "https://w3id.org/qdgraph/id/"
# Nothing but this site's own stylesheet and data: images (the charts): no script at all.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")
LANG_COOKIE = "qdgraph_lang"
# longer search text is cut, not refused: names and questions are short (the name index's limit)
from qdgraph.limits import MAX_NAME as MAX_QUERY_TEXT  # noqa: E402


# what may follow /id/ or /source/: an IRI path's characters (RFC 3987 ipath, no spaces, quotes or
# brackets); anything else names nothing in the graph and is answered 404, never parsed as an IRI
_PATH = re.compile(r"[^\s<>\"{}|\\^`]+")


class SiteState:
    """The graph the pages read: the bundled one, or a store folder (its current generation)."""

    def __init__(self, store=None, data=()):
        self.store, self.data = store, tuple(data)
        self._kg = None

    def graph(self):
        from qdgraph.engine.graph import open_graph

        if self.store is not None:  # a store's current generation can change under a running server
            return open_graph(store=self.store)
        if self._kg is None:
            self._kg = open_graph(self.data)
        return self._kg


@lru_cache(maxsize=1)
def _env():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(str(HERE / "templates")),
                      autoescape=select_autoescape(["html"], default_for_string=True, default=True),
                      trim_blocks=True, lstrip_blocks=True)
    return env


@lru_cache(maxsize=1)
def _css() -> bytes:
    return (HERE / "static" / "site.css").read_bytes()


def routes(state) -> list:
    """The site's routes over ``state`` (see the module's help)."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import HTMLResponse, RedirectResponse, Response
    from starlette.routing import Route

    from qdgraph.interfaces.site import pages

    get_graph = state.graph if hasattr(state, "graph") else state

    def language(request) -> tuple[str, bool]:
        asked = request.query_params.get("lang")
        lang = i18n.pick(asked, request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))
        return lang, asked in i18n.LANGS

    def render(request, template: str, status: int = 200, **context) -> Response:
        lang, remember = language(request)
        tr = i18n.translations(lang)
        other = i18n.other(lang)
        switch = request.url.include_query_params(lang=other)
        body = _env().get_template(template).render(
            _=tr.gettext, lang=lang, html_lang="zh-CN" if lang == "zh" else "en",
            switch_href=str(switch.path) + "?" + switch.query, switch_text=tr.gettext("English") if lang == "zh" else tr.gettext("中文"),
            switch_lang=other, path=request.url.path, **context)
        resp = HTMLResponse(body, status_code=status, headers={"Content-Security-Policy": CSP, "Vary": "Accept, Accept-Language, Cookie",
                                                                "Content-Language": "zh-CN" if lang == "zh" else "en"})
        if remember:
            resp.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
        return resp

    def timed(fn):
        async def endpoint(request):
            t0 = time.perf_counter()
            try:
                resp = await fn(request)
            except QdgraphError as err:
                resp = render(request, "error.html", status=getattr(err, "http_status", 400),
                              message=None, detail=str(err))
            resp.headers["Server-Timing"] = f"page;dur={(time.perf_counter() - t0) * 1000:.1f}"
            return resp
        return endpoint

    async def home(request):
        lang, _ = language(request)
        kg = get_graph()
        data = await run_in_threadpool(pages.home, kg, lang)
        from qdgraph.domain.questions import EXAMPLES
        return render(request, "home.html", page=data, examples=EXAMPLES)

    async def entity(request):
        from qdgraph.interfaces.server.negotiate import NotAcceptable, choose, prefers_html

        rest = request.path_params["rest"]
        iri = ID_PREFIX + rest
        kg = get_graph()
        if not _PATH.fullmatch(rest) or not await run_in_threadpool(pages.exists, kg, iri):
            return not_found(request, iri)
        fmt_asked = request.query_params.get("format")
        accept = request.headers.get("accept")
        if fmt_asked in (None, "", "html") and (fmt_asked == "html" or prefers_html(accept)):
            lang, _ = language(request)
            data = await run_in_threadpool(pages.entity, kg, iri, lang)
            resp = render(request, "entity.html", page=data, formats=RDF_LINKS)
            return resp
        try:
            fmt = choose("DESCRIBE", accept, fmt_asked or None)
        except NotAcceptable as err:
            return Response(str(err) + "\n", status_code=406, media_type="text/plain; charset=utf-8")
        body = await run_in_threadpool(_describe, kg, iri, fmt)
        from qdgraph.presentation.formats import get

        return Response(body, media_type=get(fmt).content_type, headers={"Vary": "Accept"})

    def not_found(request, iri):
        lang, _ = language(request)
        tr = i18n.translations(lang)
        return render(request, "error.html", status=404, message=tr.gettext("The graph has nothing at this address."),
                      detail=iri, search_hint=iri.rsplit("/", 1)[-1])

    async def source(request):
        iri = ID_PREFIX + request.path_params["doc"]
        lang, _ = language(request)
        kg = get_graph()
        if not _PATH.fullmatch(request.path_params["doc"]):
            return not_found(request, iri)
        data = await run_in_threadpool(pages.source, kg, iri, lang)
        if data is None:
            return not_found(request, iri)
        return render(request, "source.html", page=data)

    async def search(request):
        text = (request.query_params.get("q") or "").strip()[:MAX_QUERY_TEXT]
        lang, _ = language(request)
        if not text:
            return render(request, "search.html", q="", page=None)
        kg = get_graph()
        data = await run_in_threadpool(pages.search, kg, text, lang)
        return render(request, "search.html", q=text, page=data)

    async def chart(request):
        name = request.path_params["name"]
        svg = await run_in_threadpool(pages.chart, get_graph(), ID_PREFIX + name) if _PATH.fullmatch(name) else None
        if svg is None:
            return Response("no chart\n", status_code=404, media_type="text/plain; charset=utf-8")
        return Response(svg, media_type="image/svg+xml", headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})

    async def css(request):
        return Response(_css(), media_type="text/css; charset=utf-8", headers={"Cache-Control": "max-age=3600"})

    async def id_root(request):
        return RedirectResponse("/", status_code=303)

    return [
        Route("/", timed(home), methods=["GET", "HEAD"], name="site-home"),
        Route("/id/", id_root, methods=["GET", "HEAD"]),
        Route("/id/{rest:path}", timed(entity), methods=["GET", "HEAD"], name="site-entity"),
        Route("/source/{doc:path}", timed(source), methods=["GET", "HEAD"], name="site-source"),
        Route("/search", timed(search), methods=["GET", "HEAD"], name="site-search"),
        Route("/site/site.css", css, methods=["GET", "HEAD"]),
        Route("/site/chart/{name:str}.svg", timed(chart), methods=["GET", "HEAD"]),
    ]


# the RDF a page offers beside its HTML: (format name as ?format=, label shown)
RDF_LINKS = (("turtle", "Turtle"), ("nt", "N-Triples"), ("json-ld", "JSON-LD"))


def _describe(kg, iri: str, fmt: str) -> str:
    """The entity's concise bounded description (its triples, and those of the blank nodes they
    reach: a quote's selectors) in ``fmt``."""
    import pyoxigraph as ox

    from qdgraph.engine.results import GraphResult
    from qdgraph.presentation.formats import write

    triples, todo, seen = [], [ox.NamedNode(iri)], set()
    while todo:
        s = todo.pop()
        if s in seen:
            continue
        seen.add(s)
        for q in kg.quads(subject=s):
            triples.append(ox.Triple(q.subject, q.predicate, q.object))
            if isinstance(q.object, ox.BlankNode):
                todo.append(q.object)
    return write(GraphResult(triples), fmt)

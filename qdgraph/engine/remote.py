"""A remote SPARQL 1.1 endpoint as a graph backend (``--endpoint URL``).

Every command runs the same named queries whether the graph is embedded or remote, so this
backend must give answers identical to ``LocalBackend``, on any store (tested on Oxigraph and
OpenLink Virtuoso):

- the predeclared prefixes are sent as ``PREFIX`` lines (remote engines have no prefix map);
- parameters are bound with a ``VALUES`` block at the start of the outermost ``WHERE`` group,
  written from pyoxigraph's N-Triples serialisation of each term (which escapes it), never by
  pasting what the user typed into the query;
- the whole SPARQL 1.1 Protocol: GET for short queries, a form POST for long ones, a direct
  POST (``application/sparql-query``) only as a fallback, probed first with a short timeout
  (Virtuoso 7.2 never answers a direct POST: trying it blind would hang for the whole timeout);
  a method the server refuses (405, 414, 415, 501) is not tried again;
- SELECT/ASK answers are asked for as SPARQL JSON, of Virtuoso too: at 11 M triples its JSON
  costs it 1.5x its XML's CPU for 8,000 bare IRIs (0.052 against 0.034 s) but less for rows
  with text (measures' 6,772 rows: 1.0 against 1.7 s), and reading XML here costs twice what
  JSON does (1.1 against 0.5 s): `measures` took 33-35 s with JSON, 42 s with XML, in
  alternate runs. XML is read as well, if a server sends it. Both are read with the standard
  library, so blank-node labels of any shape (Virtuoso's ``nodeID://b10006``) are accepted;
  CONSTRUCT/DESCRIBE as N-Triples (or whatever RDF syntax the server chose);
- row caps are detected (Virtuoso's ``X-SPARQL-MaxRows`` header, ``qdgraph serve``'s
  ``X-Qdgraph-Truncated``) and a cut SELECT is read again in pages (the query wrapped as an
  ordered sub-query, ``LIMIT``/``OFFSET`` outside it — Virtuoso refuses to sort past its cap
  otherwise), then the row count is checked against ``COUNT(*)``. An answer that cannot be paged
  (the query has its own LIMIT, or is a CONSTRUCT) is marked ``truncated`` and the CLI says so.

The endpoint URL may carry protocol parameters (``?default-graph-uri=…`` picks the graph a
store such as Virtuoso should query) and credentials (see ``qdgraph.engine.httpclient``).
"""
from __future__ import annotations

import contextlib
import json
import re
import time
import urllib.parse
from dataclasses import replace
from typing import Any, Iterable, Mapping

import pyoxigraph as ox

from qdgraph.engine.backend import truncate
from qdgraph.errors import QdgraphError
from qdgraph.engine.httpclient import EndpointError, Reply, check, first_line, request, target
from qdgraph.namespaces import PREFIXES
from qdgraph.engine.results import AskResult, GraphResult, SelectResult, term_from_json
from qdgraph.engine.sparql import bind_values, check_query, strip_lexical  # noqa: F401  (bind_values: part of this module's API)

__all__ = ["EndpointBackend", "EndpointError", "bind_values"]

RESULTS_JSON = "application/sparql-results+json"
RESULTS_XML = "application/sparql-results+xml"
SELECT_ACCEPT = f"{RESULTS_JSON}, application/json;q=0.9, {RESULTS_XML};q=0.8"
N_TRIPLES = "application/n-triples"
# Set by `qdgraph serve` when it cut a result at --max-rows (see qdgraph.interfaces.server).
TRUNCATED_HEADER = "X-Qdgraph-Truncated"
MAXROWS_HEADER = "X-SPARQL-MaxRows"  # Virtuoso, when its ResultSetMaxRows cut the answer
GET_LIMIT = 2000  # characters of URL: longer queries go by POST (proxies and servers cap URLs)
PROBE_TIMEOUT = 5.0  # seconds for "does this method work?" (ASK {} answers in milliseconds)
_REFUSED = {405, 411, 414, 415, 501}  # "not this way": try the next method
_PROLOGUE = re.compile(r"(?i)\s*(?:(?:PREFIX\s+[^\s:]*:|BASE)\s*)*")  # on strip_lexical text: IRIs are blanks
_CUT_SUSPECT = 1000  # a graph answer this large may have met a row cap: check


class EndpointBackend:
    """Runs queries on a SPARQL 1.1 endpoint over HTTP."""

    snapshot = None  # the far store can change between two requests
    local = False  # FROM would make the far store fetch: refused; no dataset, no streaming

    def __init__(self, url: str, timeout: float = 60.0, user: str | None = None):
        self.target = target(url, user)
        self.url = self.target.shown
        self.timeout = float(timeout)
        self._deadline: float | None = None  # one per query: its requests, pages and count share it
        self._shared: float | None = None  # one across the queries of a lookup (``one_deadline``)
        self.description = f"endpoint {self.url}"
        self._good: set[str] = set()
        self._bad: set[str] = set()
        self.cap: int | None = None  # the store's row cap, once seen

    # -- the backend interface ------------------------------------------------
    def query(self, text: str, params: Mapping[str, Any], *, limit: int | None = None,
              timeout: float | None = None) -> Any:
        saved = self.timeout
        if timeout:  # a command's own limit, never longer than the endpoint's
            self.timeout = min(float(timeout), saved)
        self._deadline = time.monotonic() + self.timeout
        if self._shared is not None:
            self._deadline = min(self._deadline, self._shared)
        try:
            res = self._query(text, params, limit)
        finally:
            self.timeout, self._deadline = saved, None
        return truncate(res, limit)

    def _query(self, query: str, params: Mapping[str, Any], limit: int | None = None) -> Any:
        form = check_query(query, allow_from=False)  # cached; nothing here resolves FROM: refuse it
        body = bind_values(query, params)
        if form in ("CONSTRUCT", "DESCRIBE"):
            return self._graph(body)
        res, cut = self._select(body)
        if cut and isinstance(res, SelectResult):
            if limit is not None and len(res.rows) > limit:  # enough rows already: no pages
                res.truncated = True
            else:
                res = self._paged(body, res)
        return res

    @contextlib.contextmanager
    def one_deadline(self):
        """The queries sent inside share one deadline (``timeout`` seconds from the first), as one
        query's pages do: for one lookup sent as many queries (the name index asks a big store for
        17,000 entries in 87 batches; each with a deadline of its own, a store answering every batch
        just under it held the lookup for an hour). Nested: the outermost holds."""
        if self._shared is not None:
            yield
            return
        self._shared = time.monotonic() + self.timeout
        try:
            yield
        finally:
            self._shared = None

    def quads(self, subject=None, predicate=None, object=None) -> Iterable["ox.Quad"]:
        # a SELECT, not a CONSTRUCT: SELECT answers can be paged past a row cap and counted
        pattern = {k: t for k, t in (("s", subject), ("p", predicate), ("o", object)) if t is not None}
        res = self.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", pattern)
        if res.truncated:
            raise EndpointError(f"{self.url} cut the graph short at its row cap and it could not be read in pages")
        return [ox.Quad(r["s"], r["p"], r["o"]) for r in res.rows]

    def kept(self, name, text, params, *, limit=None):
        return None  # an endpoint's data can change under us: every answer is asked for

    def names(self):
        """The name index, asked of the store as a lookup needs it (``qdgraph.names.QueriedNameIndex``:
        a small store read whole, a big one by indexed lookups of the names given), never kept:
        the store's data can change between two commands."""
        from qdgraph.names import QueriedNameIndex

        return QueriedNameIndex(self)

    def __len__(self) -> int:
        rows = self.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", {}).rows
        return int(rows[0]["n"].value) if rows else 0

    def __repr__(self) -> str:
        return f"<EndpointBackend {self.url}>"

    # -- SELECT / ASK ------------------------------------------------------------
    def _select(self, body: str):
        reply = self._ask_server(body, SELECT_ACCEPT)
        xml = "xml" in (reply.content_type or "") or (not reply.content_type and reply.body.lstrip()[:1] == b"<")
        try:
            res = parse_results_xml(reply.body) if xml else parse_results_json(reply.body)
        except json.JSONDecodeError:  # not JSON at all: the server's own words say why
            raise EndpointError(f"{self.url} sent a reply that is not SPARQL JSON results ({reply.content_type or 'no type'})"
                                f": {first_line(reply.body) or 'an empty reply'}") from None
        # ET.ParseError is a SyntaxError; RecursionError: nesting deeper than Python's stack
        except (ValueError, KeyError, TypeError, IndexError, SyntaxError, RecursionError) as err:
            raise EndpointError(f"{self.url} sent a reply that is not SPARQL {'XML' if xml else 'JSON'} results "
                                f"({reply.content_type or 'no type'}): {str(err)[:300] or type(err).__name__}") from None
        cut = False
        if isinstance(res, SelectResult):
            cap = _cap(reply)
            if cap:  # "0" is no cap (an empty answer cut at nothing)
                self.cap = cap
            cut = reply.headers.get(TRUNCATED_HEADER) is not None or (cap is not None and 0 < cap <= len(res.rows))
        return res, cut

    def _paged(self, body: str, first: SelectResult) -> SelectResult:
        """Read a SELECT that met the row cap again, in pages of the cap's size."""
        bare = strip_lexical(body)
        tail = bare[bare.rfind("}") + 1:]
        if re.search(r"(?i)\b(LIMIT|OFFSET)\b", tail):  # its own LIMIT: cannot page it
            first.truncated = True
            return first
        # a total order over every column (after the query's own, if any), so pages neither
        # overlap nor skip rows
        keys = " ".join("?" + v for v in first.variables)
        body += (" " if re.search(r"(?i)\bORDER\s+BY\b", tail) else "\nORDER BY ") + keys
        size = self.cap or len(first.rows)
        if size < 1:  # said to be cut, with no rows and no cap: nothing to page by
            first.truncated = True
            return first
        head = _PROLOGUE.match(bare).end()  # the query's own PREFIX/BASE lines stay in front
        prologue, body = body[:head], body[head:]
        rows: list = []
        last: list | None = None
        while True:  # every page within the query's one deadline (self._deadline)
            page, _ = self._select(f"{prologue}SELECT * WHERE {{ {{\n{body}\n}} }} LIMIT {size} OFFSET {len(rows)}")
            if page.rows and page.rows == last:  # OFFSET ignored: the pages would never end
                raise EndpointError(f"{self.url} sent the same {len(page.rows)} rows for OFFSET {len(rows) - len(last)} "
                                    f"and {len(rows)}: it cannot be read in pages past its row cap ({size})")
            rows.extend(page.rows)
            last = page.rows
            if len(page.rows) < size:  # a short or empty page is the last one
                break
        counted, _ = self._select(f"{prologue}SELECT (COUNT(*) AS ?n) WHERE {{ {{\n{body}\n}} }}")
        n = int(counted.rows[0]["n"].value)
        if n != len(rows):
            raise EndpointError(f"{self.url} gave {len(rows)} rows in pages but counts {n}: "
                                "the data changed while it was read, or the store cut a page")
        return SelectResult(first.variables, rows)

    # -- CONSTRUCT / DESCRIBE ------------------------------------------------------
    def _graph(self, body: str) -> GraphResult:
        reply = self._ask_server(body, f"{N_TRIPLES}, text/turtle;q=0.9, application/rdf+xml;q=0.5")
        fmt = ox.RdfFormat.from_media_type(reply.content_type) or ox.RdfFormat.N_TRIPLES
        try:
            res = GraphResult([q.triple for q in ox.parse(reply.body, format=fmt)])
        except (SyntaxError, ValueError) as err:
            raise EndpointError(f"{self.url} sent a reply that is not {fmt.name}: {err}") from None
        res.truncated = reply.headers.get(TRUNCATED_HEADER) is not None
        if len(res) >= _CUT_SUSPECT and not res.truncated:
            # stores send no header when they cut a CONSTRUCT: learn the cap from a SELECT
            cap = self.cap or self._learn_cap(len(res) + 1)
            res.truncated = cap is not None and len(res) >= cap
        return res

    def _learn_cap(self, rows: int) -> int | None:
        reply = self._ask_server(f"SELECT ?s WHERE {{ ?s ?p ?o }} LIMIT {rows}", "text/csv, */*;q=0.1")
        self.cap = _cap(reply)
        return self.cap

    # -- the protocol ------------------------------------------------------------
    def _ask_server(self, body: str, accept: str) -> Reply:
        text = _prologue(body) + body
        short = len(self._get_url(text)) <= GET_LIMIT
        order = [m for m in (("get", "form", "direct") if short else ("form", "direct", "get")) if m not in self._bad]
        if not order:
            raise EndpointError(f"{self.url} refused every way of sending a query (GET, form POST, direct POST)")
        for i, method in enumerate(order):
            if method == "direct" and method not in self._good and not self._works(method):
                self._bad.add(method)
                continue
            reply = self._send(method, text, accept, self.timeout)
            if reply.status in _REFUSED and i < len(order) - 1:
                self._bad.add(method)
                continue
            self._good.add(method)
            return check(reply)
        raise EndpointError(f"{self.url} refused every way of sending a query (GET, form POST, direct POST)")

    def _works(self, method: str) -> bool:
        try:
            reply = self._send(method, "ASK {}", RESULTS_JSON, min(PROBE_TIMEOUT, self.timeout))
        except QdgraphError:
            return False
        return reply.status < 300

    def _get_url(self, text: str) -> str:
        sep = "&" if urllib.parse.urlsplit(self.target.url).query else "?"
        return self.target.url + sep + urllib.parse.urlencode({"query": text})

    def _send(self, method: str, text: str, accept: str, timeout: float) -> Reply:
        """One request, by the query's deadline (``timeout`` seconds from now if sooner)."""
        headers = {"Accept": accept}
        end = time.monotonic() + timeout
        budget = dict(timeout=timeout if self._deadline is None or end < self._deadline else self.timeout,
                      deadline=end if self._deadline is None else min(end, self._deadline))
        if method == "get":
            return request(replace(self.target, url=self._get_url(text)), headers=headers, **budget)
        if method == "form":
            data = urllib.parse.urlencode({"query": text}).encode("ascii")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            data = text.encode("utf-8")
            headers["Content-Type"] = "application/sparql-query; charset=utf-8"
        return request(self.target, method="POST", body=data, headers=headers, **budget)


def _prologue(body: str) -> str:
    """PREFIX lines for the predeclared prefixes the query uses (short queries can go by GET)."""
    used = set(re.findall(r"(?<![\w?$])([A-Za-z][\w-]*):", strip_lexical(body)))
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items() if p in used)


def _cap(reply: Reply) -> int | None:
    for name in (MAXROWS_HEADER, TRUNCATED_HEADER):
        m = re.search(r"\d+", reply.headers.get(name) or "")
        if m:
            return int(m.group(0))
    return None


def parse_results_json(body: bytes):
    """SPARQL 1.1 JSON results as a SelectResult or AskResult. Read here rather than by
    pyoxigraph, which refuses blank-node labels that are not N-Triples labels; any label is
    mapped to a valid one the same way every time."""
    doc = json.loads(body)
    if not isinstance(doc, dict):
        raise ValueError(f"the reply is a JSON {type(doc).__name__}, not an object")
    if "boolean" in doc:
        value = doc["boolean"]
        if isinstance(value, str):
            value = value.strip().lower() in ("true", "1")
        return AskResult(bool(value))
    variables = _list_of(doc["head"]["vars"], str, "head.vars")
    rows = []
    for binding in _list_of(doc["results"]["bindings"], dict, "results.bindings"):
        rows.append({v: _term(t) for v, t in binding.items() if v in variables})
    return SelectResult(variables, rows)


def _list_of(value, kind: type, where: str) -> list:
    if not isinstance(value, list) or not all(isinstance(v, kind) for v in value):
        raise ValueError(f"{where} is not a list of {'objects' if kind is dict else 'strings'}")
    return value


_LABEL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(?<!\.)")


_BOOLEAN = PREFIXES["xsd"] + "boolean"


def _blank(label: str) -> "ox.BlankNode":
    """Any label as a valid one, the same way every time."""
    return ox.BlankNode(label if _LABEL.fullmatch(label) else "x" + label.encode("utf-8").hex())


def _boolean(value: str) -> str:
    # "1"^^xsd:boolean is valid but not canonical (Virtuoso writes booleans so): read it as true
    return {"1": "true", "0": "false"}.get(value, value)


def _term(obj: dict):
    if not isinstance(obj, dict):
        raise ValueError(f"a term is a JSON {type(obj).__name__}, not an object")
    if obj.get("type") == "bnode":
        return _blank(obj.get("value", ""))
    if obj.get("datatype") == _BOOLEAN:
        return ox.Literal(_boolean(obj.get("value", "")), datatype=ox.NamedNode(_BOOLEAN))
    return term_from_json(obj)


class _Root(Exception):
    pass


def _no_doctype(body: bytes) -> None:
    """Read the prolog with expat (comments, processing instructions and all) up to the root
    element, refusing a document type declaration the moment the parser meets one."""
    from xml.parsers import expat

    def doctype(*_):
        raise ValueError("a document type declaration in SPARQL results")

    def root(*_):
        raise _Root

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler, parser.StartElementHandler = doctype, root
    try:
        for at in range(0, len(body), 1 << 16):
            parser.Parse(body[at:at + (1 << 16)], False)
        parser.Parse(b"", True)
    except _Root:
        return
    except expat.ExpatError as err:
        raise ValueError(f"not XML: {err}") from None


_SR = "{http://www.w3.org/2005/sparql-results#}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def parse_results_xml(body: bytes):
    """SPARQL XML results as a SelectResult or AskResult (blank-node labels as in
    parse_results_json). A document type declaration is refused: results never have one, and
    entities are how XML is made to blow up. Without one, no entity but XML's own five exists."""
    import xml.etree.ElementTree as ET

    _no_doctype(body)
    root = ET.fromstring(body)
    if root.tag != _SR + "sparql":
        raise ValueError(f"the root element is {root.tag}, not sparql")
    answer = root.find(_SR + "boolean")
    if answer is not None:
        return AskResult((answer.text or "").strip().lower() in ("true", "1"))
    iris: dict[str, ox.NamedNode] = {}  # the same IRIs come back row after row: make each once

    def iri(value: str) -> "ox.NamedNode":
        node = iris.get(value)
        if node is None:
            node = iris[value] = ox.NamedNode(value)
        return node

    def term(el):
        tag, value = el.tag, el.text or ""
        if tag == _SR + "uri":
            return iri(value)
        if tag == _SR + "literal":
            lang, datatype = el.get(_XML_LANG), el.get("datatype")
            if lang:
                return ox.Literal(value, language=lang)
            if datatype:
                return ox.Literal(_boolean(value) if datatype == _BOOLEAN else value, datatype=iri(datatype))
            return ox.Literal(value)
        if tag == _SR + "bnode":
            return _blank(value)
        if tag == _SR + "triple":
            parts = {part.tag: term(part[0]) for part in el}
            return ox.Triple(parts[_SR + "subject"], parts[_SR + "predicate"], parts[_SR + "object"])
        raise ValueError(f"unknown term element {tag}")

    variables = [v.get("name") for v in root.iter(_SR + "variable")]
    rows = [{b.get("name"): term(b[0]) for b in result if b.get("name") in variables}
            for result in root.iter(_SR + "result")]
    return SelectResult(variables, rows)

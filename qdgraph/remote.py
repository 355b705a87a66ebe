"""A remote SPARQL 1.1 endpoint as a graph backend (``--endpoint URL``).

Every command runs the same named queries whether the graph is embedded or remote, so this
backend must give answers identical to ``LocalBackend``:

- the predeclared prefixes are sent as ``PREFIX`` lines (remote engines have no prefix map);
- parameters are bound with a ``VALUES`` block at the start of the outermost ``WHERE`` group,
  written from pyoxigraph's N-Triples serialisation of each term (which escapes it), never by
  pasting what the user typed into the query;
- results come back as SPARQL JSON (SELECT/ASK) or N-Triples (CONSTRUCT/DESCRIBE) and are
  parsed by pyoxigraph into the same term objects the embedded engine returns.

Only the standard library is used for HTTP, so ``--endpoint`` costs no extra dependency.
"""
from __future__ import annotations

import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Iterable, Mapping

import pyoxigraph as ox

from . import __version__
from .errors import QdgraphError, QueryTimeout, UsageError
from .namespaces import sparql_prologue
from .results import AskResult, GraphResult, SelectResult
from .sparql import bind_values, check_read_only  # noqa: F401  (bind_values: part of this module's API)

USER_AGENT = f"qdgraph/{__version__}"
RESULTS_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
# Set by `qdgraph serve` when it cut a result at --max-rows (see qdgraph.server).
TRUNCATED_HEADER = "X-Qdgraph-Truncated"


class EndpointError(QdgraphError):
    """The endpoint could not be reached, or answered with an HTTP error."""


def check_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"not an http(s) URL: {url!r}")
    return url


def http_request(url: str, *, data: bytes | Any = None, method: str = "GET",
                 headers: Mapping[str, str] | None = None, timeout: float = 60.0):
    """Send one request; return ``(status, headers, body bytes)``. Every failure becomes an
    ``EndpointError`` that names the URL (and the status and the server's first line)."""
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"User-Agent": USER_AGENT, **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        body = err.read().decode("utf-8", "replace")
        raise EndpointError(f"{url} answered {err.code} {err.reason}" + _first_line(body)) from None
    except (socket.timeout, TimeoutError):
        raise QueryTimeout(f"{url} did not answer within {timeout:g} s") from None
    except urllib.error.URLError as err:
        reason = err.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            raise QueryTimeout(f"{url} did not answer within {timeout:g} s") from None
        raise EndpointError(f"cannot reach {url}: {getattr(reason, 'strerror', None) or reason}") from None
    except (OSError, ValueError) as err:  # reset connections, bad chunking, malformed URLs
        raise EndpointError(f"cannot reach {url}: {err}") from None


def _first_line(body: str) -> str:
    # Error bodies may be an HTML page or a stack trace; one informative line is enough.
    for line in body.splitlines():
        line = line.strip()
        if line and not line.startswith("<"):
            return ": " + line[:300]
    return ""


class EndpointBackend:
    """Runs queries on a SPARQL 1.1 endpoint over HTTP (POST, ``application/sparql-query``)."""

    def __init__(self, url: str, timeout: float = 60.0):
        self.url = check_url(url)
        self.timeout = float(timeout)
        self.description = f"endpoint {url}"

    # -- the backend interface ------------------------------------------------
    def query(self, query: str, params: Mapping[str, Any], *, limit: int | None = None,
              timeout: float | None = None) -> Any:
        res = self._execute(query, params, min(timeout or self.timeout, self.timeout))
        if limit is not None:
            from .backend import _truncate

            res = _truncate(res, limit)
        return res

    def _execute(self, query: str, params: Mapping[str, Any], timeout: float) -> Any:
        form = check_read_only(query)
        text = sparql_prologue() + bind_values(query, params)
        graph = form in ("CONSTRUCT", "DESCRIBE")
        status, headers, body = http_request(
            self.url, data=text.encode("utf-8"), method="POST", timeout=timeout,
            headers={"Content-Type": "application/sparql-query; charset=utf-8",
                     "Accept": N_TRIPLES if graph else f"{RESULTS_JSON}, application/json;q=0.9"})
        truncated = headers.get(TRUNCATED_HEADER) is not None
        try:
            if graph:
                res = GraphResult([q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)])
                res.truncated = truncated
                return res
            return self._results(body, truncated)
        except (SyntaxError, ValueError, KeyError, TypeError) as err:
            raise EndpointError(f"{self.url} sent a reply that is not {'N-Triples' if graph else 'SPARQL JSON'}: {err}") from None

    def _results(self, body: bytes, truncated: bool):
        res = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        if isinstance(res, ox.QueryBoolean):
            return AskResult(bool(res))
        variables = [v.value for v in res.variables]
        rows = [{v: sol[v] for v in variables if sol[v] is not None} for sol in res]
        return SelectResult(variables, rows, truncated=truncated)

    def quads(self, subject=None, predicate=None, object=None) -> Iterable["ox.Quad"]:
        pattern = {k: t for k, t in (("s", subject), ("p", predicate), ("o", object)) if t is not None}
        res = self.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", pattern)
        if getattr(res, "truncated", False):
            raise EndpointError(f"{self.url} cut the graph short (row cap); raise its limit to read it whole")
        return [ox.Quad(t.subject, t.predicate, t.object) for t in res.triples]

    def names(self) -> None:
        return None  # built with SPARQL by qdgraph.names.build_index

    def __len__(self) -> int:
        rows = self.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", {}).rows
        return int(rows[0]["n"].value) if rows else 0

    def __repr__(self) -> str:
        return f"<EndpointBackend {self.url}>"

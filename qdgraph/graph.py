"""Opening the graph and asking it SPARQL: the one entry point every command goes through.

``KnowledgeGraph`` wraps a *backend* (an Oxigraph store in this process, or a remote SPARQL
endpoint) behind one method, ``query``, that always returns a materialised result
(``SelectResult`` / ``AskResult`` / ``GraphResult``). Every query passes the read-only guard
first; parameters are bound as RDF terms by the engine, never pasted into the text.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

from . import paths
from .backend import Backend, LocalBackend
from .errors import UsageError
from .sparql import check_read_only, parse_term


class KnowledgeGraph:
    """The graph a command works on. Build one with :func:`open_graph`."""

    def __init__(self, backend: Backend):
        self.backend = backend
        self._names = None

    def __repr__(self) -> str:
        return f"<KnowledgeGraph {self.backend.description}>"

    def __len__(self) -> int:
        return len(self.backend)

    def query(self, sparql: str, params: Mapping[str, Any] | None = None, *,
              limit: int | None = None, timeout: float | None = None):
        """Run a read-only SPARQL query. ``params`` maps variable names (without ``?``) to RDF
        terms or to strings in the ``--param`` syntax (``<iri>``, ``qd:X``, ``"x"@zh``, 42, text).
        ``limit`` keeps at most that many rows (the result is then marked ``truncated``);
        ``timeout`` gives up after that many seconds (QueryTimeout).

            >>> kg = open_graph()
            >>> res = kg.query("SELECT ?l WHERE { ?i rdfs:label ?l FILTER (lang(?l) = 'zh') }",
            ...                {"i": "qdr:indicator-gdp"})
            >>> [row["l"].value for row in res.rows]
            ['地区生产总值']
            >>> kg.query("SELECT ?i WHERE { ?i a qd:Indicator }", limit=2).truncated
            True
        """
        check_query(sparql)
        bound = {k: parse_term(v) if isinstance(v, str) else v for k, v in (params or {}).items()}
        return self.backend.query(sparql, bound, limit=limit, timeout=timeout)

    def named(self, name: str, params: Mapping[str, Any] | None = None, **kw):
        """Run a query shipped as ``qdgraph/queries/NAME.rq``."""
        from .queries import get_query

        q = get_query(name)
        return self.query(q.text, q.bind(params or {}), **kw)

    def select(self, sparql: str, **params) -> list[dict[str, Any]]:
        """Rows of a SELECT, as dicts of RDF terms: the short form for library code."""
        return self.query(sparql, params).rows

    def names(self):
        """The name index (labels, aliases, pinyin) used to resolve what users type."""
        if self._names is None:
            from .names import NameIndex, build_index

            self._names = self.backend.names() or NameIndex(build_index(self))
        return self._names

    def resolve(self, text: str, types: Iterable[str] | None = None, what: str = "entity"):
        """The IRI (string) of the entity ``text`` names; raises NotFound/Ambiguous with candidates.

            >>> open_graph().resolve("rczl", types=["qd:Indicator"])     # pinyin initials
            'https://w3id.org/qdgraph/id/indicator-total-talent'
        """
        return self.names().resolve(text, types=types, what=what)

    def label(self, iri: str, lang: str = "zh") -> str:
        return self.names().label(iri, lang)

    def quads(self, subject=None, predicate=None, object=None):
        """The quads matching a pattern (terms or None for any); all of them by default."""
        return self.backend.quads(subject, predicate, object)

    def rdflib(self):
        """A copy of the graph as an ``rdflib.Graph``, for code written against rdflib's API
        (it is held in memory and queried by rdflib's engine: fine for the bundled graph, slow
        for a million triples, where ``query`` is the way)."""
        from .rdfio import to_rdflib

        return to_rdflib(self.quads())


def check_query(text: str) -> str:
    """``check_read_only`` (the query form, or UnsafeQueryError), remembered for short queries:
    dashboards and scripts send the same texts again and again, and the check costs more than
    running a small query."""
    return _checked(text) if len(text) <= 16384 else check_read_only(text)


@lru_cache(maxsize=1024)
def _checked(text: str) -> str:
    return check_read_only(text)  # a refusal raises, and is not remembered


def open_graph(data: Iterable[str | Path] = (), *, store: str | Path | None = None,
               endpoint: str | None = None, bundled: bool = True, reason: str | None = None,
               **endpoint_options) -> KnowledgeGraph:
    """Open the graph to query.

    - default: the bundled ontology and data (a compiled, cached store);
    - ``data``: extra RDF files added to it (parsed first: a broken file changes nothing);
    - ``store``: an on-disk store built by ``qdgraph load`` (opened read-only);
    - ``endpoint``: a remote SPARQL 1.1 query URL;
    - ``reason``: ``"rdfs"`` or ``"owlrl"`` to query the inferred closure.
    """
    data = [Path(d) for d in data]
    if endpoint:
        if data or store or reason:
            raise UsageError("--endpoint cannot be combined with --data, --store or --reason")
        from .remote import EndpointBackend

        return KnowledgeGraph(EndpointBackend(endpoint, **endpoint_options))
    if store:
        from .backend import StoreBackend

        if data:  # a store is a fixed, recorded set of files: querying something else would break that
            raise UsageError("--data cannot be combined with --store; add the files to the store with "
                             "`qdgraph load FILES --store DIR --force`")
        backend = StoreBackend(Path(store))
    elif data or not bundled:
        files = ([*paths.bundled_files()] if bundled else []) + data
        backend = _in_memory(files, "memory: " + ", ".join(map(str, files)))
    else:
        from .backend import StoreBackend
        from .bundle import bundled_store_dir

        d = bundled_store_dir()
        if d is None:  # no writable cache: parse into memory instead
            backend = _in_memory(paths.bundled_files(), "memory: bundled")
        else:
            backend = StoreBackend(d, description=f"bundled ({d})")
    if reason:
        from .reasoning import closure

        backend = LocalBackend(closure(backend, reason), description=f"{backend.description}, {reason} closure")
    return KnowledgeGraph(backend)


def _in_memory(files: list[Path], description: str) -> LocalBackend:
    import pyoxigraph as ox

    from .rdfio import load_files
    from .rules import materialise

    mem = ox.Store()
    load_files(mem, files)
    materialise(mem)
    return LocalBackend(mem, description=description)

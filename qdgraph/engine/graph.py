"""Opening the graph and asking it SPARQL: the one entry point every command goes through.

``KnowledgeGraph`` wraps a *backend* (an Oxigraph store in this process, or a remote SPARQL
endpoint) behind one method, ``query``, that always returns a materialised result
(``SelectResult`` / ``AskResult`` / ``GraphResult``). Every query passes the read-only guard
first; parameters are bound as RDF terms by the engine, never pasted into the text.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, Iterable, Mapping

from qdgraph import paths
from qdgraph.engine.backend import QUERY_BASE, Backend, Dataset, LocalBackend
from qdgraph.errors import UsageError
from qdgraph.limits import check_timeout
from qdgraph.engine.sparql import check_query, parse_term


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
              limit: int | None = None, timeout: float | None = None, base_iri: str | None = QUERY_BASE,
              dataset: Dataset | None = None):
        """Run a read-only SPARQL query. ``params`` maps variable names (without ``?``) to RDF
        terms or to strings in the ``--param`` syntax (``<iri>``, ``qd:X``, ``"x"@zh``, 42, text).
        ``limit`` keeps at most that many rows (the result is then marked ``truncated``);
        ``timeout`` gives up after that many seconds (QueryTimeout). Relative IRIs resolve
        against ``base_iri`` (default: the data namespace, qdr:); ``dataset`` names graphs the
        store holds (the protocol's default-graph-uri / named-graph-uri).

            >>> kg = open_graph()
            >>> res = kg.query("SELECT ?l WHERE { ?i rdfs:label ?l FILTER (lang(?l) = 'zh') }",
            ...                {"i": "qdr:indicator-gdp"})
            >>> [row["l"].value for row in res.rows]
            ['地区生产总值']
            >>> kg.query("SELECT ?i WHERE { ?i a qd:Indicator }", limit=2).truncated
            True
        """
        check_query(sparql, allow_from=self.backend.local)
        return self._run(sparql, params, limit=limit, timeout=timeout, base_iri=base_iri, dataset=dataset)

    def _run(self, sparql: str, params: Mapping[str, Any] | None = None, *, limit: int | None = None,
             timeout: float | None = None, base_iri: str | None = QUERY_BASE, dataset: Dataset | None = None):
        """``query`` after the read-only guard."""
        timeout = check_timeout(timeout)
        bound = param_terms(params)
        if self.backend.local:
            options = {"base_iri": base_iri, "dataset": dataset}
        elif dataset:
            raise UsageError("a dataset (default-graph-uri / named-graph-uri) cannot be chosen for a remote endpoint")
        else:
            options = {}
        return self.backend.query(sparql, bound, limit=limit, timeout=timeout, **options)

    def stream(self, sparql: str, params: Mapping[str, Any] | None = None, *, base_iri: str | None = QUERY_BASE):
        """Like :meth:`query`, but a SELECT on a local graph comes back as a ``LazySelect``
        whose rows are read from the engine as they are iterated (for writing a huge answer
        without holding it); other answers are materialised as by :meth:`query`."""
        if not self.backend.local:
            return self.query(sparql, params)
        check_query(sparql)
        return self.backend.stream(sparql, param_terms(params), base_iri=base_iri)

    def named(self, name: str, params: Mapping[str, Any] | None = None, *, stream: bool = False, **kw):
        """Run the query shipped as ``qdgraph/engine/queries/NAME.rq``: the one way a named
        query runs (commands, the server, library code). ``params`` are checked against the
        file's declared parameters; ``stream=True`` gives a SELECT as :meth:`stream` does (a
        large listing whose file has a ``# stream:`` header gives its first rows after two small
        queries, not after the whole answer is sorted: same rows, same order); other keywords as
        :meth:`query`.

            >>> kg = open_graph()
            >>> rows = kg.named("indicator-target", {"indicator": "qdr:indicator-total-talent"}).rows
            >>> rows[0]["indicator"].value
            'https://w3id.org/qdgraph/id/indicator-total-talent'
        """
        from qdgraph.engine.queries import get_query

        q = get_query(name)
        bound = q.bind(params or {})
        if q.memo and not kw.get("dataset"):  # answered when the store was built, if it was
            kept = self.backend.kept(name, q.text, param_terms(bound), limit=kw.get("limit"))
            if kept is not None:
                return kept
        # shipped with qdgraph and each checked by the read-only guard in the tests
        # (test_query_and_lookups::test_named_queries_pass_the_guard): not tokenised again per call
        if stream and self.backend.local:
            if q.stream:  # its least key's rows first: the whole answer is sorted before its first row
                return self.backend.stream_keyed(q.text, param_terms(bound), q.stream, q.head_text())
            return self.backend.stream(q.text, param_terms(bound))
        return self._run(q.text, bound, **kw)

    def query_iris(self, template: str, **iris: Iterable[str]):
        """:meth:`query` for a text of the code's own (never a user's) with lists of IRIs put
        in: each ``@name@`` in ``template`` becomes the IRIs of ``iris[name]`` as pyoxigraph
        writes them, separated by spaces (a VALUES block, or one IRI where a term goes), each
        ``@name,@`` by commas (an IN list). The guard reads the template once, each placeholder
        an IRI: an IRI written by pyoxigraph is one token, with no space, bracket, brace or
        quote in it, so it cannot change how the text reads, and the filled text is not read
        again. (It was: a stored IRI that spells SERVICE, as ``indicator-producer-services-share``
        does, sent every ``viz`` near it through rdflib's grammar as well, 0.3-1 s.)

            >>> kg = open_graph()
            >>> rows = kg.query_iris("SELECT ?l WHERE { VALUES ?i { @i@ } ?i rdfs:label ?l FILTER (lang(?l) = 'zh') }",
            ...                      i=["https://w3id.org/qdgraph/id/indicator-gdp"]).rows
            >>> [row["l"].value for row in rows]
            ['地区生产总值']
        """
        import pyoxigraph as ox

        _check_template(template, self.backend.local)

        def fill(m):
            terms = [str(ox.NamedNode(i)) for i in iris[m.group(1)]]  # ValueError: not an IRI
            return (", " if m.group(2) else " ").join(terms)

        return self._run(_PLACEHOLDER.sub(fill, template))

    def select(self, sparql: str, **params) -> list[dict[str, Any]]:
        """Rows of a SELECT, as dicts of RDF terms: the short form for library code."""
        return self.query(sparql, params).rows

    def names(self):
        """The name index (labels, aliases, pinyin) used to resolve what users type."""
        if self._names is None:
            from qdgraph.names import NameIndex, build_index

            stored = self.backend.names()
            self._names = stored if stored is not None else NameIndex(build_index(self))
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
        from qdgraph.storage.rdfio import to_rdflib

        return to_rdflib(self.quads())


_PLACEHOLDER = re.compile(r"@(\w+)(,?)@")


@functools.lru_cache(maxsize=256)
def _check_template(template: str, local: bool) -> None:
    """The read-only guard on a ``query_iris`` template, each placeholder an IRI (once a template)."""
    check_query(_PLACEHOLDER.sub("<urn:qdgraph:placeholder>", template), allow_from=local)


def param_terms(params: Mapping[str, Any] | None) -> dict:
    """Parameters as RDF terms: strings in the ``--param`` syntax are parsed, a value that is
    no valid term (``qd:a}b``, bytes that are not UTF-8) is a one-line UsageError."""
    out = {}
    for k, v in (params or {}).items():
        if not isinstance(v, str):
            out[k] = v
            continue
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:  # the shell passed bytes that are not UTF-8 (surrogate-escaped)
            raise UsageError(f"parameter {k}: the value is not valid UTF-8 text") from None
        try:
            out[k] = parse_term(v)
        except ValueError as err:
            raise UsageError(f"parameter {k}={v!r} is not a valid RDF term: {err}") from None
    return out



def open_graph(data: Iterable[str | Path] = (), *, store: str | Path | None = None,
               endpoint: str | None = None, bundled: bool = True, reason: str | None = None,
               timeout: float | None = None, **endpoint_options) -> KnowledgeGraph:
    """Open the graph to query.

    - default: the bundled ontology and data (a compiled, cached store);
    - ``data``: extra RDF files added to it (parsed first: a broken file changes nothing);
    - ``store``: an on-disk store built by ``qdgraph load`` (opened read-only);
    - ``endpoint``: a remote SPARQL 1.1 query URL;
    - ``reason``: ``"rdfs"`` or ``"owlrl"`` to query the inferred closure, computed within
      ``timeout`` seconds (QueryTimeout).
    """
    data = [Path(d) for d in data]
    if endpoint:
        if data or store or reason:
            raise UsageError("an endpoint cannot be combined with data files, a store or reasoning").for_cli(
                "--endpoint cannot be combined with --data, --store or --reason")
        from qdgraph.engine.remote import EndpointBackend

        return KnowledgeGraph(EndpointBackend(endpoint, **endpoint_options))
    if store:
        from qdgraph.engine.backend import StoreBackend

        if data:  # a store is a fixed, recorded set of files: querying something else would break that
            raise UsageError("data files cannot be combined with a store; add the files to the store with "
                             "`qdgraph load FILES --store DIR --force`").for_cli(
                "--data cannot be combined with --store; add the files to the store with "
                "`qdgraph load FILES --store DIR --force`")
        backend = StoreBackend(Path(store))
    elif data or not bundled:
        files = ([*paths.bundled_files()] if bundled else []) + data
        backend = _in_memory(files, "memory: " + ", ".join(map(str, files)))
    else:
        backend = open_bundled()
        if backend is None:  # no writable cache: parse into memory instead
            backend = _in_memory(paths.bundled_files(), "memory: bundled")
    if reason:
        from qdgraph.engine.reasoning import closure

        backend = LocalBackend(closure(backend, reason, timeout=check_timeout(timeout)),
                               description=f"{backend.description}, {reason} closure")
    return KnowledgeGraph(backend)


def open_bundled():
    """The compiled bundled store as a read-only ``StoreBackend`` with its name index read;
    None if the cache is unusable. A damaged copy (a name index cut short, database files
    gone) is deleted and rebuilt once instead of failing every command."""
    import shutil

    from qdgraph.engine.backend import StoreBackend
    from qdgraph.storage.bundle import bundled_store_dir
    from qdgraph.errors import QdgraphError

    for attempt in (1, 2):
        d = bundled_store_dir()
        if d is None:
            return None
        try:
            backend = StoreBackend(d, description=f"bundled ({d})")
            if backend.names() is None:  # checked now: a damaged index is found here, not mid-command
                raise QdgraphError(f"{d}: the name index is missing or damaged")
            return backend
        except (OSError, ValueError, QdgraphError) as err:  # JSON errors are ValueErrors
            if attempt == 2:
                raise QdgraphError(f"the compiled graph in {d} is damaged and could not be rebuilt ({err}); "
                                   "delete that folder") from None
            shutil.rmtree(d, ignore_errors=True)
    return None


def _in_memory(files: list[Path], description: str) -> LocalBackend:
    import pyoxigraph as ox

    from qdgraph.storage.rdfio import load_files
    from qdgraph.storage.rules import materialise

    mem = ox.Store()
    load_files(mem, files)
    materialise(mem)
    return LocalBackend(mem, description=description)

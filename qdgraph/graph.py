"""Opening the graph and asking it SPARQL: the one entry point every command goes through.

``KnowledgeGraph`` wraps a *backend* (an Oxigraph store in this process, or a remote SPARQL
endpoint) behind one method, ``query``, that always returns a materialised result
(``SelectResult`` / ``AskResult`` / ``GraphResult``). Every query passes the read-only guard
first; parameters are bound as RDF terms by the engine, never pasted into the text.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import pyoxigraph as ox

from . import paths
from .errors import QdgraphError, QueryTimeout, UsageError
from .limits import check_nesting, check_timeout
from .namespaces import PREFIXES
from .results import AskResult, GraphResult, SelectResult
from .sparql import bind_values, check_read_only, parse_term, syntax_error


# Relative IRIs in a query (``<indicator-gdp>``) resolve against the data namespace (qdr:);
# the server resolves against its endpoint URL instead, as SPARQL endpoints do.
QUERY_BASE = PREFIXES["qdr"]


@dataclass(frozen=True)
class Dataset:
    """An RDF dataset chosen by the protocol's default-graph-uri / named-graph-uri (IRIs)."""

    default: tuple[str, ...] = ()
    named: tuple[str, ...] = ()

    def __bool__(self):
        return bool(self.default or self.named)


def query_dataset(query: str) -> Dataset:
    """The graphs a query's FROM / FROM NAMED clauses name (IRIs or prefixed names)."""
    from .namespaces import expand
    from .sparql import tokens

    default, named, want = [], [], None
    for kind, text, _ in tokens(query):
        if kind in ("ws", "comment"):
            continue
        word = text.upper() if kind == "word" else None
        if word == "FROM":
            want = default
        elif word == "NAMED" and want is default:
            want = named
        elif want is not None and kind in ("iri", "pname"):
            want.append(text[1:-1] if kind == "iri" else expand(text) or text)
            want = None
        else:
            want = None
    return Dataset(tuple(default), tuple(named))


class LocalBackend:
    """An Oxigraph store in this process (in memory, or on disk opened read-only)."""

    def __init__(self, store: "ox.Store", names: list | None = None, description: str = "memory"):
        self.store = store
        self._names = names
        self.description = description

    def execute(self, query: str, params: Mapping[str, Any], **options) -> Any:
        return materialise(self.run(query, params, **options))

    def run(self, query: str, params: Mapping[str, Any], *, base_iri: str | None = QUERY_BASE,
            dataset: "Dataset | None" = None):
        """The engine's lazy answer (pyoxigraph QuerySolutions / QueryTriples / QueryBoolean);
        the server iterates it itself to cut at its row cap. Relative IRIs resolve against
        ``base_iri``; ``dataset`` picks graphs this store holds (never fetched from anywhere)."""
        subs = {ox.Variable(k): v for k, v in params.items()}
        # the protocol's dataset replaces the query's FROM / FROM NAMED (SPARQL 1.1 Protocol
        # 2.1.4); either way only graphs this store holds, never anything fetched
        chosen = dataset or (query_dataset(query) if "from" in query.lower() else None)  # cheap look first
        graphs = self.resolve_dataset(chosen) if chosen else {}
        try:
            try:
                return self.store.query(query, prefixes=PREFIXES, substitutions=subs or None,
                                        base_iri=base_iri, **graphs)
            except RuntimeError as err:
                # pyoxigraph 0.5 only substitutes variables a SELECT projects; bind the others
                # with a VALUES block, as for a remote endpoint (terms written by pyoxigraph).
                if not subs or "projection" not in str(err):
                    raise
                return self.store.query(bind_values(query, params), prefixes=PREFIXES, base_iri=base_iri,
                                        **graphs)
        except SyntaxError as err:
            raise syntax_error(err, query) from None
        except (OSError, ValueError, RuntimeError) as err:
            raise QdgraphError(f"query failed: {err}") from None

    def resolve_dataset(self, dataset: "Dataset") -> dict:
        """The query's dataset as Oxigraph's ``default_graph`` / ``named_graphs``: only graphs
        this store holds (anything else is refused: nothing is ever fetched to fill it)."""
        def held(g: str) -> bool:
            try:
                return self.store.contains_named_graph(ox.NamedNode(g))
            except ValueError:  # not an absolute IRI
                return False

        missing = [g for g in (*dataset.default, *dataset.named) if not held(g)]
        if missing:
            raise UsageError(f"no graph <{missing[0]}> in this store: the dataset can only name graphs it holds, "
                             "and nothing is fetched")
        return {"default_graph": [ox.NamedNode(g) for g in dataset.default],
                "named_graphs": [ox.NamedNode(g) for g in dataset.named]}

    def quads(self) -> Iterable["ox.Quad"]:
        return self.store.quads_for_pattern(None, None, None, None)

    def name_index(self) -> list | None:
        return self._names

    def __len__(self) -> int:
        return len(self.store)


def materialise(res, limit: int | None = None):
    """A pyoxigraph answer as a qdgraph result, reading at most ``limit`` rows or triples
    (evaluation errors surface while iterating, so they are caught here too)."""
    from itertools import islice

    try:
        if isinstance(res, ox.QueryBoolean):
            return AskResult(bool(res))
        if isinstance(res, ox.QueryTriples):
            return GraphResult(list(islice(res, limit)))
        variables = [v.value for v in res.variables]
        # a solution iterates its values in variable order: cheaper than sol[v] lookups
        rows = [{v: t for v, t in zip(variables, sol) if t is not None} for sol in islice(res, limit)]
        return SelectResult(variables, rows)
    except (OSError, ValueError, RuntimeError) as err:
        raise QdgraphError(f"query failed: {err}") from None


class LazySelect:
    """A SELECT answer read from the engine while it is iterated (once)."""

    kind = "select"

    def __init__(self, variables: list[str], solutions):
        self.variables, self._solutions = variables, solutions

    @property
    def rows(self):
        variables = self.variables
        try:
            for sol in self._solutions:
                yield {v: t for v, t in zip(variables, sol) if t is not None}
        except (OSError, ValueError, RuntimeError) as err:  # evaluation errors surface while iterating
            raise QdgraphError(f"query failed: {err}") from None


class KnowledgeGraph:
    """The graph a command works on. Build one with :func:`open_graph`."""

    def __init__(self, backend):
        self.backend = backend
        self._names = None

    def __repr__(self) -> str:
        return f"<KnowledgeGraph {self.backend.description}>"

    def __len__(self) -> int:
        return len(self.backend)

    def query(self, sparql: str, params: Mapping[str, Any] | None = None, *,
              timeout: float | None = None, base_iri: str | None = QUERY_BASE, dataset: Dataset | None = None):
        """Run a read-only SPARQL query. ``params`` maps variable names (without ``?``) to RDF
        terms or to strings in the ``--param`` syntax (``<iri>``, ``qd:X``, ``"x"@zh``, 42, text).
        Relative IRIs resolve against ``base_iri`` (default: the data namespace, qdr:)."""
        timeout = check_timeout(timeout)
        check_nesting(sparql)  # before any parser sees it: deep nesting crashes parsers
        check_read_only(sparql)
        bound = param_terms(params)
        if isinstance(self.backend, LocalBackend):
            options = {"base_iri": base_iri, "dataset": dataset}
        elif dataset:
            raise UsageError("a dataset (default-graph-uri / named-graph-uri) cannot be chosen for a remote endpoint")
        else:
            options = {}
        if timeout is None:
            return self.backend.execute(sparql, bound, **options)
        return _with_timeout(lambda: self.backend.execute(sparql, bound, **options), timeout)

    def stream(self, sparql: str, params: Mapping[str, Any] | None = None, *, base_iri: str | None = QUERY_BASE):
        """Like :meth:`query`, but a SELECT on a local graph comes back as a ``LazySelect``
        whose rows are read from the engine as they are iterated (for writing a huge answer
        without holding it); other answers are materialised as by :meth:`query`."""
        if not isinstance(self.backend, LocalBackend):
            return self.query(sparql, params, base_iri=base_iri)
        check_nesting(sparql)
        check_read_only(sparql)
        res = self.backend.run(sparql, param_terms(params), base_iri=base_iri)
        if not isinstance(res, ox.QuerySolutions):
            return materialise(res)
        return LazySelect([v.value for v in res.variables], res)

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

            lazy = getattr(self.backend, "lazy_name_index", None)  # a big on-disk store's index
            if lazy is not None:
                self._names = lazy()
                return self._names
            entries = self.backend.name_index()
            self._names = NameIndex(entries if entries is not None else build_index(self))
        return self._names

    def resolve(self, text: str, types: Iterable[str] | None = None, what: str = "entity"):
        """The IRI (string) of the entity ``text`` names; raises NotFound/Ambiguous with candidates."""
        return self.names().resolve(text, types=types, what=what)

    def label(self, iri: str, lang: str = "zh") -> str:
        return self.names().label(iri, lang)

    def quads(self):
        return self.backend.quads()

    def rdflib(self):
        """The same graph under rdflib's API. For a local graph this is zero-copy: oxrdflib puts
        the Oxigraph store under rdflib, so ``g.query`` still runs on Oxigraph."""
        import rdflib

        store = getattr(self.backend, "store", None)
        if store is None:  # remote endpoint: a local copy
            nt = ox.serialize((ox.Triple(q.subject, q.predicate, q.object) for q in self.backend.quads()),
                              format=ox.RdfFormat.N_TRIPLES)
            return rdflib.Graph().parse(data=nt.decode("utf-8"), format="nt")
        import oxrdflib

        return rdflib.Graph(store=oxrdflib.OxigraphStore(store=store),
                            identifier=rdflib.graph.DATASET_DEFAULT_GRAPH_ID)


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


def _with_timeout(fn, seconds: float):
    """Run ``fn`` in a worker thread; give up after ``seconds``. The engine cannot be
    interrupted, so the worker is left to finish in the background (daemon thread)."""
    box: dict = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as err:  # handed to the caller's thread
            box["error"] = err

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    if t.is_alive():
        raise QueryTimeout(f"query did not finish within {seconds:g} s (--timeout)")
    if "error" in box:
        raise box["error"]
    return box["value"]


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
        from .storage import open_store_backend

        backend = open_store_backend(Path(store), data)
    elif data or not bundled:
        files = ([*paths.bundled_files()] if bundled else []) + data
        backend = _in_memory(files, "memory: " + ", ".join(map(str, files)))
    else:
        from .bundle import open_bundled

        opened = open_bundled()
        if opened is None:  # no writable cache: parse into memory instead
            backend = _in_memory(paths.bundled_files(), "memory: bundled")
        else:
            store, names, d = opened
            backend = LocalBackend(store, names, description=f"bundled ({d})")
    if reason:
        from .reasoning import closure

        backend = LocalBackend(closure(backend, reason), description=f"{backend.description}, {reason} closure")
    return KnowledgeGraph(backend)


def _in_memory(files: list[Path], description: str) -> LocalBackend:
    from .rdfio import load_files

    mem = ox.Store()
    load_files(mem, files)
    return LocalBackend(mem, description=description)

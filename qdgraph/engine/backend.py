"""Backends: where a KnowledgeGraph's queries run. Every backend has the same small, typed
interface (``Backend``), so nothing above this layer needs to know which one it holds:

- ``LocalBackend``: an Oxigraph store in this process (in memory);
- ``StoreBackend``: a store on disk (``qdgraph load``, or the bundled graph's compiled cache),
  opened read-only, with its name index;
- ``qdgraph.engine.remote.EndpointBackend``: a SPARQL 1.1 endpoint over HTTP.

A backend answers query text whose prefixes are predeclared, with parameters bound as RDF terms
by the engine, never pasted into the text; the read-only guard runs before (``qdgraph.engine.graph``).
"""
from __future__ import annotations

import functools
import re
import threading
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, NamedTuple, Protocol, Union, runtime_checkable

import pyoxigraph as ox

from qdgraph.errors import QdgraphError, QueryTimeout, UsageError
from qdgraph.storage.generations import STORE_SUBDIR, StoreError, current_generation
from qdgraph.names import NameIndex
from qdgraph.namespaces import PREFIXES
from qdgraph.engine.results import AskResult, GraphResult, SelectResult
from qdgraph.engine.sparql import bind_values, syntax_error, tokens

if TYPE_CHECKING:
    from qdgraph.queryfiles import StreamKeys

Result = Union[SelectResult, AskResult, GraphResult]

# Relative IRIs in a query (``<indicator-gdp>``) resolve against the data namespace (qdr:);
# the server resolves against its endpoint URL instead, as SPARQL endpoints do.
QUERY_BASE = PREFIXES["qdr"]


class Dataset(NamedTuple):
    """An RDF dataset chosen by the protocol's default-graph-uri / named-graph-uri (IRIs)."""

    default: tuple[str, ...] = ()
    named: tuple[str, ...] = ()

    def __bool__(self):
        return bool(self.default or self.named)


# FROM is followed by an IRI or a prefixed name: a query without this has no FROM clause (a
# comment saying "from the file" no longer sends every named query through the tokeniser)
_GAP = r"(?:\s|#[^\r\n]*[\r\n])+"  # white space and comments
_MAY_HAVE_FROM = re.compile(rf"(?i)\bfrom{_GAP}(?:named{_GAP})?(?:<|[^\W\d][\w.-]*:|:)")


def query_dataset(query: str) -> Dataset:
    """The graphs a query's FROM / FROM NAMED clauses name (IRIs or prefixed names)."""
    from qdgraph.namespaces import expand

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


@runtime_checkable
class Backend(Protocol):
    description: str
    # what identifies the content when it can never change (a store generation), else None:
    # callers may keep what they compute from the whole graph under this key
    snapshot: str | None
    # True when the engine runs in this process on graphs it holds: FROM / FROM NAMED and a
    # protocol dataset resolve against those graphs (never fetched), relative IRIs against a
    # chosen base, and a SELECT can be streamed (``stream``). False for a remote endpoint.
    local: bool

    def query(self, text: str, params: Mapping[str, Any], *, limit: int | None = None,
              timeout: float | None = None) -> Result:
        """The answer, materialised; at most ``limit`` rows or triples (``truncated`` set when
        there were more); ``QueryTimeout`` after ``timeout`` seconds."""

    def quads(self, subject: Any = None, predicate: Any = None, object: Any = None) -> Iterable["ox.Quad"]:
        """The quads matching a pattern (None: any)."""

    def names(self) -> NameIndex | None:
        """The stored name index, or None: the graph then builds one with SPARQL
        (``qdgraph.names.build_index``)."""

    def kept(self, name: str, text: str, params: Mapping[str, Any], *, limit: int | None = None) -> Result | None:
        """The answer to the named query ``name`` kept with the graph (``qdgraph.storage.answers``),
        or None: the query is then run."""

    def __len__(self) -> int: ...


class LocalBackend:
    """An Oxigraph store in this process."""

    snapshot = None  # an in-memory store can change
    local = True

    def __init__(self, store: "ox.Store", description: str = "memory"):
        self._store = store
        self.description = description

    def query(self, text: str, params: Mapping[str, Any], *, limit: int | None = None,
              timeout: float | None = None, base_iri: str | None = QUERY_BASE,
              dataset: Dataset | None = None) -> Result:
        """As ``Backend.query``; relative IRIs resolve against ``base_iri``, and ``dataset``
        (or the query's FROM / FROM NAMED) picks graphs this store holds, never fetched."""
        def run():
            cut = None if limit is None else limit + 1
            return truncate(materialise(self.run(text, params, base_iri=base_iri, dataset=dataset), cut), limit)

        return run() if not timeout else with_timeout(run, timeout)

    def stream(self, text: str, params: Mapping[str, Any], *, base_iri: str | None = QUERY_BASE):
        """A SELECT as a ``LazySelect`` whose rows are read from the engine as they are
        iterated (a huge answer is never held whole); other answers materialised."""
        res = self.run(text, params, base_iri=base_iri)
        if not isinstance(res, ox.QuerySolutions):
            return materialise(res)
        return LazySelect([v.value for v in res.variables], res)

    def stream_keyed(self, text: str, params: Mapping[str, Any], keys: "StreamKeys", head: str | None = None):
        """``stream`` for a named query whose rows are ordered first on declared keys (its
        ``# stream:`` header): the least key's rows first, answered by ``head`` (default: the
        text) with the key bound, then the rest, by the text with a FILTER keeping the rows
        after that key. Same rows in the same order as ``stream``; the first row comes after
        a few small queries instead of after the whole answer is sorted (Oxigraph sorts before
        it gives any row: 3 s for the 50,000 enterprises at 1 M triples)."""
        try:
            least = self.least_key(keys, params)
            if least is None:  # no row, or a key that is not an IRI: the plain query
                return self.stream(text, params)
            first = self._solutions(head or text, params, least)
        except (OSError, ValueError, RuntimeError) as err:  # a store RocksDB cannot read, as in ``run``
            raise QdgraphError(f"query failed: {err}") from None
        variables = [v.value for v in first.variables]

        def solutions():
            yield from first
            yield from self.run(after_keys(text, keys.keys, least), params)

        return LazySelect(variables, solutions())

    def least_key(self, keys: "StreamKeys", params: Mapping[str, Any]) -> dict | None:
        """The least values of ``keys.keys`` among the solutions of ``keys.pattern`` with
        ``params`` bound (``qdgraph.storage.answers.least_key``); None when there is none or one
        is not an IRI."""
        from qdgraph.storage.answers import least_key

        return least_key(lambda text, bound: self._solutions(text, {}, bound), keys, params)

    def _solutions(self, text: str, params: Mapping[str, Any], keys: Mapping[str, Any]):
        """``text`` with ``keys`` substituted (projected variables) and ``params`` bound as ``run``
        binds them."""
        subs = {ox.Variable(k): v for k, v in {**params, **keys}.items()}
        try:
            return self._store.query(text, prefixes=PREFIXES, substitutions=subs, base_iri=QUERY_BASE)
        except RuntimeError as err:
            if not params or "projection" not in str(err):
                raise
            return self._store.query(bind_values(text, params), prefixes=PREFIXES, base_iri=QUERY_BASE,
                                     substitutions={ox.Variable(k): v for k, v in keys.items()})

    def run(self, text: str, params: Mapping[str, Any], *, base_iri: str | None = QUERY_BASE,
            dataset: Dataset | None = None):
        """The engine's lazy answer (pyoxigraph QuerySolutions / QueryTriples / QueryBoolean);
        the server iterates it itself to cut at its row cap."""
        subs = {ox.Variable(k): v for k, v in params.items()}
        # the protocol's dataset replaces the query's FROM / FROM NAMED (SPARQL 1.1 Protocol
        # 2.1.4); either way only graphs this store holds, never anything fetched
        # cheap looks first: the regex costs 45-145 µs a query (5-7 % of a served answer), the substring test a tenth
        chosen = dataset or (query_dataset(text) if "from" in text.lower() and _MAY_HAVE_FROM.search(text) else None)
        graphs = self.resolve_dataset(chosen) if chosen else {}
        try:
            try:
                return self._store.query(text, prefixes=PREFIXES, substitutions=subs or None, base_iri=base_iri,
                                         **graphs)
            except RuntimeError as err:
                # pyoxigraph 0.5 only substitutes variables a SELECT projects; bind the others
                # with a VALUES block, as for a remote endpoint (terms written by pyoxigraph).
                if not subs or "projection" not in str(err):
                    raise
                return self._store.query(bind_values(text, params), prefixes=PREFIXES, base_iri=base_iri, **graphs)
        except SyntaxError as err:
            raise syntax_error(err, text) from None
        except (OSError, ValueError, RuntimeError) as err:
            raise QdgraphError(f"query failed: {err}") from None

    def resolve_dataset(self, dataset: Dataset) -> dict:
        """The query's dataset as Oxigraph's ``default_graph`` / ``named_graphs``: only graphs
        this store holds (anything else is refused: nothing is ever fetched to fill it)."""
        def held(g: str) -> bool:
            try:
                return self._store.contains_named_graph(ox.NamedNode(g))
            except ValueError:  # not an absolute IRI
                return False

        missing = [g for g in (*dataset.default, *dataset.named) if not held(g)]
        if missing:
            raise UsageError(f"no graph <{missing[0]}> in this store: the dataset can only name graphs it holds, "
                             "and nothing is fetched")
        return {"default_graph": [ox.NamedNode(g) for g in dataset.default],
                "named_graphs": [ox.NamedNode(g) for g in dataset.named]}

    def quads(self, subject=None, predicate=None, object=None) -> Iterable["ox.Quad"]:
        return self._store.quads_for_pattern(subject, predicate, object, None)

    def names(self) -> NameIndex | None:
        return None

    def kept(self, name: str, text: str, params: Mapping[str, Any], *, limit: int | None = None) -> Result | None:
        return None  # an in-memory store can change: nothing is kept

    def kept_tsv(self, name: str, text: str, param: Any) -> bytes | None:
        return None

    def kept_params(self, name: str, text: str) -> list[str] | None:
        return None

    def __len__(self) -> int:
        return len(self._store)


class StoreBackend(LocalBackend):
    """A store on disk (see ``qdgraph.storage.generations``), opened read-only."""

    def __init__(self, store_dir: Path, description: str | None = None, generation: str | None = None):
        self.gen = Path(store_dir) / generation if generation else current_generation(store_dir)
        self._dir = store_dir
        if not (self.gen / STORE_SUBDIR / "CURRENT").is_file():  # RocksDB's own: the database is gone
            raise StoreError(f"{store_dir}: cannot open the store: no database in {self.gen / STORE_SUBDIR}")
        # the database is opened when a query first needs it: a lookup answered from the name
        # index and the kept answers never opens it (70 ms of a 1 M-triple store)
        self.description = description or f"store {store_dir}"
        self.snapshot = str(self.gen.resolve())  # a generation is never written again
        self._answers = None  # opened on first use

    @functools.cached_property
    def _store(self) -> "ox.Store":
        try:
            return _open_read_only(self.gen / STORE_SUBDIR)
        except (OSError, RuntimeError) as err:  # RocksDB reports a damaged file as a RuntimeError
            raise StoreError(f"{self._dir}: cannot open the store: {err}") from None

    def kept(self, name: str, text: str, params: Mapping[str, Any], *, limit: int | None = None) -> Result | None:
        """The answer kept with this generation, when there is one for this query text and value."""
        values = list(params.values())
        if len(values) > 1 or (values and not isinstance(values[0], ox.NamedNode)) or not self._kept_answers():
            return None
        solutions = self._answers.get(name, text, values[0] if values else None)  # none: kept whole
        return None if solutions is None else truncate(materialise(solutions, None if limit is None else limit + 1), limit)

    def kept_tsv(self, name: str, text: str, param: Any) -> bytes | None:
        """The answer kept for the named query ``name`` and the IRI ``param`` as it is kept (SPARQL
        TSV), or None: for a caller that reads a large answer's text itself, without a term object
        for each value (``progress`` reads 10k figures so: 60 -> 6 ms)."""
        if not isinstance(param, ox.NamedNode) or not self._kept_answers():
            return None
        return self._answers.tsv(name, text, param)

    def kept_params(self, name: str, text: str) -> list[str] | None:
        """The IRIs the named query ``name`` has answers kept for (the instances of its memo
        class), or None: for a caller that asks it of every instance without the database."""
        return self._answers.params(name, text) if self._kept_answers() else None

    def least_key(self, keys: "StreamKeys", params: Mapping[str, Any]) -> dict | None:
        """As ``LocalBackend.least_key``, kept with the generation for a listing without
        parameters (found when the store was built: a generation is never written again)."""
        kept = self._kept_answers().least(keys) if not params and self._kept_answers() else False
        return super().least_key(keys, params) if kept is False else kept

    def _kept_answers(self):
        """The generation's kept answers (``qdgraph.storage.answers``), opened once; False if none."""
        if self._answers is None:
            from qdgraph.storage.answers import open_answers

            self._answers = open_answers(self.gen) or False
        return self._answers

    def names(self) -> NameIndex | None:
        """The index kept with the generation (opened on each call: the graph keeps it); None
        when it is missing or damaged: the graph then builds it from the store, so a name index
        on disk never holds a state a user can trip on."""
        from qdgraph.storage.namestore import open_names

        return open_names(self.gen)

    def backup(self, target: Path) -> None:
        """Copy the database to ``target`` (hard links where it can: cheap), for a writer
        building the next generation."""
        self._store.backup(str(target))


def _open_read_only(folder: Path) -> "ox.Store":
    if not (folder / "CURRENT").is_file():  # RocksDB's own: the database is gone
        raise OSError(f"no database in {folder}")
    return ox.Store.read_only(str(folder))


def materialise(res, limit: int | None = None) -> Result:
    """A pyoxigraph answer as a qdgraph result, reading at most ``limit`` rows or triples
    (evaluation errors surface while iterating, so they are caught here too)."""
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


def after_keys(text: str, keys: tuple[str, ...], least: Mapping[str, Any]) -> str:
    """``text`` keeping only the rows whose keys come after ``least`` (in the order of their
    ``?v_key`` strings): a FILTER closing its WHERE group. The key strings are written by
    pyoxigraph (escaped N-Triples literals)."""
    ends = [o for kind, t, o in tokens(text) if kind == "punct" and t == "}"]
    order = re.search(r"^ORDER BY\b", text, re.M)
    close = max(o for o in ends if o < order.start())
    after = []
    for i, key in enumerate(keys):
        same = [f"?{k}_key = {ox.Literal('k' + least[k].value)}" for k in keys[:i]]
        after.append("(" + " && ".join([*same, f"?{key}_key > {ox.Literal('k' + least[key].value)}"]) + ")")
    return text[:close] + f"  FILTER ({' || '.join(after)})\n" + text[close:]


def truncate(res: Result, limit: int | None) -> Result:
    """Keep at most ``limit`` rows (or triples); mark the result truncated if some were cut."""
    items = res.rows if res.kind == "select" else res.triples if res.kind == "graph" else None
    if items is not None and limit is not None and len(items) > limit:
        del items[limit:]
        res.truncated = True
    return res


def with_timeout(fn, seconds: float):
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
        raise QueryTimeout(f"query did not finish within {seconds:g} s").for_cli(
            f"query did not finish within {seconds:g} s (--timeout)")
    if "error" in box:
        raise box["error"]
    return box["value"]

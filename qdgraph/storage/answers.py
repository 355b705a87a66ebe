"""Answers kept with a store generation (``answers.sqlite``): the named queries a lookup runs
(``# memo: qd:Indicator`` in their header) answered while the store is built, for every
instance of that class (``# memo: whole``: a query without parameters, once), and kept as
SPARQL TSV results (every RDF term written exactly, in N-Triples syntax; read back twice as
fast as the JSON format).

Why: at a million triples, ``qdgraph measures`` walked some 2,000 claims, premises and quotes in
five queries (0.7 s on these machines) for an answer that cannot change, since a generation is
never written again. Reading it back takes a few milliseconds. The file keeps the text of each
query it answered, so a qdgraph whose query changed asks the store instead; anything missing or
damaged is asked of the store too, so the file is only ever a shortcut.

The answers are computed exactly as ``LocalBackend.run`` would (same prefixes, base IRI and
substitution of the parameter), and ``tests/test_kept_answers.py`` checks they are the same,
row for row.
"""
from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import pyoxigraph as ox

from qdgraph.namespaces import PREFIXES, expand
from qdgraph.queryfiles import WHOLE
from qdgraph.storage.generations import ANSWERS_DB

RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")
FEW_KEYS = 100  # distinct values of a streamed key read whole; past that, the engine's MIN
LEAST = "least-key/1"  # the answers' query name of the kept least keys (the version of their meaning)
SOME = "_:"  # the param of a row saying a query's answers are kept for some of its class's instances only


def write_answers(gen: Path, store: "ox.Store", queries, workers: int = 2) -> dict:
    """Answer each of ``queries`` with a ``memo`` class for every instance of its class in
    ``store``, find the least keys of those that stream a listing, and keep both in ``gen``;
    returns what the manifest records."""
    started = time.perf_counter()
    rows = answer_all(store, [q for q in queries if q.memo], workers) + least_rows(store, queries)
    return save_answers(gen, queries, rows, started)


def answer_all(store: "ox.Store", queries, workers: int = 2) -> list[tuple[str, str, bytes]]:
    """(query name, instance IRI, SPARQL TSV) for each of ``queries`` and each instance of its
    class in ``store`` (a ``memo: whole`` query: its one answer, the IRI ""; a class with an
    instance that is a blank node: a row (name, SOME, b"") besides). The engine releases the
    GIL while it evaluates: two threads keep both cores busy."""
    from concurrent.futures import ThreadPoolExecutor  # only when building (30 ms to import)

    jobs, marks = [], []
    for q in queries:
        if q.memo == WHOLE:
            jobs.append((q, None, None))
            continue
        var = ox.Variable(q.params[0].name)
        instances = {t.subject for t in store.quads_for_pattern(None, RDF_TYPE, ox.NamedNode(expand(q.memo)))}
        for inst in sorted(i.value for i in instances if isinstance(i, ox.NamedNode)):
            jobs.append((q, var, ox.NamedNode(inst)))
        if any(not isinstance(i, ox.NamedNode) for i in instances):  # a blank node has no kept answer
            marks.append((q.name, SOME, b""))
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda job: answer_one(store, *job), jobs)) + marks


def answer_one(store: "ox.Store", q, var: "ox.Variable | None", node: "ox.NamedNode | None") -> tuple[str, str, bytes]:
    """(query name, the instance in N-Triples syntax or "" for a whole answer, SPARQL TSV)."""
    res = store.query(q.text, prefixes=PREFIXES, substitutions={var: node} if var is not None else None,
                      base_iri=PREFIXES["qdr"])
    return q.name, "" if node is None else str(node), res.serialize(format=ox.QueryResultsFormat.TSV)


def least_key(solutions, keys, bound: dict | None = None) -> dict | None:
    """The least values of ``keys.keys`` (a ``# stream:`` header's, in that order, IRIs compared
    as strings, as their ``CONCAT("k", STR(?v))`` keys are) among the solutions of
    ``keys.pattern``, with ``bound`` (variable → term) fixed; None when there is none or one is
    not an IRI. ``solutions(text, bound)`` runs a query with those terms substituted. A key with
    few values is read whole and the least taken here (the engine compares ids, never reading a
    string); one with many is left to the engine's MIN (about 2.5 µs a row: it reads the IRIs'
    text; so a store keeps the least keys of its listings: ``least_rows``)."""
    bound = dict(bound or {})
    for key in keys.keys:
        fixed = " ".join("?" + v for v in bound)  # projected: pyoxigraph substitutes only those
        values = [sol[key] for sol in solutions(
            f"SELECT DISTINCT {fixed} ?{key} WHERE {keys.pattern} LIMIT {FEW_KEYS + 1}", bound)]
        if len(values) > FEW_KEYS:
            group = f" GROUP BY {fixed}" if fixed else ""
            # MIN puts a blank node before every IRI (caught below) but a literal after them,
            # where its key string may sort first: a key that may be a literal is counted
            # (60-90 ms at 50,000 rows, so only where it may), and any sends the query the plain way
            others = "" if _subject_only(keys.pattern, key) else f" (SUM(IF(isIRI(?{key}), 0, 1)) AS ?others)"
            sols = list(solutions(f"SELECT {fixed} (MIN(?{key}) AS ?least){others} WHERE {keys.pattern}{group}", bound))
            if others and any(sol["others"] is None or sol["others"].value != "0" for sol in sols):
                return None
            values = [sol["least"] for sol in sols]
        if not values or not all(isinstance(v, ox.NamedNode) for v in values):
            return None
        bound[key] = min(values, key=lambda t: t.value)  # str order is code point order, as the engine's
    return {k: bound[k] for k in keys.keys}


def _subject_only(pattern: str, var: str) -> bool:
    """Whether ``?var`` stands only first in the triple patterns of ``pattern`` (after ``{``,
    ``}`` or ``.``), where it can only be an IRI or a blank node, never a literal."""
    starts = [m.start() for m in re.finditer(rf"\?{var}\b", pattern)]
    return bool(starts) and all(re.search(r"(?:^|[{}.])\s*$", pattern[:i]) for i in starts)


def least_rows(store: "ox.Store", queries) -> list[tuple[str, str, bytes]]:
    """The least keys of each of ``queries`` that streams a listing without parameters, as rows
    of the answers table: a listing's first row then waits for one SQLite read, not for the
    engine's MIN over every key (at 1 M triples, 120-400 ms of the 50,000 enterprises' IRIs).
    The keys' IRIs, tab-separated; an empty text when there is no least key (the plain query)."""
    def solutions(text, bound):
        return store.query(text, prefixes=PREFIXES, base_iri=PREFIXES["qdr"],
                           substitutions={ox.Variable(k): v for k, v in bound.items()})

    rows, done = [], set()
    for q in queries:
        if q.stream is None or q.params or q.stream in done:
            continue
        done.add(q.stream)
        least = least_key(solutions, q.stream)
        rows.append((LEAST, _least_param(q.stream),
                     b"" if least is None else "\t".join(least[k].value for k in q.stream.keys).encode()))
    return rows


def _least_param(keys) -> str:
    return " ".join("?" + k for k in keys.keys) + " in " + keys.pattern


def save_answers(gen: Path, queries, rows: list, started: float) -> dict:
    """Keep ``rows`` (as ``answer_all`` and ``least_rows`` give them) in ``gen``; returns what the
    manifest records."""
    db = sqlite3.connect(Path(gen) / ANSWERS_DB)
    try:
        db.execute("PRAGMA journal_mode = OFF")  # a new file in a generation nobody reads yet
        db.execute("PRAGMA synchronous = OFF")
        db.executescript("CREATE TABLE queries (query TEXT PRIMARY KEY, text TEXT NOT NULL);"
                         "CREATE TABLE answers (query TEXT NOT NULL, param TEXT NOT NULL, result BLOB NOT NULL, "
                         "PRIMARY KEY (query, param));")
        db.executemany("INSERT INTO queries VALUES (?, ?)", {(q.name, q.text) for q in queries if q.memo})
        db.executemany("INSERT INTO answers VALUES (?, ?, ?)", rows)
        db.commit()
    finally:
        db.close()
    return {"queries": sorted({q.name for q in queries if q.memo}), "answers": sum(r[0] != LEAST and r[1] != SOME for r in rows),
            "least_keys": sum(r[0] == LEAST for r in rows),
            "seconds": round(time.perf_counter() - started, 3)}


class Answers:
    """The answers kept in a generation, read as needed (one SQLite lookup each)."""

    def __init__(self, gen: Path):
        """Raises ValueError when ``gen`` keeps no answers we wrote."""
        path = Path(gen) / ANSWERS_DB
        if not path.is_file():
            raise ValueError(f"{path}: no kept answers")
        try:
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            self._db.execute("SELECT query, param, result FROM answers LIMIT 1").fetchall()
            self._texts = dict(self._db.execute("SELECT query, text FROM queries").fetchall())
        except sqlite3.Error as err:
            raise ValueError(f"{path}: not kept answers ({err})") from None

    def get(self, name: str, text: str, param: "ox.NamedNode | None"):
        """The kept answer (pyoxigraph QuerySolutions) or None; ``param`` None: a whole answer."""
        data = self.tsv(name, text, param)
        try:
            return None if data is None else ox.parse_query_results(data, format=ox.QueryResultsFormat.TSV)
        except (SyntaxError, ValueError):  # damaged: the store answers instead
            return None

    def tsv(self, name: str, text: str, param: "ox.NamedNode | None") -> bytes | None:
        """The kept answer as it is kept (SPARQL TSV), or None: for a reader that takes a large
        answer's text apart itself, without a term object for each value (``progress``: 10k figures)."""
        if self._texts.get(name) != text:  # answered by another version of the query, or never
            return None
        return self._result(name, "" if param is None else str(param))

    def params(self, name: str, text: str) -> list[str] | None:
        """The IRIs ``name`` has answers kept for (the instances of its memo class when the store
        was built: what a caller asking it of every instance asks), or None when none are kept
        for this text."""
        if self._texts.get(name) != text:
            return None
        try:
            rows = self._db.execute("SELECT param FROM answers WHERE query = ? ORDER BY param", (name,)).fetchall()
        except sqlite3.Error:
            return None
        if any(p == SOME for p, in rows):  # an instance that is a blank node has none
            return None
        return [p[1:-1] for p, in rows if p.startswith("<") and p.endswith(">")]

    def least(self, keys) -> dict | None | bool:
        """The least keys kept for a listing's ``# stream:`` header (``least_rows``): a dict,
        None when the listing has none, or False when none were kept (the engine finds them)."""
        data = self._result(LEAST, _least_param(keys))
        if data is None:
            return False
        if not data:
            return None
        try:
            values = [ox.NamedNode(v) for v in data.decode("utf-8").split("\t")]
        except (UnicodeDecodeError, ValueError):  # damaged: the engine finds them
            return False
        return dict(zip(keys.keys, values)) if len(values) == len(keys.keys) else False

    def _result(self, query: str, param: str) -> bytes | None:
        """The kept result of ``query`` for ``param``; None when there is none as we keep it,
        or the file is damaged (the store answers instead)."""
        try:
            row = self._db.execute("SELECT result FROM answers WHERE query = ? AND param = ?", (query, param)).fetchone()
        except sqlite3.Error:
            return None
        return row[0] if row is not None and isinstance(row[0], bytes) else None


def open_answers(gen: Path) -> Answers | None:
    try:
        return Answers(gen)
    except ValueError:
        return None

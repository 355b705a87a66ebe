"""Answers kept with a store generation (``answers.sqlite``): the named queries a lookup runs
(``# memo: qd:Indicator`` in their header) answered while the store is built, for every
instance of that class, and kept as SPARQL TSV results (every RDF term written exactly, in
N-Triples syntax; read back twice as fast as the JSON format).

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

import sqlite3
import time
from pathlib import Path

import pyoxigraph as ox

from qdgraph.namespaces import PREFIXES, expand
from qdgraph.storage.generations import ANSWERS_DB

RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")


def write_answers(gen: Path, store: "ox.Store", queries, workers: int = 2) -> dict:
    """Answer each of ``queries`` (NamedQuery records with a ``memo`` class) for every instance
    of its class in ``store`` and keep the answers in ``gen``; returns what the manifest records."""
    started = time.perf_counter()
    return save_answers(gen, queries, answer_all(store, queries, workers), started)


def answer_all(store: "ox.Store", queries, workers: int = 2) -> list[tuple[str, str, bytes]]:
    """(query name, instance IRI, SPARQL TSV) for each of ``queries`` and each instance of its
    class in ``store``. The engine releases the GIL while it evaluates: two threads keep both
    cores busy."""
    from concurrent.futures import ThreadPoolExecutor  # only when building (30 ms to import)

    jobs = []
    for q in queries:
        var = ox.Variable(q.params[0].name)
        for inst in sorted({t.subject.value for t in store.quads_for_pattern(None, RDF_TYPE, ox.NamedNode(expand(q.memo)))
                            if isinstance(t.subject, ox.NamedNode)}):
            jobs.append((q, var, ox.NamedNode(inst)))
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda job: answer_one(store, *job), jobs))


def answer_one(store: "ox.Store", q, var: "ox.Variable", node: "ox.NamedNode") -> tuple[str, str, bytes]:
    res = store.query(q.text, prefixes=PREFIXES, substitutions={var: node}, base_iri=PREFIXES["qdr"])
    return q.name, str(node), res.serialize(format=ox.QueryResultsFormat.TSV)


def save_answers(gen: Path, queries, rows: list, started: float) -> dict:
    """Keep ``rows`` (as ``answer_all`` gives them) in ``gen``; returns what the manifest records."""
    db = sqlite3.connect(Path(gen) / ANSWERS_DB)
    try:
        db.execute("PRAGMA journal_mode = OFF")  # a new file in a generation nobody reads yet
        db.execute("PRAGMA synchronous = OFF")
        db.executescript("CREATE TABLE queries (query TEXT PRIMARY KEY, text TEXT NOT NULL);"
                         "CREATE TABLE answers (query TEXT NOT NULL, param TEXT NOT NULL, result BLOB NOT NULL, "
                         "PRIMARY KEY (query, param));")
        db.executemany("INSERT INTO queries VALUES (?, ?)", {(q.name, q.text) for q in queries})
        db.executemany("INSERT INTO answers VALUES (?, ?, ?)", rows)
        db.commit()
    finally:
        db.close()
    return {"queries": sorted({q.name for q in queries}), "answers": len(rows),
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

    def get(self, name: str, text: str, param: "ox.NamedNode"):
        """The kept answer (pyoxigraph QuerySolutions) or None."""
        if self._texts.get(name) != text:  # answered by another version of the query, or never
            return None
        try:
            row = self._db.execute("SELECT result FROM answers WHERE query = ? AND param = ?",
                                   (name, str(param))).fetchone()
            return None if row is None else ox.parse_query_results(row[0], format=ox.QueryResultsFormat.TSV)
        except (sqlite3.Error, SyntaxError, ValueError):  # damaged: the store answers instead
            return None


def open_answers(gen: Path) -> Answers | None:
    try:
        return Answers(gen)
    except ValueError:
        return None

"""The name index on disk: one SQLite file (``names.sqlite``) beside each store generation
(and beside an endpoint's cached index), written once by ``write_names`` and read by
``open_names``: entries by IRI, and the exact names (normalised labels, full pinyin) as an
indexed table, so a lookup that names something outright reads only its hits, and a big
index is never read whole unless a partial name or a near miss needs the ranked search.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from qdgraph.names import NameIndex, normalize, normalized_labels
from qdgraph.storage.generations import NAMES_DB


def write_names(folder: Path, entries: list[dict]) -> None:
    """Write the index into ``folder`` (a new generation, or a folder renamed into place
    afterwards: nobody reads the file while it is written)."""
    db = sqlite3.connect(Path(folder) / NAMES_DB)
    try:
        db.execute("PRAGMA journal_mode = OFF")  # a new file nobody reads yet
        db.execute("PRAGMA synchronous = OFF")
        db.executescript("CREATE TABLE entries (iri TEXT PRIMARY KEY, entry TEXT NOT NULL);"
                         "CREATE TABLE keys (key TEXT NOT NULL, iri TEXT NOT NULL);")
        db.executemany("INSERT INTO entries VALUES (?, ?)",
                       ((e["iri"], json.dumps(e, ensure_ascii=False)) for e in entries))
        db.executemany("INSERT INTO keys VALUES (?, ?)", ((k, e["iri"]) for e in entries for k in _exact_keys(e)))
        db.execute("CREATE INDEX keys_key ON keys (key)")
        db.commit()
    finally:
        db.close()


def _exact_keys(e: dict) -> set[str]:
    """The texts that name ``e`` outright: its labels (normalised) and its full pinyin."""
    keys = set(e.get("normalized") or normalized_labels(e))
    keys.update(e.get("pinyin", []))
    keys.discard("")
    return keys


def open_names(folder: Path) -> "StoreNameIndex | None":
    """The name index kept in ``folder``; None when there is none or the file is not one we
    wrote (cut short, overwritten): the caller then builds the index from the graph itself."""
    try:
        return StoreNameIndex(Path(folder))
    except ValueError:
        return None


def load_names(folder: Path) -> list[dict] | None:
    """Every entry of the index kept in ``folder`` (None as for ``open_names``)."""
    index = open_names(folder)
    return None if index is None else index.entries


class StoreNameIndex(NameIndex):
    """A name index read from ``names.sqlite`` as needed.

    Most lookups name something outright (its label or its pinyin); those are answered from the
    indexed ``keys`` table. Only a partial name or a near miss needs the full ranked search, and
    then every entry is read. The answers are the same as NameIndex's: an exact label scores 100
    and an exact pinyin 95, above every partial match (< 95), so when an exact key hits, the
    best-scoring entries are all among its hits.
    """

    def __init__(self, folder: Path):  # deliberately not calling NameIndex.__init__: lazy
        """Raises ValueError when ``folder`` holds no index we wrote (none, cut short, overwritten)."""
        path = folder / NAMES_DB
        if not path.is_file():
            raise ValueError(f"{path}: no name index")
        try:
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            self._db.execute("SELECT iri, entry FROM entries LIMIT 1").fetchall()  # damage shows here
            self._db.execute("SELECT key, iri FROM keys LIMIT 1").fetchall()
        except sqlite3.Error as err:
            raise ValueError(f"{path}: not a name index ({err})") from None
        self._full: NameIndex | None = None
        self._seen: dict = {}  # entries read one by one or prefetched

    def _all(self) -> NameIndex:
        if self._full is None:
            # one JSON text for the whole table: 3× faster than decoding row by row
            (text,) = self._db.execute("SELECT '[' || coalesce(group_concat(entry, ','), '') || ']' "
                                       "FROM (SELECT entry FROM entries ORDER BY iri)").fetchone()
            self._full = NameIndex(json.loads(text))
        return self._full

    @property
    def entries(self):
        return self._all().entries

    @property
    def by_iri(self):
        return self._all().by_iri

    def entry(self, iri: str) -> dict | None:
        if self._full is not None:
            return self._full.entry(iri)
        seen = self._seen.get(iri, False)
        if seen is not False:
            return seen
        row = self._db.execute("SELECT entry FROM entries WHERE iri = ?", (iri,)).fetchone()
        e = self._seen[iri] = json.loads(row[0]) if row else None
        return e

    def prefetch(self, iris) -> None:
        """Read the entries of ``iris`` in a few queries, not one each (a lookup labels ~2,000
        nodes at 1 M triples: 0.1 s one by one)."""
        want = [i for i in dict.fromkeys(iris) if i not in self._seen]
        for k in range(0, len(want), 500):  # under SQLite's limit on bound parameters
            chunk = want[k:k + 500]
            found = dict(self._db.execute(f"SELECT iri, entry FROM entries WHERE iri IN ({','.join('?' * len(chunk))})",
                                          chunk).fetchall())
            for iri in chunk:
                self._seen[iri] = json.loads(found[iri]) if iri in found else None

    def _candidates(self, text: str, types: list) -> NameIndex:
        """The entries that ``text`` names outright, from SQLite, when there are any (an exact
        key outscores every partial match, so the best answers are all among them); else all."""
        q = normalize(text)
        if q and self._full is None:
            rows = self._db.execute("SELECT DISTINCT entries.entry FROM keys JOIN entries USING (iri) "
                                    "WHERE keys.key = ?", (q,)).fetchall()
            hits = [json.loads(r[0]) for r in rows]
            hits = [e for e in hits if not types or set(types) & set(e["types"])]
            if hits:
                return NameIndex(hits)
        return self._all()

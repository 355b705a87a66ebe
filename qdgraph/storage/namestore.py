"""The name index of a store on disk: written beside each generation, as a JSON list (for
library code that wants it all) and as an SQLite table keyed by exact names (for lookups that
must not read it all)."""
from __future__ import annotations

import json
from pathlib import Path

from qdgraph.storage.generations import NAMES_DB, NAMES_FILE
from qdgraph.names import NameIndex, normalize, normalized_labels


def write_names(gen: Path, entries: list[dict]) -> None:
    import sqlite3

    texts = [json.dumps(e, ensure_ascii=False) for e in entries]
    (gen / NAMES_FILE).write_text("[" + ", ".join(texts) + "]", encoding="utf-8")
    db = sqlite3.connect(gen / NAMES_DB)
    try:
        db.execute("PRAGMA journal_mode = OFF")  # a new file in a generation nobody reads yet
        db.execute("PRAGMA synchronous = OFF")
        db.executescript("CREATE TABLE entries (iri TEXT PRIMARY KEY, entry TEXT NOT NULL);"
                         "CREATE TABLE keys (key TEXT NOT NULL, iri TEXT NOT NULL);")
        db.executemany("INSERT INTO entries VALUES (?, ?)", ((e["iri"], t) for e, t in zip(entries, texts)))
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


def load_names(gen: Path) -> list | None:
    f = gen / NAMES_FILE
    if f.is_file():
        try:
            entries = json.loads(f.read_text(encoding="utf-8"))
        except ValueError:  # JSON and UTF-8 errors: a file overwritten or cut short (H6)
            entries = None
        if not isinstance(entries, list):
            from qdgraph.storage.generations import damaged

            raise damaged(f, gen.parent)
        return entries
    return None


LAZY_FROM = 2 << 20  # bytes of names.json: below this, reading it whole beats loading SQLite


def open_names(gen: Path) -> NameIndex:
    """The name index of generation ``gen``: lazy (SQLite) when it is big and has one."""
    names = gen / NAMES_FILE
    if (gen / NAMES_DB).is_file() and (not names.is_file() or names.stat().st_size >= LAZY_FROM):
        return StoreNameIndex(gen)
    return NameIndex(load_names(gen) or [])


class StoreNameIndex(NameIndex):
    """The name index of a big store without reading all of it.

    Most lookups name something outright (its label or its pinyin); those are answered from an
    indexed SQLite table. Only a partial name or a near miss needs the full ranked search, and
    then the whole index is loaded as usual. The answers are the same as NameIndex's: an exact
    label scores 100 and an exact pinyin 95, above every partial match (< 95), so when an exact
    key hits, the best-scoring entries are all among its hits.
    """

    def __init__(self, gen: Path):  # deliberately not calling NameIndex.__init__: lazy
        import sqlite3

        self._gen = gen
        self._db = sqlite3.connect(f"file:{gen / NAMES_DB}?mode=ro", uri=True, check_same_thread=False)
        self._full: NameIndex | None = None

    def _all(self) -> NameIndex:
        if self._full is None:
            self._full = NameIndex(load_names(self._gen) or [])
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
        row = self._db.execute("SELECT entry FROM entries WHERE iri = ?", (iri,)).fetchone()
        return json.loads(row[0]) if row else None

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

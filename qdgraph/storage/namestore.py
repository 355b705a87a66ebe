"""The name index on disk: one SQLite file (``names.sqlite``) beside each store generation
(and beside an endpoint's cached index), written once by ``write_names`` and read by
``open_names``: entries by IRI, and the exact names (normalised labels, full pinyin) as an
indexed table, so a lookup that names something outright reads only its hits; and, for a part
of a name or a near miss, the keys holding each character or pair of letters (``postings``)
and the pinyin initials, so that those read only the entries that can rank
(``StoreNameIndex``), not all of them.

Why not SQLite's FTS5: at 1 M triples its trigram index of the keys took 3.9–4.3 s of CPU and
an index of single characters 2.1 s (the whole load: 30 s of CPU, 16.6 s of wall time), and
trigrams find no part of a name under 3 characters, which most Chinese names people type are
(歌尔, 集群). The postings below take about 0.3 s.
"""
from __future__ import annotations

import json
import sqlite3
from array import array
from collections import Counter
from pathlib import Path
from typing import Iterable

from qdgraph.limits import check_name
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
                         "CREATE TABLE keys (key TEXT NOT NULL, iri TEXT NOT NULL);"
                         "CREATE TABLE postings (gram TEXT, part INTEGER, ids BLOB NOT NULL, PRIMARY KEY (gram, part)) WITHOUT ROWID;"
                         "CREATE TABLE arrays (name TEXT PRIMARY KEY, value BLOB NOT NULL);")
        # an entry's rowid is its place in ``entries`` + 1, a key's its id in ``postings`` + 1;
        # orjson: the same JSON as json.dumps but for spaces, in a quarter of the time (0.55 s
        # less at 1 M triples)
        import orjson

        db.executemany("INSERT INTO entries (rowid, iri, entry) VALUES (?, ?, ?)",
                       ((n, e["iri"], orjson.dumps(e).decode()) for n, e in enumerate(entries, 1)))
        # lists of strings and numbers, not of tuples: a million tuples kept set Python's
        # garbage collector going over every entry, again and again (seconds at 10 M triples)
        keys, owners = [], []
        for e in entries:
            for k in sorted(_exact_keys(e)):
                keys.append(k)
                owners.append(e["iri"])
        db.executemany("INSERT INTO keys (rowid, key, iri) VALUES (?, ?, ?)", zip(range(1, len(keys) + 1), keys, owners))
        db.execute("CREATE INDEX keys_key ON keys (key)")
        del owners
        counts: dict = {}
        db.executemany("INSERT INTO postings VALUES (?, ?, ?)", _postings(keys, counts))
        lengths = counts.pop("lengths")
        counts = [("count " + chr(c), counts[c].tobytes()) for c in sorted(counts)]
        # the pinyin initials, sorted, and their entries' rowids: two values, not a table (a
        # table of them and its index cost 0.3 s of CPU at 1 M triples; these 0.03 s)
        initials, rowids = [], []
        for n, e in enumerate(entries, 1):
            for i in e.get("initials", ()):
                initials.append(i)
                rowids.append(n)
        order = sorted(range(len(initials)), key=initials.__getitem__)  # stable: rowids ascend
        order = [k for j, k in enumerate(order) if initials[k] and (  # each entry's once
            not j or initials[k] != initials[order[j - 1]] or rowids[k] != rowids[order[j - 1]])]
        db.executemany("INSERT INTO arrays VALUES (?, ?)", [
            *counts, ("lengths", lengths), ("initials", "\n".join(initials[k] for k in order).encode()),
            ("initials-entries", array("i", [rowids[k] for k in order]).tobytes())])
        db.commit()
    finally:
        db.close()


def _exact_keys(e: dict) -> set[str]:
    """The texts that name ``e`` outright: its labels (normalised) and its full pinyin."""
    keys = set(e.get("normalized") or normalized_labels(e))
    keys.update(e.get("pinyin", []))
    keys.discard("")
    return keys


def _postings(keys: list[str], counts: dict):
    """What ``StoreNameIndex`` narrows with, for ``keys``: yields (gram, part, ids), the ids
    (indexes in ``keys``) of the keys of one slice (``part``) holding each gram (``grams_of``):
    each character past ASCII (a Chinese character is selective), each pair of adjacent ASCII
    characters (pinyin, English: a letter is in almost every key, a pair in few), once per
    occurrence (so that a count bounds how many characters a key shares with a text),
    ascending; and fills ``counts``: each ASCII character's count in every key (a byte each),
    and each key's length ("lengths").
    numpy sorts the grams of _SLICE keys at a time, by radix (16-bit codes): 0.3 s at 1 M
    triples, where a loop in Python took 0.9 s for characters alone; by slices, written as they
    are made, the arrays stay a few MB (all at once they took 1.2 GB and 6.5 s at 10 M).
    Little-endian arrays."""
    import numpy as np

    n = len(keys)
    lengths = np.fromiter(map(len, keys), dtype=np.int64, count=n)

    def grouped(codes, ids):
        """(code, its ids) for each code; a code's ids stay ascending (a stable sort)."""
        if not len(codes):
            return []
        order = np.argsort(codes.astype(np.uint16) if codes.max() < 1 << 16 else codes, kind="stable")
        codes, ids = codes[order], ids[order]
        cuts = (np.flatnonzero(codes[1:] != codes[:-1]) + 1).tolist()
        return [(int(codes[a]), ids[a:b]) for a, b in zip([0, *cuts], [*cuts, len(codes)])]

    # a key longer than 65,535 characters is counted shorter: its bounds only grow
    counts["lengths"] = np.minimum(lengths, 0xFFFF).astype("<u2").tobytes()
    for part, first in enumerate(range(0, n, _SLICE)):
        last = min(first + _SLICE, n)
        chars = np.frombuffer("".join(keys[first:last]).encode("utf-32-le"), dtype="<u4")
        ids = np.repeat(np.arange(first, last, dtype="<i4"), lengths[first:last])
        ascii_ = chars < 128
        pair = ascii_[:-1] & ascii_[1:] & (ids[:-1] == ids[1:])
        for c, i in grouped(chars[~ascii_], ids[~ascii_]):
            yield chr(c), part, i.tobytes()
        for c, i in grouped(chars[:-1][pair] * 128 + chars[1:][pair], ids[:-1][pair]):
            yield chr(c >> 7) + chr(c & 127), part, i.tobytes()
        for c, i in grouped(chars[ascii_], ids[ascii_]):
            if c not in counts:
                counts[c] = np.zeros(n, dtype=np.uint8)
            # a name is at most 200 characters long (limits.MAX_NAME): 255 bounds as well as more
            counts[c][first:last] = np.minimum(np.bincount(i - first, minlength=last - first), 255)


_SLICE = 100_000  # keys whose grams are sorted at once


def grams_of(text: str) -> set[str]:
    """The grams of ``text`` that ``_postings`` indexes: a key holding ``text`` holds them all."""
    grams = {c for c in text if c >= "\x80"}
    grams.update(text[i:i + 2] for i in range(len(text) - 1) if text[i:i + 2].isascii())
    return grams


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
    indexed ``keys`` table. The answers are the same as NameIndex's: an exact label scores 100
    and an exact pinyin 95, above every partial match (< 95), so when an exact key hits, the
    best-scoring entries are all among its hits.

    A part of a name or a near miss is ranked among the entries that can score, found from the
    index (``_narrowed``), then by NameIndex itself, so the ranks and scores are the scan's:
    - a partial match (the text within a name or its pinyin, a name within the text, the
      initials): a key holds every gram of the text (``postings``), then holds the text; a
      name within the text is one of its substrings; the initials are looked up;
    - a near miss scores ``50 × difflib's ratio`` = 100·M/(len(text)+len(key)), where M (the
      matched characters) is at most what the two share, counted per character. So keys are
      read best bound first, until enough entries score above every bound left.
    Every partial match scores 60 or more and every near miss 50 or less, so near misses are
    looked for only when fewer partial matches than asked for are found. A text that most keys
    contain (a part of a name most names hold, such as 有限公司 in a register of companies, or
    a near miss in Latin letters, which every pinyin shares) would read most entries anyway:
    then, past ``SCAN_AT`` keys, the whole index is read and ranked, as before.
    """

    SCAN_AT = 20_000  # candidate keys past which reading every entry is as quick
    NARROW_FROM = 5_000  # entries: a smaller index is ranked whole as quickly (0.3-0.45 s either way at 3,000-6,000)

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
        self._lengths = self._initials = self._entries = None
        try:  # written by an earlier qdgraph: no such tables, every entry is read
            self._db.execute("SELECT value FROM arrays WHERE name = 'lengths'").fetchall()
            self._indexed = True
        except sqlite3.Error:
            self._indexed = False

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
        found = dict(self._rows_in("SELECT iri, entry FROM entries WHERE iri IN ({})", want))
        for iri in want:
            self._seen[iri] = json.loads(found[iri]) if iri in found else None

    def _rows_in(self, sql: str, values: list):
        """The rows of ``sql``, whose ``IN ({})`` takes ``values``, 500 at a time (under SQLite's
        limit on bound parameters)."""
        for k in range(0, len(values), 500):
            chunk = values[k:k + 500]
            yield from self._db.execute(sql.format(",".join("?" * len(chunk))), chunk)

    def _candidates(self, text: str, types: list) -> NameIndex:
        """The entries that ``text`` names outright, from SQLite, when there are any (an exact
        key outscores every partial match, so the best answers are all among them); else those
        that can rank (as ``resolve`` searches: 50 at most, from a score of 15); else all."""
        q = normalize(text)
        if q and self._full is None:
            rows = self._db.execute("SELECT DISTINCT entries.entry FROM keys JOIN entries USING (iri) "
                                    "WHERE keys.key = ?", (q,)).fetchall()
            hits = [json.loads(r[0]) for r in rows]
            hits = [e for e in hits if not types or set(types) & set(e["types"])]
            if hits:
                return NameIndex(hits)
            # resolve looks for near misses only when nothing matches in part
            narrowed = self._narrowed(text, types, 50, 15.0, True, any_partial=True)
            if narrowed is not None:
                return narrowed
        return self._all()

    def search(self, text: str, types: Iterable[str] | None = None, limit: int = 20,
               min_score: float = 20.0, near_misses: bool = True) -> list[tuple[float, dict]]:
        narrowed = self._narrowed(text, list(types or ()), limit, min_score, near_misses)
        return (narrowed if narrowed is not None else self._all()).search(text, types, limit, min_score, near_misses)

    # ------------------------------------------------------------ narrowing (see the class)
    def _narrowed(self, text: str, types: list, limit: int, min_score: float, near_misses: bool,
                  any_partial: bool = False) -> NameIndex | None:
        """An index of the entries among which ``NameIndex.search(text, types, limit, min_score,
        near_misses)`` finds the same answers as among all; None: rank them all. ``any_partial``:
        near misses are wanted only when nothing matches in part (``resolve``)."""
        q = normalize(check_name(text, "search text"))
        if not q or self._full is not None or not self._indexed or self._size() < self.NARROW_FROM:
            return None
        partial = self._partial(q)
        if partial is None:
            return None
        if not near_misses:
            return NameIndex(partial)
        found = len(NameIndex(partial).search(text, types, limit, min_score, near_misses=False))
        if found >= limit or (any_partial and found):
            return NameIndex(partial)
        near = self._near(q, types, limit - found, min_score, {e["iri"] for e in partial})
        return None if near is None else NameIndex(partial + near)

    def _size(self) -> int:
        if self._entries is None:
            self._entries = self._db.execute("SELECT coalesce(max(rowid), 0) FROM entries").fetchone()[0]
        return self._entries

    def _fetch(self, iris) -> list[dict]:
        iris = sorted(set(iris))
        self.prefetch(iris)
        return [self._seen[i] for i in iris if self._seen[i] is not None]

    def _initialled(self, q: str) -> list[str]:
        """The IRIs of the entries whose pinyin initials are ``q``."""
        import bisect

        if self._initials is None:
            rows = dict(self._db.execute("SELECT name, value FROM arrays WHERE name LIKE 'initials%'"))
            self._initials = (rows["initials"].decode().split("\n") if rows["initials"] else [],
                              array("i", rows["initials-entries"]))
        texts, rowids = self._initials
        found = rowids[bisect.bisect_left(texts, q):bisect.bisect_right(texts, q)].tolist()
        return [r[0] for r in self._rows_in("SELECT iri FROM entries WHERE rowid IN ({})", found)]

    def _ids(self, c: str):
        import numpy as np

        parts = [r[0] for r in self._db.execute("SELECT ids FROM postings WHERE gram = ? ORDER BY part", (c,))]
        return np.frombuffer(b"".join(parts), dtype="<i4")

    def _key_lengths(self):
        """Each key's length (a numpy array)."""
        import numpy as np

        if self._lengths is None:
            (blob,) = self._db.execute("SELECT value FROM arrays WHERE name = 'lengths'").fetchone()
            self._lengths = np.frombuffer(blob, dtype="<u2").astype(np.int64)
        return self._lengths

    def _counts(self, c: str, n: int):
        """How many times each key holds ``c`` (at most ``n``), a numpy array."""
        import numpy as np

        if c.isascii():
            row = self._db.execute("SELECT value FROM arrays WHERE name = ?", ("count " + c,)).fetchone()
            counts = np.frombuffer(row[0], dtype=np.uint8) if row else np.zeros(len(self._key_lengths()), np.uint8)
        else:
            counts = np.bincount(self._ids(c), minlength=len(self._key_lengths()))
        return np.minimum(counts, n)

    def _keys(self, ids) -> list[tuple[str, str]]:
        """(key, IRI) of the keys ``ids``, in that order."""
        ids = [int(i) + 1 for i in ids]
        found = {r: (key, iri) for r, key, iri in self._rows_in("SELECT rowid, key, iri FROM keys WHERE rowid IN ({})", ids)}
        return [found[i] for i in ids]

    def _partial(self, q: str) -> list[dict] | None:
        """Every entry that ``q`` matches in part or outright (a few more, never fewer): its
        keys holding ``q``, those within ``q``, its initials; None when more than SCAN_AT keys
        hold every gram of ``q`` (or it has none: one Latin letter)."""
        import numpy as np

        lengths = self._key_lengths()
        postings = sorted((self._ids(g) for g in grams_of(q)), key=len)
        ids = np.unique(postings[0]) if postings else np.flatnonzero(lengths >= len(q))
        for other in postings[1:]:
            if not len(ids):
                break
            has = np.zeros(len(lengths), dtype=bool)
            has[other] = True
            ids = ids[has[ids]]
        ids = ids[lengths[ids] >= len(q)]
        if len(ids) > self.SCAN_AT:
            return None
        iris = {iri for key, iri in self._keys(ids) if q in key}
        within = sorted({q[i:j] for i in range(len(q)) for j in range(i + 2, len(q) + 1)})
        iris.update(r[0] for r in self._rows_in("SELECT iri FROM keys WHERE key IN ({})", within))
        iris.update(self._initialled(q))
        return self._fetch(iris)

    def _near(self, q: str, types: list, need: int, min_score: float, skip: set) -> list[dict] | None:
        """Entries that may be among the ``need`` best near misses of ``q`` scoring at least
        ``min_score`` (those in ``skip`` are ranked already); None: too many to tell."""
        import numpy as np

        if min_score > 50:  # above every near miss
            return []
        if min_score <= 0:
            return None
        lengths = self._key_lengths()
        shared = np.zeros(len(lengths), dtype=np.int64)  # the characters each key shares with q, at most
        for c, n in Counter(q).items():
            shared += self._counts(c, n)
        bound = 100.0 * shared / (len(q) + lengths)  # 50 × the best ratio each key can reach
        ids = np.flatnonzero(bound >= min_score - 1e-9)
        ids = ids[np.argsort(-bound[ids], kind="stable")]
        wanted = set(types)
        ranked: dict = {}
        scores: list[float] = []
        done, step = 0, 64
        while done < len(ids):
            if done > self.SCAN_AT:
                return None
            batch = ids[done:done + step]
            done += len(batch)
            step = min(step * 2, 4096)
            new = {iri for _, iri in self._keys(batch)} - skip - ranked.keys()
            for e in self._fetch(new):
                ranked[e["iri"]] = e
                if not wanted or wanted.intersection(e["types"]):
                    s = self._score(q, e)
                    if s >= min_score:
                        scores.append(s)
            rest = bound[ids[done]] if done < len(ids) else -1.0  # no entry left can score above this
            if sum(s > rest for s in scores) >= need:
                break
        return list(ranked.values())

"""The rules' and the lookups' copy of the graph, in memory, made while ``qdgraph load`` runs.

The rules (``qdgraph.storage.rules``) and the kept answers (``qdgraph.storage.answers``) read
only triples whose predicate their texts name, and rdf:type triples whose class they name: at a
million triples, 660,000 of 980,000. A thread of its own picks those lines out of the files
while Oxigraph bulk-loads them into the store (and the index scanner reads the names), and
loads them here; the rules run here, and the lookups are answered here, beside the bulk load.
On the store, after the bulk load, they took 4 s and 10 s of CPU (every term of every row read
back from RocksDB); here 1.5 s and 1.1 s, and 4 s to read the lines and load them.
The store then gets the derived triples in one more bulk load: the same quads as the rules run
on the store itself (``tests/test_build.py`` compares both ways, quad for quad and answer for
answer).

Exact only where this copy names every term as the store does. Each parse names blank nodes
afresh: a file's blank nodes are the same graph here and in the store only when each side
reads the file in one call. So an N-Triples file with blank nodes (read here in chunks) leaves
the copy out, and a derived triple or a kept answer with a blank node in it is made from the
store instead (none in practice: the claims, quotes and indicators are IRIs).
"""
from __future__ import annotations

import re
import threading
import time
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from qdgraph.namespaces import PREFIXES, expand

RDF_TYPE = PREFIXES["rdf"] + "type"
# A whole file (Turtle, RDF/XML, JSON-LD: not line-based) is parsed here in one call: only
# small ones, or the copy would hold the whole graph beside the bulk loader's peak.
MAX_WHOLE_FILE = 32 << 20
# Files of more bytes than this in all (about 2 M triples) load without the copy, as before: it
# holds about two bytes for each byte read (1 M triples, 141 MB: 300 MB), where the store
# alone peaked at 2.35 GB for 10 M triples.
MAX_INPUT = 300 << 20

_PNAME = re.compile(r"(?<![\w?$])([A-Za-z][\w.-]*):([\w-]*)")
_IRI = re.compile(r"<([^<>\s]*)>")
_PRED = re.compile(rb"[ \t]*<[^<>]*>[ \t]*(<[^<>]*>)[ \t]*(<[^<>]*>)?")


@lru_cache(maxsize=None)
def named_terms() -> frozenset[bytes]:
    """Every IRI the rules and the kept queries write (prefixed or whole, comments included:
    more is harmless), as N-Triples terms. ``tests/test_build.py`` checks that no triple
    pattern of theirs has a predicate outside it (a variable one would need every triple)."""
    from qdgraph.queryfiles import all_queries
    from qdgraph.storage.rules import MATERIALISE_QUERIES, all_rules

    # and what materialise reads besides: the verdicts (they drop the readings they reject
    # before any rule runs), the bases' strengths, the premises
    texts = [r.text for r in all_rules()] + list(MATERIALISE_QUERIES)
    names = {RDF_TYPE}
    for q in all_queries().values():
        if q.memo:
            texts.append(q.text)
            names.add(expand(q.memo))
        if q.stream and not q.params:  # its least keys are found here too (answers.least_rows)
            texts.append(q.stream.pattern)
    for text in texts:
        names.update(PREFIXES[p] + local for p, local in _PNAME.findall(text) if p in PREFIXES)
        names.update(_IRI.findall(text))
    return frozenset(f"<{n}>".encode() for n in names)


class Shadow:
    """The in-memory copy of what ``queries`` (those kept for each instance of a class, and the
    listings whose least keys are kept) and the rules read in ``files``, made and used in a
    thread of its own (``start``); ``ok`` False once it cannot be exact (the build then runs
    the rules and the lookups on the store, as before)."""

    CHUNK = 4 << 20  # bytes read at a time

    def __init__(self, files: list[Path], queries):
        self.files, self.queries = files, queries
        self.store: ox.Store | None = ox.Store()
        self.ok = True
        self._cancelled = False
        self._keep = named_terms()
        self._type = f"<{RDF_TYPE}>".encode()
        self.derived: bytes | None = None  # every triple the rules added, as N-Triples
        self.rules: dict | None = None
        self.seconds = 0.0
        self.rows: list | None = None      # the kept answers, as answers.answer_all and least_rows give them
        self.answers_seconds = 0.0
        self._derived_done = threading.Event()
        self._answered = threading.Event()
        self._work: threading.Thread | None = None

    def fail(self) -> None:
        self.ok = False
        self.store = None  # its memory back at once

    def add_lines(self, chunk: bytes, fmt, base: str) -> None:
        """Keep the lines of ``chunk`` (whole N-Triples or N-Quads lines) that the rules or the
        lookups may read."""
        if not self.ok:
            return
        if b"_:" in chunk:  # blank nodes (or the text "_:" in a literal): see the module's note
            self.fail()
            return
        keep, rdf_type = self._keep, self._type
        out = []
        for line in chunk.split(b"\n"):
            i = line.find(b">")  # the subject IRI's end: an IRI holds no '>'
            if line[:1] == b"<" and line[i + 1:i + 3] == b" <":  # "<s> <p> …": how files are written
                j = line.find(b">", i + 3) + 1
                p = line[i + 2:j]
                if p == rdf_type:
                    k = line.find(b">", j + 2) + 1
                    o = line[j + 1:k] if line[j:j + 2] == b" <" else b""
            else:
                m = _PRED.match(line)
                if m is None:  # empty, a comment, a literal subject (the store's load reports that)
                    continue
                p, o = m.group(1), m.group(2) or b""
            if p in keep or b"\\" in p:  # an escaped IRI may be any name: kept
                if p == rdf_type and o not in keep and b"\\" not in o:
                    continue
                out.append(line)
        if out:
            out.append(b"")
            try:
                self.store.load(b"\n".join(out), format=fmt, base_iri=base)
            except (SyntaxError, ValueError):  # the store's own load reports the file's error
                self.fail()

    def add_file(self, path: Path, fmt) -> None:
        if not self.ok:
            return
        if path.stat().st_size > MAX_WHOLE_FILE:
            self.fail()
            return
        from qdgraph.storage.rdfio import open_rdf

        try:
            with open_rdf(path) as f:
                self.store.load(f, format=fmt, base_iri=path.resolve().as_uri())
        except (SyntaxError, ValueError, OSError):
            self.fail()

    def start(self) -> None:
        self._work = threading.Thread(target=self._run, name="qdgraph-shadow", daemon=True)
        self._work.start()

    def cancel(self) -> None:
        self._cancelled = True

    def _read(self) -> None:
        from qdgraph.storage.rdfio import open_rdf, rdf_format

        for path in self.files:
            fmt = rdf_format(path)
            if fmt not in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS):
                self.add_file(path, fmt)
                continue
            base = path.resolve().as_uri()
            with open_rdf(path) as f:  # past a byte-order mark, as the store reads it
                rest = b""
                while self.ok:
                    if self._cancelled:
                        self.fail()
                        return
                    chunk = f.read(self.CHUNK)
                    if not chunk:
                        break
                    chunk = rest + chunk
                    cut = chunk.rfind(b"\n") + 1
                    rest, chunk = chunk[cut:], chunk[:cut]
                    self.add_lines(chunk, fmt, base)
                if rest:
                    self.add_lines(rest + b"\n", fmt, base)
            if not self.ok:
                return

    def _run(self) -> None:
        try:
            self._read()
            if self.ok:
                from qdgraph.storage.rules import materialise

                started = time.perf_counter()
                added: list[bytes] = []
                self.rules = materialise(self.store, added=added)
                self.seconds = time.perf_counter() - started
                self.derived = b"".join(added)
                if b"_:" in self.derived:  # see the module's note
                    self.fail()
        except Exception:  # anything unexpected: the rules run on the store instead
            self.fail()
        finally:
            self._derived_done.set()
        try:
            if self.ok and not self._cancelled:
                from qdgraph.storage.answers import answer_all, least_rows

                started = time.perf_counter()
                # the listings' least keys too: 60 ms here where the store's MIN took 450 (1 M triples)
                self.rows = answer_all(self.store, [q for q in self.queries if q.memo]) + least_rows(self.store, self.queries)
                self.answers_seconds = time.perf_counter() - started
        except Exception:  # the store answers instead
            self.rows = None
        finally:
            self._answered.set()
        self.store = None  # freed here, after the build has its answers (0.9 s of CPU at 1 M triples)

    def wait_derived(self) -> bytes | None:
        """The rules' triples once derived; None when the copy was left out."""
        self._derived_done.wait()
        return self.derived if self.ok else None

    def wait_answers(self) -> list | None:
        """The kept answers computed here (None if they could not be)."""
        self._answered.wait()
        rows, self.rows = self.rows, None
        return rows

"""The rules' and the lookups' copy of the graph, in memory, made while ``qdgraph load`` runs.

A thread of its own reads the files into an in-memory store while Oxigraph bulk-loads them
into the store; the name index's labels, types and aliases are read from it
(``qdgraph.storage.indexscan``), then the rules run on it and the lookups are answered from it,
beside the bulk load. On the store, after the bulk load, they took 4 s and 10 s of CPU (every
term of every row read back from RocksDB); here 1.5 s and 1.1 s, and 3.7 s to load the copy.
The store then gets the derived triples with its bulk load's last call (or in one more, after
its verdicts: ``before_verdicts``): the same quads as the rules run on the store itself
(``tests/test_build.py`` compares both ways, quad for quad and answer for answer). The name
index is made once the copy is freed (``wait_freed``), not on top of it; unless the process
ends with the build (``qdgraph load``: ``free=False``), when the copy is never freed: freeing 1 M
triples holds the GIL 1.3-2 s, which the index waited for, and the process's end frees it at
no cost; the index is then made beside the rules and the lookups (peak 940 MB at 1 M triples,
870 freeing it; load 1.29x the raw load, 1.52x freeing it).

The copy holds every triple: picking out the lines the rules and the lookups read (77 % of
them at a million triples) took 2.4 s of Python, holding the GIL the name index needs, where
loading the rest takes Oxigraph 1.1 s without it.

Exact only where this copy names every term as the store does. Each parse names blank nodes
afresh: a file's blank nodes are the same graph here and in the store only when each side
reads the file in one call. So an N-Triples file with blank nodes (read here in chunks) leaves
the copy out, and a derived triple or a kept answer with a blank node in it is made from the
store instead (none in practice: the claims, quotes and indicators are IRIs).
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pyoxigraph as ox

# A whole file (Turtle, RDF/XML, JSON-LD: not line-based) is parsed here in one call: only
# small ones, or the copy would hold the whole graph beside the bulk loader's peak.
MAX_WHOLE_FILE = 32 << 20
# Files of more bytes than this in all (about 1.6 M triples) load without the copy, as before:
# it holds about 2.6 bytes for each byte read (1 M triples, 141 MB: 370 MB), where the store
# alone peaked at 2.35 GB for 10 M triples.
MAX_INPUT = 230 << 20

_UNTIL_EXIT: list = []  # copies never freed (``free=False``): their process ends with the build


class Shadow:
    """The in-memory copy of ``files``, made and used in a thread of its own (``start``): the
    name index's labels, types and aliases read from it, then the rules run on it and
    ``queries`` answered from it (those kept for each instance of a class, and the listings'
    least keys); ``ok`` False once it cannot be exact (the build then runs the rules and the
    lookups on the store, and the index scanner reads the names from the files, as before)."""

    CHUNK = 4 << 20  # bytes read at a time

    def __init__(self, files: list[Path], queries, free: bool = True):
        self.files, self.queries, self.free = files, queries, free
        self.store: ox.Store | None = ox.Store()
        self.ok = True
        self._cancelled = False
        self.derived: bytes | None = None  # every triple the rules added, as N-Triples
        self.before_verdicts = False       # whether they may go into the store before its verdicts run
        self.rules: dict | None = None
        self.seconds = 0.0
        self.rows: list | None = None      # the kept answers, as answers.answer_all and least_rows give them
        self.answers_seconds = 0.0
        self.names: tuple | None = None    # labels, types, aliases: as names.names_of gives them
        self._named = threading.Event()
        self._freed = threading.Event()
        self._derived_done = threading.Event()
        self._answered = threading.Event()
        self._work: threading.Thread | None = None

    def fail(self) -> None:
        self.ok = False
        self.store = None  # its memory back at once

    def add_lines(self, chunk: bytes, fmt, base: str) -> None:
        """Add ``chunk`` (whole N-Triples or N-Quads lines) to the copy."""
        if not self.ok:
            return
        if b"_:" in chunk:  # blank nodes (or the text "_:" in a literal): see the module's note
            self.fail()
            return
        try:
            # lenient: IRIs not checked (3.7 s where checking took 5.2 at 1 M triples): the store's
            # own load checks them, and a file it refuses is no build (the same terms otherwise)
            self.store.load(chunk, format=fmt, base_iri=base, lenient=True)
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
            self._use()
        finally:
            if not self.free and self.store is not None:
                _UNTIL_EXIT.append(self.store)
            self.store = None  # freed here, after the build has its answers (1.3-2 s of CPU at 1 M triples)
            if self.free:
                _give_back()
            self._freed.set()

    def _use(self) -> None:
        try:
            try:
                self._read()
                if self.ok:  # before the rules add to the copy: the names the files give
                    from qdgraph import names

                    try:
                        self.names = names.names_of(self.store)
                    except Exception:  # the scanner reads the files instead
                        self.names = None
            finally:
                self._named.set()
            if self.ok:
                from qdgraph.storage.rules import materialise

                started = time.perf_counter()
                added: list[bytes] = []
                removed: list = []
                self.rules = materialise(self.store, added=added, removed=removed)
                self.seconds = time.perf_counter() - started
                self.derived = b"".join(added)
                del added  # 22 MB at 1 M triples
                # unless a rule put back a triple a verdict dropped, the store may get the
                # derived triples before its verdicts drop what they drop
                self.before_verdicts = not any(q in self.store for q in removed)
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

    def wait_names(self) -> tuple | None:
        """The files' labels, types and aliases, as ``qdgraph.names.names_of`` reads them from the
        copy, once read; None when the copy was left out (or failed: the scanner reads the files)."""
        self._named.wait()
        names, self.names = self.names, None
        return names

    def wait_freed(self) -> None:
        """Until the copy is done with and its memory given back."""
        self._freed.wait()

    def wait_derived(self) -> bytes | None:
        """The rules' triples once derived; None when the copy was left out."""
        self._derived_done.wait()
        return self.derived if self.ok else None

    def derived_before_verdicts(self) -> bytes | None:
        """The rules' triples once derived, if the store may get them before its verdicts
        run (with the last chunk of its bulk load); None when it may not, or there are none."""
        derived = self.wait_derived()
        return derived if derived and self.before_verdicts else None

    def wait_answers(self) -> list | None:
        """The kept answers computed here (None if they could not be)."""
        self._answered.wait()
        rows, self.rows = self.rows, None
        return rows


def _give_back() -> None:
    """Return the copy's freed memory to the system: glibc keeps what a thread frees for that
    thread's own arena, so the bulk loader's threads, which take the memory the copy held at
    the load's end, added it to the peak (1 M triples: 1,008 MB, 890 MB with this). Only glibc
    has malloc_trim; elsewhere nothing is done."""
    import ctypes
    import ctypes.util

    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass

"""The name index of RDF files, made while Oxigraph bulk-loads them (``qdgraph load``): the
labels, types and aliases that ``qdgraph.names.build_index`` would read from the loaded store,
collected on the other core (at 300,000 triples the index takes 10 s to build from the store
afterwards, a quarter of the load) from the load's in-memory copy of the files
(``qdgraph.storage.shadow``), or from the files themselves when there is none, and made into
entries by the same ``qdgraph.names.index_from``."""
from __future__ import annotations

import hashlib
import re
import threading
from pathlib import Path

import pyoxigraph as ox

from qdgraph.names import index_from
from qdgraph.storage.namestore import write_names


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SKOS_ALT = "http://www.w3.org/2004/02/skos/core#altLabel"


# one N-Triples / N-Quads line whose terms need no unescaping: subject, predicate, object IRI
# or literal (value, language, datatype), graph. Any other line is left to Oxigraph's parser.
_NT_LINE = re.compile(
    r'[ \t]*(?:<([^<>"{}|^`\\\s]*)>|_:[^\s<"]+)[ \t]*<([^<>\s\\]*)>[ \t]*'
    r'(?:<([^<>"{}|^`\\\s]*)>|"([^"\\\n\r]*)"(?:@([A-Za-z]+(?:-[A-Za-z0-9]+)*)|\^\^<([^<>\s\\]*)>)?)'
    r'[ \t]*(<[^<>]*>|_:[^\s<"]*[^\s<".])?[ \t]*\.[ \t]*(?:#.*)?\r?')
_INDEXED = (RDFS_LABEL, RDF_TYPE, SKOS_ALT)
_NEEDLES = tuple(f"<{p}>".encode() for p in _INDEXED)
_ESCAPES = (b"\\u", b"\\U")  # a predicate may be written with escapes: parse those lines exactly
_ANY_ESCAPE = re.compile(rb"\\[uU]")


class IndexScanner(threading.Thread):
    """Builds and writes the name index of ``files`` (the same entries as ``build_index`` of the
    store they are loaded into) while the main thread bulk-loads them: from the names in
    ``shadow`` (the build's in-memory copy of them) once it holds them, else from the files,
    hashing each (but those the build loads in chunks: it hashes them as it reads them).

    N-Triples and N-Quads are line-based: only the lines that mention rdfs:label, rdf:type or
    skos:altLabel are read, by a regex when their terms need no unescaping and by Oxigraph
    otherwise. Other formats (the bundled Turtle, small) are parsed whole. Whatever goes wrong
    here (``ok`` stays False) only means the index is built from the store afterwards, as
    before; a file that does not parse is reported by the load itself."""

    CHUNK = 4 << 20  # small: this runs while Oxigraph holds most of the peak memory

    # The entries are made once the store is loaded (``loaded()``, or at the latest ``join()``):
    # made beside a bulk load of a whole big file they added 80 MB to its peak at 1 M triples.
    # ``early``: made as soon as the files are read (the build loads big files in chunks, a
    # fraction of that peak): the rest of the build does not wait for them.

    def __init__(self, gen: Path, files: list[Path], early: bool = False, shadow=None):
        super().__init__(name="qdgraph-index", daemon=True)
        self.gen, self.files, self.early, self.shadow = gen, files, early, shadow
        self.sha256: dict[Path, str] = {}
        self.ok = False
        self._cancelled = False
        self.labels: dict = {}
        self.types: dict = {}
        self.alts: dict = {}
        self._classes: dict = {}
        self._go = threading.Event()

    def loaded(self) -> None:
        """The files are in the store: make the entries now."""
        self._go.set()

    def join(self, timeout=None) -> None:
        self._go.set()
        super().join(timeout)

    def cancel(self) -> None:
        self._cancelled = True
        if self.shadow is not None:  # this may be waiting for its names
            self.shadow.cancel()
        if self.is_alive():
            self.join()

    def run(self) -> None:
        try:
            # ``shadow``: the load's in-memory copy of the files; their names are read from it
            # (``qdgraph.names.names_of``), unless it is left out, when the files are scanned here
            names = self.shadow.wait_names() if self.shadow is not None else None
            if names is not None:
                # made once the copy is freed, not on top of it: at 1 M triples the entries and
                # their writing take 150 MB, the copy 440 MB, the bulk loader 300 MB beside them
                # (both on the second core, one after the other or not); a copy never freed
                # (its process ends with the build) is not waited for
                if self.shadow.free:
                    self.shadow.wait_freed()
            else:
                names = self._scan()
            if self._cancelled or names is None:
                return
            entries = index_from(*names)
            del names  # 50 MB at 1 M triples, not kept beside the writing's own
            if not self._cancelled:
                write_names(self.gen, entries)
                self.ok = True
        except Exception:  # the fallback builds the index from the store
            self.ok = False

    def _scan(self) -> tuple[dict, dict, dict] | None:
        """The labels, types and aliases of the files, read from them (None once cancelled)."""
        from qdgraph.storage.rdfio import rdf_format

        for f in self.files:
            fmt = rdf_format(f)
            if fmt in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS):
                self._scan_lines(f, fmt)
            else:
                self._scan_parsed(f, fmt)
            if self._cancelled:
                return None
        if not self.early:
            self._go.wait()
        labels, types, alts = self.labels, self.types, self.alts
        types = {e: (ts,) if isinstance(ts, str) else ts for e, ts in types.items() if e in labels}
        alts = {e: als for e, als in alts.items() if e in labels}
        self.labels = self.types = self.alts = None
        return labels, types, alts

    def _add(self, s: str, p: str, obj: str, lang: str | None, literal: bool) -> None:
        if p == RDFS_LABEL:
            if literal:
                self.labels.setdefault(s, []).append((obj, lang))
        elif p == RDF_TYPE:
            if not literal:  # a few classes, named by many: keep one copy of each IRI
                c = self._classes.setdefault(obj, obj)
                # one type held as the class itself, not a list (most subjects, and most have no
                # label: claims, quotes; 19 MB at 1 M triples); index_from reads them as a set
                had = self.types.get(s)
                self.types[s] = c if had is None else (had, c) if isinstance(had, str) else had + (c,)
        elif p == SKOS_ALT:
            self.alts.setdefault(s, []).append(obj)

    def _add_quads(self, quads) -> None:
        for q in quads:
            s, p = q.subject, q.predicate.value
            if p in _INDEXED and isinstance(s, ox.NamedNode) and isinstance(q.graph_name, ox.DefaultGraph):
                o = q.object
                lit = isinstance(o, ox.Literal)
                self._add(s.value, p, o.value, o.language if lit else None, lit)

    def _scan_parsed(self, path: Path, fmt) -> None:
        self.sha256[path] = sha256_file(path)
        from qdgraph.storage.rdfio import open_rdf

        with open_rdf(path) as f:
            self._add_quads(ox.parse(f, format=fmt, base_iri=path.resolve().as_uri()))

    def _scan_lines(self, path: Path, fmt) -> None:
        h = None if self.early else hashlib.sha256()  # early: the build hashes what it loads in chunks
        hard: list[bytes] = []
        with open(path, "rb") as f:
            rest = b""
            while not self._cancelled:
                chunk = f.read(self.CHUNK)
                if not chunk:
                    break
                if h is not None:
                    h.update(chunk)
                chunk = rest + chunk
                cut = chunk.rfind(b"\n") + 1
                rest, chunk = chunk[cut:], chunk[:cut]
                self._scan_chunk(chunk, hard)
            if rest:
                self._scan_chunk(rest + b"\n", hard)
        if h is not None:
            self.sha256[path] = h.hexdigest()
        if hard:
            self._add_quads(ox.parse(input=b"\n".join(hard), format=fmt, base_iri=path.resolve().as_uri()))

    def _scan_chunk(self, chunk: bytes, hard: list) -> None:
        starts = set()
        for needle in _NEEDLES + (_ESCAPES if _ANY_ESCAPE.search(chunk) else ()):
            find, rfind, n = chunk.find, chunk.rfind, len(needle)
            i = find(needle)
            while i >= 0:
                starts.add(rfind(b"\n", 0, i) + 1)
                i = find(needle, i + n)
        match, add = _NT_LINE.fullmatch, self._add
        for start in sorted(starts):
            raw = chunk[start:chunk.find(b"\n", start)]
            m = match(raw.decode("utf-8"))
            if m is None:
                hard.append(raw)
                continue
            s, p, o, lit, lang, dt, graph = m.groups()
            if graph is not None or s is None:  # a named graph's, or a blank node's: not indexed
                continue
            if ":" not in s or (o is not None and ":" not in o):  # relative IRI: let Oxigraph resolve it
                hard.append(raw)
                continue
            if o is not None:
                add(s, p, o, None, False)
            else:
                add(s, p, lit, lang.lower() if lang else None, True)

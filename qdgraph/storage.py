"""On-disk stores built by ``qdgraph load``: build, open read-only, and replace atomically.

A store folder holds *generations*; the file ``CURRENT`` names the one in use::

    DIR/CURRENT              "gen-20240501T101500-3f9c"   (replaced with os.replace: atomic)
    DIR/gen-…/store/         the Oxigraph (RocksDB) database
    DIR/gen-…/names.json     the name index (as in qdgraph.bundle), for library code
    DIR/gen-…/names.sqlite   the same, keyed for lookups that must not read it all
    DIR/gen-…/manifest.json  what the store was built from (files, sha256, sizes, triples, imports)
    DIR/.lock                held (flock) by whoever is writing

A writer (load, import) builds a complete new generation beside the current one and only then
points CURRENT at it, so a crash, a parse error or a kill at any moment leaves the old store
exactly as it was; readers never open a database that anyone is writing (Oxigraph forbids it).
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Iterable

import pyoxigraph as ox

from . import __version__, paths
from .bundle import MANIFEST_FILE, NAMES_FILE, load_names
from .errors import QdgraphError, TurtleSyntaxError, UsageError
from .graph import LocalBackend
from .names import NameIndex, entries_from_tuples, normalize
from .namespaces import PREFIXES, QD

CURRENT_FILE = "CURRENT"
LOCK_FILE = ".lock"
NAMES_DB = "names.sqlite"
STORE_SUBDIR = "store"
GEN_PREFIX = "gen-"

# Formats Oxigraph bulk-loads (streaming, parallel); other RDF files are parsed in memory.
_BULK = {ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS, ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG}
_PARSER_PREFIX = re.compile(r"^Parser error [^:]*: ")

Progress = Callable[[int], None]  # called with a number of bytes just read


class StoreError(QdgraphError):
    """The store folder is missing, not a store, or already holds one."""


# ------------------------------------------------------------------ layout
def current_generation(store_dir: Path) -> Path:
    """The generation folder CURRENT names; a clear error if ``store_dir`` is not a store."""
    store_dir = Path(store_dir)
    if not store_dir.exists():
        raise StoreError(f"{store_dir}: no such store; build one with `qdgraph load --store {store_dir}`")
    pointer = store_dir / CURRENT_FILE
    if not pointer.is_file() and is_interrupted(store_dir):
        raise StoreError(f"{store_dir}: its first `qdgraph load` was interrupted before it finished; run "
                         f"`qdgraph load --store {store_dir}` (with your files) again: it cleans up and builds it")
    if not pointer.is_file():
        raise StoreError(f"{store_dir}: not a qdgraph store (no {CURRENT_FILE} file); "
                         f"build one with `qdgraph load --store {store_dir}`")
    gen = store_dir / pointer.read_text(encoding="utf-8").strip()
    if not (gen / STORE_SUBDIR).is_dir():
        raise StoreError(f"{store_dir}: damaged store ({CURRENT_FILE} names {gen.name}, which is missing)")
    return gen


def is_store(store_dir: Path) -> bool:
    return (Path(store_dir) / CURRENT_FILE).is_file()


def is_interrupted(store_dir: Path) -> bool:
    """A folder holding only what a killed first build leaves (its lock, unfinished
    generations, a pointer not yet renamed): safe to build over."""
    names = [p.name for p in Path(store_dir).iterdir()] if Path(store_dir).is_dir() else []
    return bool(names) and not is_store(store_dir) and any(n.startswith(GEN_PREFIX) for n in names) and all(
        n == LOCK_FILE or n.startswith(GEN_PREFIX) or n.startswith(f".{CURRENT_FILE}.") for n in names)


def read_manifest(store_dir: Path) -> dict:
    return json.loads((current_generation(store_dir) / MANIFEST_FILE).read_text(encoding="utf-8"))


@contextlib.contextmanager
def write_lock(store_dir: Path):
    """One writer at a time (two imports racing would each swap in a store missing the other's
    rows). flock is released by the kernel if the writer dies, so a kill never leaves it stuck."""
    store_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(store_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; single-writer is the user's job
            fcntl = None
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreError(f"{store_dir}: another qdgraph load/import is writing this store; "
                                 "wait for it to finish") from None
        yield
    finally:
        os.close(fd)


def new_generation(store_dir: Path) -> Path:
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    return Path(tempfile.mkdtemp(prefix=f"{GEN_PREFIX}{stamp}-", dir=store_dir))


def publish(store_dir: Path, gen: Path) -> None:
    """Point CURRENT at ``gen`` (atomic), then delete every other generation (the lock is held,
    so those are old stores or the leftovers of a killed writer)."""
    _pause_for_tests("publish")
    tmp = store_dir / f".{CURRENT_FILE}.{os.getpid()}"
    tmp.write_text(gen.name + "\n", encoding="utf-8")
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, store_dir / CURRENT_FILE)
    cleanup(store_dir, keep=gen)


def cleanup(store_dir: Path, keep: Path | None = None) -> None:
    for old in store_dir.glob(GEN_PREFIX + "*"):
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
    for old in store_dir.glob(f".{CURRENT_FILE}.*"):
        old.unlink(missing_ok=True)


def _pause_for_tests(stage: str) -> None:
    """Let the test suite kill a writer at its most delicate moment (a real SIGKILL, not a
    simulated error): with QDGRAPH_TEST_PAUSE=stage:FILE the writer touches FILE and waits."""
    spec = os.environ.get("QDGRAPH_TEST_PAUSE", "")
    if spec.partition(":")[0] == stage:
        Path(spec.partition(":")[2]).write_text(str(os.getpid()))
        time.sleep(60)


# ------------------------------------------------------------------ build (qdgraph load)
def file_record(path: Path, sha256: str, role: str) -> dict:
    return {"path": str(path.resolve()), "name": path.name, "role": role, "bytes": path.stat().st_size,
            "sha256": sha256}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class _HashingReader:
    """A file object for bulk_load that hashes what it reads and reports progress, so the
    manifest's sha256 and the progress bar cost no second pass over a big file."""

    def __init__(self, f, progress: Progress | None):
        self.f, self.progress, self.hash = f, progress, hashlib.sha256()

    def read(self, n=-1):
        chunk = self.f.read(n)
        self.hash.update(chunk)
        if self.progress and chunk:
            self.progress(len(chunk))
        return chunk

    def readinto(self, buf):  # pragma: no cover - used by some readers
        data = self.read(len(buf))
        buf[: len(data)] = data
        return len(data)


def _load_one(store: "ox.Store", path: Path, progress: Progress | None, hashed: bool = False) -> str | None:
    """Add one file to ``store``; its sha256 (None if ``hashed``: someone else is hashing it).
    Errors read ``file:line:col: message``."""
    from .rdfio import BOM, check_readable, has_bom, parse_file, rdf_format, too_big

    check_readable(path)
    fmt = rdf_format(path)
    if fmt not in _BULK:  # JSON-LD, RDF/XML: small in practice, parsed whole
        store.extend(parse_file(path))
        if progress:
            progress(path.stat().st_size)
        return None if hashed else sha256_file(path)
    base = path.resolve().as_uri()
    try:
        if progress is None and not has_bom(path):  # Oxigraph reads the file itself: the fastest way
            store.bulk_load(path=str(path), format=fmt, base_iri=base)
            return None if hashed else sha256_file(path)
        with open(path, "rb") as f:
            if f.read(3) != BOM:  # a byte-order mark is hashed, not parsed
                f.seek(0)
            reader = _HashingReader(f, progress)
            if f.tell():
                reader.hash.update(BOM)
            store.bulk_load(reader, format=fmt, base_iri=base)
            while reader.read(1 << 20):  # the parser may stop before EOF (trailing whitespace)
                pass
    except SyntaxError as err:
        msg = _PARSER_PREFIX.sub("", str(err.msg if hasattr(err, "msg") else err))
        raise TurtleSyntaxError(str(path), err.lineno, err.offset, msg) from None
    except UnicodeDecodeError as err:
        raise QdgraphError(f"{path}: not UTF-8 ({err.reason} at byte {err.start})") from None
    except OSError as err:
        raise QdgraphError(f"{path}: {err.strerror or err}") from None
    except MemoryError as err:
        raise too_big(path, err) from None
    return reader.hash.hexdigest()


def check_target(store_dir: Path, force: bool) -> None:
    """Refuse to build over something we did not make, or over a store without --force."""
    if is_store(store_dir):
        if not force:
            raise StoreError(f"{store_dir} already holds a store; add --force to rebuild it "
                             "(imports into it are dropped), or add rows with `qdgraph import`")
        return
    if is_interrupted(store_dir):
        return  # a killed first build: its leftovers go when this build is published
    if store_dir.exists() and (not store_dir.is_dir() or any(p.name != LOCK_FILE for p in store_dir.iterdir())):
        raise StoreError(f"{store_dir}: exists and is not a qdgraph store; give an empty or new folder")


def build_store(store_dir: str | Path, files: Iterable[str | Path] = (), *, force: bool = False,
                bundled: bool = True, progress: Progress | None = None) -> dict:
    """Build a store of the ontology, the bundled data and ``files`` at ``store_dir``; returns
    the manifest. All or nothing: on any error the folder is as it was."""
    from .rdfio import check_readable, rdf_format

    store_dir = Path(store_dir)
    files = [Path(f) for f in files]
    for f in files:  # cheap checks first, before any work
        check_readable(f)
        rdf_format(f)
    check_target(store_dir, force)
    created = not store_dir.exists()
    try:
        with write_lock(store_dir):
            check_target(store_dir, force)  # again, under the lock
            gen = new_generation(store_dir)
            base = paths.bundled_files() if bundled else []
            roles = [(f, "ontology" if f == paths.ONTOLOGY else "bundled") for f in base]
            roles += [(f, "data") for f in files]
            # the name index is built from the files themselves while Oxigraph loads them
            # (bulk_load releases the GIL and keeps about one core busy; this takes the other)
            scanner = _IndexScanner(gen, [f for f, _ in roles])
            scanner.start()
            try:
                disk = ox.Store(str(gen / STORE_SUBDIR))
                shas = [_load_one(disk, f, progress if role == "data" else None, hashed=True)
                        for f, role in roles]
                disk.flush()
                scanner.join()
                shas = [sha or scanner.sha256.get(f) or sha256_file(f) for (f, _), sha in zip(roles, shas)]
                records = [file_record(f, sha, role) for (f, role), sha in zip(roles, shas)]
                manifest = {"qdgraph": __version__, "pyoxigraph": ox.__version__,
                            "created": _now(), "files": records, "imports": []}
                finish_generation(gen, disk, manifest, names_written=scanner.ok)
                del disk
                publish(store_dir, gen)
            except BaseException:
                scanner.cancel()
                shutil.rmtree(gen, ignore_errors=True)
                raise
    except BaseException:
        if created:  # leave no empty folder behind a failed first build
            shutil.rmtree(store_dir, ignore_errors=True)
        raise
    return manifest


def finish_generation(gen: Path, disk: "ox.Store", manifest: dict, names: list | None = None,
                      names_written: bool = False) -> None:
    """Write the name index (unless ``names_written``) and the manifest beside a freshly
    written database."""
    if not names_written:
        if names is None:
            names = entries_from_tuples(index_rows(disk))
        write_names(gen, names)
    manifest["triples"] = len(disk)
    (gen / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SKOS_ALT = "http://www.w3.org/2004/02/skos/core#altLabel"
_SKIP_TYPES = frozenset({QD + "Quote", QD + "Claim"})


def index_rows(store: "ox.Store"):
    """The rows of ``qdgraph.names.INDEX_QUERY`` as ``entries_from_tuples`` takes them, from
    three flat queries: on a million triples this takes two seconds where that query (two
    OPTIONALs, two NOT EXISTS) takes eight. Every label, type and alias of an entity reaches the
    index as the query gives them; only the cross product of its OPTIONALs is left out, which
    the index does not need."""
    def pairs(q):
        return ((sol[0], sol[1]) for sol in store.query(q, prefixes=PREFIXES))

    labels: dict = {}
    for e, lab in pairs("SELECT ?e ?l WHERE { ?e rdfs:label ?l FILTER (isIRI(?e)) }"):
        labels.setdefault(e.value, []).append((lab.value, lab.language))
    types: dict = {}
    for e, t in pairs("SELECT ?e ?t WHERE { ?e a ?t }"):
        if e.value in labels:
            types.setdefault(e.value, []).append(t.value)
    alts: dict = {}
    for e, a in pairs("SELECT ?e ?a WHERE { ?e skos:altLabel ?a }"):
        if e.value in labels:
            alts.setdefault(e.value, []).append(a.value)
    return _index_tuples(labels, types, alts)


def _index_tuples(labels: dict, types: dict, alts: dict):
    """Rows (iri, type, label, language, alt) from each labelled IRI's labels, types, aliases."""
    for e, labs in labels.items():
        ts, als = types.get(e, []), alts.get(e, [])
        if any(t in _SKIP_TYPES for t in ts):
            continue
        for i in range(max(len(labs), len(ts), len(als))):
            value, lang = labs[i] if i < len(labs) else labs[0]
            yield (e, ts[i] if i < len(ts) else None, value, lang, als[i] if i < len(als) else None)


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


class _IndexScanner(threading.Thread):
    """Builds and writes the name index of ``files`` (the same entries as ``index_rows`` of the
    store they are loaded into) while the main thread bulk-loads them, and hashes each file.

    N-Triples and N-Quads are line-based: only the lines that mention rdfs:label, rdf:type or
    skos:altLabel are read, by a regex when their terms need no unescaping and by Oxigraph
    otherwise. Other formats (the bundled Turtle, small) are parsed whole. Whatever goes wrong
    here (``ok`` stays False) only means the index is built from the store afterwards, as
    before; a file that does not parse is reported by the load itself."""

    CHUNK = 4 << 20  # small: this runs while Oxigraph holds most of the peak memory

    def __init__(self, gen: Path, files: list[Path]):
        super().__init__(name="qdgraph-index", daemon=True)
        self.gen, self.files = gen, files
        self.sha256: dict[Path, str] = {}
        self.ok = False
        self._cancelled = False
        self.labels: dict = {}
        self.types: dict = {}
        self.alts: dict = {}
        self._classes: dict = {}

    def cancel(self) -> None:
        self._cancelled = True
        if self.is_alive():
            self.join()

    def run(self) -> None:
        try:
            from .rdfio import rdf_format

            for f in self.files:
                fmt = rdf_format(f)
                if fmt in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS):
                    self._scan_lines(f, fmt)
                else:
                    self._scan_parsed(f, fmt)
                if self._cancelled:
                    return
            labels, types, alts = self.labels, self.types, self.alts
            types = {e: ts for e, ts in types.items() if e in labels}
            alts = {e: als for e, als in alts.items() if e in labels}
            self.types = self.alts = None
            entries = entries_from_tuples(_index_tuples(labels, types, alts))
            if not self._cancelled:
                write_names(self.gen, entries)
                self.ok = True
        except Exception:  # the fallback builds the index from the store
            self.ok = False

    def _add(self, s: str, p: str, obj: str, lang: str | None, literal: bool) -> None:
        if p == RDFS_LABEL:
            if literal:
                self.labels.setdefault(s, []).append((obj, lang))
        elif p == RDF_TYPE:
            if not literal:  # a few classes, named by many: keep one copy of each IRI
                self.types.setdefault(s, []).append(self._classes.setdefault(obj, obj))
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
        from .rdfio import open_rdf

        with open_rdf(path) as f:
            self._add_quads(ox.parse(f, format=fmt, base_iri=path.resolve().as_uri()))

    def _scan_lines(self, path: Path, fmt) -> None:
        h = hashlib.sha256()
        hard: list[bytes] = []
        with open(path, "rb") as f:
            rest = b""
            while not self._cancelled:
                chunk = f.read(self.CHUNK)
                if not chunk:
                    break
                h.update(chunk)
                chunk = rest + chunk
                cut = chunk.rfind(b"\n") + 1
                rest, chunk = chunk[cut:], chunk[:cut]
                self._scan_chunk(chunk, hard)
            if rest:
                self._scan_chunk(rest + b"\n", hard)
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


def write_names(gen: Path, entries: list[dict]) -> None:
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
    keys = {normalize(t) for t in [e.get("zh"), e.get("en"), *e.get("alt", [])] if t}
    keys.update(e.get("pinyin", []))
    keys.discard("")
    return keys


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


# ------------------------------------------------------------------ open (--store)
class StoreNameIndex(NameIndex):
    """The name index of a big store without reading all of it.

    Most lookups name something outright (its label or its pinyin); those are answered from an
    indexed SQLite table. Only a partial name or a near miss needs the full ranked search, and
    then the whole index is loaded as usual. The answers are the same as NameIndex's: an exact
    label scores 100 and an exact pinyin 95, above every partial match (< 95), so when an exact
    key hits, the best-scoring entries are all among its hits.
    """

    def __init__(self, gen: Path):  # deliberately not calling NameIndex.__init__: lazy
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

    def label(self, iri: str, lang: str = "zh") -> str:
        from .namespaces import shorten

        e = self.entry(iri)
        if not e:
            return shorten(iri)
        return e.get(lang) or e.get("en" if lang == "zh" else "zh") or shorten(iri)

    def search(self, text, types=None, limit=20, min_score=20.0):
        return self._all().search(text, types, limit, min_score)

    def resolve(self, text: str, types=None, what: str = "entity") -> str:
        from .limits import check_name
        from .names import _as_iri

        types = list(types or ())
        iri = _as_iri(check_name(text, f"{what} name"))
        if iri is not None:
            e = self.entry(iri)
            if e and (not types or set(types) & set(e["types"])):
                return iri
        q = normalize(text)
        if q and self._full is None:
            rows = self._db.execute("SELECT DISTINCT entries.entry FROM keys JOIN entries USING (iri) "
                                    "WHERE keys.key = ?", (q,)).fetchall()
            hits = [json.loads(r[0]) for r in rows]
            hits = [e for e in hits if not types or set(types) & set(e["types"])]
            if hits:
                return NameIndex(hits).resolve(text, types=types, what=what)
        return self._all().resolve(text, types=types, what=what)


class StoreBackend(LocalBackend):
    """A store built by ``qdgraph load``, opened read-only."""

    def __init__(self, store_dir: Path, generation: str | None = None):
        gen = Path(store_dir) / generation if generation else current_generation(store_dir)
        try:
            store = ox.Store.read_only(str(gen / STORE_SUBDIR))
        except OSError as err:
            raise StoreError(f"{store_dir}: cannot open the store: {err}") from None
        super().__init__(store, None, description=f"store {store_dir}")
        self.gen = gen

    def name_index(self) -> list | None:
        return load_names(self.gen)

    def lazy_name_index(self) -> NameIndex:
        if (self.gen / NAMES_DB).is_file():
            return StoreNameIndex(self.gen)
        return NameIndex(load_names(self.gen) or [])


def open_store_backend(store_dir: Path, data: Iterable[Path] = ()) -> StoreBackend:
    """The backend behind ``--store DIR``. ``--data`` is refused with it: a store is a fixed,
    recorded set of files, and silently querying something else would break that record."""
    data = list(data)
    if data:
        raise UsageError("--data cannot be combined with --store; add the files to the store with "
                         "`qdgraph load FILES --store DIR --force`")
    return StoreBackend(Path(store_dir))

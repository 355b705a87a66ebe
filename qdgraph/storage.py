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
import time
from pathlib import Path
from typing import Callable, Iterable

import pyoxigraph as ox

from . import __version__, paths
from .bundle import MANIFEST_FILE, NAMES_FILE, load_names
from .errors import QdgraphError, TurtleSyntaxError, UsageError
from .graph import LocalBackend
from .names import NameIndex, normalize
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
    if not pointer.is_file():
        raise StoreError(f"{store_dir}: not a qdgraph store (no {CURRENT_FILE} file); "
                         f"build one with `qdgraph load --store {store_dir}`")
    gen = store_dir / pointer.read_text(encoding="utf-8").strip()
    if not (gen / STORE_SUBDIR).is_dir():
        raise StoreError(f"{store_dir}: damaged store ({CURRENT_FILE} names {gen.name}, which is missing)")
    return gen


def is_store(store_dir: Path) -> bool:
    return (Path(store_dir) / CURRENT_FILE).is_file()


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


def _load_one(store: "ox.Store", path: Path, progress: Progress | None) -> str:
    """Add one file to ``store``; its sha256. Errors read ``file:line:col: message``."""
    from .rdfio import check_readable, parse_file, rdf_format

    check_readable(path)
    fmt = rdf_format(path)
    if fmt not in _BULK:  # JSON-LD, RDF/XML: small in practice, parsed whole
        store.extend(parse_file(path))
        sha = sha256_file(path)
        if progress:
            progress(path.stat().st_size)
        return sha
    base = path.resolve().as_uri()
    try:
        if progress is None:  # Oxigraph reads the file itself: the fastest way
            store.bulk_load(path=str(path), format=fmt, base_iri=base)
            return sha256_file(path)
        with open(path, "rb") as f:
            reader = _HashingReader(f, progress)
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
    return reader.hash.hexdigest()


def check_target(store_dir: Path, force: bool) -> None:
    """Refuse to build over something we did not make, or over a store without --force."""
    if is_store(store_dir):
        if not force:
            raise StoreError(f"{store_dir} already holds a store; add --force to rebuild it "
                             "(imports into it are dropped), or add rows with `qdgraph import`")
        return
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
            try:
                records = []
                disk = ox.Store(str(gen / STORE_SUBDIR))
                base = paths.bundled_files() if bundled else []
                for f in base:
                    role = "ontology" if f == paths.ONTOLOGY else "bundled"
                    records.append(file_record(f, _load_one(disk, f, None), role))
                for f in files:
                    records.append(file_record(f, _load_one(disk, f, progress), "data"))
                disk.flush()
                manifest = {"qdgraph": __version__, "pyoxigraph": ox.__version__,
                            "created": _now(), "files": records, "imports": []}
                finish_generation(gen, disk, manifest)
                del disk
                publish(store_dir, gen)
            except BaseException:
                shutil.rmtree(gen, ignore_errors=True)
                raise
    except BaseException:
        if created:  # leave no empty folder behind a failed first build
            shutil.rmtree(store_dir, ignore_errors=True)
        raise
    return manifest


def finish_generation(gen: Path, disk: "ox.Store", manifest: dict, names: list | None = None) -> None:
    """Write the name index and the manifest beside a freshly written database."""
    from .names import index_entries

    if names is None:
        names = index_entries(index_rows(disk))
    write_names(gen, names)
    manifest["triples"] = len(disk)
    (gen / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


def index_rows(store: "ox.Store"):
    """The rows of ``qdgraph.names.INDEX_QUERY``, from three flat queries: on a million triples
    this takes two seconds where that query (two OPTIONALs, two NOT EXISTS) takes eight. Every
    label, type and alias of an entity reaches ``index_entries`` as the query gives them; only
    the cross product of its OPTIONALs is left out, which ``index_entries`` does not need."""
    def pairs(q):
        return ((sol[0], sol[1]) for sol in store.query(q, prefixes=PREFIXES))

    labels: dict = {}
    for e, lab in pairs("SELECT ?e ?l WHERE { ?e rdfs:label ?l FILTER (isIRI(?e)) }"):
        labels.setdefault(e, []).append(lab)
    types: dict = {}
    for e, t in pairs("SELECT ?e ?t WHERE { ?e a ?t }"):
        if e in labels:
            types.setdefault(e, []).append(t)
    alts: dict = {}
    for e, a in pairs("SELECT ?e ?a WHERE { ?e skos:altLabel ?a }"):
        if e in labels:
            alts.setdefault(e, []).append(a)
    skip = {QD + "Quote", QD + "Claim"}
    for e, labs in labels.items():
        ts, als = types.get(e, []), alts.get(e, [])
        if any(t.value in skip for t in ts):
            continue
        for i in range(max(len(labs), len(ts), len(als))):
            row = {"e": e, "label": labs[i] if i < len(labs) else labs[0]}
            if i < len(ts):
                row["type"] = ts[i]
            if i < len(als):
                row["alt"] = als[i]
            yield row


def write_names(gen: Path, entries: list[dict]) -> None:
    (gen / NAMES_FILE).write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    db = sqlite3.connect(gen / NAMES_DB)
    try:
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
        from .names import _as_iri

        types = list(types or ())
        iri = _as_iri(text)
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

    def __init__(self, store_dir: Path):
        gen = current_generation(store_dir)
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

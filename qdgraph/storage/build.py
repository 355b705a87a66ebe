"""``qdgraph load``: build a store (see ``qdgraph.storage.generations`` for its layout) from the
ontology, the bundled data and the user's RDF files, streaming big files into Oxigraph's bulk
loader while a second thread reads the name index from the same files (``qdgraph.storage.indexscan``)
and a third the rules' and the lookups' in-memory copy (``qdgraph.storage.shadow``).
All or nothing: the new generation is only published once complete.
"""
from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path
from typing import Callable, Iterable

import pyoxigraph as ox

from qdgraph import __version__, paths
from qdgraph.storage.generations import LOCK_FILE, STORE_SUBDIR, StoreError, is_interrupted, is_store, new_generation, now, publish, write_lock, write_manifest
from qdgraph.storage.indexscan import IndexScanner, sha256_file
from qdgraph.names import build_index
from qdgraph.storage.namestore import write_names

# Formats Oxigraph bulk-loads (streaming, parallel); other RDF files are parsed in memory.
_BULK = {ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS, ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG}

Progress = Callable[[int], None]  # called with a number of bytes just read

# A file of at most this many bytes is added in a transaction, not bulk-loaded: each bulk_load
# call writes files of its own into the database, which RocksDB then merges with the rest (the
# five bundled files, 6,000 triples: 0.3-0.8 s of the load's CPU at 1 M triples, 0.1 s this way).
SMALL = 512 << 10


def file_record(path: Path, sha256: str, role: str) -> dict:
    return {"path": str(path.resolve()), "name": path.name, "role": role, "bytes": path.stat().st_size,
            "sha256": sha256}


# Bytes of a line-based file (N-Triples, N-Quads) given to one bulk_load call. The loader
# holds a whole call's quads in memory: 1 M triples in one call peaked at 865 MB, in calls of
# 32 MB at 280 MB, in the same time; that room holds the rules' copy (qdgraph.storage.shadow).
CHUNK = 32 << 20


class _HashingReader:
    """A file object for bulk_load that hashes what it reads and reports progress, so the
    manifest's sha256 and the progress bar cost no second pass over a big file. ``head``:
    bytes already read (and hashed) to give first."""

    def __init__(self, f, progress: Progress | None, hash=None, head: bytes = b""):
        self.f, self.progress, self.hash, self.head = f, progress, hash or hashlib.sha256(), head

    def read(self, n=-1):
        if self.head:
            out = self.head if n is None or n < 0 else self.head[:n]
            self.head = self.head[len(out):]
            return out
        chunk = self.f.read(n)
        self.hash.update(chunk)
        if self.progress and chunk:
            self.progress(len(chunk))
        return chunk

    def readinto(self, buf):  # pragma: no cover - used by some readers
        data = self.read(len(buf))
        buf[: len(data)] = data
        return len(data)


def _load_one(store: "ox.Store", path: Path, progress: Progress | None, chunked: bool = False,
              tail: Callable[[], bytes | None] | None = None) -> str | None:
    """Add one file to ``store``; its sha256 when hashing it cost nothing extra (else None: the
    index scanner hashes it). ``chunked``: a line-based file in calls of CHUNK bytes (with the
    rules' copy beside it), the last of them with what ``tail()`` gives (N-Triples) after it.
    Errors read ``file:line:col: message``."""
    from qdgraph.storage.rdfio import BOM, check_readable, has_bom, open_rdf, parse_file, rdf_errors, rdf_format

    check_readable(path)
    fmt = rdf_format(path)
    if fmt not in _BULK:  # JSON-LD, RDF/XML: small in practice, parsed whole
        store.extend(parse_file(path))
        if progress:
            progress(path.stat().st_size)
        return None
    base = path.resolve().as_uri()
    if chunked and fmt in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS):
        with rdf_errors(path):
            return _load_lines(store, path, fmt, base, progress, tail)
    with rdf_errors(path):
        if progress is None and not has_bom(path):  # Oxigraph reads the file itself: the fastest way
            if path.stat().st_size <= SMALL:  # the bundled files: into the write buffer
                store.load(path=str(path), format=fmt, base_iri=base)
            else:
                store.bulk_load(path=str(path), format=fmt, base_iri=base)
            return None
        with open_rdf(path) as f:  # past a byte-order mark: it is hashed, not parsed
            reader = _HashingReader(f, progress)
            if f.tell():
                reader.hash.update(BOM)
            store.bulk_load(reader, format=fmt, base_iri=base)
            while reader.read(1 << 20):  # the parser may stop before EOF (trailing whitespace)
                pass
    return reader.hash.hexdigest()


def _load_lines(store: "ox.Store", path: Path, fmt, base: str, progress: Progress | None,
                tail: Callable[[], bytes | None] | None = None) -> str:
    """A line-based file loaded in calls of about CHUNK bytes, cut at line ends; its sha256.
    Each call names blank nodes afresh: from the first chunk that may hold one ("_:"), the
    rest of the file goes in one call, as a whole file would. A syntax error names its line
    in the file, not in the call. ``tail()``: N-Triples (of IRIs) for the last call to load
    after the file's last lines (the rules' triples: each call is sorted and written into the
    database's files, and one call fewer left RocksDB a second less of merging them)."""
    from qdgraph.storage.rdfio import BOM, open_rdf

    h = hashlib.sha256()
    lines = 0  # in the calls before this one

    def load(data) -> None:
        try:
            store.bulk_load(data, format=fmt, base_iri=base)
        except SyntaxError as err:
            if err.lineno is not None:
                err.lineno += lines
            raise

    with open_rdf(path) as f:
        if f.tell():
            h.update(BOM)
        rest = b""
        while True:
            data = f.read(CHUNK)
            end = not data
            if tail is not None and data and len(data) < CHUNK:  # a short read: the end, unless a pipe
                more = f.read(1)
                data, end = data + more, not more
            h.update(data)
            if b"_:" in data or b"_:" in rest[-1:] + data[:1]:
                if progress and data:
                    progress(len(data))
                reader = _HashingReader(f, progress, h, rest + data)
                load(reader)
                while reader.read(1 << 20):  # the parser may stop before EOF (trailing whitespace)
                    pass
                return h.hexdigest()
            chunk = rest + data
            if end:
                if progress and data:
                    progress(len(data))
                extra = tail() if tail is not None else None
                if extra and chunk and len(chunk) + len(extra) > CHUNK:  # a call holds its quads in memory
                    load(chunk)
                    chunk = b""
                if extra:
                    chunk += (b"\n" if chunk and not chunk.endswith(b"\n") else b"") + extra
                if chunk:
                    load(chunk)
                return h.hexdigest()
            cut = chunk.rfind(b"\n") + 1  # 0 without a line end: all of it waits for the next read
            rest, chunk = chunk[cut:], chunk[:cut]
            if chunk:
                load(chunk)
                lines += chunk.count(b"\n")
            if progress:
                progress(len(data))


def check_target(store_dir: Path, force: bool) -> None:
    """Refuse to build over something we did not make, or over a store without --force."""
    if is_store(store_dir):
        if not force:
            raise StoreError(f"{store_dir} already holds a store; pass force=True to rebuild it "
                             "(imports into it are dropped), or add rows with `qdgraph import`").for_cli(
                f"{store_dir} already holds a store; add --force to rebuild it "
                "(imports into it are dropped), or add rows with `qdgraph import`")
        return
    if is_interrupted(store_dir):
        return  # a killed first build: its leftovers go when this build is published
    if store_dir.exists() and (not store_dir.is_dir() or any(p.name != LOCK_FILE for p in store_dir.iterdir())):
        raise StoreError(f"{store_dir}: exists and is not a qdgraph store; give an empty or new folder")


def build_store(store_dir: str | Path, files: Iterable[str | Path] = (), *, force: bool = False,
                bundled: bool = True, progress: Progress | None = None, ends_process: bool = False) -> dict:
    """Build a store of the ontology, the bundled data and ``files`` at ``store_dir``; returns
    the manifest. All or nothing: on any error the folder is as it was. ``ends_process``: the
    caller's process ends right after (``qdgraph load``), so the in-memory copy the build makes
    is left for the process's end to free (``qdgraph.storage.shadow``)."""
    from qdgraph.storage.rdfio import check_readable, rdf_format

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
            # an in-memory copy of the files is made while Oxigraph loads them (bulk_load
            # releases the GIL and keeps about one core busy; this takes the other), for the rules,
            # the lookups and the name index (read from the files themselves when there is none)
            shadow = _shadow([f for f, _ in roles], free=not ends_process)
            scanner = IndexScanner(gen, [f for f, _ in roles], early=shadow is not None, shadow=shadow)
            scanner.start()
            if shadow is not None:
                shadow.start()
            try:
                manifest = _fill(gen, roles, scanner, shadow, progress)
                publish(store_dir, gen)
            except BaseException as err:
                scanner.cancel()
                if shadow is not None:
                    shadow.cancel()
                _discard(gen, err)
                raise
    except BaseException:
        if created:  # leave no empty folder behind a failed first build
            shutil.rmtree(store_dir, ignore_errors=True)
        raise
    return manifest


def _shadow(files: list[Path], free: bool = True):
    """The in-memory copy for the rules and the lookups (``qdgraph.storage.shadow``); None
    when a big file is not line-based (read whole, it would hold the whole graph beside the
    bulk loader's peak), or when the files are too big for it to be worth its memory."""
    from qdgraph.queryfiles import all_queries
    from qdgraph.storage.rdfio import rdf_format
    from qdgraph.storage.shadow import MAX_INPUT, MAX_WHOLE_FILE, Shadow

    lines = (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS)
    if any(rdf_format(f) not in lines and f.stat().st_size > MAX_WHOLE_FILE for f in files):
        return None
    if sum(f.stat().st_size for f in files) > MAX_INPUT:  # it grows with the data: 2.6 bytes a byte read
        return None
    return Shadow(files, list(all_queries().values()), free)


def _fill(gen: Path, roles: list, scanner: IndexScanner, shadow, progress: Progress | None) -> dict:
    """Load the files into the database of the new generation ``gen``, derive the rules'
    links, write its name index and manifest; returns the manifest."""
    from qdgraph.storage.rdfio import rdf_format
    from qdgraph.storage.rules import apply_verdicts, materialise

    disk = ox.Store(str(gen / STORE_SUBDIR))
    # the copy's derived triples go with the last call of the last line-based file (then the
    # verdicts run here, as below) when they may come before the verdicts (``Shadow.before_verdicts``)
    lines = [n for n, (f, _) in enumerate(roles) if rdf_format(f) in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS)]
    early: list[bytes] = []

    def derived_first() -> bytes | None:
        derived = shadow.derived_before_verdicts()
        if derived:
            early.append(derived)
        return derived

    shas = [_load_one(disk, f, progress if role == "data" else None, shadow is not None,
                      derived_first if shadow is not None and lines and n == lines[-1] else None)
            for n, (f, role) in enumerate(roles)]
    scanner.loaded()  # its index now, beside the rules, not on top of the bulk loader's peak memory
    derived = shadow.wait_derived() if shadow is not None else None
    if derived is None:  # the rules and the lookups on the store itself
        started = time.perf_counter()
        rules = materialise(disk)
        rules_seconds = time.perf_counter() - started
        disk.flush()
        answers = keep_answers(gen, disk)
    else:  # what the rules derived in the copy, added as the rules would add it here
        rules, rules_seconds = shadow.rules, shadow.seconds
        apply_verdicts(disk)  # the copy's own ran before its rules, as materialise does
        if not early:
            disk.bulk_load(derived, format=ox.RdfFormat.N_TRIPLES)
        disk.flush()
        answers = _kept_from(shadow, gen, disk)
    triples = len(disk)  # counted by a scan (0.4 s at 1 M triples): while the index is still written
    scanner.join()
    shas = [sha or scanner.sha256.get(f) or sha256_file(f) for (f, _), sha in zip(roles, shas)]
    records = [file_record(f, sha, role) for (f, role), sha in zip(roles, shas)]
    manifest = {"qdgraph": __version__, "pyoxigraph": ox.__version__,
                "created": now(), "files": records, "imports": [],
                "rules": rules, "rules_seconds": round(rules_seconds, 3), "answers": answers}
    if not scanner.ok:  # the fallback: the index from the loaded store
        write_names(gen, build_index(disk))
    write_manifest(gen, manifest, triples)
    return manifest  # the database closes as this frame ends


def keep_answers(gen: Path, disk: "ox.Store") -> dict:
    """The lookups' named queries answered for the new generation (``qdgraph.storage.answers``)."""
    from qdgraph.queryfiles import all_queries
    from qdgraph.storage.answers import write_answers

    return write_answers(gen, disk, list(all_queries().values()))


def _kept_from(shadow, gen: Path, disk: "ox.Store") -> dict:
    """The kept answers the copy computed; any with a blank node in it (named by the copy's
    own parse) asked of the store instead, and all of them if the copy failed."""
    from qdgraph.storage.answers import LEAST, answer_one, save_answers

    rows = shadow.wait_answers()
    if rows is None:
        return keep_answers(gen, disk)
    queries = shadow.queries
    by_name = {q.name: q for q in queries}
    for n, (name, param, result) in enumerate(rows):
        if name != LEAST and b"_:" in result:  # a least key is an IRI, whatever its text
            q = by_name[name]  # param: the instance in N-Triples syntax, "<iri>"; "": a whole answer
            rows[n] = answer_one(disk, q, None, None) if not param else \
                answer_one(disk, q, ox.Variable(q.params[0].name), ox.NamedNode(param[1:-1]))
    return save_answers(gen, queries, rows, time.perf_counter() - shadow.answers_seconds)


def add_quads(store_dir: Path, backend, new: list, reindex: Iterable[str], record: dict) -> None:
    """Add ``new`` quads to the store as a new generation: the current database copied (hard
    links: cheap), the quads added in one transaction, the name index entries of the IRIs in
    ``reindex`` rebuilt, ``record`` appended to the manifest's imports; then swapped in. The
    caller holds ``write_lock``; ``backend`` is the ``StoreBackend`` of the current generation."""
    gen = new_generation(store_dir)
    try:
        _extend(gen, backend, new, reindex, record)
        publish(store_dir, gen)
    except BaseException as err:
        _discard(gen, err)
        raise


def _extend(gen: Path, backend, new: list, reindex: Iterable[str], record: dict) -> None:
    from qdgraph.storage.generations import read_manifest, write_manifest
    from qdgraph.storage.namestore import load_names

    old = backend.gen
    backend.backup(gen / STORE_SUBDIR)
    disk = ox.Store(str(gen / STORE_SUBDIR))
    disk.extend(ox.Quad(*q) for q in new)
    disk.flush()
    mini = ox.Store()
    for iri in reindex:
        mini.extend(disk.quads_for_pattern(ox.NamedNode(iri), None, None, None))
    kept = load_names(old)
    if kept is None:  # no index, or a damaged one: the whole index from the new database
        entries = build_index(disk)
    else:
        fresh = {e["iri"]: e for e in build_index(mini)}
        entries = sorted([e for e in kept if e["iri"] not in fresh] + list(fresh.values()), key=lambda e: e["iri"])
    manifest = read_manifest(old)
    manifest.setdefault("imports", []).append(record)
    manifest["answers"] = keep_answers(gen, disk)  # new quads may change any of them
    write_names(gen, entries)
    write_manifest(gen, manifest, len(disk))  # the database closes as this frame ends


def _discard(gen: Path, err: BaseException) -> None:
    """Delete the unfinished generation ``gen``. The frames of ``err``'s traceback still hold the
    open database (``_load_one(disk, …)``): clear them first, so the database closes. A bulk
    load stopped by a syntax error may still have loader threads writing files for a moment
    (1 build in 13 under load left its folder behind): delete until the folder stays gone."""
    import time
    import traceback

    traceback.clear_frames(err.__traceback__)  # the last reference: the database closes now
    for _ in range(40):  # at most 2 s, on a failed build only
        shutil.rmtree(gen, ignore_errors=True)
        time.sleep(0.05)
        if not gen.exists():
            return

"""The on-disk store format: one format for stores built by ``qdgraph load`` and for the
bundled graph's compiled cache.

A store folder holds *generations*; the file ``CURRENT`` names the one in use::

    DIR/CURRENT              "gen-20240501T101500-3f9c"   (replaced with os.replace: atomic)
    DIR/gen-…/store/         the Oxigraph (RocksDB) database
    DIR/gen-…/names.sqlite   the name index (qdgraph.names entries; qdgraph.storage.namestore)
    DIR/gen-…/answers.sqlite the lookups' named queries answered at build (qdgraph.storage.answers)
    DIR/gen-…/manifest.json  what the store was built from (files, sha256, sizes, triples, imports)
    DIR/gen-…/.qdgraph-generation  written first: qdgraph made this folder and may delete it
    DIR/.lock                held (flock) by whoever is writing

A writer (load, import) builds a complete new generation beside the current one and only then
points CURRENT at it, so a crash, a parse error or a kill at any moment leaves the old store
exactly as it was; readers never open a database that anyone is writing (Oxigraph forbids it).
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import time
from pathlib import Path

from qdgraph.errors import QdgraphError
from qdgraph.fileio import STORE_POINTER

CURRENT_FILE = STORE_POINTER
LOCK_FILE = ".lock"
NAMES_DB = "names.sqlite"
ANSWERS_DB = "answers.sqlite"  # answers kept for lookups (qdgraph.storage.answers)
MANIFEST_FILE = "manifest.json"
STORE_SUBDIR = "store"
GEN_PREFIX = "gen-"
# Written inside each generation as it is made. Only a folder holding it (or the one CURRENT named)
# is ever deleted: a user's own `gen-important/` beside a store is not ours, whatever its name.
GEN_MARKER = ".qdgraph-generation"


class StoreError(QdgraphError):
    """The store folder is missing, not a store, or already holds one."""


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
    with open(pointer, "rb") as f:  # a few bytes: a damaged CURRENT may hold a whole export
        raw = f.read(257)
    name = raw.decode("utf-8", "replace").strip()
    if len(raw) > 256 or not name.startswith(GEN_PREFIX) or "/" in name or "\\" in name or not name.isprintable():
        raise damaged(pointer, store_dir)
    gen = store_dir / name
    if not (gen / STORE_SUBDIR).is_dir():
        raise StoreError(f"{store_dir}: damaged store ({CURRENT_FILE} names {gen.name}, which is missing)")
    return gen


def is_store(store_dir: Path) -> bool:
    return (Path(store_dir) / CURRENT_FILE).is_file()


def is_interrupted(store_dir: Path) -> bool:
    """A folder holding only what a killed first build leaves (its lock, unfinished
    generations, a pointer not yet renamed): safe to build over."""
    entries = list(Path(store_dir).iterdir()) if Path(store_dir).is_dir() else []
    return bool(entries) and not is_store(store_dir) and any(_ours(p) for p in entries) and all(
        p.name == LOCK_FILE or _ours(p) or _our_pointer(p) for p in entries)


def made_by_qdgraph(store_dir: Path) -> bool:
    """``store_dir`` is a store qdgraph built: its CURRENT names a generation holding the marker,
    or (a store from before markers) a manifest.json that qdgraph wrote."""
    gen = _named_generation(Path(store_dir))
    if gen is None:
        return False
    if _ours(gen):
        return True
    try:
        manifest = json.loads((gen / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and "qdgraph" in manifest and (gen / STORE_SUBDIR).is_dir()


def _ours(gen: Path) -> bool:
    """A generation folder qdgraph made: named gen-…, holding the marker written as it was made."""
    return gen.name.startswith(GEN_PREFIX) and not gen.is_symlink() and (gen / GEN_MARKER).is_file()


def _our_pointer(p: Path) -> bool:
    """A CURRENT not yet renamed into place by a killed writer: `.CURRENT.<pid>`, a small file."""
    rest = p.name.removeprefix(f".{CURRENT_FILE}.")
    return rest != p.name and rest.isdigit() and p.is_file() and not p.is_symlink() and p.stat().st_size < 256


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
    import tempfile  # writers only: a lookup never pays for it

    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    gen = Path(tempfile.mkdtemp(prefix=f"{GEN_PREFIX}{stamp}-", dir=store_dir))
    (gen / GEN_MARKER).write_text("made by qdgraph; deleted with the generation\n", encoding="utf-8")
    return gen


def publish(store_dir: Path, gen: Path) -> None:
    """Point CURRENT at ``gen`` (atomic), then delete every other generation qdgraph made (the
    lock is held, so those are old stores or the leftovers of a killed writer)."""
    _pause_for_tests("publish")
    previous = _named_generation(store_dir)
    tmp = store_dir / f".{CURRENT_FILE}.{os.getpid()}"
    tmp.write_text(gen.name + "\n", encoding="utf-8")
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, store_dir / CURRENT_FILE)
    cleanup(store_dir, keep=gen, previous=previous)


def _named_generation(store_dir: Path) -> Path | None:
    """The generation folder CURRENT names, if it names one directly inside ``store_dir``."""
    try:
        name = (store_dir / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    gen = store_dir / name
    ok = name.startswith(GEN_PREFIX) and "/" not in name and name not in (".", "..")
    return gen if ok and gen.is_dir() and not gen.is_symlink() else None


def cleanup(store_dir: Path, keep: Path | None = None, previous: Path | None = None) -> None:
    """Delete the generations qdgraph made (marker inside) other than ``keep``, and ``previous``
    (the one CURRENT named: ours, even from a version that wrote no marker). Never by name alone."""
    import shutil

    for old in store_dir.glob(GEN_PREFIX + "*"):
        if old != keep and (_ours(old) or old == previous):
            shutil.rmtree(old, ignore_errors=True)
    for old in store_dir.glob(f".{CURRENT_FILE}.*"):
        if _our_pointer(old):
            old.unlink(missing_ok=True)


def _pause_for_tests(stage: str) -> None:
    """Let the test suite kill a writer at its most delicate moment (a real SIGKILL, not a
    simulated error): with QDGRAPH_TEST_PAUSE=stage:FILE the writer touches FILE and waits."""
    spec = os.environ.get("QDGRAPH_TEST_PAUSE", "")
    if spec.partition(":")[0] == stage:
        Path(spec.partition(":")[2]).write_text(str(os.getpid()))
        time.sleep(60)


def write_manifest(gen: Path, manifest: dict, triples: int) -> None:
    """Record what a freshly written generation holds and was built from."""
    manifest["triples"] = triples
    (gen / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


def read_manifest(gen: Path) -> dict:
    f = gen / MANIFEST_FILE
    try:
        manifest = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = None
    if not isinstance(manifest, dict):
        raise damaged(f, gen.parent)
    return manifest


def damaged(file: Path, store_dir: Path) -> StoreError:
    """The one-line error for a store file that is not what qdgraph wrote there."""
    return StoreError(f"{file}: damaged store file (not what qdgraph wrote there); "
                      f"rebuild the store with `qdgraph load --store {store_dir} --force`")


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")

"""The on-disk store format: one format for stores built by ``qdgraph load`` and for the
bundled graph's compiled cache.

A store folder holds *generations*; the file ``CURRENT`` names the one in use::

    DIR/CURRENT              "gen-20240501T101500-3f9c"   (replaced with os.replace: atomic)
    DIR/gen-…/store/         the Oxigraph (RocksDB) database
    DIR/gen-…/names.json     the name index (qdgraph.names entries)
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
import json
import os
import time
from pathlib import Path

from qdgraph.errors import QdgraphError

CURRENT_FILE = "CURRENT"
LOCK_FILE = ".lock"
NAMES_FILE = "names.json"
NAMES_DB = "names.sqlite"
MANIFEST_FILE = "manifest.json"
STORE_SUBDIR = "store"
GEN_PREFIX = "gen-"


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
            import shutil

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


def write_manifest(gen: Path, manifest: dict, triples: int) -> None:
    """Record what a freshly written generation holds and was built from."""
    manifest["triples"] = triples
    (gen / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


def read_manifest(gen: Path) -> dict:
    return json.loads((gen / MANIFEST_FILE).read_text(encoding="utf-8"))


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")

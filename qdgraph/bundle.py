"""The compiled store of the bundled graph.

Parsing Turtle on every command is wasted work, so the bundled files are loaded once into an
on-disk Oxigraph store under the user's cache, keyed by a hash of their bytes: any edit to
``data/*.ttl`` or the ontology gives a new key and a rebuild. A build goes to a temporary
folder that is renamed into place, so concurrent commands never see half a store. The name
index (labels with their pinyin) is computed at the same time, which keeps pypinyin off the
lookup path.
"""
from __future__ import annotations

import hashlib
import json

import shutil
from pathlib import Path

import pyoxigraph as ox

from . import __version__, paths
from .rdfio import load_files

NAMES_FILE = "names.json"
MANIFEST_FILE = "manifest.json"


def bundle_key(files: list[Path]) -> str:
    h = hashlib.sha256(__version__.encode())
    h.update((Path(__file__).parent / "names.py").read_bytes())  # the index format lives there
    for f in files:
        h.update(f.name.encode() + b"\0")
        h.update(f.read_bytes())
    return h.hexdigest()[:20]


def compile_store(target: Path, files: list[Path], store: "ox.Store | None" = None) -> None:
    """Build an on-disk store (plus name index and manifest) of ``files`` at ``target``,
    atomically. ``store`` is an already loaded in-memory copy to dump instead of re-parsing."""
    from .names import build_index

    from .fileio import owned_tempdir, sweep_orphans

    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_orphans(target.parent, ".build-")  # builds whose process was killed
    tmp = owned_tempdir(".build-", target.parent)
    try:
        disk = ox.Store(str(tmp / "store"))
        if store is None:
            load_files(disk, files)
        else:
            disk.extend(store.quads_for_pattern(None, None, None, None))
        disk.flush()
        (tmp / NAMES_FILE).write_text(json.dumps(build_index(disk), ensure_ascii=False), encoding="utf-8")
        manifest = {"qdgraph": __version__, "files": [str(f) for f in files], "triples": len(disk)}
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        del disk
        try:
            tmp.rename(target)
        except OSError:  # another process won the race; its copy is identical
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def bundled_store_dir() -> Path | None:
    """The compiled store of the bundled files, built if missing; None if the cache is unusable."""
    files = paths.bundled_files()
    key = bundle_key(files)
    root = paths.cache_dir()
    target = root / f"bundle-{key}"
    if (target / MANIFEST_FILE).is_file():
        return target
    try:
        compile_store(target, files)
    except OSError:
        return None
    for old in root.glob("bundle-*"):  # drop stale builds
        if old != target:
            shutil.rmtree(old, ignore_errors=True)
    return target


def open_bundled() -> tuple["ox.Store", list | None, Path] | None:
    """The compiled bundled store opened read-only, with its name index and folder; None if the
    cache is unusable. A damaged copy (a truncated names.json, database files gone) is
    deleted and rebuilt once instead of failing every command."""
    for attempt in (1, 2):
        d = bundled_store_dir()
        if d is None:
            return None
        try:
            return open_read_only(d), load_names(d), d
        except (OSError, ValueError) as err:  # JSON errors are ValueErrors
            if attempt == 2:
                from .errors import QdgraphError

                raise QdgraphError(f"the compiled graph in {d} is damaged and could not be rebuilt ({err}); "
                                   "delete that folder") from None
            shutil.rmtree(d, ignore_errors=True)
    return None


def open_read_only(store_dir: Path) -> "ox.Store":
    return ox.Store.read_only(str(store_dir / "store"))


def load_names(store_dir: Path) -> list | None:
    f = store_dir / NAMES_FILE
    if f.is_file():
        return json.loads(f.read_text(encoding="utf-8"))
    return None


def clear_cache() -> None:
    root = paths.cache_dir()
    for d in root.glob("bundle-*"):
        shutil.rmtree(d, ignore_errors=True)



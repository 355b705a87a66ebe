"""The compiled store of the bundled graph.

Parsing Turtle on every command is wasted work, so the bundled files are loaded once into a
store under the user's cache — the same on-disk format as ``qdgraph load`` builds
(``qdgraph.storage.generations``) — keyed by a hash of their bytes: any edit to ``data/*.ttl``, the
ontology or a rule gives a new key and a rebuild. The rules of ``qdgraph/storage/rules/`` are
materialised into the store as it is built. The name index (labels with their pinyin) is
computed at the same time, which keeps pypinyin off the lookup path.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from qdgraph import __version__, paths
from qdgraph.storage.generations import is_store, made_by_qdgraph


def _code_inputs() -> list[Path]:
    """The code the compiled store depends on besides the bundled files: the name index and the
    store layout (their modules) and the rules."""
    from qdgraph import names
    from qdgraph.storage import generations
    from qdgraph.storage.rules import rule_files

    here = Path(__file__).resolve().parent
    return [Path(names.__file__), here / "namestore.py", Path(generations.__file__), *rule_files()]


def bundle_key(files: list[Path]) -> str:
    """A hash of the bytes (and names) of ``files`` and of the code the store depends on
    (``_code_inputs``), read on every command: about 4 ms of a 300 ms lookup with hashlib's
    import (under 2 %), so no memo of file stamps is kept to skip it — no state to go stale."""
    return _hash(_code_inputs(), files)


def _hash(code: list[Path], files: list[Path]) -> str:
    import hashlib

    h = hashlib.sha256(__version__.encode())
    for f in code:
        h.update(f.read_bytes())
    for f in files:
        h.update(f.name.encode() + b"\0")
        h.update(f.read_bytes())
    return h.hexdigest()[:20]


def bundled_store_dir() -> Path | None:
    """The compiled store of the bundled files, built if missing; None if the cache is unusable.

    The build goes to a temporary folder renamed into place, so concurrent commands never see
    half a store (a generation names itself relative to its store folder)."""
    key = bundle_key(paths.bundled_files())
    root = paths.cache_dir()
    target = root / f"bundle-{key}"
    if is_store(target):
        return target
    from qdgraph.fileio import owned_tempdir, sweep_orphans

    try:
        root.mkdir(parents=True, exist_ok=True)
        sweep_orphans(root, ".build-")  # builds whose process was killed
        tmp = owned_tempdir(".build-", root)
    except OSError:
        return None
    from qdgraph.storage.build import build_store

    try:
        build_store(tmp / "store")
        (tmp / "store").rename(target)
    except OSError:  # another process won the race (its copy is identical), or no space
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not is_store(target):
        return None
    for old in root.glob("bundle-*"):  # drop stale builds: stores qdgraph built, never a folder by name alone
        if old != target and made_by_qdgraph(old):
            shutil.rmtree(old, ignore_errors=True)
    return target


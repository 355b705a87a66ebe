"""The compiled store of the bundled graph.

Parsing Turtle on every command is wasted work, so the bundled files are loaded once into a
store under the user's cache — the same on-disk format as ``qdgraph load`` builds
(``qdgraph.storage.generations``) — keyed by a hash of their bytes: any edit to ``data/*.ttl``, the
ontology or a rule gives a new key and a rebuild. The rules of ``qdgraph/storage/rules/`` are
materialised into the store as it is built. The name index (labels with their pinyin) is
computed at the same time, which keeps pypinyin off the lookup path.
"""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from qdgraph import __version__, paths
from qdgraph.storage.generations import is_store


def bundle_key(files: list[Path]) -> str:
    h = hashlib.sha256(__version__.encode())
    from qdgraph import names
    from qdgraph.storage import generations

    for fmt in (names, generations):  # the index format and the store layout live there
        h.update(Path(fmt.__file__).read_bytes())
    from qdgraph.storage.rules import rule_files
    for f in rule_files():       # a changed rule changes what the build derives
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
    for old in root.glob("bundle-*"):  # drop stale builds
        if old != target:
            shutil.rmtree(old, ignore_errors=True)
    return target


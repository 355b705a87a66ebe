"""The compiled store of the bundled graph.

Parsing Turtle on every command is wasted work, so the bundled files are loaded once into a
store under the user's cache — the same on-disk format as ``qdgraph load`` builds
(``qdgraph.storage.generations``) — keyed by a hash of their bytes: any edit to ``data/*.ttl``, the
ontology or a rule gives a new key and a rebuild. The rules of ``qdgraph/storage/rules/`` are
materialised into the store as it is built. The name index (labels with their pinyin) is
computed at the same time, which keeps pypinyin off the lookup path.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from qdgraph import __version__, paths
from qdgraph.storage.generations import is_store, made_by_qdgraph

KEY_MEMO = "bundle.key.json"  # in the cache folder: the last key and the file stamps it was hashed from
SETTLED_NS = 2_000_000_000    # a file unchanged this long keeps its stamp


def _code_inputs() -> list[Path]:
    """The code the compiled store depends on besides the bundled files: the index format and
    the store layout (their modules) and the rules."""
    from qdgraph import names
    from qdgraph.storage import generations
    from qdgraph.storage.rules import rule_files

    return [Path(names.__file__), Path(generations.__file__), *rule_files()]


def bundle_key(files: list[Path]) -> str:
    """A hash of the bytes (and names) of ``files`` and of the code the store depends on
    (``_code_inputs``). Every command needs it, so it is kept with the stamps (size,
    modification time, inode) of the files it was computed from and hashed again only when a
    stamp changes, as make and git do: reading and hashing the files (and loading OpenSSL for
    it) was 4 ms of every lookup. As in git, stamps of files changed in the last seconds are
    not kept: a second edit within the file system's clock tick would leave the same stamp."""
    code = _code_inputs()
    try:
        stamps = [__version__] + [[str(f), st.st_size, st.st_mtime_ns, st.st_ino]
                                  for f in [*code, *files] for st in [os.stat(f)]]
    except OSError:
        stamps = None
    memo = paths.cache_dir() / KEY_MEMO
    if stamps is not None:
        try:
            saved = json.loads(memo.read_text(encoding="utf-8"))
            if saved["stamps"] == stamps:
                return saved["key"]
        except (OSError, ValueError, KeyError, TypeError):
            pass
    key = _hash(code, files)
    if stamps is not None and max(st[2] for st in stamps[1:]) < time.time_ns() - SETTLED_NS:
        try:  # a whole file or none: written aside, then renamed
            memo.parent.mkdir(parents=True, exist_ok=True)
            tmp = memo.with_name(f".{KEY_MEMO}.{os.getpid()}")
            tmp.write_text(json.dumps({"stamps": stamps, "key": key}), encoding="utf-8")
            tmp.replace(memo)
        except OSError:  # no writable cache: hashed again next time
            pass
    return key


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


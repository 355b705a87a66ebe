"""The compiled store of the bundled graph.

Parsing Turtle on every command is wasted work, so the bundled files are loaded once into a
store under the user's cache — the same on-disk format as ``qdgraph load`` builds
(``qdgraph.storage.generations``) — keyed by a hash of their bytes: any edit to ``data/*.ttl``, the
ontology or a rule gives a new key and a rebuild. The rules of ``qdgraph/storage/rules/`` are
materialised into the store as it is built. The name index (labels with their pinyin) is
computed at the same time, which keeps pypinyin off the lookup path.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from qdgraph import __version__, paths
from qdgraph.storage.generations import LOCK_FILE, is_store, made_by_qdgraph


def _code_inputs() -> list[Path]:
    """The code the compiled store depends on besides the bundled files: the name index, the
    store layout and the kept answers (their modules) and the rules."""
    from qdgraph import names
    from qdgraph.storage import generations
    from qdgraph.storage.rules import rule_files

    here = Path(__file__).resolve().parent
    return [Path(names.__file__), here / "namestore.py", here / "answers.py", Path(generations.__file__),
            *rule_files()]


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
    if is_store(target) and _hold(target):
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
    if not (is_store(target) and _hold(target)):
        return None
    for old in root.glob("bundle-*"):  # drop stale builds: stores qdgraph built, never a folder by name alone
        if old != target and made_by_qdgraph(old):
            _remove_unread(old)
    return target


# Another qdgraph sharing the cache (another version, another checkout) has its own bundle and
# deletes the ones it does not use; RocksDB opens a database's files as it needs them, so a
# command still reading a bundle that vanished fails ("missing .sst"). A reader holds a shared
# lock on the bundle's lock file for its whole life; a bundle is deleted only under an
# exclusive one, so never while anyone reads it.
_HELD: dict[Path, int] = {}  # bundle folder -> the descriptor holding its shared lock


def _hold(target: Path) -> bool:
    """Hold a shared lock on ``target`` for as long as this process lives; False when it was
    deleted meanwhile (the caller builds it again)."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks
        return True
    held = _HELD.pop(target, None)
    if held is not None:  # still the same bundle, or one built again since (a damaged one deleted)
        try:
            if os.fstat(held).st_ino == (target / LOCK_FILE).stat().st_ino:
                _HELD[target] = held
                return True
        except OSError:
            pass
        os.close(held)
    try:
        fd = os.open(target / LOCK_FILE, os.O_RDONLY)
    except OSError:  # deleted meanwhile; or no lock file to hold (read as before, unguarded)
        return is_store(target)
    fcntl.flock(fd, fcntl.LOCK_SH)  # waits while someone deletes it (then it is no store)
    if not is_store(target):
        os.close(fd)
        return False
    _HELD[target] = fd
    return True


def _remove_unread(old: Path) -> None:
    """Delete the bundle ``old`` unless a process holds it (``_hold``)."""
    try:
        import fcntl
    except ImportError:
        return  # no locks: kept (a few MB), not deleted under a reader
    try:
        fd = os.open(old / LOCK_FILE, os.O_RDONLY)
    except OSError:
        return  # no lock file: not a bundle this code built
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return
    try:
        shutil.rmtree(old, ignore_errors=True)
    finally:
        os.close(fd)


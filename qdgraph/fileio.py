"""Writing output files (``-o``) so a failure never leaves half a file behind, and nothing
the user did not name is replaced.

- a symlink is written through: its target gets the new content, the link stays;
- a FIFO, a device or a socket is written into, never replaced (``-o /dev/stdout`` works,
  ``-o /dev/full`` reports the full device and leaves it a device);
- a regular file is replaced atomically (temporary file beside it, then rename) and keeps its
  permission bits; a new file gets the usual ``0666 & ~umask``;
- nothing is ever written inside a store folder (``export -o st/CURRENT`` would break the store).
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from qdgraph.errors import QdgraphError


def write_atomic(path: str | Path, text: str | bytes) -> Path:
    """Write ``text`` to ``path`` (see the module notes); one-line QdgraphError on failure."""
    shown = Path(path)
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        st = os.stat(shown)  # follows symlinks: what the name leads to
    except FileNotFoundError:
        st = None
    except OSError as err:
        raise _error(shown, err) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise QdgraphError(f"{shown}: is a folder; give a file name")
    if st is not None and not stat.S_ISREG(st.st_mode):  # /dev/stdout on a pipe, a FIFO, a device
        _write_special(shown, data)
        return shown
    target = Path(os.path.realpath(shown))  # through every symlink, to the file that gets replaced
    refuse_inside_store(shown, target)
    folder = target.parent
    if not folder.is_dir():
        raise QdgraphError(f"{shown}: folder {shown.parent} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise QdgraphError(f"{shown}: cannot write in folder {shown.parent} (permission denied)")
    import tempfile  # writers only: every store lookup imports this module (the store pointer's name)

    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
    except OSError as err:
        raise _error(shown, err) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            # mkstemp makes 0600; keep the mode of the file we replace, or the umask default
            os.fchmod(f.fileno(), stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask())
        os.replace(tmp, target)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise _error(shown, err) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return shown


# The file that makes a folder a store (qdgraph.storage.generations.CURRENT_FILE, defined here so
# this foundation module needs nothing from the storage layer above it).
STORE_POINTER = "CURRENT"


def refuse_inside_store(shown: str | Path, target: str | Path | None = None) -> None:
    """A one-line error if ``shown`` (resolved: ``target``) is inside a qdgraph store folder:
    its files are the store's own, replaced only by `load` and `import`."""
    target = Path(target or os.path.realpath(shown))
    for folder in target.parents:
        if (folder / STORE_POINTER).is_file():
            raise QdgraphError(f"{shown}: is inside the qdgraph store {folder}; write the file elsewhere")


def _write_special(shown: Path, data: bytes) -> None:
    try:
        with open(shown, "wb") as f:  # FIFO / device: opened for writing, never renamed over
            f.write(data)
    except OSError as err:
        raise _error(shown, err) from None


def _error(shown: Path, err: OSError) -> QdgraphError:
    return QdgraphError(f"{shown}: cannot write ({err.strerror or err})")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ------------------------------------------------------------------ temporary folders
OWNER_FILE = ".owner"


def owned_tempdir(prefix: str, folder: str | Path | None = None) -> Path:
    """``mkdtemp`` that records the creating process, so a later run can tell a folder whose
    creator was killed (SIGKILL leaves no chance to clean up) from one still in use."""
    import tempfile

    d = Path(tempfile.mkdtemp(prefix=prefix, dir=folder))
    (d / OWNER_FILE).write_text(str(os.getpid()), encoding="ascii")
    return d


def sweep_orphans(folder: str | Path, prefix: str) -> None:
    """Delete ``prefix*`` folders under ``folder`` that ``owned_tempdir`` made (their owner file
    says so) and whose creating process is gone. A folder without the owner file is not ours,
    whatever its name, and is left alone."""
    import shutil

    for d in Path(folder).glob(prefix + "*"):
        if d.is_symlink():
            continue
        try:
            pid = int((d / OWNER_FILE).read_text(encoding="ascii"))
        except (OSError, ValueError):
            continue
        if not _alive(pid):
            shutil.rmtree(d, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True

"""Writing files so a failure never leaves half a file behind."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import QdgraphError


def write_atomic(path: str | Path, text: str | bytes) -> Path:
    """Write to a temporary file beside ``path`` and rename it into place."""
    path = Path(path)
    if not path.parent.exists():
        raise QdgraphError(f"{path}: folder {path.parent} does not exist")
    data = text.encode("utf-8") if isinstance(text, str) else text
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path

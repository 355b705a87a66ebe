"""Where the ontology, the bundled data and the source texts live.

From a checkout (or an editable install) they are the top-level ``ontology/`` and ``data/``
folders; a wheel carries copies inside the package as ``qdgraph/_bundle/``. Looking at the
checkout first means an edit to ``data/chains.ttl`` is seen at once.
"""
from __future__ import annotations

import os
from pathlib import Path

_PKG = Path(__file__).resolve().parent


def _root() -> Path:
    checkout = _PKG.parent
    if (checkout / "ontology" / "qdgraph.ttl").is_file() and (checkout / "data").is_dir():
        return checkout
    return _PKG / "_bundle"


ROOT = _root()
ONTOLOGY_DIR = ROOT / "ontology"
DATA_DIR = ROOT / "data"
ONTOLOGY = ONTOLOGY_DIR / "qdgraph.ttl"
SHAPES = ONTOLOGY_DIR / "shapes.ttl"


def ontology_files() -> list[Path]:
    """The ontology, then its other modules (``ontology/*.ttl`` other than shapes)."""
    extra = [p for p in sorted(ONTOLOGY_DIR.glob("*.ttl")) if p != ONTOLOGY and not p.name.endswith("shapes.ttl")]
    return [ONTOLOGY, *extra]


def shape_files() -> list[Path]:
    """Every SHACL shapes file (``ontology/*shapes.ttl``)."""
    return sorted(ONTOLOGY_DIR.glob("*shapes.ttl"))


def bundled_files() -> list[Path]:
    """The Turtle files that make up the bundled graph: the ontology, then every data file."""
    return [*ontology_files(), *sorted(DATA_DIR.glob("*.ttl"))]


def shared_dir() -> Path:
    """The shared W3C test suites and published vocabularies, a sibling of the checkout
    (``QDGRAPH_SHARED`` overrides); read there, never copied into the project."""
    env = os.environ.get("QDGRAPH_SHARED")
    return Path(env) if env else ROOT.parent / "shared"


def cache_dir() -> Path:
    """Per-user cache for the compiled store (``QDGRAPH_CACHE`` overrides)."""
    env = os.environ.get("QDGRAPH_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "qdgraph"

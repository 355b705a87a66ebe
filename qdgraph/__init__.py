"""qdgraph: a knowledge graph of Qingdao's modern-industry pioneer city plan (2022–2026).

    >>> import qdgraph
    >>> kg = qdgraph.open()                       # the bundled graph
    >>> kg.query("SELECT (COUNT(*) AS ?n) WHERE { ?i a qd:Indicator }").rows[0]["n"].value
    '12'
    >>> res = qdgraph.measures_for(kg, "rencaizongliang")   # which measures affect it, and why
    >>> res.zh, res.target["en"]
    ('全市人才总量', 'more than 3 million people')
    >>> kg.resolve("total talent", types=["qd:Indicator"])
    'https://w3id.org/qdgraph/id/indicator-total-talent'

Heavy modules are imported lazily so the command line starts fast.
"""
from __future__ import annotations

__version__ = "0.1.0"

_LAZY = {
    "open": ("qdgraph.engine.graph", "open_graph"),
    "open_graph": ("qdgraph.engine.graph", "open_graph"),
    "KnowledgeGraph": ("qdgraph.engine.graph", "KnowledgeGraph"),
    "measures_for": ("qdgraph.domain.measures", "measures_for"),
    "describe": ("qdgraph.domain.entity", "describe"),
    "picture": ("qdgraph.presentation.viz", "picture"),
    "validate": ("qdgraph.domain.validate", "validate"),
    "to_dataframe": ("qdgraph.presentation.dataframe", "to_dataframe"),
    "QdgraphError": ("qdgraph.errors", "QdgraphError"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        mod, attr = _LAZY[name]
        return getattr(importlib.import_module(mod), attr)
    raise AttributeError(f"module 'qdgraph' has no attribute {name!r}")

"""Interactive, offline HTML pictures of the graph.

``render(kg, kind, name)`` is the one entry point (the ``viz`` command and the HTTP server both
call it): ``kind`` is chain / pillar / indicator / enterprise (``name`` says which), all, or
query (``name`` is the CONSTRUCT/DESCRIBE query text). The result is the text of one
self-contained UTF-8 HTML page that makes no network request.
"""
from __future__ import annotations

from .cluster import GROUP_OVER
from .page import MAX_NODES, build_page
from .views import DEFAULT_DEPTH, KINDS

LAYOUTS = ("force", "hierarchical")

__all__ = ["render", "build_page", "KINDS", "LAYOUTS", "DEFAULT_DEPTH", "MAX_NODES", "GROUP_OVER"]


def render(kg, kind: str, name: str | None = None, *, depth: int | None = None, lang: str = "zh",
           layout: str = "force", max_nodes: int = MAX_NODES, title: str | None = None,
           group_over: int = GROUP_OVER) -> str:
    """The HTML page of one view. Raises QdgraphError subclasses for unknown names (with
    did-you-mean), an unknown kind or layout, or a query that is not CONSTRUCT/DESCRIBE.
    ``group_over``: more leaves of one type on one node than this are drawn as a few of them
    plus one "N more" node (see ``qdgraph.viz.cluster``)."""
    from ..errors import UsageError
    from .views import select

    if layout not in LAYOUTS:
        raise UsageError(f"unknown layout {layout!r}; choose one of: {', '.join(LAYOUTS)}")
    if lang not in ("zh", "en"):
        raise UsageError(f"unknown language {lang!r}; choose zh or en")
    if max_nodes < 1:
        raise UsageError("--max-nodes must be at least 1")
    if group_over < 1:
        raise UsageError("--group-over must be at least 1")
    g, heading, subtitle = select(kg, kind, name, depth=depth, lang=lang, group_over=group_over)
    return build_page(g, title=title or heading, subtitle=subtitle, lang=lang, layout=layout, max_nodes=max_nodes)

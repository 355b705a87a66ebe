"""Interactive, offline HTML pictures of the graph, drawn by pyvis from NetworkX graphs.

``picture(kg, kind, name)`` is the one entry point: ``kind`` is chain / pillar / indicator /
enterprise (``name`` says which), all, query (``name`` is the CONSTRUCT/DESCRIBE query text),
path (``name`` is a pair of names) or rank. It returns a :class:`Picture`: its ``html`` is one
self-contained UTF-8 page that makes no network request, and in Jupyter it shows inline.
``render`` returns the page text (the ``viz`` command and the HTTP server call it).
"""
from __future__ import annotations

import html as _html
from dataclasses import dataclass
from pathlib import Path

from qdgraph.presentation.viz.cluster import GROUP_OVER
from qdgraph.presentation.viz.page import MAX_NODES, build_page
from qdgraph.presentation.viz.views import DEFAULT_DEPTH, KINDS, RANK_TOP

LAYOUTS = ("force", "hierarchical")
COLORS = ("type", "community")

__all__ = ["picture", "render", "Picture", "build_page", "KINDS", "LAYOUTS", "COLORS", "DEFAULT_DEPTH",
           "MAX_NODES", "GROUP_OVER", "RANK_TOP"]


@dataclass(frozen=True)
class Picture:
    """One picture: ``html`` is the whole page. In a notebook it shows inline as an iframe
    whose ``srcdoc`` is the page, so the page keeps its own Content-Security-Policy (a
    sandboxed iframe: its scripts run apart from the notebook's; forms only for the search box)."""
    html: str
    title: str
    height: int = 640

    def save(self, path) -> Path:
        """Write the page to ``path`` (atomically: a failed write leaves no half file)."""
        from qdgraph.fileio import write_atomic

        path = Path(path)
        write_atomic(path, self.html)
        return path

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{_html.escape(self.html, quote=True)}" title="{_html.escape(self.title)}" '
                f'sandbox="allow-scripts allow-forms allow-downloads" '
                f'style="width: 100%; height: {int(self.height)}px; border: 1px solid #ddd"></iframe>')

    def __str__(self) -> str:
        return self.html


def picture(kg, kind: str, name=None, *, depth: int | None = None, lang: str = "zh", layout: str = "force",
            max_nodes: int = MAX_NODES, title: str | None = None, group_over: int = GROUP_OVER,
            size: str | None = None, color: str = "type", types=(), top: int = RANK_TOP) -> Picture:
    """The picture of one view. Raises QdgraphError subclasses for unknown names (with
    did-you-mean), an unknown kind, layout, measure or colouring, or a query that is not
    CONSTRUCT/DESCRIBE.

    ``group_over``: more leaves of one type on one node than this are drawn as a few of them
    plus one "N more" node (see ``qdgraph.presentation.viz.cluster``). ``size``: degree / betweenness /
    pagerank scales the nodes (rank: betweenness unless told otherwise). ``color``: type, or
    community (NetworkX's Louvain). ``types`` / ``top``: which entities ``rank`` draws."""
    from qdgraph.domain.analytics import SIZE_MEASURES
    from qdgraph.errors import UsageError
    from qdgraph.presentation.viz.views import select

    if layout not in LAYOUTS:
        raise UsageError(f"unknown layout {layout!r}; choose one of: {', '.join(LAYOUTS)}")
    if lang not in ("zh", "en"):
        raise UsageError(f"unknown language {lang!r}; choose zh or en")
    if max_nodes < 1:
        raise UsageError("max_nodes must be at least 1").for_cli("--max-nodes must be at least 1")
    if group_over < 1:
        raise UsageError("group_over must be at least 1").for_cli("--group-over must be at least 1")
    if size is not None and size not in SIZE_MEASURES:
        raise UsageError(f"unknown size measure {size!r}; choose one of: {', '.join(SIZE_MEASURES)}")
    if color not in COLORS:
        raise UsageError(f"unknown colouring {color!r}; choose one of: {', '.join(COLORS)}")
    g, heading, subtitle = select(kg, kind, name, depth=depth, lang=lang, group_over=group_over, types=types, top=top)
    if kind == "rank" and size is None:
        size = "betweenness"
    title = title or heading
    page = build_page(g, title=title, subtitle=subtitle, lang=lang, layout=layout, max_nodes=max_nodes, size=size,
                      color=color, kind=kind)
    return Picture(page, title)


def render(kg, kind: str, name=None, **options) -> str:
    """The HTML page of one view (``options`` as for :func:`picture`)."""
    return picture(kg, kind, name, **options).html

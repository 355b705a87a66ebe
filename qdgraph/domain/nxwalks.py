"""Walks over a NetworkX projection (``qdgraph.domain.nxgraph``): neighbourhoods that stop at hubs,
the part of the graph a picture shows, and the undirected view paths and centrality use."""
from __future__ import annotations

import networkx as nx

from qdgraph.namespaces import shorten
from qdgraph.domain.nxgraph import HUB_TYPES


def neighbourhood(g: nx.MultiDiGraph, start: str, depth: int) -> set[str]:
    """Nodes within ``depth`` hops of ``start`` (either direction), not walking through hubs."""
    seen, frontier = {start}, [start]
    for _ in range(max(depth, 0)):
        nxt = []
        for n in frontier:
            if n != start and g.nodes[n].get("type") in HUB_TYPES:
                continue
            for m in (*g.successors(n), *g.predecessors(n)):
                if m not in seen:
                    seen.add(m)
                    nxt.append(m)
        frontier = nxt
    return seen


def subgraph(g: nx.MultiDiGraph, kind: str, iri: str, depth: int = 2) -> nx.MultiDiGraph:
    """The part of ``g`` a picture of ``kind`` centred on ``iri`` shows (a copy, with
    ``graph["focus"]`` set). ``kind`` is informational here: every neighbourhood view walks the
    same way; the indicator view (measures and their paths) is built in ``qdgraph.presentation.viz.views``."""
    if iri not in g:
        from qdgraph.errors import NotFoundError

        raise NotFoundError(f"{shorten(iri)} is not an entity of the graph")
    sub = g.subgraph(neighbourhood(g, iri, depth)).copy()
    sub.graph.update(g.graph, focus=iri, kind=kind)
    return sub


# An observation's area is a coordinate, not a relation: every figure is in Qingdao, and a path
# or a centrality through the city would say nothing about how two things are connected.
COORDINATES = frozenset({"sdmx-dimension:refArea", "sdmx-dimension:refPeriod", "qb:dataSet"})


def undirected(g: nx.MultiDiGraph) -> nx.Graph:
    """A simple undirected view for path finding and centrality (parallel edges merged, an
    observation's coordinates left out)."""
    h = nx.Graph()
    h.add_nodes_from(g.nodes)
    h.add_edges_from((u, v) for u, v, rel in g.edges(keys=True) if u != v and rel not in COORDINATES)
    return h

"""Questions about the shape of the graph, answered on its NetworkX projection.

- :func:`connecting_paths`: the shortest chains of relations between two entities, read
  without regard to direction (an analyst asks "how is 歌尔 connected to that measure?", not
  "which way do the arrows point"), then told with each arrow's true direction.
- :func:`centrality`: degree and betweenness of measures, enterprises and chains, to find the
  measures many things hang on and the entities that tie the plan together.
- :func:`node_measure` and :func:`communities`: the same measures (and PageRank) for every node
  of a picture, and NetworkX's Louvain communities, which the pictures draw as size and colour.
"""
from __future__ import annotations

import difflib
import itertools
from dataclasses import asdict, dataclass, field

import networkx as nx

from qdgraph.errors import NotFoundError, QdgraphError, UsageError
from qdgraph.namespaces import shorten
from qdgraph.domain.nxgraph import to_networkx
from qdgraph.domain.nxwalks import undirected

DEFAULT_RANK_TYPES = ("qd:Measure", "qd:Enterprise", "qd:IndustryChain")
# Exact betweenness is O(nodes × edges); past this size it is estimated from a sample.
EXACT_BETWEENNESS_NODES = 3000
BETWEENNESS_SAMPLE = 500


@dataclass
class Hop:
    rel: str          # qd:inChain
    label: str        # 所属产业链 (in the asked language)
    forward: bool     # True: the relation points from the previous node to the next


@dataclass
class ConnectingPath:
    nodes: list = field(default_factory=list)   # [{"iri", "label", "type"}]
    hops: list = field(default_factory=list)    # [Hop], one fewer than nodes

    def text(self) -> str:
        """歌尔 —所属产业链→ 虚拟现实 ←涉及— 壮大…规模"""
        out = [self.nodes[0]["label"]]
        for hop, node in zip(self.hops, self.nodes[1:]):
            out.append(f"—{hop.label}→" if hop.forward else f"←{hop.label}—")
            out.append(node["label"])
        return " ".join(out)

    def to_dict(self) -> dict:
        return {"nodes": self.nodes, "hops": [asdict(h) for h in self.hops], "text": self.text()}


def _node_ref(g, n) -> dict:
    d = g.nodes[n]
    return {"iri": n, "label": d.get("label") or shorten(n), "type": d.get("type")}


def entity_types(g: nx.MultiDiGraph) -> list[str]:
    return sorted({d.get("type") for _, d in g.nodes(data=True) if d.get("type")})


def resolve_node(kg, g: nx.MultiDiGraph, text: str, what: str = "entity") -> str:
    """The node ``text`` names: resolution limited to entity classes, so an ontology term such
    as 指标 (the class) is not mistaken for an entity."""
    iri = kg.resolve(text, types=entity_types(g), what=what)
    if iri not in g:
        raise NotFoundError(f"{text!r} names {shorten(iri)}, which is not an entity of the graph")
    return iri


def connecting_paths(kg, a: str, b: str, *, max_paths: int = 5, lang: str = "zh",
                     g: nx.MultiDiGraph | None = None) -> list[ConnectingPath]:
    """Up to ``max_paths`` shortest paths between the entities ``a`` and ``b`` name."""
    if max_paths < 1:
        raise UsageError("max_paths must be at least 1").for_cli("--max must be at least 1")
    g = g if g is not None else to_networkx(kg, lang=lang)
    src, dst = resolve_node(kg, g, a), resolve_node(kg, g, b)
    if src == dst:
        raise UsageError(f"{a!r} and {b!r} name the same entity ({g.nodes[src]['label']})")
    h = undirected(g)
    try:
        found = list(itertools.islice(nx.all_shortest_paths(h, src, dst), max_paths))
    except nx.NetworkXNoPath:
        raise QdgraphError(f"nothing connects {g.nodes[src]['label']} and {g.nodes[dst]['label']} in the graph") from None
    found.sort(key=lambda p: [g.nodes[n].get("label", "") for n in p])
    return [_tell(g, p, lang) for p in found]


def _tell(g, nodes, lang) -> ConnectingPath:
    path = ConnectingPath(nodes=[_node_ref(g, n) for n in nodes])
    for u, v in zip(nodes, nodes[1:]):
        forward = g.has_edge(u, v)
        edges = g.get_edge_data(u, v) if forward else g.get_edge_data(v, u)
        rel = sorted(edges)[0]  # parallel relations: a stable choice
        d = edges[rel]
        path.hops.append(Hop(rel, d.get("rel_" + lang) or d.get("label") or rel, forward))
    return path


@dataclass
class Rank:
    iri: str
    label: str
    type: str
    type_label: str
    degree: int
    betweenness: float


def normalise_types(g: nx.MultiDiGraph, types) -> list[str]:
    """'Measure', 'qd:Measure' or the class's Chinese/English label → 'qd:Measure'."""
    known = entity_types(g)
    vocab = g.graph.get("vocab", {})
    by_name = {}
    for t in known:
        by_name[t.lower()] = t
        by_name[t.split(":", 1)[-1].lower()] = t
        for lab in vocab.get(t, {}).values():
            by_name[lab.lower()] = t
    out = []
    for t in types:
        hit = by_name.get(t.strip().lower())
        if hit is None:
            near = difflib.get_close_matches(t.lower(), list(by_name), n=3, cutoff=0.5)
            near = list(dict.fromkeys(by_name[n] for n in near))
            hint = f"; did you mean: {', '.join(near)}" if near else ""
            raise NotFoundError(f"no entity type {t!r} in the graph (types: {', '.join(known)}){hint}")
        out.append(hit)
    return out


def centrality(kg=None, *, types=None, top: int | None = 20, lang: str = "zh",
               g: nx.MultiDiGraph | None = None) -> tuple[list[Rank], bool]:
    """Entities of ``types`` (default: measures, enterprises, chains) ranked by betweenness,
    then degree, over the whole graph. Returns (ranks, estimated): ``estimated`` is True when
    betweenness was sampled because the graph is large."""
    g = g if g is not None else to_networkx(kg, lang=lang)
    wanted = set(normalise_types(g, types) if types else DEFAULT_RANK_TYPES)
    h = undirected(g)
    between, estimated = _betweenness(h)
    vocab = g.graph.get("vocab", {})
    other = "en" if lang == "zh" else "zh"
    ranks = []
    for n, d in g.nodes(data=True):
        t = d.get("type")
        if t not in wanted:
            continue
        names = vocab.get(t, {})
        ranks.append(Rank(n, d.get(lang) or d.get("label") or shorten(n), t, names.get(lang) or names.get(other) or t,
                          h.degree(n), round(between.get(n, 0.0), 6)))
    ranks.sort(key=lambda r: (-r.betweenness, -r.degree, r.label, r.iri))
    return (ranks[:top] if top else ranks), estimated


def _betweenness(h: nx.Graph, exact_up_to: int = EXACT_BETWEENNESS_NODES,
                 sample: int = BETWEENNESS_SAMPLE) -> tuple[dict, bool]:
    estimated = h.number_of_nodes() > exact_up_to
    return nx.betweenness_centrality(h, k=sample if estimated else None, seed=0 if estimated else None), estimated


SIZE_MEASURES = ("degree", "betweenness", "pagerank")
# A picture's node sizes need less precision than a ranking: past 1,000 nodes, estimate
# betweenness from 100 sources (seconds at 10k nodes rather than half a minute).
PICTURE_EXACT_NODES, PICTURE_SAMPLE = 1000, 100


def node_measure(g: nx.MultiDiGraph, how: str) -> tuple[dict, bool]:
    """Every node's ``how`` (one of SIZE_MEASURES) on ``g``: degree and betweenness read links in
    either direction, PageRank follows the arrows (what many things point at ranks high).
    Returns (node → value, estimated)."""
    if how == "degree":
        return dict(undirected(g).degree()), False
    if how == "betweenness":
        return _betweenness(undirected(g), PICTURE_EXACT_NODES, PICTURE_SAMPLE)
    if how == "pagerank":
        return nx.pagerank(nx.DiGraph(g)) if g.number_of_nodes() else {}, False
    raise UsageError(f"unknown measure {how!r}; choose one of: {', '.join(SIZE_MEASURES)}")


def communities(g: nx.MultiDiGraph, seed: int = 0) -> list[set]:
    """Louvain communities of ``g`` (links read in either direction), largest first; the seed
    makes the split, and so the colours of a picture, the same on every run."""
    found = nx.community.louvain_communities(undirected(g), seed=seed) if g.number_of_nodes() else []
    return sorted(found, key=lambda c: (-len(c), min(map(str, c))))

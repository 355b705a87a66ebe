"""Which part of the graph each picture shows.

- chain / pillar / enterprise: the named entity and its neighbourhood up to ``depth`` hops
  (walks stop at classifier hubs such as a chain category, see ``nxgraph.neighbourhood``);
- indicator: the indicator, its pillar, its targets and baselines, and every measure that
  affects it with the nodes on each measure's path (``qdgraph.measures.measures_for``);
- all: everything;
- query: the triples of a CONSTRUCT / DESCRIBE query.
"""
from __future__ import annotations

import networkx as nx

from ..errors import UsageError
from ..namespaces import PREFIXES, shorten
from ..nxgraph import subgraph, to_networkx

KINDS = ("chain", "pillar", "indicator", "enterprise", "all", "query")
DEFAULT_DEPTH = 2

# kind → (classes the name must be of, word used in "no chain matches …")
_TYPES = {
    "chain": (["qd:IndustryChain"], "chain"),
    "pillar": (["qd:Pillar"], "pillar"),
    "enterprise": (["qd:Enterprise", "qd:Platform"], "enterprise"),
}

_HEADINGS = {
    "zh": {"chain": "产业链", "pillar": "重点任务", "indicator": "指标", "enterprise": "企业",
           "all": "青岛现代产业先行城市知识图谱", "query": "SPARQL 查询结果"},
    "en": {"chain": "Industry chain", "pillar": "Pillar", "indicator": "Indicator", "enterprise": "Enterprise",
           "all": "Qingdao modern industry pioneer city: the whole graph", "query": "SPARQL query result"},
}


def select(kg, kind: str, name: str | None = None, *, depth: int | None = None,
           lang: str = "zh") -> tuple[nx.MultiDiGraph, str, str]:
    """(graph to draw, title, subtitle) for one view."""
    if kind not in KINDS:
        raise UsageError(f"unknown view {kind!r}; choose one of: {', '.join(KINDS)}")
    depth = DEFAULT_DEPTH if depth is None else depth
    if depth < 0:
        raise UsageError("--depth must be 0 or more")
    if kind != "all" and not (name or "").strip():
        raise UsageError(f"the {kind} view needs a {'query' if kind == 'query' else 'name'}")
    heading = _HEADINGS[lang][kind]
    zh = lang == "zh"
    if kind == "query":
        g = _query_graph(kg, name, lang)
        return g, heading, ""
    g = to_networkx(kg, lang=lang)
    if kind == "all":
        return g, heading, ""
    if kind == "indicator":
        sub = _indicator_graph(kg, g, name)
        return sub, f"{heading}：{sub.nodes[sub.graph['focus']]['label']}" if zh else \
            f"{heading}: {sub.nodes[sub.graph['focus']]['label']}", \
            ("影响该指标的措施及其路径" if zh else "measures that affect it, with their paths")
    types, what = _TYPES[kind]
    iri = kg.resolve(name, types=types, what=what)
    sub = subgraph(g, kind, iri, depth)
    title = f"{heading}：{sub.nodes[iri]['label']}" if zh else f"{heading}: {sub.nodes[iri]['label']}"
    return sub, title, (f"{depth} 步以内的关联" if zh else f"everything within {depth} hop{'s' if depth != 1 else ''}")


def _indicator_graph(kg, g: nx.MultiDiGraph, name: str) -> nx.MultiDiGraph:
    from ..measures import measures_for

    res = measures_for(kg, name)
    keep = {res.indicator}
    if res.pillar:
        keep.add(res.pillar)
    for link in res.links:
        keep.add(link.measure)
        keep.update(step.iri for step in link.path)
    # the indicator's own targets and baselines
    keep.update(n for n in (*g.predecessors(res.indicator), *g.successors(res.indicator))
                if g.nodes[n].get("type") in ("qd:Target", "qd:Observation", "qd:Pillar"))
    sub = g.subgraph(n for n in keep if n in g).copy()
    sub.graph.update(g.graph, focus=res.indicator, kind="indicator", keep=sorted(keep))
    return sub


def _query_graph(kg, sparql: str, lang: str) -> nx.MultiDiGraph:
    """Draw a CONSTRUCT/DESCRIBE result: its resources as nodes (with the attributes the
    whole graph gives them), its links as edges, its literals as attributes."""
    import pyoxigraph as ox

    res = kg.query(sparql)
    if res.kind != "graph":
        raise UsageError("viz query needs a CONSTRUCT or DESCRIBE query (this one is "
                         f"{'an ASK' if res.kind == 'ask' else 'a SELECT'})")
    full = to_networkx(kg, lang=lang)
    vocab = full.graph.get("vocab", {})
    other = "en" if lang == "zh" else "zh"
    g = nx.MultiDiGraph(**full.graph)

    def node(term) -> str:
        nid = term.value if isinstance(term, ox.NamedNode) else "_:" + term.value
        if nid not in g:
            if nid in full:
                g.add_node(nid, **full.nodes[nid])
            else:
                label = kg.label(nid, lang) if isinstance(term, ox.NamedNode) else nid
                g.add_node(nid, type="entity", label=label)
        return nid

    rdf_type, label_p = PREFIXES["rdf"] + "type", PREFIXES["rdfs"] + "label"
    for t in res.triples:
        s, p, o = node(t.subject), t.predicate.value, t.object
        if isinstance(o, ox.Literal):
            d = g.nodes[s]
            if s not in full:
                tag = (o.language or "").split("-")[0]
                if p == label_p and tag in ("zh", "en"):
                    d.setdefault(tag, o.value)
                    if tag == lang or not d.get("label") or d["label"] == s:
                        d["label"] = o.value
                else:
                    d.setdefault(shorten(p), o.value)
            continue
        if p == rdf_type:
            if s not in full and g.nodes[s].get("type") == "entity":
                g.nodes[s]["type"] = shorten(o.value)
            continue
        if isinstance(o, ox.Triple):
            continue
        target = node(o)
        rel = shorten(p)
        attrs = full.get_edge_data(s, target, rel) if full.has_edge(s, target, rel) else None
        if attrs is None:
            names = vocab.get(rel, {})
            attrs = {"rel": rel, "label": names.get(lang) or names.get(other) or rel, "basis": None, "inferred": False}
        g.add_edge(s, target, key=rel, **attrs)
    return g

"""Which part of the graph each picture shows.

- chain / pillar / enterprise: the named entity and its neighbourhood up to ``depth`` hops
  (walks stop at classifier hubs such as a chain category, see ``nxgraph.walk``); more than
  ``GROUP_OVER`` leaves of one type on one node (a chain's thousands of enterprises) are shown
  as a few of them plus one "N more" node (``qdgraph.viz.cluster``);
- indicator: the indicator, its pillar, its targets and baselines, and every measure that
  affects it with the nodes on each measure's path (``qdgraph.measures.measures_for``);
- all: everything (leaves grouped the same way);
- query: the triples of a CONSTRUCT / DESCRIBE query.

Only ``all`` reads the whole graph: the other views query the part they show (``nxgraph.walk``
and ``nxgraph.project``: a few queries over the entities concerned), so their cost follows the
size of the picture, not of the graph.
"""
from __future__ import annotations

import networkx as nx

from ..errors import UsageError
from ..namespaces import PREFIXES, shorten
from ..nxgraph import _rows, entity_types_of, links_among, main_type, project, to_networkx, walk
from .cluster import GROUP_OVER, GROUP_SHOW, SAMPLE, add_groups, find_groups, group_graph, hidden_members

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
           lang: str = "zh", group_over: int = GROUP_OVER) -> tuple[nx.MultiDiGraph, str, str]:
    """(graph to draw, title, subtitle) for one view. ``graph["groups"]`` lists the groups of
    leaves folded into one node each (see ``qdgraph.viz.cluster``)."""
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
    show = min(GROUP_SHOW, group_over)
    if kind == "all":
        g = to_networkx(kg, lang=lang)
        g.graph["groups"] = group_graph(g, lang, over=group_over, show=show)
        return g, heading, ""
    if kind == "indicator":
        sub = _indicator_graph(kg, name, lang)
        return sub, f"{heading}：{sub.nodes[sub.graph['focus']]['label']}" if zh else \
            f"{heading}: {sub.nodes[sub.graph['focus']]['label']}", \
            ("影响该指标的措施及其路径" if zh else "measures that affect it, with their paths")
    types, what = _TYPES[kind]
    iri = kg.resolve(name, types=types, what=what)
    sub = _neighbourhood_graph(kg, kind, iri, depth, lang, group_over, show)
    title = f"{heading}：{sub.nodes[iri]['label']}" if zh else f"{heading}: {sub.nodes[iri]['label']}"
    return sub, title, (f"{depth} 步以内的关联" if zh else f"everything within {depth} hop{'s' if depth != 1 else ''}")


def _neighbourhood_graph(kg, kind, iri, depth, lang, over, show) -> nx.MultiDiGraph:
    w = walk(kg, iri, depth)
    types = w.main_types()

    def groups_of(links):
        short = {p: shorten(p) for p in {p for _, p, _ in links}}
        return find_groups(types, ((s, short[p], o) for s, p, o in links), protect={iri}, over=over, show=show)

    groups = groups_of(w.links)
    # a member the walk never expanded may have links it did not see (to another node it
    # reached last): look, for those members only, and group again if any turn up
    unseen = [n for grp in groups for n in grp.hidden if n not in w.expanded]
    if unseen:
        anchors = {grp.anchor for grp in groups}
        more = links_among(kg, unseen, w.types, skip=anchors if len(anchors) == 1 else ())
        if more:
            groups = groups_of(w.links | more)
    hidden = hidden_members(groups)
    sub = project(kg, [n for n in w.types if n not in hidden], lang=lang, types=w.types,
                  vocab_terms=[rel for grp in groups for rel, _ in grp.links])
    add_groups(sub, groups, lang, _group_samples(kg, groups, lang))
    sub.graph.update(focus=iri, kind=kind, groups=groups)
    return sub


def _group_samples(kg, groups, lang) -> dict[str, list[str]]:
    """A few member names per group (in the asked language when there is one)."""
    wanted = {n: grp.id for grp in groups for n in grp.hidden[:SAMPLE]}
    names: dict[str, dict] = {}
    for r in _rows(kg, "SELECT ?e ?l WHERE { VALUES ?e { @@ } ?e rdfs:label ?l }", wanted):
        tag = (r["l"].language or "").split("-")[0]
        names.setdefault(r["e"].value, {}).setdefault(tag, r["l"].value)
    out: dict[str, list[str]] = {grp.id: [] for grp in groups}
    for n, gid in wanted.items():
        d = names.get(n, {})
        out[gid].append(d.get(lang) or next(iter(d.values()), None) or shorten(n))
    return out


def _indicator_graph(kg, name: str, lang: str) -> nx.MultiDiGraph:
    from ..measures import measures_for

    res = measures_for(kg, name)
    keep = {res.indicator}
    if res.pillar:
        keep.add(res.pillar)
    for link in res.links:
        keep.add(link.measure)
        keep.update(step.iri for step in link.path)
    # the indicator's own targets and baselines
    rows = _rows(kg, """SELECT ?x WHERE { VALUES ?i { @@ } { ?i ?p ?x } UNION { ?x ?p ?i }
                        FILTER (isIRI(?x) && ?p NOT IN (rdf:type, prov:wasDerivedFrom, qd:evidence, qd:premise, rdf:subject, rdf:object)) }""",
                 [res.indicator])
    near = entity_types_of(kg, [r["x"].value for r in rows])
    keep.update(n for n, ts in near.items() if main_type(ts) in ("qd:Target", "qb:Observation", "qd:Pillar"))
    order = [res.indicator, *(n for n in [res.pillar, *(link.measure for link in res.links)] if n),
             *(s.iri for link in res.links for s in link.path), *sorted(keep)]
    sub = project(kg, [n for n in dict.fromkeys(order) if n in keep], lang=lang)
    sub.graph.update(focus=res.indicator, kind="indicator", keep=sorted(keep))
    return sub


def _query_graph(kg, sparql: str, lang: str) -> nx.MultiDiGraph:
    """Draw a CONSTRUCT/DESCRIBE result: its resources as nodes (with the attributes the
    whole graph gives them), its links as edges, its literals as attributes."""
    import pyoxigraph as ox

    res = kg.query(sparql)
    if res.kind != "graph":
        raise UsageError("viz query needs a CONSTRUCT or DESCRIBE query (this one is "
                         f"{'an ASK' if res.kind == 'ask' else 'a SELECT'})")
    rdf_type, label_p = PREFIXES["rdf"] + "type", PREFIXES["rdfs"] + "label"
    # the entities among the result's resources, with the attributes and links the whole
    # projection gives them (queried for these resources only)
    iris = []
    for t in res.triples:
        if isinstance(t.subject, ox.NamedNode):
            iris.append(t.subject.value)
        if isinstance(t.object, ox.NamedNode) and t.predicate.value != rdf_type:
            iris.append(t.object.value)
    terms = {t.predicate.value for t in res.triples}
    terms |= {t.object.value for t in res.triples if t.predicate.value == rdf_type and isinstance(t.object, ox.NamedNode)}
    full = project(kg, iris, lang=lang, vocab_terms=terms)
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

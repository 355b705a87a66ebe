"""Which part of the graph each picture shows.

- chain: the chain and what belongs to it — its enterprises and platforms, the measures naming
  it, its category, tier and portfolio, the statistics about it — and, past them, only what hangs
  on its own members (the source's count of its enterprises); never the pillar a measure sits on
  and that pillar's indicators, which would crowd the chain out of its own picture;
- pillar / enterprise: the named entity and its neighbourhood up to ``depth`` hops
  (walks stop at classifier hubs such as a chain category, see ``nxgraph.walk``); more than
  ``GROUP_OVER`` leaves of one type on one node (a chain's thousands of enterprises) are shown
  as a few of them plus one "N more" node (``qdgraph.presentation.viz.cluster``);
- indicator: the indicator, its pillar, its targets and baselines, and every measure that
  affects it with the nodes on each measure's path (``qdgraph.domain.measures.measures_for``);
- all: everything (leaves grouped the same way);
- query: the triples of a CONSTRUCT / DESCRIBE query;
- path: every shortest path between two entities (``analytics.connecting_paths``), highlighted,
  with the neighbours of the nodes on them as faded context;
- rank: the most central entities (``analytics.centrality``) and the nodes that link two of
  them, sized by betweenness.

``all``, ``path`` and ``rank`` read the whole graph (as the ``path`` and ``rank`` commands do):
the other views query the part they show (``nxgraph.walk`` and ``nxgraph.project``: a few
queries over the entities concerned), so their cost follows the size of the picture, not of
the graph.
"""
from __future__ import annotations

import networkx as nx

from qdgraph.errors import UsageError
from qdgraph.namespaces import PREFIXES, expand, shorten
from qdgraph.domain.nxgraph import rows_for, entity_types_of, links_among, main_type, project, to_networkx, walk
from qdgraph.presentation.viz.cluster import GROUP_OVER, GROUP_SHOW, SAMPLE, add_groups, find_groups, group_graph, hidden_members
from qdgraph.presentation.viz.style import TEXT

KINDS = ("chain", "pillar", "indicator", "enterprise", "all", "query", "path", "rank")
DEFAULT_DEPTH = 2
PATHS_DRAWN = 50      # shortest paths drawn at most (two hubs can be joined by thousands)
RANK_TOP = 20

# kind → (classes the name must be of, word used in "no chain matches …")
_TYPES = {
    "chain": (["qd:IndustryChain"], "chain"),
    "pillar": (["qd:Pillar"], "pillar"),
    "enterprise": (["qd:Enterprise", "qd:Platform"], "enterprise"),
}

_HEADINGS = {
    "zh": {"chain": "产业链", "pillar": "重点任务", "indicator": "指标", "enterprise": "企业",
           "all": "青岛现代产业先行城市知识图谱", "query": "SPARQL 查询结果", "path": "最短路径",
           "rank": "最核心的实体"},
    "en": {"chain": "Industry chain", "pillar": "Pillar", "indicator": "Indicator", "enterprise": "Enterprise",
           "all": "Qingdao modern industry pioneer city: the whole graph", "query": "SPARQL query result",
           "path": "Shortest paths", "rank": "The most central entities"},
}


def select(kg, kind: str, name=None, *, depth: int | None = None, lang: str = "zh",
           group_over: int = GROUP_OVER, types=(), top: int = RANK_TOP) -> tuple[nx.MultiDiGraph, str, str]:
    """(graph to draw, title, subtitle) for one view. ``name``: the entity's name, the query
    text, or for ``path`` the two names (a pair). ``types`` and ``top``: which entities ``rank``
    draws. ``graph["groups"]`` lists the groups of leaves folded into one node each (see
    ``qdgraph.presentation.viz.cluster``)."""
    if kind not in KINDS:
        raise UsageError(f"unknown view {kind!r}; choose one of: {', '.join(KINDS)}")
    depth = DEFAULT_DEPTH if depth is None else depth
    if depth < 0:
        raise UsageError("depth must be 0 or more").for_cli("--depth must be 0 or more")
    if kind == "path":
        if isinstance(name, str) or len(name or ()) != 2 or not all((n or "").strip() for n in name):
            raise UsageError("the path view needs two names (qdgraph viz path A B)")
    elif kind not in ("all", "rank") and not (name or "").strip():
        raise UsageError(f"the {kind} view needs a {'query' if kind == 'query' else 'name'}")
    heading = _HEADINGS[lang][kind]
    zh = lang == "zh"
    show = min(GROUP_SHOW, group_over)
    if kind == "query":
        g = _query_graph(kg, name, lang)
        name_terms(kg, g, lang)
        return g, heading, ""
    if kind == "path":
        return _path_graph(kg, *name, lang=lang, over=group_over, show=show, heading=heading)
    if kind == "rank":
        return _rank_graph(kg, types, top, lang, heading)
    if kind == "all":
        g = to_networkx(kg, lang=lang)
        name_terms(kg, g, lang)
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
    if kind == "chain":
        return sub, title, ("该产业链及其企业、平台、点名它的措施与相关统计" if zh else
                            "the chain, its enterprises and platforms, the measures naming it, and its figures")
    return sub, title, (f"{depth} 步以内的关联" if zh else f"everything within {depth} hop{'s' if depth != 1 else ''}")


# Past its first ring, the chain view walks on only from these (its own members and figures).
CHAIN_ONWARD = frozenset({"qd:Enterprise", "qd:Platform", "qd:Statistic", "qb:Observation"})


def _chain_part(w, types, start) -> None:
    """Cut a walk from a chain down to the chain's own part (see the module note), in place."""
    keep = {start}
    by_depth: dict[int, list[str]] = {}
    for n, d in w.depth.items():
        by_depth.setdefault(d, []).append(n)
    near: dict[str, set[str]] = {}
    for s, _p, o in w.links:
        near.setdefault(s, set()).add(o)
        near.setdefault(o, set()).add(s)
    for d in sorted(by_depth):
        if d == 0:
            continue
        for m in by_depth[d]:
            if any(n in keep and (n == start or types.get(n) in CHAIN_ONWARD) and w.depth[n] == d - 1
                   for n in near.get(m, ())):
                keep.add(m)
    for n in [n for n in w.types if n not in keep]:
        del w.types[n]
    w.links = {(s, p, o) for s, p, o in w.links if s in keep and o in keep}


def _neighbourhood_graph(kg, kind, iri, depth, lang, over, show) -> nx.MultiDiGraph:
    w = walk(kg, iri, depth)
    types = w.main_types()
    if kind == "chain":
        _chain_part(w, types, iri)
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
    name_terms(kg, sub, lang, [t for grp in groups for t in (grp.type, *(rel for rel, _ in grp.links))])
    add_groups(sub, groups, lang, _group_samples(kg, groups, lang))
    sub.graph.update(focus=iri, kind=kind, groups=groups)
    return sub


def name_terms(kg, g, lang: str, more=()) -> None:
    """Names, in both languages, of the relations and types drawn that are not qdgraph's own
    (skos:member, dcterms:subject, qb:Observation): their rdfs:label (ontology/terms.ttl), put in
    ``g.graph["vocab"]`` beside the qd: ones, and on the edges already drawn with a bare name."""
    vocab = g.graph.setdefault("vocab", {})
    terms = {d.get("rel") for *_, d in g.edges(data=True)} | {d.get("type") for _, d in g.nodes(data=True)}
    terms |= set(more)
    wanted = {}
    for t in terms:
        if t and ":" in t and not (vocab.get(t, {}).get("zh") and vocab.get(t, {}).get("en")):
            iri = expand(t)
            if iri:
                wanted[iri] = t
    if wanted:
        for r in rows_for(kg, "SELECT ?t ?l WHERE { VALUES ?t { @iris@ } ?t rdfs:label ?l }", wanted):
            tag = (r["l"].language or "").split("-")[0]
            if tag in ("zh", "en"):
                vocab.setdefault(wanted[r["t"].value], {}).setdefault(tag, r["l"].value)
    # every edge, not only those named just now: the vocabulary may be shared with an earlier
    # projection (to_networkx caches it) whose edges were named, while these have a bare name
    other = "en" if lang == "zh" else "zh"
    for *_, d in g.edges(data=True):
        names = vocab.get(d.get("rel"))
        if names and not d.get("group"):
            d["rel_zh"], d["rel_en"] = names.get("zh") or d.get("rel_zh"), names.get("en") or d.get("rel_en")
            d["label"] = names.get(lang) or names.get(other) or d.get("label")


def _group_samples(kg, groups, lang) -> dict[str, list[str]]:
    """A few member names per group (in the asked language when there is one)."""
    wanted = {n: grp.id for grp in groups for n in grp.hidden[:SAMPLE]}
    names: dict[str, dict] = {}
    for r in rows_for(kg, "SELECT ?e ?l WHERE { VALUES ?e { @iris@ } ?e rdfs:label ?l }", wanted):
        tag = (r["l"].language or "").split("-")[0]
        names.setdefault(r["e"].value, {}).setdefault(tag, r["l"].value)
    out: dict[str, list[str]] = {grp.id: [] for grp in groups}
    for n, gid in wanted.items():
        d = names.get(n, {})
        out[gid].append(d.get(lang) or next(iter(d.values()), None) or shorten(n))
    return out


def _indicator_graph(kg, name: str, lang: str) -> nx.MultiDiGraph:
    from qdgraph.domain.measures import measures_for

    res = measures_for(kg, name)
    keep = {res.indicator}
    if res.pillar:
        keep.add(res.pillar)
    for link in res.links:
        keep.add(link.measure)
        keep.update(step.iri for step in link.path)
    # the indicator's own targets and baselines
    rows = rows_for(kg, """SELECT ?x WHERE { VALUES ?i { @iris@ } { ?i ?p ?x } UNION { ?x ?p ?i }
                        FILTER (isIRI(?x) && ?p NOT IN (rdf:type, prov:wasDerivedFrom, qd:evidence, qd:premise, rdf:subject, rdf:object)) }""",
                 [res.indicator])
    near = entity_types_of(kg, [r["x"].value for r in rows])
    keep.update(n for n, ts in near.items() if main_type(ts) in ("qd:Target", "qb:Observation", "qd:Pillar"))
    order = [res.indicator, *(n for n in [res.pillar, *(link.measure for link in res.links)] if n),
             *(s.iri for link in res.links for s in link.path), *sorted(keep)]
    sub = project(kg, [n for n in dict.fromkeys(order) if n in keep], lang=lang)
    name_terms(kg, sub, lang)
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


def _path_graph(kg, a: str, b: str, *, lang, over, show, heading):
    """Every shortest path between ``a`` and ``b`` (up to PATHS_DRAWN), highlighted, with the
    neighbours of their nodes as context (many leaves on one node grouped as elsewhere)."""
    from qdgraph.domain.analytics import connecting_paths
    from qdgraph.domain.nxwalks import neighbourhood

    whole = to_networkx(kg, lang=lang)
    name_terms(kg, whole, lang)
    paths = connecting_paths(kg, a, b, max_paths=PATHS_DRAWN + 1, lang=lang, g=whole)
    more = len(paths) > PATHS_DRAWN
    paths = paths[:PATHS_DRAWN]
    on_path = list(dict.fromkeys(n["iri"] for p in paths for n in p.nodes))
    near = set(on_path)
    for n in on_path:
        near |= neighbourhood(whole, n, 1)
    sub = whole.subgraph(near).copy()
    sub.graph.update(whole.graph)
    sub.graph["groups"] = group_graph(sub, lang, protect=on_path, over=over, show=show)
    ends = paths[0].nodes[0], paths[0].nodes[-1]
    sub.graph.update(kind="path", focus=ends[0]["iri"], keep=[ends[1]["iri"]], path_nodes=on_path,
                     path_edges=[(u["iri"], v["iri"]) for p in paths for u, v in zip(p.nodes, p.nodes[1:])])
    T = TEXT[lang]
    title = f"{heading}：{ends[0]['label']} — {ends[1]['label']}" if lang == "zh" else \
        f"{heading}: {ends[0]['label']} — {ends[1]['label']}"
    subtitle = T["path_sub"].format(hops=len(paths[0].hops), paths=len(paths)) + \
        (T["path_more"].format(n=PATHS_DRAWN) if more else "")
    return sub, title, subtitle


def _rank_graph(kg, types, top, lang, heading):
    """The ``top`` most central entities of ``types`` (betweenness over the whole graph), the
    nodes linked to two or more of them, and the links among all these."""
    from qdgraph.domain.analytics import centrality

    if top < 1:
        raise UsageError("top must be at least 1").for_cli("--top must be at least 1")
    whole = to_networkx(kg, lang=lang)
    name_terms(kg, whole, lang)
    ranks, estimated = centrality(kg, types=types, top=top, lang=lang, g=whole)
    ranked = [r.iri for r in ranks]
    seen: dict[str, int] = {}
    for n in ranked:
        for m in set(whole.successors(n)) | set(whole.predecessors(n)):
            seen[m] = seen.get(m, 0) + 1
    bridges = sorted(set(m for m, c in seen.items() if c >= 2) - set(ranked))
    sub = whole.subgraph([*ranked, *bridges]).copy()
    sub.graph.update(whole.graph)
    T = TEXT[lang]
    for i, r in enumerate(ranks, 1):
        d = sub.nodes[r.iri]
        d["label"] = f"{i}. {d.get('label') or r.label}"
        d["note"] = T["rank_tip"].format(rank=i, betweenness=r.betweenness, degree=r.degree)
    sub.graph.update(kind="rank", keep=ranked, measured={
        "betweenness": {r.iri: r.betweenness for r in ranks}, "degree": {r.iri: r.degree for r in ranks}})
    names = sorted({r.type_label for r in ranks})
    subtitle = T["rank_sub"].format(top=len(ranks), types=("、" if lang == "zh" else ", ").join(names)) + \
        (T["estimated"] if estimated else "")
    return sub, heading, subtitle

"""The NetworkX projection of the graph: entities as nodes, relations as typed edges.

Built directly from a handful of SPARQL queries rather than rdflib's generic converter, which
turns every triple (literals included) into an edge and costs three times as much. Literals
become node attributes, never nodes; provenance (quotes, claims, source documents) and the
ontology's own terms are folded in as attributes (``quote``, ``basis``, ``evidence``) instead
of cluttering the picture. Because only ``kg.query`` is used, the projection works the same on
the bundled store, an on-disk store and a remote endpoint.

Node attributes: ``type`` (short qd: class), ``types``, ``zh``, ``en``, ``label`` (in the
asked language), key literal facts by local name (``targetValue``, ``unit``, ``targetYear``,
``statedAs``, ``notation``, …), ``quote`` (the first source sentence) and ``quotes``.
Edge key: the relation's short name (``qd:inChain``); attributes ``rel``, ``rel_zh``,
``rel_en``, ``label``, ``basis`` (``qd:Stated`` / ``qd:Inferred…``, or None for a relation
that is not a claim), ``inferred`` and ``evidence`` (the first quote behind the claim).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

import networkx as nx

from .namespaces import PREFIXES, QD, shorten

RDF_TYPE = PREFIXES["rdf"] + "type"
RDFS_LABEL = PREFIXES["rdfs"] + "label"
SKOS_ALT = PREFIXES["skos"] + "altLabel"
WAS_DERIVED = PREFIXES["prov"] + "wasDerivedFrom"
ONTOLOGY_IRI = "https://w3id.org/qdgraph/ontology"

# Provenance classes: shown as attributes of what they support, not as nodes.
PROVENANCE_TYPES = frozenset(QD + t for t in ("Quote", "Claim", "SourceDocument"))
# Namespaces whose IRIs are vocabulary, not things the plan talks about.
VOCAB_NAMESPACES = tuple(PREFIXES[p] for p in ("qd", "rdf", "rdfs", "owl", "xsd", "sh", "skos", "prov",
                                                "oa", "foaf", "time", "qudt", "unit", "cur", "org",
                                                "schema", "dcterms"))
META_TYPE_NAMESPACES = tuple(PREFIXES[p] for p in ("rdf", "rdfs", "owl", "sh"))

# When an entity has several qd: classes, the first of these names its `type`.
TYPE_ORDER = ["qd:Pillar", "qd:Indicator", "qd:Target", "qd:Observation", "qd:Measure", "qd:IndustryChain",
              "qd:Enterprise", "qd:Platform", "qd:Programme", "qd:ChainPortfolio", "qd:ChainCategory",
              "qd:ClusterTier", "qd:Goal", "qd:Dimension", "qd:IndustrySystemElement", "qd:PlanDocument",
              "qd:PressEvent", "qd:Person", "qd:Agency"]

_ENTITIES = "SELECT ?e ?type WHERE { ?e a ?type FILTER (isIRI(?e)) }"
_LITERALS = "SELECT ?e ?p ?o WHERE { ?e ?p ?o FILTER (isIRI(?e) && isLiteral(?o)) }"
_LINKS = "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER (isIRI(?s) && isIRI(?o) && ?p != rdf:type) }"
_QUOTES = """SELECT ?e ?q ?exact WHERE { ?e prov:wasDerivedFrom ?q . ?q oa:exact ?exact
                                     FILTER (isIRI(?e)) } ORDER BY ?e ?q"""
_CLAIMS = """SELECT ?s ?p ?o ?basis ?q ?exact WHERE {
  ?c a qd:Claim ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
  OPTIONAL { ?c qd:basis ?basis }
  OPTIONAL { ?c prov:wasDerivedFrom ?q . ?q oa:exact ?exact }
} ORDER BY ?s ?p ?o ?q"""
_VOCAB_LABELS = """SELECT ?t ?l WHERE { ?t rdfs:label ?l
  FILTER (isIRI(?t) && STRSTARTS(STR(?t), "https://w3id.org/qdgraph/ontology#")) }"""


def _is_entity_iri(iri: str) -> bool:
    return not iri.startswith(VOCAB_NAMESPACES) and iri != ONTOLOGY_IRI


def vocab_labels(kg) -> dict[str, dict[str, str]]:
    """Short qd: name → {"zh", "en"} labels of the ontology's classes, properties and values."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for r in kg.query(_VOCAB_LABELS).rows:
        lang = (r["l"].language or "").split("-")[0]
        if lang in ("zh", "en"):
            out[shorten(r["t"].value)].setdefault(lang, r["l"].value)
    return dict(out)


def _entity_types(kg) -> dict[str, list[str]]:
    types: dict[str, list[str]] = defaultdict(list)
    excluded = set()
    for r in kg.query(_ENTITIES).rows:
        e, t = r["e"].value, r["type"].value
        if t in PROVENANCE_TYPES or not _is_entity_iri(e):
            excluded.add(e)
        elif not t.startswith(META_TYPE_NAMESPACES):  # owl:Class, rdfs:Class … mark vocabulary
            types[e].append(t)
    return {e: ts for e, ts in types.items() if e not in excluded}


def main_type(types: Iterable[str]) -> str:
    short = sorted(shorten(t) for t in types)
    for t in TYPE_ORDER:
        if t in short:
            return t
    qd = [t for t in short if t.startswith("qd:")]
    return (qd or short or ["entity"])[0]


def _literal_value(lit):
    """A literal as a plain Python value: numbers as numbers, everything else as text."""
    dt = lit.datatype.value if not lit.language else ""
    xsd = PREFIXES["xsd"]
    try:
        if dt in (xsd + "integer", xsd + "int", xsd + "long", xsd + "nonNegativeInteger"):
            return int(lit.value)
        if dt in (xsd + "decimal", xsd + "double", xsd + "float"):
            f = float(lit.value)
            return int(f) if f.is_integer() and "e" not in lit.value.lower() else f
    except ValueError:
        pass
    return lit.value


def _local(iri: str) -> str:
    s = shorten(iri)
    return s.split(":", 1)[1] if not s.startswith("<") else iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def to_networkx(kg, *, lang: str = "zh") -> nx.MultiDiGraph:
    """Project ``kg`` into a ``MultiDiGraph`` (see the module docstring for the attributes)."""
    vocab = vocab_labels(kg)
    g = nx.MultiDiGraph(lang=lang, vocab=vocab)
    for iri, types in _entity_types(kg).items():
        g.add_node(iri, type=main_type(types), types=sorted(shorten(t) for t in types), zh=None, en=None)
    _add_literals(kg, g, lang)
    _add_quotes(kg, g)
    _add_links(kg, g, vocab, lang)
    return g


def _add_literals(kg, g, lang):
    other = "en" if lang == "zh" else "zh"
    for r in kg.query(_LITERALS).rows:
        e = r["e"].value
        if e not in g:
            continue
        d, p, o = g.nodes[e], r["p"].value, r["o"]
        tag = (o.language or "").split("-")[0]
        if p == RDFS_LABEL and tag in ("zh", "en"):
            if not d[tag]:
                d[tag] = o.value
            continue
        if p in (RDFS_LABEL, SKOS_ALT):
            alts = d.setdefault("alt", [])
            if o.value not in alts:
                alts.append(o.value)
            continue
        key = _local(p)
        value = _literal_value(o)
        # one value per fact: the asked language wins over the other, the first over the rest
        if key not in d or (tag == lang and d.get("_" + key) != lang):
            d[key] = value
            d["_" + key] = tag
    for n, d in g.nodes(data=True):
        for k in [k for k in d if k.startswith("_")]:
            del d[k]
        # targets and observations often have no name: their wording is the next best thing
        d["label"] = str(next((v for v in (d.get(lang), d.get(other), *(d.get("alt") or [])[:1], d.get("statedAs"),
                                           d.get("qualitativeTarget"), d.get("subject")) if v), _local(n)))


def _add_quotes(kg, g):
    for r in kg.query(_QUOTES).rows:
        e = r["e"].value
        if e in g:
            quotes = g.nodes[e].setdefault("quotes", [])
            if r["exact"].value not in quotes:
                quotes.append(r["exact"].value)
    for _, d in g.nodes(data=True):
        if d.get("quotes"):
            d["quote"] = d["quotes"][0]


def _add_links(kg, g, vocab, lang):
    claims: dict[tuple, dict] = {}
    for r in kg.query(_CLAIMS).rows:
        key = (r["s"].value, r["p"].value, r["o"].value)
        c = claims.setdefault(key, {"basis": None, "evidence": []})
        if r.get("basis") is not None and c["basis"] is None:
            c["basis"] = shorten(r["basis"].value)
        if r.get("exact") is not None and r["exact"].value not in c["evidence"]:
            c["evidence"].append(r["exact"].value)
    other = "en" if lang == "zh" else "zh"
    for r in kg.query(_LINKS).rows:
        s, p, o = r["s"].value, r["p"].value, r["o"].value
        if s not in g or p == WAS_DERIVED:
            continue
        rel = shorten(p)
        if o not in g:
            # a link to vocabulary (unit:PERCENT, qd:AtLeast, a time interval): an attribute
            labels = vocab.get(shorten(o), {})
            g.nodes[s].setdefault(_local(p), labels.get(lang) or labels.get(other) or shorten(o))
            continue
        names = vocab.get(rel, {})
        c = claims.get((s, p, o), {})
        g.add_edge(s, o, key=rel, rel=rel, rel_zh=names.get("zh") or _local(p), rel_en=names.get("en") or _local(p),
                   label=names.get(lang) or names.get(other) or _local(p), basis=c.get("basis"),
                   inferred=(c.get("basis") or "").startswith("qd:Inferred"),
                   evidence=(c.get("evidence") or [None])[0])


# ---------------------------------------------------------------- views
# Classifier nodes link to many things (a category holds a dozen chains); a neighbourhood
# walk stops at them instead of pulling in everything they classify.
HUB_TYPES = frozenset({"qd:ChainCategory", "qd:ClusterTier", "qd:ChainPortfolio", "qd:Programme", "qd:Dimension",
                       "qd:IndustrySystemElement", "qd:PlanDocument", "qd:Goal"})


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
    same way; the indicator view (measures and their paths) is built in ``qdgraph.viz.views``."""
    if iri not in g:
        from .errors import NotFoundError

        raise NotFoundError(f"{shorten(iri)} is not an entity of the graph")
    sub = g.subgraph(neighbourhood(g, iri, depth)).copy()
    sub.graph.update(g.graph, focus=iri, kind=kind)
    return sub


def undirected(g: nx.MultiDiGraph) -> nx.Graph:
    """A simple undirected view for path finding and centrality (parallel edges merged)."""
    h = nx.Graph()
    h.add_nodes_from(g.nodes)
    h.add_edges_from((u, v) for u, v in g.edges() if u != v)
    return h

"""The NetworkX projection of the graph: entities as nodes, relations as typed edges.

Built directly from a handful of SPARQL queries rather than rdflib's generic converter, which
turns every triple (literals included) into an edge and costs three times as much. Literals
become node attributes, never nodes; provenance (quotes, claims, source documents) and the
ontology's own terms are folded in as attributes (``quote``, ``basis``, ``evidence``) instead
of cluttering the picture. Because only ``kg.query`` and ``kg.query_iris`` are used, the
projection works the same on the bundled store, an on-disk store and a remote endpoint.

``to_networkx`` reads the whole graph (linear in its size: the ``all`` picture, ``path``,
``rank``). A picture of one entity's surroundings uses :func:`walk` (one query per step over
the frontier, stopping at hubs and at ``depth``) and :func:`project` (the same attributes for
a given set of nodes, from queries over those nodes only), so its cost follows the size of the
picture, not of the graph; ``tests/test_nxgraph.py`` checks both give what
``qdgraph.domain.nxwalks.subgraph`` cuts from the whole projection.

Node attributes: ``type`` (short qd: class), ``types``, ``zh``, ``en``, ``label`` (in the
asked language), key facts by local name (``obsValue``, ``unitMeasure``, ``refPeriod``,
``statedAs``, ``notation``, …), ``quote`` (the first source sentence) and ``quotes``.
Edge key: the relation's short name (``qd:inChain``); attributes ``rel``, ``rel_zh``,
``rel_en``, ``label``, ``basis`` (``qd:Stated`` / ``qd:Inferred…``, or None for a relation
that is not a claim), ``inferred`` and ``evidence`` (the first quote behind the claim).
"""
from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

import networkx as nx

from qdgraph.namespaces import PREFIXES, QD, QDR, shorten

RDF_TYPE = PREFIXES["rdf"] + "type"
RDFS_LABEL = PREFIXES["rdfs"] + "label"
SKOS_ALT = PREFIXES["skos"] + "altLabel"
WAS_DERIVED = PREFIXES["prov"] + "wasDerivedFrom"
# provenance links: shown as a node's quotes or an edge's evidence, never as edges
NOT_EDGES = frozenset({WAS_DERIVED, QD + "evidence", QD + "premise", QD + "derivedBy"})
ONTOLOGY_IRI = "https://w3id.org/qdgraph/ontology"

# Provenance classes: shown as attributes of what they support, not as nodes.
PROVENANCE_TYPES = frozenset([*(QD + t for t in ("Quote", "Claim", "SourceDocument", "Rule",
                                                  # an analyst's verdict and the reading it rejected
                                                  "Verdict", "RejectedReading")),
                              # periods, durations, data sets, concept schemes: attributes of what points at them
                              *(PREFIXES["time"] + t for t in ("ProperInterval", "DurationDescription")),
                              PREFIXES["qb"] + "DataSet", PREFIXES["skos"] + "ConceptScheme"])
# Namespaces whose IRIs are vocabulary, not things the plan talks about.
VOCAB_NAMESPACES = tuple(PREFIXES[p] for p in ("qd", "rdf", "rdfs", "owl", "xsd", "sh", "skos", "prov",
                                                "oa", "foaf", "time", "qudt", "unit", "cur", "org",
                                                "schema", "dcterms", "qb", "sdmx-dimension", "sdmx-measure",
                                                "sdmx-attribute"))
META_TYPE_NAMESPACES = tuple(PREFIXES[p] for p in ("rdf", "rdfs", "owl", "sh"))

# When an entity has several qd: classes, the first of these names its `type`.
TYPE_ORDER = ["qd:Pillar", "qd:Indicator", "qd:Target", "qb:Observation", "qd:Measure", "qd:IndustryChain",
              "qd:Enterprise", "qd:Platform", "qd:Programme", "qd:ChainPortfolio", "qd:ChainCategory",
              "qd:ClusterTier", "qd:Goal", "qd:Dimension", "qd:IndustrySystemElement", "qd:PlanDocument",
              "qd:PressEvent", "qd:Person", "qd:Agency", "qd:Subject", "qd:Statistic", "qd:PlatformKind",
              "qd:InfrastructureKind", "qd:NamedSet"]

_ENTITIES = "SELECT ?e ?type WHERE { ?e a ?type FILTER (isIRI(?e)) }"
_LITERALS = "SELECT ?e ?p ?o WHERE { ?e ?p ?o FILTER (isIRI(?e) && isLiteral(?o)) }"
_LINKS = "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER (isIRI(?s) && isIRI(?o) && ?p != rdf:type) }"
_QUOTES = """SELECT ?e ?q ?exact WHERE { ?e qd:evidence|prov:wasDerivedFrom ?q . ?q oa:hasSelector/oa:exact ?exact
                                     FILTER (isIRI(?e)) } ORDER BY ?e ?q"""
_CLAIMS = """SELECT ?s ?p ?o ?c ?basis ?st ?q ?exact WHERE {
  ?c a qd:Claim ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
  OPTIONAL { ?c qd:basis ?basis OPTIONAL { ?basis qd:strength ?st } }
  OPTIONAL { ?c prov:wasDerivedFrom ?q . ?q oa:hasSelector/oa:exact ?exact }
} ORDER BY ?s ?p ?o ?c ?q"""
_VOCAB_LABELS = """SELECT ?t ?l WHERE { { ?t rdfs:label ?l
  FILTER (isIRI(?t) && STRSTARTS(STR(?t), "https://w3id.org/qdgraph/ontology#")) }
  UNION { ?t a time:ProperInterval ; rdfs:label ?l } }"""


def _is_entity_iri(iri: str) -> bool:
    return not iri.startswith(VOCAB_NAMESPACES) and iri != ONTOLOGY_IRI


def vocab_labels(kg) -> dict[str, dict[str, str]]:
    """Short qd: name → {"zh", "en"} labels of the ontology's classes, properties and values."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for r in kg.query(_VOCAB_LABELS).rows:
        _add_vocab_label(out, r)
    return dict(out)


def _entity_types(kg) -> dict[str, list[str]]:
    types: dict[str, list[str]] = defaultdict(list)
    excluded = set()
    for r in in_order(kg.query(_ENTITIES).rows):
        e, t = r["e"].value, r["type"].value
        if t in PROVENANCE_TYPES or not _is_entity_iri(e):
            excluded.add(e)
        elif not t.startswith(META_TYPE_NAMESPACES):  # owl:Class, rdfs:Class … mark vocabulary
            types[e].append(t)
    return {e: ts for e, ts in types.items() if e not in excluded}


def main_type(types: Iterable[str]) -> str:
    return _main_type(tuple(types))


@functools.lru_cache(maxsize=1024)
def _main_type(types: tuple) -> str:
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
    """Project ``kg`` into a ``MultiDiGraph`` (see the module docstring for the attributes).
    Reads the whole graph (linear in its size): for one entity's surroundings use
    :func:`walk` and :func:`project`, which touch only that part. A store's generation never
    changes, so its projection is made once per process and each call gets a copy."""
    key = kg.backend.snapshot
    if key is None:
        return _project(kg, lang)
    if (key, lang) not in _PROJECTIONS:
        if len(_PROJECTIONS) >= 4:  # a long-running server follows new generations
            _PROJECTIONS.pop(next(iter(_PROJECTIONS)))
        _PROJECTIONS[key, lang] = _project(kg, lang)
    return _PROJECTIONS[key, lang].copy()


_PROJECTIONS: dict = {}


def _project(kg, lang: str) -> nx.MultiDiGraph:
    vocab = vocab_labels(kg)
    g = nx.MultiDiGraph(lang=lang, vocab=vocab)
    for iri, types in _entity_types(kg).items():
        g.add_node(iri, type=main_type(types), types=sorted(shorten(t) for t in types), zh=None, en=None)
    _add_literals(g, in_order(kg.query(_LITERALS).rows), lang)
    _add_quotes(g, kg.query(_QUOTES).rows)
    _add_links(g, _claim_index(kg.query(_CLAIMS).rows), in_order(kg.query(_LINKS).rows), vocab, lang)
    return g


def _add_literals(g, rows, lang):
    other = "en" if lang == "zh" else "zh"
    for r in rows:
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


def _add_quotes(g, rows):
    for r in rows:
        e = r["e"].value
        if e in g:
            quotes = g.nodes[e].setdefault("quotes", [])
            if r["exact"].value not in quotes:
                quotes.append(r["exact"].value)
    for _, d in g.nodes(data=True):
        if d.get("quotes"):
            d["quote"] = d["quotes"][0]


def _claim_index(rows, evidence=()) -> dict[tuple, dict]:
    """(s, p, o) → {"basis", "evidence"} of the strongest claim on that triple (lowest
    qd:strength of its basis, then the claim's IRI): a triple can be derived by several rules.
    ``rows`` give ?c ?basis ?st (and maybe ?exact); ``evidence`` more ?c ?exact rows, both
    ordered by quote."""
    per: dict[str, dict] = {}
    for r in [*rows, *evidence]:
        d = per.setdefault(r["c"].value, {"key": (r["s"].value, r["p"].value, r["o"].value),
                                          "basis": None, "rank": 99, "evidence": []})
        if r.get("basis") is not None and d["basis"] is None:
            d["basis"] = shorten(r["basis"].value)
            d["rank"] = int(r["st"].value) if r.get("st") is not None else 99
        if r.get("exact") is not None and r["exact"].value not in d["evidence"]:
            d["evidence"].append(r["exact"].value)
    best: dict[tuple, dict] = {}
    for c in sorted(per):
        d = per[c]
        if d["key"] not in best or d["rank"] < best[d["key"]]["rank"]:
            best[d["key"]] = d
    return {k: {"basis": d["basis"], "evidence": d["evidence"]} for k, d in best.items()}


def _add_links(g, claims, rows, vocab, lang, outside=frozenset()):
    """Edges between nodes of ``g``; a link to a non-entity (unit:PERCENT, qd:AtLeast, a time
    interval) becomes an attribute. ``outside``: entities not in ``g`` (links to them are
    dropped, as a subgraph of the whole projection would)."""
    other = "en" if lang == "zh" else "zh"
    for r in rows:
        s, p, o = r["s"].value, r["p"].value, r["o"].value
        if s not in g or p in NOT_EDGES or o in outside:
            continue
        rel = shorten(p)
        if o not in g:
            labels = vocab.get(shorten(o), {})
            g.nodes[s].setdefault(_local(p), labels.get(lang) or labels.get(other) or shorten(o))
            continue
        names = vocab.get(rel, {})
        c = claims.get((s, p, o), {})
        g.add_edge(s, o, key=rel, rel=rel, rel_zh=names.get("zh") or _local(p), rel_en=names.get("en") or _local(p),
                   label=names.get(lang) or names.get(other) or _local(p), basis=c.get("basis"),
                   inferred=(c.get("basis") or "").startswith("qd:Inferred"),
                   evidence=(c.get("evidence") or [None])[0])


# ---------------------------------------------------------------- one part of the graph
# The projection of a few hundred entities, and the walk that finds them, with queries that
# start from those entities (VALUES blocks), so the cost follows the size of the part, not of
# the graph. Required patterns come before any OPTIONAL (Oxigraph does not reorder across one).
VALUES_CHUNK = 1000   # IRIs per VALUES block: keeps each query text (and a remote GET) moderate
# Links never drawn as edges: provenance and reification (a claim is an attribute of its edge).
_NOT_WALKED = ("rdf:type", "prov:wasDerivedFrom", "qd:evidence", "qd:premise", "qd:derivedBy", "rdf:subject",
               "rdf:predicate", "rdf:object")

_SKIP = " && ?m NOT IN (@skip,@)"  # the links back to nodes expanded a step before (rows_for)
_L_TYPES = "SELECT ?e ?type WHERE { VALUES ?e { @iris@ } ?e a ?type }"
_L_STEP = """SELECT ?n ?p ?m ?out ?type WHERE {
  VALUES ?n { @iris@ }
  { ?n ?p ?m BIND (true AS ?out) } UNION { ?m ?p ?n BIND (false AS ?out) }
  FILTER (isIRI(?m) && ?p NOT IN (%s)%s)
  ?m a ?type
}""" % (", ".join(_NOT_WALKED), _SKIP)
_L_LITERALS = "SELECT ?e ?p ?o WHERE { VALUES ?e { @iris@ } ?e ?p ?o FILTER (isLiteral(?o)) }"
_L_QUOTES = ("SELECT ?e ?q ?exact WHERE { VALUES ?e { @iris@ } ?e qd:evidence|prov:wasDerivedFrom ?q . "
             "?q oa:hasSelector/oa:exact ?exact } ORDER BY ?e ?q")
_L_LINKS = """SELECT ?s ?p ?o WHERE { VALUES ?s { @iris@ } ?s ?p ?o
  FILTER (isIRI(?o) && ?p NOT IN (rdf:type, prov:wasDerivedFrom, qd:evidence, qd:premise, qd:derivedBy)) }"""
_L_BASIS = """SELECT ?s ?p ?o ?c ?basis ?st WHERE { VALUES ?s { @iris@ }
  ?c rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; a qd:Claim
  OPTIONAL { ?c qd:basis ?basis OPTIONAL { ?basis qd:strength ?st } } }"""
_L_EVIDENCE = """SELECT ?s ?p ?o ?c ?q ?exact WHERE { VALUES ?s { @iris@ }
  ?c rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; a qd:Claim ; prov:wasDerivedFrom ?q . ?q oa:hasSelector/oa:exact ?exact }"""
_L_VOCAB = "SELECT ?t ?l WHERE { VALUES ?t { @iris@ } ?t rdfs:label ?l }"


def rows_for(kg, template: str, iris, skip=()) -> list[dict]:
    """Rows of ``template`` with its ``@iris@`` replaced by VALUES of ``iris``, in chunks, and
    any ``@skip,@`` by the IRIs ``skip`` (``KnowledgeGraph.query_iris``)."""
    iris, skip = list(iris), list(skip)
    if not skip:  # no empty IN list: not every store's parser takes ``NOT IN ()``
        template = template.replace(_SKIP, "")
    out: list[dict] = []
    for i in range(0, len(iris), VALUES_CHUNK):
        out.extend(kg.query_iris(template, iris=iris[i:i + VALUES_CHUNK], skip=skip).rows)
    return in_order(out)


def in_order(rows: list[dict]) -> list[dict]:
    """Rows sorted by their terms: engines return unordered answers in different orders, and
    the projection (first label, first value of a fact, edge order) must not depend on it."""
    return sorted(rows, key=lambda r: [str(t) for t in r.values()])


def _classify(types: dict[str, list[str]], rows, var: str = "e", tvar: str = "type") -> None:
    """Fold (entity, class) rows into ``types``; provenance and vocabulary get None."""
    for r in rows:
        e, t = r[var].value, r[tvar].value
        if types.get(e, ()) is None:
            continue
        if t in PROVENANCE_TYPES or not _is_entity_iri(e):
            types[e] = None
        elif not t.startswith(META_TYPE_NAMESPACES):
            if t not in types.setdefault(e, []):
                types[e].append(t)
        else:
            types.setdefault(e, [])


def entity_types_of(kg, iris) -> dict[str, list[str]]:
    """IRI → its classes, for those of ``iris`` that are entities (nodes of the projection)."""
    types: dict[str, list[str] | None] = {}
    _classify(types, rows_for(kg, _L_TYPES, [i for i in dict.fromkeys(iris) if _is_entity_iri(i)]))
    return {e: ts for e, ts in types.items() if ts}


@dataclass
class Walk:
    """What :func:`walk` found: entity → classes (in discovery order, start first), and the
    links seen between them as (subject, predicate IRI, object). Links between two nodes
    that were never expanded (the last step's, hubs) are not known: see :func:`links_among`."""
    start: str
    types: dict = field(default_factory=dict)
    links: set = field(default_factory=set)
    depth: dict = field(default_factory=dict)
    expanded: set = field(default_factory=set)   # nodes whose every link was looked at

    def main_types(self) -> dict[str, str]:
        return {n: main_type(ts) for n, ts in self.types.items()}


def walk(kg, start: str, depth: int) -> Walk:
    """The entities within ``depth`` links of ``start`` (either direction), not walking through
    hubs (see :func:`neighbourhood`, which does the same on a whole projection), found with one
    query per step over the current frontier only."""
    start_types = entity_types_of(kg, [start])
    if start not in start_types:
        from qdgraph.errors import NotFoundError

        raise NotFoundError(f"{shorten(start)} is not an entity of the graph")
    w = Walk(start, {start: start_types[start]}, set(), {start: 0})
    frontier, expanded_before = [start], []
    for step in range(1, max(depth, 0) + 1):
        expand = [n for n in frontier if n == start or main_type(w.types[n]) not in HUB_TYPES]
        if not expand:
            break
        # links back to the nodes expanded one step ago are known already: skip them in the
        # query when there are few (a long NOT IN list would cost more than it saves)
        skip = expanded_before if len(expanded_before) <= 64 else ()
        w.expanded.update(expand)
        rows = rows_for(kg, _L_STEP, expand, skip)
        found: dict[str, list[str] | None] = {}
        _classify(found, rows, "m", "type")
        nxt = []
        for r in rows:
            m = r["m"].value
            if not found.get(m) and not w.types.get(m):
                continue
            if m not in w.types:
                w.types[m] = found[m]
                w.depth[m] = step
                nxt.append(m)
            n, p = r["n"].value, r["p"].value
            w.links.add((n, p, m) if r["out"].value == "true" else (m, p, n))
        expanded_before, frontier = expand, nxt
    w.expanded.update(expanded_before)
    return w


_L_LINKS_OF = """SELECT ?n ?p ?m ?out WHERE {
  VALUES ?n { @iris@ }
  { ?n ?p ?m BIND (true AS ?out) } UNION { ?m ?p ?n BIND (false AS ?out) }
  FILTER (isIRI(?m) && ?p NOT IN (%s)%s)
}""" % (", ".join(_NOT_WALKED), _SKIP)


def links_among(kg, nodes, within, skip=()) -> set[tuple[str, str, str]]:
    """The links (s, p, o) between ``nodes`` and other members of ``within`` (not ``skip``):
    what :func:`walk` could not see between the entities it reached last, which it never
    expanded."""
    skip = list(dict.fromkeys(skip))
    out = set()
    for r in rows_for(kg, _L_LINKS_OF, nodes, skip if len(skip) <= 64 else ()):
        m = r["m"].value
        if m in within and m not in skip:
            n, p = r["n"].value, r["p"].value
            out.add((n, p, m) if r["out"].value == "true" else (m, p, n))
    return out


def _add_vocab_label(out, r) -> None:
    lang = (r["l"].language or "").split("-")[0]
    # a label without a language (a period: "2026") serves both
    for tag in (("zh", "en") if not lang else (lang,) if lang in ("zh", "en") else ()):
        out[shorten(r["t"].value)].setdefault(tag, r["l"].value)


def vocab_for(kg, terms) -> dict[str, dict[str, str]]:
    """Short qd: name → {"zh", "en"} labels, for the given short or full names only."""
    full = []
    for t in dict.fromkeys(terms):
        if not t:
            continue
        iri = QD + t[3:] if t.startswith("qd:") else t
        if iri.startswith((QD, QDR + "period-")):
            full.append(iri)
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for r in rows_for(kg, _L_VOCAB, full):
        _add_vocab_label(out, r)
    return dict(out)


def project(kg, nodes, *, lang: str = "zh", types: dict[str, list[str]] | None = None,
            vocab_terms=()) -> nx.MultiDiGraph:
    """The projection restricted to ``nodes`` (in that order; IRIs that are not entities are
    left out): the same node and edge attributes as the same nodes have in :func:`to_networkx`,
    built from queries over these nodes only. ``types``: their classes, if already known (from
    :func:`walk`); ``vocab_terms``: more terms whose labels ``graph["vocab"]`` should hold."""
    nodes = list(dict.fromkeys(nodes))
    if types is None:
        types = entity_types_of(kg, nodes)
    g = nx.MultiDiGraph(lang=lang, vocab={})
    for iri in nodes:
        if types.get(iri):
            g.add_node(iri, type=main_type(types[iri]), types=sorted(shorten(t) for t in types[iri]), zh=None, en=None)
    ids = list(g.nodes)
    links = rows_for(kg, _L_LINKS, ids)
    beyond = {r["o"].value for r in links if r["o"].value not in g}
    outside = set(entity_types_of(kg, beyond))
    claims = rows_for(kg, _L_BASIS, ids)
    evidence = rows_for(kg, _L_EVIDENCE, ids)
    evidence.sort(key=lambda r: (r["c"].value, r["q"].value))
    g.graph["vocab"] = vocab = vocab_for(kg, [
        *("qd:" + k for k in VOCAB_FACT_KEYS), *vocab_terms,
        *(t for ts in (types[i] for i in ids) for t in ts),
        *(r["p"].value for r in links), *(r["o"].value for r in links if r["o"].value not in outside),
        *(r["basis"].value for r in claims if r.get("basis") is not None)])
    _add_literals(g, rows_for(kg, _L_LITERALS, ids), lang)
    _add_quotes(g, rows_for(kg, _L_QUOTES, ids))
    _add_links(g, _claim_index(claims, evidence), links, vocab, lang, outside)
    return g


# Literal facts whose names the picture's tooltips show (their ontology labels are fetched).
VOCAB_FACT_KEYS = ("notation", "statedAs", "obsValue", "unitMeasure", "comparator", "refPeriod", "valueKind",
                   "comparedWith", "qualitativeTarget", "declaredCount", "actionVerb", "task", "leadArea",
                   "goalStatus", "jobTitle", "recurrence")


# Classifier nodes link to many things (a category holds a dozen chains); a neighbourhood
# walk stops at them instead of pulling in everything they classify.
HUB_TYPES = frozenset({"qd:ChainCategory", "qd:ClusterTier", "qd:ChainPortfolio", "qd:Programme", "qd:Dimension",
                       "qd:IndustrySystemElement", "qd:PlanDocument", "qd:Goal", "schema:City", "qd:Subject",
                       "qd:NamedSet", "qd:Statistic"})

"""Entity cards: everything the graph says about one entity, grouped for reading."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from qdgraph.namespaces import PREFIXES, shorten

RDF_TYPE = PREFIXES["rdf"] + "type"
RDFS_LABEL = PREFIXES["rdfs"] + "label"
PREF_LABEL = PREFIXES["skos"] + "prefLabel"   # the same names as rdfs:label (SKOS tools read this one)
# provenance: listed under the card's provenance, not as relations
PROVENANCE = frozenset({PREFIXES["prov"] + "wasDerivedFrom", PREFIXES["qd"] + "evidence"})


@dataclass
class Card:
    iri: str
    types: list = field(default_factory=list)        # [{"iri", "zh", "en"}]
    labels: dict = field(default_factory=dict)       # lang -> [text]
    facts: dict = field(default_factory=dict)        # property -> [text]
    out: dict = field(default_factory=dict)          # property -> [{"iri", "zh", "en", "basis", "evidence"}]
    into: dict = field(default_factory=dict)         # property -> [{"iri", "zh", "en"}]
    provenance: list = field(default_factory=list)   # [{"quote", "exact", "source"}]

    def to_dict(self) -> dict:
        return asdict(self)


def describe(kg, name: str) -> Card:
    """The card of the entity ``name`` resolves to (a name, alias, pinyin or IRI)."""
    import pyoxigraph as ox

    iri = kg.resolve(name)
    node = ox.NamedNode(iri)
    names = kg.names()
    card = Card(iri)
    claims = _claims(kg, node)
    for r in kg.named("entity-out", {"entity": node}).rows:
        p, o = r["p"].value, r["o"]
        if p == RDF_TYPE:
            card.types.append({"iri": o.value, "zh": names.label(o.value, "zh"), "en": names.label(o.value, "en")})
        elif p == RDFS_LABEL:
            card.labels.setdefault(o.language or "", []).append(o.value)
        elif p == PREF_LABEL:
            continue
        elif p in PROVENANCE:
            continue
        elif isinstance(o, ox.Literal):
            text = o.value + (f"@{o.language}" if o.language else "")
            card.facts.setdefault(shorten(p), []).append(text)
        else:
            zh = r["o_zh"].value if r.get("o_zh") is not None else (names.label(o.value, "zh") if isinstance(o, ox.NamedNode) else "")
            en = r["o_en"].value if r.get("o_en") is not None else (names.label(o.value, "en") if isinstance(o, ox.NamedNode) else "")
            c = claims.get((iri, p, o.value), {})
            card.out.setdefault(shorten(p), []).append(
                {"iri": o.value, "zh": zh, "en": en, "basis": c.get("basis"), "evidence": c.get("evidence", [])})
    into = kg.named("entity-in", {"entity": node}).rows
    names.prefetch(r["s"].value for r in into if isinstance(r["s"], ox.NamedNode))  # an endpoint: one request, not one each
    for r in into:
        s, p = r["s"], r["p"].value
        if not isinstance(s, ox.NamedNode):
            continue
        c = claims.get((s.value, p, iri), {})
        card.into.setdefault(shorten(p), []).append(
            {"iri": s.value, "zh": names.label(s.value, "zh"), "en": names.label(s.value, "en"),
             "basis": c.get("basis"), "evidence": c.get("evidence", [])})
    for r in kg.query(
        "SELECT ?q ?exact ?source WHERE { ?e qd:evidence|prov:wasDerivedFrom ?q . ?q oa:hasSelector/oa:exact ?exact . "
        "OPTIONAL { ?q oa:hasSource ?source } } ORDER BY ?q", {"e": node}).rows:
        card.provenance.append({"quote": r["q"].value, "exact": r["exact"].value,
                                "source": r["source"].value if r.get("source") is not None else None})
    return card


def _claims(kg, node) -> dict:
    """(s, p, o) → the strongest claim on that triple (several rules can derive one link)."""
    best: dict = {}
    for r in kg.named("entity-claims", {"entity": node}).rows:
        key = (r["s"].value, r["p"].value, r["o"].value)
        rank = (int(r["strength"].value) if r.get("strength") is not None else 99, r["claim"].value)
        c = best.get(key)
        if c is None or rank < c["rank"]:
            c = best[key] = {"rank": rank, "basis": shorten(r["basis"].value), "evidence": [], "rationale": {}}
        if rank == c["rank"] and r.get("exact") is not None and r["exact"].value not in c["evidence"]:
            c["evidence"].append(r["exact"].value)
    for c in best.values():
        del c["rank"]
    return best

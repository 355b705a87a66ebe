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
    # a card cut to ``limit`` items a relation: "out" / "into" -> property -> how many there
    # are in all (the relations cut only)
    cut: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = asdict(self)
        if not out["cut"]:  # a whole card says so by leaving it out: its JSON is as it was
            del out["cut"]
        return out


def describe(kg, name: str, limit: int | None = None) -> Card:
    """The card of the entity ``name`` resolves to (a name, alias, pinyin or IRI). ``limit``:
    at most that many items a relation (the first, in the card's order), with how many there
    are in all in ``cut``; the claims are then read for those items only (a chain's 8,000
    members at 1 M triples: their claims took 4 s, for a card a reader reads the top of)."""
    import pyoxigraph as ox

    iri = kg.resolve(name)
    node = ox.NamedNode(iri)
    names = kg.names()
    card = Card(iri)
    out_rows = kg.named("entity-out", {"entity": node}).rows
    if limit is not None:
        out_rows = _cut(out_rows, "o", limit, card.cut, "out", skip=_NOT_RELATIONS)
        into = _into_cut(kg, iri, limit, card.cut)
        claims = _claims_among(kg, iri, {r["o"].value for r in out_rows if isinstance(r["o"], ox.NamedNode)}
                               | {r["s"].value for r in into})
    else:
        into = [r for r in kg.named("entity-in", {"entity": node}).rows if isinstance(r["s"], ox.NamedNode)]
        claims = _claims(kg, node)
    for r in out_rows:
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
    names.prefetch(r["s"].value for r in into)  # an endpoint: one request, not one each
    for r in into:
        s, p = r["s"], r["p"].value
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


# what a card's own statements hold besides its relations: never cut
_NOT_RELATIONS = frozenset({RDF_TYPE, RDFS_LABEL, PREF_LABEL}) | PROVENANCE


def _cut(rows: list, var: str, limit: int, cut: dict, side: str, skip=frozenset()) -> list:
    """The first ``limit`` rows of each property (``p``, not in ``skip``) whose ``var`` is a
    relation's item (an IRI, or a blank node: a literal is a fact, never cut); the totals of
    those cut in ``cut[side]``."""
    import pyoxigraph as ox

    kept, seen = [], {}
    for r in rows:
        p = r["p"].value
        if p not in skip and not isinstance(r[var], ox.Literal):
            seen[p] = seen.get(p, 0) + 1
            if seen[p] > limit:
                continue
        kept.append(r)
    over = {shorten(p): n for p, n in seen.items() if n > limit}
    if over:
        cut[side] = over
    return kept


def _into_cut(kg, iri: str, limit: int, cut: dict) -> list:
    """The rows of entity-in (IRI subjects) that a card cut to ``limit`` items a relation
    lists, their totals in ``cut["into"]``: the subjects of every relation are read without
    their labels, and the labels of the first ``limit`` of each only (the queries beside this
    module). A subject with two labels in a language is one row more in the listing, and is
    counted once among those left out."""
    pairs: dict[str, set] = {}
    for r in kg.query_iris(_query("entity-in-subjects.rq"), entity=[iri]).rows:
        pairs.setdefault(r["p"].value, set()).add(r["s"].value)
    # entity-in orders on CONCAT("k", STR(?s)): the IRIs' code point order, as Python's
    chosen = sorted({s for subjects in pairs.values() for s in sorted(subjects)[:limit]})
    rows = kg.query_iris(_query("entity-in-among.rq"), entity=[iri], subjects=chosen).rows if chosen else []
    totals = {shorten(p): len(subjects) for p, subjects in pairs.items() if len(subjects) > limit}
    if totals:
        cut["into"] = totals
    return _cut(rows, "s", limit, {}, "into")


def _query(name: str) -> str:
    """A query file beside this module, read as progress.py and consistency/ read theirs
    (importlib.resources cost `show` 3.7 ms of imports on a machine that had not loaded it)."""
    from pathlib import Path

    return Path(__file__).with_name(name).read_text(encoding="utf-8")


def _claims_among(kg, iri: str, others: set) -> dict:
    """``_claims`` for the triples between the entity and ``others`` only (the query beside
    this module: entity-claims with the other end given)."""
    text = _query("entity-claims-among.rq")
    others = sorted(others)
    rows = []
    for i in range(0, len(others), 500):
        rows += kg.query_iris(text, entity=[iri], others=others[i:i + 500]).rows
    return _best_claims(rows)


def _claims(kg, node) -> dict:
    """(s, p, o) → the strongest claim on that triple (several rules can derive one link)."""
    return _best_claims(kg.named("entity-claims", {"entity": node}).rows)


def _best_claims(rows) -> dict:
    best: dict = {}
    for r in rows:
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

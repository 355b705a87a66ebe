"""Which measures affect an indicator, and why: the question users ask most.

For each ``qd:affects`` link the answer gives the basis (stated by the source, or inferred and
how), the rationale, the quoted evidence, and the path from the measure to the indicator:
for a roadmap inference, measure → (sub-measure of …) → pillar ← reflected by ← indicator,
each hop with the sentence behind it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .namespaces import QD, shorten

INDICATOR = "qd:Indicator"


@dataclass
class Step:
    iri: str
    zh: str
    en: str
    relation: str | None = None      # the relation from this node to the next, as a qd: name
    evidence: str | None = None      # the quote behind that relation


@dataclass
class MeasureLink:
    measure: str
    zh: str
    en: str
    basis: str
    basis_zh: str
    basis_en: str
    stated: bool
    rationale: dict = field(default_factory=dict)
    evidence: list = field(default_factory=list)   # [{"quote", "exact", "source"}]
    path: list = field(default_factory=list)       # [Step]


@dataclass
class IndicatorMeasures:
    indicator: str
    zh: str
    en: str
    pillar: str | None
    pillar_zh: str | None
    pillar_en: str | None
    target: dict = field(default_factory=dict)     # {"zh": "超过300万人", "year": "2026"} as the source words it
    links: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def measures_for(kg, indicator: str) -> IndicatorMeasures:
    """Every measure that affects ``indicator`` (a name, alias, pinyin, near miss or IRI)."""
    import pyoxigraph as ox

    iri = kg.resolve(indicator, types=[INDICATOR], what="indicator")
    names = kg.names()
    rows = kg.named("measures-for-indicator", {"indicator": ox.NamedNode(iri)}).rows
    parents = _hierarchy(kg, iri)
    pillar = next((p for rel, p, _ in parents.get(iri, []) if rel == QD + "measuredUnder"), None)

    links: dict[str, MeasureLink] = {}
    for r in rows:
        m = r["measure"].value
        link = links.get(m)
        if link is None:
            basis = r["basis"].value
            link = links[m] = MeasureLink(
                measure=m, zh=names.label(m, "zh"), en=names.label(m, "en"), basis=shorten(basis),
                basis_zh=_v(r.get("basis_zh")) or shorten(basis), basis_en=_v(r.get("basis_en")) or shorten(basis),
                stated=basis == QD + "Stated")
        rat = r.get("rationale")
        if rat is not None:
            link.rationale[rat.language or "und"] = rat.value
        if r.get("quote") is not None and all(e["quote"] != r["quote"].value for e in link.evidence):
            link.evidence.append({"quote": r["quote"].value, "exact": r["exact"].value, "source": r["source"].value})

    for link in links.values():
        link.path = _path(link, iri, pillar, parents, names)
    ordered = sorted(links.values(), key=lambda l: (not l.stated, l.basis != "qd:InferredFromSubject", len(l.path), l.measure))
    return IndicatorMeasures(iri, names.label(iri, "zh"), names.label(iri, "en"), pillar,
                             names.label(pillar, "zh") if pillar else None,
                             names.label(pillar, "en") if pillar else None, _target(kg, iri), ordered)


_TARGET = """SELECT ?stated ?cmp ?cmp_en ?qual ?qual_en ?year WHERE {
  ?t qd:targetOf ?indicator .
  OPTIONAL { ?t qd:statedAs ?stated }
  OPTIONAL { ?t qd:comparator ?c . ?c rdfs:label ?cmp FILTER (langMatches(lang(?cmp), "zh")) ?c rdfs:label ?cmp_en FILTER (langMatches(lang(?cmp_en), "en")) }
  OPTIONAL { ?t qd:qualitativeTarget ?qual FILTER (langMatches(lang(?qual), "zh")) }
  OPTIONAL { ?t qd:qualitativeTarget ?qual_en FILTER (langMatches(lang(?qual_en), "en")) }
  OPTIONAL { ?t qd:targetYear ?year }
}"""


def _target(kg, iri: str) -> dict:
    """The indicator's target in the source's words: comparator + figure, or the qualitative aim."""
    import pyoxigraph as ox

    rows = kg.query(_TARGET, {"indicator": ox.NamedNode(iri)}).rows
    if not rows:
        return {}
    r = {k: v.value for k, v in rows[0].items()}
    stated, cmp = r.get("stated", ""), r.get("cmp", "")
    zh = r.get("qual") or (stated if not cmp or cmp in stated else cmp + stated)
    en = r.get("qual_en") or r.get("qual") or f"{r.get('cmp_en', '')} {stated}".strip()
    return {"zh": zh, "en": en, "year": r.get("year")}


def _v(term):
    return term.value if term is not None else None


def _hierarchy(kg, indicator: str) -> dict[str, list[tuple[str, str, str | None]]]:
    """child IRI → [(relation IRI, parent IRI, quote)]: the subMeasureOf / onRoadmapOf links above
    the indicator's measures, and the indicator's measuredUnder (only these, so it stays cheap
    on a big store)."""
    import pyoxigraph as ox

    out: dict[str, list] = {}
    for r in kg.named("measure-ancestry", {"indicator": ox.NamedNode(indicator)}).rows:
        entry = (r["rel"].value, r["parent"].value, _v(r.get("exact")))
        lst = out.setdefault(r["child"].value, [])
        if all(e[:2] != entry[:2] for e in lst):
            lst.append(entry)
    return out


def _path(link: MeasureLink, indicator: str, pillar: str | None, parents, names) -> list[Step]:
    def step(iri, rel=None, ev=None):
        return Step(iri, names.label(iri, "zh"), names.label(iri, "en"), rel, ev)

    quote = link.evidence[0]["exact"] if link.evidence else None
    if link.basis != "qd:InferredFromRoadmap" or pillar is None:
        return [step(link.measure, "qd:affects", quote), step(indicator)]
    # climb sub-measure links until a measure on the indicator's pillar's roadmap
    steps, node, seen = [], link.measure, set()
    while node not in seen:
        seen.add(node)
        ups = parents.get(node, [])
        on_roadmap = [e for e in ups if e[0] == QD + "onRoadmapOf" and e[1] == pillar]
        if on_roadmap:
            steps.append(step(node, "qd:onRoadmapOf", on_roadmap[0][2]))
            break
        up = next((e for e in ups if e[0] == QD + "subMeasureOf"), None)
        if up is None:
            return [step(link.measure, "qd:affects", quote), step(indicator)]
        steps.append(step(node, "qd:subMeasureOf", up[2]))
        node = up[1]
    measured = next((e[2] for e in parents.get(indicator, []) if e[0] == QD + "measuredUnder"), None)
    steps.append(step(pillar, "^qd:measuredUnder", measured))
    steps.append(step(indicator))
    return steps

"""Which measures affect an indicator, and why: the question users ask most.

Every ``qd:affects`` link is a claim: stated by one sentence of the source, or derived by a
declared rule (``qdgraph/storage/rules/``) from premises that are claims themselves. The answer gives,
for each measure, its links ranked by the strength of their basis (stated, then same subject,
then measure hierarchy, then same roadmap), each with its rule, its premises and the sentences
behind them, and the path measure → … → indicator the premises make.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from qdgraph.errors import UsageError
from qdgraph.namespaces import QD, shorten

INDICATOR = "qd:Indicator"
# --basis words → basis IRIs (the short names users type)
BASES = {"stated": QD + "Stated", "subject": QD + "InferredFromSubject", "hierarchy": QD + "InferredFromHierarchy",
         "roadmap": QD + "InferredFromRoadmap", "context": QD + "InferredFromContext"}


@dataclass
class Step:
    iri: str
    zh: str
    en: str
    relation: str | None = None      # the relation from this node to the next, as a qd: name ("^" = inverse)
    evidence: str | None = None      # the quote behind that relation


@dataclass
class Premise:
    claim: str
    subject: str
    relation: str
    relation_zh: str
    relation_en: str
    object: str
    subject_zh: str
    subject_en: str
    object_zh: str
    object_en: str
    basis: str
    quotes: list = field(default_factory=list)


@dataclass
class Link:
    claim: str
    basis: str
    basis_zh: str
    basis_en: str
    strength: int
    rule: str | None = None
    rule_zh: str | None = None
    rule_en: str | None = None
    rationale: dict = field(default_factory=dict)
    evidence: list = field(default_factory=list)   # [{"quote", "exact", "source"}]
    premises: list = field(default_factory=list)   # [Premise]
    path: list = field(default_factory=list)       # [Step]


@dataclass
class MeasureLink:
    """One measure, with its strongest link's basis, rule, premises and path on top and every
    link (strongest first) in ``links``."""
    measure: str
    zh: str
    en: str
    basis: str
    basis_zh: str
    basis_en: str
    stated: bool
    strength: int
    rule: str | None = None
    rule_zh: str | None = None
    rule_en: str | None = None
    rationale: dict = field(default_factory=dict)
    evidence: list = field(default_factory=list)
    premises: list = field(default_factory=list)
    path: list = field(default_factory=list)
    links: list = field(default_factory=list)      # [Link]


@dataclass
class IndicatorMeasures:
    indicator: str
    zh: str
    en: str
    pillar: str | None
    pillar_zh: str | None
    pillar_en: str | None
    target: dict = field(default_factory=dict)     # {"zh": "超过300万人", "year": "2026"} as the source words it
    counts: dict = field(default_factory=dict)     # basis (qd: name) → number of links, before any --basis filter
    basis_labels: dict = field(default_factory=dict)  # basis (qd: name) → {"zh": …, "en": …}, for every basis counted
    basis_filter: list = field(default_factory=list)
    links: list = field(default_factory=list)      # [MeasureLink]

    def to_dict(self) -> dict:
        return asdict(self)


def parse_bases(text: str | None) -> list[str]:
    """``"subject,roadmap"`` → the basis IRIs; raises UsageError naming the known words."""
    if not text:
        return []
    out = []
    for word in (w.strip().lower() for w in text.split(",")):
        if word not in BASES:
            import difflib

            near = difflib.get_close_matches(word, list(BASES), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise UsageError(f"unknown basis {word!r} (use {', '.join(BASES)}){hint}")
        out.append(BASES[word])
    return out


def measures_for(kg, indicator: str, basis: str | list | None = None) -> IndicatorMeasures:
    """Every measure that affects ``indicator`` (a name, alias, pinyin, near miss or IRI),
    strongest link first; ``basis`` ("subject", "roadmap,stated", or IRIs) keeps only those links."""
    import pyoxigraph as ox

    from qdgraph.storage.rules import all_rules

    rule_names = {r.iri: r.label for r in all_rules()}
    wanted = parse_bases(basis) if isinstance(basis, str) or basis is None else list(basis)
    iri = kg.resolve(indicator, types=[INDICATOR], what="indicator")
    names = _Labels(kg.names())
    node = {"indicator": ox.NamedNode(iri)}
    links: dict[str, Link] = {}
    owner: dict[str, str] = {}
    for r in kg.named("measures-for-indicator", node).rows:
        c = r["claim"].value
        link = links.get(c)
        if link is None:
            b = r["basis"].value
            rule = _v(r.get("rule"))
            names_of_rule = rule_names.get(rule, {})
            link = links[c] = Link(c, shorten(b), _v(r.get("basis_zh")) or shorten(b), _v(r.get("basis_en")) or shorten(b),
                                   int(r["strength"].value) if r.get("strength") is not None else 99,
                                   rule, names_of_rule.get("zh", rule and shorten(rule)),
                                   names_of_rule.get("en", rule and shorten(rule)))
            owner[c] = r["measure"].value
        rat = r.get("rationale")
        if rat is not None:
            link.rationale[rat.language or "und"] = rat.value
        if all(e["quote"] != r["quote"].value for e in link.evidence):
            link.evidence.append({"quote": r["quote"].value, "exact": r["exact"].value, "source": r["source"].value})
    premises: dict[str, dict[str, Premise]] = {}
    for r in kg.named("link-premises", node).rows:
        per = premises.setdefault(r["claim"].value, {})
        p = per.get(r["premise"].value)
        if p is None:
            s, o, rel = r["s"].value, r["o"].value, r["p"].value
            p = per[r["premise"].value] = Premise(
                r["premise"].value, s, shorten(rel), _v(r.get("p_zh")) or shorten(rel), _v(r.get("p_en")) or shorten(rel),
                o, names.label(s, "zh"), names.label(s, "en"), names.label(o, "zh"), names.label(o, "en"),
                shorten(r["basis"].value))
        if r["exact"].value not in p.quotes:
            p.quotes.append(r["exact"].value)
    for c, link in links.items():
        link.premises = sorted(premises.get(c, {}).values(), key=lambda p: (p.subject != owner[c], p.claim))
        link.path = _path(owner[c], iri, link, names)

    counts: dict[str, int] = {}
    labels: dict[str, dict] = {}
    for link in links.values():
        counts[link.basis] = counts.get(link.basis, 0) + 1
        labels[link.basis] = {"zh": link.basis_zh, "en": link.basis_en}
    for b in wanted:  # a basis asked for that no link has
        labels.setdefault(shorten(b), {"zh": names.label(b, "zh"), "en": names.label(b, "en")})
    keep = {shorten(b) for b in wanted}
    by_measure: dict[str, list[Link]] = {}
    for c, link in links.items():
        if not keep or link.basis in keep:
            by_measure.setdefault(owner[c], []).append(link)
    out = []
    for m, ls in by_measure.items():
        ls.sort(key=lambda l: (l.strength, l.claim))
        top = ls[0]
        out.append(MeasureLink(m, names.label(m, "zh"), names.label(m, "en"), top.basis, top.basis_zh, top.basis_en,
                               top.basis == "qd:Stated", top.strength, top.rule, top.rule_zh, top.rule_en,
                               top.rationale, top.evidence, top.premises, top.path, ls))
    out.sort(key=lambda l: (l.strength, len(l.path), l.zh, l.measure))
    pillar, target = _pillar_and_target(kg, iri)
    return IndicatorMeasures(iri, names.label(iri, "zh"), names.label(iri, "en"), pillar,
                             names.label(pillar, "zh") if pillar else None,
                             names.label(pillar, "en") if pillar else None, target,
                             dict(sorted(counts.items(), key=lambda kv: _strength_of(kv[0], links))),
                             labels, sorted(keep), out)


class _Labels:
    """The name index's labels, each looked up once (premises repeat the same few nodes)."""
    def __init__(self, names):
        self._names, self._seen = names, {}

    def label(self, iri: str, lang: str) -> str:
        key = (iri, lang)
        if key not in self._seen:
            self._seen[key] = self._names.label(iri, lang)
        return self._seen[key]


def _strength_of(basis: str, links: dict) -> int:
    return min((l.strength for l in links.values() if l.basis == basis), default=99)


def _path(measure: str, indicator: str, link: Link, names) -> list[Step]:
    """measure → … → indicator as the premises chain it: measure —p1→ x, then x —p2→ indicator
    or indicator —p2→ x (shown as the inverse). Without premises, one hop."""
    def step(iri, rel=None, ev=None):
        return Step(iri, names.label(iri, "zh"), names.label(iri, "en"), rel, ev)

    for first in (p for p in link.premises if p.subject == measure):
        hop = first.object
        for second in link.premises:
            if second.subject == hop and second.object == indicator:
                rel2 = second.relation
            elif second.subject == indicator and second.object == hop:
                rel2 = "^" + second.relation
            else:
                continue
            return [step(measure, first.relation, first.quotes[0] if first.quotes else None),
                    step(hop, rel2, second.quotes[0] if second.quotes else None), step(indicator)]
    quote = link.evidence[0]["exact"] if link.evidence else None
    return [step(measure, "qd:affects", quote), step(indicator)]


def _pillar_and_target(kg, iri: str) -> tuple[str | None, dict]:
    """The indicator's pillar, and its target in the source's words: comparator + figure, or the
    qualitative aim (``indicator-target.rq``)."""
    import pyoxigraph as ox

    rows = kg.named("indicator-target", {"indicator": ox.NamedNode(iri)}).rows
    r = {k: v.value for k, v in rows[0].items()} if rows else {}
    if not r.get("target"):
        return r.get("pillar"), {}
    from qdgraph.domain.wording import target_text

    t = target_text(r.get("stated", ""), r.get("cmp", ""), r.get("cmp_en", ""), r.get("qual", ""), r.get("qual_en", ""))
    return r.get("pillar"), {"zh": t.zh, "en": t.en, "year": r.get("year")}


def _v(term):
    return term.value if term is not None else None

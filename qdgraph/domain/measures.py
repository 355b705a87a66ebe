"""Which measures affect an indicator, and why: the question users ask most.

A measure affects an indicator when the source, or a declared rule over what the source says
(``qdgraph/storage/rules/``), ties the measure's own object to what the indicator measures.
Every link is a claim with its premises; a link is as strong as its weakest premise at any
depth (``qd:weakestBasis``), and a premise that is a reading (inferred from context, with a
rationale) is shown with it. The answer groups the measures by that strength — stated, same
object, measure hierarchy, resting on a reading — within a group the indicator's own object
before a part of it, ties in the source's order. Measures that work against the indicator
(``qd:worksAgainst``) are a group of their own; measures that only sit on the same pillar's
roadmap are context (``qd:sameRoadmapAs``): counted and listed apart, never as links.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from qdgraph.domain.linkrank import GROUPS, PART_RULES, group_of, link_strength, measure_offsets, rank_key
from qdgraph.domain.linkrank import OWN as _OWN  # noqa: F401  (the ranks' old name here: tests/test_rules.py)
# an answer's head lives apart, so that `qdgraph measures` prints it before importing this module
from qdgraph.domain.indicatorhead import BASES, IndicatorHead, indicator_head, parse_bases  # noqa: F401
from qdgraph.namespaces import shorten

AGAINST = ("against", "反向作用（使指标偏离目标）", "working against (moves the indicator away from its target)")
_UNNAMED = frozenset({"claim", "premise", "reading", "quote", "source", "rule"})  # columns whose IRIs no answer labels


@dataclass
class Step:
    iri: str
    zh: str
    en: str
    relation: str | None = None      # the relation from this node to the next, as a qd: name ("^" = inverse)
    evidence: str | None = None      # the quote behind that relation


@dataclass
class _ClaimedTriple:
    """A claim's triple with both labels of each end: what a premise and a reading share."""
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

    @classmethod
    def from_row(cls, claim: str, r, names, *rest):
        """One from a row of link-premises / link-readings (s, p, o, p_zh, p_en), then ``rest``."""
        s, o, rel = r["s"].value, r["o"].value, r["p"].value
        return cls(claim, s, shorten(rel), _v(r.get("p_zh")) or shorten(rel), _v(r.get("p_en")) or shorten(rel),
                   o, names.label(s, "zh"), names.label(s, "en"), names.label(o, "zh"), names.label(o, "en"), *rest)


@dataclass
class Premise(_ClaimedTriple):
    basis: str = ""
    quotes: list = field(default_factory=list)
    rationale: dict = field(default_factory=dict)   # {"zh", "en"} where the premise is a reading


@dataclass
class Reading(_ClaimedTriple):
    """A claim inferred from context that a link rests on, with its rationale."""
    rationale: dict = field(default_factory=dict)
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
    relation: str = "qd:affects"                   # or qd:worksAgainst
    weakest: str | None = None                     # the weakest basis under it (qd: name)
    group: str = ""                                # a key of GROUPS, or "against"
    part: bool = False                             # through a part of the indicator's object
    readings: list = field(default_factory=list)   # claim IRIs of the readings it rests on


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
    group: str = ""                                # its strongest link's group
    relation: str = "qd:affects"
    offset: int = 0                                # where the measure's first quote starts in the source
    readings: list = field(default_factory=list)   # claim IRIs of the readings its strongest link rests on


@dataclass
class IndicatorMeasures(IndicatorHead):            # the head's fields first, then the links
    counts: dict = field(default_factory=dict)     # basis (qd: name) → number of links, before any --basis filter
    basis_labels: dict = field(default_factory=dict)  # basis (qd: name) → {"zh": …, "en": …}, for every basis counted
    basis_filter: list = field(default_factory=list)
    links: list = field(default_factory=list)      # [MeasureLink] that move it toward its target
    stated: bool = False                           # whether the source states any measure→indicator link outright
    groups: list = field(default_factory=list)     # [{"key", "zh", "en", "links": [MeasureLink]}], strongest first, "against" last
    against: list = field(default_factory=list)    # [MeasureLink] that work against it, never mixed in
    context: list = field(default_factory=list)    # [{"measure", "zh", "en"}] only on the same roadmap: context
    readings: dict = field(default_factory=dict)   # claim IRI → Reading, for every reading a link rests on

    def to_dict(self) -> dict:
        return asdict(self)


def measures_for(kg, indicator: str, basis: str | list | None = None, *,
                 head: IndicatorHead | None = None) -> IndicatorMeasures:
    """Every measure that affects ``indicator`` (a name, alias, pinyin, near miss or IRI),
    grouped by the weakest basis its link rests on, strongest first; those that work against it
    and those only on the same roadmap apart. ``basis`` ("subject", "hierarchy,stated", or IRIs)
    keeps only the links whose own basis is one of those. ``head``: the indicator_head already
    worked out for it."""
    import pyoxigraph as ox

    from qdgraph.storage.rules import all_rules

    rule_names = {r.iri: r.label for r in all_rules()}
    wanted = parse_bases(basis) if isinstance(basis, str) or basis is None else list(basis)
    head = head or indicator_head(kg, indicator)
    iri = head.indicator
    names = kg.names()  # an index read lazily keeps each entry it reads
    node = {"indicator": ox.NamedNode(iri)}
    links: dict[str, Link] = {}
    owner: dict[str, str] = {}
    found = {q: kg.named(q, node).rows for q in ("measures-for-indicator", "link-premises", "link-readings",
                                                  "roadmap-context")}
    # the names the answer shows (measures, subjects, relations, bases), not the claims' and quotes'
    # IRIs, half of those in the rows: an endpoint's name index asks for each (at 10 M triples 17,000)
    names.prefetch({t.value for rows in found.values() for r in rows for k, t in r.items()
                    if k not in _UNNAMED and isinstance(t, ox.NamedNode)})
    for r in found["measures-for-indicator"]:
        c = r["claim"].value
        link = links.get(c)
        if link is None:
            b = r["basis"].value
            rule = _v(r.get("rule"))
            names_of_rule = rule_names.get(rule, {})
            weakest = r.get("weakest")
            strength = link_strength(r)
            link = links[c] = Link(c, shorten(b), _v(r.get("basis_zh")) or shorten(b), _v(r.get("basis_en")) or shorten(b),
                                   strength, rule, names_of_rule.get("zh", rule and shorten(rule)),
                                   names_of_rule.get("en", rule and shorten(rule)),
                                   relation=shorten(r["rel"].value), weakest=shorten(weakest.value) if weakest else shorten(b),
                                   part=rule in PART_RULES)
            link.group = "against" if link.relation == "qd:worksAgainst" else group_of(strength)
            owner[c] = r["measure"].value
        rat = r.get("rationale")
        if rat is not None:
            link.rationale[rat.language or "und"] = rat.value
        if all(e["quote"] != r["quote"].value for e in link.evidence):
            link.evidence.append({"quote": r["quote"].value, "exact": r["exact"].value, "source": r["source"].value})
    premises: dict[str, dict[str, Premise]] = {}
    for r in found["link-premises"]:
        per = premises.setdefault(r["claim"].value, {})
        p = per.get(r["premise"].value)
        if p is None:
            p = per[r["premise"].value] = Premise.from_row(r["premise"].value, r, names, shorten(r["basis"].value))
        if r["exact"].value not in p.quotes:
            p.quotes.append(r["exact"].value)
        for lang in ("zh", "en"):
            if r.get("rationale_" + lang) is not None:
                p.rationale[lang] = r["rationale_" + lang].value
    readings: dict[str, Reading] = {}
    for r in found["link-readings"]:
        c, rc = r["claim"].value, r["reading"].value
        rd = readings.get(rc)
        if rd is None:
            rd = readings[rc] = Reading.from_row(rc, r, names)
        for lang in ("zh", "en"):
            if r.get("rationale_" + lang) is not None:
                rd.rationale[lang] = r["rationale_" + lang].value
        if r["exact"].value not in rd.quotes:
            rd.quotes.append(r["exact"].value)
        if c in links and rc not in links[c].readings:
            links[c].readings.append(rc)
    for c, link in links.items():
        link.rationale = dict(sorted(link.rationale.items()))  # the same JSON whichever engine answered
        link.premises = sorted(premises.get(c, {}).values(), key=lambda p: (p.subject != owner[c], p.claim))
        link.path = _path(owner[c], iri, link, names)
        link.readings.sort()

    counts: dict[str, int] = {}
    labels: dict[str, dict] = {}
    for link in links.values():
        counts[link.basis] = counts.get(link.basis, 0) + 1
        labels[link.basis] = {"zh": link.basis_zh, "en": link.basis_en}
    for b in wanted:  # a basis asked for that no link has
        labels.setdefault(shorten(b), {"zh": names.label(b, "zh"), "en": names.label(b, "en")})
    keep = {shorten(b) for b in wanted}
    offsets = measure_offsets(kg, node)
    by_measure: dict[tuple, list[Link]] = {}
    for c, link in links.items():
        if not keep or link.basis in keep:
            by_measure.setdefault((owner[c], link.relation), []).append(link)
    toward, against = [], []
    for (m, rel), ls in by_measure.items():
        ls.sort(key=_rank_link)
        top = ls[0]
        ml = MeasureLink(m, names.label(m, "zh"), names.label(m, "en"), top.basis, top.basis_zh, top.basis_en,
                         top.basis == "qd:Stated", top.strength, top.rule, top.rule_zh, top.rule_en,
                         top.rationale, top.evidence, top.premises, top.path, ls, top.group, rel,
                         offsets.get(m, 1 << 30), top.readings)
        (against if rel == "qd:worksAgainst" else toward).append(ml)
    def rank(ml):
        return rank_key(ml.group, ml.basis, ml.links[0].part, ml.offset, ml.measure)
    toward.sort(key=rank)
    against.sort(key=rank)
    groups = [{"key": key, "zh": zh, "en": en, "links": [ml for ml in toward if ml.group == key]}
              for key, _, zh, en in GROUPS]
    groups = [g for g in groups if g["links"]]
    if against:
        groups.append({"key": AGAINST[0], "zh": AGAINST[1], "en": AGAINST[2], "links": against})
    shown = {ml.measure for ml in toward + against}
    context = [{"measure": r["measure"].value, "zh": names.label(r["measure"].value, "zh"), "en": names.label(r["measure"].value, "en")}
               for r in found["roadmap-context"] if r["measure"].value not in shown]
    context.sort(key=lambda c: (offsets.get(c["measure"], 1 << 30), c["measure"]))  # the source's order
    used = {rc for ml in toward + against for l in ml.links for rc in l.readings}
    return IndicatorMeasures(*vars(head).values(),
                             dict(sorted(counts.items(), key=lambda kv: _strength_of(kv[0], links))),
                             labels, sorted(keep), toward, any(l.basis == "qd:Stated" for l in links.values()),
                             groups, against, context, {k: v for k, v in sorted(readings.items()) if k in used})


def _rank_link(l: Link) -> tuple:
    return (l.strength, l.part, l.claim)


def _strength_of(basis: str, links: dict) -> int:
    return min((l.strength for l in links.values() if l.basis == basis), default=99)


def _path(measure: str, indicator: str, link: Link, names) -> list[Step]:
    """measure → … → indicator as the premises chain it (each premise a hop, walked forward
    or, where it points the other way, shown as the inverse "^"). Without premises, one hop."""
    def step(iri, rel=None, ev=None):
        return Step(iri, names.label(iri, "zh"), names.label(iri, "en"), rel, ev)

    hops: dict[str, list] = {}
    for p in link.premises:
        q = p.quotes[0] if p.quotes else None
        hops.setdefault(p.subject, []).append((p.object, p.relation, q))
        hops.setdefault(p.object, []).append((p.subject, "^" + p.relation, q))
    seen, todo = {measure: None}, [measure]
    while todo:  # breadth first: the shortest chain of premises from the measure to the indicator
        here = todo.pop(0)
        for there, rel, q in hops.get(here, ()):
            if there not in seen:
                seen[there] = (here, rel, q)
                todo.append(there)
    if indicator in seen and link.premises:
        chain, node = [step(indicator)], indicator
        while seen[node] is not None:
            prev, rel, q = seen[node]
            chain.insert(0, step(prev, rel, q))
            node = prev
        return chain
    quote = link.evidence[0]["exact"] if link.evidence else None
    return [step(measure, link.relation, quote), step(indicator)]


def _v(term):
    return term.value if term is not None else None


def readings(kg) -> list[dict]:
    """Every reading the answers may rest on (a claim inferred from context, with its rationale),
    how many links to indicators rest on it, and its verdict if an analyst gave one
    (``data/verdicts.ttl``): what ``qdgraph readings`` lists."""
    from qdgraph.namespaces import QD

    names = kg.names()  # an index read lazily keeps each entry it reads
    verdicts = {}
    for r in kg.query("""SELECT ?v ?c ?d ?who ?when ?why WHERE { ?v a qd:Verdict ; qd:onClaim ?c ; qd:decision ?d .
            OPTIONAL { ?v dcterms:creator ?who } OPTIONAL { ?v dcterms:date ?when } OPTIONAL { ?v rdfs:comment ?why } }
            ORDER BY ?v""").rows:
        verdicts[r["c"].value] = {"verdict": r["v"].value, "decision": "accepted" if r["d"].value == QD + "Accepted" else "rejected",
                                  "who": _v(r.get("who")) or "", "when": _v(r.get("when")) or "", "why": _v(r.get("why")) or ""}
    out = []
    for r in kg.named("readings").rows:
        c, s, p, o = (r[k].value for k in ("claim", "s", "p", "o"))
        out.append({"claim": c, "subject": s, "relation": shorten(p), "object": o,
                    "subject_zh": names.label(s, "zh"), "subject_en": names.label(s, "en"),
                    "relation_zh": names.label(p, "zh"), "relation_en": names.label(p, "en"),
                    "object_zh": names.label(o, "zh"), "object_en": names.label(o, "en"),
                    "rationale": {"zh": _v(r.get("rationale_zh")) or "", "en": _v(r.get("rationale_en")) or ""},
                    "links": int(r["links"].value), "verdict": verdicts.get(c)})
    return out

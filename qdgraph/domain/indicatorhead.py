"""What a lookup about an indicator is about, as its answer's first line says it: the indicator
a name resolves to, its names, pillar and target; and the ``--basis`` words.

Apart from ``qdgraph.domain.measures`` so that `qdgraph measures` prints that line before it
imports the lookup's record classes (their dataclasses take 10-13 ms to build).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from qdgraph.errors import UsageError
from qdgraph.namespaces import QD

INDICATOR = "qd:Indicator"
# --basis words → basis IRIs (the short names users type)
BASES = {"stated": QD + "Stated", "subject": QD + "InferredFromSubject", "hierarchy": QD + "InferredFromHierarchy",
         "roadmap": QD + "InferredFromRoadmap", "context": QD + "InferredFromContext"}


@dataclass
class IndicatorHead:
    """What a lookup is about, as its answer's first line says it: names, pillar, target."""
    indicator: str
    zh: str
    en: str
    pillar: str | None
    pillar_zh: str | None
    pillar_en: str | None
    target: dict = field(default_factory=dict)     # {"zh": "超过300万人", "year": "2026"} as the source words it


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


def indicator_head(kg, indicator: str) -> IndicatorHead:
    """The indicator ``indicator`` names (a name, alias, pinyin, near miss or IRI), with its
    pillar and target: one kept answer, so a command can show it before the links are worked out."""
    iri = kg.resolve(indicator, types=[INDICATOR], what="indicator")
    names = kg.names()
    pillar, target = _pillar_and_target(kg, iri)
    return IndicatorHead(iri, names.label(iri, "zh"), names.label(iri, "en"), pillar,
                         names.label(pillar, "zh") if pillar else None, names.label(pillar, "en") if pillar else None,
                         target)


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

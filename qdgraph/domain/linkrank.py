"""The order of the measures that bear on an indicator: a link's strength group (stated, same
object, measure hierarchy, resting on a reading) and its rank within an answer.

Shared by ``qdgraph.domain.measures.measures_for`` and ``qdgraph.domain.progress``, and kept
apart from the lookup's record classes: ``progress`` ranks its measures by this code without
importing measures, whose eight dataclasses took 8-12 ms to build in every `qdgraph progress`.
"""
from __future__ import annotations

# the groups an answer shows, strongest first: (key, weakest strength it takes, zh, en)
GROUPS = (("stated", 1, "原文陈述", "stated by the source"),
          ("subject", 2, "同一对象（前提均为原文）", "same object (every premise stated)"),
          ("hierarchy", 3, "上位措施（原文写明的上下位）", "through the parent measure (as the source writes it)"),
          ("reading", 99, "依赖解读（理由见各解读）", "resting on a reading (see its rationale)"))
PART_RULES = ("https://w3id.org/qdgraph/id/rule-subject-part",)  # through a part of the indicator's object
OWN = {"qd:Stated": 1, "qd:InferredFromSubject": 2, "qd:InferredFromHierarchy": 3}  # a basis's own rank
_GROUP_ORDER = {g[0]: k for k, g in enumerate(GROUPS)}


def rank_key(group: str, basis: str, part: bool, offset: int, measure: str) -> tuple:
    """Where a measure's link goes in an answer (``measures_for``, ``progress``): its strength
    group; within it stated, same object, hierarchy; the indicator's own object before a part
    of it; then the source's order (``offset``, from ``measure_offsets``)."""
    return (_GROUP_ORDER.get(group, 99), OWN.get(basis, 9), part, offset, measure)


def link_strength(row) -> int:
    """A link's strength from its row (``strength``: its own basis's; ``weakest_strength``: the
    weakest basis it rests on): the weaker of the two; 99 without either."""
    own = int(row["strength"].value) if row.get("strength") is not None else 99
    weakest = row.get("weakest_strength")
    return max(own, int(weakest.value)) if weakest is not None else own


def group_of(strength: int) -> str:
    """The answer's group of a link as strong as ``strength`` (its weakest basis)."""
    for key, limit, _, _ in GROUPS:
        if strength <= limit:
            return key
    return GROUPS[-1][0]


def measure_offsets(kg, node) -> dict[str, int]:
    """Each measure's place in the source: where its own words stand in the last quote holding
    them (the roadmap states the measure; an earlier mention, such as the 两个维度 passage,
    describes the system), else its first quote's start. Ties go in this order."""
    found: dict[str, int] = {}
    first: dict[str, int] = {}
    for r in kg.named("measure-offsets", node).rows:
        m = r["measure"].value
        start, exact = int(r["start"].value), "".join(r["exact"].value.split())
        label = r["label"].value if r.get("label") is not None else ""
        first[m] = min(first.get(m, 1 << 30), start)
        at = next((exact.find(label[:k]) for k in (len(label), 6, 4) if label and exact.find(label[:k]) >= 0), -1)
        if at >= 0:
            found[m] = max(found.get(m, -1), start + at)
    return {m: found.get(m, s) for m, s in first.items()}

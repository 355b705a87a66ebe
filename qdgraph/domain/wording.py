"""How targets read, in Chinese and English: the one place that words them for the CLI, the
server and the pictures.

The source states a target as a comparator and a figure with its unit (``超过300万人``,
``达到2家``, ``30%以上``); ``qd:statedAs`` keeps it as written, comparator word included.
Chinese readers get it back as the source wrote it; English readers get the comparator's
English label (from the graph) and the figure in English numbers (300万人 → 3 million people),
never Chinese units.

    >>> t = target_text("超过300万人", "超过", "more than")
    >>> t.zh, t.en, t.unit_zh, t.unit_en
    ('超过300万人', 'more than 3 million people', '万人', 'people')
    >>> target_text("30%以上", "以上", "at least").en
    'at least 30%'
    >>> target_text("2家", "达到", "reach").zh      # a figure stated without its comparator
    '达到2家'
"""
from __future__ import annotations

import re
from typing import NamedTuple

# comparators written after the figure (30%以上), not before it (达到30%)
_SUFFIX = ("以上", "以下", "左右")
# verbs the source puts before a figure, whichever comparator the graph records (达到57.5% is "exactly")
_PREFIX = ("不超过", "超过", "达到", "提高到", "突破")
_SCALE = {"万": 10_000, "亿": 100_000_000, "千": 1_000, "百": 100}
# Chinese measure words as English writes them ("" where English counts the thing itself)
_UNIT_EN = {"%": "%", "人": "people", "家": "", "个": "", "项": "", "所": "", "座": "", "元": "yuan",
            "美元": "US dollars", "吨": "tonnes", "亩": "mu", "平方米": "m²", "公里": "km"}
_FIGURE = re.compile(r"^\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<scale>[万亿千百]?)余?(?P<unit>.*?)\s*$")  # 110余家: "more than" is the comparator


class TargetText(NamedTuple):
    zh: str
    en: str
    unit_zh: str
    unit_en: str


def target_text(stated: str = "", comparator_zh: str = "", comparator_en: str = "",
                qualitative_zh: str = "", qualitative_en: str = "") -> TargetText:
    """A target's wording from its stated figure, comparator labels and qualitative aim."""
    if qualitative_zh or qualitative_en:
        return TargetText(qualitative_zh or qualitative_en, qualitative_en or qualitative_zh, "", "")
    figure = stated.strip()
    if comparator_zh:
        figure = figure.removeprefix(comparator_zh).removesuffix(comparator_zh)
    for word in _PREFIX:
        figure = figure.removeprefix(word)
    for word in _SUFFIX:
        figure = figure.removesuffix(word)
    m = _FIGURE.match(figure)
    if not comparator_zh or figure != stated.strip() or "余" in figure:  # the source's own words say how
        zh = stated
    else:
        zh = figure + comparator_zh if comparator_zh in _SUFFIX else comparator_zh + figure
    if m is None:  # a figure we cannot read: give it as stated
        return TargetText(zh, f"{comparator_en} {figure}".strip(), "", "")
    unit_zh = m["scale"] + m["unit"]
    unit_en = _UNIT_EN.get(m["unit"], m["unit"])
    value = float(m["num"]) * _SCALE.get(m["scale"], 1)
    number = english_number(value)
    figure_en = number + unit_en if unit_en == "%" else f"{number} {unit_en}".strip()
    return TargetText(zh, f"{comparator_en} {figure_en}".strip(), unit_zh, unit_en)


def english_number(value: float) -> str:
    """3000000 → '3 million', 1.5e9 → '1.5 billion', 62 → '62', 12000 → '12,000'."""
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if value >= size:
            return f"{value / size:,.3f}".rstrip("0").rstrip(".") + " " + word
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def indicator_rows(kg) -> list[dict]:
    """Every indicator with its pillar and target, worded for people (plain strings, both
    languages): what ``qdgraph indicators`` prints and ``/api/indicators`` returns."""
    words = {r["indicator"].value: {k: t.value for k, t in r.items()} for r in kg.named("target-wording").rows}
    out = []
    for r in kg.named("indicators").rows:
        v = {k: t.value for k, t in r.items()}
        w = words.get(v["indicator"], {})
        t = target_text(v.get("statedAs", ""), w.get("comparator_zh", ""), w.get("comparator_en", ""),
                        w.get("qualitative_zh", ""), w.get("qualitative_en", ""))
        out.append({
            "notation": v.get("notation", ""), "indicator": v.get("indicator"),
            "indicator_zh": v.get("indicator_zh", ""), "indicator_en": v.get("indicator_en", ""),
            "pillar": v.get("pillar"), "pillar_zh": v.get("pillar_zh", ""), "pillar_en": v.get("pillar_en", ""),
            # a counter word (家, 个) has no English word of its own: the unit is then a count
            "target_zh": t.zh, "target_en": t.en, "unit_zh": t.unit_zh, "unit_en": t.unit_en or ("count" if t.unit_zh else ""),
            "value": v.get("value", ""), "year": v.get("year", ""),
            "baseline": " ".join(x for x in (v.get("baseline"), v.get("baselineDate")) if x),
        })
    return out

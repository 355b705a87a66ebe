"""Units of targets and observed values, read from the graph (QUDT).

Each unit has ``qudt:conversionMultiplier`` (to its base unit) and, when it is a scaled unit,
``qudt:scalingOf`` its base: 亿元 is 10⁸ × 元, 万人 is 10⁴ × unit:NUM, % is 0.01 × unit:UNITLESS.
Two units convert when they share a base; nothing else is converted (a count never becomes a
percentage). The labels, aliases and symbols of units are what a unit column is matched
against, so adding a unit is a few triples, not code.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from qdgraph.errors import QdgraphError


NUM = "http://qudt.org/vocab/unit/NUM"


class UnitError(QdgraphError):
    """A unit name that matches no unit, or two units that do not convert."""

    exit_code = 2


@dataclass
class Unit:
    iri: str
    multiplier: Decimal
    base: str
    zh: str
    en: str
    symbol: str = ""

    def label(self, lang: str = "zh") -> str:
        """How a value's unit is written after it: the symbol (%), else the name (万人); nothing
        for a bare count (unit:NUM: "3,000,000", not "3,000,000 number")."""
        if self.iri == NUM:
            return ""
        return self.symbol or (self.zh if lang == "zh" else self.en) or self.zh or self.en or self.iri.rsplit("/", 1)[-1]


class Units:
    """The graph's units: ``resolve(text)``, ``get(iri)``, ``convert(value, from_iri, to_iri)``."""

    def __init__(self, units: dict[str, Unit], names: dict[str, set[str]]):
        self.by_iri, self._names = units, names

    @classmethod
    def load(cls, kg) -> "Units":
        units: dict[str, Unit] = {}
        names: dict[str, set[str]] = {}
        for r in kg.named("units").rows:  # engine/queries/units.rq, kept whole with a store
            iri = r["u"].value
            u = units.get(iri)
            if u is None:
                base = r.get("base")
                u = units[iri] = Unit(iri, Decimal(r["m"].value), base.value if base is not None else iri,
                                      _v(r.get("zh")), _v(r.get("en")), _v(r.get("sym")))
            if r.get("name") is not None:
                names.setdefault(_key(r["name"].value), set()).add(iri)
        return cls(units, names)

    def get(self, iri: str) -> Unit:
        u = self.by_iri.get(iri)
        if u is None:  # a unit the graph says nothing about: its own base, multiplier 1
            u = self.by_iri[iri] = Unit(iri, Decimal(1), iri, "", "")
        return u

    def resolve(self, text: str) -> str:
        """The IRI of the unit ``text`` names (label, alias or symbol, any language)."""
        from qdgraph.names import as_iri

        iri = as_iri(text)
        if iri is not None:
            return iri
        hits = self._names.get(_key(text), set())
        if len(hits) > 1:  # the same name for equivalent units (e.g. two copies of 亿元) is no ambiguity
            groups = {(self.by_iri[h].base, self.by_iri[h].multiplier) for h in hits}
            if len(groups) > 1:
                raise UnitError(f"unit {text!r} is ambiguous: {', '.join(sorted(hits))}")
        if not hits and not self._names:
            raise UnitError(f"unknown unit {text!r}: the graph defines no units (a store built by an older "
                            "qdgraph? rebuild it with `qdgraph load --force`)")
        if not hits:
            import difflib

            near = difflib.get_close_matches(_key(text), list(self._names), n=3, cutoff=0.5)
            known = sorted({u.zh for u in self.by_iri.values() if u.zh})
            raise UnitError(f"unknown unit {text!r}" + (f"; did you mean: {', '.join(near)}" if near
                                                         else f"; known units: {', '.join(known)}"))
        return sorted(hits)[0]

    def convertible(self, a: str, b: str) -> bool:
        return self.get(a).base == self.get(b).base

    def convert(self, value: Decimal, from_iri: str, to_iri: str) -> Decimal:
        if from_iri == to_iri:
            return value
        f, t = self.get(from_iri), self.get(to_iri)
        if f.base != t.base:
            raise UnitError(f"{f.label()} ({f.label('en')}) cannot be converted to {t.label()} ({t.label('en')})")
        return value * f.multiplier / t.multiplier


def _v(term) -> str:
    return term.value if term is not None else ""


def with_unit(value: str, unit: str, lang: str = "zh") -> str:
    """A number and its unit as people write them: 30% · 300万人 · 300 ten thousand persons."""
    return f"{value}{unit}" if lang == "zh" or unit in ("%", "") else f"{value} {unit}"


def _key(text: str) -> str:
    """Width- and case-insensitive, spaces dropped; punctuation kept (% is a unit)."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())

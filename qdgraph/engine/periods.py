"""Reference periods of observations: a year or a month, as OWL-Time intervals.

``period_iri("2026")`` → ``qdr:period-2026``, ``period_iri("2022-03")`` → ``qdr:period-2022-03``;
each is a ``time:ProperInterval`` whose beginning and end are ``time:Instant``s with
``time:inXSDDate`` (shared: the end of 2022-12 is the end of 2022). For arithmetic a period is
placed at its end, in years: 2022 → 2023.0 (31 December), 2022-03 → 2022.25 (end of March), so
"from March 2022 to the end of 2026" is 4.75 years.
"""
from __future__ import annotations

import calendar
import datetime as _dt
import functools
import re
from dataclasses import dataclass

from qdgraph.errors import UsageError
from qdgraph.namespaces import PREFIXES, QDR

TIME, RDFS, RDF, XSD = PREFIXES["time"], PREFIXES["rdfs"], PREFIXES["rdf"], PREFIXES["xsd"]
_IRI = re.compile(re.escape(QDR) + r"period-(\d{4})(?:-(\d{2}))?$")
# 2023 · 2023年 · 2023-03 · 2023-3 · 2023/03 · 2023.03 · 2023年3月 · 202303 · 2023年末/年底 (the year)
_TEXT = re.compile(r"(\d{4})\s*(?:年\s*(?:末|底|度)?)?(?:\s*(?:[-/.]|年)?\s*(\d{1,2})\s*月?(?:末|底)?)?")


class PeriodError(UsageError, ValueError):
    """Text that names no year or month."""


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int | None = None

    @property
    def key(self) -> str:
        return f"{self.year:04d}" if self.month is None else f"{self.year:04d}-{self.month:02d}"

    @property
    def iri(self) -> str:
        return f"{QDR}period-{self.key}"

    @property
    def begin(self) -> _dt.date:
        return _dt.date(self.year, self.month or 1, 1)

    @property
    def end(self) -> _dt.date:
        month = self.month or 12
        return _dt.date(self.year, month, calendar.monthrange(self.year, month)[1])

    @property
    def t(self) -> float:
        """The end of the period in years (see the module note)."""
        return self.year + 1.0 if self.month is None else self.year + self.month / 12

    def label(self, lang: str = "zh") -> str:
        if lang == "zh":
            return f"{self.year}年" if self.month is None else f"{self.year}年{self.month}月"
        return str(self.year) if self.month is None else f"{_month_name(self.month)} {self.year}"


@functools.lru_cache(maxsize=None)
def _month_name(month: int) -> str:
    """``calendar.month_name[month]``, looked up once: each look-up formats a date (16k
    instructions; `progress` labels 833 months at 10k values)."""
    return calendar.month_name[month]


def parse_period(text: str) -> Period:
    """A Period from what people write in a spreadsheet; PeriodError saying why otherwise."""
    t = str(text).strip()
    m = _TEXT.fullmatch(t)
    if not m and re.fullmatch(r"\d{6}", t):  # 202303
        m = _TEXT.fullmatch(f"{t[:4]}-{t[4:]}")
    if not m:
        raise PeriodError(f"{text!r} is not a year or a month (write 2023 or 2023-03)")
    year, month = int(m[1]), int(m[2]) if m[2] else None
    if not 1900 <= year <= 2200:
        raise PeriodError(f"{text!r}: year {year} is out of range")
    if month is not None and not 1 <= month <= 12:
        raise PeriodError(f"{text!r}: month {month} does not exist")
    return Period(year, month)


def period_iri(text: str) -> str:
    """The IRI of the period ``text`` names ("2026", "2022-03")."""
    return parse_period(text).iri


def period_of_iri(iri: str) -> Period | None:
    """The Period behind a ``qdr:period-…`` IRI, else None."""
    m = _IRI.match(iri)
    return Period(int(m[1]), int(m[2]) if m[2] else None) if m else None


def instant_iri(day: _dt.date) -> str:
    return f"{QDR}instant-{day.isoformat()}"


def period_triples(p: Period) -> list[tuple]:
    """The triples describing ``p`` (pyoxigraph terms): interval, labels, two dated instants."""
    import pyoxigraph as ox

    n = ox.NamedNode
    node, a = n(p.iri), n(RDF + "type")
    out = [(node, a, n(TIME + "ProperInterval")),
           (node, n(RDFS + "label"), ox.Literal(p.label("zh"), language="zh")),
           (node, n(RDFS + "label"), ox.Literal(p.label("en"), language="en"))]
    for prop, day in (("hasBeginning", p.begin), ("hasEnd", p.end)):
        inst = n(instant_iri(day))
        out += [(node, n(TIME + prop), inst), (inst, a, n(TIME + "Instant")),
                (inst, n(TIME + "inXSDDate"), ox.Literal(day.isoformat(), datatype=n(XSD + "date")))]
    return out

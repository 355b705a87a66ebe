"""Progress toward the targets: are we on track for 2026?

For each indicator: its target (value, comparator, period — a Data Cube observation of value
kind qd:TargetValue), its observed values (qd:ObservedValue) converted to the target's unit,
the latest one and its source, the gap, the yearly change still needed beside the average
yearly change so far, and a status:

- ``met``: the latest value already satisfies the target's comparator;
- ``on-track``: not yet, but carrying on at the average yearly change so far meets it in time;
- ``behind``: carrying on at that pace does not, or the target period is over;
- ``one-value``: one observed value: the gap is known, but a pace needs two periods;
- ``no-data``: no observed value;
- ``qualitative``: the target has no number (完成省下达任务): progress cannot be computed;
- ``no-target``: the source sets no target for the indicator.

Periods are placed at their end (``qdgraph.engine.periods``); "yearly" means per year of that scale.
Also listed: the measures that bear on the indicator (``qdgraph.domain.measures.measures_for``).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox

from qdgraph.namespaces import PREFIXES, QD, shorten
from qdgraph.engine.periods import period_of_iri
from qdgraph.engine.units import with_unit

# status key -> (zh, en); the order is the order of the legend
STATUSES: dict[str, tuple[str, str]] = {
    "met": ("已达成", "met"),
    "on-track": ("进度正常", "on track"),
    "behind": ("进度滞后", "behind"),
    "one-value": ("仅一期数据", "one value only"),
    "no-data": ("数据不足", "no data"),
    "qualitative": ("定性目标", "qualitative"),
    "no-target": ("未设目标", "no target"),
}
_LOWER = QD + "LowerIsBetter"
_AGAINST = QD + "worksAgainst"
_TYPE, _INDICATOR = ox.NamedNode(PREFIXES["rdf"] + "type"), ox.NamedNode(QD + "Indicator")
_HERE = Path(__file__).resolve().parent
_NUMERIC = {PREFIXES["xsd"] + t for t in ("decimal", "integer", "double", "float", "int", "long", "short", "byte",
                              "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger",
                              "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}


@dataclass
class Point:
    period: str
    label_zh: str
    label_en: str
    t: float
    value: float          # in the indicator's display unit (the target's, when there is one)
    stated_value: str     # as stored, in its own unit
    unit: str
    obs: str


@dataclass
class Target:
    iri: str
    period: str | None
    t: float | None
    value: float | None
    unit: str | None
    comparator: str | None
    comparator_zh: str
    comparator_en: str
    symbol: str
    stated_as: str | None
    qualitative_zh: str | None
    qualitative_en: str | None


@dataclass
class IndicatorProgress:
    indicator: str
    notation: str | None
    zh: str
    en: str
    pillar: str | None
    pillar_zh: str | None
    pillar_en: str | None
    direction: str                     # "higher" or "lower" (is better)
    unit: str | None                   # the unit values are given in
    unit_zh: str = ""
    unit_en: str = ""
    target: Target | None = None
    observations: list = field(default_factory=list)   # [Point], oldest first
    latest: Point | None = None
    sources: list = field(default_factory=list)        # of the latest value: [{title, url, file, exact}]
    gap: float | None = None                           # target − latest, in ``unit``
    years_left: float | None = None
    needed_per_year: float | None = None
    average_per_year: float | None = None
    projected: float | None = None                     # latest + average × years left
    plan: tuple | None = None                          # (first, last) year of the plan the target belongs to
    status: str = "no-data"
    status_zh: str = ""
    status_en: str = ""
    reason_zh: str = ""
    reason_en: str = ""
    notes: list = field(default_factory=list)          # observations left out, and why
    measures: list = field(default_factory=list)       # [{measure, zh, en, basis, stated}]

    def to_dict(self) -> dict:
        # dataclasses.asdict deep-copies every value: ten times slower at 10k observations; and
        # __dict__.copy() is a fifth of dict(vars(o)) (17 -> 3 ms for 10k values)
        out = self.__dict__.copy()
        out["target"] = self.target.__dict__.copy() if self.target is not None else None
        out["latest"] = self.latest.__dict__.copy() if self.latest is not None else None
        out["observations"] = [o.__dict__.copy() for o in self.observations]
        out["sources"] = [dict(s) for s in self.sources]
        out["measures"] = [dict(m) for m in self.measures]
        out["notes"] = list(self.notes)
        return out


@dataclass
class ProgressReport:
    indicators: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"statuses": {k: {"zh": zh, "en": en} for k, (zh, en) in STATUSES.items()},
                "indicators": [i.to_dict() for i in self.indicators]}

    def for_orjson(self) -> dict:
        """``to_dict()``'s document with the records left as dataclasses, which orjson writes
        field by field in C (``qdgraph.presentation.formats``, byte for byte the same JSON):
        ``to_dict`` copies each of 10k observations (7 ms). Not for json.dumps."""
        return {"statuses": {k: {"zh": zh, "en": en} for k, (zh, en) in STATUSES.items()},
                "indicators": self.indicators}


def progress(kg, indicator: str | None = None, *, pillar: str | None = None) -> ProgressReport:
    """Progress of one indicator (a name, alias, pinyin or IRI), of a pillar's indicators, or
    of every indicator."""
    from qdgraph.errors import UsageError
    from qdgraph.engine.units import Units

    if indicator is not None and pillar is not None:
        raise UsageError("give an indicator or a pillar, not both")
    params = {}
    if indicator is not None:
        params["indicator"] = ox.NamedNode(kg.resolve(indicator, types=["qd:Indicator"], what="indicator"))
    pillar_iri = kg.resolve(pillar, types=["qd:Pillar"], what="pillar") if pillar is not None else None
    rows = _named(kg, "progress-indicators", params)
    if pillar_iri is not None:
        rows = [r for r in rows if r.get("pillar") is not None and r["pillar"].value == pillar_iri]
    units = Units.load(kg)
    targets: dict[str, list] = {}
    for r in _named(kg, "indicator-targets", params):
        targets.setdefault(r["indicator"].value, []).append(r)
    target_iris = {r["target"].value for rows_ in targets.values() for r in rows_}
    observed = _observed(kg, params, [r["indicator"].value for r in rows])
    labels = _comparator_labels(kg)
    plans = _plan_periods(kg)
    periods: dict = {}

    out, seen = [], set()
    for r in sorted(rows, key=_order):
        iri = r["indicator"].value
        if iri in seen:  # an indicator with two labels in a language would repeat
            continue
        seen.add(iri)
        ip = IndicatorProgress(iri, _v(r.get("notation")), _v(r.get("zh")) or shorten(iri), _v(r.get("en")) or shorten(iri),
                               _v(r.get("pillar")), _v(r.get("pillar_zh")), _v(r.get("pillar_en")),
                               "lower" if _v(r.get("direction")) == _LOWER else "higher", None)
        ip.target = _pick_target(targets.get(iri, []), labels)
        if ip.target is not None:
            _unit_as_stated(ip.target, units)
            ip.plan = _plan_of(ip.target, plans)
        if ip.target is not None and ip.target.comparator == QD + "AtMost" and r.get("direction") is None:
            ip.direction = "lower"
        _observations(ip, observed.get(iri, []), target_iris, units, periods)
        if ip.plan is None and ip.latest is not None:  # no target: the plan the latest value falls in
            ip.plan = _plan_holding(int(ip.latest.period[:4]), plans)
        _assess(ip)
        ip.status_zh, ip.status_en = STATUSES[ip.status]
        ip.measures = _measures(kg, ip)
        out.append(ip)
    sources = _sources(kg, [ip.latest.obs for ip in out if ip.latest is not None])
    for ip in out:
        if ip.latest is not None:
            ip.sources = [dict(d) for d in sources.get(ip.latest.obs, [])]  # two may share a value
    return ProgressReport(out)


# ------------------------------------------------------------------ reading
def _named(kg, name: str, params: dict) -> list:
    """A named query with ``indicator`` bound or, when it is not given, for every indicator:
    the answers kept with a store for each (a few SQLite reads), else the query unbound (two
    such queries and their sorts were a tenth of `progress` at 10k observations). In any order
    of indicators (``progress`` orders them); each one's rows in the query's order."""
    if params:
        return kg.named(name, params).rows
    if kg.backend.local:
        from qdgraph.engine.queries import get_query

        q = get_query(name)
        rows: list = []
        instances = kg.backend.kept_params(q.name, q.text)  # without the database
        nodes = [ox.NamedNode(i) for i in instances] if instances is not None else \
            dict.fromkeys(t.subject for t in kg.quads(None, _TYPE, _INDICATOR))  # as the store kept them
        for node in nodes:
            kept = kg.backend.kept(q.name, q.text, {"indicator": node}) if isinstance(node, ox.NamedNode) else None
            if kept is None:  # not a store, one built before it kept these, or a blank node
                break
            rows += kept.rows
        else:
            return rows
    return kg.named(name).rows


def _observed(kg, params: dict, indicators: list[str]) -> dict[str, list]:
    """Indicator → its figures as (period, unit, observation, value) texts,
    with the observation and period terms when they may not be IRIs (else None), for
    ``indicators`` only (--pillar: the others' rows are passed over), in any order
    (``_observations`` orders them). On a store, each indicator's figures as kept with it when
    it was built: one text a figure (the named query indicator-figures; 10k figures read back
    in a tenth of the engine's time), taken apart as text (``_figures_from_tsv``), else its
    rows of indicator-observations as kept; else all of them read at once, unordered (an
    ORDER BY doubles the cost at 10k observations)."""
    from qdgraph.engine.queries import get_query

    out: dict[str, list] = dict.fromkeys(indicators)
    figures, observations = get_query("indicator-figures"), get_query("indicator-observations")
    tsv = getattr(kg.backend, "kept_tsv", None)
    for iri in out:
        try:
            node = {"indicator": ox.NamedNode(iri)}
        except ValueError:  # a blank node: nothing is kept for it
            break
        found = _figures_from_tsv(tsv(figures.name, figures.text, node["indicator"]), node["indicator"]) \
            if tsv is not None else None
        if found is not None:  # else the parser reads the kept answer
            out[iri] = found
            continue
        kept = kg.backend.kept(figures.name, figures.text, node)
        if kept is not None and all("figure" in r for r in kept.rows):
            out[iri] = [(*r["figure"].value.split(" ", 3), None) for r in kept.rows]
            continue
        kept = kg.backend.kept(observations.name, observations.text, node)
        if kept is None:  # not a store, or one built before it kept these
            break
        out[iri] = [_figure(r) for r in kept.rows]
    else:
        return out
    if params:
        rows = _named(kg, "indicator-observations", params)
    else:
        rows = kg.stream(_HERE.joinpath("progress-observations.rq").read_text(encoding="utf-8")).rows
    out = {iri: [] for iri in out}
    for r in rows:
        group = out.get(r["indicator"].value)
        if group is not None:
            group.append(_figure(r))
    return out


def _figures_from_tsv(blob: bytes | None, node: "ox.NamedNode"):
    """The figures of an indicator-figures answer kept for ``node`` (SPARQL TSV: a header, then
    ``<indicator>\\t"figure"`` a row), as ``_observed`` gives them, read as text: 10k of them in
    a quarter of the time the parser takes to make a term of each value and ``kept`` a dict of
    each row. None when the text is not what that query writes when every row has a figure (an
    escaped character, a row without one): the parser then reads it."""
    if not isinstance(blob, bytes) or b"\\" in blob:  # an escape: the parser decodes it
        return None
    text = blob.decode("utf-8")
    head, row = "?indicator\t?figure\n", f'{node}\t"'
    if text == head:
        return []
    if not text.startswith(head + row) or not text.endswith('"\n'):
        return None
    # no escape, so no quote or line break within a figure: the text between the rows' quotes
    # are the figures, one a row
    found = text[len(head) + len(row):-2].split('"\n' + row)
    # a figure holding a line break would count one line end more than the rows cut
    if len(found) != text.count("\n") - 1:  # a row of another shape
        return None
    return [(*f.split(" ", 3), None) for f in found]


def _figure(r) -> tuple:
    """A row of indicator-observations as ``_observed`` gives a figure."""
    obs, period = r["obs"], r["period"]
    return period.value, r["unit"].value, obs.value, r["value"].value, (obs, period)


def _sparql_key(term) -> tuple:
    """A term's place in SPARQL's ORDER BY: blank nodes, then IRIs, then literals (numbers by
    value, others by their text), so rows sorted in Python come in the order the query gave."""
    if term is None:
        return (0,)
    if isinstance(term, ox.BlankNode):
        return (1, term.value)
    if isinstance(term, ox.NamedNode):
        return (2, term.value)
    if term.datatype.value in _NUMERIC:
        try:
            return (3, 0, Decimal(term.value), term.value)
        except ArithmeticError:
            pass
    return (3, 1, term.value)


def _order(r):
    """By notation, numbers compared as numbers ("I2" before "I10"), then IRI."""
    n = _v(r.get("notation"))
    parts = [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", n)] if n else []
    return (n is None, parts, r["indicator"].value)


def _comparator_labels(kg) -> dict:
    rows = kg.named("comparators").rows
    return {r["c"].value: (_v(r.get("zh")) or "", _v(r.get("en")) or "", _v(r.get("sym")) or "") for r in rows}


def _plan_periods(kg) -> list[tuple[int, int]]:
    """(first, last) year of each plan document's period (五年规划 2022—2026 …)."""
    rows = kg.named("plan-periods").rows
    out = set()
    for r in rows:
        try:
            out.add((int(r["b"].value[:4]), int(r["e"].value[:4])))
        except ValueError:  # a date the data got wrong is no plan period to draw
            continue
    return sorted(out)


def _plan_of(t: Target, plans: list) -> tuple[int, int] | None:
    """The plan period ending in the target's year (the longest one), else one that holds it."""
    year = int(t.period[:4]) if t.period else None
    if year is None:
        return None
    fits = [p for p in plans if p[1] == year]
    return min(fits, key=lambda p: (p[0], -p[1])) if fits else _plan_holding(year, plans)


def _plan_holding(year: int, plans: list) -> tuple[int, int] | None:
    """The longest plan period that holds ``year``."""
    fits = [p for p in plans if p[0] <= year <= p[1]]
    return max(fits, key=lambda p: (p[1] - p[0], -p[0])) if fits else None


# a number and the words after it in a target's wording: 超过300万人 → ("300", "万人"); compiled
# by re when first used (a stated target), not at every import
_STATED = r"(\d[\d,]*(?:\.\d+)?)\s*([^\d\s，。、；（）()]{1,6})"


def _unit_as_stated(t: Target, units) -> None:
    """Give the target in the unit its wording uses: the source says 超过300万人, the data holds
    3000000 (unit:NUM); values and gap are then shown in 万人 like the target. Only when the
    stated number in that unit is the stored value (the units module converts)."""
    if t.value is None or not t.unit or not t.stated_as:
        return
    from qdgraph.engine.units import UnitError

    for number, words_ in re.findall(_STATED, t.stated_as):
        for n in range(len(words_), 0, -1):   # 万人以上 → 万人以上, 万人以, 万人, 万
            try:
                u = units.resolve(words_[:n])
            except UnitError:
                continue
            if u == t.unit or not units.convertible(u, t.unit):
                break
            value = Decimal(number.replace(",", ""))
            if units.convert(value, u, t.unit) == Decimal(str(t.value)):
                t.value, t.unit = float(value), u
                return
            break


# the lexical forms of xsd:decimal, xsd:integer and a finite xsd:double: what a figure may be
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")


def _pick_target(rows: list, labels: dict) -> Target | None:
    """The latest target (a plan may set one for 2024 and one for 2026: the last counts); a
    value that is no number is a target without one (its wording still shows)."""
    best = None
    for r in rows:
        p = period_of_iri(_v(r.get("period")) or "")
        cmp_ = _v(r.get("comparator"))
        zh, en, sym = labels.get(cmp_, ("", "", "")) if cmp_ else ("", "", "")
        value = _v(r.get("value"))
        t = Target(r["target"].value, p.key if p else None, p.t if p else None,
                   float(Decimal(value)) if value is not None and _NUMBER.match(value) else None, _v(r.get("unit")),
                   cmp_, zh, en, sym, _v(r.get("statedAs")), _v(r.get("qualitative")), _v(r.get("qualitative_en")))
        if best is None or (t.t or 0, t.value is not None) > (best.t or 0, best.value is not None):
            best = t
    return best


def _observations(ip: IndicatorProgress, rows, targets: set, units, periods: dict) -> None:
    """The observed values, oldest first, in the target's unit (else the most used one).
    ``rows``: figures as ``_observed`` gives them, in any order; those of
    ``targets`` are left out (the query gives targets too). ``periods`` caches period IRI →
    (t, key, zh label, en label) across indicators."""
    points, bad = [], []
    get = periods.get
    for iri, u, o, value, terms in rows:
        if o in targets:
            continue
        p = get(iri, False)
        if p is False:
            p = period_of_iri(iri)
            p = periods[iri] = (p.t, p.key, p.label("zh"), p.label("en")) if p else None
        if p is None:
            key = (_sparql_key(terms[0]), _sparql_key(terms[1])) if terms else ((2, o), (2, iri))  # IRIs
            bad.append((key, f"{shorten(o)}: period {shorten(iri)} is not a qdr:period-YYYY[-MM]"))
            continue
        points.append((p, o, value, u))
    ip.notes += [note for _, note in sorted(bad)]  # in the order the named query gives the rows
    points.sort()
    numeric = ip.target is not None and ip.target.value is not None
    if numeric:
        unit = ip.target.unit
    else:  # no target to follow: the unit most values are given in (the latest's on a tie)
        counts = Counter(p[3] for p in points)
        unit = max(reversed([p[3] for p in points]), key=counts.__getitem__, default=None)
    ip.unit = unit
    if unit is not None:
        ip.unit_zh, ip.unit_en = units.get(unit).label("zh"), units.get(unit).label("en")
    # unit → (multiplier to ``unit``, or None if it does not convert; whether it is 1; label)
    factors: dict[str, tuple] = {}
    # values after the target period say nothing about it
    until = ip.target.t + 1e-9 if numeric and ip.target.t is not None else float("inf")
    last, kept = None, ip.observations
    for (t, key, zh, en), obs, value, u in points:
        f = factors.get(u)
        if f is None:
            ok = unit is not None and units.convertible(u, unit)
            factor = units.convert(Decimal(1), u, unit) if ok else None
            f = factors[u] = (factor, factor == 1, units.get(u).label())
        factor, one, label = f
        if factor is None:
            ip.notes.append(f"{key}: {with_unit(value, label)} cannot be converted to {ip.unit_zh}; left out")
            continue
        if key == last or t > until:
            continue  # one value per period (Data Cube IC-12); a duplicate is the import's to report
        if not _NUMBER.match(value):  # "7 1"^^xsd:decimal loads (ill-typed literals are kept as written)
            ip.notes.append(f"{key}: “{value}” is not a number; left out")
            continue
        last = key
        number = float(value) if one else float(Decimal(value) * factor)  # exact either way
        kept.append(Point(key, zh, en, t, number, with_unit(value, label), u, obs))
    ip.latest = kept[-1] if kept else None


# ------------------------------------------------------------------ judging
def satisfies(value: float, target: float, comparator: str | None, direction: str) -> bool:
    """Whether ``value`` meets ``target`` under the comparator (达到 is read along the direction)."""
    eps = 1e-9 * max(1.0, abs(target))
    c = (comparator or "").removeprefix(QD)
    if c == "AtLeast":
        return value >= target - eps
    if c in ("MoreThan", "Exceeds"):
        return value > target + eps
    if c == "AtMost":
        return value <= target + eps
    if c == "Exactly":
        return abs(value - target) <= eps
    return value <= target + eps if direction == "lower" else value >= target - eps


def _assess(ip: IndicatorProgress) -> None:
    t, obs, latest = ip.target, ip.observations, ip.latest
    numeric = t is not None and t.value is not None
    if len(obs) > 1 and latest.t > obs[0].t:
        ip.average_per_year = (latest.value - obs[0].value) / (latest.t - obs[0].t)
    if numeric and latest is not None:
        ip.gap = t.value - latest.value
        if t.t is not None:
            ip.years_left = t.t - latest.t
            if ip.years_left > 0:
                ip.needed_per_year = ip.gap / ip.years_left
                if ip.average_per_year is not None:
                    ip.projected = latest.value + ip.average_per_year * ip.years_left
    ip.status, ip.reason_zh, ip.reason_en = _status(ip)


def _status(ip: IndicatorProgress) -> tuple[str, str, str]:
    t, latest = ip.target, ip.latest
    if t is None:
        return "no-target", "图谱中没有该指标的目标值", "the graph holds no target for this indicator"
    if t.value is None:
        q_zh, q_en = t.qualitative_zh or t.stated_as or "", t.qualitative_en or t.qualitative_zh or t.stated_as or ""
        return ("qualitative", f"目标为定性要求“{q_zh}”，没有数值，无法计算进度",
                f"the target is qualitative (“{q_en}”), with no number: progress cannot be computed")
    if latest is None:
        return "no-data", "尚无观测值（用 qdgraph observe import 导入）", "no observed value yet (add some with qdgraph observe import)"
    if satisfies(latest.value, t.value, t.comparator, ip.direction):
        return "met", f"{latest.label_zh}已达到目标", f"the target is already met ({latest.label_en})"
    if ip.years_left is not None and ip.years_left <= 0:
        return "behind", "目标时期已过，未达到目标", "the target period is over and the target was not met"
    if ip.average_per_year is None:
        return ("one-value", f"只有一个观测值（{latest.label_zh}），至少需要两个时期才能算出年均变化",
                f"only one observed value ({latest.label_en}): a yearly pace needs two periods")
    # carrying on at the average pace: does the projection meet the target? (等于 is read
    # along the gap: "exactly 2" is on track when the pace gets there in time)
    exact = (t.comparator or "").removeprefix(QD) == "Exactly"
    way = ("lower" if ip.gap < 0 else "higher") if exact else ip.direction
    if ip.projected is not None and satisfies(ip.projected, t.value, None if exact else t.comparator, way):
        return "on-track", "按目前的年均变化，可在目标时期前达到", "at the average yearly change so far, the target is reached in time"
    return "behind", "按目前的年均变化，到目标时期仍达不到", "at the average yearly change so far, the target is not reached in time"


def _sources(kg, observations: list[str]) -> dict[str, list[dict]]:
    """For each observation, the documents and sentences its value rests on; cited publications
    before import files. The answers kept with a store for each; those not kept in one query
    (the named query observation-sources with a VALUES block of the observations, IRIs written
    by pyoxigraph): its rows come ordered by ?obs, so each observation's are those the named
    query gives for it alone."""
    from qdgraph.engine.queries import get_query
    from qdgraph.engine.sparql import where_group_start

    iris = []
    for obs in dict.fromkeys(observations):
        try:
            iris.append(ox.NamedNode(obs).value)
        except ValueError:  # a blank node cannot be named in a query: no source to show
            continue
    if not iris:
        return {}
    q = get_query("observation-sources")
    rows: dict[str, list] = {}
    asked = []
    for obs in iris:  # kept with a store for each observation: a few SQLite reads, no database
        kept = kg.backend.kept(q.name, q.text, {"obs": ox.NamedNode(obs)})
        if kept is None:
            asked.append(obs)
        elif kept.rows:
            rows[obs] = kept.rows
    if asked:
        at = where_group_start(q.text)
        # query_iris: the guard reads the text once, not again for IRIs that spell SERVICE
        for r in kg.query_iris(f"{q.text[:at]} VALUES ?obs {{ @obs@ }} {q.text[at:]}", obs=asked).rows:
            rows.setdefault(r["obs"].value, []).append(r)
    return {obs: _documents(found) for obs, found in rows.items()}


def _documents(rows: list) -> list[dict]:
    found: dict[str, dict] = {}
    for r in rows:
        doc = r["doc"].value
        s = found.setdefault(doc, {"document": doc, "title": _v(r.get("title")), "url": _v(r.get("url")),
                                   "file": _v(r.get("file")), "exact": None, "import": _v(r.get("format")) == "text/csv"})
        if r.get("exact") is not None and not s["import"]:
            s["exact"] = r["exact"].value
    # the import file that brought a value in is no second source beside the publication it
    # cites (else every imported value lists its source twice); it is the source when none is cited
    cited = [s for s in found.values() if not s["import"]]
    ordered = sorted(cited or found.values(), key=lambda s: s["document"])
    for s in ordered:
        del s["import"]
    return ordered


def _measures(kg, ip: IndicatorProgress) -> list[dict]:
    """The measures that bear on the indicator, in the order and with the basis
    ``measures_for(...).links`` gives them, worked out from the links alone (the named query
    indicator-measure-links, kept with a store): progress shows a name and a basis, not the
    quotes, premises and readings measures_for reads for each link (at 10 M triples, 4 MB of
    them an indicator, 13 s for 24 indicators). tests/test_progress.py holds both to the same
    list on every indicator."""
    from qdgraph.domain.linkrank import PART_RULES, group_of, link_strength, measure_offsets, rank_key
    from qdgraph.engine.queries import get_query

    try:
        node = {"indicator": ox.NamedNode(ip.indicator)}
    except ValueError:  # a blank node: no query can name it, no link can be looked up
        return []
    q, target = get_query("indicator-measure-links"), get_query("indicator-target")
    kept = kg.backend.kept(q.name, q.text, node)
    if kept is None and kg.backend.kept(target.name, target.text, node) is not None:
        # a store built before this query was kept: the lookup's own answers are (asking the
        # store took 38 s at 10 M triples, reading those 12 s)
        from qdgraph.domain.indicatorhead import IndicatorHead
        from qdgraph.domain.measures import measures_for

        head = IndicatorHead(ip.indicator, ip.zh, ip.en, ip.pillar, ip.pillar_zh, ip.pillar_en, {})
        return [{"measure": l.measure, "zh": l.zh, "en": l.en, "basis": l.basis, "stated": l.stated}
                for l in measures_for(kg, ip.indicator, head=head).links]
    seen: set[str] = set()
    by_measure: dict[tuple, list] = {}  # (measure, relation) -> [(strength, part, claim, basis)]
    for r in (kept if kept is not None else kg.named(q.name, node)).rows:
        c = r["claim"].value
        if c in seen:  # a link's first row holds what measures-for-indicator's first row for it holds
            continue
        seen.add(c)
        by_measure.setdefault((r["measure"].value, r["rel"].value), []).append(
            (link_strength(r), _v(r.get("rule")) in PART_RULES, c, r["basis"].value))
    if not by_measure:
        return []
    offsets = measure_offsets(kg, node)
    toward = []
    for (m, rel), links in by_measure.items():
        if rel == _AGAINST:
            continue
        strength, part, _, basis = min(links)  # the strongest link, as measures_for ranks them
        basis = shorten(basis)
        toward.append((rank_key(group_of(strength), basis, part, offsets.get(m, 1 << 30), m), m, basis))
    toward.sort(key=lambda t: t[0])  # stable: ties keep the links' order, as in measures_for
    names = kg.names()
    names.prefetch({m for _, m, _ in toward})
    return [{"measure": m, "zh": names.label(m, "zh"), "en": names.label(m, "en"), "basis": b, "stated": b == "qd:Stated"}
            for _, m, b in toward]


def _v(term):
    return term.value if term is not None else None

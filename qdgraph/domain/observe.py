"""``qdgraph observe import``: observed values of the indicators (CSV) into a store, all or nothing.

Each row — indicator, period, value, unit, source title, source URL or file, the sentence
quoted — becomes a Data Cube observation in ``qdr:dataset-observed`` of the structure
``qd:IndicatorStructure`` (``ontology/qdgraph.ttl``; shapes in ``ontology/observations-shapes.ttl``):
``qd:indicator``, ``sdmx-dimension:refArea qdr:place-qingdao``, ``sdmx-dimension:refPeriod``
(``qdgraph.engine.periods``), ``sdmx-measure:obsValue``, ``sdmx-attribute:unitMeasure`` (a unit the
graph knows, ``qdgraph.engine.units``), ``qd:valueKind qd:ObservedValue``, ``qd:comparator qd:Exactly``
(the value as reported). Its provenance is the row
(a ``qd:Quote`` of the imported file, as ``qdgraph import`` records rows) and the publication
it cites (a ``qd:Publication`` with its title and URL or file, and the ``qd:PublicationQuote``
sentence when the row gives one).

The guarantees are those of ``qdgraph import`` (``qdgraph.domain.importer``, whose reading and writing
this reuses): UTF-8 with or without BOM, GBK/GB18030 or UTF-16; every bad row reported as
``FILE:LINE``; SHACL over the new triples before anything is written; a new store generation
swapped in atomically. One observation per indicator and period: a second row (or a value
already in the store) with the same value adds its source to it; a different value — after
unit conversion, so 300万人 and 3000000人 agree — is a conflict, reported, never silently kept.
"""
from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Callable

import pyoxigraph as ox

from qdgraph.domain.importer import (CsvError, Problems, new_quads, open_csv, raise_first_violation, read_table,
                                     resolve_once, row_quote, source_document)
from qdgraph.namespaces import PREFIXES, QD, QDR
from qdgraph.engine.periods import parse_period, period_of_iri, period_triples

N = ox.NamedNode
RDF, PROV, DCT, OA, SCHEMA, XSD, TIME = (PREFIXES[p] for p in ("rdf", "prov", "dcterms", "oa", "schema", "xsd", "time"))
QB, DIM, MEAS, ATTR = (PREFIXES[p] for p in ("qb", "sdmx-dimension", "sdmx-measure", "sdmx-attribute"))
A, DERIVED = N(RDF + "type"), N(PROV + "wasDerivedFrom")
DATASET, AREA = N(QDR + "dataset-observed"), N(QDR + "place-qingdao")

COLUMNS = {
    "indicator": ["indicator", "指标", "指标名称"],
    "period": ["period", "时期", "年份", "时间", "year", "报告期", "统计时期"],
    "value": ["value", "数值", "值", "观测值", "数据"],
    "unit": ["unit", "单位", "计量单位"],
    "source": ["source", "来源", "出处", "来源标题", "source title", "数据来源"],
    "url": ["url", "网址", "链接", "文件", "source url", "file", "来源网址", "来源文件"],
    "quote": ["quote", "原文", "原句", "引文", "sentence"],
}
REQUIRED = ("indicator", "period", "value", "unit", "source")
_NUMBER = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?")

Progress = Callable[[int, int], None]  # (rows done, rows in all)


@dataclass
class ObserveResult:
    file: str
    encoding: str
    rows: int
    added: int = 0                  # triples
    new_observations: int = 0
    confirmed: int = 0              # rows whose value was already there (their source is added)
    warnings: list = field(default_factory=list)


@dataclass
class _Known:
    """An observation already in the store or earlier in the file, for one indicator and period."""
    iri: str
    value: Decimal
    unit: str
    where: str                      # "line 4" or "the store"


def import_observations(csv_path: str | Path, store_dir: str | Path, *, dry_run: bool = False,
                        progress: Progress | None = None) -> ObserveResult:
    from qdgraph.storage import generations
    from qdgraph.storage import build as storage
    from qdgraph.engine.backend import StoreBackend
    from qdgraph.engine.graph import KnowledgeGraph

    path, store_dir, data, text, encoding = open_csv(csv_path, store_dir)
    problems, warnings = Problems(path), []
    records = list(read_table(path, text, COLUMNS, REQUIRED, problems, warnings))
    if not records and not problems.items:
        raise CsvError(f"{path}: no rows under the header")

    with generations.write_lock(store_dir) if not dry_run else contextlib.nullcontext():
        backend = StoreBackend(store_dir)
        kg = KnowledgeGraph(backend)
        res = ObserveResult(str(path), encoding, len(records), warnings=warnings)
        quads, line_of = _plan(kg, path, data, records, problems, res, progress)
        problems.raise_if_any()
        new = new_quads(backend, quads)
        res.added = len(new)
        if not new:
            return res
        _shacl_check(kg, new, path, line_of)
        if dry_run:
            return res
        periods = {q[0].value for q in new if q[0].value.startswith(QDR + "period-")}
        storage.add_quads(store_dir, backend, new, periods, {
            "kind": "observations", "path": str(path.resolve()), "name": path.name,
            "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "encoding": encoding,
            "rows": res.rows, "triples_added": res.added, "new_observations": res.new_observations,
            "time": generations.now()})
    return res


def _plan(kg, path: Path, data: bytes, records: list, problems: Problems, res: ObserveResult,
          progress: Progress | None) -> tuple[list, dict]:
    """Every quad the rows give (the caller drops those already stored) and, for SHACL
    messages, the line each new subject comes from."""
    from qdgraph.engine.units import UnitError, Units

    units = Units.load(kg)
    target_unit = {r["indicator"].value: r["unit"].value for r in kg.named("indicator-targets-units").rows}
    known = _stored(kg)
    doc, sha, quads = source_document(path, data)
    line_of: dict[str, int] = {}
    described: set[str] = set()
    resolved: dict[str, str | Exception] = {}
    unit_cache: dict[str, str | Exception] = {}
    for n, (line, raw, get) in enumerate(records, 1):
        if progress is not None:
            progress(n, len(records))
        name = get("indicator")
        if not name:
            problems.add(line, "no indicator (column indicator / 指标)")
            continue
        ind = resolve_once(kg, resolved, name, "qd:Indicator", "indicator")
        if isinstance(ind, Exception):
            problems.add(line, str(ind))
            continue
        try:
            period = parse_period(get("period"))
        except ValueError as err:
            problems.add(line, f"period {err}" if get("period") else "no period (column period / 时期)")
            continue
        value = _number(get("value"))
        if value is None:
            problems.add(line, f"value {_short(get('value'))} is not a number (write 29.5 or 1,234)")
            continue
        if (why := _out_of_range(value)) is not None:
            problems.add(line, f"value {_short(get('value'))} {why}")
            continue
        unit_text = get("unit")
        if unit_text not in unit_cache:
            try:
                unit_cache[unit_text] = units.resolve(unit_text) if unit_text else UnitError("no unit (column unit / 单位)")
            except UnitError as err:
                unit_cache[unit_text] = err
        unit = unit_cache[unit_text]
        if isinstance(unit, Exception):
            problems.add(line, str(unit))
            continue
        want = target_unit.get(ind)
        if want is not None and not units.convertible(unit, want):
            problems.add(line, f"unit {unit_text!r} of {kg.label(ind)} cannot be converted to its target's unit "
                               f"{units.get(want).label()!r}")
            continue
        title, where, sentence = get("source", verbatim=True), get("url"), get("quote", verbatim=True)
        if not title:
            problems.add(line, "no source title (column source / 来源): every value needs its source")
            continue

        key = (ind, period.key)
        old = known.get(key)
        if old is not None and not _same(units, old, value, unit):
            problems.add(line, f"{kg.label(ind)} {period.label()}: {_text(value, unit, units)} conflicts with "
                               f"{_text(old.value, old.unit, units)} from {old.where}")
            continue
        if old is None:
            obs = N(QDR + "obs-" + _slug(ind) + "-" + period.key)
            known[key] = _Known(obs.value, value, unit, f"line {line}")
            res.new_observations += 1
            quads += _observation(obs, ind, period, value, unit)
            if period.key not in described:  # a period is one node, described once
                described.add(period.key)
                if next(iter(kg.backend.quads(N(period.iri), A, N(TIME + "ProperInterval"))), None) is None:
                    quads += period_triples(period)
            line_of.setdefault(obs.value, line)
        else:
            obs = N(old.iri)
            res.confirmed += 1
            line_of.setdefault(obs.value, line)
        quote, row_quads = row_quote(doc, sha, line, raw)
        quads += row_quads + [(obs, DERIVED, quote)]
        quads += _cited(obs, title, where, sentence, line_of, line)
    return quads, line_of


def _stored(kg) -> dict:
    """(indicator, period key) → the observed value the store already has."""
    out = {}
    targets = {r["target"].value for r in kg.named("indicator-targets").rows}
    for r in kg.named("indicator-observations-all").rows:
        if r["obs"].value in targets:
            continue
        p = period_of_iri(r["period"].value)
        if p is not None:
            out[(r["indicator"].value, p.key)] = _Known(r["obs"].value, Decimal(r["value"].value), r["unit"].value,
                                                        "the store")
    return out


def _same(units, old: _Known, value: Decimal, unit: str) -> bool:
    """Equal once both are in one unit; values in units that do not convert are not the same."""
    if not units.convertible(old.unit, unit):
        return False
    return units.convert(value, unit, old.unit) == old.value


def _text(value: Decimal, unit: str, units) -> str:
    from qdgraph.engine.units import with_unit

    return with_unit(f"{value.normalize():f}", units.get(unit).label())


def _number(text: str) -> Decimal | None:
    t = text.replace(" ", "")
    if not _NUMBER.fullmatch(t):
        return None
    try:
        return Decimal(t.replace(",", ""))
    except InvalidOperation:
        return None


# Observed values are read back as floats (progress, charts, JSON): a float keeps 15 significant
# digits exactly, and a 5,000-digit value became inf, then NaN in `progress` and `Infinity` in JSON.
MAX_DIGITS = 15          # significant digits
MAX_MAGNITUDE = 15       # the value is below 10^15 (a city's GDP in yuan is ~10^12)
MIN_EXPONENT = -9        # at most 9 digits after the point


def _out_of_range(value: Decimal) -> str | None:
    """Why ``value`` cannot be kept exactly as a float, or None when it can."""
    if not value:
        return None
    t = value.as_tuple()  # not normalize(): it rounds to the context's 28 digits
    zeros = len(t.digits) - len("".join(map(str, t.digits)).rstrip("0"))
    digits, exponent = len(t.digits) - zeros, t.exponent + zeros
    if value.adjusted() >= MAX_MAGNITUDE:
        return f"is too large ({value.adjusted() + 1:,} digits before the point; below 10^{MAX_MAGNITUDE} is kept)"
    if exponent < MIN_EXPONENT:
        return f"has {-exponent:,} digits after the point (at most {-MIN_EXPONENT})"
    if digits > MAX_DIGITS:
        return f"has {digits:,} significant digits (at most {MAX_DIGITS}, what a float keeps exactly)"
    return None


def _short(text: str, keep: int = 24) -> str:
    """``text`` quoted, cut in the middle when long (a 5,000-digit value is not repeated whole)."""
    if len(text) <= keep:
        return repr(text)
    return repr(text[:keep // 2] + "…" + text[-keep // 2:]) + f" ({len(text):,} characters)"


def _slug(iri: str) -> str:
    if iri.startswith(QDR) and re.fullmatch(r"[A-Za-z0-9._-]+", iri[len(QDR):]):
        return iri[len(QDR):].removeprefix("indicator-")
    return hashlib.sha1(iri.encode()).hexdigest()[:12]


def _decimal(value: Decimal) -> "ox.Literal":
    text = f"{value.normalize():f}"
    return ox.Literal(text if "." in text else text + ".0", datatype=N(XSD + "decimal"))


def _observation(obs, ind: str, period, value: Decimal, unit: str) -> list:
    return [(obs, A, N(QB + "Observation")), (obs, N(QB + "dataSet"), DATASET), (obs, N(QD + "indicator"), N(ind)),
            (obs, N(DIM + "refArea"), AREA), (obs, N(DIM + "refPeriod"), N(period.iri)),
            (obs, N(MEAS + "obsValue"), _decimal(value)), (obs, N(ATTR + "unitMeasure"), N(unit)),
            (obs, N(QD + "valueKind"), N(QD + "ObservedValue")), (obs, N(QD + "comparator"), N(QD + "Exactly")),
            (DATASET, A, N(QB + "DataSet")), (DATASET, N(QB + "structure"), N(QD + "IndicatorStructure"))]


def _cited(obs, title: str, where: str, sentence: str, line_of: dict, line: int) -> list:
    """The publication the row cites and, if given, the sentence quoted from it."""
    h = hashlib.sha1(f"{title}\n{where}".encode()).hexdigest()[:16]
    doc = N(f"{QDR}cited-{h}")
    out = [(doc, A, N(QD + "Publication")), (doc, N(DCT + "title"), ox.Literal(title))]
    if where:
        is_url = re.match(r"https?://", where)
        out.append((doc, N(SCHEMA + "url") if is_url else N(DCT + "identifier"), ox.Literal(where)))
    line_of.setdefault(doc.value, line)
    if not sentence:
        return out + [(obs, DERIVED, doc)]
    quote = N(f"{QDR}cited-{h}-{hashlib.sha1(sentence.encode()).hexdigest()[:12]}")
    line_of.setdefault(quote.value, line)
    selector = N(quote.value + "-text")  # Web Annotation: the sentence is a selector on the publication
    return out + [(quote, A, N(QD + "PublicationQuote")), (quote, N(OA + "hasSource"), doc),
                  (quote, N(OA + "hasSelector"), selector), (selector, A, N(OA + "TextQuoteSelector")),
                  (selector, N(OA + "exact"), ox.Literal(sentence)), (obs, DERIVED, quote)]


def _shacl_check(kg, new: list, path: Path, line_of: dict) -> None:
    """SHACL over the new triples, the ontology and what they point at in the store (the
    indicators' types, an observation's other facts); a violation is reported at its row."""
    from qdgraph import paths
    from qdgraph.storage.rdfio import parse_file

    mini = ox.Store()
    mini.extend(ox.Quad(*q) for q in new)
    for f in paths.ontology_files():
        mini.extend(parse_file(f))
    held = kg.backend
    for node in {q[0] for q in new} | {q[2] for q in new if isinstance(q[2], ox.NamedNode)}:
        mini.extend(held.quads(node))
    for node in {q.object for q in mini if isinstance(q.object, ox.NamedNode)}:  # types, for sh:class
        mini.extend(held.quads(node, A))
    raise_first_violation(mini, new, path, line_of)

"""Test data for progress and observe import: indicators, targets and observed values in the
Data Cube model (DATACUBE contract). Every number here is MADE UP for the tests; the labels
start with 样例 so they never collide with the bundled indicators' names.

One indicator per status:
- 样例制造业占比  AtLeast 30 % by 2026; 27 → 29 (2021–2023): +1/yr vs 0.33 needed → on track
- 样例人才总量    MoreThan 300 万人 by 2026; 240 万人 (2021), 2 600 000 人 (2023) → behind
- 样例创新中心    Reach 2 家 by 2026; 2 家 in 2023 → met
- 样例能耗降幅    完成省下达任务 → qualitative
- 样例金融业占比  Reach 7 % by 2026; nothing observed → no data
- 样例地区生产总值 no target; values in 亿元 → no target
- 样例百强排名    AtMost 10 by 2026, lower is better; 20 (2021) → 14 (2023) → on track
"""
from __future__ import annotations

from pathlib import Path

from conftest import turtle_prefixes

NS = "https://w3id.org/qdgraph/id/"
PILLAR = NS + "pt-pillar"
IND = {k: NS + f"pt-indicator-{k}" for k in ("manufacturing", "talent", "centres", "energy", "finance", "gdp", "rank")}

PREFIXES = turtle_prefixes()


def _period(key: str) -> str:
    from qdgraph.engine.periods import parse_period, period_triples

    import pyoxigraph as ox

    return ox.serialize((ox.Triple(*t) for t in period_triples(parse_period(key))), format=ox.RdfFormat.N_TRIPLES).decode()


def _lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _indicator(key: str, notation: int, zh: str, en: str, extra: str = "") -> str:
    return f"""qdr:pt-indicator-{key} a qd:Indicator ; skos:notation "{notation}" ;
    rdfs:label {_lit(zh)}@zh , {_lit(en)}@en ; qd:measuredUnder qdr:pt-pillar ; qd:evidence qdr:pt-q1 {extra}.
[] a qd:Claim ; rdf:subject qdr:pt-indicator-{key} ; rdf:predicate qd:measuredUnder ; rdf:object qdr:pt-pillar ;
   qd:basis qd:Stated ; prov:wasDerivedFrom qdr:pt-q1 .
"""


def _target(key: str, value, unit: str, cmp_: str, stated: str) -> str:
    return f"""qdr:pt-target-{key} a qb:Observation , qd:Target ; qb:dataSet qdr:dataset-targets ;
    rdfs:label "样例目标 {key}"@zh , "sample target {key}"@en ;
    qd:indicator qdr:pt-indicator-{key} ; sdmx-dimension:refArea qdr:place-qingdao ;
    sdmx-dimension:refPeriod qdr:period-2026 ; sdmx-measure:obsValue "{value}"^^xsd:decimal ;
    sdmx-attribute:unitMeasure {unit} ; qd:comparator {cmp_} ; qd:valueKind qd:TargetValue ;
    qd:statedAs "{stated}"@zh ; prov:wasDerivedFrom qdr:pt-q1 .
"""


def _observed(key: str, period: str, value, unit: str) -> str:
    return f"""qdr:pt-obs-{key}-{period} a qb:Observation ; qb:dataSet qdr:dataset-observed ;
    qd:indicator qdr:pt-indicator-{key} ; sdmx-dimension:refArea qdr:place-qingdao ;
    sdmx-dimension:refPeriod qdr:period-{period} ; sdmx-measure:obsValue "{value}"^^xsd:decimal ;
    sdmx-attribute:unitMeasure {unit} ; qd:valueKind qd:ObservedValue ; qd:comparator qd:Exactly ;
    prov:wasDerivedFrom qdr:pt-q2 .
"""


def fixture_turtle(hostile: str | None = None) -> str:
    """The fixture graph; ``hostile`` replaces one indicator's Chinese label (markup tests)."""
    parts = [PREFIXES, """
qdr:pt-doc a qd:SourceDocument ; dcterms:title "样例来源"@zh ; qd:textFile "pt.txt" .
qdr:pt-q1 a qd:Quote ; oa:hasSource qdr:pt-doc ;
    oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "样例：到2026年的目标。" ] .
qdr:pt-bulletin a qd:Publication ; dcterms:title "样例统计公报"@zh ; <https://schema.org/url> "https://example.org/bulletin" .
""" + ("" if hostile is None else f"""qdr:pt-bulletin2 a qd:Publication ; dcterms:title {_lit(hostile)} ;
    <https://schema.org/url> "javascript:window.__pwned=3" .
qdr:pt-obs-rank-2023 prov:wasDerivedFrom qdr:pt-bulletin2 .
""") + """
qdr:pt-q2 a qd:PublicationQuote ; oa:hasSource qdr:pt-bulletin ;
    oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "样例：全年数据如下。" ] .
qdr:dataset-targets a qb:DataSet ; qb:structure qd:IndicatorStructure .
qdr:dataset-observed a qb:DataSet ; qb:structure qd:IndicatorStructure .
qdr:place-qingdao rdfs:label "青岛"@zh , "Qingdao"@en .
qdr:pt-pillar a qd:Pillar ; skos:notation "9" ; rdfs:label "样例进度任务"@zh , "sample progress pillar"@en ;
    qd:evidence qdr:pt-q1 .
qdr:pt-measure a qd:Measure ; rdfs:label "样例培育先进制造业"@zh , "sample grow advanced manufacturing"@en ;
    qd:affects qdr:pt-indicator-manufacturing ; qd:evidence qdr:pt-q1 .
qdr:pt-claim a qd:Claim ; rdf:subject qdr:pt-measure ; rdf:predicate qd:affects ; rdf:object qdr:pt-indicator-manufacturing ;
   qd:basis qd:Stated ; prov:wasDerivedFrom qdr:pt-q1 .
""",
             _indicator("manufacturing", 101, hostile or "样例制造业占比", "sample manufacturing share"),
             _indicator("talent", 102, "样例人才总量", "sample talent pool"),
             _indicator("centres", 103, "样例创新中心", "sample innovation centres"),
             _indicator("energy", 104, "样例能耗降幅", "sample energy intensity reduction"),
             _indicator("finance", 105, "样例金融业占比", "sample finance share"),
             _indicator("gdp", 106, "样例地区生产总值", "sample regional GDP"),
             _indicator("rank", 107, "样例百强排名", "sample top-100 rank", "; qd:direction qd:LowerIsBetter "),
             _target("manufacturing", 30, "unit:PERCENT", "qd:AtLeast", "30%以上"),
             _target("talent", 300, "qd:TenThousandPersons", "qd:MoreThan", "超过300万人"),
             _target("centres", 2, "qd:Enterprises", "qd:Reach", "2家"),
             _target("finance", 7, "unit:PERCENT", "qd:Reach", "7%"),
             _target("rank", 10, "unit:NUM", "qd:AtMost", "前10位"),
             """qdr:pt-target-energy a qd:Target ; rdfs:label "样例能耗目标"@zh , "sample energy target"@en ;
    qd:indicator qdr:pt-indicator-energy ; sdmx-dimension:refArea qdr:place-qingdao ;
    sdmx-dimension:refPeriod qdr:period-2026 ; qd:valueKind qd:TargetValue ;
    qd:qualitativeTarget "完成省下达任务"@zh , "complete the task set by the province"@en ; prov:wasDerivedFrom qdr:pt-q1 .
""",
             _observed("manufacturing", "2021", 27, "unit:PERCENT"),
             _observed("manufacturing", "2022", 28, "unit:PERCENT"),
             _observed("manufacturing", "2023", 29, "unit:PERCENT"),
             _observed("talent", "2021", 240, "qd:TenThousandPersons"),
             _observed("talent", "2023", 2600000, "qd:Persons"),
             _observed("centres", "2023", 2, "qd:Enterprises"),
             _observed("gdp", "2022", 14920.75, "qd:HundredMillionYuan"),
             _observed("gdp", "2023", 15760.34, "qd:HundredMillionYuan"),
             _observed("rank", "2021", 20, "unit:NUM"),
             _observed("rank", "2023", 14, "unit:NUM")]
    parts += [_period(k) for k in ("2022", "2023", "2026")]
    # a period described another way (blank-node instants, one plain label), as other data may
    parts.append("""qdr:period-2021 a time:ProperInterval ; rdfs:label "2021" ;
    time:hasBeginning [ a time:Instant ; time:inXSDDate "2021-01-01"^^xsd:date ] ;
    time:hasEnd [ a time:Instant ; time:inXSDDate "2021-12-31"^^xsd:date ] .
""")
    return "\n".join(parts)


def write_fixture(folder: Path, hostile: str | None = None) -> Path:
    path = folder / "progress-fixture.ttl"
    path.write_text(fixture_turtle(hostile), encoding="utf-8")
    return path


def fixture_store(root: Path) -> Path:
    """``qdgraph load`` of the bundled graph and the fixture into ``root / "store"``."""
    from conftest import invoke

    res = invoke("load", write_fixture(root), "--store", root / "store")
    assert res.code == 0, res
    return root / "store"

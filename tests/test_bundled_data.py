"""The graph holds the source's facts, each with provenance, and checks keep it true.

Expected values below are read off the source article (data/sources/000_e4ce7d2251e78f88.txt);
the tests prove the graph says what the source says."""
from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal

import pyoxigraph as ox
import pytest

from conftest import ROOT, assert_one_line_error

SOURCE = ROOT / "data" / "sources" / "000_e4ce7d2251e78f88.txt"
TTL_FILES = sorted(p for p in ROOT.rglob("*.ttl") if ".git" not in p.parts and "_bundle" not in p.parts)


def rows(kg, q, **params):
    return kg.query(q, params).rows


def test_four_pillars_in_source_order(kg):
    r = rows(kg, """SELECT ?task ?n WHERE { ?p a qd:Pillar ; qd:task ?task ; skos:notation ?n
                    FILTER (lang(?task) = "zh") } ORDER BY xsd:integer(?n)""")
    assert [x["task"].value for x in r] == ["打造产业培育高地", "打造数字赋能典范", "打造协同发展标杆", "打造绿色低碳先锋"]


# The source: "用地区生产总值、…等5项指标着重反映" and so on, pillar by pillar.
INDICATORS = {
    "打造产业培育高地": {"地区生产总值", "全国先进制造业百强城市排名", "制造业增加值占比",
                       "生产性服务业占服务业增加值比重", "“四新”经济增加值占比"},
    "打造数字赋能典范": {"数字经济核心产业增加值占比", "工业互联网平台普及率"},
    "打造协同发展标杆": {"国家制造业创新中心数量", "境内外上市公司数量", "金融业增加值占比", "全市人才总量"},
    "打造绿色低碳先锋": {"单位生产总值能耗降幅"},
}


def test_twelve_indicators_each_under_its_pillar(kg):
    r = rows(kg, """SELECT ?i ?label ?task WHERE {
        ?i a qd:Indicator ; rdfs:label ?label FILTER (lang(?label) = "zh")
        OPTIONAL { ?i qd:measuredUnder ?p . ?p qd:task ?task FILTER (lang(?task) = "zh") } }""")
    assert len({x["i"].value for x in r}) == 12
    got: dict[str, set] = {}
    for x in r:
        assert "task" in x, f"{x['label'].value} has no pillar"
        got.setdefault(x["task"].value, set()).add(x["label"].value)
    assert got == INDICATORS
    per = rows(kg, "SELECT ?i (COUNT(?p) AS ?n) WHERE { ?i a qd:Indicator ; qd:measuredUnder ?p } GROUP BY ?i")
    assert all(int(x["n"].value) == 1 for x in per)


UNIT = "http://qudt.org/vocab/unit/"
QD = "https://w3id.org/qdgraph/ontology#"
# indicator label → (value, unit, comparator, year), as the source states each target
NUMERIC_TARGETS = {
    "制造业增加值占比": (Decimal(30), UNIT + "PERCENT", QD + "AtLeast", "2026"),          # 提高到30%以上
    "生产性服务业占服务业增加值比重": (Decimal(62), UNIT + "PERCENT", QD + "Reach", "2026"),  # 达到62%
    "数字经济核心产业增加值占比": (Decimal(12), UNIT + "PERCENT", QD + "Reach", "2026"),    # 达到12%
    "工业互联网平台普及率": (Decimal(50), UNIT + "PERCENT", QD + "Reach", "2026"),          # 达到50%
    "国家制造业创新中心数量": (Decimal(2), UNIT + "NUM", QD + "Reach", "2026"),             # 达到2家
    "金融业增加值占比": (Decimal(7), UNIT + "PERCENT", QD + "Reach", "2026"),               # 达到7%
    "全市人才总量": (Decimal(3000000), UNIT + "NUM", QD + "Exceeds", "2026"),               # 超过300万人
}

TARGETS_Q = """SELECT ?label ?value ?unit ?cmp ?year ?qual WHERE {
    ?t qd:targetOf ?i . ?i rdfs:label ?label FILTER (lang(?label) = "zh")
    OPTIONAL { ?t qd:targetValue ?value } OPTIONAL { ?t qudt:unit ?unit } OPTIONAL { ?t qd:comparator ?cmp }
    OPTIONAL { ?t qd:targetYear ?year } OPTIONAL { ?t qd:qualitativeTarget ?qual FILTER (lang(?qual) = "zh") } }"""


@pytest.mark.parametrize("indicator", sorted(NUMERIC_TARGETS))
def test_numeric_target_as_the_source_states_it(kg, indicator):
    found = [x for x in rows(kg, TARGETS_Q) if x["label"].value == indicator]
    assert len(found) == 1, f"{indicator}: {len(found)} targets"
    t = found[0]
    value, unit, cmp, year = NUMERIC_TARGETS[indicator]
    assert Decimal(t["value"].value) == value
    assert t["unit"].value == unit
    assert t["cmp"].value == cmp
    assert t["year"].value == year
    assert t["year"].datatype.value.endswith("#gYear")


def test_qualitative_and_recurring_targets(kg):
    qual = [x for x in rows(kg, TARGETS_Q) if x["label"].value == "单位生产总值能耗降幅"]
    assert [x["qual"].value for x in qual] == ["完成省下达任务"]
    assert qual[0]["year"].value == "2026"
    rec = rows(kg, """SELECT ?value ?cmp ?subject ?task ?years WHERE {
        ?t a qd:Target ; qd:recurrence/time:years ?years ; qd:targetValue ?value ; qd:comparator ?cmp ;
           qd:subject ?subject ; qd:underPillar/qd:task ?task FILTER (lang(?subject) = "zh" && lang(?task) = "zh") }""")
    assert len(rec) == 1  # 每年节能诊断工业企业30家以上
    r = rec[0]
    assert (Decimal(r["value"].value), r["cmp"].value, r["subject"].value, r["task"].value, int(r["years"].value)) == (
        Decimal(30), QD + "AtLeast", "节能诊断工业企业", "打造绿色低碳先锋", 1)


def test_baselines(kg):
    obs = rows(kg, "SELECT ?value ?unit WHERE { ?o a qd:Observation ; qd:value ?value ; qudt:unit ?unit }")
    got = {(Decimal(o["value"].value), o["unit"].value.rsplit("/", 1)[-1]) for o in obs}
    # 增长了6倍; 110余家; 超过50亿元; 数字化率达到57.5%
    assert {(Decimal(110), "NUM"), (Decimal(5000000000), "CNY"), (Decimal("57.5"), "PERCENT")} <= got
    assert any(v == Decimal(6) for v, _ in got)


TIERS = {  # "提升智能家电和轨道交通装备产业集群能级，打造世界级先进制造业集群；壮大新能源汽车、…"
    "世界级先进制造业集群": {"智能家电", "轨道交通装备"},
    "国内一流产业集群": {"新能源汽车", "高端化工", "虚拟现实"},
    "有影响力的新兴产业集群": {"集成电路", "新型显示", "生物医药及医疗器械"},
}


def test_chains_tiers_as_the_source_states(kg):
    r = rows(kg, """SELECT ?c ?tier WHERE { ?c qd:clusterTier ?t .
        ?t rdfs:label ?tier FILTER (lang(?tier) = "zh") }""")
    got: dict[str, set] = {}
    for x in r:
        got.setdefault(x["tier"].value, set()).add(x["c"].value)
    # the source's names may be a chain's label or its alias (智能家电 is 家电's full name)
    expected = {tier: {kg.resolve(n, types=["qd:IndustryChain"]) for n in names} for tier, names in TIERS.items()}
    assert {k: v for k, v in got.items()} == expected
    for names in TIERS.values():
        for n in names:
            e = kg.names().entry(kg.resolve(n, types=["qd:IndustryChain"]))
            assert n == e["zh"] or n in e["alt"]


def test_portfolio_records_count_not_a_guessed_list(kg):
    r = rows(kg, "SELECT ?n WHERE { ?p a qd:ChainPortfolio ; qd:declaredCount ?n }")
    assert [int(x["n"].value) for x in r] == [24]


def test_named_enterprises_belong_where_the_source_puts_them(kg):
    r = rows(kg, """SELECT ?e ?chain ?basis WHERE { ?x a qd:Enterprise ; rdfs:label ?e FILTER (lang(?e) = "zh")
        ?x qd:inChain ?c . ?c rdfs:label ?chain FILTER (lang(?chain) = "zh")
        ?k rdf:subject ?x ; rdf:predicate qd:inChain ; rdf:object ?c ; qd:basis ?basis }""")
    got = {x["e"].value: (x["chain"].value, x["basis"].value.rsplit("#")[-1]) for x in r}
    for name in ("歌尔", "小鸟看看", "金东"):
        assert got[name] == ("虚拟现实", "Stated")
    assert got["泰睿思"][0] == "集成电路" and got["泰睿思"][1] != "Stated"  # from the photo caption: a judgement
    kaos = rows(kg, 'SELECT ?p WHERE { ?p a qd:Platform ; rdfs:label "卡奥斯"@zh }')
    assert len(kaos) == 1


def test_speakers_and_plans(kg):
    r = rows(kg, """SELECT ?name ?title WHERE { ?e a qd:PressEvent ; qd:speaker ?p .
        ?p rdfs:label ?name FILTER (lang(?name) = "zh") ?p schema:jobTitle ?title FILTER (lang(?title) = "zh") }""")
    assert {(x["name"].value, x["title"].value) for x in r} == {("耿涛", "市委常委、副市长"), ("卞成", "市工业和信息化局局长")}
    plans = rows(kg, """SELECT ?title ?from ?to WHERE { ?p a qd:PlanDocument ; dcterms:title ?title ;
        dcterms:temporal [ time:hasBeginning/time:inXSDGYear ?from ; time:hasEnd/time:inXSDGYear ?to ] }""")
    got = {(x["from"].value, x["to"].value) for x in plans}
    assert got == {("2022", "2026"), ("2022", "2024")}


def test_every_measure_sits_on_a_pillar_roadmap(kg):
    r = rows(kg, """SELECT ?m (COUNT(?p) AS ?n) WHERE { ?m a qd:Measure
        OPTIONAL { ?m qd:subMeasureOf*/qd:onRoadmapOf ?p } } GROUP BY ?m""")
    assert len(r) >= 30
    assert all(int(x["n"].value) >= 1 for x in r)


def test_every_entity_and_claim_has_provenance(kg):
    unsourced = rows(kg, """SELECT ?e WHERE { ?e a ?c . FILTER (STRSTARTS(STR(?e), STR(qdr:)))
        FILTER (?c NOT IN (qd:Quote, qd:Claim, qd:SourceDocument))
        FILTER NOT EXISTS { ?e prov:wasDerivedFrom ?q . ?q oa:exact ?x } }""")
    assert unsourced == []
    bare = rows(kg, """SELECT ?s ?p ?o WHERE { ?p a qd:ClaimProperty . ?s ?p ?o .
        FILTER NOT EXISTS { ?c rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; qd:basis ?b ; prov:wasDerivedFrom ?q } }""")
    assert bare == []


def test_affects_links_say_stated_or_inferred_and_why(kg):
    r = rows(kg, """SELECT ?basis ?zh ?en WHERE { ?c rdf:predicate qd:affects ; qd:basis ?basis
        OPTIONAL { ?c qd:rationale ?zh FILTER (lang(?zh) = "zh") } OPTIONAL { ?c qd:rationale ?en FILTER (lang(?en) = "en") } }""")
    assert r
    for x in r:
        if x["basis"].value != QD + "Stated":
            assert x.get("zh") is not None and x.get("en") is not None
    per = rows(kg, "SELECT ?i (COUNT(DISTINCT ?m) AS ?n) WHERE { ?i a qd:Indicator OPTIONAL { ?m qd:affects ?i } } GROUP BY ?i")
    assert len(per) == 12 and all(int(x["n"].value) >= 1 for x in per)


def test_every_quote_is_verbatim(kg):
    from qdgraph import paths
    from qdgraph.quotes import check_quotes, normalize_text

    assert check_quotes(kg, [paths.DATA_DIR]) == []
    # and the check itself bites: compare one quote against the text by hand
    text = normalize_text(SOURCE.read_text(encoding="utf-8"))
    quotes = [x["x"].value for x in rows(kg, "SELECT ?x WHERE { ?q a qd:Quote ; oa:exact ?x }")]
    assert len(quotes) >= 40
    assert all(normalize_text(q) in text for q in quotes)


def test_source_text_shipped_with_its_metadata(kg):
    import hashlib

    r = rows(kg, "SELECT ?title ?file ?sha WHERE { ?d a qd:SourceDocument ; dcterms:title ?title ; qd:textFile ?file ; qd:sha256 ?sha }")
    assert len(r) == 1
    assert r[0]["title"].value == "努力实现“四个走在前列”，青岛打造现代产业先行城市"
    path = ROOT / "data" / r[0]["file"].value
    assert hashlib.sha256(path.read_bytes()).hexdigest() == r[0]["sha"].value


# ------------------------------------------------------------------ validation
def test_validate_passes_on_bundled_data(cli):
    res = cli("validate")
    assert res.code == 0, res
    assert "conforms" in res.err


BROKEN = """@prefix qd: <https://w3id.org/qdgraph/ontology#> .
@prefix qdr: <https://w3id.org/qdgraph/id/> .
qdr:a a qd:Indicator .
qdr:b qd:measuredUnder "unterminated .
"""


def test_validate_broken_turtle_gives_file_line_and_exit_2(cli, tmp_path):
    bad = tmp_path / "broken.ttl"
    bad.write_text(BROKEN, encoding="utf-8")
    res = cli("validate", bad)
    assert_one_line_error(res, 2, f"{bad}:4:")
    assert res.out == ""


def test_validate_reports_each_violation_on_its_own_line(cli, tmp_path):
    f = tmp_path / "extra.ttl"
    f.write_text("""@prefix qd: <https://w3id.org/qdgraph/ontology#> .
@prefix qdr: <https://w3id.org/qdgraph/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
qdr:indicator-fake a qd:Indicator ; rdfs:label "假指标"@zh ; prov:wasDerivedFrom qdr:q-fake .
qdr:q-fake a qd:Quote ; oa:exact "这句话不在原文里" ; dcterms:source qdr:doc-000 .
""", encoding="utf-8")
    res = cli("validate", f)
    assert res.code == 1, res
    lines = res.out.splitlines()
    assert "qdr:indicator-fake  qd:measuredUnder  an indicator is measured under exactly one qd:Pillar" in lines
    assert "qdr:indicator-fake  rdfs:label  needs an rdfs:label in English (@en)" in lines
    assert any(l.startswith("qdr:q-fake  oa:exact  quote is not verbatim") for l in lines)
    assert "Traceback" not in res.err


def test_unbacked_claim_triple_is_a_violation(cli, tmp_path):
    f = tmp_path / "claimless.ttl"
    f.write_text("""@prefix qd: <https://w3id.org/qdgraph/ontology#> .
@prefix qdr: <https://w3id.org/qdgraph/id/> .
qdr:enterprise-goertek qd:inChain qdr:chain-integrated-circuits .
""", encoding="utf-8")
    res = cli("validate", f)
    assert res.code == 1, res
    assert any("qd:inChain" in l and "no qd:Claim" in l for l in res.out.splitlines()), res


@pytest.mark.parametrize("path", TTL_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_turtle_file_parses_in_pyoxigraph(path):
    assert list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))


@pytest.mark.skipif(not shutil.which("rapper"), reason="Debian raptor2-utils not installed")
@pytest.mark.parametrize("path", TTL_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_turtle_file_parses_in_rapper(path):
    proc = subprocess.run(["rapper", "-i", "turtle", "-c", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_ontology_terms_have_zh_en_labels_and_definitions(kg):
    r = rows(kg, """SELECT ?t WHERE { VALUES ?k { owl:Class owl:ObjectProperty owl:DatatypeProperty qd:ClaimProperty }
        ?t a ?k . FILTER (STRSTARTS(STR(?t), STR(qd:)))
        FILTER (NOT EXISTS { ?t rdfs:label ?a FILTER (lang(?a) = "zh") } || NOT EXISTS { ?t rdfs:label ?b FILTER (lang(?b) = "en") }
             || NOT EXISTS { ?t skos:definition ?d FILTER (lang(?d) = "zh") } || NOT EXISTS { ?t skos:definition ?e FILTER (lang(?e) = "en") }) }""")
    assert r == []

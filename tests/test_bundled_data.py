"""The graph holds the source's facts, each with provenance, in the standard vocabularies as
their specs define them, and checks keep it true.

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
                    FILTER (lang(?task) = "zh") } ORDER BY ?n""")
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
    "全市人才总量": (Decimal(3000000), UNIT + "NUM", QD + "MoreThan", "2026"),              # 超过300万人
}

TARGETS_Q = """SELECT ?label ?value ?unit ?cmp ?year ?begin ?end ?qual ?kind ?stated WHERE {
    ?t a qd:Target ; qd:indicator ?i . ?i rdfs:label ?label FILTER (lang(?label) = "zh")
    OPTIONAL { ?t sdmx-measure:obsValue ?value } OPTIONAL { ?t sdmx-attribute:unitMeasure ?unit }
    OPTIONAL { ?t qd:comparator ?cmp } OPTIONAL { ?t qd:valueKind ?kind } OPTIONAL { ?t qd:statedAs ?stated }
    OPTIONAL { ?t sdmx-dimension:refPeriod ?p . ?p rdfs:label ?year ;
               time:hasBeginning/time:inXSDDate ?begin ; time:hasEnd/time:inXSDDate ?end }
    OPTIONAL { ?t qd:qualitativeTarget ?qual FILTER (lang(?qual) = "zh") } }"""


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
    assert (t["begin"].value, t["end"].value) == (f"{year}-01-01", f"{year}-12-31")
    assert t["kind"].value == QD + "TargetValue"
    # the source's wording keeps its comparator word (超过300万人, 30%以上, 达到62%)
    assert any(w in t["stated"].value for w in ("以上", "超过", "达到"))


def test_qualitative_and_recurring_targets(kg):
    qual = [x for x in rows(kg, TARGETS_Q) if x["label"].value == "单位生产总值能耗降幅"]
    assert [x["qual"].value for x in qual] == ["完成省下达任务"]
    assert qual[0]["year"].value == "2026"
    rec = rows(kg, """SELECT ?value ?cmp ?subject ?task ?years WHERE {
        ?t a qd:Target ; qd:recurrence/time:years ?years ; sdmx-measure:obsValue ?value ; qd:comparator ?cmp ;
           qd:statistic/rdfs:label ?subject ; qd:underPillar/qd:task ?task FILTER (lang(?subject) = "zh" && lang(?task) = "zh") }""")
    assert len(rec) == 1  # 每年节能诊断工业企业30家以上
    r = rec[0]
    assert (Decimal(r["value"].value), r["cmp"].value, r["task"].value, int(r["years"].value)) == (
        Decimal(30), QD + "AtLeast", "打造绿色低碳先锋", 1)
    assert "节能诊断工业企业" in r["subject"].value


def test_source_figures_are_observations_of_named_statistics(kg):
    obs = rows(kg, """SELECT ?value ?unit ?stat ?period WHERE { ?o a qb:Observation ; qd:valueKind qd:ObservedValue ;
        qb:dataSet qdr:dataset-source-figures ; sdmx-measure:obsValue ?value ; sdmx-attribute:unitMeasure ?unit ;
        qd:statistic/skos:inScheme qdr:scheme-statistics ; qd:statistic ?stat ; sdmx-dimension:refPeriod ?period ;
        sdmx-dimension:refArea qdr:place-qingdao }""")
    got = {(Decimal(o["value"].value), o["unit"].value.rsplit("/", 1)[-1]) for o in obs}
    # 增长了6倍 (an increase of 600 %); 110余家; 超过50亿元; 数字化率达到57.5%
    assert got == {(Decimal(600), "PERCENT"), (Decimal(110), "NUM"), (Decimal(5000000000), "CNY"),
                   (Decimal("57.5"), "PERCENT")}
    named = rows(kg, """SELECT ?e WHERE { ?o qd:statistic qdr:statistic-vr-enterprises ; qd:namedMember ?x .
        ?x rdfs:label ?e FILTER (lang(?e) = "zh") }""")
    assert {x["e"].value for x in named} == {"歌尔", "小鸟看看", "金东"}


def test_every_observation_has_its_structure(kg):
    """Data Cube: each observation is in one data set whose structure lists the dimensions it
    has; each dimension value is there (IC-11) and no two observations share them (IC-12)."""
    missing = rows(kg, """SELECT ?o ?dim WHERE { ?o a qb:Observation ; qb:dataSet/qb:structure/qb:component/qb:dimension ?dim
        FILTER NOT EXISTS { ?o ?dim ?v } }""")
    assert missing == []
    dup = rows(kg, """SELECT ?a ?b WHERE { ?a qb:dataSet ?ds ; qd:valueKind ?k ; sdmx-dimension:refPeriod ?p ;
        (qd:indicator|qd:statistic) ?x . ?b qb:dataSet ?ds ; qd:valueKind ?k ; sdmx-dimension:refPeriod ?p ;
        (qd:indicator|qd:statistic) ?x . FILTER (STR(?a) < STR(?b)) }""")
    assert dup == []


TIERS = {  # "提升智能家电和轨道交通装备产业集群能级，打造世界级先进制造业集群；壮大新能源汽车、…"
    "世界级先进制造业集群": {"智能家电", "轨道交通装备"},
    "国内一流产业集群": {"新能源汽车", "高端化工", "虚拟现实"},
    "有影响力的新兴产业集群": {"集成电路", "新型显示", "生物医药及医疗器械"},
}


def test_chains_tiers_as_the_source_states(kg):
    r = rows(kg, """SELECT ?c ?tier WHERE { ?c qd:targetClusterTier ?t .
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
    # a SKOS collection with its (claimed, inferred) members
    members = rows(kg, """SELECT ?m ?b WHERE { ?p a qd:ChainPortfolio ; skos:member ?m .
        ?c rdf:subject ?p ; rdf:predicate skos:member ; rdf:object ?m ; qd:basis ?b }""")
    assert len(members) == 8 and all(x["b"].value == QD + "InferredFromContext" for x in members)


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
    # kinds are concepts, not individuals
    kinds = rows(kg, """SELECT ?l WHERE { ?k a qd:PlatformKind ; rdfs:label ?l FILTER (lang(?l) = "zh") }""")
    assert {"国家制造业创新中心", "企业研发机构", "工业互联网示范园区"} <= {x["l"].value for x in kinds}
    assert rows(kg, 'SELECT ?p WHERE { ?p a qd:Platform ; rdfs:label "国家制造业创新中心"@zh }') == []


def test_speakers_and_plans(kg):
    r = rows(kg, """SELECT ?name ?title WHERE { ?e a qd:PressEvent ; qd:speaker ?p .
        ?p rdfs:label ?name FILTER (lang(?name) = "zh") ?p schema:jobTitle ?title FILTER (lang(?title) = "zh") }""")
    assert {(x["name"].value, x["title"].value) for x in r} == {("耿涛", "市委常委、副市长"), ("卞成", "市工业和信息化局局长")}
    posts = rows(kg, """SELECT ?who ?post ?org WHERE { ?x a org:Post ; org:heldBy/rdfs:label ?who ; rdfs:label ?post ;
        org:postIn/rdfs:label ?org FILTER (lang(?who) = "zh" && lang(?post) = "zh" && lang(?org) = "zh") }""")
    assert {(x["who"].value, x["post"].value, x["org"].value) for x in posts} == {
        ("耿涛", "市委常委", "市委"), ("耿涛", "副市长", "市政府"), ("卞成", "市工业和信息化局局长", "市工业和信息化局")}
    sub = rows(kg, """SELECT ?o WHERE { ?o org:subOrganizationOf qdr:org-municipal-government }""")
    assert {x["o"].value.rsplit("/", 1)[-1] for x in sub} == {"agency-press-office", "agency-industry-it-bureau"}
    plans = rows(kg, """SELECT ?title ?from ?to WHERE { ?p a qd:PlanDocument ; dcterms:title ?title ;
        dcterms:temporal [ time:hasBeginning/time:inXSDDate ?from ; time:hasEnd/time:inXSDDate ?to ] }""")
    got = {(x["from"].value[:4], x["to"].value[:4]) for x in plans}
    assert got == {("2022", "2026"), ("2022", "2024")}


def test_qingdao_the_place_is_not_its_government(kg):
    place = rows(kg, "SELECT ?t WHERE { qdr:place-qingdao a ?t }")
    assert {x["t"].value for x in place} == {"https://schema.org/City"}
    gov = rows(kg, "SELECT ?a WHERE { ?a a qd:Agency ; schema:areaServed qdr:place-qingdao }")
    assert {x["a"].value.rsplit("/", 1)[-1] for x in gov} == {"org-municipal-government", "org-municipal-party-committee"}


def test_every_measure_sits_on_a_pillar_roadmap(kg):
    r = rows(kg, """SELECT ?m (COUNT(?p) AS ?n) WHERE { ?m a qd:Measure
        OPTIONAL { ?m qd:onRoadmapOf ?p } } GROUP BY ?m""")
    assert len(r) >= 30
    assert all(int(x["n"].value) >= 1 for x in r)


# things that are not entities of the plan: provenance, structure, time
NOT_ENTITIES = """qd:Quote qd:Claim qd:SourceDocument qd:Rule skos:ConceptScheme qb:DataSet time:ProperInterval
                  time:DurationDescription qd:Verdict qd:RejectedReading"""  # verdicts: analysts' records, not the source's


def test_every_entity_and_claim_has_provenance(kg):
    unsourced = rows(kg, f"""SELECT ?e WHERE {{ ?e a ?c . FILTER (STRSTARTS(STR(?e), STR(qdr:)))
        FILTER NOT EXISTS {{ VALUES ?x {{ {NOT_ENTITIES} }} ?e a ?x }}
        FILTER NOT EXISTS {{ ?e qd:evidence|prov:wasDerivedFrom ?q . ?q oa:hasSelector/oa:exact ?x }} }}""")
    assert unsourced == [] or [x["e"].value for x in unsourced] == ["https://w3id.org/qdgraph/id/place-qingdao"]
    bare = rows(kg, """SELECT ?s ?p ?o WHERE { ?p qd:claimed true . ?s ?p ?o .
        FILTER NOT EXISTS { ?c rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; qd:basis ?b ; prov:wasDerivedFrom ?q } }""")
    assert bare == []
    # claims are IRIs, so they can be named and cited
    assert rows(kg, "SELECT ?c WHERE { ?c a qd:Claim FILTER (isBlank(?c)) }") == []


def test_activities_are_not_derived_from_quotes(kg):
    """PROV-O: prov:wasDerivedFrom makes its subject a prov:Entity, disjoint with prov:Activity."""
    r = rows(kg, """SELECT ?a WHERE { ?a a/rdfs:subClassOf* prov:Activity ; prov:wasDerivedFrom ?x }""")
    assert r == []
    assert rows(kg, "SELECT ?e WHERE { ?e a qd:PressEvent ; qd:evidence ?q }")


def test_affects_links_are_stated_or_derived_by_a_rule(kg):
    r = rows(kg, """SELECT ?c ?basis ?rule WHERE { ?c rdf:predicate qd:affects ; qd:basis ?basis
        OPTIONAL { ?c qd:derivedBy ?rule } }""")
    assert r
    for x in r:
        assert x["basis"].value == QD + "Stated" or x.get("rule") is not None, x["c"].value
    # every indicator has measures that affect it, or at least its pillar's roadmap as context
    per = rows(kg, """SELECT ?i (COUNT(DISTINCT ?m) AS ?n) WHERE { ?i a qd:Indicator
        OPTIONAL { { ?m qd:affects ?i } UNION { ?m qd:sameRoadmapAs ?i } } } GROUP BY ?i""")
    assert len(per) == 12 and all(int(x["n"].value) >= 1 for x in per)


def test_pillar_goal_links_hang_on_what_the_sentence_names(kg):
    """“青岛明确了“四个走在前列”的重点任务，并初步提出12项指标建议，以此推动……”: the goals are
    supported by the four tasks and the twelve indicators as wholes, not by each pillar."""
    assert rows(kg, "SELECT ?p WHERE { ?p a qd:Pillar ; qd:supports ?g }") == []
    r = rows(kg, """SELECT ?set (COUNT(?g) AS ?n) WHERE { ?set a qd:NamedSet ; qd:supports ?g } GROUP BY ?set""")
    got = {x["set"].value.rsplit("/", 1)[-1]: int(x["n"].value) for x in r}
    assert got == {"set-four-leads": 8, "set-twelve-indicators": 7}


def test_every_quote_is_exact_at_its_offsets_and_unique(kg):
    from qdgraph import paths
    from qdgraph.domain.quotes import check_quotes

    assert check_quotes(kg, [paths.DATA_DIR]) == []
    # and compare by hand: exact characters (line breaks included) at the offsets, unique with context
    text = SOURCE.read_text(encoding="utf-8")
    r = rows(kg, """SELECT ?q ?x ?s ?e ?pre ?suf WHERE { ?q a qd:Quote ; oa:hasSource qdr:doc-000 ;
        oa:hasSelector ?t , ?p . ?t a oa:TextQuoteSelector ; oa:exact ?x . ?p a oa:TextPositionSelector ; oa:start ?s ; oa:end ?e
        OPTIONAL { ?t oa:prefix ?pre } OPTIONAL { ?t oa:suffix ?suf } }""")
    assert len(r) >= 50
    for x in r:
        exact, start, end = x["x"].value, int(x["s"].value), int(x["e"].value)
        assert text[start:end] == exact
        pre = x["pre"].value if x.get("pre") is not None else ""
        suf = x["suf"].value if x.get("suf") is not None else ""
        assert text.count(pre + exact + suf) == 1
    assert any("\n" in x["x"].value for x in r)       # a sentence the page split keeps its break


def test_skos_schemes_labels_and_notations(kg):
    no_scheme = rows(kg, "SELECT ?c WHERE { ?c a/rdfs:subClassOf* skos:Concept FILTER NOT EXISTS { ?c skos:inScheme ?s } }")
    assert no_scheme == []
    no_pref = rows(kg, """SELECT ?c WHERE { ?c a/rdfs:subClassOf* skos:Concept
        FILTER (NOT EXISTS { ?c skos:prefLabel ?z FILTER (lang(?z) = "zh") } || NOT EXISTS { ?c skos:prefLabel ?e FILTER (lang(?e) = "en") }) }""")
    assert no_pref == []
    # SKOS S13: a label is not both preferred and alternative
    assert rows(kg, "SELECT ?c WHERE { ?c skos:prefLabel ?l ; skos:altLabel ?l }") == []
    # notations do not collide across schemes, and sort in source order
    clash = rows(kg, """SELECT ?n WHERE { ?a skos:notation ?n . ?b skos:notation ?n FILTER (?a != ?b) }""")
    assert clash == []
    order = [x["n"].value for x in rows(kg, "SELECT ?n WHERE { ?i a qd:Indicator ; skos:notation ?n } ORDER BY ?n")]
    assert order == [f"I{k:02d}" for k in range(1, 13)]
    tops = rows(kg, "SELECT ?p WHERE { ?p skos:topConceptOf qdr:scheme-pillars }")
    assert len(tops) == 4


def test_knowledge_fixes_of_the_review(kg):
    names = kg.names()
    core = kg.resolve("数字经济核心产业增加值占比", types=["qd:Indicator"])
    assert "数字经济占比" not in names.entry(core)["alt"]
    status = rows(kg, """SELECT ?s WHERE { qdr:goal-national-service-economy-centre qd:goalStatus ?s FILTER (lang(?s) = "en") }""")
    assert [x["s"].value for x in status] == ["initially establish"]
    en = rows(kg, """SELECT ?l WHERE { qdr:measure-implement-carbon-and-green-policies rdfs:label ?l FILTER (lang(?l) = "en") }""")
    assert "old and new growth drivers" in en[0]["l"].value
    for name in ("四个走在前列", "两个维度", "5G网络", "千兆光纤网络", "数据中心", "供应链金融", "绿色金融",
                 "知识产权质押融资", "投贷联动", "党的十九大报告", "山东省", "市委", "市政府"):
        assert kg.resolve(name), name
    # the hierarchy as the source writes it: the roadmap sentence's clauses are parallel
    parallel = rows(kg, "SELECT ?m WHERE { ?m qd:subMeasureOf qdr:measure-focus-24-key-chains }")
    assert parallel == []


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
qdr:indicator-fake a qd:Indicator ; rdfs:label "假指标"@zh ; qd:evidence qdr:q-fake .
qdr:q-fake a qd:Quote ; oa:hasSource qdr:doc-000 ; oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "这句话不在原文里" ] .
qdr:q-moved a qd:Quote ; oa:hasSource qdr:doc-000 ; oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "青岛也给出了路线图。" ] ,
    [ a oa:TextPositionSelector ; oa:start 10 ; oa:end 20 ] .
qdr:q-ambiguous a qd:Quote ; oa:hasSource qdr:doc-000 ; oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "现代产业先行城市" ] .
""", encoding="utf-8")
    res = cli("validate", f)
    assert res.code == 1, res
    lines = res.out.splitlines()
    assert "qdr:indicator-fake  qd:measuredUnder  an indicator is measured under exactly one qd:Pillar" in lines
    assert "qdr:indicator-fake  rdfs:label  needs an rdfs:label in English (@en)" in lines
    assert any(l.startswith("qdr:q-fake  oa:exact  quote is not in") for l in lines)
    assert any(l.startswith("qdr:q-moved  oa:exact  quote is not the text of") for l in lines)
    assert any(l.startswith("qdr:q-ambiguous  oa:exact  quote occurs") for l in lines)
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
    r = rows(kg, """SELECT ?t WHERE { VALUES ?k { owl:Class owl:ObjectProperty owl:DatatypeProperty }
        ?t a ?k . FILTER (STRSTARTS(STR(?t), STR(qd:)))
        FILTER (NOT EXISTS { ?t rdfs:label ?a FILTER (lang(?a) = "zh") } || NOT EXISTS { ?t rdfs:label ?b FILTER (lang(?b) = "en") }
             || NOT EXISTS { ?t skos:definition ?d FILTER (lang(?d) = "zh") } || NOT EXISTS { ?t skos:definition ?e FILTER (lang(?e) = "en") }) }""")
    assert r == []


def test_ontology_has_no_metaclass(kg):
    """OWL 2 DL: no class of properties, no reserved vocabulary subclassed."""
    r = rows(kg, """SELECT ?c ?sup WHERE { ?c rdfs:subClassOf ?sup FILTER (STRSTARTS(STR(?c), STR(qd:)))
        FILTER (?sup IN (owl:ObjectProperty, owl:DatatypeProperty, rdf:Property, rdf:Statement, owl:Class, rdfs:Class)) }""")
    assert r == []


def test_no_two_things_share_a_name(kg):
    """No confusable names: Qingdao the city and its government, a class and its property, a
    concept scheme and its concepts, the service industry 现代金融 and the system element."""
    r = rows(kg, """SELECT ?l WHERE { ?e rdfs:label ?l FILTER (isIRI(?e) && lang(?l) = "zh") }
        GROUP BY ?l HAVING (COUNT(DISTINCT ?e) > 1)""")
    assert [x["l"].value for x in r] == []


def test_quote_tool_writes_the_selectors_the_data_has(kg):
    """tools/quote_turtle.py (for citing a new document) finds a sentence across the page's line
    breaks and gives the offsets and context the bundled quotes carry."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("quote_turtle", ROOT / "tools" / "quote_turtle.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    text = SOURCE.read_text(encoding="utf-8")
    r = rows(kg, """SELECT ?x ?s ?e WHERE { qdr:q000-032 oa:hasSelector ?t , ?p . ?t oa:exact ?x .
        ?p oa:start ?s ; oa:end ?e }""")[0]
    start, end, pre, suf = tool.locate(text, "打造绿色低碳先锋，在清洁安全节能高效上走在前列。")
    assert (start, end, text[start:end], pre, suf) == (int(r["s"].value), int(r["e"].value), r["x"].value, "", "")
    start, end, pre, suf = tool.locate(text, "现代产业先行城市")
    assert pre + text[start:end] + suf in text and text.count(pre + text[start:end] + suf) == 1


# ------------------------------------------------------------------ issue 20: the smaller errors
def test_the_two_dimensions_passage_places_no_measure_on_a_roadmap(kg):
    """“聚焦‘两个维度’” describes the modern industry system; the roadmap is stated later."""
    r = rows(kg, """SELECT ?c WHERE { ?c rdf:predicate qd:onRoadmapOf ; prov:wasDerivedFrom ?q .
        ?q oa:hasSelector/oa:exact ?x FILTER (STRSTARTS(?x, "关于现代产业体系")) }""")
    assert r == []


def test_cosmoplat_is_a_platform_named_in_english(kg):
    r = rows(kg, """SELECT ?t ?en WHERE { ?p rdfs:label "卡奥斯"@zh ; a ?t ; rdfs:label ?en FILTER (lang(?en) = "en") }""")
    assert {x["t"].value for x in r} == {QD + "Platform"} and {x["en"].value for x in r} == {"COSMOPlat"}


def test_a_sixfold_growth_is_kept_as_stated_not_as_an_exact_figure(kg):
    r = rows(kg, """SELECT ?c WHERE { ?o qd:statedAs ?s FILTER (CONTAINS(STR(?s), "增长了6倍")) ?o qd:comparator ?c }""")
    assert [x["c"].value for x in r] == [QD + "AsStated"]


def test_the_energy_saving_diagnosis_is_a_measure_with_its_object(kg, cli):
    r = rows(kg, """SELECT ?m WHERE { ?m a qd:Measure ; rdfs:label "每年节能诊断工业企业30家以上"@zh ;
        qd:concerns qdr:subject-energy-consumption ; qd:affects qdr:indicator-energy-intensity-reduction }""")
    assert len(r) == 1
    res = cli("show", "每年节能诊断工业企业30家以上")
    assert res.code == 0 and "能耗" in res.out, res


def test_every_measure_names_an_object(kg):
    """Each measure carries the objects its wording names (issue 20): none is left without one."""
    r = rows(kg, "SELECT ?m WHERE { ?m a qd:Measure FILTER NOT EXISTS { ?m qd:concerns ?o } }")
    assert [x["m"].value for x in r] == []

"""Issue 9: every judgement link is derived by a declared rule, records its rule, premises and
quotes, and the measures answer shows them. Issue 20: same roadmap is context, not an effect;
direction; strength no more than the weakest premise; the hierarchy as the source writes it;
readings an analyst can overrule."""
from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from qdgraph.namespaces import PREFIXES, QD, QDR
from qdgraph.storage.rules import HERE as ROOT_RULES, all_rules, materialise

PRE = "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES.items())


def _claim(name: str, s: str, p: str, o: str, quote: str = "q", basis: str = "qd:Stated") -> str:
    return (f"qdr:t-{s} {p} qdr:t-{o} .\n"
            f"qdr:t-{name} a qd:Claim ; rdf:subject qdr:t-{s} ; rdf:predicate {p} ; rdf:object qdr:t-{o} ;\n"
            f"    qd:basis {basis} ; prov:wasDerivedFrom qdr:t-{quote} .\n")


# a tiny plan: one pillar, one indicator measuring "finance", a measure on the roadmap that
# concerns finance, and a sub-measure of it
QUOTES = "".join(f"qdr:t-{q} a qd:Quote ; oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact \"句{q}\" ] .\n"
                 for q in ("q", "q1", "q2", "q3", "q4", "q5"))
PREMISES = {
    "roadmap": _claim("c1", "m", "qd:onRoadmapOf", "p", "q1"),
    "measured": _claim("c2", "i", "qd:measuredUnder", "p", "q2"),
    "concerns": _claim("c3", "m", "qd:concerns", "s", "q3"),
    "measures": _claim("c4", "i", "qd:measuresSubject", "s", "q4"),
    "sub": _claim("c5", "child", "qd:subMeasureOf", "m", "q5"),
    "guessed-sub": _claim("c5", "child", "qd:subMeasureOf", "m", "q5", "qd:InferredFromContext"),
    "part": _claim("c8", "m", "qd:concerns", "x", "q3"),
    "counts-in": _claim("c9", "x", "qd:countsIn", "s", "q4", "qd:InferredFromContext"),
    "against": _claim("c10", "i", "qd:countsAgainst", "s", "q4", "qd:InferredFromContext"),
}


def store_of(*keys: str, extra: str = "") -> ox.Store:
    st = ox.Store()
    st.load((PRE + QUOTES + "".join(PREMISES[k] for k in keys) + extra).encode(), format=ox.RdfFormat.TURTLE)
    materialise(st)
    return st


def derived(st: ox.Store, rule: str, rel: str = "qd:affects") -> set[tuple[str, str]]:
    q = f"""SELECT ?s ?o WHERE {{ ?c qd:derivedBy qdr:rule-{rule} ; rdf:subject ?s ; rdf:object ?o ;
            rdf:predicate {rel} . ?s {rel} ?o }}"""
    return {(r[0].value.rsplit("-", 1)[-1], r[1].value.rsplit("-", 1)[-1]) for r in st.query(q, prefixes=PREFIXES)}


def test_rules_are_declared_with_iri_names_and_description():
    rules = {r.name: r for r in all_rules()}
    assert set(rules) == {"roadmap", "subject", "subject-part", "against", "hierarchy"}
    for r in rules.values():
        assert r.iri.startswith(QDR + "rule-") and r.label["zh"] and r.label["en"]
        assert r.description["zh"] and r.description["en"] and r.basis.startswith(QD)


def test_roadmap_rule_gives_context_never_an_effect():
    st = store_of("roadmap", "measured")
    assert derived(st, "roadmap", "qd:sameRoadmapAs") == {("m", "i")}
    assert derived(st, "roadmap") == set()
    assert not st.query("ASK { ?m qd:affects ?i }", prefixes=PREFIXES)
    assert derived(store_of("roadmap"), "roadmap", "qd:sameRoadmapAs") == set()
    assert derived(store_of("measured"), "roadmap", "qd:sameRoadmapAs") == set()


def test_subject_rule_fires_and_needs_both_premises():
    assert derived(store_of("concerns", "measures"), "subject") == {("m", "i")}
    assert derived(store_of("concerns"), "subject") == set()
    assert derived(store_of("measures"), "subject") == set()


def test_part_rule_fires_through_counts_in_and_stays_silent_without_it():
    assert derived(store_of("part", "counts-in", "measures"), "subject-part") == {("m", "i")}
    assert derived(store_of("part", "measures"), "subject-part") == set()
    # a measure naming the indicator's own object goes by the same-subject rule only
    assert derived(store_of("part", "counts-in", "measures", "concerns"), "subject-part") == set()


def test_against_rule_gives_a_separate_relation_never_affects():
    st = store_of("concerns", "against")
    assert derived(st, "against", "qd:worksAgainst") == {("m", "i")}
    assert derived(st, "subject") == set()
    assert derived(store_of("concerns"), "against", "qd:worksAgainst") == set()


def test_hierarchy_rule_follows_sub_measures_of_a_subject_link():
    assert derived(store_of("concerns", "measures", "sub"), "hierarchy") == {("child", "i")}
    # a parent only on the same roadmap passes nothing down
    assert derived(store_of("roadmap", "measured", "sub"), "hierarchy") == set()
    assert derived(store_of("concerns", "measures"), "hierarchy") == set()


def test_hierarchy_child_whose_own_object_works_against_inherits_nothing():
    child = _claim("c7", "child", "qd:concerns", "cons", "q3") + _claim("c11", "i", "qd:countsAgainst", "cons", "q4")
    st = store_of("concerns", "measures", "sub", extra=child)
    assert derived(st, "hierarchy") == set()
    assert derived(st, "against", "qd:worksAgainst") == {("child", "i")}


def test_hierarchy_child_on_another_branch_of_its_parent_inherits_nothing():
    # the parent names s (measured by i) and t; the child names t only: it takes the t branch
    branch = _claim("c12", "m", "qd:concerns", "t", "q3") + _claim("c13", "child", "qd:concerns", "t", "q3")
    assert derived(store_of("concerns", "measures", "sub", extra=branch), "hierarchy") == set()
    # a child naming something its parent does not name still inherits (stated parent–child)
    other = _claim("c13", "child", "qd:concerns", "u", "q3")
    assert derived(store_of("concerns", "measures", "sub", extra=other), "hierarchy") == {("child", "i")}


def test_hierarchy_rule_leaves_a_guessed_child_that_names_its_own_subject():
    own = _claim("c6", "j", "qd:measuresSubject", "own", "q4")      # another indicator measures "own"
    child = _claim("c7", "child", "qd:concerns", "own", "q3")
    st = store_of("concerns", "measures", "guessed-sub", extra=own + child)
    assert derived(st, "hierarchy") == set()
    assert derived(st, "subject") == {("m", "i"), ("child", "j")}
    # the same child written by the source as a child still inherits
    assert derived(store_of("concerns", "measures", "sub", extra=own + child), "hierarchy") == {("child", "i")}


def _weakest(st, rule):
    r = list(st.query(f"SELECT ?w WHERE {{ ?c qd:derivedBy qdr:rule-{rule} ; qd:weakestBasis ?w }}", prefixes=PREFIXES))
    return {x[0].value.rsplit("#", 1)[-1] for x in r}


def test_a_derived_link_is_no_stronger_than_its_weakest_premise():
    assert _weakest(store_of("concerns", "measures", "sub"), "hierarchy") == {"InferredFromHierarchy"}
    # a guessed parent–child link makes the child's link a reading, and records what it rests on
    st = store_of("concerns", "measures", "guessed-sub")
    assert _weakest(st, "hierarchy") == {"InferredFromContext"}
    rests = list(st.query("SELECT ?r WHERE { ?c qd:derivedBy qdr:rule-hierarchy ; qd:restsOn ?r }", prefixes=PREFIXES))
    assert [x[0].value.rsplit("-", 1)[-1] for x in rests] == ["c5"]
    # two levels down: the parent's link rests on a reading, so does the child's
    st = store_of("part", "counts-in", "measures", "sub")
    assert _weakest(st, "subject-part") == {"InferredFromContext"} and _weakest(st, "hierarchy") == {"InferredFromContext"}


VERDICT = """qdr:t-v a qd:Verdict ; qd:onClaim qdr:t-{claim} ; qd:decision qd:{decision} ;
    dcterms:creator "测试" ; dcterms:date "2026-12-07"^^xsd:date ; rdfs:comment "理由"@zh .
"""


def test_a_rejected_reading_drops_every_link_resting_on_it():
    keys = ("part", "counts-in", "measures", "sub")
    assert derived(store_of(*keys), "subject-part") == {("m", "i")}
    st = store_of(*keys, extra=VERDICT.format(claim="c9", decision="Rejected"))
    assert derived(st, "subject-part") == set() and derived(st, "hierarchy") == set()
    assert st.query("ASK { qdr:t-c9 a qd:RejectedReading ; qd:rejectedBy qdr:t-v }", prefixes=PREFIXES)
    # accepting it changes nothing; rejecting a stated claim is refused (it is not a reading)
    assert derived(store_of(*keys, extra=VERDICT.format(claim="c9", decision="Accepted")), "subject-part") == {("m", "i")}
    assert derived(store_of(*keys, extra=VERDICT.format(claim="c8", decision="Rejected")), "subject-part") == {("m", "i")}


def test_validate_reports_a_verdict_that_matches_no_reading(cli, tmp_path):
    f = tmp_path / "verdicts.ttl"
    f.write_text(PRE + """qdr:verdict-stale a qd:Verdict ; qd:onClaim qdr:claim-measure-develop-advanced-manufacturing--concerns--subject-advanced-manufacturing ;
    qd:decision qd:Rejected ; dcterms:creator "测试" ; dcterms:date "2026-12-07"^^xsd:date .
qdr:verdict-gone a qd:Verdict ; qd:onClaim qdr:claim-nothing ; qd:decision qd:Rejected .
""", encoding="utf-8")
    res = cli("validate", f)
    assert res.code == 1, res
    assert "no longer a reading" in res.out and "not in the graph any more" in res.out, res.out


def test_derived_link_records_rule_premises_and_quotes():
    st = store_of("concerns", "measures", "sub")
    rows = list(st.query("""SELECT ?premise ?quote WHERE { ?c qd:derivedBy qdr:rule-subject ;
        qd:premise ?premise ; prov:wasDerivedFrom ?quote }""", prefixes=PREFIXES))
    assert {r[0].value.rsplit("-", 1)[-1] for r in rows} == {"c3", "c4"}
    assert {r[1].value.rsplit("-", 1)[-1] for r in rows} == {"q3", "q4"}
    # the hierarchy link cites the sub-measure sentence and the parent's link, with its quotes
    rows = list(st.query("""SELECT ?premise ?quote WHERE { ?c qd:derivedBy qdr:rule-hierarchy ;
        qd:premise ?premise ; prov:wasDerivedFrom ?quote }""", prefixes=PREFIXES))
    assert {r[1].value.rsplit("-", 1)[-1] for r in rows} == {"q3", "q4", "q5"}


def test_building_twice_gives_the_identical_graph():
    from qdgraph import paths
    from qdgraph.storage.rdfio import load_files

    def build():
        st = ox.Store()
        load_files(st, paths.bundled_files())
        materialise(st)
        return ox.serialize(sorted((ox.Triple(q.subject, q.predicate, q.object) for q in st
                                    if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)), key=str),
                            format=ox.RdfFormat.N_TRIPLES)

    first = build()
    assert first == build()
    st = ox.Store()
    st.load(first, format=ox.RdfFormat.N_TRIPLES)
    before = len(st)
    counts = materialise(st)          # materialising a built graph again adds nothing
    assert len(st) == before
    assert all(n > 0 for n in counts.values())


def test_each_rule_adds_exactly_what_its_construct_states():
    """The build runs each rule file's CONSTRUCT as an INSERT inside the store (issue 24: three
    times faster at a million triples); what it adds must be what the CONSTRUCTs give, in turn."""
    from qdgraph import paths
    from qdgraph.storage.rdfio import load_files
    from qdgraph.storage.rules import apply_verdicts

    built, by_hand = ox.Store(), ox.Store()
    for st in (built, by_hand):
        load_files(st, paths.bundled_files())
    materialise(built)
    apply_verdicts(by_hand)
    for rule in all_rules():
        by_hand.extend(rule.triples())
    for rule in all_rules():  # each reads what the ones before it derived
        by_hand.extend([ox.Quad(t.subject, t.predicate, t.object) for t in by_hand.query(rule.text, prefixes=PREFIXES)])

    def triples(st):  # the Turtle files' anonymous nodes get new names at each load
        return {(q.subject, q.predicate, q.object) for q in st
                if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)}

    made, stated = triples(built), triples(by_hand)
    assert stated <= made
    # the rest is each derived link's weakest basis and the readings it rests on
    assert {t[1] for t in made - stated} == {ox.NamedNode(QD + "weakestBasis"), ox.NamedNode(QD + "restsOn")}


def test_validate_reports_a_derived_link_without_its_premises(cli, tmp_path):
    f = tmp_path / "bad-derived.ttl"
    f.write_text(PRE + """
qdr:measure-deep-integration qd:affects qdr:indicator-gdp .
qdr:derived-fake a qd:Claim ; rdf:subject qdr:measure-deep-integration ; rdf:predicate qd:affects ;
    rdf:object qdr:indicator-gdp ; qd:basis qd:InferredFromSubject ; qd:derivedBy qdr:rule-nonexistent ;
    prov:wasDerivedFrom qdr:q000-042 .
""", encoding="utf-8")
    res = cli("validate", f)
    assert res.code == 1, res
    lines = res.out.splitlines()
    assert any(l.startswith("qdr:derived-fake  qd:derivedBy  derived link records no premise") for l in lines), res.out
    assert any("qdr:rule-nonexistent" in l and "not a declared qd:Rule" in l for l in lines), res.out


# ------------------------------------------------------------------ the answer
INDICATORS = ["地区生产总值", "全国先进制造业百强城市排名", "制造业增加值占比", "生产性服务业占服务业增加值比重",
              "“四新”经济增加值占比", "数字经济核心产业增加值占比", "工业互联网平台普及率", "国家制造业创新中心数量",
              "境内外上市公司数量", "金融业增加值占比", "全市人才总量", "单位生产总值能耗降幅"]


@pytest.mark.parametrize("name", INDICATORS)
def test_every_indicator_lists_every_derived_measure_with_rule_premises_and_quotes(kg, name):
    from qdgraph.domain.measures import measures_for

    res = measures_for(kg, name)
    iri = res.indicator
    want = {r["m"].value for r in kg.query("SELECT DISTINCT ?m WHERE { ?m qd:affects ?i }", {"i": ox.NamedNode(iri)}).rows}
    assert {l.measure for l in res.links} == want
    against = {r["m"].value for r in kg.query("SELECT DISTINCT ?m WHERE { ?m qd:worksAgainst ?i }", {"i": ox.NamedNode(iri)}).rows}
    assert {l.measure for l in res.against} == against and not against & want
    # context: on the roadmap, neither affecting nor working against; never among the links
    assert not {c["measure"] for c in res.context} & (want | against)
    strengths = [l.strength for l in res.links]
    assert strengths == sorted(strengths)          # strongest first
    for l in res.links + res.against:
        for link in l.links:
            assert link.rule and link.rule_zh and link.rule_en
            assert len(link.premises) >= 2 and all(p.quotes for p in link.premises)
            assert len(link.path) >= 3 and link.path[0].iri == l.measure and link.path[-1].iri == iri
            assert link.evidence
            # a link resting on a reading is in the reading group, and the reading has its rationale
            if link.readings:
                assert link.group in ("reading", "against") and all(res.readings[r].rationale for r in link.readings)
            for p in link.premises:
                assert p.basis == "qd:Stated" or p.basis.startswith("qd:InferredFrom") and (p.rationale or p.claim.startswith(QDR + "derived-"))
    assert sum(res.counts.values()) == sum(len(l.links) for l in res.links + res.against)


def _names(res, group=None):
    return [l.zh for g in res.groups if group in (None, g["key"]) for l in g["links"]]


def test_the_reviewed_cases(kg):
    from qdgraph.domain.measures import _OWN, measures_for

    m = lambda name: measures_for(kg, name)  # noqa: E731
    # same roadmap is not an effect: grain capacity does not affect the manufacturing share, safety not energy
    assert "提升粮食和重要农产品产能" not in _names(m("制造业增加值占比"))
    assert not any("安全" in n for n in _names(m("单位生产总值能耗降幅")))
    gdp = m("地区生产总值")
    assert not gdp.links and len(gdp.context) == 17 and not gdp.stated
    # direction: consumer services and new data centres work against, never mixed in
    ps = m("生产性服务业占服务业增加值比重")
    assert "生活性服务业向高品质和多样化升级" in [l.zh for l in ps.against]
    assert "生活性服务业向高品质和多样化升级" not in [l.zh for l in ps.links]
    assert "加快5G网络、千兆光纤网络、数据中心等新型信息通信基础设施建设" in [l.zh for l in m("单位生产总值能耗降幅").against]
    # hierarchy as written: the service functions inherit the producer-services link despite naming finance
    assert "强化现代金融、现代物流、现代商贸、软件和信息服务、科技服务等服务功能" in _names(ps, "hierarchy")
    assert "先进制造业与现代服务业" in "".join(_names(ps))
    # innovation's share is another branch of the four elements: it does not reach the talent pool
    assert "提高科技创新在实体经济中的贡献份额" not in _names(m("全市人才总量"))
    # readings rank last and are shown as readings
    assert _names(m("全市人才总量")) == _names(m("全市人才总量"), "reading")
    lc = m("境内外上市公司数量")
    assert all(l.group == "reading" for l in lc.links)
    # objects: IC and new display reach the digital-economy share; the diagnosis action reaches energy
    assert any("集成电路、新型显示" in n for n in _names(m("数字经济核心产业增加值占比")))
    en = m("单位生产总值能耗降幅")
    assert "每年节能诊断工业企业30家以上" in _names(en, "subject")
    # ties in the source's order: within a group, offsets never go down
    for name in INDICATORS:
        for g in m(name).groups:
            keys = [(_OWN.get(l.basis, 9), l.links[0].part, l.offset) for l in g["links"]]
            assert keys == sorted(keys), (name, g["key"])


def test_measures_cli_first_line_context_and_basis_filter(cli):
    res = cli("measures", "金融业增加值占比", "--basis", "subject")
    assert res.code == 0, res
    lines = res.out.splitlines()
    assert "原文没有直接说" in lines[1] or "原文没有直接说" in lines[2]
    assert "同一对象" in res.out and "原文:" in res.out and "背景（不算作用）" in res.out
    res = cli("measures", "地区生产总值", "--context")
    assert res.code == 0 and "做大做强优势产业" in res.out
    full = cli("measures", "金融业增加值占比", "--full").out
    assert "前提:" in full and "路径:" in full
    res = cli("measures", "finance share", "--lang", "en", "--format", "json")
    data = json.loads(res.out)
    assert data["counts"] and data["links"][0]["rule"].endswith("rule-subject")
    assert data["links"][0]["premises"][0]["quotes"] and "context" in data and "groups" in data


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", INDICATORS)
def test_default_answer_fits_one_screen_of_100_columns(cli, name, lang):
    from qdgraph.presentation.formats import text_width

    res = cli("measures", name, "--lang", lang, env={"COLUMNS": "100"})
    assert res.code == 0, res
    lines = res.out.splitlines()
    assert len(lines) <= 40, (name, lang, len(lines))
    assert max(text_width(l) for l in lines) <= 100
    # each quote printed once
    quoted = [l for l in lines if "〔" in l and "“" in l]
    assert len(quoted) == len(set(quoted))


def test_measures_bad_basis_is_a_one_line_error(cli):
    from conftest import assert_one_line_error

    res = cli("measures", "金融业增加值占比", "--basis", "subjct")
    assert_one_line_error(res, 2, "unknown basis 'subjct'")


def test_rules_command_lists_rules_with_link_counts(cli, kg):
    res = cli("rules", "--format", "json")
    assert res.code == 0, res
    items = {i["name"]: i for i in json.loads(res.out)}
    for name, item in items.items():
        n = kg.query("SELECT (COUNT(?c) AS ?n) WHERE { ?c qd:derivedBy ?r }", {"r": ox.NamedNode(item["rule"])}).rows[0]["n"]
        assert item["links"] == int(n.value) > 0, name
    text = cli("rules").out
    assert "同一路线图" in text and "推出关联" in text
    assert items["roadmap"]["links"] > 0 and items["against"]["links"] > 0


def test_a_rule_reading_its_own_links_is_refused(tmp_path):
    from qdgraph.storage.rules import parse_rule

    text = (ROOT_RULES / "hierarchy.rq").read_text(encoding="utf-8").replace(
        "FILTER (?b IN (qd:Stated, qd:InferredFromSubject))", "FILTER (?b IN (qd:InferredFromHierarchy))")
    assert "qd:InferredFromHierarchy" in text.split("WHERE", 1)[1]
    f = tmp_path / "loop.rq"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="its own basis"):
        parse_rule(f)
    assert parse_rule(ROOT_RULES / "hierarchy.rq").dependent


def test_readings_lists_every_reading_answers_rest_on_with_its_rationale(cli, kg):
    res = cli("readings", "--format", "json")
    assert res.code == 0, res
    items = json.loads(res.out)
    rested = {r["r"].value for r in kg.query("""SELECT DISTINCT ?r WHERE { VALUES ?p { qd:affects qd:worksAgainst }
        ?c rdf:predicate ?p ; qd:restsOn ?r }""").rows}
    assert {i["claim"] for i in items} >= rested and rested
    assert all(i["rationale"]["zh"] and i["rationale"]["en"] for i in items)
    assert all(i["links"] > 0 or i["verdict"] for i in items)
    text = cli("readings", env={"COLUMNS": "100"}).out
    assert "理由" in text and "data/verdicts.ttl" in text
    assert len(json.loads(cli("readings", "--all", "--format", "json").out)) > len(items)


def test_a_verdict_file_rejecting_a_reading_changes_the_answer(cli, tmp_path):
    before = json.loads(cli("measures", "制造业增加值占比", "--format", "json").out)
    assert "https://w3id.org/qdgraph/id/measure-develop-advanced-manufacturing" in {l["measure"] for l in before["links"]}
    f = tmp_path / "verdicts.ttl"
    f.write_text(PRE + """qdr:verdict-test a qd:Verdict ;
    qd:onClaim qdr:claim-subject-advanced-manufacturing--countsIn--subject-manufacturing ;
    qd:decision qd:Rejected ; dcterms:creator "测试" ; dcterms:date "2026-12-07"^^xsd:date ; rdfs:comment "测试"@zh .
""", encoding="utf-8")
    after = json.loads(cli("measures", "制造业增加值占比", "--data", f, "--format", "json").out)
    gone = {l["measure"] for l in before["links"]} - {l["measure"] for l in after["links"]}
    # every link resting on the rejected reading goes, the others stay
    assert "https://w3id.org/qdgraph/id/measure-develop-advanced-manufacturing" in gone
    assert {l["measure"] for l in after["links"]} and all(l["group"] != "reading" or l["readings"] for l in after["links"])
    listed = json.loads(cli("readings", "--data", f, "--format", "json").out)
    assert any(i["verdict"] and i["verdict"]["decision"] == "rejected" for i in listed)
    assert cli("validate", f).code == 0

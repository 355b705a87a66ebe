"""`qdgraph import`: enterprise lists in, all or nothing, merged not duplicated."""
from __future__ import annotations

import json

import pytest

from conftest import ROOT, assert_one_line_error, invoke
from store_fixtures import (CHAIN_IRI, CHAIN_ZH, ENT_IRI, ENT_ZH, build_base_store, copy_store, kill_at_publish,
                            snapshot, triples)
from store_fixtures import write_csv as write

QD = "https://w3id.org/qdgraph/ontology#"
HEADER_ZH = "企业名称,英文名称,简称,产业链,统一社会信用代码,区市,成立日期,来源,备注\n"


def code(first17: str) -> str:
    from qdgraph.domain.csvcolumns import uscc_check_char

    return first17 + uscc_check_char(first17)


C1, C2 = code("91370211MA3C00001"), code("91370212MA3C00002")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return build_base_store(tmp_path_factory.mktemp("imp"), invoke)


@pytest.fixture
def store(base, tmp_path):
    return copy_store(base, tmp_path / "store")


def select(store, sparql):
    from qdgraph.engine.graph import open_graph

    return open_graph(store=store).select(sparql)


def enterprises(store, label):
    rows = select(store, f'SELECT ?e WHERE {{ ?e a qd:Enterprise ; rdfs:label|skos:altLabel ?l FILTER (str(?l) = "{label}") }}')
    return sorted({r["e"].value for r in rows})


def test_import_with_provenance_then_again_adds_nothing(store, tmp_path):
    csv = write(tmp_path / "vr.csv", HEADER_ZH
                + f"青岛甲乙智能科技有限公司,,甲乙科技,{CHAIN_ZH},{C1},黄岛区,2019/5/3,区工信局名单,重点企业\n"
                + "青岛丙丁声学有限公司,Bingding Acoustics,,haiyangcehuizhuangbei,,崂山区,2021年3月,,\n")
    res = invoke("import", csv, "--store", store)
    assert res.code == 0 and "2 new enterprises" in res.err, res
    [e] = enterprises(store, "青岛甲乙智能科技有限公司")
    assert e.endswith(C1)
    rows = select(store, f"""SELECT ?basis ?exact ?title ?sha ?pos WHERE {{
        <{e}> qd:inChain <{CHAIN_IRI}> ; qd:evidence ?q .
        ?c a qd:Claim ; rdf:subject <{e}> ; rdf:predicate qd:inChain ; rdf:object <{CHAIN_IRI}> ;
           qd:basis ?basis ; prov:wasDerivedFrom ?q .
        ?q a qd:Quote ; oa:hasSelector/oa:exact ?exact ; schema:position ?pos ; oa:hasSource ?doc .
        ?doc a qd:SourceDocument ; dcterms:title ?title ; qd:sha256 ?sha }}""")
    assert len(rows) == 1, rows
    r = rows[0]
    assert r["basis"].value == QD + "Stated" and r["title"].value == "vr.csv" and r["pos"].value == "2"
    assert r["exact"].value.startswith("青岛甲乙智能科技有限公司,,甲乙科技")
    facts = select(store, f"SELECT ?d ?loc ?en ?alt WHERE {{ <{e}> schema:foundingDate ?d ; schema:location ?loc ; "
                          "rdfs:label ?en ; skos:altLabel ?alt FILTER (lang(?en) = 'en') }")
    assert [(f["d"].value, f["loc"].value, f["alt"].value) for f in facts] == [("2019-05-03", "黄岛区", "甲乙科技")]
    assert facts[0]["en"].value.startswith("Qingdao ") and facts[0]["en"].value.endswith("Co., Ltd.")
    manifest = json.loads((store / "CURRENT").parent.joinpath((store / "CURRENT").read_text().strip(),
                                                               "manifest.json").read_text(encoding="utf-8"))
    assert manifest["imports"][-1]["name"] == "vr.csv" and manifest["imports"][-1]["rows"] == 2

    before = snapshot(store)
    res = invoke("import", csv, "--store", store)
    assert res.code == 0 and "nothing new" in res.err, res
    assert snapshot(store) == before
    # the new names resolve through the store's index
    res = invoke("search", "甲乙科技", "--store", store)
    assert "青岛甲乙智能科技有限公司" in res.out, res


def test_merges_with_enterprises_already_present(store, tmp_path):
    # same name as an enterprise of the loaded data; duplicate rows; same credit code in two files
    a = write(tmp_path / "a.csv", "name,chain,credit_code,founded\n"
              + f"{ENT_ZH},{CHAIN_ZH},,2010\n"
              + f"青岛重复企业有限公司,{CHAIN_ZH},{C2},\n"
              + f"青岛重复企业有限公司,{CHAIN_ZH},{C2},\n")
    res = invoke("import", a, "--store", store)
    assert res.code == 0 and "1 new enterprises, 1 merged" in res.err, res
    assert enterprises(store, ENT_ZH) == [ENT_IRI]
    assert select(store, f"SELECT ?d WHERE {{ <{ENT_IRI}> schema:foundingDate ?d }}")[0]["d"].value == "2010"
    assert len(enterprises(store, "青岛重复企业有限公司")) == 1
    b = write(tmp_path / "b.csv", "name,name_en,chain,credit_code\n"
              + f"青岛重复企业集团有限公司,Chongfu Group,{CHAIN_ZH},{C2}\n")  # renamed; same code
    res = invoke("import", b, "--store", store)
    assert res.code == 0 and "0 new enterprises, 1 merged" in res.err, res
    [e] = enterprises(store, "青岛重复企业集团有限公司")
    assert enterprises(store, "青岛重复企业有限公司") == [e]
    labels = select(store, f"SELECT ?l WHERE {{ <{e}> rdfs:label ?l FILTER (lang(?l) = 'zh') }}")
    assert len(labels) == 1  # the later name is an alias, not a second label


def test_gbk_file_reads_right(store, tmp_path):
    csv = write(tmp_path / "gbk.csv", HEADER_ZH + f"青岛鑫磊电子有限公司,,,{CHAIN_ZH},,即墨区,2015-08-01,,\n", "gbk")
    res = invoke("import", csv, "--store", store)
    assert res.code == 0 and "(GBK)" in res.err, res
    assert len(enterprises(store, "青岛鑫磊电子有限公司")) == 1


def test_undecodable_file(store, tmp_path):
    before = snapshot(store)
    bad = tmp_path / "bin.csv"
    bad.write_bytes(b"name,chain\n\x80\xff\xfe\x00garbage,x\n")
    assert_one_line_error(invoke("import", bad, "--store", store), 2, f"{bad}:2:", "UTF-8 or GBK")
    broken = tmp_path / "broken-utf8.csv"
    broken.write_bytes(f"name,chain\n青岛某某有限公司,{CHAIN_ZH}\n".encode() + b"\xe9\x9d,x\n")
    assert_one_line_error(invoke("import", broken, "--store", store), 2, f"{broken}:3:", "not valid UTF-8")
    assert snapshot(store) == before


@pytest.mark.parametrize("row, fragment", [
    (f",,,{CHAIN_ZH},,,,,", "no enterprise name"),
    (f"青岛坏码有限公司,,,{CHAIN_ZH},{C1[:17]}X,,,,", "fails its check digit"),
    (f"青岛坏码有限公司,,,{CHAIN_ZH},91370211MA3C0000I1,,,,", "never uses"),
    (f"青岛坏日有限公司,,,{CHAIN_ZH},,,2019-02-30,,", "not a real date"),
    (f"青岛坏日有限公司,,,{CHAIN_ZH},,,去年,,", "is not a date"),
    ("青岛无链有限公司,,,,,,,,", "no chain"),
])
def test_bad_rows_name_their_line_and_change_nothing(store, tmp_path, row, fragment):
    before = snapshot(store)
    csv = write(tmp_path / "bad.csv", HEADER_ZH + f"青岛好企业有限公司,,,{CHAIN_ZH},,,,,\n" + row + "\n")
    assert_one_line_error(invoke("import", csv, "--store", store), 2, f"{csv}:3:", fragment)
    assert snapshot(store) == before


def test_unknown_chain_says_did_you_mean(store, tmp_path):
    before = snapshot(store)
    near = CHAIN_ZH[:2] + "星际"  # shares a word with the chain, matches nothing outright
    csv = write(tmp_path / "c.csv", f"name,chain\n青岛好企业有限公司,{CHAIN_ZH}\n青岛某公司,{near}\n")
    assert_one_line_error(invoke("import", csv, "--store", store), 2, f"{csv}:3:", "did you mean", CHAIN_ZH)
    assert snapshot(store) == before


def test_chain_named_as_in_the_graph(store, tmp_path):
    """Chains of the bundled data work by their label (derived from the graph, never hard-coded)."""
    rows = select(store, "SELECT ?c ?l WHERE { ?c a qd:IndustryChain ; rdfs:label ?l FILTER (lang(?l) = 'zh') }")
    from qdgraph.engine.graph import open_graph

    kg = open_graph(store=store)
    usable = [r for r in rows if r["c"].value != CHAIN_IRI and _resolves(kg, r["l"].value, r["c"].value)]
    if not usable:
        pytest.skip("the bundled data names no chain yet")
    chain, label = usable[0]["c"].value, usable[0]["l"].value
    csv = write(tmp_path / "d.csv", f"企业名称,产业链\n青岛链上企业有限公司,{label}\n")
    res = invoke("import", csv, "--store", store)
    assert res.code == 0, res
    [e] = enterprises(store, "青岛链上企业有限公司")
    assert open_graph(store=store).query(f"ASK {{ <{e}> qd:inChain <{chain}> }}").value is True


def _resolves(kg, label, iri):
    try:
        return kg.resolve(label, types=["qd:IndustryChain"]) == iri
    except Exception:
        return False


@pytest.mark.slow  # waits out a real time limit, or kills a real writer
def test_killed_import_leaves_the_store(store, tmp_path):
    """SIGKILL after the new generation is written, before it is swapped in."""
    before = snapshot(store)
    csv = write(tmp_path / "k.csv", f"name,chain\n青岛被杀企业有限公司,{CHAIN_ZH}\n")
    marker = tmp_path / "paused"
    kill_at_publish(ROOT, marker, "import", csv, "--store", store)
    assert (store / "CURRENT").read_text() == before[0] and triples(store) == before[2]
    assert enterprises(store, "青岛被杀企业有限公司") == []
    res = invoke("import", csv, "--store", store)  # and the next import goes through
    assert res.code == 0, res
    assert len(enterprises(store, "青岛被杀企业有限公司")) == 1
    assert len([p for p in store.iterdir() if p.name.startswith("gen-")]) == 1


def test_shacl_violation_names_the_row(store, tmp_path):
    """Rows that pass the field checks are still SHACL-validated before anything is written."""
    import pyoxigraph as ox

    from qdgraph.domain import importer
    from qdgraph.engine.graph import open_graph

    kg = open_graph(store=store)
    e = ox.NamedNode("https://w3id.org/qdgraph/id/enterprise-x")
    new = [(e, importer.A, importer.ENTERPRISE), (e, importer.IN_CHAIN, ox.NamedNode(CHAIN_IRI))]
    with pytest.raises(importer.CsvError, match=r"x\.csv:7: .*(source|label|Claim)"):
        importer.shacl_check(kg, new, {}, tmp_path / "x.csv", {e.value: 7})


# ------------------------------------------------------------------ field checks
def test_credit_code_check_digit():
    from qdgraph.domain.csvcolumns import check_credit_code

    assert check_credit_code("91350100M000100Y43") == ("91350100M000100Y43", None)  # GB 32100-2015's example
    assert check_credit_code(" 91350100m000100y43 ")[1] is None
    assert "check digit" in check_credit_code("91350100M000100Y44")[1]
    assert "18" in check_credit_code("91350100M000100Y4")[1]
    assert "never uses" in check_credit_code("91350100M0001O0Y43")[1]


def test_founded_forms():
    from qdgraph.domain.csvcolumns import parse_founded

    def v(t):
        lit, why = parse_founded(t)
        return (lit.value, lit.datatype.value.rsplit("#")[-1]) if lit else why

    assert v("2019") == ("2019", "gYear")
    assert v("2019-5") == ("2019-05", "gYearMonth")
    assert v("2019年5月3日") == ("2019-05-03", "date")
    assert v("2019/05/03 00:00:00") == ("2019-05-03", "date")
    assert v("20190503") == ("2019-05-03", "date")
    assert "future" in v("2999-01-01") or "year" in v("2999-01-01")
    assert "not a date" in v("May 2019")


def test_header_aliases_and_missing_columns(store, tmp_path):
    csv = write(tmp_path / "h.csv", "公司名称,备注\n青岛某公司,x\n")
    assert_one_line_error(invoke("import", csv, "--store", store), 2, f"{csv}:1:", "chain")


def test_import_help_lists_every_column_of_the_table():
    from qdgraph.domain.csvcolumns import COLUMNS

    res = invoke("import", "--help")
    assert res.code == 0, res
    for col in COLUMNS:
        line = next(l for l in res.out.splitlines() if l.strip().startswith(f"{col.name} / {col.zh}"))
        assert col.help.split()[0] in line

"""`qdgraph observe import`: observed values in, with provenance, all or nothing.

The store holds the bundled graph plus tests/progress_fixtures.py (made-up values), so the
indicators, targets and the values already stored are known to the tests."""
from __future__ import annotations

import json

import pytest

from conftest import ROOT, assert_one_line_error, invoke
from progress_fixtures import IND, fixture_store
from store_fixtures import copy_store, kill_at_publish, snapshot
from store_fixtures import write_csv as write

HEADER_ZH = "指标,时期,数值,单位,来源,网址,原文\n"
HEADER_EN = "indicator,period,value,unit,source,url,quote\n"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return fixture_store(tmp_path_factory.mktemp("observe"))


@pytest.fixture
def store(base, tmp_path):
    return copy_store(base, tmp_path / "store")


def select(store, sparql, **params):
    from qdgraph.engine.graph import open_graph

    return open_graph(store=store).select(sparql, **params)


def progress_of(store, key):
    res = invoke("progress", IND[key], "--store", store, "-F", "json")
    assert res.code == 0, res
    [ip] = json.loads(res.out)["indicators"]
    return ip


def test_import_adds_observations_with_provenance_then_again_adds_nothing(store, tmp_path):
    csv = write(tmp_path / "bulletin.csv", HEADER_ZH
                + "样例金融业占比,2022,6.1,%,样例统计公报2022,https://example.org/b2022,样例：金融业增加值占比6.1%。\n"
                + "样例金融业占比,2023年,6.4,％,样例统计公报2023,https://example.org/b2023,样例：金融业增加值占比6.4%。\n")
    assert progress_of(store, "finance")["status"] == "no-data"
    res = invoke("observe", "import", csv, "--store", store)
    assert res.code == 0 and "2 new observations" in res.err, res
    ip = progress_of(store, "finance")
    assert [(o["period"], o["value"]) for o in ip["observations"]] == [("2022", 6.1), ("2023", 6.4)]
    assert ip["status"] == "on-track" and ip["latest"]["period"] == "2023"
    assert ip["sources"][0]["title"] == "样例统计公报2023" and ip["sources"][0]["url"] == "https://example.org/b2023"
    assert ip["sources"][0]["exact"] == "样例：金融业增加值占比6.4%。"
    rows = select(store, """SELECT ?ds ?area ?kind ?unit ?row ?begin ?end WHERE {
        ?o qd:indicator ?i ; sdmx-dimension:refPeriod qdr:period-2023 ; qb:dataSet ?ds ; sdmx-dimension:refArea ?area ;
           qd:comparator qd:Exactly ;
           qd:valueKind ?kind ; sdmx-attribute:unitMeasure ?unit ; prov:wasDerivedFrom ?q .
        ?q a qd:Quote ; oa:hasSelector/oa:exact ?row ; oa:hasSource/dcterms:title "bulletin.csv" .
        qdr:period-2023 a time:ProperInterval ; time:hasBeginning/time:inXSDDate ?begin ; time:hasEnd/time:inXSDDate ?end }""",
                  i=f"<{IND['finance']}>")
    assert [(r["ds"].value.rsplit("/", 1)[-1], r["area"].value.rsplit("/", 1)[-1], r["kind"].value.rsplit("#")[-1],
             r["unit"].value.rsplit("/")[-1], r["begin"].value, r["end"].value) for r in rows] == [
        ("dataset-observed", "place-qingdao", "ObservedValue", "PERCENT", "2023-01-01", "2023-12-31")]
    assert rows[0]["row"].value.startswith("样例金融业占比,2023年,6.4")
    manifest_imports = json.loads((store / (store / "CURRENT").read_text().strip() / "manifest.json")
                                  .read_text(encoding="utf-8"))["imports"]
    assert manifest_imports[-1]["name"] == "bulletin.csv" and manifest_imports[-1]["new_observations"] == 2

    before = snapshot(store)
    res = invoke("observe", "import", csv, "--store", store)
    assert res.code == 0 and "nothing new" in res.err, res
    assert snapshot(store) == before


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-16"])
def test_encodings_and_english_header(store, tmp_path, encoding):
    csv = write(tmp_path / "e.csv", HEADER_EN + "样例金融业占比,2024-03,6.6,%,样例月报,,\n", encoding)
    res = invoke("observe", "import", csv, "--store", store)
    assert res.code == 0 and "1 new observations" in res.err, res
    assert progress_of(store, "finance")["latest"]["period"] == "2024-03"


def test_same_value_in_another_unit_confirms_and_adds_its_source(store, tmp_path):
    # the fixture stores 样例人才总量 2023 as 2 600 000 人; 260 万人 is the same value
    csv = write(tmp_path / "t.csv", HEADER_ZH + "样例人才总量,2023,260,万人,样例人才报告,report.pdf,\n")
    res = invoke("observe", "import", csv, "--store", store)
    assert res.code == 0 and "0 new observations, 1 already known" in res.err, res
    titles = {r["t"].value for r in select(store, "SELECT ?t WHERE { ?o prov:wasDerivedFrom/oa:hasSource?/dcterms:title ?t }",
                                            o="<https://w3id.org/qdgraph/id/pt-obs-talent-2023>")}
    assert "样例人才报告" in titles and "样例统计公报" in titles
    ip = progress_of(store, "talent")
    assert ip["latest"]["value"] == 260 and ip["unit_zh"] == "万人"


def test_units_convert_to_the_target_unit(store, tmp_path):
    csv = write(tmp_path / "u.csv", HEADER_ZH + "样例人才总量,2024,2700000,人,样例人才报告,,\n"
                + "样例制造业占比,2024,0.295,比率,样例统计公报,,\n")
    res = invoke("observe", "import", csv, "--store", store)
    assert res.code == 0, res
    assert progress_of(store, "talent")["latest"]["value"] == 270  # 万人, the target's unit
    assert progress_of(store, "manufacturing")["latest"]["value"] == pytest.approx(29.5)  # %


def test_conflict_with_the_store_is_refused(store, tmp_path):
    before = snapshot(store)
    csv = write(tmp_path / "c.csv", HEADER_ZH + "样例金融业占比,2023,6.4,%,样例,,\n样例制造业占比,2023,28.5,%,样例,,\n")
    res = invoke("observe", "import", csv, "--store", store)
    assert_one_line_error(res, 2, f"{csv}:3:", "28.5", "conflicts with 29% from the store")
    assert snapshot(store) == before


def test_conflict_within_the_file_names_both_lines(store, tmp_path):
    csv = write(tmp_path / "c.csv", HEADER_ZH + "样例金融业占比,2023,6.4,%,样例,,\n样例金融业占比,2023年,6.5,%,样例,,\n")
    res = invoke("observe", "import", csv, "--store", store)
    assert_one_line_error(res, 2, f"{csv}:3:", "conflicts with 6.4% from line 2")


def test_bad_rows_are_all_found_and_nothing_is_written(store, tmp_path):
    before = snapshot(store)
    csv = write(tmp_path / "bad.csv", HEADER_ZH
                + "无此指标QQ,2023,6.4,%,样例,,\n"             # a name that matches nothing
                + "样例金融业占比,2023-13,6.4,%,样例,,\n"       # no month 13
                + "样例金融业占比,2023,约6.4,%,样例,,\n"        # not a number
                + "样例金融业占比,2023,6.4,斤,样例,,\n"         # unknown unit
                + "样例金融业占比,2023,6,家,样例,,\n"           # a count for a percentage
                + "样例金融业占比,2023,6.4,%,,,\n")             # no source
    res = invoke("observe", "import", csv, "--store", store)
    assert_one_line_error(res, 2, f"{csv}:2:", "no indicator matches", "and 5 more problems: line 3, 4, 5, 6, 7")
    assert snapshot(store) == before
    for line, fragment in [(3, "month 13"), (4, "not a number"), (5, "unknown unit '斤'"),
                           (6, "cannot be converted to its target's unit '%'"), (7, "no source title")]:
        one = write(tmp_path / f"one{line}.csv", HEADER_ZH + csv.read_text(encoding="utf-8-sig").splitlines()[line - 1] + "\n")
        res = invoke("observe", "import", one, "--store", store)
        assert_one_line_error(res, 2, f"{one}:2:", fragment)


def test_missing_column_and_wrong_file(store, tmp_path):
    csv = write(tmp_path / "h.csv", "指标,时期,数值,来源\n样例金融业占比,2023,6.4,样例\n")
    assert_one_line_error(invoke("observe", "import", csv, "--store", store), 2, f"{csv}:1:", "no unit (单位) column")
    assert_one_line_error(invoke("observe", "import", tmp_path / "none.csv", "--store", store), 1, "none.csv")
    assert_one_line_error(invoke("observe", "import", csv, "--store", tmp_path / "nostore"), 1, "no such store")


def test_a_period_already_described_is_not_described_again(store, tmp_path):
    csv = write(tmp_path / "p.csv", HEADER_ZH + "样例金融业占比,2021,5.9,%,样例,,\n样例金融业占比,2024-03,6.6,%,样例,,\n")
    assert invoke("observe", "import", csv, "--store", store).code == 0
    counts = {r["p"].value.rsplit("-", 1)[-1] if "2021" in r["p"].value else "2024-03": int(r["n"].value) for r in select(
        store, "SELECT ?p (COUNT(?b) AS ?n) WHERE { VALUES ?p { qdr:period-2021 qdr:period-2024-03 } "
               "?p time:hasBeginning ?b } GROUP BY ?p")}
    assert counts == {"2021": 1, "2024-03": 1}
    labels = {r["l"].value for r in select(store, "SELECT ?l WHERE { qdr:period-2024-03 rdfs:label ?l }")}
    assert labels == {"2024年3月", "March 2024"}


def test_progress_is_reported_row_by_row(store, tmp_path):
    from qdgraph.domain.observe import import_observations

    csv = write(tmp_path / "b.csv", HEADER_ZH + "".join(f"样例金融业占比,{y},{5 + (y - 2000) / 10},%,样例,,\n"
                                                        for y in range(2000, 2021)))
    seen = []
    res = import_observations(csv, store, dry_run=True, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(i, 21) for i in range(1, 22)] and res.new_observations == 21


def test_dry_run_writes_nothing(store, tmp_path):
    before = snapshot(store)
    csv = write(tmp_path / "d.csv", HEADER_ZH + "样例金融业占比,2021,5.9,%,样例,,\n")
    res = invoke("observe", "import", csv, "--store", store, "--dry-run")
    assert res.code == 0 and "would add" in res.err, res
    assert snapshot(store) == before


@pytest.mark.slow
def test_killed_at_the_swap_leaves_the_store_as_it_was(store, tmp_path):
    before = snapshot(store)
    csv = write(tmp_path / "k.csv", HEADER_ZH + "样例金融业占比,2021,5.9,%,样例,,\n")
    kill_at_publish(ROOT, tmp_path / "marker", "observe", "import", csv, "--store", store)
    assert (store / "CURRENT").read_text() == before[0]
    assert invoke("progress", IND["finance"], "--store", store, "-F", "json").code == 0
    assert progress_of(store, "finance")["observations"] == []

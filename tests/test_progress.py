"""`qdgraph progress`, `qdgraph viz progress`, /progress and /api/progress: targets against
observed values (tests/progress_fixtures.py: made-up values, one indicator per status)."""
from __future__ import annotations

import csv
import functools
import io
import json
import urllib.parse

import pytest

from conftest import assert_one_line_error, invoke, needs_chromium
from progress_fixtures import IND, fixture_store, fixture_turtle, write_fixture

PILLAR = "样例进度任务"
HOSTILE = "<img src=x onerror=\"window.__pwned=1;alert(1)\">样例</script><script>window.__pwned=2</script>"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return fixture_store(tmp_path_factory.mktemp("progress"))


@pytest.fixture(scope="module")
def report(store):
    res = invoke("progress", "--pillar", PILLAR, "--store", store, "-F", "json")
    assert res.code == 0, res
    return {ip["indicator"]: ip for ip in json.loads(res.out)["indicators"]}


def test_one_status_each(report):
    assert {k: report[iri]["status"] for k, iri in IND.items()} == {
        "manufacturing": "on-track", "talent": "behind", "centres": "met", "energy": "qualitative",
        "finance": "no-data", "gdp": "no-target", "rank": "on-track"}
    assert len(report) == len(IND)  # --pillar keeps to the pillar's indicators


def test_gap_needed_and_average_pace(report):
    m = report[IND["manufacturing"]]  # 27, 28, 29 % (2021–2023), at least 30 % by 2026
    assert (m["gap"], m["years_left"], m["average_per_year"]) == (1, 3, 1)
    assert m["needed_per_year"] == pytest.approx(1 / 3) and m["projected"] == 32
    assert m["target"]["comparator"].endswith("AtLeast") and m["target"]["period"] == "2026"
    t = report[IND["talent"]]  # 240 万人 (2021), 2 600 000 人 (2023): more than 300 万人
    assert [o["value"] for o in t["observations"]] == [240, 260] and t["unit_zh"] == "万人"
    assert t["needed_per_year"] == pytest.approx(40 / 3) and t["average_per_year"] == 10
    assert t["latest"]["stated_value"] == "2600000人"
    r = report[IND["rank"]]  # a rank: lower is better, at most 10
    assert r["direction"] == "lower" and r["gap"] == -4 and r["average_per_year"] == -3


def test_reasons_say_why(report):
    q = report[IND["energy"]]
    assert "完成省下达任务" in q["reason_zh"] and "cannot be computed" in q["reason_en"]
    assert q["gap"] is None and q["needed_per_year"] is None
    assert "no observed value" in report[IND["finance"]]["reason_en"]
    assert "no target" in report[IND["gdp"]]["reason_en"] and report[IND["gdp"]]["average_per_year"] > 0
    assert report[IND["centres"]]["reason_zh"] == "2023年已达到目标"


def test_latest_source_and_measures(report):
    m = report[IND["manufacturing"]]
    assert m["sources"] == [{"document": "https://w3id.org/qdgraph/id/pt-bulletin", "title": "样例统计公报",
                             "url": "https://example.org/bulletin", "file": None, "exact": "样例：全年数据如下。"}]
    assert [(x["zh"], x["stated"]) for x in m["measures"]] == [("样例培育先进制造业", True)]


def test_a_store_gives_the_same_report_as_the_files_it_was_built_from(store, tmp_path):
    # a store reads the figures kept with it when it was built; the files in memory, from the engine
    from qdgraph.engine.graph import open_graph
    from qdgraph.domain.progress import progress

    from_store = progress(open_graph(store=store)).to_dict()
    in_memory = progress(open_graph([write_fixture(tmp_path)])).to_dict()
    assert json.dumps(from_store, ensure_ascii=False) == json.dumps(in_memory, ensure_ascii=False)
    assert sum(len(i["observations"]) for i in from_store["indicators"]) >= 8


def test_the_json_output_is_the_reports_own_dict(store):
    # the command hands orjson the report's records as they are (ProgressReport.for_orjson):
    # what it writes is the library's to_dict, key for key and in the same order
    from qdgraph.engine.graph import open_graph
    from qdgraph.domain.progress import progress

    res = invoke("progress", "--store", store, "-F", "json")
    assert res.code == 0, res
    expected = json.dumps(progress(open_graph(store=store)).to_dict(), ensure_ascii=False)
    pairs = functools.partial(json.loads, object_pairs_hook=list)  # keys in their order
    assert pairs(res.out) == pairs(expected) and '"observations": [' in res.out


def test_measures_are_those_the_measures_lookup_lists_on_every_indicator(store):
    # progress works its list out from the links alone (indicator-measure-links); the lookup
    # from every link's evidence: the same measures, order, names and bases, kept or live
    from qdgraph.engine.graph import open_graph
    from qdgraph.domain.measures import measures_for
    from qdgraph.domain.progress import progress

    compared = 0
    for kg in (open_graph(store=store), open_graph()):
        for ip in progress(kg).indicators:
            lookup = [{"measure": l.measure, "zh": l.zh, "en": l.en, "basis": l.basis, "stated": l.stated}
                      for l in measures_for(kg, ip.indicator).links]
            assert ip.measures == lookup, ip.indicator
            compared += len(lookup)
    assert compared > 40


def test_a_store_built_before_the_figures_were_kept_gives_the_same_report(store, tmp_path):
    # a store keeping the answers of an older qdgraph (not indicator-figures, nor the links
    # alone): progress reads what it keeps (the figures' rows, the lookup's answers) instead
    import shutil
    import sqlite3

    from qdgraph.engine.graph import open_graph
    from qdgraph.domain.progress import progress
    from qdgraph.storage.generations import ANSWERS_DB, current_generation

    old = shutil.copytree(store, tmp_path / "old")
    db = sqlite3.connect(current_generation(old) / ANSWERS_DB)
    with db:
        db.execute("DELETE FROM queries WHERE query IN ('indicator-figures', 'indicator-measure-links')")
    db.close()
    assert progress(open_graph(store=old)).to_dict() == progress(open_graph(store=store)).to_dict()


def test_an_odd_figure_is_read_as_the_engine_gives_it(tmp_path):
    # a unit given as text (not an IRI) has no one-text figure kept: that indicator's rows are
    # read as indicator-observations gives them, and the report is the files' own
    from progress_fixtures import _observed

    from qdgraph.engine.graph import open_graph
    from qdgraph.domain.progress import progress

    fx = write_fixture(tmp_path)
    extra = tmp_path / "extra.ttl"
    extra.write_text(fx.read_text(encoding="utf-8").split("\nqdr:pt-doc")[0] + "\n"
                     + _observed("gdp", "2024", 7, '"亿元 以上"'), encoding="utf-8")
    res = invoke("load", fx, extra, "--store", tmp_path / "store")
    assert res.code == 0, res
    from_store = progress(open_graph(store=tmp_path / "store")).to_dict()
    assert from_store == progress(open_graph([fx, extra])).to_dict()
    gdp = next(i for i in from_store["indicators"] if i["indicator"] == IND["gdp"])
    assert any("亿元 以上" in n for n in gdp["notes"]) and len(gdp["observations"]) >= 2


@pytest.mark.parametrize("bad", ["7 1", "NaN", "1,5"])
def test_a_value_that_is_no_number_is_left_out_with_a_note(tmp_path, bad):
    """An ill-typed obsValue loads as written ("7 1"^^xsd:decimal): the report leaves it out
    and says so, from a store (its kept figures) as from the files; never an internal error."""
    from progress_fixtures import _observed

    fx = write_fixture(tmp_path)
    extra = tmp_path / "extra.ttl"
    extra.write_text(fx.read_text(encoding="utf-8").split("\nqdr:pt-doc")[0] + "\n"
                     + _observed("gdp", "2024", bad, "qd:HundredMillionYuan"), encoding="utf-8")
    assert invoke("load", fx, extra, "--store", tmp_path / "store").code == 0
    for where in (("--store", tmp_path / "store"), ("--data", fx, "--data", extra, "--only")):
        res = invoke("progress", IND["gdp"], *where, "-F", "json")
        assert res.code == 0, res
        gdp = json.loads(res.out)["indicators"][0]
        assert f"2024: “{bad}” is not a number; left out" in gdp["notes"]
        assert "2024" not in [o["period"] for o in gdp["observations"]] and gdp["observations"]


def test_one_observation_has_a_gap_but_no_pace_and_a_passed_period_is_behind(tmp_path):
    from progress_fixtures import _observed

    from qdgraph.engine.graph import open_graph
    from qdgraph.domain.progress import progress

    fx = write_fixture(tmp_path)
    extra = tmp_path / "extra.ttl"
    extra.write_text(fx.read_text(encoding="utf-8").split("\nqdr:pt-doc")[0] + "\n" + _observed("finance", "2023", 6.5, "unit:PERCENT")
                     + _observed("talent", "2027", 290, "qd:TenThousandPersons"), encoding="utf-8")
    kg = open_graph([fx, extra])
    one = progress(kg, IND["finance"]).indicators[0]
    # one value: its gap is known, so the status does not say "no data" beside it
    assert one.status == "one-value" and "two periods" in one.reason_en and one.gap == pytest.approx(0.5)
    assert one.status_zh == "仅一期数据" and one.status_zh != "数据不足"
    # a value after the target period says nothing about it; the target year has not passed here
    talent = progress(kg, IND["talent"]).indicators[0]
    assert [o.period for o in talent.observations] == ["2021", "2023"]


def test_table_with_sparkline_both_languages(store):
    res = invoke("progress", "--pillar", PILLAR, "--store", store)
    assert res.code == 0, res
    lines = res.out.splitlines()
    assert lines[0].split()[:3] == ["指标", "目标", "最新值"]
    row = next(l for l in lines if l.startswith("样例制造业占比"))
    assert "30%以上（到2026年）" in row and "29%（2023年）" in row and "▁▃▆" in row and "进度正常" in row
    assert "完成省下达任务" in res.out and "相关措施 (1): 样例培育先进制造业 (原文陈述)" in res.out
    en = invoke("progress", "样例人才总量", "--store", store, "--lang", "en")
    assert en.code == 0 and "sample talent pool" in en.out and "behind" in en.out and "样例人才总量" not in en.out.split("\n")[2]


def test_csv_one_row_per_indicator(store):
    res = invoke("progress", "--pillar", PILLAR, "--store", store, "-F", "csv", "--lang", "en")
    assert res.code == 0, res
    rows = list(csv.DictReader(io.StringIO(res.out)))
    assert len(rows) == len(IND)
    talent = next(r for r in rows if r["iri"] == IND["talent"])
    assert (talent["status"], talent["latest_value"], talent["unit"], talent["target_value"]) == (
        "behind", "260", "ten thousand persons", "300")


def test_bad_names_are_one_line_errors(store):
    assert_one_line_error(invoke("progress", "无此指标QQ", "--store", store), 1, "no indicator matches")
    assert_one_line_error(invoke("progress", "样例人才总量", "--pillar", PILLAR, "--store", store), 2, "not both")
    assert_one_line_error(invoke("progress", "--pillar", "无此任务QQ", "--store", store), 1, "pillar")


def test_periods_and_units():
    from qdgraph.engine.graph import open_graph
    from qdgraph.engine.periods import parse_period, period_iri
    from qdgraph.engine.units import UnitError, Units

    assert period_iri("2026") == "https://w3id.org/qdgraph/id/period-2026"
    assert parse_period("2022年3月").key == parse_period("202203").key == "2022-03"
    assert parse_period("2022-03").t == pytest.approx(2022.25) and parse_period("2022").t == 2023
    with pytest.raises(ValueError):
        parse_period("2022-13")
    units = Units.load(open_graph())
    from decimal import Decimal

    assert units.convert(Decimal("1.5"), units.resolve("亿元"), units.resolve("元")) == Decimal("150000000")
    assert units.convert(Decimal("300"), units.resolve("万人"), units.resolve("人")) == Decimal("3000000")
    assert units.convert(Decimal("29.5"), units.resolve("％"), units.resolve("ratio")) == Decimal("0.295")
    with pytest.raises(UnitError):
        units.convert(Decimal(1), units.resolve("家"), units.resolve("%"))
    with pytest.raises(UnitError, match="did you mean|known units"):
        units.resolve("斤")


def test_units_as_the_target_states_them(tmp_path):
    """The bundled target is stored as 3000000 (a bare count) and worded 超过300万人: a value of
    2,600,000 persons is shown as 260万人, its gap as +40万人, all in the target's 万人."""
    from qdgraph.engine.graph import open_graph
    from qdgraph.domain.progress import progress
    from qdgraph.presentation.charts import progress_text

    obs = tmp_path / "talent.ttl"
    obs.write_text(fixture_turtle().split("\nqdr:pt-doc")[0] + """
qdr:h4-obs a qb:Observation ; qd:indicator qdr:indicator-total-talent ; sdmx-dimension:refPeriod qdr:period-2023 ;
  sdmx-measure:obsValue "2600000"^^xsd:decimal ; sdmx-attribute:unitMeasure qd:Persons ; qd:valueKind qd:ObservedValue .
""", encoding="utf-8")
    kg = open_graph([obs])
    stored = kg.query("SELECT ?v WHERE { ?t a qd:Target ; qd:indicator qdr:indicator-total-talent ; sdmx-measure:obsValue ?v }").rows
    [ip] = progress(kg, "indicator-total-talent").indicators
    assert (ip.unit_zh, ip.target.value, ip.latest.value, ip.gap) == ("万人", 300, 260, 40)
    assert float(stored[0]["v"].value) == 300 * 10_000   # the data is unchanged: the display converts it
    row = next(l for l in progress_text(progress(kg, "indicator-total-talent"), "zh").splitlines() if "超过300万人" in l)
    assert "260万人（2023年）" in row and "+40万人" in row and "2,600,000" not in row and "400,000" not in row
    assert "仅一期数据" in row and "数据不足" not in row


def test_percentage_gap_in_points_and_one_source_line(store):
    zh = invoke("progress", "--pillar", PILLAR, "--store", store)
    en = invoke("progress", "--pillar", PILLAR, "--store", store, "--lang", "en")
    assert zh.code == 0 and en.code == 0, (zh, en)
    row = next(l for l in zh.out.splitlines() if l.startswith("样例制造业占比"))
    assert "+1 个百分点" in row and "+1%" not in row      # 29 % → 30 %: one point, not one per cent
    row = next(l for l in en.out.splitlines() if l.startswith("sample manufacturing share"))
    assert "+1 pp" in row and "+1%" not in row
    section = zh.out.split("1. 样例制造业占比")[1].split("\n2. ")[0]
    assert section.count("最新值来源") == 1


def test_chart_axis_spans_the_plan_and_the_data(tmp_path):
    """A target with no data is drawn on the plan's years (2022–2026), not on 1919–2119; values
    with no target on the years of the plan they fall in."""
    import re

    from qdgraph.engine.graph import open_graph
    from qdgraph.domain.progress import progress
    from qdgraph.presentation.charts import chart_svg

    kg = open_graph([write_fixture(tmp_path)])
    for key, years in (("finance", {2022, 2026}), ("manufacturing", {2021, 2026}), ("gdp", {2022, 2026})):
        [ip] = progress(kg, IND[key]).indicators
        ticks = {int(y) for y in re.findall(r">(\d{4})</text>", chart_svg(ip))}
        assert years <= ticks and min(ticks) >= 2021 and max(ticks) <= 2027, (key, ticks)


# ------------------------------------------------------------------ the page
@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    d = tmp_path_factory.mktemp("progress-pages")
    fx = write_fixture(d, hostile=HOSTILE)
    for lang in ("zh", "en"):
        res = invoke("viz", "progress", "--pillar", PILLAR, "--data", fx, "--lang", lang, "-o", d / f"{lang}.html")
        assert res.code == 0, res
    return d


def test_page_is_offline_and_escaped(pages):
    text = (pages / "zh.html").read_text(encoding="utf-8")
    assert "<script" not in text.replace("&lt;script", "")  # no script at all, hostile one escaped
    assert "&lt;img src=x onerror=" in text and "<img" not in text
    assert "javascript:" not in text.replace("javascript:window.__pwned=3</small>", "")  # never a link
    assert "default-src 'none'" in text and "http://" not in text.replace("http://www.w3.org", "")
    assert text.count('<section class="card') == len(IND) and text.count("<svg") >= 6  # --pillar: its indicators
    en = (pages / "en.html").read_text(encoding="utf-8")
    assert "sample talent pool" in en and "behind" in en and 'lang="en"' in en


@pytest.mark.browser
@needs_chromium
def test_page_in_chromium(pages, tmp_path, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors, requests, dialogs = [], [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://")
               else (requests.append(r.request.url), r.abort()))
    page.goto((pages / "zh.html").as_uri())
    page.wait_for_timeout(300)
    card = page.locator(f'section[data-indicator="{IND["manufacturing"]}"]')
    assert card.locator("h2").text_content() == HOSTILE  # shown as text, run as nothing
    rank = page.locator(f'section[data-indicator="{IND["rank"]}"]')
    rank.locator("summary").first.click()  # open the sources: the hostile title is text, not a link
    assert HOSTILE in rank.locator("details").first.text_content()
    assert rank.locator('a[href^="javascript"]').count() == 0
    assert page.evaluate("() => window.__pwned") is None
    assert card.locator(".badge").text_content() == "进度正常"
    box = card.locator("svg.chart").bounding_box()
    assert box and box["width"] > 250 and box["height"] > 120  # the chart is drawn, not empty
    assert card.locator("svg.chart path").count() > 5
    talent = page.locator(f'section[data-indicator="{IND["talent"]}"]')
    assert "超过300万人" in talent.text_content() and "进度滞后" in talent.text_content()
    assert "没有可画的数值" in page.locator(f'section[data-indicator="{IND["energy"]}"]').text_content()
    assert "+1 个百分点" in card.text_content() and "+1%" not in card.text_content()   # points, not per cent
    ticks = page.locator(f'section[data-indicator="{IND["finance"]}"] svg.chart text').all_text_contents()
    years = {int(t) for t in ticks if t.isdigit() and len(t) == 4}
    assert {2022, 2026} <= years and min(years) >= 2021 and max(years) <= 2027   # the plan's years, not 1919–2119
    page.screenshot(path=str(tmp_path / "progress.png"), full_page=True)
    assert (tmp_path / "progress.png").stat().st_size > 20_000
    assert (errors, requests, dialogs) == ([], [], [])
    page.close()


# ------------------------------------------------------------------ served
@pytest.mark.server
def test_served_progress(store, tmp_path):
    from test_server import http, start_qdgraph

    proc, base = start_qdgraph(tmp_path, "--store", str(store))
    try:
        q = urllib.parse.urlencode({"indicator": "样例人才总量"})
        status, headers, body = http("GET", f"{base}/api/progress?{q}")
        assert status == 200 and headers["Content-Type"].startswith("application/json")
        [ip] = json.loads(body)["indicators"]
        assert ip["status"] == "behind" and ip["latest"]["value"] == 260
        q = urllib.parse.urlencode({"pillar": PILLAR, "lang": "en"})
        status, headers, body = http("GET", f"{base}/progress?{q}")
        page = body.decode("utf-8")
        assert status == 200 and headers["Content-Type"].startswith("text/html") and page.count("<section") == len(IND)
        assert "sample talent pool" in page and "<svg" in page
        status, _, body = http("GET", f"{base}/api/progress?indicator=nothing-like-it-qq")
        assert status == 404 and "no indicator matches" in json.loads(body)["error"]
        status, _, _ = http("GET", f"{base}/progress?lang=fr")
        assert status == 400
    finally:
        proc.stop()


def test_an_indicator_without_pillar_gets_none(tmp_path):
    extra = tmp_path / "lone.ttl"
    extra.write_text('@prefix qd: <https://w3id.org/qdgraph/ontology#> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n'
                     '<https://w3id.org/qdgraph/id/pt-lone> a qd:Indicator ; rdfs:label "样例无任务指标"@zh , "sample lone indicator"@en .\n',
                     encoding="utf-8")
    res = invoke("progress", "样例无任务指标", "--data", extra, "-F", "json")
    assert res.code == 0, res
    [ip] = json.loads(res.out)["indicators"]
    assert (ip["pillar"], ip["status"], ip["measures"]) == (None, "no-target", [])


def test_progress_reads_only_kept_answers_and_opens_no_database(store, tmp_path):
    """`progress` on a store (a pillar's indicators, and every one) is answered from the answers
    kept with it and its name index: the database, 20-25 ms to open, stays shut; the report is
    the one the engine gives for the same graph in memory, sources of the latest values too."""
    from qdgraph.domain.progress import progress
    from qdgraph.engine.graph import open_graph

    kg = open_graph(store=store)
    kept = progress(kg).to_dict()
    assert progress(kg, pillar=PILLAR).to_dict()["indicators"]
    assert "_store" not in vars(kg.backend), "progress opened the database"
    assert kept == progress(open_graph(data=[write_fixture(tmp_path)])).to_dict()
    assert any(i["sources"] for i in kept["indicators"])

"""Target wording: Chinese as the source words it, English without Chinese units, and units as
people write them (%, 家, 万人), alike in the CLI and the server's /api/indicators."""
from __future__ import annotations

import re

from qdgraph.domain.wording import indicator_rows

CJK = re.compile(r"[\u3400-\u9fff]")


def test_english_targets_have_no_chinese_and_units_are_written_as_people_do(kg):
    rows = [r for r in indicator_rows(kg) if r["target_zh"]]
    assert len(rows) >= 8
    for r in rows:
        assert not CJK.search(r["target_en"] + r["unit_en"]), r
        assert r["unit_zh"] in ("", "%", "家", "万人", "个", "项", "亿元"), r
        assert ":" not in r["unit_zh"] + r["unit_en"], r  # no QUDT codes such as unit:PERCENT
    by_zh = {r["target_zh"]: r["target_en"] for r in rows}
    assert by_zh["超过300万人"] == "more than 3 million people"
    assert by_zh["30%以上"] == "at least 30%"
    assert by_zh["达到2家"] == "reach 2"
    # every indicator has an English unit where it has a Chinese one (国家制造业创新中心数量: 家)
    assert all(r["unit_en"] for r in rows if r["unit_zh"])


def test_cli_and_measures_use_the_same_words(kg, cli):
    res = cli("indicators", "--lang", "en", env={"COLUMNS": "240"})
    assert res.code == 0, res
    assert "more than 3 million people" in res.out and "万人" not in res.out
    from qdgraph.domain.measures import measures_for

    assert measures_for(kg, "全市人才总量").target["en"] == "more than 3 million people"


def test_listings_wrap_to_the_terminal_width_instead_of_cutting(cli):
    from qdgraph.presentation.formats import text_width

    for args in (["indicators"], ["indicators", "--lang", "en"], ["queries"], ["pillars", "--lang", "en"],
                 ["chains", "--lang", "en"], ["query", "SELECT ?l WHERE { ?s a qd:Measure ; rdfs:label ?l }"]):
        res = cli(*args, env={"COLUMNS": "100"})
        assert res.code == 0, res
        lines = res.out.splitlines()
        assert max(text_width(l) for l in lines) <= 100, args
        if args[0] in ("pillars", "chains") and "en" in args:   # no column left in Chinese
            assert not CJK.search(res.out), args
    wide = cli("queries", env={"COLUMNS": "100"}).out
    assert "rationale" in wide   # a long description wraps onto the next line, it is not cut

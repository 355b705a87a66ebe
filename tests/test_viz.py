"""The HTML pictures, checked as files (the browser tests open them for real).

Expectations about the bundled data come from SPARQL, never from its text.
"""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import networkx as nx
import pytest

from conftest import assert_one_line_error
from conftest_viz import HOSTILE_IMG, HOSTILE_SCRIPT, SAMPLE_NS, write_sample


def payload(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="qdgraph-data">(.*?)</script>', page, re.S)
    assert m, "no data block"
    return json.loads(m.group(1))


class _Refs(HTMLParser):
    """Every attribute or tag that could make the browser fetch something."""

    def __init__(self):
        super().__init__()
        self.refs, self.scripts = [], 0

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1
        for k, v in attrs:
            if k in ("src", "href", "srcset", "poster", "data", "action", "background"):
                self.refs.append((tag, k, v))
        if tag in ("link", "iframe", "object", "embed", "img", "base"):
            self.refs.append((tag, "", ""))


def assert_offline(page: str) -> None:
    refs = _Refs()
    refs.feed(page)
    assert refs.refs == [], refs.refs
    assert refs.scripts == 3  # data, vis-network, page script: nothing injected
    assert "@import" not in page
    urls = re.findall(r"url\(\s*['\"]?([^'\")]{0,12})", page)
    assert all(u.startswith("data:") for u in urls), set(urls)
    assert "connect-src 'none'" in page and "default-src 'none'" in page


def first(kg, sparql):
    rows = kg.query(sparql).rows
    if not rows:
        pytest.skip("the bundled data has nothing for this view yet")
    return rows[0]


def iris(kg, sparql, var="x"):
    return {r[var].value for r in kg.query(sparql).rows}


def node_iris(page):
    return {n["iri"] for n in payload(page)["nodes"]}


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory):
    return write_sample(tmp_path_factory.mktemp("viz-sample"), hostile=True)


# ------------------------------------------------------------------ every view, bundled data
def _viz(cli, tmp_path, *args):
    out = tmp_path / "out.html"
    res = cli("viz", *args, "-o", out)
    assert res.code == 0, res
    assert f"wrote {out}" in res.err
    page = out.read_bytes().decode("utf-8")  # UTF-8, or this raises
    assert_offline(page)
    return page


def test_chain_view(kg, cli, tmp_path):
    row = first(kg, """SELECT ?c ?zh WHERE { ?c a qd:IndustryChain ; rdfs:label ?zh FILTER (lang(?zh) = "zh")
        OPTIONAL { ?e qd:inChain ?c } } GROUP BY ?c ?zh ORDER BY DESC(COUNT(?e)) ?c LIMIT 1""")
    page = _viz(cli, tmp_path, "chain", row["zh"].value)
    members = iris(kg, f"SELECT ?x WHERE {{ ?x qd:inChain <{row['c'].value}> }}")
    data = payload(page)
    assert row["c"].value in node_iris(page) and members <= node_iris(page)
    focus = [n for n in data["nodes"] if n.get("focus")]
    assert [n["iri"] for n in focus] == [row["c"].value]
    assert {t["id"] for t in data["types"]} >= {"qd:IndustryChain"}
    assert f"<title>产业链：{row['zh'].value}</title>" in page


def test_pillar_view_depth_1(kg, cli, tmp_path):
    row = first(kg, """SELECT ?p ?zh WHERE { ?p a qd:Pillar ; rdfs:label ?zh FILTER (lang(?zh) = "zh") } ORDER BY ?p LIMIT 1""")
    page = _viz(cli, tmp_path, "pillar", row["zh"].value, "--depth", "1", "--lang", "en")
    near = iris(kg, f"""SELECT ?x WHERE {{ {{ ?x qd:measuredUnder <{row['p'].value}> }}
                                          UNION {{ ?x qd:onRoadmapOf <{row['p'].value}> }} }}""")
    assert near | {row["p"].value} <= node_iris(page)
    assert payload(page)["lang"] == "en" and '<html lang="en">' in page


def test_enterprise_view(kg, cli, tmp_path):
    row = first(kg, """SELECT ?e ?zh WHERE { ?e a qd:Enterprise ; rdfs:label ?zh FILTER (lang(?zh) = "zh") } ORDER BY ?e LIMIT 1""")
    page = _viz(cli, tmp_path, "enterprise", row["zh"].value)
    chains = iris(kg, f"SELECT ?x WHERE {{ <{row['e'].value}> qd:inChain ?x }}")
    assert chains | {row["e"].value} <= node_iris(page)


def test_indicator_view_has_every_measure_and_the_pillar(kg, cli, tmp_path):
    row = first(kg, """SELECT ?i ?zh WHERE { ?i a qd:Indicator ; rdfs:label ?zh FILTER (lang(?zh) = "zh")
        ?m qd:affects ?i } GROUP BY ?i ?zh ORDER BY DESC(COUNT(?m)) LIMIT 1""")
    page = _viz(cli, tmp_path, "indicator", row["zh"].value, "--layout", "hierarchical")
    wanted = iris(kg, f"""SELECT ?x WHERE {{ {{ ?x qd:affects <{row['i'].value}> }}
                                            UNION {{ <{row['i'].value}> qd:measuredUnder ?x }} }}""")
    assert wanted | {row["i"].value} <= node_iris(page)
    data = payload(page)
    assert data["layout"] == "hierarchical" and all("level" in n for n in data["nodes"])


def test_all_view(kg, cli, tmp_path):
    from qdgraph.nxgraph import to_networkx

    page = _viz(cli, tmp_path, "all")
    total = to_networkx(kg).number_of_nodes()
    data = payload(page)
    assert len(data["nodes"]) == min(total, 2000) and data["total"] == total


def test_query_view(kg, cli, tmp_path):
    q = tmp_path / "chains.rq"
    q.write_text("CONSTRUCT { ?e qd:inChain ?c } WHERE { ?e qd:inChain ?c }", encoding="utf-8")
    page = _viz(cli, tmp_path, "query", q)
    ends = iris(kg, "SELECT ?x WHERE { { ?x qd:inChain ?c } UNION { ?e qd:inChain ?x } }")
    assert node_iris(page) == ends
    assert len(payload(page)["edges"]) == len(kg.query("SELECT * WHERE { ?e qd:inChain ?c }").rows)


# ------------------------------------------------------------------ hostile text
def test_hostile_labels_are_data_not_markup(sample_files):
    from qdgraph.graph import open_graph
    from qdgraph.viz import render

    kg = open_graph(sample_files)
    for kind, name in (("chain", "样例虚拟现实"), ("enterprise", "window.__pwned=1"), ("all", None)):
        page = render(kg, kind, name, title="<b>标题</b> </title><script>x</script>")
        assert_offline(page)
        assert HOSTILE_IMG not in page and "<img" not in page
        assert HOSTILE_SCRIPT not in page and "</script><script>" not in page
        assert "&lt;b&gt;标题&lt;/b&gt;" in page
        nodes = {n["iri"]: n for n in payload(page)["nodes"]}
        evil = nodes[SAMPLE_NS + "evil"]
        assert HOSTILE_IMG in evil["tip"] and HOSTILE_SCRIPT in evil["tip"]  # kept whole, as text


def test_script_json_escapes_markup():
    from qdgraph.viz.page import script_json

    text = script_json({"a": "</script><!-- & -->"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script><!-- & -->"}


# ------------------------------------------------------------------ big graphs
def synthetic(n: int) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph(vocab={"qd:Enterprise": {"zh": "企业", "en": "enterprise"}})
    for i in range(n):
        g.add_node(f"urn:x:{i}", type="qd:Enterprise", label=f"企业{i}", zh=f"企业{i}")
    for i in range(1, n):
        g.add_edge(f"urn:x:{i}", f"urn:x:{(i * 7) % i}", key="qd:inChain", rel="qd:inChain", label="所属")
    return g


def test_big_graph_is_capped_and_says_so():
    from qdgraph.viz import build_page

    g = synthetic(2500)
    g.graph["focus"] = "urn:x:2499"
    data = payload(build_page(g, title="big", max_nodes=2000))
    assert len(data["nodes"]) == 2000 and data["hidden"] == 500
    assert "2500" in data["notice"] and "2000" in data["notice"]
    assert "urn:x:2499" in {n["iri"] for n in data["nodes"]}
    assert not data["edgeLabels"]
    small = payload(build_page(synthetic(10), title="small"))
    assert small["notice"] is None and small["edgeLabels"]


# ------------------------------------------------------------------ errors
def test_viz_errors_are_one_line(cli, tmp_path, sample_files):
    data = [a for f in sample_files for a in ("--data", f)]
    res = cli("viz", "chain", "zzqqxx虚拟", *data, "-o", tmp_path / "x.html")
    assert_one_line_error(res, 1, "no chain matches")
    assert_one_line_error(cli("viz", "chain", *data), 2, "needs a NAME")
    assert_one_line_error(cli("viz", "all", "extra"), 2, "takes no name")
    sel = tmp_path / "sel.rq"
    sel.write_text("SELECT * WHERE { ?s ?p ?o } LIMIT 1", encoding="utf-8")
    assert_one_line_error(cli("viz", "query", sel, "-o", tmp_path / "q.html"), 2, "CONSTRUCT")
    assert_one_line_error(cli("viz", "query", tmp_path / "missing.rq"), 1, "no such file")
    assert_one_line_error(cli("viz", "all", "-o", tmp_path / "no" / "dir.html"), 1, "does not exist")
    assert not (tmp_path / "x.html").exists()


def test_default_output_name(cli, tmp_path, sample_files):
    res = cli("viz", "chain", "样例虚拟现实", "--data", sample_files[0], cwd=tmp_path)
    assert res.code == 0, res
    assert (tmp_path / "qdgraph-chain.html").is_file()
    assert not (tmp_path / "lib").exists()  # pyvis would have written lib/ here


# ------------------------------------------------------------------ a chain with thousands of enterprises
def big_chain_turtle(n: int) -> str:
    """One chain with ``n`` enterprises hanging only on it, plus one enterprise that is also in
    the sample chain (so it is no leaf and must stay on the page)."""
    from conftest_viz import PREFIXES

    lines = [PREFIXES, 'qdr:big-chain a qd:IndustryChain ; rdfs:label "样例万家产业链"@zh , "sample big chain"@en .',
             'qdr:big-both a qd:Enterprise ; rdfs:label "样例两链企业"@zh ; qd:inChain qdr:big-chain , qdr:chain .']
    lines += [f'qdr:big-e{i:05d} a qd:Enterprise ; rdfs:label "样例大链企业{i:05d}"@zh ; qd:inChain qdr:big-chain .'
              for i in range(n)]
    return "\n".join(lines) + "\n"


def test_chain_with_thousands_of_enterprises_is_grouped(cli, tmp_path, sample_files):
    from qdgraph.viz import GROUP_OVER
    from qdgraph.viz.cluster import GROUP_SHOW

    big = tmp_path / "big.ttl"
    big.write_text(big_chain_turtle(3000), encoding="utf-8")
    data = ["--data", sample_files[0], "--data", big]
    page = _viz(cli, tmp_path, "chain", "样例万家产业链", *data)
    d = payload(page)
    nodes = {n["iri"]: n for n in d["nodes"]}
    groups = [n for n in d["nodes"] if n.get("group")]
    # a few members, one "N more" node standing for the rest, and the page says so
    assert len(groups) == 1 and groups[0]["group"] == 3000 - GROUP_SHOW
    assert d["grouped"] == 3000 - GROUP_SHOW and d["groups"] == 1 and d["hidden"] == 0
    assert f"{3000 - GROUP_SHOW:,}" in d["notice"] and "汇总节点" in d["notice"]
    assert f"{3000 - GROUP_SHOW:,}" in groups[0]["label"] and "样例大链企业" in groups[0]["tip"]
    members = [n for n in nodes if "/sample/big-e" in n]
    assert sorted(members) == [f"{SAMPLE_NS}big-e{i:05d}" for i in range(GROUP_SHOW)]  # the first, by IRI
    # the enterprise in two chains is no leaf: drawn on its own, with the other chain
    assert SAMPLE_NS + "big-both" in nodes and SAMPLE_NS + "chain" in nodes
    focus = [n for n in d["nodes"] if n.get("focus")]
    assert [n["iri"] for n in focus] == [SAMPLE_NS + "big-chain"]
    # the group node is linked to the chain like its members, with the count on the edge
    ids = {n["id"]: n["iri"] for n in d["nodes"]}
    to_group = [e for e in d["edges"] if ids[e["from"]] == groups[0]["iri"]]
    assert [ids[e["to"]] for e in to_group] == [SAMPLE_NS + "big-chain"] and "×" in to_group[0]["label"]
    # small whatever the chain's size: the picture does not grow with the members
    assert len(d["nodes"]) <= GROUP_SHOW + 20 and len(page.encode("utf-8")) < 1_200_000
    assert GROUP_OVER >= GROUP_SHOW

    # --group-over moves the threshold; past it nothing is grouped (and the page stays quiet)
    page = _viz(cli, tmp_path, "chain", "样例万家产业链", "--group-over", "5000", "--max-nodes", "5000",
                "--lang", "en", *data)
    d = payload(page)
    assert d["groups"] == 0 and d["notice"] is None and len(d["nodes"]) == d["total"] > 3000


def test_group_leaves_library():
    from qdgraph.viz.cluster import find_groups

    types = {"c": "qd:IndustryChain", "d": "qd:IndustryChain", **{f"e{i}": "qd:Enterprise" for i in range(10)}}
    links = [(f"e{i}", "qd:inChain", "c") for i in range(10)] + [("e0", "qd:inChain", "d")]
    (grp,) = find_groups(types, links, over=5, show=3)
    assert grp.anchor == "c" and grp.shown == ["e1", "e2", "e3"] and grp.hidden == [f"e{i}" for i in range(4, 10)]
    assert grp.links == (("qd:inChain", True),)
    assert find_groups(types, links, over=9, show=3) == []
    assert find_groups(types, links, over=5, show=3, protect={f"e{i}" for i in range(5)}) == []

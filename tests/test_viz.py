"""The HTML pictures (built through pyvis), checked as files (the browser tests open them for real).

Expectations about the bundled data come from SPARQL, never from its text.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser

import networkx as nx
import pytest

from conftest import assert_one_line_error
from conftest_viz import HOSTILE_IMG, HOSTILE_SCRIPT, SAMPLE_NS, write_sample


def payload(page: str) -> dict:
    """The page's data block: pyvis's nodes, edges and options, with the page's own fields
    (legends, notice, counts …) lifted to the top level."""
    m = re.search(r'<script type="application/json" id="qdgraph-data">(.*?)</script>', page, re.S)
    assert m, "no data block"
    data = json.loads(m.group(1))
    meta = data.pop("page")
    types = next(sec["items"] for sec in meta["legends"] if sec["key"] == "type")
    return {**meta, **data, "types": types}


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
    # every inline script is allowed by its exact hash (a dropped final newline would break it)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)
    allowed = set(re.findall(r"'(sha256-[^']+)'", csp))
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(scripts) == 2 and {"sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()
                                  for s in scripts} == allowed


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


def test_chain_view_shows_the_chain_not_the_pillar(kg):
    """"Show me the 虚拟现实 chain": the chain, its enterprises and platforms (or their group),
    the measures naming it — and no pillar or indicator reached through one of those measures."""
    from qdgraph.presentation.viz import render

    rows = kg.query("""SELECT ?c ?zh WHERE { ?c a qd:IndustryChain ; rdfs:label ?zh FILTER (lang(?zh) = "zh")
        ?m qd:concerns ?c } GROUP BY ?c ?zh ORDER BY ?c LIMIT 3""").rows
    if not rows:
        pytest.skip("no measure names a chain in the bundled data")
    for row in rows:
        chain = row["c"].value
        data = payload(render(kg, "chain", row["zh"].value))
        shown = {n["iri"] for n in data["nodes"]}
        types = {n["type"] for n in data["nodes"]}
        assert not types & {"qd:Pillar", "qd:Indicator"}, (row["zh"].value, types)
        assert iris(kg, f"SELECT ?x WHERE {{ ?x qd:concerns <{chain}> }}") <= shown
        members = iris(kg, f"SELECT ?x WHERE {{ ?x qd:inChain <{chain}> }}")
        grouped = sum(n.get("members", 0) for n in data["nodes"])
        assert len(members & shown) + grouped == len(members)
        assert data["subtitle"].startswith("该产业链")


_RAW = re.compile(r"^(?:[a-z][\w-]*:\S|member|subject|broader|inScheme|about)")


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize("kind", ["chain", "pillar", "indicator", "enterprise", "all"])
def test_zh_pictures_name_relations_and_types_in_chinese(kg, kind):
    """In a Chinese picture every relation and type is named in Chinese (the ontology's
    rdfs:label@zh, ontology/terms.ttl for reused terms): never member, broader, qb:Observation."""
    from qdgraph.presentation.viz import render

    names = {"chain": "虚拟现实", "enterprise": "卡奥斯"}
    if kind in ("pillar", "indicator"):
        cls = "qd:Pillar" if kind == "pillar" else "qd:Indicator"
        names[kind] = first(kg, f"""SELECT ?zh WHERE {{ ?x a {cls} ; rdfs:label ?zh FILTER (lang(?zh) = "zh") }}
                                   ORDER BY ?x LIMIT 1""")["zh"].value
    data = payload(render(kg, kind, names.get(kind)))
    relations = {e["title"].split("\n")[0] for e in data["edges"]} | {e["label"] for e in data["edges"] if e.get("label")}
    types = {t["label"] for sec in data["legends"] for t in sec["items"]} | {l["label"] for l in data["links"]}
    assert relations and types
    english = sorted(x for x in relations | types if not _cjk(x) or _RAW.match(x))
    assert english == []


def test_names_hold_from_one_picture_to_the_next(kg):
    """The whole-graph pictures share one cached projection: the second one drawn in a process
    (rank after path, all after rank) names its relations in Chinese too."""
    from qdgraph.presentation.viz import render

    pair = [r["zh"].value for r in kg.query("""SELECT ?zh WHERE { { SELECT ?e WHERE { ?e a qd:Enterprise ; qd:inChain ?c }
        ORDER BY ?e LIMIT 1 } UNION { SELECT ?e WHERE { ?e a qd:Indicator } ORDER BY ?e LIMIT 1 }
        ?e rdfs:label ?zh FILTER (lang(?zh) = "zh") }""").rows]
    for kind, name in (("path", tuple(pair)), ("rank", None), ("all", None)):
        data = payload(render(kg, kind, name))
        relations = {e["title"].split("\n")[0] for e in data["edges"]}
        assert sorted(x for x in relations if not _cjk(x)) == [], kind


def test_link_strength_drawn_from_each_links_basis(kg):
    """Edge width and dash follow the claim's basis (stated > same object > hierarchy), and a
    roadmap link is faint and unlabelled; checked against the claims in the graph."""
    from qdgraph.presentation.viz import render
    from qdgraph.presentation.viz.style import BASIS_STYLES

    row = first(kg, """SELECT ?zh WHERE { ?p a qd:Pillar ; rdfs:label ?zh FILTER (lang(?zh) = "zh") } ORDER BY ?p LIMIT 1""")
    data = payload(render(kg, "pillar", row["zh"].value, depth=1))
    iri = {n["id"]: n["iri"] for n in data["nodes"]}
    by = {}
    for e in data["edges"]:
        by.setdefault(e["strength"], []).append(e)
    assert "qd:Stated" in by and len(by) >= 3, sorted(by)
    widths = [BASIS_STYLES[k]["width"] for k in ("qd:Stated", "qd:InferredFromSubject", "qd:InferredFromHierarchy",
                                                  "qd:InferredFromRoadmap")]
    assert widths == sorted(widths, reverse=True)
    for e in by["qd:Stated"][:20]:
        assert e["width"] == BASIS_STYLES["qd:Stated"]["width"] and not e.get("dashes")
        from qdgraph.namespaces import expand

        ask = kg.query(f"""ASK {{ ?c a qd:Claim ; rdf:subject <{iri[e['from']]}> ; rdf:predicate <{expand(e['rel'])}> ;
                                  rdf:object <{iri[e['to']]}> ; qd:basis qd:Stated }}""")
        assert ask.value is True, e
    for e in by.get("qd:InferredFromRoadmap", []):
        assert "label" not in e and e["color"]["opacity"] < 0.5 and e["dashes"]
    assert {l["key"] for l in data["links"]} == set(by)


def test_english_labels_wrap_instead_of_being_cut(kg):
    from qdgraph.presentation.viz import render

    row = first(kg, """SELECT ?zh WHERE { ?i a qd:Indicator ; rdfs:label ?zh FILTER (lang(?zh) = "zh")
        ?m qd:affects ?i } GROUP BY ?zh ORDER BY ?zh LIMIT 1""")
    data = payload(render(kg, "indicator", row["zh"].value, lang="en", layout="hierarchical"))
    en = iris(kg, "SELECT ?x WHERE { ?e a qd:Measure ; rdfs:label ?x FILTER (lang(?x) = 'en') }")
    labels = [n["label"] for n in data["nodes"] if n["type"] == "qd:Measure"]
    whole = [l for l in labels if l in en]
    assert whole and max(len(l.split()) for l in whole) >= 6   # six words and more, not 2–3 and "…"
    assert all(len(l.rstrip("…").split()) >= 6 for l in labels if l.endswith("…"))
    assert data["options"]["nodes"]["widthConstraint"]["maximum"] <= 200


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
    from qdgraph.domain.nxgraph import to_networkx

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
    from qdgraph.engine.graph import open_graph
    from qdgraph.presentation.viz import render

    kg = open_graph(sample_files)
    for kind, name in (("chain", "样例虚拟现实"), ("enterprise", "window.__pwned=1"), ("all", None)):
        page = render(kg, kind, name, title="<b>标题</b> </title><script>x</script>")
        assert_offline(page)
        assert HOSTILE_IMG not in page and "<img" not in page
        assert HOSTILE_SCRIPT not in page and "</script><script>" not in page
        assert "&lt;b&gt;标题&lt;/b&gt;" in page
        nodes = {n["iri"]: n for n in payload(page)["nodes"]}
        evil = nodes[SAMPLE_NS + "evil"]
        assert HOSTILE_IMG in evil["title"] and HOSTILE_SCRIPT in evil["title"]  # kept whole, as text


def test_script_json_escapes_markup():
    from qdgraph.presentation.viz.page import script_json

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
    from qdgraph.presentation.viz import build_page

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
    from qdgraph.presentation.viz import GROUP_OVER
    from qdgraph.presentation.viz.cluster import GROUP_SHOW

    big = tmp_path / "big.ttl"
    big.write_text(big_chain_turtle(3000), encoding="utf-8")
    data = ["--data", sample_files[0], "--data", big]
    page = _viz(cli, tmp_path, "chain", "样例万家产业链", *data)
    d = payload(page)
    nodes = {n["iri"]: n for n in d["nodes"]}
    groups = [n for n in d["nodes"] if n.get("members")]
    # a few members, one "N more" node standing for the rest, and the page says so
    assert len(groups) == 1 and groups[0]["members"] == 3000 - GROUP_SHOW
    assert d["grouped"] == 3000 - GROUP_SHOW and d["groups"] == 1 and d["hidden"] == 0
    assert f"{3000 - GROUP_SHOW:,}" in d["notice"] and "汇总节点" in d["notice"]
    assert f"{3000 - GROUP_SHOW:,}" in groups[0]["label"] and "样例大链企业" in groups[0]["title"]
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
    from qdgraph.presentation.viz.cluster import find_groups

    types = {"c": "qd:IndustryChain", "d": "qd:IndustryChain", **{f"e{i}": "qd:Enterprise" for i in range(10)}}
    links = [(f"e{i}", "qd:inChain", "c") for i in range(10)] + [("e0", "qd:inChain", "d")]
    (grp,) = find_groups(types, links, over=5, show=3)
    assert grp.anchor == "c" and grp.shown == ["e1", "e2", "e3"] and grp.hidden == [f"e{i}" for i in range(4, 10)]
    assert grp.links == (("qd:inChain", True),)
    assert find_groups(types, links, over=9, show=3) == []
    assert find_groups(types, links, over=5, show=3, protect={f"e{i}" for i in range(5)}) == []


# ------------------------------------------------------------------ issue 11: through pyvis; NetworkX results
def test_page_is_rendered_by_pyvis_with_its_vis_network(cli, tmp_path, sample_files):
    from importlib import resources

    page = _viz(cli, tmp_path, "chain", "样例虚拟现实", "--data", sample_files[0])
    vis_js = resources.files("pyvis").joinpath("lib/vis-9.1.2/vis-network.min.js").read_text(encoding="utf-8")
    assert f"<script>{vis_js}</script>" in page
    assert '<meta name="generator" content="qdgraph (pyvis)">' in page
    data = payload(page)
    assert data["options"]["physics"]["solver"] == "barnesHut"      # given through Network.set_options
    assert all(e["arrows"] == "to" for e in data["edges"])         # pyvis's directed Network marks each edge
    assert 'id="qd-png"' in page


def _page_neighbours(data) -> dict[int, set]:
    out = {n["id"]: set() for n in data["nodes"]}
    for e in data["edges"]:
        if e["from"] != e["to"]:
            out[e["from"]].add(e["to"])
            out[e["to"]].add(e["from"])
    return out


def test_size_degree_is_each_nodes_links_in_the_picture(cli, tmp_path, sample_files):
    page = _viz(cli, tmp_path, "chain", "样例虚拟现实", "--data", sample_files[0], "--size", "degree")
    data = payload(page)
    nbrs = _page_neighbours(data)
    assert {n["id"]: n["value"] for n in data["nodes"]} == {i: len(ns) for i, ns in nbrs.items()}
    assert data["options"]["nodes"]["scaling"]["max"] > data["options"]["nodes"]["scaling"]["min"]
    assert any("度" in note for note in data["notes"])


@pytest.mark.parametrize("measure", ["betweenness", "pagerank"])
def test_size_measures_pick_the_hub(sample_files, measure):
    """In the sample chain's picture the chain lies on most shortest paths and most arrows lead
    to it; an enterprise leaf lies on no path (betweenness 0) but still has a PageRank."""
    from qdgraph.engine.graph import open_graph
    from qdgraph.presentation.viz import render

    data = payload(render(open_graph(sample_files), "chain", "样例虚拟现实", size=measure, lang="en"))
    ranked = sorted(data["nodes"], key=lambda n: -n["value"])
    assert ranked[0]["iri"] == SAMPLE_NS + "chain" and ranked[0]["value"] > ranked[1]["value"]
    leaf = next(n for n in data["nodes"] if n["iri"] == SAMPLE_NS + "goertek")
    assert (leaf["value"] == 0) == (measure == "betweenness")


def test_path_view_highlights_every_shortest_path(kg):
    """A pair the bundled graph joins by several shortest paths (found here with NetworkX
    directly): every node of every one is on the page and marked, their links are red, and
    each marked node's neighbours are there as context."""
    from qdgraph.domain.nxgraph import to_networkx
    from qdgraph.domain.nxwalks import undirected
    from qdgraph.presentation.viz import render

    g = to_networkx(kg)
    h = undirected(g)
    ends = sorted(n for n, d in g.nodes(data=True) if d["type"] in ("qd:Enterprise", "qd:Indicator"))
    pair = paths = None
    for a in ends:
        for b in ends:
            if a < b and nx.has_path(h, a, b):
                found = list(nx.all_shortest_paths(h, a, b))
                if len(found) >= 2:
                    pair, paths = (a, b), found
                    break
        if pair:
            break
    if not pair:
        pytest.skip("no pair with several shortest paths in the bundled data")
    data = payload(render(kg, "path", pair))
    by_iri = {n["iri"]: n for n in data["nodes"]}
    on = {n for p in paths for n in p}
    assert {iri for iri, n in by_iri.items() if n.get("onPath")} == on
    red = {frozenset((data["nodes"][e["from"]]["iri"], data["nodes"][e["to"]]["iri"]))
           for e in data["edges"] if e.get("width") == 3}
    assert red == {frozenset(step) for p in paths for step in zip(p, p[1:])}
    assert all(by_iri[n].get("opacity") is None for n in on)
    assert any(n.get("opacity") for n in data["nodes"])           # context, faded
    assert f"{len(paths)}" in data["subtitle"] and f"{len(paths[0]) - 1} 步" in data["subtitle"]


def test_path_view_cli_sample(cli, tmp_path, sample_files):
    page = _viz(cli, tmp_path, "path", "样例歌尔", "样例人才总量", "--data", sample_files[0], "--lang", "en")
    data = payload(page)
    on = [n["iri"].rsplit("/", 1)[1] for n in data["nodes"] if n.get("onPath")]
    assert sorted(on) == ["chain", "goertek", "indicator", "measure"]
    assert "sample Goertek — sample talent pool" in page and "3 hop(s), 1 shortest path(s)" in page


def test_rank_view_draws_the_most_central_and_what_links_them(kg, cli, tmp_path):
    from qdgraph.domain.nxgraph import to_networkx
    from qdgraph.domain.nxwalks import undirected

    g = to_networkx(kg)
    h = undirected(g)
    between = nx.betweenness_centrality(h)
    measures = sorted((n for n, d in g.nodes(data=True) if d["type"] == "qd:Measure"),
                      key=lambda n: (-between[n], -h.degree(n)))
    if len(measures) < 5:
        pytest.skip("the bundled data has fewer than 5 measures")
    data = payload(_viz(cli, tmp_path, "rank", "--type", "Measure", "--top", "5"))
    ranked = sorted((n for n in data["nodes"] if re.match(r"\d+\. ", n["label"])), key=lambda n: int(n["label"].split(".")[0]))
    assert [n["iri"] for n in ranked] == measures[:5]
    assert [round(n["value"], 4) for n in ranked] == [round(between[m], 4) for m in measures[:5]]
    top = {n["id"] for n in ranked}
    nbrs = _page_neighbours(data)
    for n in data["nodes"]:
        if n["id"] not in top:  # a bridge: linked to two or more of the ranked
            assert len(nbrs[n["id"]] & top) >= 2, n["label"]
    assert data["size"] == "betweenness"


def test_community_colouring_of_the_whole_graph(kg, cli, tmp_path):
    page = _viz(cli, tmp_path, "all", "--color", "community")
    data = payload(page)
    legend = next(sec for sec in data["legends"] if sec["key"] == "community")
    parts: dict[int, set] = {}
    for n in data["nodes"]:
        parts.setdefault(n["community"], set()).add(n["id"])
    assert sum(item["count"] for item in legend["items"]) == len(data["nodes"])
    assert {item["id"] for item in legend["items"]} == set(parts)
    # the split is a real community structure of what is drawn, not a colouring by type
    h = nx.Graph()
    h.add_nodes_from(n["id"] for n in data["nodes"])
    h.add_edges_from((e["from"], e["to"]) for e in data["edges"] if e["from"] != e["to"])
    assert nx.community.modularity(h, parts.values()) > 0.3
    colours = {n["community"]: data["options"]["groups"][n["group"]]["color"]["background"] for n in data["nodes"]}
    assert len(set(colours.values())) == len(colours)


def test_new_view_errors_are_one_line(cli, tmp_path, sample_files):
    data = ["--data", sample_files[0]]
    assert_one_line_error(cli("viz", "path", "样例歌尔", *data), 2, "two names")
    assert_one_line_error(cli("viz", "path", "样例歌尔", "zzqqxx", *data, "-o", tmp_path / "p.html"), 1, "zzqqxx")
    assert_one_line_error(cli("viz", "path", "样例歌尔", "样例孤立企业", *data, "-o", tmp_path / "p.html"), 1,
                          "nothing connects")
    assert_one_line_error(cli("viz", "rank", "extra"), 2, "takes no name")
    assert_one_line_error(cli("viz", "rank", "--type", "Nonsense", *data, "-o", tmp_path / "p.html"), 1,
                          "no entity type")
    assert_one_line_error(cli("viz", "chain", "样例虚拟现实", "--top", "3", *data), 2, "for viz rank")
    assert not (tmp_path / "p.html").exists()


def test_lookups_import_neither_pyvis_nor_ipython(tmp_path):
    """measures and show (CLI and library) leave pyvis and IPython unimported; viz imports pyvis
    (so this test would notice the check going blind) but not the IPython pyvis imports for
    notebooks (0.5-0.7 s of every picture), and a notebook importing IPython afterwards in the
    same process gets the real module, in pyvis too."""
    import subprocess
    import sys

    from conftest import ROOT

    code = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from qdgraph.interfaces.cli import run
import qdgraph
heavy = lambda: sorted({{m.split(".")[0] for m in sys.modules}} & {{"pyvis", "IPython"}})
assert run(["measures", "人才总量"]) == 0 and run(["show", "歌尔"]) == 0
qdgraph.measures_for(qdgraph.open(), "人才总量")
print("lookups:", heavy())
assert run(["viz", "chain", "虚拟现实", "-o", {str(tmp_path / "v.html")!r}]) == 0
print("viz:", heavy())
import IPython.display, pyvis.network
print("later:", IPython.display.IFrame.__module__, type(pyvis.network.IFrame("v.html", 1, 1)).__module__)
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "lookups: []" in res.stdout and "viz: ['pyvis']" in res.stdout
    assert "later: IPython.lib.display IPython.lib.display" in res.stdout


def test_picture_object_saves_and_prints_its_page(sample_files, tmp_path):
    from qdgraph.engine.graph import open_graph
    from qdgraph.presentation.viz import picture

    pic = picture(open_graph(sample_files), "rank", types=["Enterprise"], lang="en")
    assert pic.title == "The most central entities" and str(pic) == pic.html
    out = pic.save(tmp_path / "rank.html")
    assert out.read_text(encoding="utf-8") == pic.html
    assert_offline(pic.html)
    with pytest.raises(Exception, match="does not exist"):
        pic.save(tmp_path / "missing" / "rank.html")
    assert not (tmp_path / "missing").exists()


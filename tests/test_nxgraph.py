"""The NetworkX projection, and the path / rank commands built on it.

Facts about the bundled data are derived from the graph with SPARQL (the data is still being
written); facts about the small sample in conftest_viz are hard-coded.
"""
from __future__ import annotations

import csv
import io
import json

import networkx as nx
import pytest

from conftest import assert_one_line_error
from conftest_viz import SAMPLE_NS, write_sample

S = SAMPLE_NS

ENTITY_COUNT = """SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {
  ?e a ?t . FILTER (isIRI(?e) && STRSTARTS(STR(?e), "https://w3id.org/qdgraph/id/"))
  FILTER NOT EXISTS { ?e a ?p VALUES ?p { qd:Quote qd:Claim qd:SourceDocument qd:Rule qd:Verdict qd:RejectedReading time:ProperInterval
                                          time:DurationDescription qb:DataSet skos:ConceptScheme } } }"""


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory):
    return write_sample(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def sample_kg(sample_files):
    """The ontology and the sample only: every count below is known exactly."""
    from qdgraph import paths
    from qdgraph.engine.graph import open_graph

    return open_graph([paths.ONTOLOGY, *sample_files], bundled=False)


@pytest.fixture(scope="module")
def sample_g(sample_kg):
    from qdgraph.domain.nxgraph import to_networkx

    return to_networkx(sample_kg)


@pytest.fixture(scope="module")
def bundled_g(kg):
    from qdgraph.domain.nxgraph import to_networkx

    return to_networkx(kg)


# ------------------------------------------------------------------ projection
def test_a_stores_projection_is_made_once_per_generation(sample_files, tmp_path):
    from qdgraph.domain.nxgraph import to_networkx
    from qdgraph.engine.graph import open_graph
    from qdgraph.storage.build import build_store

    build_store(tmp_path / "s", sample_files, bundled=False)
    first = to_networkx(open_graph(store=tmp_path / "s"))
    first.remove_node(S + "pico")  # a caller's change stays in its copy
    again = to_networkx(open_graph(store=tmp_path / "s"))
    assert S + "pico" in again and again is not first
    extra = tmp_path / "extra.ttl"
    extra.write_text(f'<{S}newco> a <https://w3id.org/qdgraph/ontology#Enterprise> .\n', encoding="utf-8")
    build_store(tmp_path / "s", [*sample_files, extra], bundled=False, force=True)  # a new generation
    assert S + "newco" in to_networkx(open_graph(store=tmp_path / "s"))


def test_sample_nodes_are_entities_with_labels_and_facts(sample_g):
    g = sample_g
    assert isinstance(g, nx.MultiDiGraph)
    assert set(g.nodes) == {S + n for n in ("pillar", "indicator", "target", "measure", "submeasure", "chain",
                                             "goertek", "pico", "loner")}
    assert g.nodes[S + "goertek"]["type"] == "qd:Enterprise"
    assert g.nodes[S + "goertek"]["zh"] == "样例歌尔" and g.nodes[S + "goertek"]["en"] == "sample Goertek"
    t = g.nodes[S + "target"]
    assert t["obsValue"] == 300 and t["refPeriod"] == "2026" and t["statedAs"] == "超过300万人"
    assert t["unitMeasure"] == "unit:NUM"
    assert g.nodes[S + "measure"]["quote"] == "壮大新能源汽车、高端化工、虚拟现实等产业规模。"
    assert g.nodes[S + "indicator"]["notation"] == "I12"


def test_literals_quotes_and_claims_are_attributes_not_nodes(sample_kg, sample_g):
    literals = {r["o"].value for r in sample_kg.query("SELECT ?o WHERE { ?s ?p ?o FILTER isLiteral(?o) }").rows}
    assert not literals & set(sample_g.nodes)
    provenance = {r["x"].value for r in sample_kg.query(
        "SELECT ?x WHERE { ?x a ?t VALUES ?t { qd:Quote qd:SourceDocument } }").rows}
    assert provenance and not provenance & set(sample_g.nodes)
    assert all(isinstance(n, str) and n.startswith("https://") for n in sample_g.nodes)
    assert not any(n.startswith("https://w3id.org/qdgraph/ontology") for n in sample_g.nodes)


def test_edges_are_typed_with_labels_basis_and_evidence(sample_g):
    g = sample_g
    edges = {(u, v, k) for u, v, k in g.edges(keys=True)}
    assert (S + "goertek", S + "chain", "qd:inChain") in edges
    assert (S + "target", S + "indicator", "qd:indicator") in edges
    # the same-roadmap rule gives context, not an effect (issue 20): its own relation
    d = g.edges[S + "measure", S + "indicator", "qd:sameRoadmapAs"]
    assert d["rel_zh"] == "同属一项任务（背景）" and d["rel_en"] == "shares the pillar (context)"
    assert d["basis"] == "qd:InferredFromRoadmap" and d["inferred"] is True
    # derived by the roadmap rule: its evidence is one of its premises' sentences
    assert d["evidence"] in ("壮大新能源汽车、高端化工、虚拟现实等产业规模。", "打造协同发展标杆，在产业生态培育营造上走在前列。")
    stated = g.edges[S + "goertek", S + "chain", "qd:inChain"]
    assert stated["basis"] == "qd:Stated" and stated["inferred"] is False
    for *_, k, d in g.edges(keys=True, data=True):
        assert k == d["rel"] and d["rel_zh"] and d["rel_en"]


def test_english_projection_labels(sample_kg):
    from qdgraph.domain.nxgraph import to_networkx

    g = to_networkx(sample_kg, lang="en")
    assert g.nodes[S + "chain"]["label"] == "sample virtual reality"
    assert g.edges[S + "goertek", S + "chain", "qd:inChain"]["label"] == "in chain"


def test_bundled_counts_match_sparql(kg, bundled_g):
    g = bundled_g
    assert g.number_of_nodes() == int(kg.query(ENTITY_COUNT).rows[0]["n"].value)
    links = kg.query("""SELECT (COUNT(*) AS ?n) WHERE {
        SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o . FILTER (isIRI(?s) && isIRI(?o) && ?p NOT IN (rdf:type, prov:wasDerivedFrom, qd:evidence, qd:premise, qd:derivedBy)) } }""")
    # every IRI→IRI triple between two entities is one edge (others point at vocabulary)
    between = sum(1 for r in kg.query("""SELECT ?s ?o WHERE { ?s ?p ?o .
        FILTER (isIRI(?s) && isIRI(?o) && ?p NOT IN (rdf:type, prov:wasDerivedFrom, qd:evidence, qd:premise, qd:derivedBy)) }""").rows
                  if r["s"].value in g and r["o"].value in g)
    assert g.number_of_edges() == between <= int(links.rows[0]["n"].value)
    claims = kg.query("SELECT (COUNT(*) AS ?n) WHERE { [] a qd:Claim ; qd:basis ?b }").rows[0]["n"]
    with_basis = sum(1 for *_, d in g.edges(data=True) if d["basis"])
    assert with_basis <= int(claims.value)


def test_bundled_chain_enterprises_are_linked(kg, bundled_g):
    rows = kg.query("SELECT ?e ?c WHERE { ?e a qd:Enterprise ; qd:inChain ?c }").rows
    if not rows:
        pytest.skip("the bundled data names no enterprise in a chain yet")
    for r in rows:
        assert bundled_g.has_edge(r["e"].value, r["c"].value, "qd:inChain")
        assert bundled_g.nodes[r["e"].value]["type"] == "qd:Enterprise"


def test_graphml_export_of_projection(sample_kg):
    from qdgraph.presentation.export import export_graph

    text = export_graph(sample_kg, "graphml")
    back = nx.read_graphml(io.StringIO(text))
    assert back.number_of_nodes() == 9 and back.number_of_edges() == 8


# ------------------------------------------------------------------ views
def test_neighbourhood_depth_and_hubs(sample_g):
    from qdgraph.domain.nxgraph import HUB_TYPES
    from qdgraph.domain.nxwalks import neighbourhood, subgraph

    assert neighbourhood(sample_g, S + "chain", 0) == {S + "chain"}
    assert neighbourhood(sample_g, S + "chain", 1) == {S + n for n in ("chain", "goertek", "pico", "measure")}
    sub = subgraph(sample_g, "chain", S + "chain", 2)
    assert sub.graph["focus"] == S + "chain" and S + "pillar" in sub and S + "loner" not in sub
    assert "qd:ChainCategory" in HUB_TYPES


def test_subgraph_unknown_iri(sample_g):
    from qdgraph.errors import QdgraphError
    from qdgraph.domain.nxwalks import subgraph

    with pytest.raises(QdgraphError):
        subgraph(sample_g, "chain", S + "nope", 1)


# ------------------------------------------------------------------ path
def test_path_told_in_words(sample_kg):
    from qdgraph.domain.analytics import connecting_paths

    [p] = connecting_paths(sample_kg, "样例歌尔", "样例人才总量")
    assert p.text() == "样例歌尔 —所属产业链→ 样例虚拟现实 ←涉及— 样例壮大虚拟现实产业规模 —同属一项任务（背景）→ 样例人才总量"
    assert [h.forward for h in p.hops] == [True, False, True]


def test_path_cli_on_bundled_chain(kg, cli):
    rows = kg.query("""SELECT ?e ?c ?ezh ?czh WHERE { ?e a qd:Enterprise ; qd:inChain ?c ; rdfs:label ?ezh .
        ?c rdfs:label ?czh FILTER (lang(?ezh) = "zh" && lang(?czh) = "zh") } ORDER BY ?e LIMIT 1""").rows
    if not rows:
        pytest.skip("the bundled data names no enterprise in a chain yet")
    e, c = rows[0]["ezh"].value, rows[0]["czh"].value
    res = cli("path", e, c)
    assert res.code == 0, res
    assert f"1. {e} —所属产业链→ {c}" in res.out
    res = cli("path", e, c, "--format", "json", "--lang", "en")
    data = json.loads(res.out)
    assert data[0]["hops"][0]["rel"] == "qd:inChain" and data[0]["nodes"][0]["iri"] == rows[0]["e"].value


def test_path_errors_are_one_line(cli, sample_files):
    data = [a for f in sample_files for a in ("--data", f)]
    assert_one_line_error(cli("path", "样例歌尔", "样例孤立企业", *data), 1, "nothing connects")
    assert_one_line_error(cli("path", "样例歌尔", "样例歌尔", *data), 2, "same entity")
    assert_one_line_error(cli("path", "样例歌尔", "zzzqqqxxx", *data), 1, "no entity matches")
    assert_one_line_error(cli("path", "样例歌尔", "样例小鸟看看", "--max", "0", *data), 2, "--max")


def test_paths_do_not_run_through_an_observations_area(kg):
    """Every figure of the source is in Qingdao (sdmx-dimension:refArea): a path through the city
    would join any two things that have a figure, and say nothing."""
    from qdgraph.domain.analytics import connecting_paths

    for p in connecting_paths(kg, "歌尔", "全市人才总量"):
        assert "sdmx-dimension:refArea" not in {h.rel for h in p.hops}, p.text()
        assert "青岛" not in [n["label"] for n in p.nodes], p.text()


def test_path_max_limits_paths(sample_kg):
    from qdgraph.domain.analytics import connecting_paths

    both = connecting_paths(sample_kg, "样例歌尔", "样例虚拟现实", max_paths=5)
    assert len(both) == 1 and len(both[0].hops) == 1


# ------------------------------------------------------------------ rank
def test_rank_library(sample_kg):
    from qdgraph.domain.analytics import centrality

    ranks, estimated = centrality(sample_kg, top=None)
    assert not estimated
    assert {r.type for r in ranks} <= {"qd:Measure", "qd:Enterprise", "qd:IndustryChain"}
    assert ranks[0].iri == S + "measure"   # every path from enterprises to the pillar runs through it
    by = {r.iri: r for r in ranks}
    assert by[S + "chain"].degree == 3 and by[S + "loner"].degree == 0 and by[S + "loner"].betweenness == 0


def test_rank_cli_formats(cli, kg):
    res = cli("rank", "--top", "5")
    assert res.code == 0, res
    lines = res.out.splitlines()
    assert "介数中心性" in lines[0] and len(lines) <= 2 + 5
    res = cli("rank", "--type", "Measure", "--format", "json", "--top", "0")
    data = json.loads(res.out)
    n_measures = int(kg.query("SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m a qd:Measure }").rows[0]["n"].value)
    assert len(data["ranks"]) == n_measures
    assert all(r["type"] == "qd:Measure" for r in data["ranks"])
    bet = [r["betweenness"] for r in data["ranks"]]
    assert bet == sorted(bet, reverse=True)
    res = cli("rank", "--type", "企业", "--format", "csv", "--lang", "en")
    rows = list(csv.DictReader(io.StringIO(res.out)))
    assert all(r["type"] == "qd:Enterprise" for r in rows)


def test_rank_unknown_type_did_you_mean(cli):
    assert_one_line_error(cli("rank", "--type", "Measur"), 1, "did you mean", "qd:Measure")


def test_walk_and_project_match_the_whole_projection(kg, bundled_g):
    """The views query only the part they draw (issue 6): for every chain, pillar and
    enterprise of the bundled data, that part equals the same part cut from the whole
    projection — nodes, attributes, edges and their attributes."""
    from qdgraph.domain.nxgraph import project, walk
    from qdgraph.domain.nxwalks import subgraph

    starts = [n for n, d in bundled_g.nodes(data=True)
              if d["type"] in ("qd:IndustryChain", "qd:Pillar", "qd:Enterprise", "qd:Platform")]
    assert starts
    for iri in starts:
        for depth in (1, 2):
            want = subgraph(bundled_g, "x", iri, depth)
            w = walk(kg, iri, depth)
            got = project(kg, list(w.types), types=w.types)
            assert set(got.nodes) == set(want.nodes), (iri, depth)
            assert all(got.nodes[n] == want.nodes[n] for n in want.nodes), (iri, depth)
            edges = lambda g: sorted((u, v, k, sorted(d.items())) for u, v, k, d in g.edges(keys=True, data=True))  # noqa: E731
            assert edges(got) == edges(want), (iri, depth)


def test_walk_unknown_iri(sample_kg):
    from qdgraph.errors import NotFoundError
    from qdgraph.domain.nxgraph import walk

    with pytest.raises(NotFoundError):
        walk(sample_kg, S + "nothing-here", 2)
    w = walk(sample_kg, S + "chain", 1)
    assert set(w.types) == {S + "chain", S + "measure", S + "goertek", S + "pico"}

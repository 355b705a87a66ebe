"""SPARQL, lookups and "which measures affect this indicator", through the CLI."""
from __future__ import annotations

import csv
import io
import json
import time

import pyoxigraph as ox
import pytest

from qdgraph.namespaces import QD

from conftest import ROOT, assert_one_line_error, run_cli

SOURCE = (ROOT / "data" / "sources" / "000_e4ce7d2251e78f88.txt").read_text(encoding="utf-8")


def indicators(kg):
    return kg.query("""SELECT ?i ?zh ?en WHERE { ?i a qd:Indicator ; rdfs:label ?zh , ?en
        FILTER (lang(?zh) = "zh" && lang(?en) = "en") } ORDER BY ?i""").rows


def verbatim(sentence: str) -> bool:
    """Quotes are the source's exact characters, line breaks included."""
    return sentence in SOURCE


# ------------------------------------------------------------------ measures
def test_measures_for_every_indicator_by_zh_and_en_name(kg, cli):
    inds = indicators(kg)
    assert len(inds) == 12
    for row in inds:
        for name, lang in ((row["zh"].value, "zh"), (row["en"].value, "en")):
            res = cli("measures", name, "--format", "json", "--lang", lang)
            assert res.code == 0, res
            data = json.loads(res.out)
            assert data["indicator"] == row["i"].value
            # measures that affect it, or (地区生产总值) only its pillar's roadmap as context
            assert data["links"] or data["context"], f"no measure affects {name}"
            for link in data["links"] + data["against"]:
                assert link["path"][0]["iri"] == link["measure"]
                assert link["path"][-1]["iri"] == row["i"].value
                assert link["evidence"] and all(verbatim(e["exact"]) for e in link["evidence"])
                assert link["basis"].startswith("qd:")
                if not link["stated"]:   # a judgement: derived by a named rule from cited premises
                    assert link["rule"] and link["premises"] and all(p["quotes"] for p in link["premises"])


def test_measures_text_shows_path_basis_and_sentence(cli):
    res = cli("measures", "人才总量")
    assert res.code == 0, res
    assert res.out.startswith("全市人才总量")
    assert "原文:" in res.out and "解读" in res.out and "背景" in res.out
    full = cli("measures", "人才总量", "--full")
    for word in ("依据", "路径", "原文", "规则", "前提", "理由", "→"):
        assert word in full.out
    en = cli("measures", "人才总量", "--lang", "en", "--full")
    assert "path:" in en.out and "source:" in en.out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_measures_groups_are_headed_in_the_readers_language_with_counts(kg, cli, lang):
    from qdgraph.domain.measures import measures_for

    res = measures_for(kg, "生产性服务业占服务业增加值比重")
    out = cli("measures", "生产性服务业占服务业增加值比重", "--lang", lang).out
    assert res.groups
    for g in res.groups:
        assert f"── {g[lang]} ({len(g['links'])}) ──" in out
    assert "Inferred" not in out and "qd:" not in out


def test_same_roadmap_context_is_listed_apart_in_the_sources_order(kg, cli):
    from qdgraph.domain.measures import measures_for

    res = measures_for(kg, "地区生产总值")
    assert res.context and not res.links
    on_roadmap = {r["m"].value for r in kg.query("SELECT ?m WHERE { ?m qd:onRoadmapOf ?p }", {"p": ox.NamedNode(res.pillar)}).rows}
    assert {c["measure"] for c in res.context} == on_roadmap
    out = cli("measures", "地区生产总值", "--context").out.splitlines()
    listed = [l.split(". ", 1)[1] for l in out if ". " in l]
    assert listed[0] == "重点聚焦24条重点产业链" and len(listed) == len(res.context)


@pytest.mark.parametrize("typed", ["人才总量", "total talent", "rencaizongliang", "rczl", "人材总量", "全市人才总"])
def test_indicator_found_by_name_alias_pinyin_part_or_near_miss(kg, typed):
    iri = kg.resolve(typed, types=["qd:Indicator"], what="indicator")
    assert kg.label(iri, "zh") == "全市人才总量"


def test_unknown_indicator_says_did_you_mean(cli):
    res = cli("measures", "人才总数量目标值")
    # either resolves to the close indicator or lists it as a suggestion; never a traceback
    assert "Traceback" not in res.err
    res = cli("measures", "芯片产能")
    assert_one_line_error(res, 1, "no indicator matches '芯片产能'")
    res = cli("measures", "人才总亮")
    assert res.code == 0 or "did you mean" in res.err


def test_ambiguous_indicator_lists_candidates(cli):
    res = cli("measures", "占比")
    assert_one_line_error(res, 1, "ambiguous", "制造业增加值占比", "金融业增加值占比")


@pytest.mark.parametrize("hostile", ['"}; DROP ALL; #', "x' } UNION { ?s ?p ?o } #", "<script>alert(1)</script>", "}}}"])
def test_hostile_names_are_just_names(cli, hostile):
    for cmd in ("measures", "show"):
        res = cli(cmd, hostile)
        assert res.code == 1, res
        assert "Traceback" not in res.err and "no " in res.err


# ------------------------------------------------------------------ query
COUNT = "SELECT (COUNT(?i) AS ?n) WHERE { ?i a qd:Indicator }"


def test_query_formats_select(cli):
    j = json.loads(cli("query", COUNT, "--format", "json").out)
    assert j["head"]["vars"] == ["n"]
    assert j["results"]["bindings"][0]["n"] == {"type": "literal", "value": "12",
                                                "datatype": "http://www.w3.org/2001/XMLSchema#integer"}
    c = list(csv.reader(io.StringIO(cli("query", COUNT, "--format", "csv").out)))
    assert c == [["n"], ["12"]]
    t = cli("query", COUNT, "--format", "tsv").out.splitlines()
    assert t == ["?n", "12"]
    table = cli("query", COUNT).out.splitlines()
    assert table[0].strip() == "n" and table[-1].strip() == "12"
    x = cli("query", COUNT, "--format", "xml").out
    assert '<variable name="n"/>' in x and ">12</literal>" in x


def test_query_ask_and_stdin_and_file(cli, tmp_path):
    assert json.loads(cli("query", "ASK { ?p a qd:Pillar }", "--format", "json").out) == {"head": {}, "boolean": True}
    assert cli("query", input="ASK { ?p a qd:Nothing }").out.strip() == "false"
    f = tmp_path / "q.rq"
    f.write_text(COUNT, encoding="utf-8")
    assert cli("query", "-f", f, "--format", "csv").out.splitlines()[1] == "12"


@pytest.mark.parametrize("fmt,rdf", [("turtle", ox.RdfFormat.TURTLE), ("nt", ox.RdfFormat.N_TRIPLES),
                                     ("json-ld", ox.RdfFormat.JSON_LD)])
def test_query_construct_formats_parse_back(cli, fmt, rdf):
    res = cli("query", "CONSTRUCT { ?i rdfs:label ?l } WHERE { ?i a qd:Indicator ; rdfs:label ?l }", "--format", fmt)
    assert res.code == 0, res
    triples = list(ox.parse(res.out.encode(), format=rdf))
    assert len(triples) == 24  # 12 indicators × (zh + en)
    assert any(t.object.value == "全市人才总量" for t in triples)


def test_describe_gives_turtle(cli):
    res = cli("query", "DESCRIBE qdr:doc-000")
    assert res.code == 0 and "qd:SourceDocument" in res.out


def test_named_queries_listed_and_run_with_params(cli, kg):
    listing = cli("queries").out
    assert "measures-for-indicator" in listing and "indicator (iri)" in listing
    iri = kg.resolve("全市人才总量", types=["qd:Indicator"])
    res = cli("query", "--name", "measures-for-indicator", "--param", f"indicator=<{iri}>", "--format", "json")
    assert res.code == 0, res
    assert json.loads(res.out)["results"]["bindings"]
    res = cli("query", "--name", "measures-for-indicator", "--param", "indicator=" + iri.replace(
        "https://w3id.org/qdgraph/id/", "qdr:"), "--format", "csv")
    assert len(res.out.splitlines()) > 1
    bad = cli("query", "--name", "measures-for-indicatr")
    assert_one_line_error(bad, 1, "did you mean: measures-for-indicator")
    missing = cli("query", "--name", "measures-for-indicator")
    assert_one_line_error(missing, 2, "--param indicator=")


def test_params_are_bound_as_terms_not_text(cli):
    q = "SELECT ?i WHERE { ?i rdfs:label ?name }"
    hostile = '全市人才总量" } ?s ?p ?o { "'
    res = cli("query", q, "--param", f"name={hostile}", "--format", "csv")
    assert res.code == 0, res
    assert res.out.splitlines() == ["i"]  # no label equals that text; nothing was injected
    res = cli("query", q, "--param", 'name="全市人才总量"@zh', "--format", "csv")
    assert res.out.splitlines() == ["i", "https://w3id.org/qdgraph/id/indicator-total-talent"]


@pytest.mark.parametrize("q,word", [
    ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "INSERT"),
    ("DELETE WHERE { ?s ?p ?o }", "DELETE"),
    ("LOAD <http://example.org/x.ttl>", "LOAD"),
    ("DROP ALL", "DROP"),
    ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "SERVICE"),
    # FROM may only name graphs the store holds (nothing is ever fetched)
    ("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", "no graph <http://example.org/g>"),
    ("SELECT * FROM NAMED <http://example.org/g> WHERE { ?s ?p ?o }", "no graph <http://example.org/g>"),
    ("SELECT * FROM # a comment is white space\n <http://example.org/g> WHERE { ?s ?p ?o }", "no graph <http://example.org/g>"),
])
def test_writes_and_network_are_refused_before_running(cli, q, word):
    res = cli("query", q)
    assert_one_line_error(res, 2, word)
    assert res.out == ""


def test_named_queries_pass_the_guard():
    """``KnowledgeGraph.named`` runs the shipped queries without the read-only guard (it would
    tokenise them on every call), so each must pass it: read-only, offline, and no FROM."""
    from qdgraph.engine.queries import all_queries
    from qdgraph.engine.sparql import check_query

    for q in all_queries().values():
        assert check_query(q.text, allow_from=False) in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"), q.name


def test_keywords_inside_strings_and_names_are_fine(cli):
    res = cli("query", 'SELECT ?x WHERE { BIND ("please DELETE and LOAD from SERVICE" AS ?x) }', "--format", "csv")
    assert res.code == 0, res
    assert "please DELETE" in res.out


def test_syntax_error_gives_line_and_column(cli):
    res = cli("query", "SELECT ?x WHERE {\n  ?x a qd:Indicator .\n  ?x rdfs:label }")
    assert_one_line_error(res, 2, "line 3, column")


@pytest.mark.slow  # waits out a real time limit, or kills a real writer
def test_timeout_bounds_a_query():
    # a real process: the engine cannot be interrupted, so the command exits past the running query
    t = time.monotonic()
    res = run_cli("query", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", "--timeout", "1")
    assert time.monotonic() - t < 30
    assert_one_line_error(res, 3, "1 s")


@pytest.mark.slow
def test_reasoning_adds_inferred_types(cli):
    plain = cli("query", "SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e a skos:Concept }", "--format", "csv")
    rdfs = cli("query", "SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e a skos:Concept }", "--format", "csv",
               "--reason", "rdfs")
    assert int(rdfs.out.splitlines()[1]) > int(plain.out.splitlines()[1])


def test_a_closure_is_reasoned_once_and_a_damaged_copy_recomputed(tmp_path, monkeypatch):
    import owlrl

    from qdgraph.engine.graph import open_graph

    monkeypatch.setenv("QDGRAPH_CACHE", str(tmp_path))
    extra = tmp_path / "extra.ttl"  # a graph of its own: nothing cached yet
    extra.write_text("@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
                     "<urn:x:Sub> rdfs:subClassOf <urn:x:Super> . <urn:x:e> a <urn:x:Sub> .\n", encoding="utf-8")
    ask = "ASK { <urn:x:e> a <urn:x:Super> }"
    runs = []
    real = owlrl.DeductiveClosure.expand
    monkeypatch.setattr(owlrl.DeductiveClosure, "expand", lambda self, g: (runs.append(1), real(self, g))[1])
    assert open_graph([extra], bundled=False, reason="rdfs").query(ask).value
    assert open_graph([extra], bundled=False, reason="rdfs").query(ask).value
    assert len(runs) == 1
    (cached,) = tmp_path.glob("closure-*.nt")
    cached.write_text("<urn:x:e> <urn:x:broken", encoding="utf-8")
    assert open_graph([extra], bundled=False, reason="rdfs").query(ask).value
    assert len(runs) == 2


def test_only_queries_the_files_with_the_ontology(cli, tmp_path):
    extra = tmp_path / "extra.ttl"
    extra.write_text('@prefix qd: <https://w3id.org/qdgraph/ontology#> .\n<urn:x:e1> a qd:Enterprise .\n',
                     encoding="utf-8")
    count = "SELECT (COUNT(?e) AS ?n) WHERE { ?e a qd:Enterprise }"
    assert cli("query", count, "--data", extra, "-F", "csv").out.splitlines()[1] != "1"  # the bundled ones too
    assert cli("query", count, "--data", extra, "--only", "-F", "csv").out.splitlines()[1] == "1"
    label = 'ASK { qd:Enterprise rdfs:label "企业"@zh }'  # the ontology is still there
    assert cli("query", label, "--data", extra, "--only", "-F", "csv").out.strip().endswith("true")
    assert_one_line_error(cli("query", count, "--only"), 2, "--only needs at least one --data FILE")


def test_extra_data_file_is_added_and_broken_one_changes_nothing(cli, tmp_path):
    extra = tmp_path / "extra.ttl"
    extra.write_text('@prefix qd: <https://w3id.org/qdgraph/ontology#> .\n<urn:x:e1> a qd:Enterprise ; '
                     '<http://www.w3.org/2000/01/rdf-schema#label> "测试企业"@zh .\n', encoding="utf-8")
    res = cli("search", "测试企业", "--data", extra, "--format", "csv")
    assert res.code == 0 and "urn:x:e1" in res.out
    broken = tmp_path / "broken.ttl"
    broken.write_text("<urn:a> <urn:b> .\n", encoding="utf-8")
    res = cli("query", COUNT, "--data", broken)
    assert_one_line_error(res, 2, f"{broken}:1:")


# ------------------------------------------------------------------ show, search, listings, export
def test_show_card(cli):
    res = cli("show", "歌尔")
    assert res.code == 0, res
    for part in ("qd:Enterprise", "虚拟现实", "qd:inChain", "已聚集歌尔"):
        assert part in res.out
    card = json.loads(cli("show", "歌尔", "--format", "json").out)
    assert card["out"]["qd:inChain"][0]["basis"] == "qd:Stated"
    assert card["provenance"] and all(verbatim(p["exact"]) for p in card["provenance"])


@pytest.mark.parametrize("lang, more", [("zh", "… 另有 {n} 项（--full 列出全部）"), ("en", "… and {n} more (--full lists them all)")])
def test_show_lists_a_long_relation_in_part_and_says_how_much_more(cli, lang, more):
    """A relation of more than 20 items (the 54 measures of the class qd:Measure here; a chain's
    8,000 members at 1 M triples) lists its first 20 and says how many more; --full and JSON
    list every one, in the same order, with the same bases."""
    def items(text):  # the lines under "  rdf:type", to the next relation
        lines = text.split("  rdf:type\n", 1)[1].splitlines()
        return lines[:next(i for i, line in enumerate(lines + [""]) if not line.startswith("    "))]

    full = json.loads(cli("show", "qd:Measure", "--format", "json").out)
    members = full["into"]["rdf:type"]
    assert len(members) > 20 and "cut" not in full
    part = items(cli("show", "qd:Measure", "--lang", lang).out)
    whole = items(cli("show", "qd:Measure", "--lang", lang, "--full").out)
    assert len(whole) == len(members) and whole[:20] == part[:20]
    assert part[20:] == ["    " + more.format(n=len(members) - 20)]
    for line, m in zip(whole, members):
        assert line.startswith(f"    - {m[lang] or m['zh' if lang == 'en' else 'en']}")


@pytest.fixture(scope="module")
def many_measures(tmp_path_factory):
    """A file adding an indicator whose object 25 measures concern (written with bench/generate.py's
    writer): the rules derive 25 same-object links, a group longer than the text lists."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    path = tmp_path_factory.mktemp("many") / "many.nt"
    with open(path, "w", encoding="utf-8") as f:
        w, r = gen.Writer(f), gen.QDR
        w.quote(r + "q-doc", "合成指标测试达到100以上。")
        w.entity(r + "pillar-t", "Pillar", "测试任务", "test pillar", r + "q-doc")
        w.entity(r + "chain-t", "IndustryChain", "测试产业链", "test chain", r + "q-doc")
        w.entity(r + "indicator-t", "Indicator", "测试指标", "test indicator", r + "q-doc")
        w.claim(r + "c-t-pillar", r + "indicator-t", "measuredUnder", r + "pillar-t", r + "q-doc")
        w.claim(r + "c-t-subject", r + "indicator-t", "measuresSubject", r + "chain-t", r + "q-doc")
        for k in range(1, 26):
            w.quote(r + f"q-t-{k}", f"实施第{k}项测试措施，支持测试产业链。")
            w.entity(r + f"measure-t{k}", "Measure", f"测试措施{k:02d}", f"test measure {k:02d}", r + f"q-t-{k}")
            w.claim(r + f"c-t-con-{k}", r + f"measure-t{k}", "concerns", r + "chain-t", r + f"q-t-{k}")
    return path


@pytest.mark.parametrize("lang, more", [("zh", "… 另有 {n} 项（--full 列出全部）"), ("en", "… and {n} more (--full lists them all)")])
def test_measures_lists_a_long_group_in_part_and_says_how_much_more(cli, many_measures, lang, more):
    """A group of more than 20 measures (295 for an indicator at 1 M triples) lists its first 20,
    in the order of the whole answer, with only their quotes, and says how many more; --full and
    JSON carry every one."""
    args = ("measures", "测试指标", "--data", many_measures, "--lang", lang)
    whole = json.loads(cli(*args, "--format", "json").out)
    group = whole["groups"][0]["links"]
    assert len(group) == 25
    text, full = cli(*args).out, cli(*args, "--full").out
    listed = [line for line in text.splitlines() if line[:3].strip().rstrip(".").isdigit()]
    assert [line.split(None, 1)[1].split("[")[0].strip() for line in listed] == [ml[lang] for ml in group[:20]]
    assert more.format(n=5) in text.splitlines()
    assert "〔20〕" in text and "〔21〕" not in text  # the quotes of the 20 listed, no others
    assert all(ml[lang] in full for ml in group) and more.format(n=5) not in full


def test_ask_lists_the_first_20_measures_and_says_how_to_see_all(cli, many_measures):
    """`ask` lists measures as `measures` does (its first 20) and names the command that lists
    every one; JSON carries all 25."""
    args = ("ask", "哪些措施影响测试指标", "--data", many_measures)
    text = cli(*args).out
    assert [line.split(".", 1)[0].strip() for line in text.splitlines() if line[:4].strip().rstrip(".").isdigit()] \
        == [str(k) for k in range(1, 21)]
    assert "… 另有 5 项；qdgraph measures 测试指标 --full 列出全部" in text
    assert len(json.loads(cli(*args, "--format", "json").out)["items"]) == 25


def test_a_cut_card_is_the_whole_card_cut(kg):
    """describe(limit=k) reads only the items it lists (and their labels and claims): it must
    list exactly the first k of each relation of the whole card, and count the rest right, on
    the cards with the longest relations (and one of each type)."""
    from qdgraph.domain.entity import describe

    rows = kg.query("SELECT ?e (COUNT(*) AS ?n) (SAMPLE(?t) AS ?type) WHERE { ?e a ?t . { ?e ?p ?x } UNION { ?x ?p ?e } "
                    "FILTER (isIRI(?e) && STRSTARTS(STR(?e), 'https://w3id.org/qdgraph/')) } GROUP BY ?e ORDER BY DESC(?n) ?e").rows
    rows = [r for r in rows if kg.names().entry(r["e"].value)]  # named: quotes and claims are not
    by_type = {}
    for r in rows:
        by_type.setdefault(r["type"].value, r["e"].value)
    entities = list(dict.fromkeys([r["e"].value for r in rows[:12]] + list(by_type.values())))
    compared = 0
    for iri in entities:
        whole = describe(kg, iri).to_dict()
        for k in (1, 3):
            card = describe(kg, iri, limit=k).to_dict()
            cut = card.pop("cut", {})
            for side in ("out", "into"):
                assert card[side] == {p: items[:k] for p, items in whole[side].items()}, (iri, k, side)
                assert cut.get(side, {}) == {p: len(items) for p, items in whole[side].items() if len(items) > k}, (iri, k)
                compared += sum(len(items) > k for items in whole[side].values())
            assert {f: card[f] for f in ("types", "labels", "facts", "provenance")} == \
                {f: whole[f] for f in ("types", "labels", "facts", "provenance")}
    assert compared > 20  # relations that were cut


def test_search_ranks_exact_first(cli):
    res = cli("search", "虚拟现实", "--format", "json")
    rows = json.loads(res.out)["results"]["bindings"]
    assert rows[0]["zh"]["value"] == "虚拟现实"
    py = json.loads(cli("search", "xunixianshi", "--format", "json").out)["results"]["bindings"]
    assert py and py[0]["zh"]["value"] == "虚拟现实"


def test_listings(cli):
    p = cli("pillars", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(p.out)))
    assert [int(r["indicators"]) for r in rows] == [5, 2, 4, 1]
    assert all(int(r["measures"]) > 0 for r in rows)
    ind = cli("indicators")
    assert ind.code == 0 and "超过300万人" in ind.out and "完成省下达任务" in ind.out
    ch = list(csv.DictReader(io.StringIO(cli("chains", "--format", "csv").out)))
    vr = [r for r in ch if r["chain_zh"] == "虚拟现实"][0]
    assert "国内一流" in vr["tiers"] and {"歌尔", "小鸟看看", "金东"} <= set(vr["enterprises"].split("; "))


@pytest.mark.parametrize("name, params, keys", [
    ("enterprises", {}, ("type", "org")), ("site-claims", {}, ("claim",)), ("site-quotes", {}, ("quote",)),
    ("affects-links", {}, ("indicator", "measure")), ("measure-hierarchy", {}, ("child",)),
    ("entity-claims", {"entity": "qdr:indicator-total-talent"}, ("claim",)),
    ("entity-in", {"entity": "qdr:chain-virtual-reality"}, ("p", "s"))])
def test_large_listings_come_in_the_order_of_their_iris(kg, name, params, keys):
    """These listings sort on keys the query makes (Oxigraph reads two stored IRIs from disk at
    every comparison): the rows still come in the IRIs' order, an unbound one first."""
    rows = kg.named(name, params).rows
    got = [tuple(r[k].value if k in r else "" for k in keys) for r in rows]
    assert len(set(got)) > 3 and got == sorted(got)


@pytest.mark.parametrize("fmt", ["turtle", "nt", "json-ld", "csv", "graphml"])
def test_export_formats(cli, kg, tmp_path, fmt):
    out = tmp_path / f"export.{fmt}"
    res = cli("export", "--format", fmt, "-o", out)
    assert res.code == 0, res
    data = out.read_bytes()
    if fmt in ("turtle", "nt", "json-ld"):
        n = len(list(ox.parse(data, format={"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES,
                                            "json-ld": ox.RdfFormat.JSON_LD}[fmt])))
        assert n == len(kg)
    elif fmt == "csv":
        assert len(list(csv.reader(io.StringIO(data.decode())))) == len(kg) + 1
    else:
        import networkx as nx

        g = nx.read_graphml(out)
        assert g.number_of_nodes() > 50


def test_unknown_command_suggests(cli):
    res = cli("measure", "x")
    assert res.code == 2 and "did you mean: measures" in res.err


def test_python_api_and_rdflib_view(kg):
    import qdgraph
    import rdflib

    res = qdgraph.measures_for(kg, "total talent")
    assert res.zh == "全市人才总量" and res.target["zh"] == "超过300万人" and res.target["year"] == "2026"
    g = kg.rdflib()
    assert len(g) == len(kg)
    # rdflib's API over the same Oxigraph store
    n = list(g.query("SELECT (COUNT(?i) AS ?n) WHERE { ?i a <https://w3id.org/qdgraph/ontology#Indicator> }"))[0][0]
    assert int(n) == 12
    assert isinstance(g, rdflib.Graph)

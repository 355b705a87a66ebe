"""Answers kept with a store generation (qdgraph.storage.answers): the lookups' named queries
answered when the store is built. They must be the store's own answers, row for row, in every
generation (test_memo_files damages the file: the answers stay the same)."""
from __future__ import annotations

import shutil

import pytest

from conftest import invoke
from store_fixtures import CHAIN_ZH, build_base_store, copy_store, write_csv


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return build_base_store(tmp_path_factory.mktemp("kept"), invoke)


def kept_queries():
    from qdgraph.engine.queries import all_queries

    return [q for q in all_queries().values() if q.memo]


def indicators(kg) -> list[str]:
    return instances(kg, "qd:Indicator")


def instances(kg, cls: str) -> list[str]:
    return sorted(r["i"].value for r in kg.select(f"SELECT ?i WHERE {{ ?i a {cls} FILTER isIRI(?i) }}"))


def each_param(kg, q) -> list[dict]:
    """The parameters a kept query is answered for: each instance of its memo class, or none
    (``memo: whole``: its one answer)."""
    import pyoxigraph as ox

    from qdgraph.queryfiles import WHOLE

    if q.memo == WHOLE:
        return [{}]
    return [{q.params[0].name: ox.NamedNode(i)} for i in instances(kg, q.memo)]


def rows(res) -> list:
    return [[str(r.get(v)) for v in res.variables] for r in res.rows]


def assert_kept_equal_live(store):
    """Every kept answer is there and equals the store's own, row for row and in order."""
    from qdgraph.engine.graph import open_graph

    kg = open_graph(store=store)
    assert len(indicators(kg)) >= 12
    compared = 0
    for q in kept_queries():
        for params in each_param(kg, q):
            kept = kg.backend.kept(q.name, q.text, params)
            assert kept is not None, (q.name, params)
            live = kg.query(q.text, params)  # query(), not named(): the engine itself
            assert kept.variables == live.variables and rows(kept) == rows(live), (q.name, params)
            compared += len(live.rows)
        if q.memo == "qd:Indicator":  # every instance kept: `progress` asks for all without the database
            assert kg.backend.kept_params(q.name, q.text) == indicators(kg), q.name
    assert compared > 100  # the bundled indicators have links, premises and targets to compare
    assert_least_keys_kept(kg)


def listings():
    from qdgraph.engine.queries import all_queries

    return [q for q in all_queries().values() if q.stream and not q.params]


def assert_least_keys_kept(kg):
    """Each streamed listing's least keys are kept, and are the ones the engine finds now."""
    from qdgraph.engine.backend import LocalBackend

    assert len(listings()) >= 4
    for q in listings():
        kept = kg.backend._kept_answers().least(q.stream)
        assert kept is not False, q.name  # kept: its first row waits for no MIN over every key
        assert kept == LocalBackend.least_key(kg.backend, q.stream, {}), q.name
        assert kg.backend.least_key(q.stream, {}) == kept


def test_the_lookups_queries_are_kept():
    names = {q.name for q in kept_queries()}
    assert {"measures-for-indicator", "link-premises", "roadmap-context", "indicator-target"} <= names


def test_kept_answers_are_the_stores_own_answers(base):
    assert_kept_equal_live(base)


def test_the_manifest_says_what_was_kept(base):
    from qdgraph.storage.generations import current_generation, read_manifest

    kept = read_manifest(current_generation(base))["answers"]
    assert kept["queries"] == sorted(q.name for q in kept_queries())
    from qdgraph.engine.graph import open_graph

    kg = open_graph(store=base)
    assert kept["answers"] == sum(len(each_param(kg, q)) for q in kept_queries()) and kept["seconds"] >= 0
    assert kept["least_keys"] == len({q.stream for q in listings()})


def test_a_changed_query_is_asked_of_the_store_not_read_from_the_kept_answer(base):
    import pyoxigraph as ox

    from qdgraph.engine.graph import open_graph

    kg = open_graph(store=base)
    q = next(q for q in kept_queries() if q.name == "measures-for-indicator")
    ind = ox.NamedNode(indicators(kg)[0])
    assert kg.backend.kept(q.name, q.text, {"indicator": ind}) is not None
    assert kg.backend.kept(q.name, q.text + "\n# changed", {"indicator": ind}) is None


def test_a_new_generation_keeps_answers_of_its_own(base, tmp_path):
    from qdgraph.storage.generations import current_generation, read_manifest

    store = copy_store(base, tmp_path / "grown")
    before = current_generation(store)
    csv = write_csv(tmp_path / "e.csv", "企业名称,英文名称,简称,产业链,统一社会信用代码,区市,成立日期,来源,备注\n"
                                        f"青岛戊己海洋仪器有限公司,,,{CHAIN_ZH},,黄岛区,2020年1月,,\n")
    res = invoke("import", csv, "--store", store)
    assert res.code == 0, res
    gen = current_generation(store)
    assert gen != before and read_manifest(gen)["answers"]["answers"] > 0
    assert_kept_equal_live(store)
    shutil.rmtree(store)


def test_an_indicator_that_is_a_blank_node_is_not_left_out_of_progress(tmp_path):
    """Answers are kept for IRIs only: a store with an indicator that is a blank node says not
    every indicator is kept, and `progress` asks the database for them all."""
    from qdgraph.domain.progress import progress
    from qdgraph.engine.graph import open_graph
    from qdgraph.storage.build import build_store

    ttl = tmp_path / "blank.ttl"
    ttl.write_text("@prefix qd: <https://w3id.org/qdgraph/ontology#> .\n"
                   "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
                   '[] a qd:Indicator ; rdfs:label "空白指标"@zh .\n', encoding="utf-8")
    build_store(tmp_path / "s", [ttl])
    kg = open_graph(store=tmp_path / "s")
    names = [i.zh for i in progress(kg).indicators]
    assert "空白指标" in names and len(names) == 13

"""Files qdgraph keeps to save time (a store's name index and kept answers, the compiled bundled
graph, a reasoner's closure) never hold a state a user can trip on: damaged, they are rebuilt without a
word, and the answers are the same as before."""
from __future__ import annotations

import json

import pytest

from conftest import invoke
from store_fixtures import CHAIN_IRI, CHAIN_ZH, build_base_store, copy_store


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return build_base_store(tmp_path_factory.mktemp("store"), invoke)


def _answers(store) -> list:
    out = []
    for args in (("search", "haiyangcehui"), ("show", CHAIN_ZH, "-F", "json"), ("chains",)):
        res = invoke(*args, "--store", store)
        assert res.code == 0 and not res.err, res
        out.append(res.out)
    return out


@pytest.mark.parametrize("damage", ["cut short", "overwritten", "deleted"])
def test_a_damaged_store_name_index_is_rebuilt_silently(base, tmp_path, damage):
    store = copy_store(base, tmp_path / "s")
    before = _answers(store)
    names = store / (store / "CURRENT").read_text().strip() / "names.sqlite"
    if damage == "cut short":
        names.write_bytes(names.read_bytes()[:5000])
    elif damage == "overwritten":
        names.write_text("@prefix qd: <https://w3id.org/qdgraph/ontology#> .\n" * 3000)
    else:
        names.unlink()
    assert _answers(store) == before
    assert json.loads(before[1])["iri"] == CHAIN_IRI


@pytest.mark.parametrize("damage", ["cut short", "overwritten", "deleted", "emptied"])
def test_damaged_kept_answers_are_asked_of_the_store(base, tmp_path, damage):
    import sqlite3

    asks = [("measures", "人才总量", "--full", "-F", "json"), ("measures", "人才总量"), ("measures", "rczl", "--context")]
    before = [invoke(*a, "--store", base) for a in asks]
    assert all(r.code == 0 for r in before) and json.loads(before[0].out)["links"], before
    store = copy_store(base, tmp_path / "s")
    kept = store / (store / "CURRENT").read_text().strip() / "answers.sqlite"
    if damage == "cut short":
        kept.write_bytes(kept.read_bytes()[:5000])
    elif damage == "overwritten":
        kept.write_text("@prefix qd: <https://w3id.org/qdgraph/ontology#> .\n" * 3000)
    elif damage == "deleted":
        kept.unlink()
    else:
        with sqlite3.connect(kept) as db:
            db.execute("UPDATE answers SET result = 'not JSON'")
    after = [invoke(*a, "--store", store) for a in asks]
    assert [(r.code, r.out, r.err) for r in after] == [(r.code, r.out, r.err) for r in before]


def test_an_import_over_a_damaged_name_index_keeps_every_name(base, tmp_path):
    store = copy_store(base, tmp_path / "s")
    names = store / (store / "CURRENT").read_text().strip() / "names.sqlite"
    names.write_bytes(b"\0" * 4096)
    (tmp_path / "e.csv").write_text(f"name,chain\n青岛丙测试公司,{CHAIN_ZH}\n", encoding="utf-8")
    res = invoke("import", tmp_path / "e.csv", "--store", store)
    assert res.code == 0, res
    for name in ("青岛丙测试公司", CHAIN_ZH):  # the new name and the old ones
        res = invoke("search", name, "--store", store)
        assert res.code == 0 and name in res.out, res


def test_a_damaged_bundled_name_index_is_rebuilt(tmp_path, monkeypatch):
    from qdgraph.storage.generations import current_generation

    monkeypatch.setenv("QDGRAPH_CACHE", str(tmp_path / "cache"))
    before = invoke("measures", "rczl")
    assert before.code == 0, before
    [d] = (tmp_path / "cache").glob("bundle-*")
    (current_generation(d) / "names.sqlite").write_bytes(b"SQLite format 3\0" + b"\xff" * 200)
    after = invoke("measures", "rczl")
    assert (after.code, after.out, after.err) == (0, before.out, before.err)
    from qdgraph.storage.namestore import open_names

    [d] = (tmp_path / "cache").glob("bundle-*")
    assert open_names(current_generation(d)) is not None  # rebuilt on disk, not only in memory


def test_a_damaged_closure_is_computed_again(tmp_path, monkeypatch):
    monkeypatch.setenv("QDGRAPH_CACHE", str(tmp_path / "cache"))
    data = tmp_path / "small.ttl"  # the ontology and one indicator: a closure in a second, not a minute
    data.write_text("@prefix qd: <https://w3id.org/qdgraph/ontology#> .\n"
                    "<urn:x:i> a qd:Indicator .\n", encoding="utf-8")
    ask = "SELECT (COUNT(*) AS ?n) WHERE { <urn:x:i> a ?t }"
    opts = ("--reason", "rdfs", "--only", "--data", data, "-F", "csv")
    first = invoke("query", ask, *opts)
    assert first.code == 0, first
    [closure] = (tmp_path / "cache").glob("closure-*.nt")
    closure.write_text("<urn:a> <urn:b> .\n")  # not N-Triples
    again = invoke("query", ask, *opts)
    assert (again.code, again.out, again.err) == (0, first.out, first.err)
    assert int(first.out.split()[1]) > 1  # the closure's types, not only the stated one

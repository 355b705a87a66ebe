"""`qdgraph load` runs the rules and the lookups' kept answers on an in-memory copy of what they
read (qdgraph.storage.shadow) and loads big line-based files in chunks: the store it builds must
be the one the rules and the lookups give when run on the store itself, quad for quad and row
for row, whatever the chunks cut."""
from __future__ import annotations

import importlib.util
import re
import sqlite3
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def city(path: Path, enterprises: int) -> Path:
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    with open(path, "w", encoding="utf-8") as f:
        gen.generate(f, enterprises)
    return path


def built(store: Path) -> dict:
    """What a build made: its quads (blank nodes, named afresh by every parse, as one name),
    the rules' link counts, the kept answers and the name index, each sorted."""
    import pyoxigraph as ox

    from qdgraph.storage.generations import current_generation, read_manifest

    gen = current_generation(store)
    quads = ox.Store.read_only(str(gen / "store")).dump(format=ox.RdfFormat.N_QUADS)
    out = {"quads": sorted(re.sub(rb"_:\w+", b"_:b", quads).split(b"\n")),
           "rules": read_manifest(gen)["rules"]}
    for db, table in (("answers.sqlite", "answers"), ("answers.sqlite", "queries"),
                      ("names.sqlite", "entries"), ("names.sqlite", "keys")):
        out[table] = sorted(sqlite3.connect(gen / db).execute(f"SELECT * FROM {table}").fetchall())
    return out


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return city(tmp_path_factory.mktemp("city") / "city.nt", 200)


def test_the_copy_gives_the_store_the_rules_and_lookups_give_it(data, tmp_path, monkeypatch):
    import qdgraph.storage.build as build
    from qdgraph.storage.shadow import Shadow
    from qdgraph.storage.build import build_store

    seen = []
    real = build._kept_from
    monkeypatch.setattr(build, "_kept_from", lambda *a: seen.append(1) or real(*a))
    monkeypatch.setattr(build, "CHUNK", 50_000)  # many chunks, cut anywhere in a line
    monkeypatch.setattr(Shadow, "CHUNK", 30_000)
    build_store(tmp_path / "copy", [data])
    assert seen, "the copy was not used"
    monkeypatch.setattr(build, "_shadow", lambda files: None)
    build_store(tmp_path / "store", [data])
    copy, store = built(tmp_path / "copy"), built(tmp_path / "store")
    assert copy["rules"] == store["rules"] and sum(copy["rules"].values()) > 100
    assert len(copy["answers"]) > 100
    for part in store:
        assert copy[part] == store[part], part


def test_a_syntax_error_names_its_line_in_the_file_not_in_the_chunk(tmp_path, monkeypatch):
    import qdgraph.storage.build as build
    from qdgraph.errors import TurtleSyntaxError

    monkeypatch.setattr(build, "CHUNK", 1000)
    nt = tmp_path / "bad.nt"
    lines = [f'<http://ex.org/e{i}> <http://www.w3.org/2000/01/rdf-schema#comment> "行{i}" .' for i in range(300)]
    lines[236] = "<http://ex.org/x> <no-scheme> <http://ex.org/y> ."
    nt.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(TurtleSyntaxError, match=r":237:"):
        build.build_store(tmp_path / "s", [nt], bundled=False)
    assert not (tmp_path / "s").exists()


def test_a_blank_node_named_in_two_chunks_stays_one_node(tmp_path, monkeypatch):
    """Each bulk_load call names blank nodes afresh: from the first "_:" on, the rest of the
    file goes in one call, and the copy is left out (the rules and lookups run on the store)."""
    import pyoxigraph as ox

    import qdgraph.storage.build as build
    from qdgraph.storage.generations import current_generation

    monkeypatch.setattr(build, "CHUNK", 1000)
    seen = []
    real = build._kept_from
    monkeypatch.setattr(build, "_kept_from", lambda *a: seen.append(1) or real(*a))
    nt = tmp_path / "blank.nt"
    comment = "<http://www.w3.org/2000/01/rdf-schema#comment>"
    lines = [f'<http://ex.org/e{i}> {comment} "行{i}" .' for i in range(300)]
    lines[100] = f'_:shared {comment} "一" .'
    lines[280] = f'_:shared {comment} "二" .'
    nt.write_text("\n".join(lines) + "\n", encoding="utf-8")
    build.build_store(tmp_path / "s", [nt], bundled=False)
    store = ox.Store.read_only(str(current_generation(tmp_path / "s") / "store"))
    said = list(store.quads_for_pattern(None, ox.NamedNode(comment[1:-1]), None))
    assert len(said) == 300 and len({q.subject for q in said if isinstance(q.subject, ox.BlankNode)}) == 1
    assert not seen


def test_the_copy_holds_every_triple_the_rules_and_lookups_can_read():
    """The copy keeps the triples whose predicate (or, for rdf:type, class) the texts name: a
    pattern with a predicate it does not name, a variable one, or a variable class would read
    triples the copy does not hold (unless a VALUES names each one). The texts: the rules', the
    kept queries', and the patterns of the listings whose least keys are kept."""
    from rdflib import RDF, URIRef, Variable
    from rdflib.paths import Path as RdfPath
    from rdflib.plugins.sparql import prepareQuery

    from qdgraph.namespaces import PREFIXES
    from qdgraph.queryfiles import all_queries
    from qdgraph.storage.rules import MATERIALISE_QUERIES, all_rules
    from qdgraph.storage.shadow import named_terms

    names = {t.decode()[1:-1] for t in named_terms()}
    texts = ([r.text for r in all_rules()] + list(MATERIALISE_QUERIES)
             + [q.text for q in all_queries().values() if q.memo]
             + [f"SELECT * WHERE {q.stream.pattern}" for q in all_queries().values() if q.stream and not q.params])
    assert len(texts) >= 10

    def walk(node, out: list, values: dict):
        if hasattr(node, "items"):  # an algebra node (a CompValue), or a row of VALUES
            name = getattr(node, "name", None)
            if name == "BGP":
                out.extend(node["triples"])
            if name == "values" and node.get("res"):
                for row in node["res"]:
                    for var, val in row.items():
                        values.setdefault(var, set()).add(val)
            for v in node.values():
                walk(v, out, values)
        elif isinstance(node, (list, tuple)):
            for v in node:
                walk(v, out, values)

    def iris(p) -> list:
        if isinstance(p, URIRef):
            return [p]
        return [x for arg in getattr(p, "args", [getattr(p, "path", None)]) if arg is not None for x in iris(arg)]

    checked = 0
    for text in texts:
        algebra = prepareQuery(text, initNs=PREFIXES).algebra
        triples, values = [], {}
        walk(algebra, triples, values)
        for s, p, o in triples:
            if isinstance(p, Variable):
                assert values.get(p) and {str(v) for v in values[p]} <= names, (text[:60], p)
            elif isinstance(p, RdfPath):
                assert {str(x) for x in iris(p)} <= names, (text[:60], p)
            else:
                assert str(p) in names, (text[:60], p)
            if p == RDF.type and isinstance(o, Variable):  # a class VALUES names (the listing of enterprises)
                assert values.get(o) and {str(v) for v in values[o]} <= names, (text[:60], o)
            elif p == RDF.type:
                assert isinstance(o, URIRef) and str(o) in names, (text[:60], o)
            checked += 1
    assert checked > 50


def test_a_kept_answer_with_a_blank_node_is_the_stores_own(tmp_path):
    """A Turtle file's blank nodes get other names in the copy than in the store: an answer
    that shows one is asked of the store instead, so kept and live still agree."""
    from qdgraph.storage.build import build_store
    from qdgraph.storage.generations import current_generation
    from qdgraph.storage.answers import Answers
    from test_kept_answers import assert_kept_equal_live

    ttl = tmp_path / "blank-target.ttl"
    ttl.write_text("@prefix qd: <https://w3id.org/qdgraph/ontology#> .\n"
                   "@prefix qdr: <https://w3id.org/qdgraph/id/> .\n"
                   '[] a qd:Target ; qd:indicator qdr:indicator-gdp ; qd:statedAs "试验目标"@zh .\n', encoding="utf-8")
    build_store(tmp_path / "s", [ttl])
    answers = Answers(current_generation(tmp_path / "s"))
    kept = answers._db.execute("SELECT result FROM answers WHERE query = 'indicator-target' AND param LIKE "
                               "'%indicator-gdp>'").fetchone()[0]
    assert b"_:" in kept and "试验目标".encode() in kept
    assert_kept_equal_live(tmp_path / "s")


def test_a_verdict_in_a_line_based_file_rejects_its_reading_in_the_copy_too(tmp_path, monkeypatch):
    """A verdict read from an N-Triples file drops its reading before the rules run, in the copy
    as on the store: the copy keeps the verdicts' own triples, not only the rules' predicates."""
    import qdgraph.storage.build as build
    from qdgraph.namespaces import PREFIXES

    qd, qdr = PREFIXES["qd"], PREFIXES["qdr"]
    nt = tmp_path / "verdict.nt"
    v = f"<{qdr}verdict-test-reject-manufacturing>"
    nt.write_text(f"{v} <{PREFIXES['rdf']}type> <{qd}Verdict> .\n"
                  f"{v} <{qd}onClaim> <{qdr}claim-subject-advanced-manufacturing--countsIn--subject-manufacturing> .\n"
                  f"{v} <{qd}decision> <{qd}Rejected> .\n", encoding="utf-8")
    seen = []
    real = build._kept_from
    monkeypatch.setattr(build, "_kept_from", lambda *a: seen.append(1) or real(*a))
    build.build_store(tmp_path / "copy", [nt])
    assert seen, "the copy was not used"
    monkeypatch.setattr(build, "_shadow", lambda files: None)
    build.build_store(tmp_path / "store", [nt])
    copy, store = built(tmp_path / "copy"), built(tmp_path / "store")
    assert any(b"RejectedReading" in q for q in store["quads"])
    for part in store:
        assert copy[part] == store[part], part

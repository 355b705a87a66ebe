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
    monkeypatch.setattr(build, "_shadow", lambda files, free=True: None)
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


def test_the_name_index_read_from_the_copy_is_the_one_read_from_the_files(tmp_path, monkeypatch):
    """With an in-memory copy, the index's names are read from it (names.names_of), not
    scanned from the files: the same index as the scan (tests/test_stores.py holds that to the
    store's own), on names written every way N-Triples and N-Quads allow."""
    import qdgraph.storage.build as build
    import qdgraph.names as names
    from qdgraph.storage.generations import current_generation
    from qdgraph.storage.namestore import load_names

    lab, typ = "<http://www.w3.org/2000/01/rdf-schema#label>", "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    alt, qd = "<http://www.w3.org/2004/02/skos/core#altLabel>", "https://w3id.org/qdgraph/ontology#"
    nt = tmp_path / "names.nt"
    nt.write_text("\n".join([
        f'<http://ex.org/a> {lab} "引号\\"企业"@ZH-Hans .',
        f"<http://ex.org/a> {typ} <{qd}Enterprise> .",
        f"<http://ex.org/a> {typ} <{qd}Platform> .",
        '<http://ex.org/a>\t<http://www.w3.org/2000/01/rdf-s\\u0063hema#label>\t"Quoted Co"@en . # escaped',
        f'<http://ex.org/a> {alt} "甲乙" .', f"<http://ex.org/a> {alt} <http://ex.org/alias> .",
        f'<http://ex.org/b> {lab} <http://ex.org/not-a-literal> .', f"<http://ex.org/b> {typ} <{qd}Enterprise> .",
        f'<http://ex.org/q> {lab} "引文"@zh .', f"<http://ex.org/q> {typ} <{qd}Quote> .",
        f'<http://ex.org/c> {lab} "测试企业"^^<http://www.w3.org/2001/XMLSchema#string> .',
        f'<http://ex.org/c> {lab} "测试企业"@zh .', f'<http://ex.org/c> {lab} "测试企业"@zh .',
        f'<http://ex.org/c> {typ} "{qd}Claim" .', f"<http://ex.org/u> {typ} <{qd}Enterprise> .",
    ]) + "\n", encoding="utf-8")
    nq = tmp_path / "graphs.nq"
    nq.write_text(f'<http://ex.org/d> {lab} "在命名图中"@zh <http://ex.org/g> .\n'
                  f'<http://ex.org/e> {lab} "默认图"@zh .\n<http://ex.org/e> {typ} <{qd}Indicator> <http://ex.org/g> .\n',
                  encoding="utf-8")
    read = []
    real = names.names_of
    monkeypatch.setattr(names, "names_of", lambda store: read.append(real(store)) or read[-1])
    build.build_store(tmp_path / "copy", [nt, nq])
    assert read, "the names were not read from the copy"  # (an error there: the files are scanned)
    monkeypatch.setattr(build, "_shadow", lambda files, free=True: None)
    build.build_store(tmp_path / "scan", [nt, nq])
    copy, scan = (load_names(current_generation(tmp_path / k)) for k in ("copy", "scan"))
    assert copy == scan
    by_iri = {e["iri"]: e for e in copy}
    assert by_iri["http://ex.org/a"]["types"] == ["qd:Enterprise", "qd:Platform"]
    assert by_iri["http://ex.org/a"]["alt"] == ["http://ex.org/alias", "甲乙"] and by_iri["http://ex.org/a"]["en"] == "Quoted Co"
    assert by_iri["http://ex.org/e"]["types"] == [] and by_iri["http://ex.org/c"]["zh"] == "测试企业"
    assert not {"http://ex.org/b", "http://ex.org/q", "http://ex.org/d", "http://ex.org/u"} & set(by_iri)


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
    monkeypatch.setattr(build, "_shadow", lambda files, free=True: None)
    build.build_store(tmp_path / "store", [nt])
    copy, store = built(tmp_path / "copy"), built(tmp_path / "store")
    assert any(b"RejectedReading" in q for q in store["quads"])
    for part in store:
        assert copy[part] == store[part], part


def test_a_verdict_on_a_link_a_rule_derives_again_keeps_the_link(tmp_path, monkeypatch):
    """The copy's derived triples go into the store with its last bulk-load call, before the
    store's verdicts run, unless a verdict drops a triple a rule derives again: the copy runs
    the verdicts first, so the link stays, and so must it in the store."""
    import pyoxigraph as ox

    import qdgraph.storage.build as build
    from qdgraph import paths
    from qdgraph.namespaces import PREFIXES
    from qdgraph.storage.rdfio import parse_file
    from qdgraph.storage.rules import materialise
    from qdgraph.storage.shadow import Shadow

    qd, qdr, rdf = PREFIXES["qd"], PREFIXES["qdr"], PREFIXES["rdf"]
    bundled = ox.Store()
    for f in paths.bundled_files():
        bundled.extend(parse_file(f))
    added: list[bytes] = []
    materialise(bundled, added=added)
    link = next(t for t in ox.parse(b"".join(added), format=ox.RdfFormat.N_TRIPLES)
                if t.predicate.value == qd + "affects")  # a link a rule derives
    c, v = f"<{qdr}claim-test-reading-again>", f"<{qdr}verdict-test-reading-again>"
    nt = tmp_path / "again.nt"
    nt.write_text(f"{link} .\n{c} <{rdf}type> <{qd}Claim> .\n{c} <{qd}basis> <{qd}InferredFromContext> .\n"
                  f"{c} <{rdf}subject> {link.subject} .\n{c} <{rdf}predicate> {link.predicate} .\n"
                  f"{c} <{rdf}object> {link.object} .\n{v} <{rdf}type> <{qd}Verdict> .\n{v} <{qd}onClaim> {c} .\n"
                  f"{v} <{qd}decision> <{qd}Rejected> .\n", encoding="utf-8")
    given = []
    real = Shadow.derived_before_verdicts
    monkeypatch.setattr(Shadow, "derived_before_verdicts", lambda self: given.append(real(self)) or given[-1])
    build.build_store(tmp_path / "copy", [nt])
    assert given == [None], "the derived triples went in before the verdicts"
    monkeypatch.setattr(build, "_shadow", lambda files, free=True: None)
    build.build_store(tmp_path / "store", [nt])
    copy, store = built(tmp_path / "copy"), built(tmp_path / "store")
    assert any(q.startswith(str(link).encode()) for q in copy["quads"])
    assert any(b"claim-test-reading-again> <" + rdf.encode() + b"type> <" + qd.encode() + b"RejectedReading>" in q
               for q in copy["quads"])
    for part in store:
        assert copy[part] == store[part], part


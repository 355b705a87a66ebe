"""``--reason rdfs|owlrl`` and the consistency check compute closures with owlrl through a
faster rule set (``qdgraph.engine.reasoning._semantics``); its closure and its error messages
must be owlrl's own, computed here by owlrl as it comes, in a Python that never imported qdgraph."""
from __future__ import annotations

import subprocess
import sys

import pyoxigraph as ox
import pytest

# Every group of OWL 2 RL rules the faster rule set touches: equality (eq-ref, eq-sym, eq-trans,
# eq-rep-*, eq-diff1/2), what concludes sameAs (functional and inverse-functional properties,
# keys), property chains, classes, domains and ranges. Lists are written with IRIs, not blank
# nodes, so the two closures can be compared line by line.
GRAPH = """
@prefix ex: <urn:ex:> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

ex:Person a owl:Class ; rdfs:subClassOf ex:Agent .
ex:Agent owl:disjointWith ex:Place .
ex:knows rdfs:domain ex:Person ; rdfs:range ex:Person ; owl:inverseOf ex:knownBy .
ex:mother a owl:FunctionalProperty .
ex:id a owl:InverseFunctionalProperty .
ex:uncle owl:propertyChainAxiom ex:chain1 .
ex:chain1 rdf:first ex:parent ; rdf:rest ex:chain2 . ex:chain2 rdf:first ex:brother ; rdf:rest rdf:nil .
ex:Person owl:hasKey ex:keys1 . ex:keys1 rdf:first ex:passport ; rdf:rest rdf:nil .

ex:ann ex:knows ex:bob ; ex:mother ex:carol , ex:caroline ; ex:parent ex:dan ; ex:passport "P1" .
ex:anna a ex:Person ; ex:passport "P1" .
ex:dan ex:brother ex:ed .
ex:bob owl:sameAs ex:robert . ex:robert owl:sameAs ex:rob .
ex:x1 ex:id "same" . ex:x2 ex:id "same" .
ex:eve owl:sameAs ex:eva ; owl:differentFrom ex:eva .
ex:self owl:differentFrom ex:self .
ex:all a owl:AllDifferent ; owl:members ex:m1 .
ex:m1 rdf:first ex:rob ; rdf:rest ex:m2 . ex:m2 rdf:first ex:bob ; rdf:rest ex:m3 . ex:m3 rdf:first ex:zed ; rdf:rest rdf:nil .
ex:hall a ex:Place ; ex:knows ex:ann .
ex:n ex:count "x"^^xsd:integer .
"""

STOCK = """
import sys, owlrl, rdflib
g = rdflib.Graph(store="SimpleMemory")
g.parse(data=sys.stdin.read(), format="nt")
semantics = {"rdfs": owlrl.RDFS_Semantics, "owlrl": owlrl.OWLRL_Semantics}[sys.argv[1]]
owlrl.DeductiveClosure(semantics, axiomatic_triples=False, datatype_axioms=False).expand(g)
plain = rdflib.Graph(store="SimpleMemory")
for s, p, o in g:
    if not isinstance(s, rdflib.Literal) and isinstance(p, rdflib.URIRef):
        plain.add((s, p, o))
sys.stdout.write(plain.serialize(format="nt"))
"""

ERROR = "http://www.daml.org/2002/03/agents/agent-ont#error"


def _split(nt: bytes) -> tuple[set, set]:
    """(triples without blank nodes, owlrl's error messages): owlrl writes each message on a
    blank node of its own, labelled differently in every run."""
    triples = [q.triple for q in ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)]
    ground = {t for t in triples if not any(isinstance(x, ox.BlankNode) for x in (t.subject, t.object))}
    errors = {t.object.value for t in triples if t.predicate == ox.NamedNode(ERROR)}
    return ground, errors


@pytest.mark.parametrize("kind", ["rdfs", "owlrl"])
def test_closure_and_errors_are_owlrls_own(kind):
    from qdgraph.engine.reasoning import _compute

    nt = ox.serialize(ox.parse(GRAPH, format=ox.RdfFormat.TURTLE), format=ox.RdfFormat.N_TRIPLES)
    stock = subprocess.run([sys.executable, "-c", STOCK, kind], input=nt, capture_output=True, check=True).stdout
    ours = _compute(nt, kind)
    (want, want_errors), (got, got_errors) = _split(stock), _split(ours)
    assert got == want
    assert got_errors == want_errors
    if kind == "owlrl":  # the graph really exercises what was changed
        same = ox.NamedNode("http://www.w3.org/2002/07/owl#sameAs")
        assert ox.Triple(ox.NamedNode("urn:ex:rob"), same, ox.NamedNode("urn:ex:bob")) in got  # eq-sym + eq-trans
        assert ox.Triple(ox.NamedNode("urn:ex:carol"), same, ox.NamedNode("urn:ex:caroline")) in got  # prp-fp
        assert ox.Triple(ox.NamedNode("urn:ex:ann"), ox.NamedNode("urn:ex:uncle"), ox.NamedNode("urn:ex:ed")) in got
        assert any("differentFrom" in e and "urn:ex:self" in e for e in got_errors)  # eq-diff1 on x = x
        assert any("differentFrom" in e and "urn:ex:eve" in e for e in got_errors)
        assert any("AllDifferent" in e for e in got_errors)


def test_owlrl_is_given_the_same_terms():
    """The plain namespaces owlrl is given hold the very terms rdflib's namespaces give."""
    import owlrl.OWLRL
    from rdflib.namespace import OWL, RDF

    from qdgraph.engine.reasoning import _semantics

    _semantics("owlrl")
    assert owlrl.OWLRL.OWL.sameAs == OWL.sameAs and owlrl.OWLRL.RDF.type == RDF.type
    assert owlrl.OWLRL.OWL["sameAs"] == OWL.sameAs and str(owlrl.OWLRL.OWL) == str(OWL)


# owlrl as published: qdgraph's one change to it (plain namespaces) lasts only while a closure runs

def _owlrl_state() -> dict:
    """Every attribute of owlrl's modules and of the classes they define, by identity."""
    state = {}
    for name, module in list(sys.modules.items()):
        if name == "owlrl" or name.startswith("owlrl."):
            for attr, value in list(vars(module).items()):
                state[(name, attr)] = value
                if isinstance(value, type) and value.__module__.startswith("owlrl"):
                    state.update({(name, attr, a): v for a, v in vars(value).items()})
    return state


def _chain(n: int) -> bytes:
    """A transitive property along ``n`` nodes: about n²/2 conclusions (n = 400: minutes of owlrl)."""
    ttl = ("@prefix ex: <urn:ex:> . @prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
           "ex:next a owl:TransitiveProperty .\n" + "".join(f"ex:n{i} ex:next ex:n{i + 1} .\n" for i in range(n)))
    return ox.serialize(ox.parse(ttl, format=ox.RdfFormat.TURTLE), format=ox.RdfFormat.N_TRIPLES)


def _nt(store) -> bytes:
    return ox.serialize((q.triple for q in store), format=ox.RdfFormat.N_TRIPLES)


def _backend(nt: bytes):
    from qdgraph.engine.backend import LocalBackend

    store = ox.Store()
    store.bulk_load(nt, format=ox.RdfFormat.N_TRIPLES)
    return LocalBackend(store)


def test_owlrls_modules_are_unchanged_after_a_closure(tmp_path, monkeypatch):
    import owlrl  # noqa: F401  (its modules are loaded before the first snapshot)

    from qdgraph.engine.reasoning import closure
    from qdgraph.errors import QueryTimeout

    monkeypatch.setenv("QDGRAPH_CACHE", str(tmp_path))
    before = _owlrl_state()
    nt = ox.serialize(ox.parse(GRAPH, format=ox.RdfFormat.TURTLE), format=ox.RdfFormat.N_TRIPLES)
    for kind in ("rdfs", "owlrl"):
        assert len(closure(_backend(nt), kind)) > len(list(ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)))
    with pytest.raises(QueryTimeout):   # a closure stopped half-way leaves nothing changed either
        closure(_backend(_chain(400)), "owlrl", timeout=0.2)
    after = _owlrl_state()
    assert after.keys() == before.keys()
    assert [k for k, v in before.items() if after[k] is not v] == []


def test_the_plain_namespaces_hold_rdflibs_own_terms():
    import owlrl.OWLRL
    from rdflib.namespace import OWL, RDF

    from qdgraph.engine.reasoning import plain_namespaces

    with plain_namespaces():
        assert owlrl.OWLRL.OWL is not OWL, "nothing was swapped: the faster closure is not in use"
        assert owlrl.OWLRL.OWL.sameAs == OWL.sameAs and owlrl.OWLRL.RDF.type == RDF.type
        assert owlrl.OWLRL.OWL["sameAs"] == OWL.sameAs and str(owlrl.OWLRL.OWL) == str(OWL)
    assert owlrl.OWLRL.OWL is OWL


def test_a_closure_stops_at_its_time_limit(tmp_path, monkeypatch):
    import time

    from qdgraph.engine.reasoning import closure
    from qdgraph.errors import QueryTimeout

    monkeypatch.setenv("QDGRAPH_CACHE", str(tmp_path))
    backend = _backend(_chain(400))
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"owlrl closure did not finish within 0\.5 s"):
        closure(backend, "owlrl", timeout=0.5)
    assert time.monotonic() - started < 30, "the closure ran on past its time limit"
    assert not list(tmp_path.glob("closure-*")), "a stopped closure was kept"


@pytest.mark.parametrize("damage", ["cut at a line", "a changed term", "no closing hash"])
def test_a_damaged_closure_file_is_computed_again(tmp_path, monkeypatch, damage):
    from qdgraph.engine.reasoning import closure

    monkeypatch.setenv("QDGRAPH_CACHE", str(tmp_path))
    nt = ox.serialize(ox.parse(GRAPH, format=ox.RdfFormat.TURTLE), format=ox.RdfFormat.N_TRIPLES)
    whole = _split(_nt(closure(_backend(nt), "owlrl")))
    (kept,) = tmp_path.glob("closure-*.nt")
    lines = kept.read_bytes().splitlines(keepends=True)
    kept.write_bytes({"cut at a line": b"".join(lines[:len(lines) // 2] + lines[-1:]),
                      "a changed term": kept.read_bytes().replace(b"urn:ex:ann", b"urn:ex:anx"),
                      "no closing hash": b"".join(lines[:-1])}[damage])
    assert _split(_nt(closure(_backend(nt), "owlrl"))) == whole

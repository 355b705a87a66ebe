"""Issue 10.7a: the graph stays consistent when an OWL 2 RL reasoner loads the reused
vocabularies' own axioms (PROV-O, ORG, OA, Data Cube + SDMX from the shared folder; SKOS, FOAF,
OWL-Time, schema.org from ontology/external/axioms.ttl), and the check finds each kind of clash."""
from __future__ import annotations

import pytest

from qdgraph import paths
from qdgraph.domain import consistency
from qdgraph.errors import QdgraphError

pytestmark = [
    pytest.mark.slow,   # two OWL 2 RL closures over the vocabularies: ~4 s
    pytest.mark.skipif(not (paths.shared_dir() / "vocab" / "prov-o.ttl").is_file(),
                       reason=f"published vocabularies not in {paths.shared_dir() / 'vocab'} (set QDGRAPH_SHARED)"),
]

QDR = "https://w3id.org/qdgraph/id/"


def test_bundled_graph_is_consistent_with_the_vocabularies_axioms():
    clashes = consistency.check()
    assert not clashes, "OWL 2 RL contradictions:\n" + "\n".join(c.line() for c in clashes)


# One graph with one instance of every kind of clash, each on its own node.
PLANTED = """
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <https://schema.org/> .
@prefix time: <http://www.w3.org/2006/time#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix qdr: <https://w3id.org/qdgraph/id/> .

# PROV-O: an activity derived from something is also an entity (domain of wasDerivedFrom)
qdr:t-event a prov:Activity ; prov:wasDerivedFrom qdr:t-quote .
qdr:t-nothing a owl:Nothing .
# schema.org place vs organisation (owl:AllDisjointClasses in external/axioms.ttl)
qdr:t-city a schema:City , schema:GovernmentOrganization .
# SKOS S27: related and broaderTransitive are disjoint
qdr:t-a skos:related qdr:t-b ; skos:broader qdr:t-b .
# SKOS S13: the same label as prefLabel and altLabel
qdr:t-c skos:prefLabel "青岛"@zh ; skos:altLabel "青岛"@zh .
# OWL-Time: a ProperInterval is no Instant; hasBeginning's range makes it one
qdr:t-period a time:ProperInterval . qdr:t-year time:hasBeginning qdr:t-period .
qdr:t-bad a skos:Concept ; skos:notation "x"^^xsd:integer .
# and a correct use of each, which must raise nothing
qdr:t-ok-event a prov:Activity ; prov:used qdr:t-ok-doc . qdr:t-ok-doc a prov:Entity .
qdr:t-ok-place a schema:City . qdr:t-ok-gov a schema:GovernmentOrganization .
qdr:t-ok-a skos:broader qdr:t-ok-b ; skos:prefLabel "市"@zh ; skos:altLabel "城市"@zh .
qdr:t-ok-year a time:ProperInterval ; time:hasBeginning qdr:t-ok-start .
"""


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    f = tmp_path_factory.mktemp("planted") / "planted.ttl"
    f.write_text(PLANTED, encoding="utf-8")
    return consistency.check([f], with_bundled=False)


def _find(clashes, node):
    return [c for c in clashes if c.node == QDR + node]


@pytest.mark.parametrize("node, kind, terms, because", [
    ("t-event", "disjoint classes", {"http://www.w3.org/ns/prov#Activity", "http://www.w3.org/ns/prov#Entity"},
     "prov:Entity: domain of prov:wasDerivedFrom (qdr:t-event prov:wasDerivedFrom qdr:t-quote)"),
    ("t-nothing", "member of owl:Nothing", set(), "owl:Nothing: asserted type owl:Nothing"),
    ("t-city", "disjoint classes", {"https://schema.org/Place", "https://schema.org/Organization"},
     "schema:Place: asserted type schema:City"),
    ("t-a", "disjoint properties", {"http://www.w3.org/2004/02/skos/core#related",
                                    "http://www.w3.org/2004/02/skos/core#broaderTransitive"}, None),
    ("t-c", "disjoint properties", {"http://www.w3.org/2004/02/skos/core#prefLabel",
                                    "http://www.w3.org/2004/02/skos/core#altLabel"}, None),
    ("t-period", "disjoint classes", {"http://www.w3.org/2006/time#ProperInterval",
                                      "http://www.w3.org/2006/time#Instant"},
     "time:Instant: range of time:hasBeginning (qdr:t-year time:hasBeginning qdr:t-period)"),
])
def test_each_kind_of_clash_is_found_and_explained(planted, node, kind, terms, because):
    found = _find(planted, node)
    assert found, f"no clash reported on qdr:{node}; got:\n" + "\n".join(c.line() for c in planted)
    assert [c.kind for c in found] == [kind]
    assert set(found[0].terms) == terms
    if because:
        assert because in found[0].because, found[0].line()


def test_owlrl_findings_outside_the_rule_table_are_kept(planted):
    others = [c for c in planted if c.kind == "owlrl"]
    assert any("does not match its datatype" in b and "'x'" in b for c in others for b in c.because), \
        "\n".join(c.line() for c in planted)


def test_only_the_planted_mistakes_clash(planted):
    assert {c.node for c in planted if c.node} == {QDR + n for n in (
        "t-event", "t-nothing", "t-city", "t-a", "t-c", "t-period")}


def test_missing_vocabularies_are_named(tmp_path):
    (tmp_path / "vocab").mkdir()
    (tmp_path / "vocab" / "prov-o.ttl").write_text("", encoding="utf-8")
    with pytest.raises(QdgraphError, match=r"vocabularies not found in .*org\.ttl"):
        consistency.vocabulary_files(tmp_path)

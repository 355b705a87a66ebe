"""Issue 10.7c: each classic modelling mistake, made once in an otherwise correct graph in the
new model (tests/data/model-sample.ttl), is rejected by `qdgraph validate` (SHACL + quote check).

A mistake counts as rejected when the broken graph has a violation on the broken node that the
correct graph does not have, so a case cannot pass on some other complaint."""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from conftest import ROOT
from qdgraph.namespaces import sparql_prologue
from qdgraph.domain.validate import validate

SAMPLE = ROOT / "tests" / "data" / "model-sample.ttl"
QDR = "https://w3id.org/qdgraph/id/"
SOURCE = ROOT / "data" / "sources" / "000_e4ce7d2251e78f88.txt"


# mistake → (the nodes a rejection may name, SPARQL UPDATE that makes the mistake)
MISTAKES = {
    "activity derived from a quote": (
        ["sample-event"], "INSERT DATA { qdr:sample-event prov:wasDerivedFrom qdr:sample-quote }"),
    "quote not at its offsets": (   # the same length one character on: the quote is elsewhere
        ["sample-quote", "sample-quote-text", "sample-quote-position"],
        """DELETE { ?s oa:start ?a ; oa:end ?b }
           INSERT { ?s oa:start ?a2 ; oa:end ?b2 }
           WHERE { qdr:sample-quote oa:hasSelector ?s . ?s oa:start ?a ; oa:end ?b
                   BIND (STRDT(STR(?a + 1), xsd:nonNegativeInteger) AS ?a2)
                   BIND (STRDT(STR(?b + 1), xsd:nonNegativeInteger) AS ?b2) }"""),
    "observation without a period": (
        ["sample-target"], "DELETE WHERE { qdr:sample-target sdmx-dimension:refPeriod ?p }"),
    "indicator in no scheme": (
        ["sample-indicator"],
        "DELETE WHERE { qdr:sample-indicator skos:inScheme ?s ; skos:topConceptOf ?t }"),
}
PREFIXES = sparql_prologue() + "\n".join(f"PREFIX {p}: <{iri}>" for p, iri in {
    "sdmx-dimension": "http://purl.org/linked-data/sdmx/2009/dimension#"}.items()) + "\n"


def _keys(report):
    # blank nodes (property shapes, selectors) get new labels on every parse: compare without them
    return {(v.focus if not v.focus.startswith("_:") else "_:", v.path, v.message) for v in report.violations}


@pytest.fixture(scope="module")
def correct():
    return validate([SAMPLE], with_bundled=False)


def test_sample_quote_is_at_its_offsets():
    # guards the sample itself: its position selector is right, so breaking it means something
    text = SOURCE.read_text(encoding="utf-8")
    assert text[1626:1639] == "全市人才总量超过300万人"
    assert text.count("值比重达到7%，全市人才总量超过300万人。") == 1


def test_correct_sample_passes(correct):
    assert correct.conforms, "\n".join(v.line() for v in correct.violations)


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_mistake_is_rejected(mistake, correct, tmp_path):
    nodes, update = MISTAKES[mistake]
    store = ox.Store()
    store.load(path=str(SAMPLE), format=ox.RdfFormat.TURTLE)
    before = len(store)
    store.update(PREFIXES + update)
    assert len(store) != before or mistake == "quote not at its offsets", "the update changed nothing"
    broken = tmp_path / "broken.ttl"
    broken.write_bytes(store.dump(format=ox.RdfFormat.TURTLE, from_graph=ox.DefaultGraph()))
    report = validate([broken], with_bundled=False)
    new = _keys(report) - _keys(correct)
    assert any(focus in {QDR + n for n in nodes} for focus, *_ in new), \
        f"{mistake}: nothing new reported on {nodes}; new: {sorted(new)}"

"""SHACL validation: the sh:sparql constraints qdgraph evaluates once over the whole graph give
the same violations as pySHACL evaluating them node by node, over every shapes file (the
claims' shapes and the Data Cube observations' shapes)."""
from __future__ import annotations

from qdgraph import paths
from qdgraph.domain.validate import validate

BAD = """@prefix qd: <https://w3id.org/qdgraph/ontology#> .
@prefix qdr: <https://w3id.org/qdgraph/id/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#> .
qdr:m qd:affects qdr:indicator-fake .
[] a qd:Claim ; rdf:subject qdr:a ; rdf:predicate qd:supports ; rdf:object qdr:b ;
   qd:basis qd:InferredFromContext .
qdr:obs-bad qd:valueKind qd:ObservedValue ; sdmx-measure:obsValue "3" .
"""


def _pyshacl_only(files):
    """Every violation as pySHACL alone reports it: (focus, path, message) with blank nodes
    reduced to a marker, since the two engines name them differently."""
    import rdflib
    from pyshacl import validate as shacl_validate

    g, shapes = rdflib.Graph(), rdflib.Graph()
    for f in files:
        g.parse(str(f), format="turtle")
    for f in paths.shape_files():
        shapes.parse(str(f), format="turtle")
    _, results, _ = shacl_validate(g, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True)
    SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    out = set()
    for r in results.subjects(rdflib.RDF.type, SH.ValidationResult):
        focus = results.value(r, SH.focusNode)
        out.add(("_" if isinstance(focus, rdflib.BNode) else str(focus),
                 str(results.value(r, SH.resultPath) or ""), str(results.value(r, SH.resultMessage))))
    return out


def test_sparql_constraints_match_pyshacl(tmp_path):
    f = tmp_path / "bad.ttl"
    f.write_text(BAD, encoding="utf-8")
    report = validate([f], with_bundled=False)
    ours = {("_" if v.focus.startswith("_:") else v.focus, v.path, v.message.split(": qdr:")[0])
            for v in report.violations if v.shape != "quotes"}
    expected = _pyshacl_only([*paths.ontology_files(), f])
    assert ours == expected
    messages = {m for _, _, m in ours}
    assert {"an inferred claim needs either its rule and premises (qd:derivedBy, qd:premise) or a qd:rationale "
            "in Chinese and in English", "the claim's triple is not in the graph",
            "no qd:Claim gives this link's basis and source", "sdmx-measure:obsValue is one xsd:decimal",
            "an observed value needs sdmx-measure:obsValue, sdmx-attribute:unitMeasure and prov:wasDerivedFrom "
            "its source"} <= messages

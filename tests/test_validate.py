"""SHACL validation (pyshifty) gives the same violations as pySHACL, over every shapes file (the
claims' shapes and the Data Cube observations' shapes) and over each SHACL feature: constraints,
paths, logical and qualified shapes, SPARQL constraints."""
from __future__ import annotations

import pytest

from qdgraph import paths
from qdgraph.domain.validate import shacl_violations, validate

BAD = """@prefix qd: <https://w3id.org/qdgraph/ontology#> .
@prefix qdr: <https://w3id.org/qdgraph/id/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#> .
qdr:m qd:affects qdr:indicator-fake .
[] a qd:Claim ; rdf:subject qdr:a ; rdf:predicate qd:supports ; rdf:object qdr:b ;
   qd:basis qd:InferredFromContext .
qdr:obs-bad qd:valueKind qd:ObservedValue ; sdmx-measure:obsValue "3" .
"""


def _pyshacl_only(files, shape_files=None):
    """Every violation as pySHACL alone reports it: (focus, path, message) with blank nodes
    reduced to a marker, since the two engines name them differently."""
    import rdflib
    from pyshacl import validate as shacl_validate

    g, shapes = rdflib.Graph(), rdflib.Graph()
    for f in files:
        g.parse(str(f), format="turtle")
    for f in shape_files or paths.shape_files():
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


# One of each mistake the bundled shapes' logical, range, node-kind, list and qualified
# constraints catch.
HOSTILE = """@prefix qd: <https://w3id.org/qdgraph/ontology#> .
@prefix qdr: <https://w3id.org/qdgraph/id/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix qb: <http://purl.org/linked-data/cube#> .
@prefix time: <http://www.w3.org/2006/time#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#> .
@prefix sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#> .
qdr:sel-neg a oa:TextPositionSelector ; oa:start -1 ; oa:end qdr:not-a-literal .
qdr:sel-text a oa:TextPositionSelector ; oa:start "abc" ; oa:end 3 .
qdr:quote-two a qd:Quote ; oa:hasSelector qdr:tq1 , qdr:tq2 , qdr:tp1 , qdr:tp2 .
qdr:tq1 a oa:TextQuoteSelector . qdr:tq2 a oa:TextQuoteSelector .
qdr:tp1 a oa:TextPositionSelector . qdr:tp2 a oa:TextPositionSelector .
qdr:quote-none a qd:Quote .
qdr:obs-both a qb:Observation ; qd:indicator qdr:i ; qd:statistic qdr:s ; qd:valueKind qd:Elsewhere .
qdr:obs-neither a qb:Observation ; sdmx-dimension:refPeriod qdr:p1 .
qdr:p1 time:hasBeginning qdr:b1 ; time:hasEnd qdr:e1 . qdr:e1 time:inXSDDate "2026" .
qdr:target-bare a qd:Target .
qdr:indicator-lost a qd:Indicator .
qdr:rule-zh a qd:Rule ; rdfs:label "只有中文"@zh .
qdr:claim-ok-by-rule a qd:Claim ; qd:basis qd:InferredFromContext ; qd:derivedBy qdr:rule-zh .
qdr:claim-rationale a qd:Claim ; qd:basis qd:InferredFromContext ; qd:rationale "理由"@zh , "reason"@en .
"""


def _comparable(focus, path, message):
    # pySHACL names a complex path by a blank node and writes the focus node into its default
    # count messages ("Less than 1 values on qdr:x->qd:p"); the rest must be equal
    return (focus, path if path.startswith("http") else "", message.split(": ")[0].split(" values on ")[0])


def _ours(report):
    return {_comparable("_" if v.focus.startswith("_:") else v.focus, v.path, v.message)
            for v in report.violations if v.shape not in ("quotes", "rules")}


_NODE_CONSTRAINTS = ("or", "and", "xone", "not", "nodeKind", "class", "datatype", "in", "hasValue", "pattern",
                     "minInclusive", "maxInclusive", "minExclusive", "maxExclusive", "minLength", "maxLength",
                     "languageIn", "closed", "node", "equals", "disjoint")


def test_every_constraint_of_the_bundled_shapes_has_its_own_message():
    # what a user reads is worded in the shapes, never an engine's default (pyshifty would give a
    # property shape without a message its node shape's, which is about something else)
    import pyoxigraph as ox

    sh = "http://www.w3.org/ns/shacl#"
    g = ox.Store()
    for f in paths.shape_files():
        g.load(path=str(f), format=ox.RdfFormat.TURTLE)
    silent = [r["where"].value for r in g.query(f"""
        SELECT ?where WHERE {{
          {{ ?where <{sh}property> ?p FILTER NOT EXISTS {{ ?p <{sh}message> ?m }} }}
          UNION {{ ?where a <{sh}NodeShape> ; ?c ?x FILTER NOT EXISTS {{ ?where <{sh}message> ?m }}
                  VALUES ?c {{ {" ".join(f"<{sh}{c}>" for c in _NODE_CONSTRAINTS)} }} }}
          UNION {{ ?s <{sh}sparql> ?where FILTER NOT EXISTS {{ ?where <{sh}message> ?m }} }} }}""")]
    assert silent == []


def test_logical_range_and_qualified_constraints_match_pyshacl(tmp_path):
    f = tmp_path / "hostile.ttl"
    f.write_text(HOSTILE, encoding="utf-8")
    ours = _ours(validate([f], with_bundled=False))
    expected = {_comparable(*r) for r in _pyshacl_only([*paths.ontology_files(), f])}
    assert ours == expected
    focus = {n for n, _, _ in ours}
    assert {"https://w3id.org/qdgraph/id/sel-neg", "https://w3id.org/qdgraph/id/sel-text",
            "https://w3id.org/qdgraph/id/quote-two", "https://w3id.org/qdgraph/id/obs-both",
            "https://w3id.org/qdgraph/id/obs-neither", "https://w3id.org/qdgraph/id/target-bare",
            "https://w3id.org/qdgraph/id/indicator-lost", "https://w3id.org/qdgraph/id/p1"} <= focus
    assert "https://w3id.org/qdgraph/id/claim-rationale" not in {n for n, _, m in ours if "inferred claim" in m}


_EX = "@prefix ex: <http://example.org/> .\n@prefix sh: <http://www.w3.org/ns/shacl#> .\n" \
      "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
_DATA = _EX + """ex:a a ex:T ; ex:p ex:b , "x"@en , 5 ; ex:q "long text" .
ex:b a ex:T ; ex:p "y"@fr ; ex:r ex:a .
ex:c a ex:T ; ex:q "ab" ; ex:p 12 .
ex:d a ex:U ; ex:q ex:a .
"""
# one SHACL feature per shape, each broken by some of ex:a … ex:d
_FEATURES = {
    "inverse path": "sh:property [ sh:path [ sh:inversePath ex:r ] ; sh:minCount 1 ; sh:message \"m\" ]",
    "alternative path": "sh:property [ sh:path [ sh:alternativePath ( ex:p ex:q ) ] ; sh:maxCount 2 ; "
                        "sh:message \"m\" ]",
    "sequence path": "sh:property [ sh:path ( ex:p ex:p ) ; sh:minCount 1 ; sh:message \"m\" ]",
    "zero or more": "sh:property [ sh:path [ sh:zeroOrMorePath ex:r ] ; sh:class ex:T ; sh:message \"m\" ]",
    "languageIn": "sh:property [ sh:path ex:p ; sh:languageIn ( \"en\" ) ; sh:message \"m\" ]",
    "in": "sh:property [ sh:path ex:p ; sh:in ( ex:b 5 ) ; sh:message \"m\" ]",
    "node kind": "sh:property [ sh:path ex:p ; sh:nodeKind sh:Literal ; sh:message \"m\" ]",
    "ranges": "sh:property [ sh:path ex:p ; sh:minExclusive 4 ; sh:maxInclusive 10 ; sh:message \"m\" ]",
    "max length": "sh:property [ sh:path ex:q ; sh:maxLength 3 ; sh:message \"m\" ]",
    "pattern with flags": "sh:property [ sh:path ex:q ; sh:pattern \"^AB\" ; sh:flags \"i\" ; sh:message \"m\" ]",
    "node-level not": "sh:not [ sh:path ex:q ; sh:minCount 1 ] ; sh:message \"m\"",
    "node-level and/or": "sh:or ( [ sh:class ex:U ] [ sh:and ( [ sh:path ex:p ; sh:hasValue ex:b ] "
                         "[ sh:path ex:p ; sh:maxCount 3 ] ) ] ) ; sh:message \"m\"",
    "xone with qualified": "sh:xone ( [ sh:path ex:p ; sh:qualifiedValueShape [ sh:datatype xsd:integer ] ; "
                           "sh:qualifiedMinCount 1 ] [ sh:path ex:q ; sh:minCount 1 ; sh:maxCount 1 ] ) ; "
                           "sh:message \"m\"",
    "qualified max": "sh:property [ sh:path ex:p ; sh:qualifiedValueShape [ sh:nodeKind sh:Literal ] ; "
                     "sh:qualifiedMaxCount 1 ; sh:message \"m\" ]",
    "node hasValue and in": "sh:in ( ex:a ex:b ) ; sh:message \"m\"",
}


_FEATURES.update({   # beyond what the bundled shapes use
    "closed": "sh:closed true ; sh:ignoredProperties ( <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> ex:p )",
    "equals": "sh:property [ sh:path ex:p ; sh:equals ex:q ]",
})


@pytest.mark.parametrize("feature", sorted(_FEATURES))
def test_each_feature_matches_pyshacl(tmp_path, feature):
    shapes_file, data_file = tmp_path / "shapes.ttl", tmp_path / "data.ttl"
    shapes_file.write_text(_EX + f"ex:S a sh:NodeShape ; sh:targetClass ex:T , ex:U ; {_FEATURES[feature]} .\n",
                           encoding="utf-8")
    data_file.write_text(_DATA, encoding="utf-8")
    import pyoxigraph as ox

    store = ox.Store()
    store.load(path=str(data_file), format=ox.RdfFormat.TURTLE)
    ours = {v.focus for v in shacl_violations(store, [shapes_file])}
    expected = {n for n, _, _ in _pyshacl_only([data_file], [shapes_file])}
    assert ours == expected
    assert expected, f"the data should break {feature}"

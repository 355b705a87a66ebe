"""Shared test data for the NetworkX and picture tests (imported by test_nxgraph / test_viz /
test_viz_browser; not a pytest conftest, so it changes nothing for other test modules).

SAMPLE is a small, self-contained slice of the data model (pillar → indicator ← measure →
chain ← enterprise, with claims and quotes). Its IRIs live under ``qdr:sample/`` and its
labels start with 样例, so it can be added to the bundled graph (``--data``) without making any
real name ambiguous, and tests can hard-code its contents while deriving everything about the
bundled data from the graph itself.
"""
from __future__ import annotations

from pathlib import Path

from conftest import turtle_prefixes

PREFIXES = turtle_prefixes("https://w3id.org/qdgraph/id/sample/")

def _turtle_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _quote(name: str, text: str) -> str:
    """A quote in the Web Annotation form (the sample's source text is not shipped, so it has
    no offsets and validate does not check it)."""
    return (f"qdr:{name} a qd:Quote ; oa:hasSource qdr:doc ; "
            f"oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact {_turtle_string(text)} ] .\n")


SAMPLE = PREFIXES + """
qdr:doc a qd:SourceDocument ; dcterms:title "样例来源"@zh .
""" + _quote("q1", "打造协同发展标杆，在产业生态培育营造上走在前列。") \
    + _quote("q2", "目标到2026年，全市人才总量超过300万人。") \
    + _quote("q3", "壮大新能源汽车、高端化工、虚拟现实等产业规模。") \
    + _quote("q4", "已聚集歌尔、小鸟看看等企业110余家。") + """
qdr:pillar a qd:Pillar ; skos:notation "P3" ;
    rdfs:label "样例协同发展标杆"@zh , "sample collaboration benchmark"@en ;
    qd:evidence qdr:q1 .
qdr:indicator a qd:Indicator ; skos:notation "I12" ;
    rdfs:label "样例人才总量"@zh , "sample talent pool"@en ;
    qd:measuredUnder qdr:pillar ; qd:evidence qdr:q2 .
qdr:target a qd:Target , qb:Observation ; rdfs:label "样例人才总量目标"@zh , "sample talent target"@en ;
    qd:indicator qdr:indicator ; sdmx-measure:obsValue 300 ; sdmx-attribute:unitMeasure unit:NUM ;
    sdmx-dimension:refPeriod <https://w3id.org/qdgraph/id/period-2026> ; qd:statedAs "超过300万人"@zh ;
    qd:valueKind qd:TargetValue ; prov:wasDerivedFrom qdr:q2 .
<https://w3id.org/qdgraph/id/period-2026> a time:ProperInterval ; rdfs:label "2026" .
qdr:measure a qd:Measure ;
    rdfs:label "样例壮大虚拟现实产业规模"@zh , "sample expand the VR industry"@en ;
    qd:actionVerb "壮大……规模"@zh ;
    qd:onRoadmapOf qdr:pillar ; qd:concerns qdr:chain ;
    qd:evidence qdr:q3 .
qdr:submeasure a qd:Measure ; rdfs:label "样例引进虚拟现实人才"@zh , "sample attract VR talent"@en ;
    qd:subMeasureOf qdr:measure ; qd:evidence qdr:q3 .
qdr:chain a qd:IndustryChain ; rdfs:label "样例虚拟现实"@zh , "sample virtual reality"@en ;
    qd:evidence qdr:q3 .
qdr:goertek a qd:Enterprise ; rdfs:label "样例歌尔"@zh , "sample Goertek"@en ;
    qd:inChain qdr:chain ; qd:evidence qdr:q4 .
qdr:pico a qd:Enterprise ; rdfs:label "样例小鸟看看"@zh , "sample Pico"@en ;
    qd:inChain qdr:chain ; qd:evidence qdr:q4 .
qdr:loner a qd:Enterprise ; rdfs:label "样例孤立企业"@zh , "sample isolated enterprise"@en ;
    qd:evidence qdr:q4 .

qdr:c1 a qd:Claim ; rdf:subject qdr:indicator ; rdf:predicate qd:measuredUnder ; rdf:object qdr:pillar ;
   qd:basis qd:Stated ; prov:wasDerivedFrom qdr:q1 .
qdr:c2 a qd:Claim ; rdf:subject qdr:measure ; rdf:predicate qd:onRoadmapOf ; rdf:object qdr:pillar ;
   qd:basis qd:Stated ; prov:wasDerivedFrom qdr:q3 .
qdr:c3 a qd:Claim ; rdf:subject qdr:measure ; rdf:predicate qd:concerns ; rdf:object qdr:chain ;
   qd:basis qd:Stated ; prov:wasDerivedFrom qdr:q3 .
qdr:c4 a qd:Claim ; rdf:subject qdr:submeasure ; rdf:predicate qd:subMeasureOf ; rdf:object qdr:measure ;
   qd:basis qd:Stated ; prov:wasDerivedFrom qdr:q3 .
qdr:c5 a qd:Claim ; rdf:subject qdr:goertek ; rdf:predicate qd:inChain ; rdf:object qdr:chain ;
   qd:basis qd:Stated ; prov:wasDerivedFrom qdr:q4 .
qdr:c6 a qd:Claim ; rdf:subject qdr:pico ; rdf:predicate qd:inChain ; rdf:object qdr:chain ;
   qd:basis qd:Stated ; prov:wasDerivedFrom qdr:q4 .
"""

SAMPLE_NS = "https://w3id.org/qdgraph/id/sample/"

# Labels a careless page would turn into markup or script. The enterprise joins the sample
# chain so it shows up in the chain picture as well as in "all".
HOSTILE_IMG = "<img src=x onerror=\"window.__pwned=1;alert(1)\">"
HOSTILE_SCRIPT = "</script><script>window.__pwned=2;alert(2)</script>"
HOSTILE = PREFIXES + f"""
qdr:evil a qd:Enterprise ;
    rdfs:label {_turtle_string(HOSTILE_IMG)}@zh , {_turtle_string(HOSTILE_SCRIPT)}@en ;
    qd:inChain qdr:chain ; qd:evidence qdr:q-evil .
{_quote("q-evil", "<b>bold</b> & " + HOSTILE_SCRIPT)}
qdr:c-evil a qd:Claim ; rdf:subject qdr:evil ; rdf:predicate qd:inChain ; rdf:object qdr:chain ;
   qd:basis qd:Stated ; prov:wasDerivedFrom qdr:q-evil .
"""


def write_sample(folder: Path, hostile: bool = False) -> list[Path]:
    """Write the sample (and optionally the hostile extra) as Turtle files; return their paths."""
    out = [folder / "sample.ttl"]
    out[0].write_text(SAMPLE, encoding="utf-8")
    if hostile:
        out.append(folder / "hostile.ttl")
        out[1].write_text(HOSTILE, encoding="utf-8")
    return out

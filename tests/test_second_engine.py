"""Issues 10.7b and 15: Apache Jena, an engine that shares no code with Oxigraph or pySHACL,
reads every Turtle file, validates the data against the shapes with the same outcome as
pySHACL, and answers every named query as Oxigraph does (one JVM run per check)."""
from __future__ import annotations

import re
from collections import Counter

import pyoxigraph as ox
import pytest

from conftest import ROOT
from jena import Jena, unavailable
from qdgraph import paths
from qdgraph.namespaces import PREFIXES, sparql_prologue
from qdgraph.engine.queries import all_queries
from qdgraph.storage.rdfio import parse_file
from qdgraph.engine.sparql import bind_values, strip_lexical
from qdgraph.domain.validate import validate

pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(unavailable()), reason=unavailable() or "")]

TTL_FILES = sorted(p for p in ROOT.rglob("*.ttl") if ".git" not in p.parts and "_bundle" not in p.parts)
SH = "http://www.w3.org/ns/shacl#"


@pytest.fixture(scope="module")
def jena(tmp_path_factory):
    return Jena(tmp_path_factory.mktemp("jena"))


# --- RIOT ------------------------------------------------------------------------------------

def test_riot_parses_every_turtle_file(jena, tmp_path):
    broken = tmp_path / "broken.ttl"      # a control: Jena does report a bad file here
    broken.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b "unterminated .\n', encoding="utf-8")
    report = jena.parse([*TTL_FILES, broken])
    assert report.pop(str(broken)), "RIOT accepted a broken file: the check cannot see errors"
    assert {f: m for f, m in report.items() if m} == {}


# --- SHACL -----------------------------------------------------------------------------------

def _nt(quads, target):
    """One N-Triples file (Jena's `shacl validate` reads only the last of several --data)."""
    target.write_bytes(ox.serialize((ox.Triple(q.subject, q.predicate, q.object) for q in quads),
                                    format=ox.RdfFormat.N_TRIPLES))
    return target


@pytest.fixture(scope="module")
def bundled_nt(kg, tmp_path_factory):
    """The bundled graph exactly as Oxigraph holds it (files plus whatever the build adds)."""
    return _nt(kg.backend.quads(), tmp_path_factory.mktemp("bundled") / "bundled.nt")


def _jena_results(report):
    import rdflib

    sh = rdflib.Namespace(SH)
    conforms = next(report.objects(None, sh.conforms))
    results = Counter()
    for r in report.subjects(rdflib.RDF.type, sh.ValidationResult):
        focus, path = report.value(r, sh.focusNode), report.value(r, sh.resultPath)
        severity = report.value(r, sh.resultSeverity)
        results[(str(focus) if isinstance(focus, rdflib.URIRef) else "_:",
                 str(path) if isinstance(path, rdflib.URIRef) else "",
                 str(severity).rsplit("#", 1)[-1])] += 1
    return conforms.toPython(), results


def _pyshacl_results(files, with_bundled):
    report = validate(files, with_bundled=with_bundled)
    shacl = [v for v in report.violations if v.shape != "quotes"]
    return (not any(v.severity == "Violation" for v in shacl),
            Counter((v.focus if not v.focus.startswith("_:") else "_:", v.path, v.severity) for v in shacl))


# a control the shapes reject in any version of the model, so there is something to compare
BROKEN = """@prefix qd: <https://w3id.org/qdgraph/ontology#> . @prefix qdr: <https://w3id.org/qdgraph/id/> .
qdr:t-indicator a qd:Indicator .
qdr:t-quote a qd:Quote .
"""


@pytest.mark.parametrize("case", ["bundled data", "a graph with violations"])
def test_jena_shacl_agrees_with_pyshacl(jena, bundled_nt, tmp_path, case):
    if case == "bundled data":
        conforms, results = _pyshacl_results([], with_bundled=True)
        data = bundled_nt
    else:
        broken = tmp_path / "broken.ttl"
        broken.write_text(BROKEN, encoding="utf-8")
        conforms, results = _pyshacl_results([broken], with_bundled=False)
        data = _nt([*parse_file(paths.ONTOLOGY), *parse_file(broken)], tmp_path / "data.nt")
    jena_conforms, jena_results = _jena_results(jena.shacl(paths.SHAPES, data))
    assert (jena_conforms, sum(jena_results.values())) == (conforms, sum(results.values()))
    assert jena_results == results
    if case != "bundled data":
        assert not conforms, "the control graph conforms: nothing was compared"


# --- ARQ -------------------------------------------------------------------------------------

def _samples(kg, param) -> list:
    """Values to bind ``param`` to: every instance of the class it names (``indicator`` →
    qd:Indicator, ``obs`` → qb:Observation: a class in use whose name starts with it, qd: first),
    else one instance of each qdgraph class (first by IRI)."""
    if param.kind != "iri":
        return []
    used = [r["c"].value for r in kg.query("SELECT DISTINCT ?c WHERE { ?x a ?c FILTER isIRI(?x) } ORDER BY ?c").rows]
    named = sorted((not c.startswith(PREFIXES["qd"]), c) for c in used
                   if re.split(r"[#/]", c)[-1].lower().startswith(param.name.lower()))
    cls = named[0][1] if named else PREFIXES["qd"] + param.name
    rows = kg.query("SELECT ?x WHERE { ?x a ?c FILTER isIRI(?x) } ORDER BY ?x", {"c": ox.NamedNode(cls)}).rows
    if not rows:
        rows = kg.query("""SELECT (MIN(STR(?x)) AS ?x) WHERE { ?x a ?c FILTER (isIRI(?x) && STRSTARTS(STR(?c), STR(qd:))) }
                           GROUP BY ?c ORDER BY ?x""").rows
    return [ox.NamedNode(r["x"].value) for r in rows]


def _runs(kg):
    """Every named query with every sample binding: name → (query, params)."""
    runs = {}
    for name, q in all_queries().items():
        values = [_samples(kg, p) for p in q.params]
        if not q.params:
            runs[name] = (q, {})
        for i, combo in enumerate(zip(*values) if len(values) > 1 else ([v] for v in (values[0] if values else []))):
            runs[f"{name}.{i}"] = (q, dict(zip((p.name for p in q.params), combo)))
    return runs


@pytest.fixture(scope="module")
def answers(kg, jena, bundled_nt):
    runs = _runs(kg)
    texts = {key: sparql_prologue() + bind_values(q.text, params) for key, (q, params) in runs.items()}
    return runs, jena.select(texts, [bundled_nt])


def _term(t) -> tuple:
    """An RDF term from either engine, as a comparable tuple (blank nodes all alike)."""
    if isinstance(t, dict):        # SPARQL JSON results
        kind = t["type"]
        if kind == "bnode":
            return ("bnode",)
        if kind == "uri":
            return ("uri", t["value"])
        lang = t.get("xml:lang", "").lower()
        return ("literal", t["value"], "" if lang else t.get("datatype", PREFIXES["xsd"] + "string"), lang)
    if isinstance(t, ox.BlankNode):
        return ("bnode",)
    if isinstance(t, ox.NamedNode):
        return ("uri", t.value)
    lang = (t.language or "").lower()
    return ("literal", t.value, "" if lang else t.datatype.value, lang)


def _order_keys(query: str, variables: list[str]) -> list[str] | None:
    """The projected variables of the outermost ORDER BY, or None when there is none or it
    sorts on something not projected (then only the rows, not their order, are compared)."""
    bare = strip_lexical(query)
    m = None
    for m in re.finditer(r"\bORDER\s+BY\b", bare, re.I):
        pass
    if m is None or "}" in bare[m.end():]:
        return None
    clause = re.split(r"\b(?:LIMIT|OFFSET)\b", bare[m.end():], flags=re.I)[0]
    keys = re.findall(r"[?$](\w+)", clause)
    return keys if keys and all(k in variables for k in keys) else None


@pytest.mark.parametrize("name", sorted(all_queries()))
def test_arq_answers_every_named_query_as_oxigraph(kg, answers, name):
    runs, jena_answers = answers
    keys = [k for k in runs if k == name or k.startswith(name + ".")]
    if not keys:
        pytest.skip(f"no sample values for the parameters of {name}")
    for key in keys:
        q, params = runs[key]
        ours = kg.named(name, params)
        theirs = jena_answers[key]
        where = f"{name} {({k: v.value for k, v in params.items()})}" if params else name
        assert isinstance(theirs, dict), f"{where}: Jena ARQ failed: {theirs}"
        assert theirs["head"]["vars"] == list(ours.variables), where
        our_rows = [tuple(_term(r[v]) if v in r else None for v in ours.variables) for r in ours.rows]
        their_rows = [tuple(_term(b[v]) if v in b else None for v in ours.variables)
                      for b in theirs["results"]["bindings"]]
        assert Counter(their_rows) == Counter(our_rows), \
            f"{where}: only Oxigraph {sorted(Counter(our_rows) - Counter(their_rows), key=repr)[:5]}, " \
            f"only Jena {sorted(Counter(their_rows) - Counter(our_rows), key=repr)[:5]}"
        order = _order_keys(q.text, list(ours.variables))
        if order:
            idx = [list(ours.variables).index(k) for k in order]
            assert [tuple(r[i] for i in idx) for r in their_rows] == [tuple(r[i] for i in idx) for r in our_rows], \
                f"{where}: rows come back in another order (ORDER BY {' '.join(order)})"

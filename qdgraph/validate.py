"""``qdgraph validate``: SHACL (pySHACL) over data + ontology with the rules materialised, every
quote checked character for character at its offsets in its source text, and every derived link
checked for its rule, premises and quotes.

A file that does not parse raises TurtleSyntaxError (``file:line: message``, exit 2) before
anything else runs; violations come back as a list, one per focus node and path.
"""
from __future__ import annotations

import re

from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .namespaces import PREFIXES, shorten


@dataclass
class Violation:
    focus: str
    path: str
    message: str
    severity: str = "Violation"
    shape: str = ""

    def line(self) -> str:
        return f"{shorten(self.focus) if self.focus else '-'}  {shorten(self.path) if self.path else '-'}  {self.message}"


@dataclass
class Report:
    files: list = field(default_factory=list)
    triples: int = 0
    violations: list = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return not any(v.severity == "Violation" for v in self.violations)


def validate(files=(), *, with_bundled: bool = True) -> Report:
    """Validate ``files`` (default: the bundled data) together with the ontology.

    With ``files`` and ``with_bundled`` (the default) the bundled data is included too, so an
    extra file may point at bundled entities — it is checked as ``--data FILE`` would query it.
    """
    import pyoxigraph as ox

    from .backend import LocalBackend
    from .graph import KnowledgeGraph
    from .quotes import check_derived, check_quotes
    from .rdfio import parse_file
    from .rules import materialise

    files = [Path(f) for f in files]
    targets = paths.ontology_files() + (sorted(paths.DATA_DIR.glob("*.ttl")) if (with_bundled or not files) else [])
    targets += [f for f in files if f.resolve() not in {t.resolve() for t in targets}]
    store = ox.Store()
    for f in targets:          # parse all first: a syntax error stops here, nothing half-checked
        store.extend(parse_file(f))
    materialise(store)
    report = Report([str(f) for f in targets], len(store))
    report.violations += _shacl(store)
    kg = KnowledgeGraph(LocalBackend(store))
    dirs = [paths.DATA_DIR] + [f.resolve().parent for f in files]
    report.violations += [Violation(p.focus, p.path, p.message, shape="quotes")
                          for p in check_quotes(kg, list(dict.fromkeys(dirs)))]
    report.violations += [Violation(p.focus, p.path, p.message, shape="rules") for p in check_derived(kg)]
    return report


def _shacl(store) -> list[Violation]:
    import rdflib
    from pyshacl import validate as shacl_validate

    from .rdfio import to_rdflib

    shapes = rdflib.Graph()
    for f in paths.shape_files():
        shapes.parse(str(f), format="turtle")
    # pySHACL runs a SPARQL constraint once per focus node, parsing its text each time (95 % of
    # the time); the ones whose focus nodes a pattern can name run here once over the graph
    out = _sparql_constraints(store, shapes)
    _, results, _ = shacl_validate(to_rdflib(store), shacl_graph=shapes, inference="none", advanced=True,
                                   allow_warnings=True)
    SH = rdflib.Namespace(SHACL)
    for r in results.subjects(rdflib.RDF.type, SH.ValidationResult):
        focus = results.value(r, SH.focusNode)
        path = results.value(r, SH.resultPath)
        msgs = [str(m) for m in results.objects(r, SH.resultMessage)]
        sev = results.value(r, SH.resultSeverity)
        value = results.value(r, SH.value)
        out.append(_violation(_node_text(focus), str(path) if isinstance(path, rdflib.URIRef) else "",
                              msgs[0] if msgs else "constraint violated",
                              str(value) if isinstance(value, rdflib.URIRef) else None,
                              str(sev) if sev else None, str(results.value(r, SH.sourceShape) or "")))
    out.sort(key=lambda v: (v.focus, v.path, v.message))
    return out


SHACL = "http://www.w3.org/ns/shacl#"
_TARGETS = {"targetClass": "?this rdf:type/rdfs:subClassOf* {} .", "targetNode": "VALUES ?this {{ {} }}",
            "targetSubjectsOf": "?this {} [] .", "targetObjectsOf": "[] {} ?this ."}


def _violation(focus: str, path: str, message: str, value: str | None, severity: str | None,
               shape: str) -> Violation:
    if value and value != focus and value not in message:
        message += f": {shorten(value)}"
    return Violation(focus, path, message, severity.rsplit("#", 1)[-1] if severity else "Violation", shape)


def _sparql_constraints(store, shapes) -> list[Violation]:
    """Evaluate the ``sh:sparql`` constraints of node shapes over the whole graph at once and
    remove them from ``shapes``. Each query runs as a sub-SELECT joined with a pattern for its
    shape's targets: the same answers as binding ``$this`` to every focus node in turn, for
    constraints that project ``$this`` and have no other pre-bound variable. Others stay with
    pySHACL."""
    import pyoxigraph as ox
    import rdflib

    SH = rdflib.Namespace(SHACL)
    out = []
    for shape, cons in list(shapes.subject_objects(SH.sparql)):
        query = shapes.value(cons, SH.select)
        targets = [(t, shapes.value(shape, SH[t]) and list(shapes.objects(shape, SH[t]))) for t in _TARGETS]
        targets = [(t, objs) for t, objs in targets if objs]
        if (query is None or (shape, SH.path, None) in shapes or not targets
                or shapes.value(cons, SH.deactivated) == rdflib.Literal(True)
                or not re.match(r"\s*SELECT\s+(DISTINCT\s+)?\$this\b", str(query), re.I)
                or re.search(r"\$(?!this\b)\w", str(query))):
            continue
        prefixes = dict(PREFIXES)
        for decl in shapes.objects(cons, SH.prefixes):
            for d in shapes.objects(decl, SH.declare):
                prefixes[str(shapes.value(d, SH.prefix))] = str(shapes.value(d, SH.namespace))
        pattern = " UNION ".join("{ " + _TARGETS[t].format(o.n3()) + " }" for t, objs in targets for o in objs)
        text = (f"SELECT DISTINCT * WHERE {{ {{ SELECT DISTINCT ?this WHERE {{ {pattern} }} }} "
                f"{{ {str(query).replace('$this', '?this')} }} }}")
        message = str(shapes.value(cons, SH.message) or shapes.value(shape, SH.message) or "constraint violated")
        severity = shapes.value(shape, SH.severity)
        for sol in store.query(text, prefixes=prefixes):
            focus, path, value = sol["this"], sol["path"], sol["value"]
            out.append(_violation(
                ("_:" if isinstance(focus, ox.BlankNode) else "") + focus.value,
                path.value if isinstance(path, ox.NamedNode) else "",
                _fill(message, sol), value.value if isinstance(value, ox.NamedNode) else None,
                str(severity) if severity else None, str(shape)))
        shapes.remove((shape, SH.sparql, cons))
    return out


def _fill(message: str, sol) -> str:
    """A message template's ``{?var}`` / ``{$var}`` filled from a solution (SHACL 5.3.2)."""
    def term(m):
        t = sol[m.group(1)]
        return "" if t is None else t.value

    return re.sub(r"\{[?$](\w+)\}", term, message)


def _node_text(node) -> str:
    import rdflib

    if isinstance(node, rdflib.BNode):
        return "_:" + str(node)
    return str(node) if node is not None else ""

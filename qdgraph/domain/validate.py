"""``qdgraph validate``: SHACL (pyshifty) over data + ontology with the rules materialised, every
quote checked character for character at its offsets in its source text, and every derived link
checked for its rule, premises and quotes.

A file that does not parse raises TurtleSyntaxError (``file:line: message``, exit 2) before
anything else runs; violations come back as a list, one per focus node and path.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from qdgraph import paths
from qdgraph.namespaces import shorten


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
    from qdgraph.engine.backend import LocalBackend
    from qdgraph.engine.graph import KnowledgeGraph
    from qdgraph.domain.quotes import check_derived, check_quotes

    files = [Path(f) for f in files]
    targets, store = data_graph(files, with_bundled=with_bundled)
    report = Report([str(f) for f in targets], len(store))
    report.violations += shacl_violations(store)
    kg = KnowledgeGraph(LocalBackend(store))
    dirs = [paths.DATA_DIR] + [f.resolve().parent for f in files]
    report.violations += [Violation(p.focus, p.path, p.message, shape="quotes")
                          for p in check_quotes(kg, list(dict.fromkeys(dirs)))]
    report.violations += [Violation(p.focus, p.path, p.message, shape="rules") for p in check_derived(kg)]
    from qdgraph.storage.rules import verdict_problems  # verdicts that no longer match a reading (issue 20)

    report.violations += [Violation(v, "https://w3id.org/qdgraph/ontology#onClaim", why, shape="verdicts") for v, why in verdict_problems(kg)]
    return report


def data_graph(files=(), *, with_bundled: bool = True):
    """(the files read, a pyoxigraph Store of them with the rules materialised): what
    ``validate`` checks. All are parsed first: a syntax error stops here, nothing half-checked."""
    import pyoxigraph as ox

    from qdgraph.storage.rdfio import parse_file
    from qdgraph.storage.rules import materialise

    files = [Path(f) for f in files]
    targets = paths.ontology_files() + (sorted(paths.DATA_DIR.glob("*.ttl")) if (with_bundled or not files) else [])
    targets += [f for f in files if f.resolve() not in {t.resolve() for t in targets}]
    store = ox.Store()
    for f in targets:
        store.extend(parse_file(f))
    materialise(store)
    return targets, store


def shacl_violations(store, shape_files=None, *, focus=None) -> list[Violation]:
    """SHACL over ``store`` (a pyoxigraph Store) against ``shape_files`` (default: qdgraph's),
    by pyshifty: a SHACL engine (in Rust) that gives Apache Jena's results on every shape and
    test case here, and checks the bundled data in a tenth of a second where pySHACL takes 20
    (bench/bench_shacl.py). One violation per focus node, path and message. With ``focus``
    (IRIs: an import's new nodes), a graph whose only violations are on other nodes gives []."""
    import tempfile

    import pyoxigraph as ox
    import shifty

    # the shapes as one Turtle text: pyshifty reads a list of inputs through rdflib (0.2 s)
    shapes = b"\n".join(Path(f).read_bytes() for f in shape_files or paths.shape_files())
    # "data": focus nodes and values from the data alone (as SHACL defines it, and pySHACL and
    # Jena do); "error": a constraint pyshifty cannot evaluate fails loudly, never skipped.
    options = {"graph_mode": "data", "infer": False, "on_unsupported": "error"}
    with tempfile.TemporaryDirectory(prefix="qdgraph-shacl-") as tmp:
        # a .nt file is read by pyshifty's N-Triples parser, text by its Turtle one (25 % slower)
        data = Path(tmp) / "data.nt"
        ox.serialize((q.triple for q in store), str(data), format=ox.RdfFormat.N_TRIPLES)
        # pyshifty's quick verdict first (0.1 s on the bundled data): a graph that conforms needs
        # no report, whose run takes 0.3 s and whose rdflib Graph 0.25 s more to import rdflib
        # (5,000 imported rows: 2.4 s, the report 4.2 s more)
        verdict = shifty.validate_algebra(data, shapes, **options)
        failing = {v.focus_node.removeprefix("<").removesuffix(">") for v in verdict.violations}
        if verdict.conforms or (focus is not None and not failing & set(focus)):
            return []
        import rdflib

        _, results, _ = shifty.validate(data, shapes, **options)
    SH = rdflib.Namespace(SHACL)
    out = []
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
    out = list({(v.focus, v.path, v.message): v for v in out}.values())
    out.sort(key=lambda v: (v.focus, v.path, v.message))
    return out


SHACL = "http://www.w3.org/ns/shacl#"


def _violation(focus: str, path: str, message: str, value: str | None, severity: str | None,
               shape: str) -> Violation:
    if value and value != focus and value not in message:
        message += f": {shorten(value)}"
    return Violation(focus, path, message, severity.rsplit("#", 1)[-1] if severity else "Violation", shape)


def _node_text(node) -> str:
    import rdflib

    if isinstance(node, rdflib.BNode):
        return "_:" + str(node)
    return str(node) if node is not None else ""

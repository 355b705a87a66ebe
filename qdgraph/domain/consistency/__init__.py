"""Is the graph consistent with the axioms of the vocabularies it reuses?

The OWL 2 RL closure (owlrl) of the ontology, the data, the published PROV-O, ORG, Web
Annotation and Data Cube (with its SDMX components) read from the shared vocabulary folder, and
``ontology/external/axioms.ttl`` (SKOS, FOAF, OWL-Time, schema.org) is asked every OWL 2 RL rule
that concludes "false" (``clashes.rq``); each contradiction comes back with the asserted triples
that cause it (``because.rq``), e.g. "prov:Entity by the domain of prov:wasDerivedFrom".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from qdgraph import paths
from qdgraph.errors import QdgraphError
from qdgraph.namespaces import QD, shorten

HERE = Path(__file__).resolve().parent
EXTERNAL_AXIOMS = paths.ONTOLOGY_DIR / "external" / "axioms.ttl"
# the published vocabularies, as named in the shared folder's vocab/README.md
VOCABULARIES = ("prov-o.ttl", "org.ttl", "oa.ttl", "cube.ttl",
                "sdmx-dimension.ttl", "sdmx-measure.ttl", "sdmx-attribute.ttl")
_OWL_NOTHING = "http://www.w3.org/2002/07/owl#Nothing"
_ASSERTED = QD + "asserted"       # named graph holding the input as asserted, for explanations
# owlrl reports its own findings as resources of this type (owlrl.Namespaces.ERRNS)
_OWLRL_ERROR = "http://www.daml.org/2002/03/agents/agent-ont#"


@dataclass
class Clash:
    kind: str                      # "disjoint classes", "member of owl:Nothing", …
    node: str                      # the individual (IRI or _:label) the contradiction is about
    terms: tuple = ()              # the classes or properties in conflict
    value: str = ""                # the shared object, for properties
    because: list = field(default_factory=list)   # asserted triples behind each class

    def line(self) -> str:
        if not self.node:
            return f"{self.kind}: " + "; ".join(self.because)
        what = " and ".join(map(shorten, self.terms))
        head = f"{shorten(self.node)}: {self.kind} {what}".rstrip()
        if self.value:
            head += f" (both to {self.value})"
        return head + "".join(f"\n    {b}" for b in self.because)


def vocabulary_files(shared: Path | None = None) -> list[Path]:
    """The published vocabularies in ``shared/vocab/``; a clear error naming what is missing."""
    folder = (shared or paths.shared_dir()) / "vocab"
    missing = [n for n in VOCABULARIES if not (folder / n).is_file()]
    if missing:
        raise QdgraphError(f"vocabularies not found in {folder}: {', '.join(missing)} "
                           "(set QDGRAPH_SHARED to the folder holding vocab/)")
    return [folder / n for n in VOCABULARIES]


def check(files=(), *, with_bundled: bool = True, shared: Path | None = None) -> list[Clash]:
    """Every contradiction in the OWL 2 RL closure of the bundled graph (unless ``with_bundled``
    is False: then the ontology alone) + ``files`` + the reused vocabularies' axioms; an empty
    list means consistent."""
    import pyoxigraph as ox

    from qdgraph.engine.graph import KnowledgeGraph, LocalBackend, open_graph
    from qdgraph.storage.rdfio import parse_file
    from qdgraph.engine.reasoning import closure

    if with_bundled or not files:   # the graph as users query it (with whatever the build adds)
        graph = list(open_graph([Path(f) for f in files]).backend.quads())
    else:
        graph = [q for f in dict.fromkeys([paths.ONTOLOGY, *map(Path, files)]) for q in parse_file(f)]
    store = ox.Store()
    store.extend(ox.Quad(q.subject, q.predicate, q.object) for q in graph)
    for f in [EXTERNAL_AXIOMS, *vocabulary_files(shared)]:
        store.extend(parse_file(f))
    closed = closure(LocalBackend(store), "owlrl")
    asserted = ox.NamedNode(_ASSERTED)
    closed.extend(ox.Quad(q.subject, q.predicate, q.object, asserted) for q in graph)
    kg = KnowledgeGraph(LocalBackend(closed))

    clashes = []
    for r in kg.query((HERE / "clashes.rq").read_text(encoding="utf-8")).rows:
        terms = tuple(r[k].value for k in ("a", "b") if r.get(k) is not None)
        clash = Clash(r["kind"].value, _text(r["node"]), terms, _show(r["value"]) if r.get("value") else "")
        classes = terms if clash.kind.endswith("classes") else (
            (_OWL_NOTHING,) if clash.kind == "member of owl:Nothing" else ())
        for c in classes:
            clash.because += _because(kg, r["node"], c)
        clashes.append(clash)
    # anything else owlrl itself found (ill-typed literals, cardinalities, negative assertions, …)
    covered = list(clashes)
    for r in kg.query(f"SELECT ?m WHERE {{ ?e a <{_OWLRL_ERROR}ErrorMessage> ; <{_OWLRL_ERROR}error> ?m }}"
                      " ORDER BY ?m").rows:
        message = r["m"].value
        if not any(c.node in message and all(t in message for t in c.terms) for c in covered):
            clashes.append(Clash("owlrl", "", (), "", [message]))
    return clashes


def _because(kg, node, cls: str) -> list[str]:
    import pyoxigraph as ox

    rows = kg.query((HERE / "because.rq").read_text(encoding="utf-8"),
                    {"node": node, "class": ox.NamedNode(cls)}).rows
    out = []
    for r in rows:
        via, p, other = r["via"].value, shorten(r["p"].value), _show(r["other"])
        if via == "type":
            out.append(f"{shorten(cls)}: asserted type {other}")
        elif via == "domain":
            out.append(f"{shorten(cls)}: domain of {p} ({_show(node)} {p} {other})")
        else:
            out.append(f"{shorten(cls)}: range of {p} ({other} {p} {_show(node)})")
    return out


def _show(term) -> str:
    """A term as a reader wants it: ``qdr:x``, ``_:b1`` or ``"text"@zh``."""
    import pyoxigraph as ox

    if isinstance(term, ox.Literal):
        return str(term) if len(term.value) < 60 else f'"{term.value[:57]}…"'
    return shorten(term.value) if isinstance(term, ox.NamedNode) else f"_:{term.value}"


def _text(term) -> str:
    import pyoxigraph as ox

    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value

"""``--reason rdfs|owlrl``: query the inferred closure. The closure is computed with owlrl on
an rdflib copy (owlrl is the maintained RDFS/OWL-RL reasoner for rdflib) and loaded back
into an in-memory Oxigraph store, so queries still run on the fast engine.

owlrl takes seconds on the bundled graph, so a closure is kept in the user's cache as
N-Triples, keyed by the kind, owlrl's version and a hash of the input triples: the same
graph is reasoned over once.
"""
from __future__ import annotations

import functools
import hashlib
import os

import pyoxigraph as ox

from qdgraph import paths
from qdgraph.errors import UsageError

KINDS = ("rdfs", "owlrl")


def closure(backend, kind: str) -> "ox.Store":
    if kind not in KINDS:
        raise UsageError(f"unknown reasoning {kind!r} (use rdfs or owlrl)")
    triples = ox.serialize((ox.Triple(q.subject, q.predicate, q.object) for q in backend.quads()),
                           format=ox.RdfFormat.N_TRIPLES)
    from importlib.metadata import version

    key = hashlib.sha256(f"{kind}\0{version('owlrl')}\0".encode() + triples).hexdigest()[:24]
    cached = paths.cache_dir() / f"closure-{key}.nt"
    store = ox.Store()
    try:
        store.bulk_load(path=str(cached), format=ox.RdfFormat.N_TRIPLES)
        return store
    except (OSError, SyntaxError):  # not computed yet, or a damaged copy: compute it again
        store = ox.Store()
    nt = _compute(triples, kind)
    store.bulk_load(nt, format=ox.RdfFormat.N_TRIPLES)
    try:  # written whole under a temporary name, then renamed: readers never see half a file
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(f".{cached.name}.{os.getpid()}")
        tmp.write_bytes(nt)
        tmp.replace(cached)
    except OSError:  # no writable cache: the closure is simply not kept
        pass
    return store


def _compute(triples: bytes, kind: str) -> bytes:
    import owlrl
    import rdflib

    from qdgraph.storage.rdfio import to_rdflib

    semantics = _semantics(kind)
    # owlrl spends its time in membership tests: a store without contexts answers them 1.5× faster
    g = to_rdflib(ox.parse(triples, format=ox.RdfFormat.N_TRIPLES), store="SimpleMemory")
    owlrl.DeductiveClosure(semantics, axiomatic_triples=False, datatype_axioms=False).expand(g)
    # OWL-RL rules can derive generalised triples (a literal as subject); RDF stores can't hold them
    plain = rdflib.Graph(store="SimpleMemory")
    for s, p, o in g:
        if not isinstance(s, rdflib.Literal) and isinstance(p, rdflib.URIRef):
            plain.add((s, p, o))
    return plain.serialize(format="nt", encoding="utf-8")


@functools.lru_cache(maxsize=None)
def _semantics(kind: str):
    """owlrl's rule set for ``kind``, four times faster, with the same closure and the same
    error messages (tests/test_reasoning.py checks both against owlrl as it comes):

    - owlrl names every term as ``OWL.sameAs``, and rdflib's DefinedNamespace builds that
      URIRef anew on each access (4 million times for the bundled graph with the vocabularies):
      owlrl's modules get namespaces whose terms are plain attributes, the same URIRefs;
    - a rule's conclusion is kept if rdflib says the graph lacks it, a generator per question:
      the triples known to be in the graph are asked of a Python set first;
    - eq-ref gives ``x owl:sameAs x`` for every resource, and each of those sent eq-trans and
      eq-rep-* over everything said of x, to conclude what was already there: of the rules on
      such a triple only eq-diff1 (``x owl:differentFrom x``) can say something new."""
    import owlrl
    from rdflib.namespace import OWL

    _plain_namespaces()
    same, different = OWL.sameAs, OWL.differentFrom

    class Known:
        def closure(self):
            self._known = set(self.graph)
            super().closure()

        def empty_stored_triples(self):  # called as each cycle's conclusions are in the graph
            known = getattr(self, "_known", None)
            if known is not None:
                known.update(self.added_triples)
            super().empty_stored_triples()

        def store_triple(self, t):
            if t not in getattr(self, "_known", ()):
                super().store_triple(t)

    class RDFS(Known, owlrl.RDFS_Semantics):
        pass

    class OWLRL(Known, owlrl.OWLRL_Semantics):
        def _equality(self, triple, cycle_num):
            s, p, o = triple
            if p == same and s == o:
                self.store_triple((p, same, p))  # eq-ref on the predicate
                if (s, different, s) in self.graph:  # eq-diff1, in owlrl's words
                    self.add_error("'sameAs' and 'differentFrom' cannot be used on the same subject-object "
                                   f"pair: ({s}, {o})")
                return
            super()._equality(triple, cycle_num)

    return {"rdfs": RDFS, "owlrl": OWLRL}[kind]


class _PlainNamespace:
    """A DefinedNamespace's terms as plain attributes; anything else asked of the original."""

    def __init__(self, ns):
        self._ns = ns
        for name in [*ns.__annotations__, *getattr(ns, "_extras", ())]:
            setattr(self, name, getattr(ns, name))

    def __getattr__(self, name):
        return getattr(self._ns, name)

    def __getitem__(self, name):
        return self._ns[name]

    def __contains__(self, item):
        return item in self._ns

    def __str__(self):
        return str(self._ns)


def _plain_namespaces() -> None:
    import sys

    from rdflib.namespace import OWL, RDF, RDFS, XSD

    plain = {id(ns): _PlainNamespace(ns) for ns in (OWL, RDF, RDFS, XSD)}
    for name, module in list(sys.modules.items()):
        if name == "owlrl" or name.startswith("owlrl."):
            for attr in ("OWL", "RDF", "RDFS", "XSD"):
                value = module.__dict__.get(attr)
                if id(value) in plain:
                    setattr(module, attr, plain[id(value)])

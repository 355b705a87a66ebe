"""``--reason rdfs|owlrl``: query the inferred closure. The closure is computed with owlrl on
an rdflib copy (owlrl is the maintained RDFS/OWL-RL reasoner for rdflib) and loaded back
into an in-memory Oxigraph store, so queries still run on the fast engine."""
from __future__ import annotations

import pyoxigraph as ox

from qdgraph.errors import UsageError


def closure(backend, kind: str) -> "ox.Store":
    import owlrl
    import rdflib

    semantics = {"rdfs": owlrl.RDFS_Semantics, "owlrl": owlrl.OWLRL_Semantics}.get(kind)
    if semantics is None:
        raise UsageError(f"unknown reasoning {kind!r} (use rdfs or owlrl)")
    from qdgraph.storage.rdfio import to_rdflib

    g = to_rdflib(backend.quads())
    owlrl.DeductiveClosure(semantics, axiomatic_triples=False, datatype_axioms=False).expand(g)
    # OWL-RL rules can derive generalised triples (a literal as subject); RDF stores can't hold them
    plain = rdflib.Graph()
    for s, p, o in g:
        if not isinstance(s, rdflib.Literal) and isinstance(p, rdflib.URIRef):
            plain.add((s, p, o))
    store = ox.Store()
    store.load(plain.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return store

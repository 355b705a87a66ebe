"""``--reason rdfs|owlrl``: query the inferred closure. The closure is computed with owlrl on
an rdflib copy (owlrl is the maintained RDFS/OWL-RL reasoner for rdflib) and loaded back
into an in-memory Oxigraph store, so queries still run on the fast engine.

owlrl takes seconds on the bundled graph, so a closure is kept in the user's cache as
N-Triples, keyed by the kind, owlrl's version and a hash of the input triples: the same
graph is reasoned over once.
"""
from __future__ import annotations

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

    semantics = {"rdfs": owlrl.RDFS_Semantics, "owlrl": owlrl.OWLRL_Semantics}[kind]
    # owlrl spends its time in membership tests: a store without contexts answers them 1.5× faster
    g = to_rdflib(ox.parse(triples, format=ox.RdfFormat.N_TRIPLES), store="SimpleMemory")
    owlrl.DeductiveClosure(semantics, axiomatic_triples=False, datatype_axioms=False).expand(g)
    # OWL-RL rules can derive generalised triples (a literal as subject); RDF stores can't hold them
    plain = rdflib.Graph(store="SimpleMemory")
    for s, p, o in g:
        if not isinstance(s, rdflib.Literal) and isinstance(p, rdflib.URIRef):
            plain.add((s, p, o))
    return plain.serialize(format="nt", encoding="utf-8")

"""Whole-graph exports: RDF serialisations, GraphML of the NetworkX projection, CSV triples."""
from __future__ import annotations

import csv
import io

from .results import serialize_triples, term_text


def export_graph(kg, fmt: str) -> str:
    if fmt in ("turtle", "json-ld", "nt"):
        import pyoxigraph as ox

        triples = [ox.Triple(q.subject, q.predicate, q.object) for q in kg.quads()]
        return serialize_triples(triples, fmt)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["subject", "predicate", "object", "object_lang", "object_datatype"])
        import pyoxigraph as ox

        for q in kg.quads():
            o = q.object
            lit = isinstance(o, ox.Literal)
            w.writerow([term_text(q.subject), term_text(q.predicate), term_text(o),
                        (o.language or "") if lit else "", o.datatype.value if lit and not o.language else ""])
        return buf.getvalue()
    if fmt == "graphml":
        import networkx as nx

        from .nxgraph import to_networkx

        g = to_networkx(kg)
        g.graph = {k: v for k, v in g.graph.items() if isinstance(v, (str, int, float, bool))}
        for _, d in g.nodes(data=True):   # GraphML holds scalars only
            for k, v in list(d.items()):
                if isinstance(v, (list, tuple, dict)):
                    d[k] = "; ".join(map(str, v)) if not isinstance(v, dict) else str(v)
                elif v is None:
                    del d[k]
        for *_, d in g.edges(data=True, keys=True) if g.is_multigraph() else g.edges(data=True):
            for k, v in list(d.items()):
                if isinstance(v, (list, tuple, dict)):
                    d[k] = "; ".join(map(str, v))
                elif v is None:
                    del d[k]
        buf = io.BytesIO()
        nx.write_graphml(g, buf)
        return buf.getvalue().decode("utf-8")
    raise ValueError(f"unknown export format {fmt!r}")

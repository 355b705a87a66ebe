"""Whole-graph exports: RDF serialisations, GraphML of the NetworkX projection, CSV triples."""
from __future__ import annotations

import csv
import io

from qdgraph.presentation.formats import BOM, defuse, names, term_text, write

# what `qdgraph export --format` offers: the RDF formats of the registry, GraphML, and CSV
# (``excel``: the same CSV as Excel opens it, see ``formats.BOM``)
EXPORT_FORMATS = [*names("graph"), "graphml", "csv", "excel"]


def export_graph(kg, fmt: str) -> str:
    if fmt in names("graph"):
        import pyoxigraph as ox

        from qdgraph.engine.results import GraphResult

        return write(GraphResult([ox.Triple(q.subject, q.predicate, q.object) for q in kg.quads()]), fmt)
    if fmt in ("csv", "excel"):
        buf = io.StringIO(BOM if fmt == "excel" else "")
        buf.seek(0, io.SEEK_END)
        w = csv.writer(buf, lineterminator="\r\n" if fmt == "excel" else "\n")
        w.writerow(["subject", "predicate", "object", "object_lang", "object_datatype"])
        import pyoxigraph as ox

        for q in kg.quads():
            o = q.object
            lit = isinstance(o, ox.Literal)
            w.writerow([term_text(q.subject), term_text(q.predicate), defuse(term_text(o)) if lit else term_text(o),
                        (o.language or "") if lit else "", o.datatype.value if lit and not o.language else ""])
        return buf.getvalue()
    if fmt == "graphml":
        import networkx as nx

        from qdgraph.domain.nxgraph import to_networkx

        g = to_networkx(kg)
        g.graph = _scalars(g.graph)
        for d in [d for _, d in g.nodes(data=True)] + [d for *_, d in g.edges(data=True, keys=True)]:
            clean = _scalars(d)
            d.clear()
            d.update(clean)
        buf = io.BytesIO()
        nx.write_graphml(g, buf)
        return buf.getvalue().decode("utf-8")
    raise ValueError(f"unknown export format {fmt!r}")


def _scalars(attrs: dict) -> dict:
    """GraphML holds scalars only: lists become '; '-joined text, other values str, None dropped."""
    out = {}
    for k, v in attrs.items():
        if v is None:
            continue
        out[k] = v if isinstance(v, (str, int, float, bool)) else (
            "; ".join(map(str, v)) if isinstance(v, (list, tuple, set)) else str(v))
    return out

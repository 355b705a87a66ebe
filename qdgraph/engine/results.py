"""Query results, held in memory: ``SelectResult``, ``AskResult``, ``GraphResult``, and RDF
terms as people and JSON read them. The format registry (``qdgraph.presentation.formats``) writes them:
``formats.write(result, "csv")``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from qdgraph.namespaces import PREFIXES, shorten

XSD = PREFIXES["xsd"]


def term_text(term: Any) -> str:
    """A term as a person reads it: the IRI, or a literal's lexical value."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse(text: str) -> str:
    """``text`` with a leading ``'`` if a spreadsheet would run it as a formula (``=cmd|…``,
    ``+1+1``, ``@SUM``): shown as text, not run. CSV and TSV only; JSON and XML are exact."""
    return "'" + text if text.startswith(FORMULA_START) else text


def term_json(term: Any) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD + "string":
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {"subject": term_json(term.subject),
                "predicate": term_json(term.predicate), "object": term_json(term.object)}}
    raise TypeError(f"not an RDF term: {term!r}")


def display(term: Any) -> str:
    """Compact form for tables: prefixed IRIs, literals by their value."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return shorten(term.value)
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def term_from_json(obj: dict) -> Any:
    """The inverse of term_json (for SPARQL JSON results read from a remote endpoint)."""
    kind = obj["type"]
    if kind == "uri":
        return ox.NamedNode(obj["value"])
    if kind == "bnode":
        return ox.BlankNode(obj["value"])
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in obj:
            return ox.Literal(obj["value"], language=obj["xml:lang"])
        if "datatype" in obj:
            return ox.Literal(obj["value"], datatype=ox.NamedNode(obj["datatype"]))
        return ox.Literal(obj["value"])
    if kind == "triple":
        v = obj["value"]
        return ox.Triple(term_from_json(v["subject"]), term_from_json(v["predicate"]), term_from_json(v["object"]))
    raise ValueError(f"unknown term type {kind!r}")


def as_term(value: Any) -> Any:
    """A plain Python value as an RDF term (terms pass through): numbers typed, text plain."""
    if value is None or isinstance(value, (ox.NamedNode, ox.BlankNode, ox.Literal)):
        return value
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=ox.NamedNode(XSD + "boolean"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))
    return ox.Literal(str(value))


@dataclass
class SelectResult:
    variables: list[str]
    rows: list[dict[str, Any]]
    truncated: bool = False

    kind = "select"

    @classmethod
    def from_values(cls, variables: list[str], rows: list[list[Any]]) -> "SelectResult":
        """A table computed in Python (a ranking, search hits) as a result every format writes."""
        return cls(list(variables), [{v: as_term(x) for v, x in zip(variables, row) if x is not None}
                                     for row in rows])

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    def to_json(self) -> dict:
        bindings = [{k: term_json(v) for k, v in row.items() if v is not None} for row in self.rows]
        out: dict = {"head": {"vars": list(self.variables)}, "results": {"bindings": bindings}}
        if self.truncated:
            out["head"]["link"] = ["urn:qdgraph:truncated"]
            out["truncated"] = True
        return out

    def _repr_html_(self) -> str:  # Jupyter shows the rows as a table
        return html_table(self.variables, [[display(row.get(v)) for v in self.variables] for row in self.rows])


@dataclass
class AskResult:
    value: bool
    kind = "ask"

    def __bool__(self):
        return self.value


@dataclass
class GraphResult:
    triples: list = field(default_factory=list)
    truncated: bool = False
    kind = "graph"

    def __iter__(self):
        return iter(self.triples)

    def __len__(self):
        return len(self.triples)

    def _repr_html_(self) -> str:  # Jupyter shows the triples as a table
        return html_table(["subject", "predicate", "object"],
                          [[display(t.subject), display(t.predicate), display(t.object)] for t in self.triples])


HTML_ROWS = 1000   # a notebook table shows this many rows and says how many more there are


def html_table(headers: list[str], rows: list[list[str]]) -> str:
    """An HTML table for notebooks; every cell is escaped text."""
    from html import escape

    out = ['<table class="qdgraph-result">', "<thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in headers)
           + "</tr></thead>", "<tbody>"]
    out += ["<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows[:HTML_ROWS]]
    out.append("</tbody></table>")
    if len(rows) > HTML_ROWS:
        out.append(f"<p>{len(rows) - HTML_ROWS:,} more rows not shown ({len(rows):,} in all)</p>")
    return "\n".join(out)

"""Query results, held in memory, and their serialisations.

One place writes every format, so the CLI, the Python API and the HTTP server give the same
answer: SPARQL 1.1 JSON / XML / CSV / TSV results for SELECT and ASK, Turtle / JSON-LD /
N-Triples for CONSTRUCT and DESCRIBE. (The server sends JSON compact, from ``to_json``; the
CLI indents it for reading.)
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from .namespaces import PREFIXES, shorten

SELECT_FORMATS = ("table", "json", "csv", "tsv", "xml")
GRAPH_FORMATS = ("turtle", "json-ld", "nt")
_RDF_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "json-ld": ox.RdfFormat.JSON_LD, "nt": ox.RdfFormat.N_TRIPLES}
XSD = PREFIXES["xsd"]


def xml_escape(text: str) -> str:
    # xml.sax.saxutils would pull in urllib.request (25 ms) on every command
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


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


# Turtle's own short forms: a literal written this way reads back with the same datatype
_BARE = {
    XSD + "integer": re.compile(r"[+-]?\d+"),
    XSD + "decimal": re.compile(r"[+-]?\d*\.\d+"),
    XSD + "double": re.compile(r"[+-]?(?:\d+\.\d*[eE][+-]?\d+|\.\d+[eE][+-]?\d+|\d+[eE][+-]?\d+)"),
    XSD + "boolean": re.compile(r"true|false"),
}
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _tsv_term(term: Any) -> str:
    """A term as SPARQL 1.1 TSV writes it: the full N-Triples form, or Turtle's bare number or
    boolean when that reads back as the same term (``4``, ``5.5``; never ``NaN`` or ``1`` for a
    decimal). Text that a spreadsheet would run as a formula is defused (see ``defuse``)."""
    if term is None:
        return ""
    if isinstance(term, ox.Literal) and not term.language:
        bare = _BARE.get(term.datatype.value)
        if bare is not None and bare.fullmatch(term.value):
            return term.value
        if term.value.startswith(FORMULA_START):
            return str(ox.Literal(defuse(term.value), datatype=term.datatype))
    elif isinstance(term, ox.Literal) and term.value.startswith(FORMULA_START):
        return str(ox.Literal(defuse(term.value), language=term.language))
    return str(term)  # N-Triples form, as the TSV results format asks


def defuse(text: str) -> str:
    """``text`` with a leading ``'`` if a spreadsheet would run it as a formula (``=cmd|…``,
    ``+1+1``, ``@SUM``): shown as text, not run. CSV and TSV only; JSON and XML are exact."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv_cell(term: Any) -> str:
    text = term_text(term)
    if isinstance(term, ox.Literal) and not term.language and term.datatype.value in _BARE \
            and _BARE[term.datatype.value].fullmatch(text):
        return text  # a number such as -5 is a value, not a formula
    return defuse(text) if isinstance(term, ox.Literal) else text


@dataclass
class SelectResult:
    variables: list[str]
    rows: list[dict[str, Any]]
    truncated: bool = False

    kind = "select"

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    def values(self, var: str) -> list[Any]:
        return [r.get(var) for r in self.rows]

    def to_json(self) -> dict:
        bindings = [{k: term_json(v) for k, v in row.items() if v is not None} for row in self.rows]
        out: dict = {"head": {"vars": list(self.variables)}, "results": {"bindings": bindings}}
        if self.truncated:
            out["head"]["link"] = ["urn:qdgraph:truncated"]
            out["truncated"] = True
        return out

    def serialize(self, fmt: str = "json") -> str:
        if fmt == "json":
            return json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n"
        if fmt in STREAM_FORMATS:
            buf = io.StringIO()
            write_select(self.variables, self.rows, fmt, buf)
            return buf.getvalue()
        if fmt == "table":
            return render_table(self.variables, [[display(row.get(v)) for v in self.variables] for row in self.rows])
        raise ValueError(f"format {fmt!r} is not one of {', '.join(SELECT_FORMATS)} for SELECT results")


@dataclass
class AskResult:
    value: bool
    kind = "ask"

    def __bool__(self):
        return self.value

    def serialize(self, fmt: str = "json") -> str:
        if fmt == "json":
            return json.dumps({"head": {}, "boolean": self.value}) + "\n"
        if fmt in ("csv", "tsv", "table"):
            return ("true" if self.value else "false") + "\n"
        if fmt == "xml":
            return ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                    f"<head/><boolean>{'true' if self.value else 'false'}</boolean></sparql>\n")
        raise ValueError(f"format {fmt!r} is not one of {', '.join(SELECT_FORMATS)} for ASK results")


@dataclass
class GraphResult:
    triples: list = field(default_factory=list)
    kind = "graph"

    def __iter__(self):
        return iter(self.triples)

    def __len__(self):
        return len(self.triples)

    def serialize(self, fmt: str = "turtle") -> str:
        if fmt not in _RDF_FORMATS:
            raise ValueError(f"format {fmt!r} is not one of {', '.join(GRAPH_FORMATS)} for CONSTRUCT/DESCRIBE results")
        return serialize_triples(self.triples, fmt)


def serialize_triples(triples, fmt: str) -> str:
    data = ox.serialize(triples, format=_RDF_FORMATS[fmt],
                        prefixes=PREFIXES if fmt == "turtle" else None)
    return data.decode("utf-8")


# SELECT formats written row by row (write_select), so a huge answer is never held whole
STREAM_FORMATS = ("csv", "tsv", "xml", "json-lines")


def write_select(variables: list[str], rows, fmt: str, out) -> None:
    """Write ``rows`` (an iterable of {variable: term}) to the text stream ``out`` as ``fmt``
    (csv, tsv, xml, or json-lines: SPARQL JSON results with one binding per line), one row at a
    time."""
    if fmt == "csv":
        w = csv.writer(out, lineterminator="\r\n")
        w.writerow(variables)
        for row in rows:
            w.writerow([_csv_cell(row.get(v)) for v in variables])
    elif fmt == "tsv":
        out.write("\t".join("?" + v for v in variables) + "\n")
        for row in rows:
            out.write("\t".join(_tsv_term(row.get(v)) for v in variables) + "\n")
    elif fmt == "json-lines":
        out.write(json.dumps({"head": {"vars": list(variables)}})[:-1] + ', "results": {"bindings": [')
        sep = "\n"
        for row in rows:
            out.write(sep + json.dumps({k: term_json(t) for k, t in row.items() if t is not None}, ensure_ascii=False))
            sep = ",\n"
        out.write("\n]}}\n")
    elif fmt == "xml":
        out.write('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>\n')
        out.write("".join(f'<variable name="{xml_escape(v)}"/>\n' for v in variables))
        out.write("</head>\n<results>\n")
        for row in rows:
            out.write("<result>\n" + "".join(_xml_binding(v, row[v]) for v in variables if row.get(v) is not None)
                      + "</result>\n")
        out.write("</results>\n</sparql>\n")
    else:
        raise ValueError(f"format {fmt!r} is not one of {', '.join(STREAM_FORMATS)}")


def _xml_binding(var: str, t: Any) -> str:
    if isinstance(t, ox.NamedNode):
        inner = f"<uri>{xml_escape(t.value)}</uri>"
    elif isinstance(t, ox.BlankNode):
        inner = f"<bnode>{xml_escape(t.value)}</bnode>"
    else:
        attrs = (f' xml:lang="{xml_escape(t.language)}"' if t.language else
                 "" if t.datatype.value == XSD + "string" else
                 f' datatype="{xml_escape(t.datatype.value)}"')
        inner = f"<literal{attrs}>{xml_escape(t.value)}</literal>"
    return f'<binding name="{xml_escape(var)}">{inner}</binding>\n'



def display(term: Any) -> str:
    """Compact form for tables: prefixed IRIs, literals with a language tag as value@lang."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return shorten(term.value)
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def render_table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain-text table that lines up CJK text (wide characters count as two columns)."""
    widths = [text_width(h) for h in headers]
    cells = [[str(c).replace("\n", " ") for c in row] for row in rows]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], text_width(c))

    def line(items):
        return "  ".join(pad(c, widths[i]) for i, c in enumerate(items)).rstrip()

    out = [line(headers), "  ".join("─" * w for w in widths)]
    out += [line(r) for r in cells]
    return "\n".join(out) + "\n"


def text_width(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def pad(s: str, width: int) -> str:
    return s + " " * (width - text_width(s))

"""The format registry: every serialisation qdgraph writes, in one table.

A format has a name (what ``--format`` and ``?format=`` take), the media type it is sent as
(and others it answers to in an Accept header), the result kinds it can write (``select``,
``ask``, ``graph``; ``data`` for the plain JSON of lookups), a file extension and a writer. The
CLI's choices, HTTP content negotiation, the SPARQL service description and the query page's
download links are all read from ``FORMATS``, so a new format is one entry here.

    >>> names("graph")
    ['turtle', 'nt', 'json-ld', 'rdf-xml']
    >>> get("csv").content_type
    'text/csv; charset=utf-8'
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable, NamedTuple

import pyoxigraph as ox

from qdgraph.namespaces import PREFIXES
from qdgraph.engine.results import FORMULA_START, XSD, defuse, display, term_json, term_text

W3C_FORMATS = "http://www.w3.org/ns/formats/"


class Format(NamedTuple):  # a registry row, never changed (see queries.Param on NamedTuples)
    name: str
    label: str
    media_type: str
    kinds: tuple[str, ...]
    extension: str
    write: Callable[..., str]
    accept: tuple[str, ...] = ()     # other media types this format answers to
    aliases: tuple[str, ...] = ()    # other ?format= values (the names SPARQLWrapper & co. send)
    w3c: str | None = None           # its name under http://www.w3.org/ns/formats/
    http: bool = True                # offered by the server (``table`` is for terminals)

    @property
    def content_type(self) -> str:
        return self.media_type + "; charset=utf-8"


def xml_escape(text: str) -> str:
    # xml.sax.saxutils would pull in urllib.request (25 ms) on every command
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


# Turtle's own short forms: a literal written this way reads back with the same datatype
_BARE = {
    XSD + "integer": re.compile(r"[+-]?\d+"),
    XSD + "decimal": re.compile(r"[+-]?\d*\.\d+"),
    XSD + "double": re.compile(r"[+-]?(?:\d+\.\d*[eE][+-]?\d+|\.\d+[eE][+-]?\d+|\d+[eE][+-]?\d+)"),
    XSD + "boolean": re.compile(r"true|false"),
}

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


def _csv_cell(term: Any) -> str:
    text = term_text(term)
    if isinstance(term, ox.Literal) and not term.language and term.datatype.value in _BARE \
            and _BARE[term.datatype.value].fullmatch(text):
        return text  # a number such as -5 is a value, not a formula
    return defuse(text) if isinstance(term, ox.Literal) else text


# ------------------------------------------------------------------ plain-text tables
def render_table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain-text table that lines up CJK text (wide characters count as two columns)."""
    from qdgraph.presentation.terminal import clean_line

    headers = [clean_line(h) for h in headers]
    widths = [text_width(h) for h in headers]
    cells = [[clean_line(str(c).replace("\n", " ")) for c in row] for row in rows]  # no ESC reaches a terminal
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


# ------------------------------------------------------------------ writers
def _truth(res) -> str:
    return "true" if res.value else "false"


def _indented(obj) -> str:
    """A lookup's dict or list as indented JSON. Python indents in pure Python (200 ms of
    ``progress -F json`` at 10,000 values); orjson writes the same document in C, byte for byte
    but for floats under 1e-4 (``0.00001`` where Python writes ``1e-05``: the same number)."""
    data = indented_utf8(obj)
    return data.decode("utf-8") if data is not None else json.dumps(obj, ensure_ascii=False, indent=2) + "\n"


def indented_utf8(obj) -> bytes | None:
    """``_indented(obj)`` encoded as UTF-8, as orjson writes it (for a caller that writes bytes:
    3.5 MB of ``progress -F json`` decoded and encoded again cost 25 ms); None for what orjson
    does not write (an int past 64 bits, a non-str key)."""
    import orjson

    try:
        return orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:
        return None


def _write_json(res, compact: bool = False) -> str:
    if getattr(res, "kind", "data") == "data":  # a lookup's dict or list
        return _indented(res)
    if res.kind == "ask":
        return json.dumps({"head": {}, "boolean": res.value}) + "\n"
    if compact:  # the server's form: the same document, written 4x faster (no indentation)
        return json.dumps(res.to_json(), ensure_ascii=False, separators=(",", ":"))
    return json.dumps(res.to_json(), ensure_ascii=False, indent=1) + "\n"


def _write_csv(res) -> str:
    return _truth(res) + "\n" if res.kind == "ask" else _streamed(res, "csv")


# Excel reads a CSV file as the system's code page (GBK on Chinese Windows) unless it starts
# with a UTF-8 byte-order mark: with it, Chinese text opens as written
BOM = "\ufeff"


def _write_excel(res) -> str:
    """CSV that Excel opens correctly: a UTF-8 byte-order mark, CRLF line ends, formulas defused."""
    text = _write_csv(res)
    return BOM + (text.replace("\n", "\r\n") if res.kind == "ask" else text)


def _write_tsv(res) -> str:
    return _truth(res) + "\n" if res.kind == "ask" else _streamed(res, "tsv")


def _write_table(res) -> str:
    if res.kind == "ask":
        return _truth(res) + "\n"
    return render_table(res.variables, [[display(row.get(v)) for v in res.variables] for row in res.rows])


def _write_xml(res) -> str:
    if res.kind == "ask":
        return ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f"<head/><boolean>{_truth(res)}</boolean></sparql>\n")
    return _streamed(res, "xml")


def _streamed(res, fmt: str) -> str:
    import io

    buf = io.StringIO()
    write_select(res.variables, res.rows, fmt, buf)
    return buf.getvalue()


# SELECT formats written row by row (write_select), so a huge answer is never held whole
STREAM_FORMATS = ("csv", "tsv", "xml", "json-lines")


def write_select(variables: list[str], rows, fmt: str, out) -> None:
    """Write ``rows`` (an iterable of {variable: term}) to the text stream ``out`` as ``fmt``
    (csv, tsv, xml, or json-lines: SPARQL JSON results with one binding per line), one row at a
    time. ``out`` is flushed once the first row is written: a reader at the other end of a pipe
    sees it while the engine works out the rest (a streamed named query's first key)."""
    rows = _flushed_after_first(rows, out)
    if fmt == "csv":
        import csv

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
        keys = {v: json.dumps(v, ensure_ascii=False) + ": " for v in variables}
        binding = _Memo(lambda t: json.dumps(term_json(t), ensure_ascii=False))
        for row in rows:  # the text json.dumps writes for {var: term_json(t)}, each term's once: 3x faster
            out.write(sep + "{" + ", ".join(keys[k] + binding(t) for k, t in row.items() if t is not None) + "}")
            sep = ",\n"
        out.write("\n]}}\n")
    elif fmt == "xml":
        out.write('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>\n')
        out.write("".join(f'<variable name="{xml_escape(v)}"/>\n' for v in variables))
        out.write("</head>\n<results>\n")
        opening = {v: f'<binding name="{xml_escape(v)}">' for v in variables}
        for row in rows:
            out.write("<result>\n" + "".join(opening[v] + _xml_term(row[v]) + "</binding>\n"
                                              for v in variables if row.get(v) is not None) + "</result>\n")
        out.write("</results>\n</sparql>\n")
    else:
        raise ValueError(f"format {fmt!r} is not one of {', '.join(STREAM_FORMATS)}")


def _flushed_after_first(rows, out):
    """``rows``, flushing ``out`` when the second is asked for (the first is written by then)."""
    it = iter(rows)
    for row in it:
        yield row
        if hasattr(out, "flush"):
            out.flush()
        break
    yield from it


class _Memo(dict):
    """A term's text, computed once: answers repeat the same IRIs and values row after row.
    Only JSON pays for it (100,000 rows: 0.9 s of CPU instead of 2.7 s); CSV, TSV and XML
    cells cost about what the lookup does. Emptied when it grows past 100,000 terms, so a huge
    answer never makes it grow further."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def __missing__(self, term):
        if len(self) > 100_000:
            self.clear()
        text = self[term] = self.fn(term)
        return text

    def __call__(self, term) -> str:
        return self[term]


def _xml_term(t: Any) -> str:
    if isinstance(t, ox.NamedNode):
        return f"<uri>{xml_escape(t.value)}</uri>"
    if isinstance(t, ox.BlankNode):
        return f"<bnode>{xml_escape(t.value)}</bnode>"
    attrs = (f' xml:lang="{xml_escape(t.language)}"' if t.language else
             "" if t.datatype.value == XSD + "string" else
             f' datatype="{xml_escape(t.datatype.value)}"')
    return f"<literal{attrs}>{xml_escape(t.value)}</literal>"


def _rdf_writer(fmt: "ox.RdfFormat", prefixes: bool = False):
    def write(res) -> str:
        triples = res.triples if hasattr(res, "triples") else res
        return ox.serialize(triples, format=fmt, prefixes=PREFIXES if prefixes else None).decode("utf-8")

    return write


_ROWS = ("select", "ask")
FORMATS: dict[str, Format] = {f.name: f for f in [
    Format("table", "Table", "text/plain", _ROWS, "txt", _write_table, http=False),
    Format("json", "JSON", "application/sparql-results+json", (*_ROWS, "data"), "srj", _write_json,
           accept=("application/json",), aliases=("srj",), w3c="SPARQL_Results_JSON"),
    Format("xml", "XML", "application/sparql-results+xml", _ROWS, "srx", _write_xml,
           accept=("application/xml", "text/xml"), aliases=("srx",), w3c="SPARQL_Results_XML"),
    Format("csv", "CSV", "text/csv", _ROWS, "csv", _write_csv, w3c="SPARQL_Results_CSV"),
    Format("excel", "CSV for Excel", "text/csv", _ROWS, "csv", _write_excel, http=False),
    Format("tsv", "TSV", "text/tab-separated-values", _ROWS, "tsv", _write_tsv, w3c="SPARQL_Results_TSV"),
    Format("turtle", "Turtle", "text/turtle", ("graph",), "ttl", _rdf_writer(ox.RdfFormat.TURTLE, True),
           accept=("application/x-turtle", "text/n3"), aliases=("ttl", "n3"), w3c="Turtle"),
    Format("nt", "N-Triples", "application/n-triples", ("graph",), "nt", _rdf_writer(ox.RdfFormat.N_TRIPLES),
           accept=("text/plain",), aliases=("ntriples", "n-triples"), w3c="N-Triples"),
    Format("json-ld", "JSON-LD", "application/ld+json", ("graph",), "jsonld", _rdf_writer(ox.RdfFormat.JSON_LD),
           accept=("application/json",), aliases=("jsonld", "json"), w3c="JSON-LD"),
    Format("rdf-xml", "RDF/XML", "application/rdf+xml", ("graph",), "rdf", _rdf_writer(ox.RdfFormat.RDF_XML),
           accept=("application/xml", "text/xml"), aliases=("rdf+xml", "rdfxml", "rdf", "xml"), w3c="RDF_XML"),
]}


def names(*kinds: str, http: bool = False) -> list[str]:
    """Format names that write any of ``kinds``, in the registry's order (``http``: served ones)."""
    return [f.name for f in FORMATS.values() if set(kinds) & set(f.kinds) and (f.http or not http)]


def get(name: str) -> Format:
    return FORMATS[name]


def media_types(kind: str) -> list[tuple[str, str]]:
    """(media type, format name) an HTTP client may ask a ``kind`` result in, best first."""
    return [(m, f.name) for f in FORMATS.values() if f.http and kind in f.kinds
            for m in (f.media_type, *f.accept)]


def by_request_name(kind: str) -> dict[str, str]:
    """``?format=`` values (names and aliases) for a ``kind`` result → format name."""
    out = {}
    for f in FORMATS.values():
        if f.http and kind in f.kinds:
            out.update({a: f.name for a in (f.name, *f.aliases)})
    return out


def write(result, name: str, **options) -> str:
    """``result`` (a SelectResult, AskResult, GraphResult, or plain JSON data) in format ``name``."""
    kind = getattr(result, "kind", "data")
    fmt = FORMATS.get(name)
    if fmt is None or kind not in fmt.kinds:
        raise ValueError(f"format {name!r} is not one of {', '.join(names(kind))} for {kind} results")
    return fmt.write(result, **options)

"""SPARQL text handling that must not depend on the engine: the read-only/offline guard,
parameter parsing, and syntax-error messages.

The guard works on the query's tokens with strings, IRIs and comments removed, so a keyword
inside a literal (``"please DELETE me"``) or a prefixed name (``ex:load``) is not mistaken for
an operation, and runs before any engine sees the query.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from .errors import QuerySyntaxError, UnsafeQueryError, UsageError
from .namespaces import PREFIXES, expand

_LEXICAL = re.compile(
    r'''"""(?:[^"\\]|\\.|"(?!""))*"""'''
    r"""|'''(?:[^'\\]|\\.|'(?!''))*'''"""
    r'''|"(?:[^"\\\n]|\\.)*"'''
    r"""|'(?:[^'\\\n]|\\.)*'"""
    r'''|<[^<>"{}|^`\\\x00-\x20]*>'''
    r"|#[^\n]*",
    re.S,
)

# Words that only ever appear in SPARQL Update, or that make the engine read beyond the local
# dataset (SERVICE: the network; FROM / FROM NAMED: another dataset; LOAD: a URL).
_UPDATE = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")
_REFUSED = {
    **{w: "SPARQL Update ({w}) is not allowed: queries are read-only" for w in _UPDATE},
    "LOAD": "LOAD is not allowed: queries are read-only and never fetch from the network",
    "SERVICE": "SERVICE is not allowed: queries run on the local graph only and never reach the network",
    "FROM": "FROM / FROM NAMED is not allowed: queries run on this graph only",
}
_WORD = re.compile(r"(?<![\w:?$@.-])([A-Za-z]+)(?![\w:-])")
_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def strip_lexical(query: str) -> str:
    """The query with strings, IRIs and comments blanked out (same length, newlines kept)."""
    return _LEXICAL.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), query)


def check_read_only(query: str) -> str:
    """Raise UnsafeQueryError for UPDATE, LOAD, SERVICE or FROM; return the query form
    (SELECT, ASK, CONSTRUCT or DESCRIBE)."""
    if not query.strip():
        raise QuerySyntaxError("empty query")
    bare = strip_lexical(query)
    form = None
    for m in _WORD.finditer(bare):
        word = m.group(1).upper()
        if word in _REFUSED:
            line = bare.count("\n", 0, m.start()) + 1
            raise UnsafeQueryError(f"line {line}: " + _REFUSED[word].format(w=word))
        if form is None and word in _FORMS:
            form = word
    if form is None:
        raise QuerySyntaxError("not a query: expected SELECT, ASK, CONSTRUCT or DESCRIBE")
    return form


_AT = re.compile(r"^error at (\d+):(\d+): ")


def syntax_error(err: SyntaxError, query: str, prologue_lines: int = 0) -> QuerySyntaxError:
    """pyoxigraph says ``error at L:C: msg``; report it as ``line L, column C: msg`` against
    the user's text (minus any prologue we added) and show the offending line."""
    text = str(err)
    m = _AT.match(text)
    if not m:
        return QuerySyntaxError("SPARQL syntax error: " + " ".join(text.split())[:200])
    line, col = int(m.group(1)) - prologue_lines, int(m.group(2))
    msg = " ".join(text[m.end():].split())  # one line, whatever the parser printed
    if len(msg) > 160:  # the parser can list dozens of expected tokens
        msg = msg[:157] + "…"
    lines = query.splitlines()
    snippet = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    where = f"line {line}, column {col}"
    return QuerySyntaxError(f"SPARQL syntax error at {where}: {msg}" + (f"  [{snippet[:80]}]" if snippet else ""))


_LANG = re.compile(r'^"(.*)"@([A-Za-z]+(?:-[A-Za-z0-9]+)*)$', re.S)
_TYPED = re.compile(r'^"(.*)"\^\^(\S+)$', re.S)


def parse_term(text: str):
    """A parameter value as an RDF term: ``<iri>``, ``prefix:local``, ``"x"@zh``,
    ``"1"^^xsd:integer``, a bare number, or else a plain string literal. Never spliced into
    query text: the result is bound through the engine's substitution API or a VALUES block
    serialised by the RDF library."""
    import pyoxigraph as ox

    if text.startswith("<") and text.endswith(">"):
        try:
            return ox.NamedNode(text[1:-1])
        except ValueError as err:
            raise UsageError(f"bad IRI {text!r}: {err}") from None
    iri = expand(text) if re.fullmatch(r"[A-Za-z][\w-]*:[^\s]*", text) else None
    if iri:
        return ox.NamedNode(iri)
    m = _LANG.match(text)
    if m:
        return ox.Literal(m.group(1), language=m.group(2))
    m = _TYPED.match(text)
    if m:
        dt = m.group(2)
        dt_iri = dt[1:-1] if dt.startswith("<") else expand(dt)
        if not dt_iri:
            raise UsageError(f"unknown datatype {dt!r}")
        return ox.Literal(m.group(1), datatype=ox.NamedNode(dt_iri))
    if re.fullmatch(r"[+-]?\d+", text):
        return ox.Literal(text, datatype=ox.NamedNode(PREFIXES["xsd"] + "integer"))
    if re.fullmatch(r"[+-]?\d*\.\d+", text):
        return ox.Literal(text, datatype=ox.NamedNode(PREFIXES["xsd"] + "decimal"))
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        text = text[1:-1]
    return ox.Literal(text)


def parse_params(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``key=value`` strings (from ``--param``) as a dict; raises on a malformed pair."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().lstrip("?$")
        if not sep or not re.fullmatch(r"[A-Za-z_]\w*", key):
            raise UsageError(f"bad --param {pair!r}: expected NAME=VALUE")
        out[key] = value
    return out


def bind_values(query: str, params: Mapping[str, Any]) -> str:
    """``query`` with ``params`` bound by a VALUES block opening its outermost WHERE group.

    A VALUES block there joins every solution of the group with the given terms, which for the
    queries qdgraph ships equals the engine-side substitution ``LocalBackend`` uses. Terms are
    written by pyoxigraph (``str(term)`` is the escaped N-Triples form); variable names are
    checked; nothing the user typed is pasted in."""
    import pyoxigraph as ox

    if not params:
        return query
    names, terms = [], []
    for name, term in params.items():
        if not name.isidentifier():
            raise UsageError(f"bad parameter name {name!r}")
        if not isinstance(term, (ox.NamedNode, ox.Literal)):  # a blank node cannot be named in text
            raise UsageError(f"parameter {name!r}: only IRIs and literals can be sent to an endpoint")
        names.append("?" + name)
        terms.append(str(term))
    block = f"VALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }}"
    at = where_group_start(query)
    return query[:at] + " " + block + " " + query[at:]


def where_group_start(query: str) -> int:
    """Offset just inside the ``{`` that opens the query's WHERE clause (strings, IRIs and
    comments are ignored: the search runs on ``strip_lexical`` text of the same length)."""
    bare = strip_lexical(query)
    m = re.search(r"(?<![\w:?$])WHERE(?![\w:])", bare, re.I)
    start = m.end() if m else 0
    # CONSTRUCT { template } WHERE { … } needs the keyword; SELECT/ASK/DESCRIBE may omit it,
    # and then the first brace opens the group (no brace can come before it).
    brace = bare.find("{", start)
    if brace < 0:
        raise QuerySyntaxError("SPARQL syntax error: no WHERE group { … } to bind parameters in")
    return brace + 1

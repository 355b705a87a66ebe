"""SPARQL text handling that must not depend on the engine: the read-only/offline guard,
parameter parsing, and syntax-error messages.

The guard works on the query's tokens with strings, IRIs and comments removed, so a keyword
inside a literal (``"please DELETE me"``) or a prefixed name (``ex:load``) is not mistaken for
an operation, and runs before any engine sees the query.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Mapping

from qdgraph.errors import QuerySyntaxError, UnsafeQueryError, UsageError
from qdgraph.namespaces import PREFIXES, expand

# SPARQL 1.1 terminals (grammar section 19.8), in the order a lexer must try them: long strings
# before short ones, IRIs before the ``<`` operator, doubles before decimals before integers.
_PLX = r"(?:%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
_PN_CHARS = r"[\w\u00B7\u0300-\u036F\u203F\u2040-]"
_TOKEN = (  # compiled on first use (2 ms): a lookup running shipped queries never needs it
    r"(?P<ws>[ \t\r\n]+)"
    r"|(?P<comment>#[^\r\n]*)"  # a comment ends at CR or LF, as the grammar says
    r"|(?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'(?:[^'\\\r\n]|\\.)*'"
    r'|"(?:[^"\\\r\n]|\\.)*")'
    r'|(?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)'
    r"|(?P<var>[?$]" + _PN_CHARS + r"+)"
    r"|(?P<bnode>_:(?:" + _PN_CHARS + r"|\.)*)"
    r"|(?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)"
    r"|(?P<pname>(?P<prefix>[^\W\d_](?:" + _PN_CHARS + r"|\.)*)?:"
    r"(?:(?:" + _PN_CHARS + r"|:|" + _PLX + r")(?:" + _PN_CHARS + r"|[.:]|" + _PLX + r")*)?)"
    r"|(?P<number>[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+\.[0-9]*[eE][+-]?[0-9]+)"
    r"|(?P<word>\w+)"
    r"|(?P<punct>.)"
)
_OPERAND_END = {"var", "number", "string", "iri", "pname", "lang", "word"}


@lru_cache(maxsize=None)
def _token_re() -> "re.Pattern":
    return re.compile(_TOKEN, re.S)


def _scan(text: str):
    for m in _token_re().finditer(text):
        kind = m.lastgroup if m.lastgroup != "prefix" else "pname"
        yield kind, m


def tokens(query: str):
    """``(kind, text, offset)`` for every token of ``query``, whitespace and comments included."""
    for kind, m in _scan(query):
        yield kind, m.group(0), m.start()


def strip_lexical(query: str) -> str:
    """The query with strings, IRIs and comments blanked out (same length, newlines kept)."""
    return "".join(re.sub(r"[^\n]", " ", text) if kind in ("string", "iri", "comment") else text
                   for kind, text, _ in tokens(query))


# Words that only ever appear in SPARQL Update, or that make the engine read beyond the local
# dataset (SERVICE: the network; FROM / FROM NAMED: another dataset; LOAD: a URL).
_UPDATE = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")
_REFUSED = {
    **{w: "SPARQL Update ({w}) is not allowed: queries are read-only" for w in _UPDATE},
    "LOAD": "LOAD is not allowed: queries are read-only and never fetch from the network",
    "SERVICE": "SERVICE is not allowed: queries run on the local graph only and never reach the network",
    "FROM": "FROM / FROM NAMED is not allowed: queries run on this graph only",
}
# Oxigraph reads a keyword without looking at what follows it (``SERVICEex:x`` is SERVICE then
# ``ex:x``; ``trueSERVICE`` is ``true`` then SERVICE), so these two are refused anywhere inside a
# bare word or a prefix, not only as whole words. A local name (``sd:Service``) is read whole.
_INFIX = ("SERVICE", "FROM")
_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
_MAX_REREADS = 8


def _refusal(kind: str, m: re.Match) -> str | None:
    if kind == "word":
        word = m.group(0).upper()
        if word in _REFUSED:
            return word
    elif kind == "pname":
        word = (m.group("prefix") or "").upper()
    else:
        return None
    return next((k for k in _INFIX if k in word), None)


def _hidden_refusal(query: str, start: int, iri: str) -> str | None:
    """After an operand, ``<`` may be the less-than operator rather than an IRI: read as IRIs,
    ``FILTER(?a<1)SERVICE#>`` and ``FILTER(?a<'>')SERVICE …`` would hide a SERVICE. Only a quote
    or a comment sign inside the span can make the two readings differ, so re-read those."""
    quote = "'" in iri
    if not quote and "#" not in iri:
        return None
    prev = "punct"
    for kind, m in _scan(query[start + 1:] if quote else iri[1:-1]):
        if kind in ("ws", "comment"):
            continue
        text = m.group(0)
        # In a real IRI, words follow "/", "-", "#" or a dotted word; SERVICE as a keyword follows
        # a closed term (")", "]", a number, a variable, a string, or a "." after one).
        if _refusal(kind, m) == "SERVICE" and (quote or prev in ("close", "var", "number", "string")):
            return "SERVICE"
        closed = text in (")", "]") or (text == "." and prev != "word")
        prev = "close" if closed else kind
    return None


def _lexer_refusals(query: str, allow_from: bool) -> list[tuple[str, int]]:
    """The third reader: a model of how Oxigraph *tokenises* (it reads a keyword without looking
    at what follows it, and ``<`` after an operand as less-than). Kept beside the two grammars
    so that a text the grammars and the engine could read differently is refused."""
    out, prev, prologue_iri, rereads = [], None, False, 0
    for kind, m in _scan(query):
        if kind in ("ws", "comment"):
            continue
        text = m.group(0)
        hit = _refusal(kind, m)
        if hit == "FROM" and allow_from:
            hit = None
        if hit is None and kind == "iri" and prev in _OPERAND_END and not prologue_iri and "'" in text:
            rereads += 1  # each re-reads the rest of the query: bound the work a query can ask for
            if rereads > _MAX_REREADS:
                raise UnsafeQueryError(f"line {query.count(chr(10), 0, m.start()) + 1}: too many IRIs "
                                       "containing ' after an operand: the query cannot be checked")
        if hit is None and kind == "iri" and prev in _OPERAND_END and not prologue_iri:
            hit = _hidden_refusal(query, m.start(), text)
        if hit:
            out.append((hit, query.count("\n", 0, m.start()) + 1))
        # the IRI of ``PREFIX p: <iri>`` and ``BASE <iri>`` is never an operand
        prologue_iri = (kind == "word" and text.upper() in ("PREFIX", "BASE")) or (prologue_iri and kind == "pname")
        prev = kind
    return out


def check_read_only(query: str, *, allow_from: bool = False) -> str:
    """Raise UnsafeQueryError for UPDATE, LOAD, SERVICE or FROM; return the query form
    (SELECT, ASK, CONSTRUCT or DESCRIBE). ``allow_from``: FROM / FROM NAMED pass, for an engine
    that resolves them against graphs it holds and never fetches (``backend.LocalBackend``).

    Decided by the SPARQL 1.1 grammar, failing closed (``qdgraph.engine.guard``): the query must
    be read by a real parser (tree-sitter-sparql; rdflib's grammar where that one cannot), and
    where the text holds a refused word anywhere, every reader — both grammars and the model of
    Oxigraph's tokeniser — must read it and none may see the operation."""
    from qdgraph.engine import guard

    if not query.strip():
        raise QuerySyntaxError("empty query")
    refused = {"SERVICE"} | ({"FROM"} if not allow_from else set())
    text = guard.grammar_text(query)
    reading = guard.tree_sitter_reading(text)
    _refuse(r for r in reading.refusals if r[0] != "FROM" or not allow_from)  # the grammar saw it
    suspicious = guard.mentions(text, refused)
    if reading.readable and not suspicious:
        if reading.form is None:
            raise QuerySyntaxError("not a query: expected SELECT, ASK, CONSTRUCT or DESCRIBE")
        return reading.form
    # The grammar could not read the text, or read it as safe although it spells a refused
    # word somewhere: every other reader must read it too, and none may see the operation.
    _refuse(_lexer_refusals(query, allow_from))  # the model of Oxigraph's tokeniser (cheap: first)
    second = guard.rdflib_reading(text)
    _refuse(r for r in second.refusals if r[0] != "FROM" or not allow_from)
    if not second.readable and not reading.readable:
        unknown = _unknown_prefix(query)  # the engine's words for its most common syntax error
        raise QuerySyntaxError(unknown) if unknown else reading.syntax_error(query)
    if not second.readable or not reading.readable:
        if suspicious:
            word = sorted(suspicious)[0]
            raise UnsafeQueryError(f"line {guard.line_of(text, word)}: {word} appears in a query that only one "
                                   "of the two SPARQL grammars can read: refused, as it cannot be checked")
        return (reading if reading.readable else second).form or _not_a_query()
    if reading.form != second.form:
        raise UnsafeQueryError(f"the SPARQL grammars read this query as different forms ({reading.form}, "
                               f"{second.form}): refused, as it cannot be checked")
    return reading.form or _not_a_query()


def _refuse(hits) -> None:
    """Raise for the first refused operation (by line) among ``(keyword, line)`` pairs."""
    first = min(hits, key=lambda h: h[1], default=None)
    if first:
        word, line = first
        raise UnsafeQueryError(f"line {line}: " + _REFUSED[word].format(w=word))


def _not_a_query():
    raise QuerySyntaxError("not a query: expected SELECT, ASK, CONSTRUCT or DESCRIBE")


_AT = re.compile(r"^error at (\d+):(\d+): ")


def syntax_error(err: SyntaxError, query: str, prologue_lines: int = 0) -> QuerySyntaxError:
    """pyoxigraph says ``error at L:C: msg``; report it as ``line L, column C: msg`` against
    the user's text (minus any prologue we added) and show the offending line."""
    text = str(err)
    m = _AT.match(text)
    if not m:
        return QuerySyntaxError("SPARQL syntax error: " + " ".join(text.split())[:200])
    line, col = int(m.group(1)) - prologue_lines, int(m.group(2))
    unknown = _unknown_prefix(query)
    if unknown:  # the parser reports these as "expected OPTIONAL": say what is wrong
        return QuerySyntaxError(unknown)
    msg = _readable(" ".join(text[m.end():].split()))  # one line, whatever the parser printed
    lines = query.splitlines()
    snippet = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    bare = strip_lexical(query)
    for opening, closing in ("{}", "()", "[]"):
        if bare.count(opening) > bare.count(closing):
            msg = f"the query ends before it is complete: a '{closing}' is missing"
            break
    where = f"line {line}, column {col}"
    return QuerySyntaxError(f"SPARQL syntax error at {where}: {msg}" + (f"  [{snippet[:80]}]" if snippet else ""))


_EXPECTED = re.compile(r"^expected (?:one of )?(.*)$")


def _readable(msg: str) -> str:
    """The parser's "expected one of LATERAL, SERVICE, [_], ['A' ..= 'Z' | …]" as words a
    user can act on: keep the quoted punctuation it expects, drop grammar internals."""
    m = _EXPECTED.match(msg)
    if not m:
        return msg[:157] + "…" if len(msg) > 160 else msg
    wanted = [t for t in re.findall(r'"([^"]{1,3})"', m.group(1)) if t not in ("{|", "|}", "~", "<<", ">>")]
    if wanted:
        return "unexpected text here; expected " + " or ".join(f"'{t}'" for t in dict.fromkeys(wanted))
    return "unexpected text here"


def _unknown_prefix(query: str) -> str | None:
    """``unknown prefix 'ex:'`` if the query uses a prefix neither it nor qdgraph declares."""
    declared = set(PREFIXES) | {p.lower() for p in re.findall(r"(?i)PREFIX\s+([^\s:]*):", strip_lexical(query))}
    for kind, text, offset in tokens(query):
        if kind == "pname":
            prefix = text.split(":", 1)[0]
            if prefix not in declared and prefix.lower() not in declared:
                line = query.count("\n", 0, offset) + 1
                return (f"SPARQL syntax error at line {line}: unknown prefix '{prefix}:'; declare it "
                        f"(PREFIX {prefix}: <…>) or use one of: {', '.join(sorted(PREFIXES))}")
    return None


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
    """``key=value`` strings (the CLI's ``--param``) as a dict; raises on a malformed pair."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().lstrip("?$")
        if not sep or not re.fullmatch(r"[A-Za-z_]\w*", key):
            raise UsageError(f"bad parameter {pair!r}: expected NAME=VALUE").for_cli(
                f"bad --param {pair!r}: expected NAME=VALUE")
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


def check_nesting(query: str) -> None:
    """Refuse a query nesting ( [ { deeper than MAX_DEPTH, outside strings, IRIs and
    comments: the parsers recurse per level and crash (not raise) on thousands of levels."""
    from qdgraph.limits import MAX_DEPTH

    if query.count("(") + query.count("{") + query.count("[") <= MAX_DEPTH:
        return  # the common case: cannot be that deep
    depth = 0
    bare = strip_lexical(query)
    for i, ch in enumerate(bare):
        if ch in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                line = bare.count("\n", 0, i) + 1
                raise QuerySyntaxError(f"query nests brackets more than {MAX_DEPTH} deep (line {line}); "
                                       "flatten it")
        elif ch in ")]}":
            depth = max(0, depth - 1)


def check_query(text: str, allow_from: bool = True) -> str:
    """``check_nesting`` (before any parser sees it: deep nesting crashes parsers), then
    ``check_read_only``: the query form, or UnsafeQueryError. ``allow_from`` (the default: the
    store engines resolve FROM against graphs they hold, never fetched); False for an engine
    that might fetch (a remote endpoint). Not memoised: the grammar reads a query in about
    0.1 ms, less than a memo's lookup saves."""
    check_nesting(text)
    return check_read_only(text, allow_from=allow_from)

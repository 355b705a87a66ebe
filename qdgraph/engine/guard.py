"""The read-only guard's readers: what a query *is*, decided by the SPARQL 1.1 grammar.

Two independent grammars read the text. tree-sitter-sparql is a generated LR parser (C, about
0.1 ms a query); rdflib's SPARQL parser is the W3C grammar in pyparsing (20 ms, and it reads the
few W3C syntax tests tree-sitter-sparql misses). A reading lists the operations it found that a
read-only, offline query must not contain (SERVICE, FROM, LOAD, any update) and the query form.
``qdgraph.engine.sparql.check_read_only`` combines them and fails closed.
"""
from __future__ import annotations

import re
import threading
import warnings
from typing import NamedTuple

from qdgraph.errors import QuerySyntaxError

_FORMS = {"select_query": "SELECT", "construct_query": "CONSTRUCT", "describe_query": "DESCRIBE",
          "ask_query": "ASK"}
# tree-sitter-sparql's node types for SPARQL Update operations (grammar section 19, [29]–[40]),
# each refused under the keyword it starts with (INSERT, DELETE, WITH, LOAD, CLEAR, …)
_UPDATES = {"insert_data", "delete_data", "delete_where", "modify", "load", "clear", "drop", "create",
            "add", "move", "copy"}
_UPDATE_WORDS = {"INSERT", "DELETE", "WITH", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY"}
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


class Reading(NamedTuple):
    """One parser's reading: did it read the whole text, the form, the refused operations
    it found as (keyword, line), and where it stopped if it could not read the text."""
    readable: bool
    form: str | None = None
    refusals: tuple = ()
    error_at: tuple[int, int] | None = None  # (line, column), 1-based
    missing: str | None = None  # the token the parser found missing at the end, if that was it

    def syntax_error(self, query: str) -> QuerySyntaxError:
        if self.missing and self.missing in "}])":
            return QuerySyntaxError("SPARQL syntax error: the query ends before it is complete: "
                                    f"a '{self.missing}' is missing")
        line, col = self.error_at or (1, 1)
        lines = query.splitlines()
        snippet = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        return QuerySyntaxError(f"SPARQL syntax error at line {line}, column {col}: unexpected text here"
                                + (f"  [{snippet[:80]}]" if snippet else ""))


def unescape(query: str) -> str:
    """The query with its \\u and \\U code point escapes replaced (SPARQL 1.1 §19.2: they are
    processed before parsing, in keywords too, as both grammars and Oxigraph do)."""
    if "\\u" not in query and "\\U" not in query:
        return query

    def char(m: re.Match) -> str:
        cp = int(m.group(1) or m.group(2), 16)
        return chr(cp) if cp <= 0x10FFFF and not 0xD800 <= cp <= 0xDFFF else m.group(0)

    return _CODEPOINT.sub(char, query)


def grammar_text(query: str) -> str:
    """What the grammars read: code points unescaped, and every line end a LF of the same
    length. The SPARQL grammar ends a comment at CR as at LF (as Oxigraph does); the grammars'
    comment rules stop only at LF, so a lone CR is made one."""
    return unescape(query).replace("\r\n", " \n").replace("\r", "\n")


def mentions(text: str, words: set[str]) -> set[str]:
    """Which of ``words`` occur anywhere in ``text``, in any case, inside anything. A query that
    could make the engine use an operation spells its keyword; one that never does cannot."""
    low = text.lower()
    return {w for w in words if w.lower() in low}


def line_of(text: str, word: str) -> int:
    at = text.lower().find(word.lower())
    return text.count("\n", 0, max(at, 0)) + 1


# ------------------------------------------------------------------ tree-sitter-sparql
_local = threading.local()  # a tree-sitter Parser is not safe to share between threads


def _parser():
    parser = getattr(_local, "parser", None)
    if parser is None:
        import tree_sitter as ts
        import tree_sitter_sparql as tss

        with warnings.catch_warnings():  # the binding still hands over its grammar as an int pointer
            warnings.simplefilter("ignore", DeprecationWarning)
            language = ts.Language(tss.language())
        parser = _local.parser = ts.Parser(language)
    return parser


def _finder():
    """A tree-sitter query matching every refused operation and the query forms, run in C
    (walking the tree in Python would cost more than the parse)."""
    finder = getattr(_local, "finder", None)
    if finder is None:
        import tree_sitter as ts

        kinds = ["service_graph_pattern", "dataset_clause", "using_clause", *_FORMS, *sorted(_UPDATES)]
        finder = _local.finder = ts.QueryCursor(ts.Query(_parser().language,
                                                         "[" + " ".join(f"({k})" for k in kinds) + "] @hit"))
    return finder


def tree_sitter_reading(text: str) -> Reading:
    data = text.encode("utf-8", "surrogatepass")
    root = _parser().parse(data).root_node
    if root.has_error:
        return _error_reading(root, data)
    form, refusals = None, []
    for node in _finder().captures(root).get("hit", []):
        kind = node.type
        if kind in _FORMS:
            form = form or _FORMS[kind]
        elif kind == "service_graph_pattern":
            refusals.append(("SERVICE", node.start_point[0] + 1))
        elif kind in ("dataset_clause", "using_clause"):
            refusals.append(("FROM", node.start_point[0] + 1))
        else:  # an update operation, refused under the keyword it starts with
            first = node.children[0].text.decode("utf-8", "replace").split() if node.children else []
            word = first[0].upper() if first else ""
            refusals.append((word if word in _UPDATE_WORDS else "INSERT", node.start_point[0] + 1))
    return Reading(True, form, tuple(refusals))


def _error_reading(root, data: bytes) -> Reading:
    for node in _walk_all(root):
        if node.is_missing or node.type == "ERROR":
            row, col_bytes = node.start_point
            line_start = data.rfind(b"\n", 0, node.start_byte) + 1
            col = len(data[line_start:line_start + col_bytes].decode("utf-8", "replace")) + 1
            return Reading(False, error_at=(row + 1, col), missing=node.type if node.is_missing else None)
    return Reading(False, error_at=(1, 1))


def _walk_all(root):
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


# ------------------------------------------------------------------ rdflib's grammar
def rdflib_reading(text: str) -> Reading:
    """rdflib's pyparsing implementation of the SPARQL 1.1 grammar (queries only: an update
    does not parse as a query, which is a refusal too)."""
    try:
        from rdflib.plugins.sparql.parser import parseQuery
        from rdflib.plugins.sparql.parserutils import CompValue
        from pyparsing import ParseResults

        parsed = parseQuery(text)
    except RecursionError:
        return Reading(False)
    except Exception:  # any failure of this reader means "cannot read": the caller fails closed
        return Reading(False)
    query = parsed[1]
    form = {"SelectQuery": "SELECT", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE",
            "AskQuery": "ASK"}.get(getattr(query, "name", None))
    refusals = []
    if _has(query, "datasetClause"):
        refusals.append(("FROM", line_of(text, "from")))
    stack = [query]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            if item.name == "ServiceGraphPattern":
                refusals.append(("SERVICE", line_of(text, "service")))
            if _has(item, "datasetClause"):
                refusals.append(("FROM", line_of(text, "from")))
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, ParseResults)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return Reading(True, form, tuple(refusals))


def _has(comp, key: str) -> bool:
    """A clause present in an rdflib parse node (``CompValue.get`` answers a missing key with
    the key's own name, so ask the dict itself)."""
    return dict.__contains__(comp, key) and bool(dict.__getitem__(comp, key))

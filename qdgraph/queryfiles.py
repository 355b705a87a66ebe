"""Named SPARQL query files and their headers: the registry of ``qdgraph/engine/queries/*.rq``.

It reads files and nothing else, so it sits below every layer: the engine runs these queries
(``KnowledgeGraph.named``) and the store builder answers the ones marked ``memo`` in advance
(``qdgraph.storage.answers``). The header format is described in ``qdgraph.engine.queries``.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

from qdgraph.errors import NotFoundError, UsageError

HERE = Path(__file__).resolve().parent / "engine" / "queries"


# Records read from files, never changed: NamedTuples, whose classes Python makes in 0.08 ms
# where a dataclass takes 0.4 ms and a frozen one 0.6 ms (every command imports this module)
class Param(NamedTuple):
    name: str
    kind: str
    help: str

    @property
    def optional(self) -> bool:
        return self.kind.endswith("?")


class StreamKeys(NamedTuple):
    """``# stream: ?a ?b in { PATTERN }``: the rows are ordered first on ``?a_key ?b_key``,
    each ``CONCAT("k", STR(?a))`` of an IRI, and every row's ``?a ?b`` match PATTERN (a cheap
    pattern: the engine finds the least key in it). A local store then gives the least key's
    rows first, then the rest (``LocalBackend.stream_keyed``): the first row does not wait for
    the whole answer to be sorted."""
    keys: tuple[str, ...]
    pattern: str


class NamedQuery(NamedTuple):
    name: str
    title: str
    description: str
    text: str
    params: tuple[Param, ...] = ()
    path: Path | None = None
    memo: str | None = None       # a class: answered in advance for each of its instances; WHOLE: once
    stream: StreamKeys | None = None  # how a local store streams a large answer (see StreamKeys)

    def head_text(self) -> str:
        """The text that answers one key's rows: ``by-key/NAME.rq`` when there is one (written
        as look-ups, where the whole answer is written as scans), else the query's own."""
        head = HERE / "by-key" / f"{self.name}.rq"
        return head.read_text(encoding="utf-8") if self.stream and head.is_file() else self.text

    def bind(self, values: dict) -> dict:
        """Check ``values`` against the declared params; return them ready for ``query``."""
        known = {p.name: p for p in self.params}
        unknown = [k for k in values if k not in known]
        if unknown:
            raise UsageError(f"query {self.name!r} has no parameter {unknown[0]!r}"
                             + (f" (it takes: {', '.join(known)})" if known else " (it takes none)"))
        missing = [p.name for p in self.params if p.name not in values and not p.optional]
        if missing:
            raise UsageError(f"query {self.name!r} needs a value for its parameter {missing[0]!r}").for_cli(
                f"query {self.name!r} needs --param {missing[0]}=VALUE")
        out = {}
        for k, v in values.items():
            if isinstance(v, str) and known[k].kind.rstrip("?") == "literal":
                import pyoxigraph as ox

                v = ox.Literal(v)
            out[k] = v
        return out


WHOLE = "whole"  # ``# memo: whole``: a query without parameters, its one answer kept
_HEADER = re.compile(r"^#\s*(title|description|param|memo|stream):\s*(.*)$")
_STREAM = re.compile(r"((?:\?\w+\s+)+)in\s+(\{.*\})")


def parse_rq(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    meta: dict[str, str] = {}
    params: list[Param] = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        m = _HEADER.match(line)
        if not m:
            continue
        key, value = m.groups()
        if key == "param":
            name, kind, *rest = value.split(None, 2) + [""]
            params.append(Param(name, kind, (rest[0] if rest else "").strip()))
        else:
            meta[key] = value.strip()
    memo = meta.get("memo") or None
    if memo == WHOLE and params:
        raise ValueError(f"{path}: a query kept whole in advance (memo: {WHOLE}) takes no parameter")
    if memo and memo != WHOLE and [p.kind.rstrip("?") for p in params] != ["iri"]:  # left out (iri?), the query is run
        raise ValueError(f"{path}: a query kept in advance (memo) takes exactly one iri parameter")
    return NamedQuery(path.stem, meta.get("title", path.stem), meta.get("description", ""), text, tuple(params), path,
                      memo, _stream_keys(path, text, meta.get("stream")))


def _stream_keys(path: Path, text: str, header: str | None) -> StreamKeys | None:
    """The ``stream`` header, checked against the text: a key the ORDER BY does not start
    with, or that is not bound as ``CONCAT("k", STR(?v))``, would give the rows in another
    order, so the file is refused rather than streamed wrong."""
    if not header:
        return None
    m = _STREAM.fullmatch(header)
    if not m:
        raise ValueError(f"{path}: stream header is not '?var ... in {{ pattern }}'")
    keys = tuple(v.lstrip("?") for v in m.group(1).split())
    order = re.search(r"^ORDER BY\s+(.*)$", text, re.M)
    leading = order.group(1).split()[:len(keys)] if order else []
    binds = {m.group(2): m.group(1) for m in re.finditer(r"^\s*BIND \((.*) AS \?(\w+)\)\s*$", text, re.M)}
    # a key may be something else for other terms (entity-in's blank nodes): the least key's
    # rows are then streamed only when every key in the pattern is an IRI (LocalBackend.least_key)
    if leading != [f"?{k}_key" for k in keys] or not all(f'CONCAT("k", STR(?{k}))' in binds.get(f"{k}_key", "")
                                                        for k in keys):
        raise ValueError(f"{path}: a streamed query must start its ORDER BY with "
                         + " ".join(f"?{k}_key" for k in keys) + ', each bound as CONCAT("k", STR(?var))')
    return StreamKeys(keys, m.group(2))


def all_queries() -> dict[str, NamedQuery]:
    return {p.stem: parse_rq(p) for p in sorted(HERE.glob("*.rq"))}


def get_query(name: str) -> NamedQuery:
    path = HERE / f"{name}.rq"
    if re.fullmatch(r"[a-z0-9][a-z0-9-]*", name) and path.is_file():  # one file, not all of them
        return parse_rq(path)
    queries = all_queries()
    import difflib

    near = difflib.get_close_matches(name, list(queries), n=3, cutoff=0.4)
    hint = f"; did you mean: {', '.join(near)}" if near else f"; known: {', '.join(queries)}"
    raise NotFoundError(f"no named query {name!r}{hint}", near)

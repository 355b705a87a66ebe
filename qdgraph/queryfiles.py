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


class NamedQuery(NamedTuple):
    name: str
    title: str
    description: str
    text: str
    params: tuple[Param, ...] = ()
    path: Path | None = None
    memo: str | None = None       # a class: answered in advance for each of its instances

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


_HEADER = re.compile(r"^#\s*(title|description|param|memo):\s*(.*)$")


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
    if memo and [p.kind.rstrip("?") for p in params] != ["iri"]:  # left out (iri?), the query is run
        raise ValueError(f"{path}: a query kept in advance (memo) takes exactly one iri parameter")
    return NamedQuery(path.stem, meta.get("title", path.stem), meta.get("description", ""), text, tuple(params), path,
                      memo)


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

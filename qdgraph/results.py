"""Query results, held in memory: ``SelectResult``, ``AskResult``, ``GraphResult``.

Each has ``.serialize(fmt)``, written by the format registry (``qdgraph.formats``), so the
CLI, the Python API and the HTTP server give the same answer in every format.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from . import formats
from .formats import XSD, display, render_table, term_json, term_text  # noqa: F401 — their old home

__all__ = ["SelectResult", "AskResult", "GraphResult", "term_from_json", "term_json", "term_text", "display",
           "render_table"]


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

    def serialize(self, fmt: str = "json", **options) -> str:
        return formats.write(self, fmt, **options)


@dataclass
class AskResult:
    value: bool
    kind = "ask"

    def __bool__(self):
        return self.value

    def serialize(self, fmt: str = "json", **options) -> str:
        return formats.write(self, fmt, **options)


@dataclass
class GraphResult:
    triples: list = field(default_factory=list)
    truncated: bool = False
    kind = "graph"

    def __iter__(self):
        return iter(self.triples)

    def __len__(self):
        return len(self.triples)

    def serialize(self, fmt: str = "turtle", **options) -> str:
        return formats.write(self, fmt, **options)

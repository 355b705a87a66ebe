"""SHACL validation, with the simple constraints evaluated by Oxigraph.

pySHACL checks each focus node on its own and re-parses a SPARQL constraint's text for every
one of them: 500 imported rows took 51 s in it. Most of our shapes are simple property
constraints (counts, classes, datatypes, languages, patterns) and SPARQL constraints, which
are one set-at-a-time query each over the whole data. So:

- shapes made only of those constraints are evaluated here, one Oxigraph query per constraint;
- so are the SPARQL constraints of every other shape (``check_sparql``: joined with the focus
  nodes in one query where the constraint's form allows);
- the rest of those shapes (sh:or, sh:xone, sh:and, sh:not, sh:node, complex paths, …) goes to
  pySHACL, restricted to them, and only when the data holds one of their focus nodes.

Results are the violations pySHACL reports (focus, path, message, severity), with one known
difference: ``sh:datatype`` here checks the datatype IRI only, not that the lexical form is
valid for it (Oxigraph has no test for that).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

SH = "http://www.w3.org/ns/shacl#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

_TARGETS = {"targetClass", "targetSubjectsOf", "targetObjectsOf", "targetNode"}
_NODE_KEYS = _TARGETS | {"property", "sparql", "message", "severity", "deactivated"}
_PROPERTY_KEYS = {"path", "minCount", "maxCount", "class", "datatype", "minLength", "pattern", "uniqueLang",
                  "qualifiedValueShape", "qualifiedMinCount", "message", "severity", "name", "description"}


@dataclass
class Found:
    focus: ox.Term
    path: str
    message: str
    severity: str
    shape: str
    value: ox.Term | None = None


def _sh(name: str) -> ox.NamedNode:
    return ox.NamedNode(SH + name)


class Shapes:
    def __init__(self, files: list[Path]):
        self.graph = ox.Store()
        for path in files:
            self.graph.load(path=str(path), format=ox.RdfFormat.TURTLE)

    def values(self, node, pred: str) -> list:
        return [q.object for q in self.graph.quads_for_pattern(node, _sh(pred), None, None)]

    def one(self, node, pred: str):
        vals = self.values(node, pred)
        return vals[0] if vals else None

    def keys(self, node) -> set[str]:
        return {q.predicate.value[len(SH):] if q.predicate.value.startswith(SH) else q.predicate.value
                for q in self.graph.quads_for_pattern(node, None, None, None)
                if q.predicate != RDF_TYPE and not q.predicate.value.startswith("http://www.w3.org/2000/01/rdf-schema#")}

    def node_shapes(self) -> list:
        return sorted({q.subject for q in self.graph.quads_for_pattern(None, RDF_TYPE, _sh("NodeShape"), None)},
                      key=str)

    def simple(self, shape) -> bool:
        """True if every constraint of ``shape`` is one this module evaluates."""
        return self.keys(shape) <= _NODE_KEYS and all(map(self.simple_property, self.values(shape, "property")))

    def simple_property(self, prop) -> bool:
        """True if every constraint of the property shape ``prop`` is one this module evaluates."""
        if not self.keys(prop) <= _PROPERTY_KEYS or not isinstance(self.one(prop, "path"), ox.NamedNode):
            return False
        q = self.one(prop, "qualifiedValueShape")
        return q is None or self.keys(q) <= {"languageIn"}

    def languages(self, node) -> list[str]:
        """The items of an RDF list (sh:languageIn ( "zh" ))."""
        out, first, rest = [], ox.NamedNode(_RDF + "first"), ox.NamedNode(_RDF + "rest")
        cell = node
        while cell is not None and cell != ox.NamedNode(_RDF + "nil"):
            out += [q.object.value for q in self.graph.quads_for_pattern(cell, first, None, None)]
            nxt = [q.object for q in self.graph.quads_for_pattern(cell, rest, None, None)]
            cell = nxt[0] if nxt else None
        return out

    def prefixes(self, constraint) -> str:
        lines = []
        for decl_owner in self.values(constraint, "prefixes"):
            for decl in self.values(decl_owner, "declare"):
                lines.append(f"PREFIX {self.one(decl, 'prefix').value}: <{self.one(decl, 'namespace').value}>")
        return "\n".join(lines)


_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def focus_pattern(shapes: Shapes, shape) -> str | None:
    parts = [f"{{ ?this a/<{SUBCLASS}>* {c} }}" for c in shapes.values(shape, "targetClass")]
    parts += [f"{{ ?this {p} ?_o }}" for p in shapes.values(shape, "targetSubjectsOf")]
    parts += [f"{{ ?_s {p} ?this }}" for p in shapes.values(shape, "targetObjectsOf")]
    parts += [f"{{ VALUES ?this {{ {n} }} }}" for n in shapes.values(shape, "targetNode")]
    if not parts:
        return None
    return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(parts) + " } }"


def _rows(data: ox.Store, query: str):
    return list(data.query(query))


def check_simple(data: ox.Store, shapes: Shapes, shape) -> list[Found]:
    """The violations of ``shape``'s SPARQL constraints and of its property shapes that this
    module evaluates (all of them for a ``simple`` shape; ``shape_graph_of`` leaves these out
    of what it hands pySHACL)."""
    focus = focus_pattern(shapes, shape)
    if focus is None:
        return []
    out: list[Found] = []
    node_sev = shapes.one(shape, "severity")
    for prop in filter(shapes.simple_property, shapes.values(shape, "property")):
        p = shapes.one(prop, "path")
        sev = (shapes.one(prop, "severity") or node_sev or _sh("Violation")).value.rsplit("#", 1)[-1]
        msg = shapes.one(prop, "message")

        def add(query: str, default: str, with_value: bool = False):
            for sol in _rows(data, query):
                value = sol["v"] if with_value else None
                out.append(Found(sol["this"], p.value, msg.value if msg is not None else default, sev, str(shape), value))

        n = shapes.one(prop, "minCount")
        if n is not None and int(n.value) > 0:
            add(f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {p} ?v }} }} GROUP BY ?this "
                f"HAVING (COUNT(DISTINCT ?v) < {int(n.value)})", f"Less than {n.value} values on {p.value}")
        n = shapes.one(prop, "maxCount")
        if n is not None:
            add(f"SELECT ?this WHERE {{ {focus} ?this {p} ?v }} GROUP BY ?this "
                f"HAVING (COUNT(DISTINCT ?v) > {int(n.value)})", f"More than {n.value} values on {p.value}")
        c = shapes.one(prop, "class")
        if c is not None:
            add(f"SELECT ?this ?v WHERE {{ {focus} ?this {p} ?v FILTER NOT EXISTS {{ ?v a/<{SUBCLASS}>* {c} }} }}",
                f"Value does not have class {c.value}", with_value=True)
        d = shapes.one(prop, "datatype")
        if d is not None:
            add(f"SELECT ?this ?v WHERE {{ {focus} ?this {p} ?v "
                f"FILTER (!isLiteral(?v) || datatype(?v) != {d}) }}",
                f"Value is not Literal with datatype {d.value}", with_value=True)
        n = shapes.one(prop, "minLength")
        if n is not None:
            add(f"SELECT ?this ?v WHERE {{ {focus} ?this {p} ?v "
                f"FILTER (isBlank(?v) || STRLEN(STR(?v)) < {int(n.value)}) }}",
                f"Value has less than {n.value} characters", with_value=True)
        pat = shapes.one(prop, "pattern")
        if pat is not None:
            add(f"SELECT ?this ?v WHERE {{ {focus} ?this {p} ?v "
                f"FILTER (isBlank(?v) || !REGEX(STR(?v), {ox.Literal(pat.value)})) }}",
                f"Value does not match pattern {pat.value}", with_value=True)
        u = shapes.one(prop, "uniqueLang")
        if u is not None and u.value == "true":
            add(f"SELECT DISTINCT ?this WHERE {{ {focus} ?this {p} ?a , ?b "
                "FILTER (isLiteral(?a) && lang(?a) != '' && lang(?a) = lang(?b) && ?a != ?b) }",
                "More than one value shares a language tag")
        q = shapes.one(prop, "qualifiedValueShape")
        n = shapes.one(prop, "qualifiedMinCount")
        if q is not None and n is not None:
            langs = [lang for ls in shapes.values(q, "languageIn") for lang in shapes.languages(ls)]
            test = " || ".join(f"langMatches(lang(?v), {ox.Literal(l)})" for l in langs) or "false"
            add(f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {p} ?v FILTER ({test}) }} }} GROUP BY ?this "
                f"HAVING (COUNT(DISTINCT ?v) < {int(n.value)})",
                f"Less than {n.value} values conform to the qualified value shape on {p.value}")
    return out + check_sparql(data, shapes, shape)


def check_sparql(data: ox.Store, shapes: Shapes, shape) -> list[Found]:
    """The violations of ``shape``'s SPARQL constraints (sh:sparql), each one query for every
    focus node at once where its form allows, else with ``$this`` pre-bound per focus node."""
    focus = focus_pattern(shapes, shape)
    constraints = shapes.values(shape, "sparql")
    if focus is None or not constraints:
        return []
    out: list[Found] = []
    node_sev = shapes.one(shape, "severity")
    targets = None
    for c in constraints:
        msg = shapes.one(c, "message")
        sev = (shapes.one(c, "severity") or node_sev or _sh("Violation")).value.rsplit("#", 1)[-1]
        select = shapes.one(c, "select").value
        prologue = shapes.prefixes(c) + "\n"
        anti = as_anti_join(select)
        if anti is not None or _joinable(select):
            # the constraint as a sub-SELECT joined with the focus nodes: the same answers as
            # binding $this to each in turn (it projects $this and pre-binds nothing else)
            body = (anti or select).replace("$this", "?this")
            sols = list(data.query(f"{prologue}SELECT * WHERE {{ {focus} {{ {body} }} }}"))
        else:  # $this pre-bound, as SHACL-SPARQL defines it (Oxigraph parses in microseconds)
            if targets is None:
                targets = [sol["this"] for sol in _rows(data, f"SELECT ?this WHERE {focus}")]
            this_var = ox.Variable("this")
            sols = [sol for this in targets for sol in data.query(prologue + select, substitutions={this_var: this})]
        for sol in sols:
            path, value = _get(sol, "path"), _get(sol, "value")
            out.append(Found(sol["this"], path.value if isinstance(path, ox.NamedNode) else "",
                             msg.value if msg is not None else "SPARQL constraint violated", sev, str(shape), value))
    return out


def _joinable(select: str) -> bool:
    return bool(re.match(r"\s*SELECT\s+(DISTINCT\s+)?\$this\b", select, re.I)) and not re.search(r"\$(?!this\b)\w", select)


def _get(sol, var: str):
    try:
        return sol[var]
    except (KeyError, IndexError):  # not projected by this query
        return None


_VAR = re.compile(r"[?$]([A-Za-z_][A-Za-z0-9_]*)")


def as_anti_join(select: str) -> str | None:
    """``select`` with its closing ``FILTER NOT EXISTS { P }`` written as ``MINUS { P }``, when
    that means the same thing: the rest of the group is plain triple patterns (so every variable
    they share with P is bound) and they share at least one variable. Oxigraph evaluates NOT
    EXISTS row by row against all of P (quadratic: 37 ms per focus node at 5,000 imported rows)
    and MINUS as one hash anti-join. None if the query is not of that form."""
    m = re.fullmatch(r"(?s)(\s*SELECT\s[^{]*?WHERE\s*\{)(.*?)FILTER\s+NOT\s+EXISTS\s*(\{[^{}]*\})\s*\}\s*", select)
    if not m:
        return None
    head, before, block = m.groups()
    if re.search(r"[{}()\"']|\b(?:FILTER|OPTIONAL|UNION|BIND|VALUES|MINUS|SERVICE|GRAPH|EXISTS)\b", before, re.I):
        return None
    if not set(_VAR.findall(before)) & set(_VAR.findall(block)):
        return None
    return f"{head}{before}MINUS {block} }}"


def has_focus(data: ox.Store, shapes: Shapes, shape) -> bool:
    focus = focus_pattern(shapes, shape)
    return focus is not None and bool(data.query(f"ASK {{ {focus} }}"))


def shape_graph_of(shapes: Shapes, roots: list) -> str:
    """N-Triples of ``roots`` and every blank node reachable from them (plus prefix declarations
    they name), for pySHACL; without the roots' SPARQL constraints and simple property shapes
    (``check_simple`` evaluates those)."""
    seen, todo, triples = set(), list(roots), []
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for q in shapes.graph.quads_for_pattern(node, None, None, None):
            if node in roots and (q.predicate == _sh("sparql") or (
                    q.predicate == _sh("property") and shapes.simple_property(q.object))):
                continue
            triples.append(ox.Triple(q.subject, q.predicate, q.object))
            if isinstance(q.object, ox.BlankNode) or q.predicate == _sh("prefixes"):
                todo.append(q.object)
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")

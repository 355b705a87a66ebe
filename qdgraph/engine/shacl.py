"""SHACL validation, evaluated by Oxigraph: each constraint one set-at-a-time SPARQL query.

pySHACL checks each focus node on its own and re-parses a SPARQL constraint's text for every
one of them (500 imported rows took 51 s; the 920 claims' ``sh:or`` alone took 1.8 s). So the
constraints are compiled here into SPARQL over the whole data, one query each:

- property shapes: counts, class, datatype, node kind, ``sh:in``, ``sh:hasValue``, ranges,
  length, pattern, unique languages and qualified counts, on any SHACL path (sequence,
  inverse, alternative, ``*``/``+``/``?``);
- node-level constraints, the logical ones included (``sh:or``, ``sh:and``, ``sh:xone``,
  ``sh:not``), when every member shape compiles to a SPARQL test (``_test``);
- SPARQL constraints (``check_sparql``): joined with the focus nodes in one query where the
  constraint's form allows.

What does not compile (``Shapes.simple`` is False) goes to pySHACL, restricted to those
shapes, and only when the data holds one of their focus nodes; the bundled shapes all compile.
Results are the violations pySHACL reports (focus, path, message, severity), with one known
difference: ``sh:datatype`` checks the datatype IRI only, not that the lexical form is valid
for it (Oxigraph has no test for that).
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from qdgraph.namespaces import shorten

SH = "http://www.w3.org/ns/shacl#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_TYPE = ox.NamedNode(_RDF + "type")
SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"

_TARGETS = {"targetClass", "targetSubjectsOf", "targetObjectsOf", "targetNode"}
_ANNOTATIONS = {"message", "severity", "name", "description", "deactivated", "order", "group"}
# constraints on the focus node itself (node shapes) or on each value (property shapes)
_VALUE_KEYS = {"class", "datatype", "nodeKind", "in", "languageIn", "minInclusive", "maxInclusive",
               "minExclusive", "maxExclusive", "minLength", "maxLength", "pattern", "flags",
               "and", "or", "xone", "not"}
_NODE_KEYS = _TARGETS | _ANNOTATIONS | _VALUE_KEYS | {"property", "sparql", "hasValue"}
_PROPERTY_KEYS = _ANNOTATIONS | _VALUE_KEYS | {"path", "minCount", "maxCount", "hasValue", "uniqueLang",
                                               "qualifiedValueShape", "qualifiedMinCount", "qualifiedMaxCount"}
_NODE_KINDS = {"IRI": "isIRI({v})", "BlankNode": "isBlank({v})", "Literal": "isLiteral({v})",
               "BlankNodeOrIRI": "(isBlank({v}) || isIRI({v}))",
               "BlankNodeOrLiteral": "(isBlank({v}) || isLiteral({v}))",
               "IRIOrLiteral": "(isIRI({v}) || isLiteral({v}))"}
_RANGES = {"minInclusive": (">=", "Value is not >= {}"), "maxInclusive": ("<=", "Value is not <= {}"),
           "minExclusive": (">", "Value is not > {}"), "maxExclusive": ("<", "Value is not < {}")}


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
        """True if every constraint of ``shape`` compiles to SPARQL here."""
        keys = self.keys(shape)
        return (keys <= _NODE_KEYS and "path" not in keys
                and all(_node_test(self, shape, k, "?this", _Fresh()) is not None for k in keys & _LOGICAL_AND_VALUE)
                and all(map(self.simple_property, self.values(shape, "property"))))

    def simple_property(self, prop) -> bool:
        """True if every constraint of the property shape ``prop`` compiles to SPARQL here."""
        if not self.keys(prop) <= _PROPERTY_KEYS or path_sparql(self, self.one(prop, "path")) is None:
            return False
        fresh = _Fresh()
        if any(_node_test(self, prop, k, "?v", fresh) is None for k in self.keys(prop) & _LOGICAL_AND_VALUE):
            return False
        q = self.one(prop, "qualifiedValueShape")
        if q is None:
            return not self.keys(prop) & {"qualifiedMinCount", "qualifiedMaxCount"}
        return _test(self, q, "?v", fresh) is not None

    def items(self, node) -> list:
        """The items of an RDF list (sh:languageIn ( "zh" ), sh:or ( … ))."""
        out, first, rest = [], ox.NamedNode(_RDF + "first"), ox.NamedNode(_RDF + "rest")
        cell = node
        while cell is not None and cell != ox.NamedNode(_RDF + "nil"):
            out += [q.object for q in self.graph.quads_for_pattern(cell, first, None, None)]
            nxt = [q.object for q in self.graph.quads_for_pattern(cell, rest, None, None)]
            cell = nxt[0] if nxt else None
        return out

    def prefixes(self, constraint) -> str:
        lines = []
        for decl_owner in self.values(constraint, "prefixes"):
            for decl in self.values(decl_owner, "declare"):
                lines.append(f"PREFIX {self.one(decl, 'prefix').value}: <{self.one(decl, 'namespace').value}>")
        return "\n".join(lines)


_LOGICAL_AND_VALUE = _VALUE_KEYS - {"flags"} | {"hasValue"}
_MAX_NESTED_COUNT = 5  # counts inside sh:or/sh:and are compiled as n pairwise-distinct values


def path_sparql(shapes: Shapes, path) -> str | None:
    """A SHACL path as a SPARQL property path, or None if it is not a well-formed one."""
    if isinstance(path, ox.NamedNode):
        return str(path)
    if not isinstance(path, ox.BlankNode):
        return None
    keys = shapes.keys(path)
    if keys == {f"{_RDF}first", f"{_RDF}rest"}:
        parts = [path_sparql(shapes, p) for p in shapes.items(path)]
        return None if len(parts) < 2 or None in parts else "(" + "/".join(parts) + ")"
    ops = {"inversePath": "^({})", "zeroOrMorePath": "({})*", "oneOrMorePath": "({})+", "zeroOrOnePath": "({})?"}
    if len(keys) == 1 and (op := next(iter(keys))) in ops:
        inner = path_sparql(shapes, shapes.one(path, op))
        return None if inner is None else ops[op].format(inner)
    if keys == {"alternativePath"}:
        parts = [path_sparql(shapes, p) for p in shapes.items(shapes.one(path, "alternativePath"))]
        return None if len(parts) < 2 or None in parts else "(" + "|".join(parts) + ")"
    return None


class _Fresh:
    """Fresh variable names for nested tests (each EXISTS needs its own)."""

    def __init__(self):
        self._n = itertools.count()

    def __call__(self) -> str:
        return f"?_v{next(self._n)}"


def _safe(expr: str) -> str:
    # an error (lang() of an IRI, comparing a string with a number) counts as not conforming
    return f"COALESCE({expr}, false)"


def _node_test(shapes: Shapes, shape, key: str, v: str, fresh: _Fresh) -> str | None:
    """SPARQL boolean: the term in ``v`` satisfies ``shape``'s constraint ``key`` (a node-level
    or per-value constraint), or None if it does not compile."""
    arg = shapes.one(shape, key)
    if key == "class":
        return " && ".join(f"EXISTS {{ {v} a/<{SUBCLASS}>* {c} }}" for c in shapes.values(shape, "class"))
    if key == "datatype":
        return _safe(f"isLiteral({v}) && datatype({v}) = {arg}")
    if key == "nodeKind":
        kind = arg.value[len(SH):] if isinstance(arg, ox.NamedNode) and arg.value.startswith(SH) else None
        return _NODE_KINDS[kind].format(v=v) if kind in _NODE_KINDS else None
    if key == "in":
        items = shapes.items(arg)
        return "(" + " || ".join(f"sameTerm({v}, {i})" for i in items) + ")" if items else "false"
    if key == "hasValue":  # on a node shape: the focus node is the value
        return f"sameTerm({v}, {arg})"
    if key == "languageIn":
        langs = [i.value for i in shapes.items(arg)]
        return _safe(f"isLiteral({v}) && (" + (" || ".join(f"langMatches(lang({v}), {ox.Literal(l)})"
                                                               for l in langs) or "false") + ")")
    if key in _RANGES:
        return _safe(f"{v} {_RANGES[key][0]} {arg}")
    if key in ("minLength", "maxLength"):
        op = ">=" if key == "minLength" else "<="
        return _safe(f"!isBlank({v}) && STRLEN(STR({v})) {op} {int(arg.value)}")
    if key == "pattern":
        flags = shapes.one(shape, "flags")
        extra = f", {ox.Literal(flags.value)}" if flags is not None else ""
        return _safe(f"!isBlank({v}) && REGEX(STR({v}), {ox.Literal(arg.value)}{extra})")
    if key in ("and", "or", "xone"):
        tests = [_test(shapes, m, v, fresh) for m in shapes.items(arg)]
        if None in tests:
            return None
        if key == "xone":
            return "(" + " + ".join(f"IF({t}, 1, 0)" for t in tests) + ") = 1" if tests else "false"
        return "(" + f" {'&&' if key == 'and' else '||'} ".join(tests) + ")" if tests else (
            "true" if key == "and" else "false")
    if key == "not":
        t = _test(shapes, arg, v, fresh)
        return None if t is None else f"!({t})"
    return None


def _test(shapes: Shapes, shape, v: str, fresh: _Fresh) -> str | None:
    """SPARQL boolean: the term in ``v`` conforms to ``shape`` (a node or property shape used
    inside sh:or, sh:qualifiedValueShape, …), or None if some constraint of it does not compile."""
    keys = shapes.keys(shape) - _ANNOTATIONS
    if not keys:
        return "true"
    if "path" not in keys:
        if not keys - {"flags"} <= _LOGICAL_AND_VALUE:
            return None
        tests = [_node_test(shapes, shape, k, v, fresh) for k in sorted(keys - {"flags"})]
        return None if None in tests else "(" + " && ".join(tests) + ")"
    p = path_sparql(shapes, shapes.one(shape, "path"))
    if p is None or not keys <= _PROPERTY_KEYS - {"uniqueLang"}:
        return None
    parts = []
    for k in sorted(keys - {"path", "qualifiedValueShape"}):
        x = fresh()
        n = shapes.one(shape, k)
        if k in ("minCount", "maxCount"):
            # at least n values: n pairwise-different ones exist; at most n: n + 1 do not
            m = int(n.value) + (k == "maxCount")
            if m > _MAX_NESTED_COUNT:
                return None
            xs = [x] + [fresh() for _ in range(m - 1)]
            differ = " && ".join(f"!sameTerm({a}, {b})" for a, b in itertools.combinations(xs, 2)) or "true"
            parts.append("true" if m == 0 else f"{'EXISTS' if k == 'minCount' else 'NOT EXISTS'} "
                                               f"{{ {v} {p} {' , '.join(xs)} FILTER ({differ}) }}")
        elif k == "hasValue":
            parts.append(f"EXISTS {{ {v} {p} {n} }}")
        elif k == "qualifiedMinCount" and int(n.value) <= 1:
            qshape = shapes.one(shape, "qualifiedValueShape")
            q = None if qshape is None else _test(shapes, qshape, x, fresh)
            if q is None:
                return None
            parts.append(f"EXISTS {{ {v} {p} {x} FILTER ({q}) }}" if int(n.value) == 1 else "true")
        elif k in _LOGICAL_AND_VALUE:
            t = _node_test(shapes, shape, k, x, fresh)
            if t is None:
                return None
            parts.append(f"NOT EXISTS {{ {v} {p} {x} FILTER (!({t})) }}")
        elif k != "flags":
            return None
    return "(" + " && ".join(parts) + ")"


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


def _default_message(shapes: Shapes, shape, key: str) -> str:
    """pySHACL's wording, for a constraint without sh:message."""
    arg = shapes.one(shape, key)
    text = shorten(arg.value) if isinstance(arg, ox.NamedNode) else arg.value if isinstance(arg, ox.Literal) else ""
    if key in _RANGES:
        return _RANGES[key][1].format(text)
    return {"class": f"Value does not have class {text}",
            "datatype": f"Value is not Literal with datatype {text}",
            "nodeKind": f"Value is not of Node Kind {text}",
            "in": "Value not in list",
            "languageIn": "String language is not in the list",
            "minLength": f"String length not >= {text}", "maxLength": f"String length not <= {text}",
            "pattern": f"Value does not match pattern {text}",
            "hasValue": f"Missing expected value {text}",
            "or": "Node must conform to one or more shapes", "and": "Node must conform to all shapes",
            "xone": "Node must conform to exactly one shape", "not": "Node must not conform to the shape",
            }[key]


def check_simple(data: ox.Store, shapes: Shapes, shape) -> list[Found]:
    """The violations of ``shape``'s SPARQL constraints, its node-level constraints and the
    property shapes this module compiles (all of them for a ``simple`` shape;
    ``shape_graph_of`` leaves these out of what it hands pySHACL)."""
    focus = focus_pattern(shapes, shape)
    if focus is None:
        return []
    out: list[Found] = []
    node_sev = shapes.one(shape, "severity")
    node_msg = shapes.one(shape, "message")
    node_keys = shapes.keys(shape) & _LOGICAL_AND_VALUE
    if node_keys and shapes.simple(shape):
        sev = (node_sev or _sh("Violation")).value.rsplit("#", 1)[-1]
        for k in sorted(node_keys):
            test = _node_test(shapes, shape, k, "?this", _Fresh())
            for sol in _rows(data, f"SELECT ?this WHERE {{ {focus} FILTER (!({test})) }}"):
                out.append(Found(sol["this"], "", node_msg.value if node_msg is not None
                                 else _default_message(shapes, shape, k), sev, str(shape), sol["this"]))
    for prop in filter(shapes.simple_property, shapes.values(shape, "property")):
        out += _check_property(data, shapes, shape, prop, focus, node_sev)
    return out + check_sparql(data, shapes, shape)


def _check_property(data: ox.Store, shapes: Shapes, shape, prop, focus: str, node_sev) -> list[Found]:
    path = shapes.one(prop, "path")
    p = path_sparql(shapes, path)
    sev = (shapes.one(prop, "severity") or node_sev or _sh("Violation")).value.rsplit("#", 1)[-1]
    msg = shapes.one(prop, "message")
    where = shorten(path.value) if isinstance(path, ox.NamedNode) else "its path"
    out: list[Found] = []

    def add(query: str, default: str, with_value: bool = False):
        for sol in _rows(data, query):
            out.append(Found(sol["this"], path.value if isinstance(path, ox.NamedNode) else "",
                             msg.value if msg is not None else default, sev, str(shape),
                             sol["v"] if with_value else None))

    def count(condition: str, op: str, n: int, default: str):
        # a HAVING over all focus nodes; the OPTIONAL keeps those with no value (count 0)
        add(f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {p} ?v {condition} }} }} GROUP BY ?this "
            f"HAVING (COUNT(DISTINCT ?v) {op} {n})", default)

    keys = shapes.keys(prop)
    n = shapes.one(prop, "minCount")
    if n is not None and int(n.value) > 0:
        count("", "<", int(n.value), f"Less than {n.value} values on {where}")
    n = shapes.one(prop, "maxCount")
    if n is not None:
        count("", ">", int(n.value), f"More than {n.value} values on {where}")
    fresh = _Fresh()
    for k in sorted(keys & (_LOGICAL_AND_VALUE - {"hasValue"})):
        test = _node_test(shapes, prop, k, "?v", fresh)
        add(f"SELECT ?this ?v WHERE {{ {focus} ?this {p} ?v FILTER (!({test})) }}",
            _default_message(shapes, prop, k), with_value=True)
    for v in shapes.values(prop, "hasValue"):
        add(f"SELECT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ ?this {p} {v} }} }}",
            f"Missing expected value {v.value if isinstance(v, (ox.NamedNode, ox.Literal)) else v}")
    u = shapes.one(prop, "uniqueLang")
    if u is not None and u.value == "true":
        add(f"SELECT DISTINCT ?this WHERE {{ {focus} ?this {p} ?a , ?b "
            "FILTER (isLiteral(?a) && lang(?a) != '' && lang(?a) = lang(?b) && ?a != ?b) }",
            "More than one value shares a language tag")
    q = shapes.one(prop, "qualifiedValueShape")
    if q is not None:
        cond = f"FILTER ({_test(shapes, q, '?v', fresh)})"
        n = shapes.one(prop, "qualifiedMinCount")
        if n is not None and int(n.value) > 0:
            count(cond, "<", int(n.value),
                  f"Less than {n.value} values conform to the qualified value shape on {where}")
        n = shapes.one(prop, "qualifiedMaxCount")
        if n is not None:
            count(cond, ">", int(n.value),
                  f"More than {n.value} values conform to the qualified value shape on {where}")
    return out


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

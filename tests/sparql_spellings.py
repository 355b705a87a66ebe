"""SPARQL spellings generated from the grammar around SERVICE, for the read-only guard's tests.

Each spelling is a query that asks Oxigraph to call a SERVICE at ``url``, built by walking
the SPARQL 1.1 grammar's productions: a query form, a prologue, group graph patterns nested
up to three deep (OPTIONAL, UNION, MINUS, GRAPH, EXISTS, sub-SELECT), and before the SERVICE
a pattern that ends in an expression, a literal, an IRI, a blank node or a comment — the
places where a tokeniser can be led to read ``<`` as an IRI, a quote as a string or ``#`` as a
comment. The keyword itself is spelled in every case and with code point escapes. The same
seed always gives the same list."""
from __future__ import annotations

import random

KEYWORDS = ["SERVICE", "service", "Service", "sErViCe"] * 12 + ["SERV\\u0049CE", "\\u0053ERVICE", "servic\\u0065"]
SILENT = ["", " SILENT", " silent", " SiLeNt"]
GAPS = [" ", "", "\n", "\t", "\r\n", " #>\n", "#'\n", '#"\n', "#<\n", "# }\n", "#\r", " # SERVICE <x> {}\n"]
OPERANDS = ["1", "(1)", "?o", "2.5", "1e3", "'a'", '"a"', "'>'", '">"', "'<'", "\"'\"", "'\"'", "true",
            "<http://example.org/a>", "qd:Pillar", "STRLEN('x')", "?o", "(?o)", "-1", "'x'@en",
            "'1'^^xsd:integer", '"""a>b"""', "'''a<b'''", "'\\''", '"\\""', "'a\\u0027b'"]
ENDINGS = [  # what comes just before the SERVICE: every kind of term and expression closing
    "?s a qd:Pillar .", "?s a qd:Pillar", "?s ?p ?o .", "?s ?p 1", "?s ?p 1.", "?s ?p 'x'", '?s ?p "x"@zh',
    "?s ?p []", "?s ?p _:b .", "?s ?p <http://example.org/o>", "?s ?p qd:X", "BIND(1 AS ?z)",
    "VALUES ?z { 1 'x' <http://example.org/v> }", "?s ?p ?o FILTER(?o)", "{}", "OPTIONAL {}",
    "?s ?p (1 2)", "?s ?p ?o ; ?q ?r", "?s ?p ?o , ?r", "?s ^qd:p/qd:q* ?o",
]
WRAPPERS = ["{0}", "{{ {0} }}", "OPTIONAL {{ {0} }}", "{{ ?s ?p ?o }} UNION {{ {0} }}", "MINUS {{ {0} }}",
            "GRAPH ?g {{ {0} }}", "FILTER EXISTS {{ {0} }}", "FILTER NOT EXISTS {{ {0} }}",
            "{{ SELECT * WHERE {{ {0} }} }}", "{{ SELECT ?a WHERE {{ {0} }} LIMIT 1 }}"]
FORMS = ["SELECT * WHERE {{ {0} }}", "SELECT*WHERE{{{0}}}", "SELECT ?a WHERE {{ {0} }} ORDER BY ?a",
         "SELECT DISTINCT * {{ {0} }} LIMIT 5", "ASK {{ {0} }}", "ASK WHERE {{ {0} }}",
         "CONSTRUCT {{ ?a ?b ?c }} WHERE {{ {0} }}", "DESCRIBE ?a WHERE {{ {0} }}",
         "SELECT (COUNT(*) AS ?n) WHERE {{ {0} }} GROUP BY ?a HAVING (COUNT(*) < 9)"]


def _expression(rng: random.Random, depth: int = 0) -> str:
    """An expression as the grammar builds one ([110]–[121]): || of && of one relation of sums
    of products of primaries, a primary being a term, a call or a bracketed expression."""
    def gap() -> str:
        return rng.choice(["", " ", " ", "\n", " #>\n"])

    def primary() -> str:
        if depth < 1 and rng.random() < 0.15:
            return "(" + _expression(rng, depth + 1) + ")"
        return rng.choice(OPERANDS)

    def chain(item, ops, most: int) -> str:
        out = item()
        for _ in range(rng.randint(0, most)):
            out += gap() + rng.choice(ops) + gap() + item()
        return out

    def relation() -> str:
        left = chain(lambda: chain(primary, ["*", "/"], 1), ["+", "-"], 1)
        if rng.random() < 0.7:
            left += gap() + rng.choice(["<", "<=", ">", ">=", "=", "!="]) + gap() + chain(primary, ["*", "/"], 1)
        return left

    return chain(lambda: chain(relation, ["&&"], 1 - depth), ["||"], 1 - depth)


def _before(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.45:  # an expression, the old guard's blind spot
        kind = rng.choice(["FILTER({0})", "FILTER({0}).", "FILTER ({0})", "BIND({0} AS ?z)", "FILTER(({0}))"])
        return rng.choice(ENDINGS[:4]) + " " + kind.format(_expression(rng))
    return rng.choice(ENDINGS)


def _target(rng: random.Random, url: str) -> tuple[str, str, str]:
    """(prologue, the service term, what must follow the pattern): an IRI, a prefixed name or
    a variable bound elsewhere."""
    roll = rng.random()
    base = url.rsplit("/", 1)[0] + "/"
    if roll < 0.6:
        return "", f"<{url}>", ""
    if roll < 0.8:
        return f"PREFIX ex: <{base}>\n", "ex:" + url.rsplit("/", 1)[1], ""
    return "", "?u", f"VALUES ?u {{ <{url}> }} "


def spellings(url: str, n: int = 10_000, seed: int = 20221) -> list[str]:
    rng = random.Random(seed)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        prologue, term, tail = _target(rng, url)
        inner = rng.choice(["{ ?a ?b ?c }", "{?a ?b ?c}", "{ ?a ?b ?c . }", "{ ?a ?b ?c FILTER(?a != <http://example.org/x>) }"])
        service = (rng.choice(KEYWORDS) + rng.choice(SILENT) + rng.choice(GAPS or [" "]) + term
                   + rng.choice([" ", "", "\n"]) + inner)
        before = _before(rng)
        gap = rng.choice(GAPS)
        if not gap and (before[-1].isalnum() or before[-1] in "_:"):
            gap = " "  # a name would run on into the keyword: that is another query, not a spelling
        pattern = tail + before + gap + service  # a variable's VALUES comes first: bound when called
        for _ in range(rng.randint(0, 3)):
            pattern = rng.choice(WRAPPERS).format(pattern)
        query = prologue + rng.choice(FORMS).format(pattern)
        if query not in seen:
            seen.add(query)
            out.append(query)
    return out

"""Plain questions analysts type, answered by patterns mapped to shipped named queries.

"哪些措施影响人才总量", "卡奥斯属于哪条产业链", "数字经济核心产业增加值占比的目标是多少" (and
their English forms) each match one pattern; the name in the question is resolved like any
name (zh, en, alias, pinyin, near miss) and bound as an IRI to the pattern's named query, never
spliced into SPARQL. The answer carries the query's text and bindings so a page or the CLI can
show the SPARQL that ran. Anything that matches no pattern returns None (then it is a search).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from qdgraph.errors import AmbiguousNameError, NotFoundError


class Pattern(NamedTuple):
    kind: str             # "measures", "chain", "target"
    query: str            # the named query that answers it (qdgraph/engine/queries/NAME.rq)
    param: str            # that query's parameter the resolved name is bound to
    types: tuple          # the kinds of entity the name may be
    regexes: tuple        # each with a group "name"


_END = r"\s*[？?。.!！]?\s*$"
# One registry of the questions understood: the site's examples and the CLI read it.
PATTERNS: tuple[Pattern, ...] = (
    Pattern("measures", "measures-for-indicator", "indicator", ("qd:Indicator",), (
        re.compile(r"^\s*(?:哪些|什么|有哪些)措施(?:会|能)?影响(?:到)?(?P<name>.+?)" + _END),
        re.compile(r"^\s*影响(?P<name>.+?)的(?:有)?(?:哪些|什么)?措施(?:有哪些)?" + _END),
        re.compile(r"^\s*(?P<name>.+?)(?:受)?(?:哪些|什么)措施影响" + _END),
        re.compile(r"^\s*(?:which|what) measures (?:affect|influence|drive) (?:the )?(?P<name>.+?)" + _END, re.I),
    )),
    Pattern("chain", "entity-chains", "entity", (), (
        re.compile(r"^\s*(?P<name>.+?)(?:属于|在|是)(?:哪|哪一|什么)(?:条|个|些)?产业链(?:上|的)?" + _END),
        re.compile(r"^\s*which (?:industry |industrial )?chains? (?:does|is|are) (?P<name>.+?) (?:belong to|in|part of)" + _END, re.I),
        re.compile(r"^\s*which (?:industry |industrial )?chains? (?:does|do) (?P<name>.+?) belong to" + _END, re.I),
    )),
    Pattern("target", "indicator-target", "indicator", ("qd:Indicator",), (
        re.compile(r"^\s*(?P<name>.+?)的(?:目标|目标值)(?:是)?(?:多少|什么)" + _END),
        re.compile(r"^\s*(?P<name>.+?)(?:要|要求)?达到多少" + _END),
        re.compile(r"^\s*what is the target (?:of|for) (?:the )?(?P<name>.+?)" + _END, re.I),
    )),
)

EXAMPLES = ("哪些措施影响人才总量", "卡奥斯属于哪条产业链", "数字经济核心产业增加值占比的目标是多少")


@dataclass
class Answer:
    kind: str                  # the pattern's kind
    question: str              # as typed
    name: str                  # the name found in it
    query: str                 # the named query that ran (or would have)
    sparql: str                # its text
    iri: str | None = None     # what the name resolved to (None: it did not)
    zh: str = ""
    en: str = ""
    params: dict = field(default_factory=dict)      # variable → IRI bound
    items: list = field(default_factory=list)       # [{"iri", "zh", "en", ...}] the answer's rows
    candidates: list = field(default_factory=list)  # when the name did not resolve: [{"iri", "zh", "en"}]
    related: list = field(default_factory=list)     # chain questions with no stated chain: what the graph does say


def match(text: str) -> tuple[Pattern, str] | None:
    """(pattern, name) for a question, or None."""
    for p in PATTERNS:
        for rx in p.regexes:
            m = rx.match(text or "")
            if m and m.group("name").strip():
                return p, m.group("name").strip().strip("“”\"'「」")
    return None


def answer(kg, text: str, measures=None) -> Answer | None:
    """The answer to ``text`` if it is a question we understand, else None. ``measures``: the
    function that lists an indicator's measures (default ``measures_for``; a server passes one
    that remembers answers per store generation)."""
    import pyoxigraph as ox

    from qdgraph.engine.queries import get_query

    found = match(text)
    if found is None:
        return None
    p, name = found
    ans = Answer(p.kind, text, name, p.query, get_query(p.query).text)
    names = kg.names()
    try:
        ans.iri = kg.resolve(name, types=list(p.types) or None, what=p.param)
    except (NotFoundError, AmbiguousNameError):
        ans.candidates = [{"iri": e["iri"], "zh": names.label(e["iri"], "zh"), "en": names.label(e["iri"], "en")}
                          for _, e in names.search(name, list(p.types) or None, limit=5)]
        return ans
    ans.zh, ans.en = names.label(ans.iri, "zh"), names.label(ans.iri, "en")
    ans.params = {p.param: ans.iri}
    node = {p.param: ox.NamedNode(ans.iri)}
    if p.kind == "measures":
        from qdgraph.domain.measures import measures_for

        im = (measures or measures_for)(kg, ans.iri)
        groups = getattr(im, "groups", None) or [{"zh": "", "en": "", "links": im.links}]
        for g in groups:  # as measures_for groups them (strongest first; those working against last)
            for m in g["links"]:
                ans.items.append({"iri": m.measure, "zh": m.zh, "en": m.en,
                                  "basis_zh": g.get("zh") or m.basis_zh, "basis_en": g.get("en") or m.basis_en,
                                  "quote": m.evidence[0] if m.evidence else None})
    elif p.kind == "chain":
        for r in kg.named(p.query, node).rows:
            c = r["chain"].value
            ans.items.append({"iri": c, "zh": names.label(c, "zh"), "en": names.label(c, "en")})
        if not ans.items:  # say what the graph does say about it, so "none stated" is not a dead end
            for r in kg.named("entity-out", {"entity": ox.NamedNode(ans.iri)}).rows:
                o = r["o"]
                if isinstance(o, ox.NamedNode) and o.value.startswith(_DATA) and r["p"].value not in _NOT_RELATED:
                    ans.related.append({"relation": r["p"].value, "iri": o.value, "inverse": False,
                                        "zh": names.label(o.value, "zh"), "en": names.label(o.value, "en")})
            for r in kg.named("entity-in", {"entity": ox.NamedNode(ans.iri)}).rows:
                s = r["s"]
                if isinstance(s, ox.NamedNode) and s.value.startswith(_DATA) and r["p"].value not in _NOT_RELATED:
                    ans.related.append({"relation": r["p"].value, "iri": s.value, "inverse": True,
                                        "zh": names.label(s.value, "zh"), "en": names.label(s.value, "en")})
    elif p.kind == "target":
        from qdgraph.domain.wording import target_text

        for r in kg.named(p.query, node).rows:
            v = {k: t.value for k, t in r.items() if t is not None}
            if not v.get("target"):
                continue
            t = target_text(v.get("stated", ""), v.get("cmp", ""), v.get("cmp_en", ""), v.get("qual", ""), v.get("qual_en", ""))
            ans.items.append({"iri": v["target"], "zh": t.zh, "en": t.en, "year": v.get("year", "")})
    return ans


_DATA = "https://w3id.org/qdgraph/id/"
# provenance and bookkeeping, not something the entity is related to
_NOT_RELATED = frozenset({"https://w3id.org/qdgraph/ontology#evidence", "http://www.w3.org/ns/prov#wasDerivedFrom",
                          "http://www.w3.org/2004/02/skos/core#inScheme", "http://www.w3.org/2004/02/skos/core#topConceptOf"})

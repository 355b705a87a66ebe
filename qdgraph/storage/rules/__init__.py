"""Inference rules, one SPARQL CONSTRUCT per ``.rq`` file in this folder, and the materialiser
that runs them whenever a graph is built (the bundled cache, ``qdgraph load``, ``--data``,
``validate``).

A rule file starts with a header::

    # iri: https://w3id.org/qdgraph/id/rule-roadmap
    # name@zh: 同一路线图
    # name@en: same roadmap
    # description@zh: …
    # description@en: …
    # basis: https://w3id.org/qdgraph/ontology#InferredFromRoadmap

Its CONSTRUCT writes the derived triple and a ``qd:Claim`` for it with ``qd:derivedBy`` the
rule, ``qd:premise`` the claims of the triples it matched and ``prov:wasDerivedFrom`` their
quotes. Claim IRIs are hashes of (rule, subject, object), so building twice gives the same graph.
A rule may read links other rules derive (it then runs after them), not links of its own basis.
"""
from __future__ import annotations

import re
from typing import NamedTuple
from functools import lru_cache
from pathlib import Path

from qdgraph.namespaces import PREFIXES, QD

HERE = Path(__file__).resolve().parent
_HEADER = re.compile(r"^#\s*(iri|name@zh|name@en|description@zh|description@en|basis):\s*(.*)$")


class Rule(NamedTuple):  # read from its file, never changed
    name: str                     # the file's stem, e.g. "roadmap"
    iri: str
    label: dict                   # {"zh": …, "en": …}
    description: dict
    basis: str
    text: str
    path: Path
    dependent: bool = False   # reads qd:affects claims: runs after the others

    def triples(self) -> list:
        """The rule's own description, as it goes into the graph."""
        import pyoxigraph as ox

        rule, lit = ox.NamedNode(self.iri), ox.Literal
        out = [ox.Quad(rule, ox.NamedNode(PREFIXES["rdf"] + "type"), ox.NamedNode(QD + "Rule")),
               ox.Quad(rule, ox.NamedNode(QD + "ruleBasis"), ox.NamedNode(self.basis)),
               ox.Quad(rule, ox.NamedNode(QD + "ruleFile"), lit(f"qdgraph/storage/rules/{self.path.name}"))]
        for lang in ("zh", "en"):
            out.append(ox.Quad(rule, ox.NamedNode(PREFIXES["rdfs"] + "label"), lit(self.label[lang], language=lang)))
            out.append(ox.Quad(rule, ox.NamedNode(PREFIXES["dcterms"] + "description"),
                               lit(self.description[lang], language=lang)))
        return out


def parse_rule(path: Path) -> Rule:
    text = path.read_text(encoding="utf-8")
    meta: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        m = _HEADER.match(line)
        if m:
            meta[m.group(1)] = m.group(2).strip()
    missing = [k for k in ("iri", "name@zh", "name@en", "description@zh", "description@en", "basis") if k not in meta]
    if missing:
        raise ValueError(f"{path}: rule header lacks {', '.join(missing)}")
    where = text.split("WHERE", 1)[-1]
    own_basis = "qd:" + meta["basis"].rsplit("#", 1)[-1]
    if own_basis in where:
        # one pass per build keeps it cheap and deterministic; a rule fed by its own output would need a fixpoint
        raise ValueError(f"{path}: a rule may not read links of its own basis ({own_basis})")
    return Rule(path.stem, meta["iri"], {"zh": meta["name@zh"], "en": meta["name@en"]},
                {"zh": meta["description@zh"], "en": meta["description@en"]}, meta["basis"], text, path,
                dependent=bool(re.search(r"rdf:predicate\s+qd:affects\s*;", where)))


@lru_cache(maxsize=None)  # the files ship with the package: read them once per process
def all_rules() -> tuple[Rule, ...]:
    """Every rule, those that read derived links last."""
    rules = [parse_rule(p) for p in sorted(HERE.glob("*.rq"))]
    return tuple(sorted(rules, key=lambda r: (r.dependent, r.name)))


def rule_files() -> list[Path]:
    return sorted(HERE.glob("*.rq"))


def materialise(store, rules=None, *, added: list | None = None, removed: list | None = None) -> dict[str, int]:
    """Run ``rules`` (default: all) over ``store`` once each, those that read derived links last,
    and add their results and descriptions to the store. Returns the links each rule derives.
    With ``added`` (an in-memory store: ``qdgraph.storage.shadow``), every triple added is also
    appended to it as N-Triples, for another store holding the same triples (after
    ``apply_verdicts``) to load; with ``removed``, every quad the verdicts drop is appended to it."""
    import pyoxigraph as ox

    rules = all_rules() if rules is None else tuple(rules)
    apply_verdicts(store, removed)
    for rule in rules:
        _extend(store, rule.triples(), added, ox)
    for rule in rules:
        _run(store, rule, ox, added)
    _weakest(store, ox, added)
    return link_counts(store, rules)


def _extend(store, quads: list, added: list | None, ox) -> None:
    store.extend(quads)
    if added is not None:
        added.append(ox.serialize(quads, format=ox.RdfFormat.N_TRIPLES))


# A reading: a claim the source does not state and no rule derives, made by judgement from
# context (qd:InferredFromContext), with a qd:rationale. An analyst may overrule it (verdicts).
READING_BASIS = QD + "InferredFromContext"

VERDICTS = """SELECT ?v ?c ?d WHERE { ?v a qd:Verdict ; qd:onClaim ?c ; qd:decision ?d }"""


def apply_verdicts(store, removed: list | None = None) -> int:
    """Drop each reading a verdict rejects (``data/verdicts.ttl``), before any rule runs, so
    every link resting on it goes too: its triple leaves the graph and its claim becomes a
    qd:RejectedReading (kept, so the verdict still points at something). Returns how many;
    appends each quad dropped to ``removed``."""
    import pyoxigraph as ox

    rdf = PREFIXES["rdf"]
    n = 0
    drop = store.remove if removed is None else lambda q: (store.remove(q), removed.append(q))
    for v, c, d in [tuple(s) for s in store.query(VERDICTS, prefixes=PREFIXES)]:
        if d.value != QD + "Rejected":
            continue
        basis = ox.NamedNode(QD + "basis")
        if ox.Quad(c, basis, ox.NamedNode(READING_BASIS)) not in store:
            continue  # not a reading (or gone): verdict_problems reports it
        spo = [next(iter(store.quads_for_pattern(c, ox.NamedNode(rdf + k), None)), None) for k in ("subject", "predicate", "object")]
        if None in spo:
            continue
        s, pr, o = (q.object for q in spo)
        for q in list(store.quads_for_pattern(s, pr, o)):
            drop(q)
        for q in list(store.quads_for_pattern(c, ox.NamedNode(rdf + "type"), ox.NamedNode(QD + "Claim"))):
            drop(q)
        drop(ox.Quad(c, basis, ox.NamedNode(READING_BASIS)))
        store.extend([ox.Quad(c, ox.NamedNode(rdf + "type"), ox.NamedNode(QD + "RejectedReading")),
                      ox.Quad(c, ox.NamedNode(QD + "rejectedBy"), v)])
        n += 1
    return n


# the ontology's qd:strength of each basis, for a graph built without the ontology
_STRENGTH = {QD + "Stated": 1, QD + "InferredFromSubject": 2, QD + "InferredFromHierarchy": 3,
             QD + "InferredFromRoadmap": 4, QD + "InferredFromContext": 5}
_PREMISES = """SELECT ?c ?p WHERE { ?c qd:premise ?p }"""
# Only the claims a derivation touches, as a hash join (one pass over qd:basis, not a lookup per
# claim): every claim's basis, fetched whole, took 2 s at a million triples.
_CLAIM_BASES = """SELECT ?c ?b WHERE {
  { SELECT DISTINCT ?c WHERE { { ?c qd:premise ?x } UNION { ?x qd:premise ?c } } }
  ?c qd:basis ?b }"""
_STRENGTHS = """SELECT ?b ?s WHERE { ?b qd:strength ?s }"""


def _weakest(store, ox, added: list | None = None) -> None:
    """Give each derived claim ``qd:weakestBasis`` (a link is as strong as its weakest premise,
    at any depth) and ``qd:restsOn`` each reading under it. Done here in Python because SPARQL
    has no recursion over premises of premises (11,000 links at a million triples: 0.3 s)."""
    declared = {b: s for b, s in store.query(_STRENGTHS, prefixes=PREFIXES)}
    basis, strength = {}, {}
    for c, b in store.query(_CLAIM_BASES, prefixes=PREFIXES):
        basis[c] = b
        s = declared.get(b)
        strength[b] = int(s.value) if s is not None else _STRENGTH.get(b.value, 99)
    premises: dict = {}
    for c, p in store.query(_PREMISES, prefixes=PREFIXES):
        premises.setdefault(c, []).append(p)
    memo: dict = {}

    def walk(c, seen=()):
        if c in memo:
            return memo[c]
        b = basis.get(c)
        weakest, readings = b, set()
        if b is not None and b.value == READING_BASIS:
            readings.add(c)
        for p in premises.get(c, ()):
            if p in seen:
                continue
            pb, pr = walk(p, seen + (c,))
            readings |= pr
            if pb is not None and (weakest is None or strength.get(pb, 99) > strength.get(weakest, 99)):
                weakest = pb
        memo[c] = (weakest, readings)
        return memo[c]

    wb, ro = ox.NamedNode(QD + "weakestBasis"), ox.NamedNode(QD + "restsOn")
    out = []
    for c in premises:
        weakest, readings = walk(c)
        if weakest is not None:
            out.append(ox.Quad(c, wb, weakest))
        out += [ox.Quad(c, ro, r) for r in sorted(readings, key=lambda r: r.value)]
    _extend(store, out, added, ox)


def verdict_problems(kg) -> list[tuple[str, str]]:
    """Verdicts that no longer match a reading: (verdict IRI, why). For ``qdgraph validate``."""
    rows = kg.query("""SELECT ?v ?c ?d ?basis ?rejected WHERE { ?v a qd:Verdict .
        OPTIONAL { ?v qd:onClaim ?c . OPTIONAL { ?c qd:basis ?basis } OPTIONAL { ?c qd:rejectedBy ?rejected } }
        OPTIONAL { ?v qd:decision ?d } } ORDER BY ?v""").rows
    out = []
    for r in rows:
        v = r["v"].value
        if r.get("c") is None:
            out.append((v, "a verdict names no reading (qd:onClaim)"))
        elif r.get("d") is None or r["d"].value not in (QD + "Accepted", QD + "Rejected"):
            out.append((v, "a verdict's qd:decision is neither qd:Accepted nor qd:Rejected"))
        elif r.get("rejected") is not None:
            continue
        elif r.get("basis") is None:
            out.append((v, f"the verdict's claim {r['c'].value} is not in the graph any more"))
        elif r["basis"].value != READING_BASIS:
            out.append((v, f"the verdict's claim {r['c'].value} is no longer a reading (its basis is {r['basis'].value})"))
    return out


_CONSTRUCT = re.compile(r"^CONSTRUCT\b", re.MULTILINE)


def _run(store, rule: Rule, ox, added: list | None = None) -> None:
    """Add what ``rule`` derives to ``store``. Its CONSTRUCT is run as the INSERT of the same
    template and pattern (the same triples: both leave out a triple with an unbound variable),
    so the derived triples stay inside Oxigraph: taking them out as Python objects and back
    took 2.9 s of the roadmap rule's 3.7 s at a million triples (INSERT: 1.7 s). Not Oxigraph's
    bulk loader either: the store reads its fresh files slower, and the next rules read them.
    With ``added`` (in memory: cheap either way) the CONSTRUCT's own N-Triples are kept and loaded."""
    if added is not None:
        data = store.query(rule.text, prefixes=PREFIXES).serialize(format=ox.RdfFormat.N_TRIPLES)
        store.load(data, format=ox.RdfFormat.N_TRIPLES)
        added.append(data)
        return
    insert, n = _CONSTRUCT.subn("INSERT", rule.text, count=1)
    if n:
        try:
            store.update(insert, prefixes=PREFIXES)
            return
        except SyntaxError:  # CONSTRUCT-only syntax (LIMIT, ORDER BY): nothing was written
            pass
    store.extend([ox.Quad(t.subject, t.predicate, t.object) for t in store.query(rule.text, prefixes=PREFIXES)])


_COUNTS = """SELECT ?rule (COUNT(?c) AS ?n) WHERE { ?c qd:derivedBy ?rule } GROUP BY ?rule"""
# what ``materialise`` reads besides the rules: the rules' in-memory copy keeps what these name
MATERIALISE_QUERIES = (VERDICTS, _STRENGTHS, _CLAIM_BASES, _PREMISES, _COUNTS)


def link_counts(store_or_kg, rules=None) -> dict[str, int]:
    """How many links each rule has derived in a store (or a KnowledgeGraph)."""
    rules = all_rules() if rules is None else rules
    counts = {r.iri: 0 for r in rules}
    if hasattr(store_or_kg, "named"):
        rows = store_or_kg.query(_COUNTS).rows
        pairs = [(r["rule"].value, int(r["n"].value)) for r in rows]
    else:
        pairs = [(s[0].value, int(s[1].value)) for s in store_or_kg.query(_COUNTS, prefixes=PREFIXES)]
    for iri, n in pairs:
        if iri in counts:
            counts[iri] = n
    return counts


def describe_rules(kg) -> list[dict]:
    """Every rule with its names, description, basis, file and the links it derives in ``kg``."""
    counts = link_counts(kg)
    return [{"rule": r.iri, "name": r.name, "zh": r.label["zh"], "en": r.label["en"],
             "description_zh": r.description["zh"], "description_en": r.description["en"],
             "basis": r.basis, "file": f"qdgraph/storage/rules/{r.path.name}", "links": counts.get(r.iri, 0)}
            for r in sorted(all_rules(), key=lambda r: r.name)]

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


def materialise(store, rules=None) -> dict[str, int]:
    """Run ``rules`` (default: all) over ``store`` once each, those that read derived links last,
    and add their results and descriptions to the store. Returns the links each rule derives."""
    import pyoxigraph as ox

    rules = all_rules() if rules is None else tuple(rules)
    for rule in rules:
        store.extend(rule.triples())
    for rule in rules:
        _run(store, rule, ox)
    return link_counts(store, rules)


def _run(store, rule: Rule, ox) -> None:
    triples = list(store.query(rule.text, prefixes=PREFIXES))
    store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)


_COUNTS = """SELECT ?rule (COUNT(?c) AS ?n) WHERE { ?c qd:derivedBy ?rule } GROUP BY ?rule"""


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

"""Checking quotes against the source texts they cite, and derived links against their rules.

A quote is a Web Annotation specific resource: its TextQuoteSelector's ``oa:exact`` must be
exactly the characters of the source text between its TextPositionSelector's ``oa:start`` and
``oa:end`` (Unicode code points, line breaks included), its ``oa:prefix``/``oa:suffix`` must be
the characters just before and after, and exact-with-context must occur once in the text, so a
reader who has only the selector still finds the one place meant.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from qdgraph.namespaces import PREFIXES, shorten

QUOTES_QUERY = """
SELECT ?quote ?exact ?prefix ?suffix ?start ?end ?doc ?file ?sha WHERE {
  ?quote a qd:Quote ; oa:hasSelector ?tq .
  ?tq a oa:TextQuoteSelector ; oa:exact ?exact .
  OPTIONAL { ?tq oa:prefix ?prefix }
  OPTIONAL { ?tq oa:suffix ?suffix }
  OPTIONAL { ?quote oa:hasSelector ?tp . ?tp a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end }
  OPTIONAL { ?quote oa:hasSource ?doc . OPTIONAL { ?doc qd:textFile ?file } OPTIONAL { ?doc qd:sha256 ?sha } }
}"""

DERIVED_QUERY = """
SELECT ?claim ?problem ?other WHERE {
  {
    ?claim qd:derivedBy ?other .
    FILTER NOT EXISTS { ?other a qd:Rule }
    BIND ("rule" AS ?problem)
  } UNION {
    ?claim qd:derivedBy ?rule .
    FILTER NOT EXISTS { ?claim qd:premise ?any }
    BIND ("no-premise" AS ?problem)
  } UNION {
    ?claim qd:derivedBy ?rule ; qd:premise ?other .
    FILTER NOT EXISTS { ?other a qd:Claim ; prov:wasDerivedFrom ?q0 }
    BIND ("premise-unsourced" AS ?problem)
  } UNION {
    ?claim qd:derivedBy ?rule ; qd:premise ?other .
    ?other rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
    FILTER NOT EXISTS { ?s ?p ?o }
    BIND ("premise-not-in-graph" AS ?problem)
  } UNION {
    ?claim qd:derivedBy ?rule ; qd:premise ?p1 .
    ?p1 prov:wasDerivedFrom ?other .
    FILTER NOT EXISTS { ?claim prov:wasDerivedFrom ?other }
    BIND ("quote-missing" AS ?problem)
  }
}"""

_DERIVED_MESSAGES = {
    "rule": "derived by {other}, which is not a declared qd:Rule",
    "no-premise": "derived link records no premise (qd:premise)",
    "premise-unsourced": "premise {other} is not a qd:Claim citing a quote",
    "premise-not-in-graph": "premise {other} records a triple that is not in the graph",
    "quote-missing": "derived link does not cite its premise's quote {other}",
}


@dataclass
class QuoteProblem:
    focus: str
    path: str
    message: str


def check_quotes(kg, search_dirs: list[Path]) -> list[QuoteProblem]:
    """Every quote that is not its source's text at its offsets, or is ambiguous, or whose
    source text is missing or changed."""
    raw: dict[str, bytes | None] = {}     # each source file read once
    texts: dict[str, str] = {}
    problems: list[QuoteProblem] = []
    checked_docs: set[str] = set()
    oa = PREFIXES["oa"]
    for r in kg.query(QUOTES_QUERY).rows:
        q = r["quote"].value
        doc, rel = r.get("doc"), r.get("file")
        if doc is None or rel is None:
            continue  # SHACL reports a missing oa:hasSource; a document without text is not checked
        key = rel.value
        if key not in raw and not _confined(key):
            if doc.value not in checked_docs:
                problems.append(QuoteProblem(doc.value, PREFIXES["qd"] + "textFile",
                                             f"source text path {key!r} must be relative and stay inside the data "
                                             "folder (no '..', no absolute path)"))
            checked_docs.add(doc.value)
            continue
        if key not in raw:
            found = _find(key, search_dirs)
            raw[key] = found.read_bytes() if found else None
            if found:
                texts[key] = raw[key].decode("utf-8", errors="replace")  # bad bytes just fail to match
        if raw[key] is None:
            if doc.value not in checked_docs:
                problems.append(QuoteProblem(doc.value, PREFIXES["qd"] + "textFile",
                                             f"source text {rel.value!r} not found (looked in {', '.join(map(str, search_dirs))})"))
            checked_docs.add(doc.value)
            continue
        sha = r.get("sha")
        if sha is not None and doc.value not in checked_docs:
            if hashlib.sha256(raw[key]).hexdigest() != sha.value:
                problems.append(QuoteProblem(doc.value, PREFIXES["qd"] + "sha256",
                                             f"source text {rel.value!r} has changed since it was recorded (sha256 differs)"))
        checked_docs.add(doc.value)
        problems += _check_one(q, r, texts[key], rel.value, oa)
    return problems


def _check_one(q: str, r: dict, text: str, rel: str, oa: str) -> list[QuoteProblem]:
    exact = r["exact"].value
    pre = r["prefix"].value if r.get("prefix") is not None else ""
    suf = r["suffix"].value if r.get("suffix") is not None else ""
    short = exact[:40].replace("\n", "⏎")
    if r.get("start") is not None:
        start, end = int(r["start"].value), int(r["end"].value)
        if text[start:end] != exact:
            return [QuoteProblem(q, oa + "exact",
                                 f"quote is not the text of {rel} at {start}–{end}: “{short}”")]
        if text[max(0, start - len(pre)):start] != pre or text[end:end + len(suf)] != suf:
            return [QuoteProblem(q, oa + "prefix", f"oa:prefix/oa:suffix are not the text around {start}–{end} in {rel}")]
    n = _count(text, pre + exact + suf)
    if n == 0:
        return [QuoteProblem(q, oa + "exact", f"quote is not in {rel} character for character: “{short}”")]
    if n > 1:
        return [QuoteProblem(q, oa + "exact",
                             f"quote occurs {n} times in {rel}: add oa:prefix/oa:suffix to make it unique: “{short}”")]
    return []


def _count(text: str, s: str) -> int:
    n, i = 0, text.find(s)
    while i != -1:
        n += 1
        i = text.find(s, i + 1)
    return n


def check_derived(kg) -> list[QuoteProblem]:
    """Every derived link (a claim with qd:derivedBy) whose rule, premises or quotes are missing."""
    out = []
    for r in kg.query(DERIVED_QUERY).rows:
        other = r.get("other")
        msg = _DERIVED_MESSAGES[r["problem"].value].format(other=shorten(other.value) if other is not None else "")
        out.append(QuoteProblem(r["claim"].value, PREFIXES["qd"] + "derivedBy", msg))
    return sorted(out, key=lambda p: (p.focus, p.message))


def _confined(rel: str) -> bool:
    """A qd:textFile names a file under the data folder: never an absolute path or a '..'
    (a data file must not make ``validate`` read /etc/passwd)."""
    p = Path(rel)
    return bool(rel) and "\0" not in rel and not p.is_absolute() and not p.drive and ".." not in p.parts


def _find(rel: str, dirs: list[Path]) -> Path | None:
    for d in dirs:
        root = d.resolve()
        p = (root / rel).resolve()  # a symlink that leads out of the folder does not count
        if p.is_relative_to(root) and p.is_file():
            return p
    return None

"""Checking that every quote is verbatim in the source text it cites.

Source texts are copied from web pages, where a sentence can be split by a blank line (a page
break in the original); a quote is written with the break removed. So both sides are compared
with every whitespace run that contains a line break deleted; all other characters, full-width
punctuation included, must match exactly.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .namespaces import PREFIXES

_BREAK = re.compile(r"[ \t\u3000]*\n\s*")

QUOTES_QUERY = """
SELECT ?quote ?exact ?doc ?file ?sha WHERE {
  ?quote a qd:Quote ; oa:exact ?exact .
  OPTIONAL { ?quote dcterms:source ?doc . OPTIONAL { ?doc qd:textFile ?file } OPTIONAL { ?doc qd:sha256 ?sha } }
}"""


def normalize_text(text: str) -> str:
    return _BREAK.sub("", text.replace("\r\n", "\n")).strip()


@dataclass
class QuoteProblem:
    focus: str
    path: str
    message: str


def check_quotes(kg, search_dirs: list[Path]) -> list[QuoteProblem]:
    """Every qd:Quote whose oa:exact is not in its source text, or whose source is missing."""
    raw: dict[str, bytes | None] = {}     # each source file read once
    texts: dict[str, str] = {}
    problems: list[QuoteProblem] = []
    checked_docs: set[str] = set()
    for r in kg.query(QUOTES_QUERY).rows:
        q = r["quote"].value
        doc = r.get("doc")
        if doc is None:
            continue  # SHACL reports the missing dcterms:source
        rel = r.get("file")
        if rel is None:
            continue  # SHACL reports the missing qd:textFile
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
                texts[key] = normalize_text(raw[key].decode("utf-8", errors="replace"))  # bad bytes just fail to match
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
        exact = normalize_text(r["exact"].value)
        if exact not in texts[key]:
            problems.append(QuoteProblem(q, PREFIXES["oa"] + "exact",
                                         f"quote is not verbatim in {rel.value}: “{r['exact'].value[:60]}”"))
    return problems


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

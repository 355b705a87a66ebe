"""Write a quote of a source text in the graph's form: a qd:Quote with a TextQuoteSelector (the
exact characters, line breaks included, with a prefix/suffix where the text alone is not
unique) and a TextPositionSelector (its offsets). For citing sentences of a new document.

    python tools/quote_turtle.py data/sources/000_e4ce7d2251e78f88.txt qdr:doc-000 qdr:q000-051 "青岛也给出了路线图。"

The sentence may be given without the line breaks a web page put into it; the tool finds it
across them and writes the characters the file really has. If it occurs more than once, the
first occurrence is taken (pass --occurrence N for another).
"""
from __future__ import annotations

import argparse
import re
import sys


def locate(text: str, sentence: str, occurrence: int = 0) -> tuple[int, int, str, str]:
    """(start, end, prefix, suffix) of ``sentence`` in ``text``, line breaks between its
    characters allowed; prefix/suffix (8+ characters) only where needed to make it unique."""
    gap = r"(?:[ \t\u3000]*\n\s*)?"
    hits = [(m.start(), m.end()) for m in re.finditer(gap.join(map(re.escape, sentence)), text)]
    if len(hits) <= occurrence:
        raise SystemExit(f"not found: {sentence[:40]!r} (occurrence {occurrence})")
    start, end = hits[occurrence]
    exact = text[start:end]
    if text.count(exact) == 1:
        return start, end, "", ""
    for k in range(8, 400):
        pre, suf = text[max(0, start - k):start], text[end:end + k]
        if text.count(pre + exact + suf) == 1:
            return start, end, pre, suf
    raise SystemExit("no context makes it unique")


def turtle(quote: str, doc: str, exact: str, start: int, end: int, pre: str, suf: str) -> str:
    def lit(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    ctx = f" ; oa:prefix {lit(pre)} ; oa:suffix {lit(suf)}" if pre or suf else ""
    return (f"{quote} a qd:Quote ; oa:hasSource {doc} ;\n"
            f"    oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact {lit(exact)}{ctx} ] ,\n"
            f"        [ a oa:TextPositionSelector ; oa:start \"{start}\"^^xsd:nonNegativeInteger ; "
            f"oa:end \"{end}\"^^xsd:nonNegativeInteger ] .\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source"), ap.add_argument("doc"), ap.add_argument("quote"), ap.add_argument("sentence")
    ap.add_argument("--occurrence", type=int, default=0)
    a = ap.parse_args(argv)
    text = open(a.source, encoding="utf-8").read()
    start, end, pre, suf = locate(text, a.sentence, a.occurrence)
    sys.stdout.write(turtle(a.quote, a.doc, text[start:end], start, end, pre, suf))
    return 0


if __name__ == "__main__":
    sys.exit(main())

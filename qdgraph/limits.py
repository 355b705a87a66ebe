"""Bounds on what a user can ask for, checked before any work starts.

Each bound stops input that would otherwise crash the process or keep a core busy for
minutes: a parser that recurses once per nesting level (thousands of ``(`` overflow its
stack), fuzzy matching whose cost grows with the length of the name, a timer that cannot
hold ``1e10`` seconds.
"""
from __future__ import annotations

import math

from qdgraph.errors import UsageError

MAX_TIMEOUT = 86400.0   # one day: longer is "no limit", which is what leaving it out means
MAX_NAME = 200          # characters; the longest name in the graph is under 60
MAX_DEPTH = 128         # nesting of ( [ { in a query (sparql.check_nesting); real queries stay under 20

# Characters a terminal obeys instead of showing (C0 controls but tab and newline, DEL, C1 controls),
# the bidi embeddings, overrides and isolates that make text read backwards (U+202A–U+202E,
# U+2066–U+2069), and the line/paragraph separators: the one list that `import` refuses in names
# and that qdgraph.presentation.terminal shows escaped in everything written to a terminal.
UNSAFE_CHARS = frozenset([*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0),
                          *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029])


def check_timeout(seconds: float | None) -> float | None:
    """``seconds`` if it is a usable time limit (None: no limit)."""
    if seconds is None:
        return None
    if not math.isfinite(seconds) or seconds <= 0 or seconds > MAX_TIMEOUT:
        words = f"{seconds:g}: give a number of seconds above 0 and at most {MAX_TIMEOUT:g} (leave it out for no limit)"
        raise UsageError(f"timeout {words}").for_cli(f"--timeout {words}")
    return seconds


def check_name(text: str, what: str = "name") -> str:
    """A name to look up, refused when empty or longer than any name could be."""
    if not text.strip():
        raise UsageError(f"empty {what}: give a Chinese or English name, pinyin or an IRI")
    if len(text) > MAX_NAME:
        raise UsageError(f"{what} of {len(text):,} characters is too long (at most {MAX_NAME})")
    return text

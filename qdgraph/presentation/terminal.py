"""Text made safe for a terminal: data (labels, imported names, endpoint answers, user input quoted
in errors) may hold control characters that a terminal obeys — ``ESC]0;…BEL`` retitles the window,
``ESC[2J`` clears the screen, ``\\r`` overwrites a line, U+202E reverses what follows. Everything
qdgraph writes to a terminal goes through ``clean`` (or ``echo``), which shows such characters as
escapes instead of sending them.

Hand-written because no kept library does this for arbitrary text: rich's ``Text`` and
``markup.escape`` escape rich markup, not control characters, and click writes what it is given.
"""
from __future__ import annotations

import sys

# C0 controls except newline and tab, DEL, and C1 controls: shown as \xNN (ESC becomes \x1b).
_TABLE: dict[int, str] = {c: f"\\x{c:02x}" for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]
                          if c not in (0x09, 0x0A)}
# Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): shown as \uNNNN,
# so a name cannot make the rest of its line read backwards. Line and paragraph separators
# (U+2028/U+2029) too, since some terminals break the line there.
_TABLE.update({c: f"\\u{c:04x}" for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029]})

UNSAFE = frozenset(_TABLE)


def clean(text) -> str:
    """``text`` (any value; ``None`` becomes "") with every control character other than newline
    and tab, and every bidi control, shown as a visible escape."""
    if text is None:
        return ""
    return str(text).translate(_TABLE)


def clean_line(text) -> str:
    """``clean`` for a one-line place (a table cell, an error message): newline and tab escaped too."""
    return clean(text).replace("\n", "\\n").replace("\t", "\\t")


def unsafe_chars(text: str) -> list[str]:
    """The unsafe characters in ``text``, each as its escape (for a message saying which)."""
    return [_TABLE[ord(ch)] for ch in text if ord(ch) in _TABLE]


def echo(text="", err: bool = False) -> None:
    """Write ``text`` cleaned, with one trailing newline, to stdout (or stderr)."""
    text = clean(text)
    stream = sys.stderr if err else sys.stdout
    stream.write(text if text.endswith("\n") else text + "\n")

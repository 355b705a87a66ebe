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

from qdgraph.limits import UNSAFE_CHARS

# ESC becomes \x1b (C0 and C1 as \xNN); U+202E becomes \u202e
_TABLE: dict[int, str] = {c: f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}" for c in UNSAFE_CHARS}


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

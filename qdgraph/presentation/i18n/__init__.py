"""The message catalogue: every word a reader sees, in Chinese (zh_CN, the default) and English.

The catalogues are gettext ``.po`` files (``locale/<locale>/LC_MESSAGES/qdgraph.po``) kept with
Babel: message ids are the English text; ``msgctxt "term"`` entries name the terms of reused
vocabularies (rdf:type, skos:note, qb:Observation, …) that carry no label of their own in the
graph (the ontology's own terms are named by their rdfs:label@zh/@en). Babel compiles each into
the ``.mo`` beside it (``python3 tools/compile_catalogues.py``, after editing a ``.po``); the
standard library's gettext reads the ``.mo`` at run time (1 ms, where compiling in every command
cost 60–100 ms and Babel's import), and tests/test_site.py checks each ``.mo`` matches its ``.po``.

- ``translations(lang)`` → a ``gettext.GNUTranslations`` (``gettext``, ``ngettext``, ``pgettext``);
- ``pick(requested, cookie, accept_language)`` → "zh" or "en";
- ``from_locale()`` → "zh" or "en": the language of the user's locale (the CLI's default);
- ``term(iri, lang)`` → a reused vocabulary term's name, or None.
"""
from __future__ import annotations

import io
import os
import re
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "qdgraph"
LANGS = ("zh", "en")
DEFAULT = "zh"
LOCALES = {"zh": "zh_CN", "en": "en"}
TERM = "term"   # the msgctxt of vocabulary terms


def po_path(lang: str) -> Path:
    return LOCALE_DIR / LOCALES[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str) -> Path:
    return po_path(lang).with_suffix(".mo")


def compile_mo(lang: str) -> bytes:
    """The ``.mo`` bytes Babel compiles from ``lang``'s ``.po`` (what ``mo_path`` must hold)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path(lang).open("rb") as f:
        catalog = read_po(f, locale=LOCALES[lang], domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    return buf.getvalue()


@lru_cache(maxsize=None)
def translations(lang: str):
    """The compiled catalogue of ``lang`` (read once per process)."""
    import gettext as stdlib_gettext

    if lang not in LOCALES:
        raise ValueError(f"language {lang!r} is not one of {', '.join(LANGS)}")
    with mo_path(lang).open("rb") as f:
        return stdlib_gettext.GNUTranslations(f)


def gettext(lang: str, message: str) -> str:
    return translations(lang).gettext(message)


def ngettext(lang: str, singular: str, plural: str, n: int) -> str:
    return translations(lang).ngettext(singular, plural, n)


def from_locale(environ=None) -> str:
    """The language of the locale: the first set of LC_ALL, LC_MESSAGES, LANG (the order POSIX
    reads them in) decides; zh_CN.UTF-8, zh_TW … → "zh", en_US.UTF-8 … → "en"; unset, C, POSIX
    or another language → Chinese, the readers' first language."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = (env.get(var) or "").strip()
        if value:
            primary = re.split(r"[_.@-]", value, maxsplit=1)[0].lower()
            return primary if primary in LANGS else DEFAULT
    return DEFAULT


@lru_cache(maxsize=4096)
def term(iri: str, lang: str) -> str | None:
    """The name of a reused vocabulary term (by its prefixed name), or None if the catalogue has none."""
    from qdgraph.namespaces import shorten

    key = shorten(iri)
    text = translations(lang).pgettext(TERM, key)
    return None if text == key else text


_LANG_RANGE = re.compile(r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")


def from_accept_language(header: str | None) -> str | None:
    """The first of our languages the Accept-Language header names (by quality), or None."""
    ranges = []
    for i, part in enumerate((header or "").split(",")):
        m = _LANG_RANGE.match(part)
        if not m:
            continue
        try:
            q = float(m.group(2)) if m.group(2) else 1.0
        except ValueError:
            continue
        if q > 0:
            ranges.append((-q, i, m.group(1).lower()))
    for _, _, tag in sorted(ranges):
        primary = tag.split("-")[0]
        if primary in LANGS:
            return primary
    return None


def pick(requested: str | None = None, cookie: str | None = None, accept_language: str | None = None) -> str:
    """The reader's language: an explicit choice (?lang=), then the remembered one (cookie), then
    the browser's (Accept-Language), then Chinese."""
    for choice in (requested, cookie):
        if choice in LANGS:
            return choice
    return from_accept_language(accept_language) or DEFAULT


def other(lang: str) -> str:
    return "en" if lang == "zh" else "zh"

"""Compile the message catalogues after editing a .po file: each
qdgraph/presentation/i18n/locale/<locale>/LC_MESSAGES/qdgraph.po into the qdgraph.mo beside it
(Babel compiles; qdgraph reads the .mo with the standard library's gettext at run time).

    python3 tools/compile_catalogues.py
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qdgraph.presentation import i18n  # noqa: E402

for lang in i18n.LANGS:
    i18n.mo_path(lang).write_bytes(i18n.compile_mo(lang))
    print(i18n.mo_path(lang))

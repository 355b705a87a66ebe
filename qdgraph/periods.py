"""Reference periods of Data Cube observations: one IRI per year (``qdr:period-2026``) or month
(``qdr:period-2022-03``), each an OWL-Time ``time:ProperInterval`` whose beginning and end carry
``time:inXSDDate``. Anyone writing an observation builds its period here, so a period is one
node however many documents name it."""
from __future__ import annotations

import calendar
import re

from .errors import UsageError
from .namespaces import PREFIXES, QDR

_KEY = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2]))?$")


def period_iri(key: str) -> str:
    """``"2026"`` → ``…/id/period-2026``; ``"2022-03"`` → ``…/id/period-2022-03``."""
    if not _KEY.match(key or ""):
        raise UsageError(f"bad period {key!r} (use YYYY or YYYY-MM)")
    return f"{QDR}period-{key}"


def period_bounds(key: str) -> tuple[str, str]:
    """First and last day of the period, as xsd:date strings."""
    m = _KEY.match(key or "")
    if not m:
        raise UsageError(f"bad period {key!r} (use YYYY or YYYY-MM)")
    year, month = int(m.group(1)), m.group(2)
    if month is None:
        return f"{year}-01-01", f"{year}-12-31"
    last = calendar.monthrange(year, int(month))[1]
    return f"{year}-{month}-01", f"{year}-{month}-{last:02d}"


def period_turtle(key: str) -> str:
    """The period's triples in Turtle (prefixes of ``namespaces.PREFIXES``)."""
    begin, end = period_bounds(key)
    return (f"<{period_iri(key)}> a time:ProperInterval ; rdfs:label \"{key}\" ;\n"
            f"    time:hasBeginning [ a time:Instant ; time:inXSDDate \"{begin}\"^^xsd:date ] ;\n"
            f"    time:hasEnd [ a time:Instant ; time:inXSDDate \"{end}\"^^xsd:date ] .\n")


def turtle_prefixes() -> str:
    return "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES.items())

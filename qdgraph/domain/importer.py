"""``qdgraph import``: an enterprise list (CSV) into a store, all or nothing.

The work is in three passes, and nothing is written until all three pass:

1. read: decode the file (UTF-8 with or without BOM, else GBK/GB18030 as Chinese spreadsheets
   export), map the header (English or Chinese column names), check every row's fields;
2. resolve: match chains by name as the lookups do (so pinyin and near misses work, and an
   unknown chain gets a did-you-mean), find enterprises already in the store (same credit code
   or same name) so they are merged, and turn rows into triples with deterministic IRIs — the
   same file imported twice gives the same triples, so the second time adds nothing;
3. validate: SHACL (``ontology/shapes.ttl``) over the new triples and the store's facts about
   what they touch.

Then a new store generation is written beside the current one and swapped in (see
``qdgraph.storage.build``): a failure or a kill at any point leaves the store exactly as it was.

Provenance: the file becomes a ``qd:SourceDocument`` (title = file name, sha256 of its bytes),
each row a ``qd:Quote`` whose TextQuoteSelector's ``oa:exact`` is the row's text as written, so ``qdgraph show``
prints the row an enterprise came from. Each ``qd:inChain`` link has a ``qd:Claim`` (basis
``qd:Stated``) citing its rows.
"""
from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyoxigraph as ox

from qdgraph.errors import AmbiguousNameError, NotFoundError, QdgraphError
from qdgraph.limits import UNSAFE_CHARS
from qdgraph.names import normalize
from qdgraph.domain.csvcolumns import COLUMNS, FACTS, clean, romanise
from qdgraph.engine.results import FORMULA_START
from qdgraph.namespaces import PREFIXES, QD, QDR

RDF, RDFS, SKOS = PREFIXES["rdf"], PREFIXES["rdfs"], PREFIXES["skos"]
PROV, DCT, OA, ORG, SCHEMA, XSD = (PREFIXES[p] for p in ("prov", "dcterms", "oa", "org", "schema", "xsd"))


def N(iri: str) -> "ox.NamedNode":
    return ox.NamedNode(iri)


A = N(RDF + "type")
LABEL, ALT = N(RDFS + "label"), N(SKOS + "altLabel")
DERIVED = N(PROV + "wasDerivedFrom")   # a claim's quotes
EVIDENCE = N(QD + "evidence")           # an entity's quotes
IN_CHAIN = N(QD + "inChain")
ENTERPRISE = N(QD + "Enterprise")
SINGLE_VALUED = {c.predicate: c for c in FACTS}


class CsvError(QdgraphError):
    """The file cannot be read, or a row is wrong; the message names FILE:LINE."""

    exit_code = 2


# ------------------------------------------------------------------ reading
@dataclass
class Row:
    """One row, its fields named after the column table (``qdgraph.domain.csvcolumns``)."""
    line: int
    raw: str
    name: str = ""
    chains: list = field(default_factory=list)
    name_en: str = ""
    aliases: list = field(default_factory=list)
    credit_code: str = ""
    district: str = ""
    founded: "ox.Literal | None" = None
    source: str = ""
    note: str = ""


@dataclass
class ImportResult:
    file: str
    encoding: str
    rows: int
    added: int = 0
    new_enterprises: int = 0
    merged_enterprises: int = 0
    warnings: list = field(default_factory=list)
    quads: list = field(default_factory=list)


class Problems:
    """Every bad row is found before giving up; the error names the first and counts the rest."""

    def __init__(self, path: Path):
        self.path, self.items = path, []

    def add(self, line: int, message: str) -> None:
        self.items.append((line, message))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        self.items.sort(key=lambda item: item[0])
        line, msg = self.items[0]
        more = ""
        if len(self.items) > 1:
            lines = ", ".join(str(l) for l, _ in self.items[1:6])
            more = f" (and {len(self.items) - 1} more problem{'s' if len(self.items) > 2 else ''}: line {lines}" \
                   + (", …" if len(self.items) > 6 else "") + ")"
        raise CsvError(f"{self.path}:{line}: {msg}{more}")


def decode(path: Path, data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was in."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export
        return data.decode("utf-16"), "UTF-16"
    try:
        return data.decode("utf-8-sig"), ("UTF-8 with BOM" if data.startswith(b"\xef\xbb\xbf") else "UTF-8")
    except UnicodeDecodeError as err:
        bad = err
    # A file that is UTF-8 up to one bad byte is damaged UTF-8, not GBK: decoding it as GBK would
    # import garbage. GBK text almost never passes as UTF-8 for more than a few characters.
    head = data[: bad.start].decode("utf-8", errors="replace")
    if any(ord(c) > 127 for c in head):
        line = data[: bad.start].count(b"\n") + 1
        raise CsvError(f"{path}:{line}: not valid UTF-8 (byte 0x{data[bad.start]:02x}); the file is UTF-8 "
                       "elsewhere, so this line is damaged — re-export the file as UTF-8 CSV")
    try:
        return data.decode("gb18030"), "GBK"
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise CsvError(f"{path}:{line}: cannot be read as UTF-8 or GBK (byte 0x{data[err.start]:02x} at offset "
                       f"{err.start}); save it as “CSV UTF-8” and import again") from None


_HEADERS = {c.name: c.headers() for c in COLUMNS}
_REQUIRED = tuple(c.name for c in COLUMNS if c.required)


def read_table(path: Path, text: str, columns: dict[str, list[str]], required: tuple, problems: Problems,
               warnings: list):
    """The records of a CSV (or tab-separated) text whose header names ``columns`` (each a list
    of accepted header names, English or Chinese): yields ``(line, raw, get)``, ``get(col)``
    giving a field cleaned (NFKC, spaces folded) or "" (``verbatim=True``: only stripped, for
    quotes). Blank rows are skipped; a row with
    more fields than the header is reported to ``problems``."""
    header_names = {normalize(alias): col for col, aliases in columns.items() for alias in aliases}
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    header_line = lines[0] if lines else ""
    delimiter = "\t" if "\t" in header_line and "," not in header_line else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise CsvError(f"{path}: the file is empty (expected a header row: {','.join(required)},…)") from None
    except csv.Error as err:
        raise CsvError(f"{path}:1: {err}") from None
    cols: dict[str, int] = {}
    ignored = []
    for i, h in enumerate(header):
        col = header_names.get(normalize(h))
        if col is None:
            if h.strip():
                ignored.append(h.strip())
            continue
        if col in cols:
            raise CsvError(f"{path}:1: two columns mean {col!r}: {header[cols[col]]!r} and {h!r}")
        cols[col] = i
    missing = [c for c in required if c not in cols]
    if missing:
        names = " and ".join(f"{c} ({columns[c][1]})" for c in missing)
        raise CsvError(f"{path}:1: no {names} column; the header is: {', '.join(header)}")
    if ignored:
        warnings.append(f"{path}: ignoring column{'s' if len(ignored) > 1 else ''} {', '.join(ignored)}")

    end = 1
    while True:
        start = end + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            raise CsvError(f"{path}:{reader.line_num}: {err}") from None
        end = reader.line_num
        if not any(f.strip() for f in fields):
            continue  # blank rows, as spreadsheets leave at the end
        raw = "\n".join(lines[start - 1:end]).strip()
        if len(fields) > len(header):
            problems.add(start, f"{len(fields)} fields but the header has {len(header)} (a comma inside a name? quote it)")
            continue
        unsafe = [(col, fields[i]) for col, i in cols.items() if i < len(fields) and _has_unsafe(fields[i])]
        if unsafe:  # NUL, ESC/OSC sequences, right-to-left overrides: refused, never stored
            col, cell = unsafe[0]
            problems.add(start, f"{col} {_escaped(cell)} contains {_unsafe_named(cell)}; "
                                "remove control and text-direction characters")
            continue

        def get(col, fields=fields, verbatim=False):
            i = cols.get(col)
            if i is None or i >= len(fields):
                return ""
            return fields[i].strip() if verbatim else clean(fields[i])

        yield start, raw, get


def _has_unsafe(text: str) -> bool:
    return not UNSAFE_CHARS.isdisjoint(map(ord, text))


def _unsafe_named(text: str) -> str:
    """The first unsafe character of ``text``, named: ``U+001B (ESC, a control character)``."""
    import unicodedata

    ch = next(c for c in text if ord(c) in UNSAFE_CHARS)
    kind = "a text-direction character" if 0x2000 <= ord(ch) else "a control character"
    name = unicodedata.name(ch, "") or {0: "NUL", 0x1B: "ESC", 0x07: "BEL"}.get(ord(ch), "")
    return f"U+{ord(ch):04X}" + (f" ({name}, {kind})" if name else f" ({kind})")


def _escaped(text: str, keep: int = 40) -> str:
    """``text`` quoted, its unsafe characters as escapes (ESC as \\x1b), cut when long (for a one-line error)."""
    shown = "".join((f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}") if ord(c) in UNSAFE_CHARS else c
                    for c in text[:keep])
    return f"'{shown}{'…' if len(text) > keep else ''}'"


def read_rows(path: Path, text: str, problems: Problems, warnings: list) -> list[Row]:
    """The enterprise rows, each field read and checked by its column (``qdgraph.domain.csvcolumns``)."""
    rows: list[Row] = []
    for start, raw, get in read_table(path, text, _HEADERS, _REQUIRED, problems, warnings):
        row = Row(start, raw)
        for col in COLUMNS:
            cell = get(col.name, verbatim=True)
            value, why = col.read(cell)
            setattr(row, col.attr, value)
            if why:
                problems.add(start, f"{col.name.replace('_', ' ')} {clean(cell)!r} {why}")
        if not row.name:
            problems.add(start, "no enterprise name (column name / 企业名称)")
        if not row.chains:
            problems.add(start, f"no chain for {row.name or 'this row'} (column chain / 产业链)")
        risky = [t for t in (row.name, row.name_en, *row.aliases) if t and t.startswith(FORMULA_START)]
        if risky:  # kept as written; CSV/TSV output defuses it (results.defuse)
            warnings.append(f"{path}:{start}: {risky[0]!r} begins like a spreadsheet formula; "
                            "CSV and TSV output will show it with a leading '")
        rows.append(row)
    if not rows and not problems.items:
        raise CsvError(f"{path}: no rows under the header")
    return rows


# ------------------------------------------------------------------ resolving rows to triples
@dataclass
class _Enterprise:
    iri: str
    existing: bool
    zh: str | None = None
    en: str | None = None
    labels: set = field(default_factory=set)     # normalised labels it already has
    facts: dict = field(default_factory=dict)   # single-valued property -> (value literal, line or None)
    first_line: int = 0


def _iri_for(row: Row) -> str:
    if row.credit_code:
        return f"{QDR}enterprise-uscc-{row.credit_code}"
    return f"{QDR}enterprise-{hashlib.sha1(normalize(row.name).encode()).hexdigest()[:12]}"


def source_document(path: Path, data: bytes) -> tuple:
    """The imported file as a qd:SourceDocument (title = file name, sha256 of its bytes):
    (node, sha256, quads)."""
    sha = hashlib.sha256(data).hexdigest()
    doc = N(f"{QDR}import-{sha[:16]}")
    return doc, sha, [(doc, A, N(QD + "SourceDocument")), (doc, N(DCT + "title"), ox.Literal(path.name)),
                      (doc, N(QD + "textFile"), ox.Literal(path.name)), (doc, N(QD + "sha256"), ox.Literal(sha)),
                      (doc, N(DCT + "format"), ox.Literal("text/csv"))]


def row_quote(doc, sha: str, line: int, raw: str) -> tuple:
    """A row of an imported file as a qd:Quote of it (``oa:exact`` = the row as written):
    (node, quads)."""
    quote = N(f"{QDR}import-{sha[:16]}-row{line}")
    selector = N(quote.value + "-text")
    return quote, [(quote, A, N(QD + "Quote")), (quote, N(OA + "hasSource"), doc), (quote, N(OA + "hasSelector"), selector),
                   (selector, A, N(OA + "TextQuoteSelector")), (selector, N(OA + "exact"), ox.Literal(raw)),
                   (quote, N(SCHEMA + "position"), ox.Literal(str(line), datatype=N(XSD + "integer")))]


def plan_import(kg, path: Path, rows: list[Row], data: bytes, problems: Problems,
                progress: "Progress | None" = None) -> tuple[list, dict]:
    """Every quad the rows give (existing ones included; the caller subtracts), and the
    enterprises touched (IRI → _Enterprise)."""
    doc, sha, quads = source_document(path, data)

    names = kg.names()
    by_code = {r["code"].value: r["e"].value for r in kg.query(
        "SELECT ?e ?code WHERE { ?e a qd:Enterprise ; org:identifier ?code }").rows}
    by_name: dict[str, set] = {}
    for e in (e for e in names.entries if "qd:Enterprise" in e["types"]):
        for t in [e.get("zh"), e.get("en"), *e.get("alt", [])]:
            if t:
                by_name.setdefault(normalize(t), set()).add(e["iri"])

    chain_cache: dict[str, str | Exception] = {}
    touched: dict[str, _Enterprise] = {}
    file_codes: dict[str, str] = {}   # code -> IRI, for rows of this file
    file_names: dict[str, str] = {}   # normalised name -> IRI
    known = set(by_code.values()).union(*by_name.values())  # enterprises already in the store

    for i, row in enumerate(rows, 1):
        if progress and i % 100 == 0:
            progress(i, 3 * len(rows))
        if not row.name or not row.chains:
            continue  # already reported
        chains = []
        for text in row.chains:
            hit = resolve_once(kg, chain_cache, text, "qd:IndustryChain", "chain")
            if isinstance(hit, Exception):
                problems.add(row.line, str(hit))
            else:
                chains.append(hit)
        ent = _identify(kg, row, by_code, by_name, known, file_codes, file_names, touched, problems)
        if ent is None or len(chains) != len(row.chains):
            continue
        quads += _row_quads(row, ent, chains, doc, sha, problems)
    return quads, touched


def resolve_once(kg, cache: dict, text: str, kind: str, what: str):
    """``kg.resolve(text)`` once per text of a file: the entity, or the name error to report
    on every row that gives the text."""
    if text not in cache:
        try:
            cache[text] = kg.resolve(text, types=[kind], what=what)
        except (NotFoundError, AmbiguousNameError) as err:
            cache[text] = err
    return cache[text]


def _identify(kg, row, by_code, by_name, known, file_codes, file_names, touched, problems) -> _Enterprise | None:
    """The enterprise a row is about: one already in the store or earlier in the file (same
    credit code, else same name), or a new one."""
    keys = {normalize(t) for t in [row.name, row.name_en, *row.aliases] if t}
    iri = None
    if row.credit_code:
        iri = file_codes.get(row.credit_code) or by_code.get(row.credit_code)
    in_file = {file_names[k] for k in keys if k in file_names}
    found = in_file or set().union(*(by_name.get(k, set()) for k in keys))
    if iri is not None and found - {iri}:
        # the code names one enterprise and the name another: two records of one company?
        other = sorted(found - {iri})[0]
        problems.add(row.line, f"credit code {row.credit_code} is {kg.label(iri)} <{iri}>, but the name "
                     f"{row.name!r} (or an alias) is {kg.label(other)} <{other}>; merge or rename them first")
        return None
    if iri is None:
        if len(found) > 1:
            problems.add(row.line, f"{row.name!r} matches several enterprises already known: "
                         + ", ".join(sorted(kg.label(i) + f" <{i}>" for i in found)))
            return None
        iri = next(iter(found), None)
    if iri is None:
        iri = _iri_for(row)
    ent = touched.get(iri)
    if ent is None:
        existing = iri in known
        ent = touched[iri] = _Enterprise(iri, existing, first_line=row.line)
        if existing:
            _load_existing(kg, ent)
    if row.credit_code:
        file_codes.setdefault(row.credit_code, iri)
    for k in keys:
        file_names.setdefault(k, iri)
    return ent


def _load_existing(kg, ent: _Enterprise) -> None:
    for q in kg.quads(N(ent.iri)):
        p, o = q.predicate.value, q.object
        if p in (LABEL.value, ALT.value) and isinstance(o, ox.Literal):
            ent.labels.add(normalize(o.value))
            if p == LABEL.value and o.language == "zh":
                ent.zh = o.value
            elif p == LABEL.value and o.language == "en":
                ent.en = o.value
        elif p in SINGLE_VALUED:
            ent.facts.setdefault(p, (o, None))


def _row_quads(row: Row, ent: _Enterprise, chains: list[str], doc, sha: str, problems: Problems) -> list:
    e = N(ent.iri)
    quote, out = row_quote(doc, sha, row.line, row.raw)
    out += [(e, A, ENTERPRISE), (e, EVIDENCE, quote)]
    if row.source:
        out.append((quote, N(DCT + "bibliographicCitation"), ox.Literal(row.source)))
    if row.note:
        out.append((quote, N(RDFS + "comment"), ox.Literal(row.note, language="zh")))

    def name(text: str, lang: str):
        key = normalize(text)
        if key in ent.labels:
            return
        ent.labels.add(key)
        if getattr(ent, lang) is None:  # the first name in a language is the label; others aliases
            setattr(ent, lang, text)
            out.append((e, LABEL, ox.Literal(text, language=lang)))
        else:
            out.append((e, ALT, ox.Literal(text, language=lang)))

    name(row.name, "zh")
    if row.name_en:
        name(row.name_en, "en")
    for a in row.aliases:
        name(a, "zh" if re.search(r"[\u4e00-\u9fff]", a) else "en")

    for col in FACTS:
        cell = getattr(row, col.attr)
        if not cell:
            continue
        value = col.term(cell)
        old = ent.facts.get(col.predicate)
        if old is not None and old[0] != value:
            where = f"line {old[1]}" if old[1] else "the store"
            problems.add(row.line, f"{col.name.replace('_', ' ')} {value.value!r} for {ent.zh or row.name} conflicts "
                                   f"with {old[0].value!r} from {where}")
            continue
        ent.facts.setdefault(col.predicate, (value, row.line))
        out.append((e, N(col.predicate), value))

    for c in chains:
        claim = N(QDR + "claim-" + hashlib.sha1(f"{ent.iri} {IN_CHAIN.value} {c} {sha}".encode()).hexdigest()[:16])
        out += [(e, IN_CHAIN, N(c)), (claim, A, N(QD + "Claim")), (claim, N(RDF + "subject"), e),
                (claim, N(RDF + "predicate"), IN_CHAIN), (claim, N(RDF + "object"), N(c)),
                (claim, N(QD + "basis"), N(QD + "Stated")), (claim, DERIVED, quote)]
    return out


def _add_english_names(touched: dict, quads: list) -> None:
    """Enterprises that end up with no English name get a romanised one (the shapes require
    an @en label); deterministic, so a re-import produces the same label."""
    for ent in touched.values():
        if ent.en is None and ent.zh:
            ent.en = romanise(ent.zh)
            quads.append((N(ent.iri), LABEL, ox.Literal(ent.en, language="en")))


# ------------------------------------------------------------------ validation
def shacl_check(kg, new: list, touched: dict, path: Path, line_of: dict) -> None:
    """SHACL over the new triples plus what the store says about the nodes they touch; a
    violation is reported at the row that produced its focus node."""
    from qdgraph import paths

    if not paths.shape_files():
        return  # the row checks above are the whole validation then
    mini = ox.Store()
    mini.extend(ox.Quad(*q) for q in new)
    from qdgraph.storage.rdfio import parse_file

    mini.extend(parse_file(paths.ONTOLOGY))
    objects = {q[2] for q in new if isinstance(q[2], ox.NamedNode)}
    for iri in [t for t, e in touched.items() if e.existing]:
        node = N(iri)
        for q in kg.quads(node):
            mini.add(q)
            if isinstance(q.object, ox.NamedNode):
                objects.add(q.object)
        for c in kg.quads(None, N(RDF + "subject"), node):
            for q in kg.quads(c.subject):
                mini.add(q)
                if isinstance(q.object, ox.NamedNode):
                    objects.add(q.object)
    for o in objects:  # types of what we point at (sh:class checks)
        for q in kg.quads(o, A):
            mini.add(q)
    raise_first_violation(mini, new, path, line_of)


def raise_first_violation(mini: "ox.Store", new: list, path: Path, line_of: dict) -> None:
    """SHACL over ``mini`` (the new triples and what they point at); the first violation of a
    new node is reported at the row that gave it (``line_of``: IRI → line)."""
    from qdgraph.domain.validate import shacl_violations
    from qdgraph.namespaces import shorten

    ours = {q[0].value for q in new}
    for v in shacl_violations(mini, focus=ours):
        if v.severity == "Violation" and v.focus in ours:
            line = line_of.get(v.focus)
            where = f"{path}:{line}" if line else str(path)
            raise CsvError(f"{where}: {shorten(v.focus)} {v.message}" + (f" ({shorten(v.path)})" if v.path else ""))


# ------------------------------------------------------------------ the import
# called with (work done, total work): rows planned, then validated, then written
Progress = Callable[[int, int], None]


def new_quads(backend, quads) -> list:
    """``quads`` without repeats and without those the store already holds, in order."""
    seen, new = set(), []
    for q in quads:
        if q not in seen and next(iter(backend.quads(q[0], q[1], q[2])), None) is None:
            seen.add(q)
            new.append(q)
    return new


def open_csv(csv_path: str | Path, store_dir: str | Path) -> tuple[Path, Path, bytes, str, str]:
    """A CSV file to import into a store: (path, store folder, bytes, text, encoding). The store
    is checked first, so a wrong folder is said before any reading."""
    from qdgraph.storage import generations
    from qdgraph.storage.rdfio import check_readable

    path, store_dir = Path(csv_path), Path(store_dir)
    check_readable(path)
    generations.current_generation(store_dir)
    data = path.read_bytes()
    text, encoding = decode(path, data)
    return path, store_dir, data, text, encoding


def import_file(csv_path: str | Path, store_dir: str | Path, *, dry_run: bool = False,
                progress: Progress | None = None) -> ImportResult:
    from qdgraph.storage import generations
    from qdgraph.engine.backend import StoreBackend
    from qdgraph.engine.graph import KnowledgeGraph

    path, store_dir, data, text, encoding = open_csv(csv_path, store_dir)
    problems = Problems(path)
    warnings: list[str] = []
    rows = read_rows(path, text, problems, warnings)

    with generations.write_lock(store_dir) if not dry_run else contextlib.nullcontext():
        backend = StoreBackend(store_dir)
        kg = KnowledgeGraph(backend)
        quads, touched = plan_import(kg, path, rows, data, problems, progress)
        problems.raise_if_any()
        _add_english_names(touched, quads)
        new = new_quads(kg.backend, quads)
        res = ImportResult(str(path), encoding, len(rows), len(new), warnings=warnings,
                           new_enterprises=sum(1 for e in touched.values() if not e.existing),
                           merged_enterprises=sum(1 for e in touched.values() if e.existing), quads=new)
        if not new:
            return res
        line_of = {}
        for q in quads:  # a focus node's row: the first row that mentions it as subject
            if q[0].value not in line_of:
                m = re.search(r"-row(\d+)$", q[2].value) if q[1] == EVIDENCE else None
                if m:
                    line_of[q[0].value] = int(m[1])
        for ent in touched.values():
            line_of.setdefault(ent.iri, ent.first_line)
        if progress:
            progress(len(rows), 3 * len(rows))
        shacl_check(kg, new, touched, path, line_of)
        if progress:
            progress(2 * len(rows), 3 * len(rows))
        if dry_run:
            return res
        _write(store_dir, backend, new, touched, path, data, encoding, res)
        if progress:
            progress(3 * len(rows), 3 * len(rows))
    return res


def _write(store_dir: Path, backend, new: list, touched: dict, path: Path, data: bytes, encoding: str,
           res: ImportResult) -> None:
    from qdgraph.storage import generations
    from qdgraph.storage import build as storage

    storage.add_quads(store_dir, backend, new, touched, {
        "path": str(path.resolve()), "name": path.name, "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data), "encoding": encoding, "rows": res.rows, "triples_added": res.added,
        "new_enterprises": res.new_enterprises, "merged_enterprises": res.merged_enterprises,
        "time": generations.now()})

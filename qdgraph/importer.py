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
``qdgraph.storage``): a failure or a kill at any point leaves the store exactly as it was.

Provenance: the file becomes a ``qd:SourceDocument`` (title = file name, sha256 of its bytes),
each row a ``qd:Quote`` whose ``oa:exact`` is the row's text as written, so ``qdgraph show``
prints the row an enterprise came from. Each ``qd:inChain`` link has a ``qd:Claim`` (basis
``qd:Stated``) citing its rows.
"""
from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import io
import json
import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyoxigraph as ox

from .errors import AmbiguousNameError, NotFoundError, QdgraphError
from .names import normalize
from .results import FORMULA_START
from .namespaces import PREFIXES, QD, QDR

RDF, RDFS, SKOS = PREFIXES["rdf"], PREFIXES["rdfs"], PREFIXES["skos"]
PROV, DCT, OA, ORG, SCHEMA, XSD = (PREFIXES[p] for p in ("prov", "dcterms", "oa", "org", "schema", "xsd"))


def N(iri: str) -> "ox.NamedNode":
    return ox.NamedNode(iri)


A = N(RDF + "type")
LABEL, ALT = N(RDFS + "label"), N(SKOS + "altLabel")
IDENTIFIER = N(ORG + "identifier")          # W3C ORG: "an identifier, such as a company registration number"
FOUNDED = N(SCHEMA + "foundingDate")
LOCATION = N(SCHEMA + "location")           # the district, as text (the ontology has no district term)
DERIVED = N(PROV + "wasDerivedFrom")
IN_CHAIN = N(QD + "inChain")
ENTERPRISE, CHAIN = N(QD + "Enterprise"), QD + "IndustryChain"
SINGLE_VALUED = {IDENTIFIER.value: "credit code", FOUNDED.value: "founded", LOCATION.value: "district"}


class CsvError(QdgraphError):
    """The file cannot be read, or a row is wrong; the message names FILE:LINE."""

    exit_code = 2


# ------------------------------------------------------------------ columns
COLUMNS = {
    "name": ["name", "企业名称", "名称", "企业", "公司名称", "单位名称"],
    "name_en": ["name_en", "english name", "name (english)", "英文名称", "英文名"],
    "alias": ["alias", "aliases", "简称", "别名", "企业简称"],
    "chain": ["chain", "chains", "industry chain", "产业链", "所属产业链", "重点产业链"],
    "credit_code": ["credit_code", "uscc", "unified social credit code", "统一社会信用代码", "社会信用代码", "信用代码"],
    "district": ["district", "区市", "所在区市", "区县", "所在区", "所在地"],
    "founded": ["founded", "founding date", "成立日期", "成立时间"],
    "source": ["source", "来源", "数据来源"],
    "note": ["note", "notes", "备注"],
}
_HEADER = {normalize(alias): col for col, aliases in COLUMNS.items() for alias in aliases}
REQUIRED = ("name", "chain")
_SPLIT = re.compile(r"\s*[;；、|]\s*")


@dataclass
class Row:
    line: int
    raw: str
    name: str
    chains: list
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


class _Problems:
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


# ------------------------------------------------------------------ reading
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


def read_rows(path: Path, text: str, problems: _Problems, warnings: list) -> list[Row]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    header_line = lines[0] if lines else ""
    delimiter = "\t" if "\t" in header_line and "," not in header_line else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise CsvError(f"{path}: the file is empty (expected a header row: name,chain,…)") from None
    except csv.Error as err:
        raise CsvError(f"{path}:1: {err}") from None
    cols: dict[str, int] = {}
    ignored = []
    for i, h in enumerate(header):
        col = _HEADER.get(normalize(h))
        if col is None:
            if h.strip():
                ignored.append(h.strip())
            continue
        if col in cols:
            raise CsvError(f"{path}:1: two columns mean {col!r}: {header[cols[col]]!r} and {h!r}")
        cols[col] = i
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        names = " and ".join(f"{c} ({COLUMNS[c][1]})" for c in missing)
        raise CsvError(f"{path}:1: no {names} column; the header is: {', '.join(header)}")
    if ignored:
        warnings.append(f"{path}: ignoring column{'s' if len(ignored) > 1 else ''} {', '.join(ignored)}")

    rows: list[Row] = []
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

        def get(col):
            i = cols.get(col)
            return _clean(fields[i]) if i is not None and i < len(fields) else ""

        row = Row(start, raw, get("name"), [c for c in _SPLIT.split(get("chain")) if c],
                  name_en=get("name_en"), aliases=[a for a in _SPLIT.split(get("alias")) if a],
                  district=get("district"), source=get("source"), note=get("note"))
        if not row.name:
            problems.add(start, "no enterprise name (column name / 企业名称)")
        if not row.chains:
            problems.add(start, f"no chain for {row.name or 'this row'} (column chain / 产业链)")
        code = get("credit_code")
        if code:
            row.credit_code, why = check_credit_code(code)
            if why:
                problems.add(start, f"credit code {code!r} {why}")
        risky = [t for t in (row.name, row.name_en, *row.aliases) if t.startswith(FORMULA_START)]
        if risky:  # kept as written; CSV/TSV output defuses it (results.defuse)
            warnings.append(f"{path}:{start}: {risky[0]!r} begins like a spreadsheet formula; "
                            "CSV and TSV output will show it with a leading '")
        founded = get("founded")
        if founded:
            row.founded, why = parse_founded(founded)
            if why:
                problems.add(start, f"founded {founded!r} {why}")
        rows.append(row)
    if not rows and not problems.items:
        raise CsvError(f"{path}: no rows under the header")
    return rows


def _clean(text: str) -> str:
    """NFKC folds full-width letters and digits (ＡＢＣ１２３, common in Chinese forms)."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


# ------------------------------------------------------------------ field checks
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"          # GB 32100-2015: no I, O, S, V, Z
_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]      # 1, 3, 9, 27, 19, 26, …


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS))
    return _USCC_CHARS[(31 - total % 31) % 31]


def check_credit_code(text: str) -> tuple[str, str | None]:
    """(normalised code, None) or (code, why it is not a unified social credit code)."""
    code = text.replace(" ", "").upper()
    if len(code) != 18:
        return code, f"has {len(code)} characters; a unified social credit code has 18"
    bad = [c for c in code if c not in _USCC_CHARS]
    if bad:
        return code, f"contains {bad[0]!r}, which a credit code never uses (no I, O, S, V or Z)"
    if not code[2:8].isdigit():
        return code, "has no 6-digit area code in positions 3–8"
    want = uscc_check_char(code[:17])
    if code[17] != want:
        return code, f"fails its check digit (the last character should be {want!r}; is it mistyped?)"
    return code, None


_DATE = re.compile(r"^(\d{4})(?:[-/.年](\d{1,2})月?(?:[-/.月](\d{1,2})日?)?)?(?: 0?0:00(?::00)?)?$")


def parse_founded(text: str) -> tuple["ox.Literal | None", str | None]:
    """xsd:date, xsd:gYearMonth or xsd:gYear, from the ways Chinese spreadsheets write dates."""
    t = text.strip()
    if re.fullmatch(r"\d{8}", t):
        t = f"{t[:4]}-{t[4:6]}-{t[6:]}"
    m = _DATE.match(t)
    if not m:
        return None, "is not a date (write 2019, 2019-05 or 2019-05-03)"
    y, mo, d = int(m[1]), m[2] and int(m[2]), m[3] and int(m[3])
    today = _dt.date.today()
    if not 1800 <= y <= today.year:
        return None, f"has year {y}, which is not a founding year"
    try:
        day = _dt.date(y, mo or 1, d or 1)
    except ValueError as err:
        return None, f"is not a real date ({err})"
    if day > today:
        return None, "is in the future"
    if d:
        return ox.Literal(day.isoformat(), datatype=N(XSD + "date")), None
    if mo:
        return ox.Literal(f"{y:04d}-{mo:02d}", datatype=N(XSD + "gYearMonth")), None
    return ox.Literal(f"{y:04d}", datatype=N(XSD + "gYear")), None


_LEGAL = [("股份有限公司", "Co., Ltd."), ("有限责任公司", "Co., Ltd."), ("有限公司", "Co., Ltd."),
          ("集团", "Group")]


def romanise(name: str) -> str:
    """An English label from the Chinese name when the file gives none (the shapes want one):
    pinyin word by word, the city and the legal form translated. '青岛歌尔智能科技有限公司' →
    'Qingdao Geer Zhineng Keji Co., Ltd.'."""
    from pypinyin.core import _default_pinyin

    from .names import _word_pinyin

    words, tail = [], ""
    core = name
    for zh, en in _LEGAL:
        if core.endswith(zh):
            core, tail = core[: -len(zh)], en
            break
    if core.startswith("青岛市"):
        core, words = core[3:], ["Qingdao"]
    elif core.startswith("青岛"):
        core, words = core[2:], ["Qingdao"]
    for w in _default_pinyin.seg(core):
        py = "".join(_word_pinyin(w))
        if py.strip():
            words.append(py[:1].upper() + py[1:])
    return re.sub(r"\s+", " ", " ".join(words + [tail])).strip() or name


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


def plan_import(kg, path: Path, rows: list[Row], data: bytes, problems: _Problems,
                progress: Progress | None = None) -> tuple[list, dict]:
    """Every quad the rows give (existing ones included; the caller subtracts), and the
    enterprises touched (IRI → _Enterprise)."""
    sha = hashlib.sha256(data).hexdigest()
    doc = N(f"{QDR}import-{sha[:16]}")
    quads = [(doc, A, N(QD + "SourceDocument")), (doc, N(DCT + "title"), ox.Literal(path.name)),
             (doc, N(QD + "textFile"), ox.Literal(path.name)), (doc, N(QD + "sha256"), ox.Literal(sha)),
             (doc, N(DCT + "format"), ox.Literal("text/csv"))]

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
            if text not in chain_cache:
                try:
                    chain_cache[text] = kg.resolve(text, types=["qd:IndustryChain"], what="chain")
                except (NotFoundError, AmbiguousNameError) as err:
                    chain_cache[text] = err
            hit = chain_cache[text]
            if isinstance(hit, Exception):
                problems.add(row.line, str(hit))
            else:
                chains.append(hit)
        ent = _identify(kg, row, by_code, by_name, known, file_codes, file_names, touched, problems)
        if ent is None or len(chains) != len(row.chains):
            continue
        quads += _row_quads(row, ent, chains, doc, sha, problems)
    return quads, touched


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
    for q in kg.backend.store.quads_for_pattern(N(ent.iri), None, None, None):
        p, o = q.predicate.value, q.object
        if p in (LABEL.value, ALT.value) and isinstance(o, ox.Literal):
            ent.labels.add(normalize(o.value))
            if p == LABEL.value and o.language == "zh":
                ent.zh = o.value
            elif p == LABEL.value and o.language == "en":
                ent.en = o.value
        elif p in SINGLE_VALUED:
            ent.facts.setdefault(p, (o, None))


def _row_quads(row: Row, ent: _Enterprise, chains: list[str], doc, sha: str, problems: _Problems) -> list:
    e = N(ent.iri)
    quote = N(f"{QDR}import-{sha[:16]}-row{row.line}")
    out = [(quote, A, N(QD + "Quote")), (quote, N(DCT + "source"), doc), (quote, N(OA + "exact"), ox.Literal(row.raw)),
           (quote, N(SCHEMA + "position"), ox.Literal(str(row.line), datatype=N(XSD + "integer"))),
           (e, A, ENTERPRISE), (e, DERIVED, quote)]
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

    single = [(IDENTIFIER, ox.Literal(row.credit_code) if row.credit_code else None),
              (FOUNDED, row.founded), (LOCATION, ox.Literal(row.district, language="zh") if row.district else None)]
    for p, value in single:
        if value is None:
            continue
        old = ent.facts.get(p.value)
        if old is not None and old[0] != value:
            where = f"line {old[1]}" if old[1] else "the store"
            problems.add(row.line, f"{SINGLE_VALUED[p.value]} {value.value!r} for {ent.zh or row.name} conflicts "
                                   f"with {old[0].value!r} from {where}")
            continue
        ent.facts.setdefault(p.value, (value, row.line))
        out.append((e, p, value))

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
    from . import paths

    if not paths.SHAPES.is_file():
        return  # the row checks above are the whole validation then
    from .validate import _shacl

    mini = ox.Store()
    mini.extend(ox.Quad(*q) for q in new)
    from .rdfio import parse_file

    mini.extend(parse_file(paths.ONTOLOGY))
    objects = {q[2] for q in new if isinstance(q[2], ox.NamedNode)}
    for iri in [t for t, e in touched.items() if e.existing]:
        node = N(iri)
        for q in kg.backend.store.quads_for_pattern(node, None, None, None):
            mini.add(q)
            if isinstance(q.object, ox.NamedNode):
                objects.add(q.object)
        for c in kg.backend.store.quads_for_pattern(None, N(RDF + "subject"), node, None):
            for q in kg.backend.store.quads_for_pattern(c.subject, None, None, None):
                mini.add(q)
                if isinstance(q.object, ox.NamedNode):
                    objects.add(q.object)
    for o in objects:  # types of what we point at (sh:class checks)
        for q in kg.backend.store.quads_for_pattern(o, A, None, None):
            mini.add(q)
    ours = {q[0].value for q in new}
    for v in _shacl(mini):
        if v.severity == "Violation" and v.focus in ours:
            from .namespaces import shorten

            line = line_of.get(v.focus)
            where = f"{path}:{line}" if line else str(path)
            raise CsvError(f"{where}: {shorten(v.focus)} {v.message}" + (f" ({shorten(v.path)})" if v.path else ""))


# ------------------------------------------------------------------ the import
# called with (work done, total work): rows planned, then validated, then written
Progress = Callable[[int, int], None]


def import_file(csv_path: str | Path, store_dir: str | Path, *, dry_run: bool = False,
                progress: Progress | None = None) -> ImportResult:
    from . import storage
    from .graph import KnowledgeGraph
    from .rdfio import check_readable

    path, store_dir = Path(csv_path), Path(store_dir)
    check_readable(path)
    storage.current_generation(store_dir)  # a clear error before reading anything
    data = path.read_bytes()
    text, encoding = decode(path, data)
    problems = _Problems(path)
    warnings: list[str] = []
    rows = read_rows(path, text, problems, warnings)

    with storage.write_lock(store_dir) if not dry_run else _nothing():
        backend = storage.StoreBackend(store_dir)
        kg = KnowledgeGraph(backend)
        quads, touched = plan_import(kg, path, rows, data, problems, progress)
        problems.raise_if_any()
        _add_english_names(touched, quads)
        store = backend.store
        seen, new = set(), []
        for q in quads:
            if q not in seen and ox.Quad(*q) not in store:
                seen.add(q)
                new.append(q)
        res = ImportResult(str(path), encoding, len(rows), len(new), warnings=warnings,
                           new_enterprises=sum(1 for e in touched.values() if not e.existing),
                           merged_enterprises=sum(1 for e in touched.values() if e.existing), quads=new)
        if not new:
            return res
        line_of = {}
        for q in quads:  # a focus node's row: the first row that mentions it as subject
            if q[0].value not in line_of:
                m = re.search(r"-row(\d+)$", q[2].value) if q[1] == DERIVED else None
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


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _write(store_dir: Path, backend, new: list, touched: dict, path: Path, data: bytes, encoding: str,
           res: ImportResult) -> None:
    """A new generation: the current database copied (hard links: cheap), the new triples
    added in one transaction, the name index and manifest updated; then swapped in."""
    from . import storage
    from .bundle import MANIFEST_FILE, load_names
    from .names import build_index

    old = backend.gen
    gen = storage.new_generation(store_dir)
    try:
        backend.store.backup(str(gen / storage.STORE_SUBDIR))
        disk = ox.Store(str(gen / storage.STORE_SUBDIR))
        disk.extend(ox.Quad(*q) for q in new)
        disk.flush()
        # the name index: only the enterprises this import touched need (re)indexing
        mini = ox.Store()
        for iri in touched:
            mini.extend(disk.quads_for_pattern(N(iri), None, None, None))
        fresh = {e["iri"]: e for e in build_index(mini)}
        entries = [e for e in (load_names(old) or []) if e["iri"] not in fresh] + list(fresh.values())
        entries.sort(key=lambda e: e["iri"])
        manifest = json.loads((old / MANIFEST_FILE).read_text(encoding="utf-8"))
        manifest.setdefault("imports", []).append({
            "path": str(path.resolve()), "name": path.name, "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data), "encoding": encoding, "rows": res.rows, "triples_added": res.added,
            "new_enterprises": res.new_enterprises, "merged_enterprises": res.merged_enterprises,
            "time": storage._now()})
        storage.finish_generation(gen, disk, manifest, names=entries)
        del disk
        storage.publish(store_dir, gen)
    except BaseException:
        shutil.rmtree(gen, ignore_errors=True)
        raise

"""The columns of an enterprise list (``qdgraph import``), in one table.

Each column says which header texts name it (English or Chinese), how a cell is read and
checked, whether it holds one value or several (``;``, ``；``, ``、`` or ``|`` between them),
which RDF property a value becomes, and its help line. The importer reads rows, and
``qdgraph import --help`` lists the columns, from this table alone.
"""
from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable

import pyoxigraph as ox

from qdgraph.namespaces import PREFIXES

ORG, SCHEMA, XSD = PREFIXES["org"], PREFIXES["schema"], PREFIXES["xsd"]
SPLIT = re.compile(r"\s*[;；、|]\s*")


def clean(text: str) -> str:
    """NFKC folds full-width letters and digits (ＡＢＣ１２３, common in Chinese forms)."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


@dataclass(frozen=True)
class Column:
    name: str                     # the English header, and the Row field it fills (``field``)
    zh: str                       # the Chinese header shown in help and errors
    aliases: tuple[str, ...]      # other header texts that mean it
    help: str
    field: str = ""               # Row attribute (default: name)
    many: bool = False            # several values in one cell
    required: bool = False
    check: Callable[[str], tuple[Any, str | None]] | None = None  # cell → (value, why it is wrong)
    predicate: str | None = None  # a single-valued fact of the enterprise, as this property
    term: Callable[[Any], "ox.Literal"] | None = None  # its value as an RDF term

    @property
    def attr(self) -> str:
        return self.field or self.name

    def headers(self) -> tuple[str, ...]:
        return (self.name, self.zh, *self.aliases)

    def read(self, cell: str) -> tuple[Any, str | None]:
        """The cell's value (a list for ``many``), and why it is wrong (or None)."""
        text = clean(cell)
        if self.many:
            return [v for v in SPLIT.split(text) if v], None
        if text and self.check is not None:
            return self.check(text)
        return text, None


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
        return ox.Literal(day.isoformat(), datatype=ox.NamedNode(XSD + "date")), None
    if mo:
        return ox.Literal(f"{y:04d}-{mo:02d}", datatype=ox.NamedNode(XSD + "gYearMonth")), None
    return ox.Literal(f"{y:04d}", datatype=ox.NamedNode(XSD + "gYear")), None


COLUMNS: list[Column] = [
    Column("name", "企业名称", ("名称", "企业", "公司名称", "单位名称"), "required; the Chinese name", required=True),
    Column("chain", "产业链", ("chains", "industry chain", "所属产业链", "重点产业链"),
           "required; one or more chains (separate with ; or 、), matched by name, alias or pinyin as in "
           "`qdgraph chains`", field="chains", many=True, required=True),
    Column("name_en", "英文名称", ("english name", "name (english)", "英文名"),
           "English name (default: romanised from the Chinese)"),
    Column("alias", "简称", ("aliases", "别名", "企业简称"), "other names, separated with ; or 、", field="aliases",
           many=True),
    Column("credit_code", "统一社会信用代码", ("uscc", "unified social credit code", "社会信用代码", "信用代码"),
           "18 characters, check digit verified (GB 32100-2015)", check=check_credit_code,
           predicate=ORG + "identifier", term=ox.Literal),  # W3C ORG: "such as a company registration number"
    Column("district", "区市", ("所在区市", "区县", "所在区", "所在地"), "e.g. 黄岛区",
           predicate=SCHEMA + "location", term=lambda v: ox.Literal(v, language="zh")),  # the ontology has no district term
    Column("founded", "成立日期", ("founding date", "成立时间"),
           "2019, 2019-05 or 2019-05-03 (also 2019/5/3, 2019年5月3日)", check=parse_founded,
           predicate=SCHEMA + "foundingDate", term=lambda v: v),
    Column("source", "来源", ("数据来源",), "where the row comes from (text or URL)"),
    Column("note", "备注", ("notes",), "free text"),
]
BY_NAME = {c.name: c for c in COLUMNS}
FACTS = [c for c in COLUMNS if c.predicate]  # single-valued: a second, different value is a conflict


_LEGAL = [("股份有限公司", "Co., Ltd."), ("有限责任公司", "Co., Ltd."), ("有限公司", "Co., Ltd."),
          ("集团", "Group")]


def romanise(name: str) -> str:
    """An English label from the Chinese name when the file gives none (the shapes want one):
    pinyin word by word, the city and the legal form translated. '青岛歌尔智能科技有限公司' →
    'Qingdao Geer Zhineng Keji Co., Ltd.'."""
    from qdgraph.names import pinyin_words

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
    for syllables in pinyin_words(core):
        py = "".join(syllables)
        if py.strip():
            words.append(py[:1].upper() + py[1:])
    return re.sub(r"\s+", " ", " ".join(words + [tail])).strip() or name

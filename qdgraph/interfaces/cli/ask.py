"""Commands that ask the graph: measures, show, search, listings, query, export."""
from __future__ import annotations

import sys

import click

from qdgraph.errors import UsageError
from qdgraph.interfaces.cli.common import (SHOWN, command, emit, emit_json, format_option, graph_options, lang_option,
                                           note, shell_word, terminal_safe)

from qdgraph.presentation.export import EXPORT_FORMATS
from qdgraph.presentation.formats import names as format_names
from qdgraph.presentation.formats import write

TABLE_FORMATS = format_names("select")
TABLE_NOTE_ROWS = 1000  # a streamed listing's table this long says that other formats print rows as they come


def _other(lang):
    return "en" if lang == "zh" else "zh"


# ---------------------------------------------------------------- measures
@command()
@click.argument("indicator")
@click.option("--basis", "basis", metavar="BASES",
              help="Only links whose own basis is one of these, comma-separated: stated, subject, hierarchy, "
                   "context (roadmap gives none: the same roadmap is context, see --context).")
@click.option("--full", is_flag=True, help=f"Every measure (the text lists the first {SHOWN} of each group) and every link "
                                          "of each, with its path, every premise and every quote.")
@click.option("--context", "context", is_flag=True,
              help="List the measures only on the same pillar's roadmap (context, not an effect).")
@graph_options
@format_option(["text", *TABLE_FORMATS], "text")
@lang_option
def measures(indicator, basis, full, context, kg, fmt, lang):
    """Which measures affect INDICATOR, and why.

    INDICATOR may be the Chinese or English name, an alias, pinyin (full or initials),
    part of the name, a near miss, or an IRI. The first line says whether the source states
    any measure→indicator link outright. Measures come grouped by the weakest basis their link
    rests on (stated by the source, same object, measure hierarchy, resting on a reading), the
    indicator's own object first, ties in the source's order; measures that work against the
    indicator are listed apart, and those only on the same pillar's roadmap are context
    (a count; --context lists them). The text lists the first 20 measures of each group and
    says how many more there are. Each quote is printed once and referred to by number;
    --full shows every measure, premise and quote; --format json carries everything.

    \b
    Examples:
      qdgraph measures 人才总量
      qdgraph measures "total talent" --lang en
      qdgraph measures 金融业增加值占比 --full
      qdgraph measures 地区生产总值 --context
      qdgraph measures rencaizongliang --format json
    """
    from qdgraph.domain.indicatorhead import indicator_head, parse_bases

    bases = parse_bases(basis)          # a bad --basis fails before the graph is opened
    head = indicator_head(kg(), indicator)
    if fmt == "text":  # the first line while the links are worked out
        emit(render_blocks(_header(head, lang)))
        sys.stdout.flush()
    from qdgraph.domain.measures import measures_for

    res = measures_for(kg(), head.indicator, bases, head=head)
    if fmt == "json":
        return emit_json(res.to_dict())
    if fmt != "text":
        from qdgraph.engine.results import SelectResult

        if context:
            rows = [[c[lang], c["measure"]] for c in res.context]
            return emit(write(SelectResult.from_values(["measure", "iri"], rows), fmt), fmt)
        rows = [[getattr(l, lang), g["key"], getattr(l, "basis_" + lang), getattr(l, "rule_" + lang) or "",
                 " → ".join(getattr(s, lang) for s in l.path),
                 " / ".join(_premise_text(p, lang) for p in l.premises),
                 " / ".join(e["exact"] for e in l.evidence)] for g in res.groups for l in g["links"]]
        cols = ["measure", "group", "basis", "rule", "path", "premises", "evidence"]
        return emit(write(SelectResult.from_values(cols, rows), fmt), fmt)
    emit(render_blocks(_context_text(res, lang, header=False) if context else _measures_text(res, lang, full, header=False)))


_REL = {
    "zh": {"qd:affects": "影响", "qd:worksAgainst": "反向作用于", "qd:subMeasureOf": "属于", "qd:onRoadmapOf": "列入路线图",
           "qd:concerns": "涉及", "^qd:measuredUnder": "由其反映", "^qd:measuresSubject": "为其度量对象",
           "qd:countsIn": "计入", "^qd:countsAgainst": "反向计入"},
    "en": {"qd:affects": "affects", "qd:worksAgainst": "works against", "qd:subMeasureOf": "part of",
           "qd:onRoadmapOf": "on the roadmap of", "qd:concerns": "concerns", "^qd:measuredUnder": "reflected by",
           "^qd:measuresSubject": "measured by", "qd:countsIn": "counts in", "^qd:countsAgainst": "counted against by"},
}


def _premise_text(p, lang) -> str:
    return f"{getattr(p, 'subject_' + lang)} —{getattr(p, 'relation_' + lang)}→ {getattr(p, 'object_' + lang)}"


def _width() -> int:
    """The terminal's width (COLUMNS, else the terminal, else 100)."""
    import shutil

    return max(40, shutil.get_terminal_size((100, 40)).columns)


def render_blocks(blocks) -> str:
    """Lay out ``blocks`` at the terminal's width: each a line of text or a list of (label, text)
    rows whose text wraps under itself. rich's Text does the wrapping (display cells, CJK
    folded between characters); only rich.text is imported: rich.console and rich.table cost
    200 ms of start-up (fractions, decimal), more than the lookup itself."""
    width = _width()
    out: list[str] = []
    for b in blocks:
        if isinstance(b, list):
            for label, texts in b:
                lead = _cells(label)
                for k, text in enumerate(texts if isinstance(texts, list) else [texts]):
                    pad = lead + 1 + (2 if k else 0)
                    for n, line in enumerate(_wrap(text, max(10, width - pad))):
                        head = (label + " ") if (k == 0 and n == 0) else " " * pad
                        out.append((head + line).rstrip())
        else:
            out += [line.rstrip() for line in _wrap(b, width)]
    return "\n".join(out) + "\n"


def _wrap(text: str, width: int) -> list[str]:
    """``text`` folded to ``width`` cells by rich's Text; a line that fits is kept as it is, and
    rich.text is not even imported for it (most lines fit: 0.1 s of a 600-line answer, and the
    first line of a lookup comes 20 ms sooner)."""
    if "\n" not in text and "\t" not in text and _cells(text) <= width:
        return [str(text)]
    from rich.text import Text

    return [line.plain for line in Text(text).wrap(None, width, overflow="fold")]


def _cells(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


class Clean(str):
    """Text made of cleaned data strings (and plain words), for render_blocks: never parsed as
    markup, and never cleaned twice."""


def text_of(*parts) -> Clean:
    """Cleaned data strings (and plain words), as one text for render_blocks."""
    from qdgraph.presentation.terminal import clean_line

    return Clean("".join(clean_line(p) for p in parts))


def rows_block(pairs, indent: int = 0) -> list:
    """Rows (label, text or [texts]) whose text wraps under itself: a hanging indent."""
    return [(" " * indent + a, b if isinstance(b, (Clean, list)) else text_of(b)) for a, b in pairs]


def _table(headers: list[str], rows: list[list]) -> str:
    """A table for people, wrapped to the terminal's width (rich's Table folds long cells over
    several lines instead of cutting them); data as cleaned Text, never read as markup."""
    import io

    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    for h in headers:
        table.add_column(text_of(h), overflow="fold")
    for row in rows:
        table.add_row(*[text_of(str(c).replace("\n", " ")) for c in row])
    out = io.StringIO()
    Console(file=out, width=_width(), markup=False, highlight=False, emoji=False, color_system=None,
            force_terminal=False).print(table)
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines() if line.strip()) + "\n"


class _Quotes:
    """Quotes numbered in the order first cited: each printed once, referred to as 〔n〕. Without
    ``full``, a quote cited for a measure is cut to the clauses holding the measure's own words
    (the rest of a long sentence says other things)."""
    def __init__(self, full: bool = False):
        self.texts: list[str] = []
        self.full = full

    def ref(self, text: str, words: str = "") -> str:
        text = _oneline(text)
        if words and not self.full:
            text = _excerpt(text, words)
        if text not in self.texts:
            self.texts.append(text)
        return f"〔{self.texts.index(text) + 1}〕"


_CLAUSE_END = "，；。：！？"


def _excerpt(text: str, words: str) -> str:
    """The clauses of ``text`` that hold ``words`` (or their first characters), with "…" where cut."""
    import re

    for k in (len(words), 8, 5):
        key = re.sub(r"\s", "", words)[:k]
        at = text.find(key) if key else -1
        if at >= 0:
            break
    else:
        return text
    start = max((text.rfind(c, 0, at) for c in _CLAUSE_END), default=-1) + 1
    ends = [i for i in (text.find(c, at + len(key)) for c in _CLAUSE_END) if i >= 0]
    end = min(ends) + 1 if ends else len(text)
    if end - start >= len(text) - 4:
        return text
    return ("…" if start > 0 else "") + text[start:end].rstrip("，；：") + ("…" if end < len(text) else "")


def _holding(texts: list, words: str) -> str:
    """The first of ``texts`` that holds ``words`` (or their first characters), else the first."""
    flat = ["".join(x.split()) for x in texts]
    for k in (len(words), 8, 5):
        for x, f in zip(texts, flat):
            if words[:k] and words[:k] in f:
                return x
    return texts[0] if texts else ""


def _header(res, lang) -> list:
    zh = lang == "zh"
    name, other = getattr(res, lang), getattr(res, _other(lang))
    parts = [f"{name} ({other})"]
    if res.pillar:
        parts.append(("任务: " if zh else "pillar: ") + getattr(res, "pillar_" + lang))
    if res.target:
        year = f" ({'到' if zh else 'by '}{res.target['year']}{'年' if zh else ''})" if res.target.get("year") else ""
        parts.append(("目标: " if zh else "target: ") + res.target[lang] + year)
    return [text_of(" · ".join(parts))]


def _measures_text(res, lang, full: bool = False, header: bool = True) -> list:
    zh = lang == "zh"
    out = _header(res, lang) if header else []
    n, m = len(res.links), len(res.against)
    if res.stated:
        first = "原文直接陈述了部分措施作用于该指标" if zh else "The source states some measure→indicator links outright"
    else:
        first = "原文没有直接说哪项措施作用于该指标" if zh else "The source states no measure→indicator link outright"
    if n:
        first += (f"；以下 {n} 项由规则从措施的对象推出" if zh else f": {n} derived by rules")
    elif res.basis_filter:
        first += ("；没有这种依据的关联" if zh else ": none with that basis")
    elif not m:
        first += ("，也没有措施的对象与它度量的对象相连" if zh else ", and no measure's object ties to what it measures")
    if m:
        first += (f"；另有 {m} 项反向作用" if zh else f", {m} against")
    out.append(text_of(first + ("。" if zh else ".")))
    if res.basis_filter:
        shown = ("，" if zh else ", ").join((res.basis_labels.get(b) or {}).get(lang) or b for b in res.basis_filter)
        out.append(text_of(f"只列出依据为 {shown} 的关联" if zh else f"only links with basis {shown}"))
    quotes = _Quotes(full)
    rid = {}

    def reading_ref(rc):
        if rc not in rid:
            rid[rc] = f"R{len(rid) + 1}"
        return rid[rc]

    for g in res.groups:
        out.append(text_of(f"── {g[lang]} ({len(g['links'])}) ──"))
        shown = g["links"] if full else g["links"][:SHOWN]
        rows = []
        for i, ml in enumerate(shown, 1):
            rows.append((f"{i:>2}.", _measure_line(ml, lang, quotes, reading_ref, full)))
        out.append(rows_block(rows))
        if len(shown) < len(g["links"]):
            out.append(text_of(_more(len(g["links"]) - len(shown), lang)))
    if rid:
        out.append(text_of("解读（原文没有直说；qdgraph readings 列出全部，可在 data/verdicts.ttl 否决）:" if zh
                      else "readings (not said by the source; see qdgraph readings; data/verdicts.ttl can reject):"))
        rows = []
        for rc, ref in rid.items():
            r = res.readings.get(rc)
            if r is None:
                continue
            why = r.rationale.get(lang) or r.rationale.get(_other(lang)) or ""
            if full:
                text = f"{getattr(r, 'subject_' + lang)} —{getattr(r, 'relation_' + lang)}→ {getattr(r, 'object_' + lang)}: {why}"
            else:  # its subject is the measure or the indicator shown above: the relation and object say which reading
                text = (f"[{getattr(r, 'relation_' + lang)}{getattr(r, 'object_' + lang)}]{why}" if zh  # no space: rich
                        else f"[{getattr(r, 'relation_' + lang)} {getattr(r, 'object_' + lang)}] {why}")  # breaks at spaces only
            if full:  # the sentences it is drawn from (cited for what they say, not for the reading)
                text += (" 据" if zh else " drawn from ") + "".join(quotes.ref(q) for q in r.quotes)
            rows.append((ref, text_of(text)))
        out.append(rows_block(rows, 1))
    if quotes.texts:
        out.append(text_of("原文:" if zh else "source:"))
        out.append(rows_block([(f"〔{k}〕", text_of(f"“{q}”")) for k, q in enumerate(quotes.texts, 1)], 1))
    if res.context:
        cmd = f"qdgraph measures {shell_word(res.zh)} --context"
        out.append(text_of(f"背景（不算作用）: 同一任务路线图上另有 {len(res.context)} 项措施；列出: {cmd}" if zh
                      else f"context (not an effect): {len(res.context)} more on the pillar's roadmap; list: {cmd}"))
    return out


def _more(n: int, lang: str) -> str:
    """What a list cut at SHOWN says it left out."""
    return f"… 另有 {n:,} 项（--full 列出全部）" if lang == "zh" else f"… and {n:,} more (--full lists them all)"


def _measure_line(ml, lang, quotes, reading_ref, full):
    """One measure: its name, then how it is linked (rule, object, readings) and its quotes by number."""
    zh = lang == "zh"
    top = ml.links[0]
    hops = []
    for s in top.path[1:-1]:
        hops.append(getattr(s, lang))
    via = ("经" + "、".join(hops)) if hops and zh else ", ".join(hops)
    rule = getattr(top, "rule_" + lang) or getattr(top, "basis_" + lang)
    # of the measure's own premise's quotes, the one holding its words (the others say other things)
    refs = "".join(quotes.ref(_holding(p.quotes, ml.zh), ml.zh) for p in top.premises[:1] if p.subject == ml.measure)
    if not top.premises:
        refs = "".join(quotes.ref(e["exact"], ml.zh) for e in top.evidence[:1])
    reads = ("；" if zh else "; ") + (("解读" if zh else "reading ") + ",".join(reading_ref(r) for r in top.readings)) if top.readings else ""
    why = f"[{rule}{('：' if zh else ': ') + via if via else ''}{reads}] {refs}"  # the space keeps 〔n〕 whole
    if not full:
        return text_of(getattr(ml, lang), "" if zh else "  ", why)
    lines = [text_of(getattr(ml, lang), "" if zh else "  ", why)]
    for k, l in enumerate(ml.links):
        kind = ("原文陈述" if zh else "stated") if l.basis == "qd:Stated" else ("推断" if zh else "inferred")
        r = getattr(l, "rule_" + lang)
        r = (f"（规则：{r}）" if zh else f" (rule: {r})") if r else ""
        weakest = f"; {'最弱前提' if zh else 'weakest premise'}: {l.weakest}" if l.weakest and l.weakest != l.basis else ""
        lines.append(text_of(f"{'依据' if zh else 'link'} {k + 1}: {kind}{r} — {getattr(l, 'basis_' + lang)}{weakest}"))
        path = []
        for s in l.path:
            path.append(getattr(s, lang))
            if s.relation:
                path.append(f"—{_REL[lang].get(s.relation, s.relation)}→")
        lines.append(text_of(f"  {'路径' if zh else 'path'}: " + " ".join(path)))
        for p in l.premises:
            b = "" if p.basis == "qd:Stated" else f" [{p.basis}]"
            lines.append(text_of(f"  {'前提' if zh else 'premise'}: {_premise_text(p, lang)}{b} "
                            + "".join(quotes.ref(q) for q in p.quotes)))
            why_p = p.rationale.get(lang) or p.rationale.get(_other(lang))
            if why_p:
                lines.append(text_of(f"    {'理由：' if zh else 'why: '}{why_p}"))
        if l.readings:
            lines.append(text_of(f"  {'依赖解读' if zh else 'rests on'}: " + ", ".join(reading_ref(r) for r in l.readings)))
        if not l.premises:
            lines.append(text_of(f"  {'原文' if zh else 'source'}: " + "".join(quotes.ref(e["exact"]) for e in l.evidence)))
    return lines


def _context_text(res, lang, header: bool = True) -> list:
    zh = lang == "zh"
    out = _header(res, lang) if header else []
    out.append(text_of(f"同一任务路线图上、不算作用于该指标的措施（背景）: {len(res.context)} 项，按原文顺序" if zh
                  else f"measures only on the same pillar's roadmap (context, not an effect): {len(res.context)}, in the source's order"))
    out.append(rows_block([(f"{i:>2}.", text_of(c[lang] or c["measure"])) for i, c in enumerate(res.context, 1)]))
    return out


def _oneline(text: str) -> str:
    """A quote on one line: its line breaks (kept exact in the graph) shown as a space-free join."""
    return "".join(part.strip() for part in text.splitlines())


# ---------------------------------------------------------------- show


@command()
@click.argument("name")
@click.option("--full", is_flag=True, help=f"Every item of each relation (the text lists the first {SHOWN}).")
@graph_options
@format_option(["text", "json"], "text")
@lang_option
def show(name, full, kg, fmt, lang):
    """Everything the graph says about NAME: type, labels, facts, relations, provenance.

    The text lists the first 20 items of each relation and says how many more there are;
    --full lists them all; --format json carries everything.

    \b
    Examples:
      qdgraph show 歌尔
      qdgraph show 卡奥斯 --format json
      qdgraph show qdr:indicator-gdp
    """
    from qdgraph.domain.entity import describe

    card = describe(kg(), name, limit=None if full or fmt == "json" else SHOWN)
    if fmt == "json":
        return emit_json(card.to_dict())
    emit(_card_text(card, lang))


def _card_text(card, lang) -> str:
    from qdgraph.namespaces import shorten

    zh = lang == "zh"
    labels = card.labels
    title = (labels.get(lang) or labels.get(_other(lang)) or [shorten(card.iri)])[0]
    out = [title, "=" * min(60, len(title) * 2), f"IRI: {card.iri}"]
    if card.types:
        out.append(("类型: " if zh else "type: ") + ", ".join(f"{t[lang]} ({shorten(t['iri'])})" for t in card.types))
    for lg, texts in sorted(labels.items()):
        out.append(f"{'名称' if zh else 'label'} [{lg or '-'}]: " + " / ".join(texts))
    if card.facts:
        out.append("\n" + ("属性" if zh else "facts"))
        for p, vals in card.facts.items():
            for v in vals:
                out.append(f"  {p}: {v}")
    for heading, side, group in ((("关系（出）" if zh else "relations out"), "out", card.out),
                                 (("关系（入）" if zh else "relations in"), "into", card.into)):
        if not group:
            continue
        out.append("\n" + heading)
        for p, items in group.items():
            out.append(f"  {p}")
            for it in items:
                basis = f"  [{it['basis']}]" if it.get("basis") else ""
                out.append(f"    - {it[lang] or it[_other(lang)] or shorten(it['iri'])}{basis}")
            more = card.cut.get(side, {}).get(p, 0) - len(items)
            if more > 0:
                out.append("    " + _more(more, lang))
    if card.provenance:
        out.append("\n" + ("来源" if zh else "provenance"))
        for p in card.provenance:
            out.append(f"  “{p['exact']}”  ({shorten(p['source']) if p['source'] else ''})")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- search
@command()
@click.argument("text")
@click.option("--type", "types", multiple=True, metavar="CLASS",
              help="Only entities of this class (e.g. Indicator, qd:Measure); repeatable.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000), help="At most N results.")
@graph_options
@format_option(TABLE_FORMATS, "table")
def search(text, types, limit, kg, fmt):
    """Ranked matches for TEXT over every entity (Chinese, English, aliases, pinyin).

    \b
    Examples:
      qdgraph search 集群
      qdgraph search xunixianshi
      qdgraph search finance --type Indicator
    """
    import pyoxigraph as ox

    from qdgraph.engine.results import SelectResult

    types = [t if ":" in t else f"qd:{t}" for t in types]
    hits = kg().names().search(text, types, limit=limit)
    if not hits and fmt == "table":
        click.echo(f"no entity matches {text!r}", err=True)
        sys.exit(1)
    rows = [[f"{s:g}", e.get("zh") or "", e.get("en") or "", ", ".join(e["types"]), ox.NamedNode(e["iri"])]
            for s, e in hits]
    emit(write(SelectResult.from_values(["score", "zh", "en", "type", "iri"], rows), fmt), fmt)


# ---------------------------------------------------------------- listings
def _listing(name, columns, fmt, kg, lang):
    """Print a named query; as a table, only ``columns`` (``x_{lang}`` picks a label language
    and is headed ``x``)."""
    res = kg().named(name)
    if fmt != "table":
        return emit(write(res, fmt), fmt)
    from qdgraph.engine.results import display

    cols = [c.format(lang=lang) for c in columns]
    emit(_table([c.removesuffix("_" + lang) for c in cols], [[display(r.get(c)) for c in cols] for r in res.rows]))


def _text(row, key) -> str:
    term = row.get(key)
    return term.value if term is not None else ""


@command()
@graph_options
@format_option(TABLE_FORMATS, "table")
@lang_option
def pillars(kg, fmt, lang):
    """The four pillars (四个走在前列), with how many indicators and measures each has.

    \b
    Examples:
      qdgraph pillars
      qdgraph pillars --lang en --format csv
    """
    words = ["task", "leadArea"] if lang == "zh" else ["task_en", "leadArea_en"]
    _listing("pillars", ["notation", "pillar_{lang}", *words, "indicators", "measures"], fmt, kg, lang)


@command()
@graph_options
@format_option(TABLE_FORMATS, "table")
@lang_option
def indicators(kg, fmt, lang):
    """The twelve indicators: pillar, indicator, target, unit, year, baseline.

    \b
    Examples:
      qdgraph indicators
      qdgraph indicators --lang en
      qdgraph indicators --format json
    """
    if fmt != "table":
        return emit(write(kg().named("indicators"), fmt), fmt)
    from qdgraph.domain.wording import indicator_rows

    keys = ["notation", "pillar_" + lang, "indicator_" + lang, "target_" + lang, "unit_" + lang, "year", "baseline"]
    rows = [[r[k] for k in keys] for r in indicator_rows(kg())]
    emit(_table(["#", "pillar", "indicator", "target", "unit", "year", "baseline"], rows))


@command()
@graph_options
@format_option(TABLE_FORMATS, "table")
@lang_option
def chains(kg, fmt, lang):
    """Industry chains: category, cluster tier, enterprises and platforms.

    \b
    Examples:
      qdgraph chains
      qdgraph chains --format csv > chains.csv
    """
    if fmt != "table":
        return emit(write(kg().named("chains"), fmt), fmt)
    rows = []
    for r in kg().named("chains").rows:
        def v(k, r=r):
            return _text(r, k)
        suffix = "" if lang == "zh" else "_en"  # category, tier and names in the reader's language
        members = sorted(m for m in (v("enterprises" + suffix) or v("enterprises")).split("; ") if m)  # sorted here: no engine's order matters
        shown = ("、" if lang == "zh" else ", ").join(members[:6]) + (f" … (+{len(members) - 6})" if len(members) > 6 else "")
        join = "、" if lang == "zh" else "; "
        rows.append([v("chain_" + lang), join.join(sorted(v("categories" + suffix).split("; "))),
                     join.join(sorted(v("tiers" + suffix).split("; "))), v("enterprise_count") or "0", shown])
    emit(_table(["chain", "category", "tier", "n", "enterprises"], rows))


@command()
@graph_options
@format_option(TABLE_FORMATS, "table")
@lang_option
def summary(kg, fmt, lang):
    """What the graph holds: entities per class, and the sources they rest on.

    \b
    Examples:
      qdgraph summary
      qdgraph summary --store ~/qd-store
    """
    g = kg()
    if fmt != "table":
        return emit(write(g.named("stats"), fmt), fmt)
    _listing("stats", ["class_{lang}", "count"], "table", kg, lang)
    _listing("sources", ["title", "file", "quotes"], "table", kg, lang)
    emit(f"{len(g)} triples")


# ---------------------------------------------------------------- query
@command()
@click.argument("sparql", required=False)
@click.option("-f", "--file", "qfile", type=click.File("rb"), help="Read the query from FILE.rq ('-' for stdin).")
@click.option("--name", "-n", "qname", metavar="NAME", help="Run a named query (see `qdgraph queries`).")
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE",
              help="Bind ?KEY to VALUE (<iri>, qd:name, \"text\"@zh, 42, or plain text); repeatable.")
@graph_options
@click.option("--format", "-F", "fmt", type=click.Choice(format_names("select", "ask", "graph")), default=None,
              help=f"{'|'.join(TABLE_FORMATS)} for SELECT/ASK (default table); "
                   f"{'|'.join(format_names('graph'))} for CONSTRUCT/DESCRIBE (default turtle). "
                   "csv, tsv, json and xml print rows as they come; a table waits for every row (its column widths).")
@click.option("--reason", type=click.Choice(["rdfs", "owlrl"]), help="Query the RDFS or OWL-RL inferred closure.")
@click.option("--timeout", type=float, metavar="SECONDS", help="Give up after SECONDS.")
def query(sparql, qfile, qname, params, kg, fmt, reason, timeout):
    """Run a read-only SPARQL query.

    The query comes from the SPARQL argument, -f FILE.rq, --name NAME, or stdin. The prefixes
    qd, qdr, rdf, rdfs, owl, xsd, skos, org, prov, dcterms, qudt, unit, cur, time, schema, oa,
    foaf, sh, qb, sdmx-dimension, sdmx-measure and sdmx-attribute are predeclared. Parameters are bound as RDF terms, never pasted into the query. UPDATE,
    LOAD and SERVICE are refused; FROM may name only graphs the store holds.

    \b
    Examples:
      qdgraph query 'SELECT ?i ?l WHERE { ?i a qd:Indicator ; rdfs:label ?l }'
      qdgraph query -f my.rq --format csv
      qdgraph query --name measures-for-indicator --param indicator=qdr:indicator-gdp
      echo 'ASK { ?x a qd:Pillar }' | qdgraph query
    """
    from qdgraph.engine.sparql import parse_params

    sources = [s for s in (sparql, qfile, qname) if s]
    if len(sources) > 1:
        raise UsageError("give the query one way: an argument, -f FILE or --name NAME")
    bound = parse_params(params)
    if qname:
        text = None  # run by kg.named, which checks the parameters the file declares
    elif qfile:
        text = query_text(qfile.read(), qfile.name)
    elif sparql:
        text = sparql
    elif not sys.stdin.isatty():
        text = query_text(sys.stdin.buffer.read(), "<stdin>")
    else:
        raise UsageError("no query: give it as an argument, -f FILE.rq, --name NAME or on stdin")
    if not qname:  # refused before any store is opened (the library checks again, from its memo)
        from qdgraph.engine.sparql import check_query

        check_query(text, allow_from=not kg.args[1])
    g = kg(reason=reason, timeout=timeout)  # --timeout covers the reasoning too
    _offline_if_local(kg)
    # rows go out as the engine gives them: a 10-million-row answer is never held whole
    stream = fmt in ("csv", "tsv", "xml", "json") and timeout is None
    if qname:
        res = g.named(qname, bound, stream=stream, timeout=timeout)
    elif stream:
        res = g.stream(text, bound)
    else:
        res = g.query(text, bound, timeout=timeout)
    fmt = fmt or ("turtle" if res.kind == "graph" else "table")
    if fmt not in format_names(res.kind):
        forms = "CONSTRUCT/DESCRIBE" if res.kind == "graph" else "SELECT/ASK"
        raise UsageError(f"--format {fmt} is not for {forms}; they give {', '.join(format_names(res.kind))}")
    if res.kind == "select" and fmt in ("csv", "tsv", "xml", "json"):
        from qdgraph.presentation.formats import write_select

        write_select(res.variables, res.rows, "json-lines" if fmt == "json" else fmt, terminal_safe(sys.stdout))
    elif res.kind == "select" and fmt == "table":  # wrapped to the terminal's width, not cut
        from qdgraph.engine.results import display

        rows = list(res.rows)
        emit(_table(list(res.variables), [[display(r.get(v)) for v in res.variables] for r in rows]))
        if qname and len(rows) >= TABLE_NOTE_ROWS:
            from qdgraph.engine.queries import get_query

            if get_query(qname).stream:  # a listing that could have come row by row: say why it waited
                note(f"qdgraph: note: a table waits for every row of {qname} ({len(rows):,} here: its column "
                     "widths); -F tsv, csv, json or xml print the rows as they come")
    else:
        emit(write(res, fmt), fmt)
    if getattr(res, "truncated", False):
        click.echo(f"qdgraph: warning: the answer was cut at {len(res)} rows by the server's row cap; "
                   "ask for less (LIMIT/OFFSET, a narrower pattern) or raise the cap", err=True)


def _offline_if_local(kg) -> None:
    """A query on a local graph needs no network: the `qdgraph` process gives it up before the
    engine sees user SPARQL, so a query the guard missed still fetches nothing."""
    from qdgraph.interfaces import cli

    if cli.OWN_PROCESS and not kg.args[1]:  # (store, endpoint): no endpoint
        from qdgraph.engine.sandbox import deny_network

        deny_network()


def query_text(data: bytes, name: str) -> str:
    """A query file's text: UTF-8 (a byte-order mark is dropped); anything else is refused."""
    if b"\0" in data:
        raise UsageError(f"{name}: a binary file, not a SPARQL query")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        raise UsageError(f"{name}: not UTF-8 text (byte {err.start}); save the query as UTF-8") from None


@command()
@click.option("--show", "show_name", metavar="NAME", help="Print the text of one named query.")
def queries(show_name):
    """List the named queries (run one with `qdgraph query --name NAME`).

    \b
    Examples:
      qdgraph queries
      qdgraph queries --show measures-for-indicator
    """
    from qdgraph.engine.queries import all_queries, get_query

    if show_name:
        return emit(get_query(show_name).text)
    rows = [[q.name, ", ".join(f"{p.name} ({p.kind})" for p in q.params), q.description]
            for q in all_queries().values()]
    emit(_table(["name", "params", "description"], rows))


# ---------------------------------------------------------------- export
@command()
@graph_options
@click.option("--format", "-F", "fmt", type=click.Choice(EXPORT_FORMATS), default="turtle", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file (default: stdout).")
def export(kg, fmt, output):
    """Write the whole graph. turtle/json-ld/nt are RDF; graphml is the NetworkX projection
    (entities as nodes, relations as edges); csv is one row per triple (excel: the same CSV
    with a UTF-8 byte-order mark, so Excel opens the Chinese text correctly).

    \b
    Examples:
      qdgraph export --format turtle -o qdgraph.ttl
      qdgraph export --format graphml -o qdgraph.graphml
      qdgraph export --format excel -o qdgraph.csv
    """
    from qdgraph.presentation.export import export_graph

    text = export_graph(kg(), fmt)
    if output:
        from qdgraph.fileio import write_atomic

        write_atomic(output, text)
        note(f"wrote {output}")
    else:
        emit(text, fmt)

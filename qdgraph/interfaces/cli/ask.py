"""Commands that ask the graph: measures, show, search, listings, query, export."""
from __future__ import annotations

import sys

import click

from qdgraph.errors import UsageError
from qdgraph.interfaces.cli.common import (command, emit, emit_json, format_option, graph_options, lang_option, note,
                                           terminal_safe)

from qdgraph.presentation.formats import names as format_names
from qdgraph.presentation.formats import write

TABLE_FORMATS = format_names("select")


def _other(lang):
    return "en" if lang == "zh" else "zh"


# ---------------------------------------------------------------- measures
@command()
@click.argument("indicator")
@click.option("--basis", "basis", metavar="BASES",
              help="Only links of these bases, comma-separated: stated, subject, hierarchy, roadmap, context.")
@graph_options
@format_option(["text", *TABLE_FORMATS], "text")
@lang_option
def measures(indicator, basis, kg, fmt, lang):
    """Which measures affect INDICATOR, and why.

    INDICATOR may be the Chinese or English name, an alias, pinyin (full or initials),
    part of the name, a near miss, or an IRI. Measures come strongest link first (stated by
    the source, then same subject, then measure hierarchy, then same roadmap); each link
    names the rule that derived it, its premises and the sentences behind them.

    \b
    Examples:
      qdgraph measures 人才总量
      qdgraph measures "total talent" --lang en
      qdgraph measures 金融业增加值占比 --basis subject
      qdgraph measures rencaizongliang --format json
    """
    from qdgraph.domain.measures import measures_for, parse_bases

    bases = parse_bases(basis)          # a bad --basis fails before the graph is opened
    res = measures_for(kg(), indicator, bases)
    if fmt == "json":
        return emit_json(res.to_dict())
    if fmt != "text":
        from qdgraph.engine.results import SelectResult

        rows = [[getattr(l, lang), getattr(l, "basis_" + lang), getattr(l, "rule_" + lang) or "",
                 " → ".join(getattr(s, lang) for s in l.path),
                 " / ".join(_premise_text(p, lang) for p in l.premises),
                 " / ".join(e["exact"] for e in l.evidence)] for l in res.links]
        cols = ["measure", "basis", "rule", "path", "premises", "evidence"]
        return emit(write(SelectResult.from_values(cols, rows), fmt), fmt)
    emit(_measures_text(res, lang))


_REL = {
    "zh": {"qd:affects": "影响", "qd:subMeasureOf": "属于", "qd:onRoadmapOf": "列入路线图", "qd:concerns": "涉及",
           "^qd:measuredUnder": "由其反映", "^qd:measuresSubject": "为其度量对象"},
    "en": {"qd:affects": "affects", "qd:subMeasureOf": "part of", "qd:onRoadmapOf": "on the roadmap of",
           "qd:concerns": "concerns", "^qd:measuredUnder": "reflected by", "^qd:measuresSubject": "measured by"},
}


def _premise_text(p, lang) -> str:
    return f"{getattr(p, 'subject_' + lang)} —{getattr(p, 'relation_' + lang)}→ {getattr(p, 'object_' + lang)}"


def _measures_text(res, lang) -> str:
    zh = lang == "zh"
    name, other = getattr(res, lang), getattr(res, _other(lang))
    out = [f"{name} ({other})"]
    if res.pillar:
        out.append(("任务: " if zh else "pillar: ") + getattr(res, "pillar_" + lang))
    if res.target:
        year = f" ({'到' if zh else 'by '}{res.target['year']}{'年' if zh else ''})" if res.target.get("year") else ""
        out.append(("目标: " if zh else "target: ") + res.target[lang] + year)
    n = len(res.links)
    if not res.counts:
        out.append("原文没有给出作用于该指标的措施。" if zh else "The source gives no measure for this indicator.")
        return "\n".join(out)
    def basis(b):
        return res.basis_labels.get(b, {}).get(lang) or b.split(":")[-1]

    counts = ("，" if zh else ", ").join(f"{basis(k)} {v}" for k, v in res.counts.items())
    out.append((f"各依据的关联数: {counts}" if zh else f"links per basis: {counts}"))
    if res.basis_filter:
        shown = ("，" if zh else ", ").join(basis(b) for b in res.basis_filter)
        out.append((f"只列出依据为 {shown} 的关联" if zh else f"only links with basis {shown}"))
    if not n:
        out.append("没有这种依据的措施。" if zh else "No measure has a link with that basis.")
        return "\n".join(out)
    out.append((f"影响该指标的措施: {n} 项（强者在前）" if zh else f"{n} measure{'s' if n != 1 else ''} affect it (strongest first)") + "\n")
    for i, link in enumerate(res.links, 1):
        out.append(f"{i}. {getattr(link, lang)}")
        out.append(f"   {'英文' if zh else 'zh'}: {getattr(link, _other(lang))}")
        for k, l in enumerate(link.links):
            kind = ("原文陈述" if zh else "stated") if l.basis == "qd:Stated" else ("推断" if zh else "inferred")
            rule = getattr(l, "rule_" + lang)
            rule = (f"（规则：{rule}）" if zh else f" (rule: {rule})") if rule else ""
            lead = ("依据" if zh else "link") if k == 0 else ("另有" if zh else "also")
            out.append(f"   {lead}: {kind}{rule} — {getattr(l, 'basis_' + lang)}")
            if k > 0:
                continue      # weaker links of the same measure: one line each
            if k == 0:
                hops = []
                for s in l.path:
                    hops.append(getattr(s, lang))
                    if s.relation:
                        hops.append(f"—{_REL[lang].get(s.relation, s.relation)}→")
                out.append(f"   {'路径' if zh else 'path'}: " + " ".join(hops))
            for p in l.premises:
                out.append(f"   {'前提' if zh else 'premise'}: {_premise_text(p, lang)}")
                for q in p.quotes:
                    out.append(f"      {'原文' if zh else 'source'}: “{_oneline(q)}”")
            why = l.rationale.get(lang) or l.rationale.get(_other(lang))
            if why:
                out.append(f"   {'理由' if zh else 'why'}: {why}")
            if not l.premises:
                for e in l.evidence:
                    out.append(f"   {'原文' if zh else 'source'}: “{_oneline(e['exact'])}”")
        out.append("")
    return "\n".join(out)


def _oneline(text: str) -> str:
    """A quote on one line: its line breaks (kept exact in the graph) shown as a space-free join."""
    return "".join(part.strip() for part in text.splitlines())


# ---------------------------------------------------------------- show
@command()
@click.argument("name")
@graph_options
@format_option(["text", "json"], "text")
@lang_option
def show(name, kg, fmt, lang):
    """Everything the graph says about NAME: type, labels, facts, relations, provenance.

    \b
    Examples:
      qdgraph show 歌尔
      qdgraph show 卡奥斯 --format json
      qdgraph show qdr:indicator-gdp
    """
    from qdgraph.domain.entity import describe

    card = describe(kg(), name)
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
    for heading, group in ((("关系（出）" if zh else "relations out"), card.out),
                           (("关系（入）" if zh else "relations in"), card.into)):
        if not group:
            continue
        out.append("\n" + heading)
        for p, items in group.items():
            out.append(f"  {p}")
            for it in items:
                basis = f"  [{it['basis']}]" if it.get("basis") else ""
                out.append(f"    - {it[lang] or it[_other(lang)] or shorten(it['iri'])}{basis}")
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
    from qdgraph.presentation.formats import render_table
    from qdgraph.engine.results import display

    cols = [c.format(lang=lang) for c in columns]
    emit(render_table([c.removesuffix("_" + lang) for c in cols], [[display(r.get(c)) for c in cols] for r in res.rows]))


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
    _listing("pillars", ["notation", "pillar_{lang}", "task", "leadArea", "indicators", "measures"], fmt, kg, lang)


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
    from qdgraph.presentation.formats import render_table
    from qdgraph.domain.wording import indicator_rows

    keys = ["notation", "pillar_" + lang, "indicator_" + lang, "target_" + lang, "unit_" + lang, "year", "baseline"]
    rows = [[r[k] for k in keys] for r in indicator_rows(kg())]
    emit(render_table(["#", "pillar", "indicator", "target", "unit", "year", "baseline"], rows))


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
    from qdgraph.presentation.formats import render_table

    rows = []
    for r in kg().named("chains").rows:
        def v(k, r=r):
            return _text(r, k)
        members = sorted(m for m in v("enterprises").split("; ") if m)  # sorted here: no engine's order matters
        shown = "、".join(members[:6]) + (f" … (+{len(members) - 6})" if len(members) > 6 else "")
        rows.append([v("chain_" + lang), "、".join(sorted(v("categories").split("; "))),
                     "、".join(sorted(v("tiers").split("; "))), v("enterprise_count") or "0", shown])
    emit(render_table(["chain", "category", "tier", "n", "enterprises"], rows))


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
                   f"{'|'.join(format_names('graph'))} for CONSTRUCT/DESCRIBE (default turtle).")
@click.option("--reason", type=click.Choice(["rdfs", "owlrl"]), help="Query the RDFS or OWL-RL inferred closure.")
@click.option("--timeout", type=float, metavar="SECONDS", help="Give up after SECONDS.")
def query(sparql, qfile, qname, params, kg, fmt, reason, timeout):
    """Run a read-only SPARQL query.

    The query comes from the SPARQL argument, -f FILE.rq, --name NAME, or stdin. The prefixes
    qd, qdr, rdf, rdfs, owl, xsd, skos, org, prov, dcterms, qudt, unit, time, schema, oa and foaf
    are predeclared. Parameters are bound as RDF terms, never pasted into the query. UPDATE,
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
    g = kg(reason=reason)
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
    else:
        emit(write(res, fmt), fmt)
    if getattr(res, "truncated", False):
        click.echo(f"qdgraph: warning: the answer was cut at {len(res)} rows by the server's row cap; "
                   "ask for less (LIMIT/OFFSET, a narrower pattern) or raise the cap", err=True)


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
    from qdgraph.presentation.formats import render_table

    if show_name:
        return emit(get_query(show_name).text)
    rows = [[q.name, ", ".join(f"{p.name} ({p.kind})" for p in q.params), q.description]
            for q in all_queries().values()]
    emit(render_table(["name", "params", "description"], rows))


# ---------------------------------------------------------------- export
@command()
@graph_options
@click.option("--format", "-F", "fmt", type=click.Choice([*format_names("graph"), "graphml", "csv"]),
              default="turtle", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file (default: stdout).")
def export(kg, fmt, output):
    """Write the whole graph. turtle/json-ld/nt are RDF; graphml is the NetworkX projection
    (entities as nodes, relations as edges); csv is one row per triple.

    \b
    Examples:
      qdgraph export --format turtle -o qdgraph.ttl
      qdgraph export --format graphml -o qdgraph.graphml
    """
    from qdgraph.presentation.export import export_graph

    text = export_graph(kg(), fmt)
    if output:
        from qdgraph.fileio import write_atomic

        write_atomic(output, text)
        note(f"wrote {output}")
    else:
        emit(text, fmt)

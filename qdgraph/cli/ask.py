"""Commands that ask the graph: measures, show, search, listings, query, export."""
from __future__ import annotations

import sys

import click

from ..errors import UsageError
from .common import emit, emit_json, format_option, graph_options, lang_option

TABLE_FORMATS = ["table", "json", "csv", "tsv"]


def _other(lang):
    return "en" if lang == "zh" else "zh"


# ---------------------------------------------------------------- measures
@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("indicator")
@graph_options
@format_option(["text", "json", "table", "csv", "tsv"], "text")
@lang_option
def measures(indicator, kg, fmt, lang):
    """Which measures affect INDICATOR, and why.

    INDICATOR may be the Chinese or English name, an alias, pinyin (full or initials),
    part of the name, a near miss, or an IRI. Each measure comes with whether the link is
    stated by the source or inferred (and how), the path measure → … → indicator, and the
    source sentence.

    \b
    Examples:
      qdgraph measures 人才总量
      qdgraph measures "total talent" --lang en
      qdgraph measures rencaizongliang --format json
    """
    from ..measures import measures_for

    res = measures_for(kg(), indicator)
    if fmt == "json":
        return emit_json(res.to_dict())
    if fmt in ("table", "csv", "tsv"):
        from ..results import SelectResult
        import pyoxigraph as ox

        cols = ["measure", "basis", "path", "evidence"]
        rows = [{"measure": ox.Literal(getattr(l, lang)), "basis": ox.Literal(getattr(l, "basis_" + lang)),
                 "path": ox.Literal(" → ".join(getattr(s, lang) for s in l.path)),
                 "evidence": ox.Literal(" / ".join(e["exact"] for e in l.evidence))} for l in res.links]
        return emit(SelectResult(cols, rows).serialize(fmt))
    emit(_measures_text(res, lang))


_REL = {
    "zh": {"qd:affects": "影响", "qd:subMeasureOf": "属于", "qd:onRoadmapOf": "列入路线图", "^qd:measuredUnder": "由其反映"},
    "en": {"qd:affects": "affects", "qd:subMeasureOf": "part of", "qd:onRoadmapOf": "on the roadmap of",
           "^qd:measuredUnder": "reflected by"},
}


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
    out.append((f"影响该指标的措施: {n} 项" if zh else f"{n} measure{'s' if n != 1 else ''} affect it") + "\n")
    for i, link in enumerate(res.links, 1):
        out.append(f"{i}. {getattr(link, lang)}")
        out.append(f"   {'英文' if zh else 'zh'}: {getattr(link, _other(lang))}")
        kind = ("原文陈述" if zh else "stated") if link.stated else ("推断" if zh else "inferred")
        out.append(f"   {'依据' if zh else 'link'}: {kind} — {getattr(link, 'basis_' + lang)}")
        hops = []
        for s in link.path:
            hops.append(getattr(s, lang))
            if s.relation:
                hops.append(f"—{_REL[lang].get(s.relation, s.relation)}→")
        out.append(f"   {'路径' if zh else 'path'}: " + " ".join(hops))
        why = link.rationale.get(lang) or link.rationale.get(_other(lang))
        if why:
            out.append(f"   {'理由' if zh else 'why'}: {why}")
        for e in link.evidence:
            out.append(f"   {'原文' if zh else 'source'}: “{e['exact']}”")
        out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------- show
@click.command(context_settings={"help_option_names": ["-h", "--help"]})
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
    from ..entity import describe

    card = describe(kg(), name)
    if fmt == "json":
        return emit_json(card.to_dict())
    emit(_card_text(card, lang))


def _card_text(card, lang) -> str:
    from ..namespaces import shorten

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
@click.command(context_settings={"help_option_names": ["-h", "--help"]})
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

    from ..results import SelectResult

    types = [t if ":" in t else f"qd:{t}" for t in types]
    hits = kg().names().search(text, types, limit=limit)
    rows = [{"score": ox.Literal(f"{s:g}"), "iri": ox.NamedNode(e["iri"]), "zh": ox.Literal(e.get("zh") or ""),
             "en": ox.Literal(e.get("en") or ""), "type": ox.Literal(", ".join(e["types"]))} for s, e in hits]
    if not rows and fmt == "table":
        click.echo(f"no entity matches {text!r}", err=True)
        sys.exit(1)
    emit(SelectResult(["score", "zh", "en", "type", "iri"], rows).serialize(fmt))


# ---------------------------------------------------------------- listings
def _listing(name, columns, fmt, kg, lang):
    """Print a named query; as a table, only ``columns`` (``x_{lang}`` picks a label language
    and is headed ``x``)."""
    res = kg().named(name)
    if fmt != "table":
        return emit(res.serialize(fmt))
    from ..results import display, render_table

    cols = [c.format(lang=lang) for c in columns]
    emit(render_table([c.removesuffix("_" + lang) for c in cols], [[display(r.get(c)) for c in cols] for r in res.rows]))


def _text(row, key) -> str:
    term = row.get(key)
    return term.value if term is not None else ""


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@graph_options
@format_option(TABLE_FORMATS, "table")
@lang_option
def pillars(kg, fmt, lang):
    """The four pillars (四个走在前列), with how many indicators and measures each has."""
    _listing("pillars", ["notation", "pillar_{lang}", "task", "leadArea", "indicators", "measures"], fmt, kg, lang)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@graph_options
@format_option(TABLE_FORMATS, "table")
@lang_option
def indicators(kg, fmt, lang):
    """The twelve indicators: pillar, indicator, target, unit, year, baseline."""
    if fmt != "table":
        return emit(kg().named("indicators").serialize(fmt))
    from ..namespaces import shorten
    from ..results import render_table

    rows = []
    for r in kg().named("indicators").rows:
        def v(k, r=r):
            return _text(r, k)
        # the source's own wording: comparator + figure ("超过300万人"), unless the figure has it ("30%以上")
        stated, cmp = v("statedAs") or v("value"), v("comparator_zh")
        target = v("qualitative") or (stated if not cmp or cmp in stated else cmp + stated)
        unit = shorten(v("unit")) if v("unit") else ""
        rows.append([v("notation"), v("pillar_" + lang), v("indicator_" + lang), target, unit.split(":")[-1],
                     v("year"), (v("baseline") + " " + v("baselineDate")).strip()])
    emit(render_table(["#", "pillar", "indicator", "target", "unit", "year", "baseline"], rows))


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
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
        return emit(kg().named("chains").serialize(fmt))
    from ..results import render_table

    rows = []
    for r in kg().named("chains").rows:
        def v(k, r=r):
            return _text(r, k)
        members = [m for m in v("enterprises").split("、") if m]
        shown = "、".join(members[:6]) + (f" … (+{len(members) - 6})" if len(members) > 6 else "")
        rows.append([v("chain_" + lang), v("categories"), v("tiers"), v("enterprise_count") or "0", shown])
    emit(render_table(["chain", "category", "tier", "n", "enterprises"], rows))


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@graph_options
@format_option(TABLE_FORMATS, "table")
@lang_option
def summary(kg, fmt, lang):
    """What the graph holds: entities per class, and the sources they rest on."""
    g = kg()
    if fmt != "table":
        return emit(g.named("stats").serialize(fmt))
    _listing("stats", ["class_{lang}", "count"], "table", kg, lang)
    _listing("sources", ["title", "file", "quotes"], "table", kg, lang)
    emit(f"{len(g)} triples")


# ---------------------------------------------------------------- query
@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("sparql", required=False)
@click.option("-f", "--file", "qfile", type=click.File("rb"), help="Read the query from FILE.rq ('-' for stdin).")
@click.option("--name", "-n", "qname", metavar="NAME", help="Run a named query (see `qdgraph queries`).")
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE",
              help="Bind ?KEY to VALUE (<iri>, qd:name, \"text\"@zh, 42, or plain text); repeatable.")
@graph_options
@click.option("--format", "-F", "fmt", type=click.Choice(["table", "json", "csv", "tsv", "xml", "turtle", "json-ld", "nt"]),
              default=None, help="table|json|csv|tsv|xml for SELECT/ASK (default table); turtle|json-ld|nt for CONSTRUCT/DESCRIBE (default turtle).")
@click.option("--reason", type=click.Choice(["rdfs", "owlrl"]), help="Query the RDFS or OWL-RL inferred closure.")
@click.option("--timeout", type=float, metavar="SECONDS", help="Give up after SECONDS.")
def query(sparql, qfile, qname, params, kg, fmt, reason, timeout):
    """Run a read-only SPARQL query.

    The query comes from the SPARQL argument, -f FILE.rq, --name NAME, or stdin. The prefixes
    qd, qdr, rdf, rdfs, owl, xsd, skos, org, prov, dcterms, qudt, unit, time, schema, oa and foaf
    are predeclared. Parameters are bound as RDF terms, never pasted into the query. UPDATE,
    LOAD, SERVICE and FROM are refused.

    \b
    Examples:
      qdgraph query 'SELECT ?i ?l WHERE { ?i a qd:Indicator ; rdfs:label ?l }'
      qdgraph query -f my.rq --format csv
      qdgraph query --name measures-for-indicator --param indicator=qdr:indicator-gdp
      echo 'ASK { ?x a qd:Pillar }' | qdgraph query
    """
    from ..sparql import parse_params

    sources = [s for s in (sparql, qfile, qname) if s]
    if len(sources) > 1:
        raise UsageError("give the query one way: an argument, -f FILE or --name NAME")
    bound = parse_params(params)
    if qname:
        from ..queries import get_query

        nq = get_query(qname)
        text = nq.text
        bound = nq.bind(bound)
    elif qfile:
        text = query_text(qfile.read(), qfile.name)
    elif sparql:
        text = sparql
    elif not sys.stdin.isatty():
        text = query_text(sys.stdin.buffer.read(), "<stdin>")
    else:
        raise UsageError("no query: give it as an argument, -f FILE.rq, --name NAME or on stdin")
    g = kg(reason=reason)
    if fmt in ("csv", "tsv", "xml", "json") and timeout is None:
        # rows go out as the engine gives them: a 10-million-row answer is never held whole
        res = g.stream(text, bound)
        if res.kind == "select":
            from ..results import write_select

            return write_select(res.variables, res.rows, "json-lines" if fmt == "json" else fmt, sys.stdout)
    else:
        res = g.query(text, bound, timeout=timeout)
    if res.kind == "graph":
        fmt = fmt or "turtle"
        if fmt not in ("turtle", "json-ld", "nt"):
            raise UsageError(f"--format {fmt} is for SELECT/ASK; CONSTRUCT/DESCRIBE give turtle, json-ld or nt")
    else:
        fmt = fmt or "table"
        if fmt in ("turtle", "json-ld", "nt"):
            raise UsageError(f"--format {fmt} is for CONSTRUCT/DESCRIBE; SELECT/ASK give table, json, csv, tsv or xml")
    emit(res.serialize(fmt))


def query_text(data: bytes, name: str) -> str:
    """A query file's text: UTF-8 (a byte-order mark is dropped); anything else is refused."""
    if b"\0" in data:
        raise UsageError(f"{name}: a binary file, not a SPARQL query")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        raise UsageError(f"{name}: not UTF-8 text (byte {err.start}); save the query as UTF-8") from None


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--show", "show_name", metavar="NAME", help="Print the text of one named query.")
def queries(show_name):
    """List the named queries (run one with `qdgraph query --name NAME`)."""
    from ..queries import all_queries, get_query
    from ..results import render_table

    if show_name:
        return emit(get_query(show_name).text)
    rows = [[q.name, ", ".join(f"{p.name} ({p.kind})" for p in q.params), q.description]
            for q in all_queries().values()]
    emit(render_table(["name", "params", "description"], rows))


# ---------------------------------------------------------------- export
@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@graph_options
@click.option("--format", "-F", "fmt", type=click.Choice(["turtle", "json-ld", "nt", "graphml", "csv"]),
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
    from ..export import export_graph

    text = export_graph(kg(), fmt)
    if output:
        from ..fileio import write_atomic

        write_atomic(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        emit(text)

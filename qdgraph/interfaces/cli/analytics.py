"""Commands that ask about the graph's shape: path and rank."""
from __future__ import annotations

import click

from qdgraph.errors import UsageError
from qdgraph.presentation.formats import names as format_names
from qdgraph.presentation.formats import write
from qdgraph.interfaces.cli.common import command, emit, emit_json, format_option, graph_options, lang_option, ntr, tr

@command()
@click.argument("a")
@click.argument("b")
@click.option("--max", "max_paths", default=5, show_default=True, metavar="N",
              help="Show at most N shortest paths.")
@graph_options
@format_option(["text", "json"], "text")
@lang_option
def path(a, b, max_paths, kg, fmt, lang):
    """The shortest ways A and B are connected, told in words.

    A and B are entity names (Chinese, English, alias, pinyin, part of a name, or an IRI).
    Arrows are read in either direction to find the path, then shown as they point:
    “歌尔 —所属产业链→ 虚拟现实 ←涉及— 壮大……产业规模”.

    \b
    Examples:
      qdgraph path 歌尔 人才总量
      qdgraph path 卡奥斯 工业互联网平台普及率 --max 3
      qdgraph path goertek "talent pool" --lang en --format json
    """
    from qdgraph.domain.analytics import connecting_paths

    if max_paths < 1:
        raise UsageError(tr("--max must be at least 1"))
    found = connecting_paths(kg(), a, b, max_paths=max_paths, lang=lang)
    if fmt == "json":
        return emit_json([p.to_dict() for p in found])
    first = found[0]
    hops = len(first.hops)
    head = tr("%(a)s and %(b)s: %(hops)s, %(paths)s", lang, a=first.nodes[0]["label"], b=first.nodes[-1]["label"],
              hops=ntr("%(n)s hop", "%(n)s hops", hops, lang),
              paths=ntr("%(n)s shortest path", "%(n)s shortest paths", len(found), lang))
    lines = [head + (" (--max)" if len(found) == max_paths else ""), ""]
    lines += [f"{i}. {p.text()}" for i, p in enumerate(found, 1)]
    emit("\n".join(lines))


@command()
@click.option("--type", "-t", "types", multiple=True, metavar="TYPE",
              help="Rank only this entity type (Measure, Enterprise, IndustryChain, Indicator, … or qd:X "
                   "or its Chinese name); repeatable. Default: measures, enterprises and chains.")
@click.option("--top", default=20, show_default=True, metavar="N", help="Show the N most central (0: all).")
@graph_options
@format_option(format_names("select"), "table")
@lang_option
def rank(types, top, kg, fmt, lang):
    """The most central entities: betweenness (how many shortest paths run through it) and
    degree (how many entities it links to), over the whole graph.

    \b
    Examples:
      qdgraph rank
      qdgraph rank --type Measure --top 10
      qdgraph rank --type 企业 --format csv
    """
    from qdgraph.domain.analytics import centrality

    if top < 0:
        raise UsageError(tr("--top must be 0 (all) or more"))
    ranks, estimated = centrality(kg(), types=types, top=top or None, lang=lang)
    if fmt == "json":
        return emit_json({"estimated": estimated, "ranks": [r.__dict__ for r in ranks]})
    if fmt != "table":
        import pyoxigraph as ox

        from qdgraph.engine.results import SelectResult

        rows = [[i, r.label, r.type, r.degree, f"{r.betweenness:.6f}", ox.NamedNode(r.iri)]
                for i, r in enumerate(ranks, 1)]
        return emit(write(SelectResult.from_values(["rank", "name", "type", "degree", "betweenness", "iri"], rows),
                          fmt), fmt)
    from qdgraph.presentation.formats import render_table

    headers = ["#", tr("name", lang), tr("type", lang), tr("degree", lang), tr("betweenness", lang)]
    rows = [[str(i), r.label, r.type_label, str(r.degree), f"{r.betweenness:.4f}"] for i, r in enumerate(ranks, 1)]
    emit(render_table(headers, rows))
    if estimated:
        click.echo(tr("betweenness estimated from a sample of nodes (large graph)", lang), err=True)

"""The viz command: write an interactive, offline HTML picture of part of the graph."""
from __future__ import annotations

from pathlib import Path

import click

from ..errors import QdgraphError, UsageError
from .common import command, graph_options, lang_option

VIEWS = ["chain", "pillar", "indicator", "enterprise", "all", "query"]


@command()
@click.argument("kind", type=click.Choice(VIEWS), metavar="VIEW")
@click.argument("name", required=False)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="HTML file to write (default: qdgraph-VIEW.html).")
@click.option("--depth", type=click.IntRange(min=0), default=None,
              help="How many hops around the named entity to show (chain, pillar, enterprise; default 2).")
@click.option("--layout", type=click.Choice(["force", "hierarchical"]), default="force", show_default=True,
              help="force: physics settles the picture, then stops; hierarchical: pillar → indicator → measure → "
                   "chain → enterprise, top down.")
@click.option("--max-nodes", type=click.IntRange(min=1), default=2000, show_default=True,
              help="Beyond this, keep the most connected nodes (the page says so).")
@click.option("--group-over", type=click.IntRange(min=1), default=50, show_default=True,
              help="When more than this many nodes of one type hang only on one node (a chain's enterprises), "
                   "show a few and group the rest into one node with their count (the page says so).")
@graph_options
@lang_option
def viz(kind, name, output, depth, layout, max_nodes, group_over, kg, lang):
    """Write an interactive HTML picture of part of the graph.

    \b
    VIEW is one of:
      chain NAME        an industry chain and what is linked to it
      pillar NAME       a pillar (走在前列 task) with its indicators and measures
      indicator NAME    an indicator, its pillar, and every measure that affects it, with the path
      enterprise NAME   an enterprise or platform and its surroundings
      all               the whole graph
      query FILE.rq     the result of a CONSTRUCT or DESCRIBE query

    The page is one UTF-8 file that works offline (nothing is loaded from the network): send
    it to a colleague or open it on an intranet. Hover for a node's facts and source sentence,
    click for details, search by name, tick types in the legend to show or hide them.

    \b
    Examples:
      qdgraph viz chain 虚拟现实 -o vr.html
      qdgraph viz indicator 人才总量 --layout hierarchical
      qdgraph viz pillar 产业培育高地 --depth 1 --lang en
      qdgraph viz query my-construct.rq -o mine.html
    """
    from ..fileio import write_atomic
    from ..viz import render

    if kind == "all" and name:
        raise UsageError("the all view takes no name")
    if kind == "query":
        if not name:
            raise UsageError("viz query needs a FILE.rq holding a CONSTRUCT or DESCRIBE query")
        qpath = Path(name)
        try:
            name = qpath.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise QdgraphError(f"{qpath}: no such file") from None
        except (OSError, UnicodeDecodeError) as err:
            raise QdgraphError(f"{qpath}: cannot read ({getattr(err, 'strerror', None) or err})") from None
    elif kind != "all" and not name:
        raise UsageError(f"viz {kind} needs a NAME (e.g. qdgraph viz {kind} …); see qdgraph viz --help")
    out = Path(output or f"qdgraph-{kind}.html")
    page = render(kg(), kind, name, depth=depth, lang=lang, layout=layout, max_nodes=max_nodes,
                  group_over=group_over)
    write_atomic(out, page)
    click.echo(f"wrote {out} ({len(page.encode('utf-8')) // 1024} KB)", err=True)

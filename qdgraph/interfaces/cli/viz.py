"""The viz command: write an interactive, offline HTML picture of part of the graph."""
from __future__ import annotations

from pathlib import Path

import click

from qdgraph.domain.analytics import SIZE_MEASURES
from qdgraph.errors import QdgraphError, UsageError
from qdgraph.presentation.viz import COLORS, GROUP_OVER, KINDS, LAYOUTS, MAX_NODES, RANK_TOP
from qdgraph.interfaces.cli.common import command, graph_options, lang_option

# progress is drawn as charts, not as a network: a view of its own beside the pictures
VIEWS = [*KINDS, "progress"]

@command()
@click.argument("kind", type=click.Choice(VIEWS), metavar="VIEW")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="HTML file to write (default: qdgraph-VIEW.html).")
@click.option("--depth", type=click.IntRange(min=0), default=None,
              help="How many hops around the named entity to show (chain, pillar, enterprise; default 2).")
@click.option("--layout", type=click.Choice(LAYOUTS), default="force", show_default=True,
              help="force: physics settles the picture, then stops; hierarchical: pillar → indicator → measure → "
                   "chain → enterprise, left to right.")
@click.option("--max-nodes", type=click.IntRange(min=1), default=MAX_NODES, show_default=True,
              help="Beyond this, keep the most connected nodes (the page says so).")
@click.option("--group-over", type=click.IntRange(min=1), default=GROUP_OVER, show_default=True,
              help="When more than this many nodes of one type hang only on one node (a chain's enterprises), "
                   "show a few and group the rest into one node with their count (the page says so).")
@click.option("--size", type=click.Choice(SIZE_MEASURES), default=None,
              help="Scale nodes by degree, betweenness or PageRank (NetworkX) over the view "
                   "(rank: betweenness over the whole graph unless told otherwise).")
@click.option("--color", type=click.Choice(COLORS), default="type", show_default=True,
              help="Colour nodes by type, or by community (NetworkX's Louvain; the legend names each).")
@click.option("--type", "-t", "types", multiple=True, metavar="TYPE",
              help="rank: rank only this entity type (Measure, Enterprise, 企业, qd:X …); repeatable.")
@click.option("--top", type=click.IntRange(min=1), default=None, metavar="N",
              help=f"rank: draw the N most central entities (default {RANK_TOP}).")
@click.option("--pillar", metavar="PILLAR", help="progress: only the indicators of this pillar (name, alias or IRI).")
@graph_options
@lang_option
def viz(kind, names, output, depth, layout, max_nodes, group_over, size, color, types, top, pillar, kg, lang):
    """Write an interactive HTML picture of part of the graph.

    \b
    VIEW is one of:
      chain NAME        an industry chain: its enterprises, platforms, the measures
                        naming it, its category, tier and figures
      pillar NAME       a pillar (走在前列 task) with its indicators and measures
      indicator NAME    an indicator, its pillar, and every measure that affects it, with the path
      enterprise NAME   an enterprise or platform and its surroundings
      all               the whole graph
      query FILE.rq     the result of a CONSTRUCT or DESCRIBE query
      path A B          every shortest path between two entities, in red, with their surroundings
      rank              the most central entities (--type, --top) and what links them
      progress [NAME]   charts of progress toward the targets: every indicator, one, or
                        those of --pillar

    The page is one UTF-8 file that works offline (nothing is loaded from the network): send
    it to a colleague or open it on an intranet. It opens fitted to the window ("适应窗口"
    fits it again). Hover for a node's facts and source sentence, click for details and a link
    to the entity's page (double-click opens it), search by name, tick types in the legend to
    show or hide them, and "下载 PNG" saves the whole picture, off-screen parts too, as an image.
    Links are drawn by what they rest on: stated thick, inferred dashed, roadmap context faint.

    \b
    Examples:
      qdgraph viz chain 虚拟现实 -o vr.html
      qdgraph viz indicator 人才总量 --layout hierarchical
      qdgraph viz pillar 产业培育高地 --depth 1 --lang en
      qdgraph viz query my-construct.rq -o mine.html
      qdgraph viz path 歌尔 人才总量
      qdgraph viz rank --type Measure --top 15
      qdgraph viz all --color community --size pagerank
      qdgraph viz progress --pillar 数字赋能典范 -o progress.html
    """
    from qdgraph.fileio import write_atomic
    from qdgraph.presentation.viz import render

    wanted = 2 if kind == "path" else 0 if kind in ("all", "rank") else None if kind == "progress" else 1
    if kind == "path" and len(names) != 2:
        raise UsageError("viz path needs two names: qdgraph viz path A B")
    if wanted == 0 and names:
        raise UsageError(f"the {kind} view takes no name")
    if wanted == 1 and len(names) > 1:
        raise UsageError(f"viz {kind} takes one NAME (quote a name with spaces)")
    if kind != "rank" and (types or top is not None):
        raise UsageError("--type and --top are for viz rank")
    if pillar and kind != "progress":
        raise UsageError("--pillar is for viz progress")
    name = names if kind == "path" else names[0] if names else None
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
    elif wanted == 1 and not name:
        raise UsageError(f"viz {kind} needs a NAME (e.g. qdgraph viz {kind} …); see qdgraph viz --help")
    out = Path(output or f"qdgraph-{kind}.html")
    if kind == "progress":  # small multiples of charts, not a network picture
        from qdgraph.presentation.viz.progress import render_progress

        page = render_progress(kg(), name, pillar=pillar, lang=lang)
    else:
        page = render(kg(), kind, name, depth=depth, lang=lang, layout=layout, max_nodes=max_nodes,
                      group_over=group_over, size=size, color=color, types=types, top=top or RANK_TOP)
    write_atomic(out, page)
    from qdgraph.interfaces.cli.common import note

    note(f"wrote {out} ({len(page.encode('utf-8')) // 1024} KB)")

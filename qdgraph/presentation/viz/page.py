"""One self-contained, offline HTML page for a NetworkX graph, built with pyvis.

Every node and edge is added to a ``pyvis.network.Network`` (``add_node`` / ``add_edge``), the
vis-network options are given with ``set_options``, and the page is rendered by
``generate_html`` from *our* template (``Network.set_template_dir``). pyvis's own template is
never used (it loads Bootstrap from a CDN and inserts the heading unescaped), nor ``write_html``
/ ``show`` (they write a ``lib/`` folder into the working directory): the text comes back as a
string. vis-network 9.1.2 is inlined from the pyvis package's own copy. pyvis is imported only
here, when a page is built, without the IPython it imports for notebooks (``_pyvis_network``).

Safety, in layers:
1. user text reaches the page only as JSON inside ``<script type="application/json">`` with
   ``<``, ``>`` and ``&`` written as ``\\u003c`` etc., so ``</script>`` in a label cannot end the
   block; the template is rendered with autoescape, so the title is escaped;
2. the page script puts text into the DOM with ``textContent`` only (tooltips are elements
   built that way, so vis-network never parses them as HTML); canvas labels are drawn as text;
3. a Content-Security-Policy allows only the page's own scripts (by hash) and no network at
   all, so even a mistake in 1–2 could neither run an injected handler nor fetch anything.
"""
from __future__ import annotations

import base64
import functools
import unicodedata
import hashlib
import json
from importlib import resources
from pathlib import Path

import networkx as nx

from qdgraph.presentation.viz.style import (COMMUNITY_COLORS, OTHER_COMMUNITY, PATH_COLOR, TEXT, basis_style,
                                            link_legend, style_for)

MAX_NODES = 2000          # beyond this the page keeps the most connected nodes and says so
EDGE_LABELS_UP_TO = 60    # edge labels clutter a bigger picture; they stay in the tooltips
LABEL_COLUMNS = 80        # a name wider than this (a CJK character is two columns) is shortened on the
                          # canvas, at a word end (the tooltip has it whole); vis-network wraps the rest
LABEL_WIDTH = 160         # px: labels wrap at this width (widthConstraint) instead of being cut

FACT_KEYS = ["notation", "statedAs", "obsValue", "unitMeasure", "comparator", "refPeriod", "valueKind",
             "comparedWith", "qualitativeTarget", "declaredCount", "actionVerb", "task", "leadArea",
             "goalStatus", "jobTitle", "recurrence"]


STATIC = Path(__file__).resolve().parent / "static"
VIS = "lib/vis-9.1.2/"    # vis-network inside the pyvis package


@functools.cache
def _vis(name: str) -> str:
    """A file of the vis-network copy pyvis ships (read once)."""
    return resources.files("pyvis").joinpath(VIS + name).read_text(encoding="utf-8")


@functools.cache
def _page_js() -> str:
    return (STATIC / "page.js").read_text(encoding="utf-8")


@functools.cache
def _csp() -> str:
    """The page's policy: only our two inline scripts (by hash), no network at all."""
    return ("default-src 'none'; script-src " + _csp_hash(_vis("vis-network.min.js")) + " " + _csp_hash(_page_js())
            + "; style-src 'unsafe-inline'; img-src data:; font-src data:; connect-src 'none'; "
            "form-action 'none'; base-uri 'none'")


def _csp_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


def _escape_script(text: str) -> str:
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def script_json(obj) -> str:
    """JSON safe to place inside a <script> element: no '<', '>' or '&' survives literally."""
    return _escape_script(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))


def _columns(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _short(text: str, columns: int = LABEL_COLUMNS) -> str:
    """The name on the canvas: whole unless very long, then cut at a word end (English) or a
    character (Chinese) with "…"; vis-network wraps it to LABEL_WIDTH."""
    text = " ".join(str(text).split())
    if sum(_columns(c) for c in text) <= columns:
        return text
    out, used = [], 0
    for c in text:
        used += _columns(c)
        if used > columns - 1:
            break
        out.append(c)
    cut = "".join(out)
    if " " in cut and cut.isascii():   # English: end at a word, not inside one
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,，、;；") + "…"


def _type_label(vocab, t, lang):
    names = vocab.get(t, {})
    return names.get(lang) or names.get("en" if lang == "zh" else "zh") or (TEXT[lang]["entity"] if t == "entity" else t)


def _node_tip(n, d, vocab, lang) -> str:
    """Plain-text tooltip: type, both labels, key facts, the source sentence."""
    T = TEXT[lang]
    if d.get("group"):
        lines = [d["label"], d.get("group_tip", "")]
        if d.get("group_sample"):
            sep = "、" if lang == "zh" else ", "
            more = T["group_more"] if d["group"] > len(d["group_sample"]) else ""
            lines.append(f"{T['group_sample']}{sep.join(d['group_sample'])}{more}")
        return "\n".join(lines)
    lines = [d["note"]] if d.get("note") else []
    lines.append(f"{T['type']}: {_type_label(vocab, d.get('type'), lang)}")
    for key in ("zh", "en"):
        if d.get(key):
            lines.append(d[key])
    for key in FACT_KEYS:
        if d.get(key) not in (None, ""):
            lines.append(f"{_type_label(vocab, 'qd:' + key, lang) if 'qd:' + key in vocab else key}: {d[key]}")
    if d.get("quote"):
        lines.append(f"{T['source']}: “{d['quote']}”")
    lines.append(n)
    return "\n".join(lines)


def _edge_tip(d, vocab, lang) -> str:
    T = TEXT[lang]
    lines = [d.get("label") or d.get("rel", "")]
    if d.get("basis"):
        basis = _type_label(vocab, d["basis"], lang)
        lines.append(f"{T['inferred'] if d.get('inferred') else T['stated']} · {basis}")
    if d.get("evidence"):
        lines.append(f"{T['source']}: “{d['evidence']}”")
    return "\n".join(lines)


def cap(g: nx.MultiDiGraph, max_nodes: int, keep=()) -> tuple[nx.MultiDiGraph, int]:
    """At most ``max_nodes`` nodes: ``keep`` first, then the most connected. Returns the
    (possibly same) graph and how many nodes were dropped."""
    total = g.number_of_nodes()
    if total <= max_nodes:
        return g, 0
    order = sorted(g.nodes, key=lambda n: (n not in keep, -g.degree(n), str(n)))
    # a copy: every count and walk over a filtered subgraph view re-filters the whole graph
    return g.subgraph(order[:max_nodes]).copy(), total - max_nodes


def _colour(fill: str) -> dict:
    return {"background": fill, "border": "#444444", "highlight": {"background": fill, "border": "#000000"},
            "hover": {"background": fill, "border": "#000000"}}


def _community_legend(g, shown, lang) -> tuple[dict, dict]:
    """(node → community number, legend section): Louvain over the whole view, numbered from
    the largest; each named after its most connected member."""
    from qdgraph.domain.analytics import communities

    T = TEXT[lang]
    member_of, items = {}, []
    found = communities(g)
    for i, members in enumerate(found):
        for n in members:
            member_of[n] = i
    counts: dict[int, int] = {}
    for n in shown:
        counts[member_of[n]] = counts.get(member_of[n], 0) + 1
    named = len(COMMUNITY_COLORS)
    for i in sorted(c for c in counts if c < named):
        top = max(found[i], key=lambda n: (g.degree(n), str(n)))
        name = _short(g.nodes[top].get("label") or top, 24)
        items.append({"id": i, "label": T["community"].format(n=i + 1, name=name), "count": counts[i],
                      "color": COMMUNITY_COLORS[i], "shape": "dot"})
    rest = [c for c in counts if c >= named]
    if rest:
        items.append({"id": named, "label": T["other_communities"].format(n=len(rest)),
                      "count": sum(counts[c] for c in rest), "color": OTHER_COMMUNITY, "shape": "dot"})
    return {n: min(c, named) for n, c in member_of.items()}, {"title": T["communities"], "key": "community",
                                                              "items": items}


def _options(*, big: bool, hierarchical: bool, n: int, sized: bool) -> dict:
    """vis-network options (given to pyvis's ``set_options``). pyvis strips every space from
    the text it is given, so no option value here may contain one (the font face, which does,
    is set by the page script)."""
    nodes = {"font": {"size": 14, "color": "#222222"}, "widthConstraint": {"maximum": LABEL_WIDTH}, "size": 14,
             "borderWidth": 1}
    if sized:
        nodes["scaling"] = {"min": 8, "max": 48, "label": {"enabled": True, "min": 12, "max": 26}}
    return {
        "nodes": nodes,
        "edges": {"arrows": {"to": {"enabled": True, "scaleFactor": 0.5}},
                  "color": {"color": "#9a9a9a", "highlight": "#333333", "hover": "#333333"},
                  "font": {"size": 11, "color": "#666666", "strokeWidth": 3, "align": "horizontal"},
                  "smooth": False if big else {"type": "dynamic"}, "width": 1},
        # past 500 nodes: straight edges, no hover, fewer layout iterations (50: the picture of
        # 1,000 nodes looks no different from 80 and settles 40 % sooner), so a 1,000-node page
        # settles within ~3 s on a modest machine (bench/bench_viz.py measures it)
        "interaction": {"hover": not big, "tooltipDelay": 150, "hideEdgesOnDrag": big, "navigationButtons": False},
        # hierarchical: levels left to right, so the many nodes of one level (an indicator's ten
        # measures) stack down a column, where a wrapped label needs ~90 px, instead of sharing
        # one row, where it needs its full 160 px and overprinted its neighbours
        "layout": ({"hierarchical": {"direction": "LR", "sortMethod": "directed", "levelSeparation": 240,
                                     "nodeSpacing": 100, "treeSpacing": 140, "parentCentralization": True}}
                   if hierarchical else {"improvedLayout": n <= 150, "randomSeed": 7}),
        "physics": ({"solver": "hierarchicalRepulsion",
                     "hierarchicalRepulsion": {"nodeDistance": 120, "avoidOverlap": 1},
                     "stabilization": {"iterations": 300, "updateInterval": 25}} if hierarchical
                    else {"solver": "barnesHut",
                          "barnesHut": {"gravitationalConstant": -6000, "springLength": 140, "springConstant": 0.04,
                                        "avoidOverlap": 0 if big else 0.2},
                          "minVelocity": 1.5,
                          "stabilization": {"iterations": 50 if big else 400, "updateInterval": 25, "fit": True}}),
    }


def _pyvis_network():
    """pyvis's ``Network`` class, imported without importing IPython when nothing has yet.
    pyvis.network binds ``IPython.display.IFrame`` when it is imported, for one use only (its
    ``show`` in a notebook, never called here), and importing IPython took 0.5-0.7 s: half of
    ``qdgraph viz chain 高端化工``. A stand-in answers that one import and is taken out of
    ``sys.modules`` at once, so a later ``import IPython`` in this process gets the real one;
    its ``IFrame`` imports the real one if it is ever called."""
    import sys

    if "pyvis.network" in sys.modules or "IPython" in sys.modules:
        from pyvis.network import Network

        return Network
    import types

    def IFrame(*args, **kwargs):
        from IPython.display import IFrame as real

        return real(*args, **kwargs)

    package, display = types.ModuleType("IPython"), types.ModuleType("IPython.display")
    package.display, display.IFrame = display, IFrame
    sys.modules.update({"IPython": package, "IPython.display": display})
    try:
        from pyvis.network import Network
    finally:
        for name, stand_in in (("IPython", package), ("IPython.display", display)):
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
    return Network


def build_network(g: nx.MultiDiGraph, *, title: str, subtitle: str = "", lang: str = "zh", layout: str = "force",
                  max_nodes: int = MAX_NODES, size: str | None = None, color: str = "type", kind: str = "graph"):
    """The ``pyvis.network.Network`` of the picture of ``g``, ready for ``generate_html``.

    ``size``: degree / betweenness / pagerank (``qdgraph.domain.analytics.node_measure``, over the
    whole view, before any cap) scales the nodes; ``color``: ``type`` or ``community``
    (Louvain). Graph attributes the views set: ``focus`` (drawn bold), ``keep`` (never capped
    away), ``path_nodes`` / ``path_edges`` (highlighted, the rest faded), ``measured`` (measures
    computed elsewhere, by name), ``groups`` (see ``qdgraph.presentation.viz.cluster``)."""
    Network = _pyvis_network()
    T = TEXT[lang]
    focus = g.graph.get("focus")
    keep = {focus} if focus else set()
    keep |= set(g.graph.get("keep", ()))
    keep |= set(g.graph.get("path_nodes", ()))
    keep |= {n for n, d in g.nodes(data=True) if d.get("group")}  # a group node stands for many
    shown, hidden = cap(g, max_nodes, keep)
    vocab = g.graph.get("vocab", {})
    notes = []
    values = None
    if size:
        from qdgraph.domain.analytics import node_measure

        values = g.graph.get("measured", {}).get(size)
        estimated = False
        if values is None:
            values, estimated = node_measure(g, size)
        notes.append(T["size"].format(measure=T["measures"][size], estimated=T["estimated"] if estimated else ""))
    community, legends = None, []
    if color == "community":
        community, section = _community_legend(g, shown, lang)
        legends.append(section)
    path_nodes = set(g.graph.get("path_nodes", ()))
    path_edges = {frozenset(e) for e in g.graph.get("path_edges", ())}
    big = shown.number_of_nodes() > 500
    hierarchical = layout == "hierarchical"

    net = Network(directed=True, heading=title)
    # nodes by IRI, edges by their ends: the same graph gives the same page (and layout),
    # whatever order the store returned rows in
    order = sorted(shown.nodes, key=str)
    index = {n: i for i, n in enumerate(order)}
    types: dict[str, int] = {}
    fills: dict[str, str] = {}   # vis-network group → fill colour
    # hierarchical: the levels this view has, numbered without gaps (an empty level is a blank column)
    rank = {lv: i for i, lv in enumerate(sorted({style_for(shown.nodes[n].get("type") or "entity")["level"]
                                                 for n in shown.nodes}))}
    for n in order:
        d = shown.nodes[n]
        t = d.get("type") or "entity"
        types[t] = types.get(t, 0) + 1
        style = style_for(t)
        label = d.get("label") or d.get(lang) or str(n)
        # colour by vis-network group (one per type or community): per-node colours cost the
        # browser about a third more time to lay out a 1,000-node page
        if community:
            k = community[n]
            fills[f"c{k}"] = COMMUNITY_COLORS[k] if k < len(COMMUNITY_COLORS) else OTHER_COMMUNITY
        else:
            fills[t] = style["color"]
        opts = {"title": _node_tip(n, d, vocab, lang), "type": t, "iri": n,
                "find": " ".join(str(x) for x in (label, d.get("zh"), d.get("en"), *(d.get("alt") or [])) if x)}
        if hierarchical:
            opts["level"] = rank[style["level"]]
        if community:
            opts["community"] = community[n]
        if values is not None:
            opts["value"] = values.get(n, 0)
        if n == focus:
            opts.update(focus=True, borderWidth=4, size=22, font={"size": 16})
        if d.get("group"):
            # a group node stands for many leaves ("另有 8,950 个企业"): bigger, dashed border
            opts.update(members=d["group"], borderWidth=2, size=26, shapeProperties={"borderDashes": [5, 4]},
                        font={"size": 15})
            opts["find"] = " ".join([opts["find"], *d.get("group_sample", ())])
        if path_nodes:
            if n in path_nodes:
                opts.update(onPath=True, borderWidth=3)
            else:
                opts["opacity"] = 0.45
        net.add_node(index[n], label=_short(label), shape=style["shape"], group=f"c{community[n]}" if community else t,
                     **opts)
    edge_labels = shown.number_of_edges() <= EDGE_LABELS_UP_TO
    links = sorted(shown.edges(keys=True, data=True), key=lambda e: (index[e[0]], index[e[1]], str(e[2])))
    bases: dict[str, int] = {}
    for i, (u, v, k, d) in enumerate(links):
        opts = {"id": i, "title": _edge_tip(d, vocab, lang), "rel": d.get("rel") or str(k)}
        # how strong the link is, drawn: stated thick and solid, inferred thinner and dashed,
        # roadmap context faint and unlabelled (style.BASIS_STYLES)
        look = basis_style(d.get("basis"), d.get("rel"), d.get("inferred"))
        bases[look["key"]] = bases.get(look["key"], 0) + 1
        opts["strength"] = look["key"]
        if edge_labels and not look.get("faint"):
            opts["label"] = d.get("label") or str(k)
        opts["width"] = look["width"]
        if look.get("dashes"):
            opts["dashes"] = look["dashes"]
        if look.get("faint"):
            opts["color"] = {"opacity": 0.3}
        if path_edges and frozenset((u, v)) in path_edges:
            opts.update(color={"color": PATH_COLOR, "highlight": PATH_COLOR}, width=3)
        elif path_edges:
            opts["color"] = {"opacity": 0.35}   # context, faded
        net.add_edge(index[u], index[v], **opts)
    options = _options(big=big, hierarchical=hierarchical, n=shown.number_of_nodes(), sized=values is not None)
    options["groups"] = {grp: {"color": _colour(fill)} for grp, fill in fills.items()}
    net.set_options(json.dumps(options, separators=(",", ":")))

    by_level = sorted(types.items(), key=lambda tc: (style_for(tc[0])["level"], tc[0]))
    legends.insert(0, {"title": T["types"], "key": "type",
                       "items": [{"id": t, "label": _type_label(vocab, t, lang), "count": c,
                                  "color": "#bbbbbb" if community else style_for(t)["color"],
                                  "shape": style_for(t)["shape"]} for t, c in by_level]})
    notices = []
    groups = g.graph.get("groups") or []
    grouped = sum(len(grp.hidden) for grp in groups)
    if groups:
        kinds = sorted({grp.type for grp in groups}, key=lambda t: (style_for(t)["level"], t))
        what = ("、" if lang == "zh" else ", ").join(_type_label(vocab, t, lang) for t in kinds)
        notices.append(T["grouped"].format(hidden=f"{grouped:,}", groups=len(groups), what=what))
    if hidden:
        notices.append(T["capped"].format(total=g.number_of_nodes(), shown=shown.number_of_nodes(), hidden=hidden))
    page = {"lang": lang, "html_lang": "zh-CN" if lang == "zh" else "en", "layout": layout, "subtitle": subtitle,
            "text": T, "legends": legends, "notes": notes, "notice": " ".join(notices) or None,
            "edgeLabels": edge_labels, "png": f"qdgraph-{kind}.png", "links": link_legend(bases, vocab, lang),
            "idBase": "https://w3id.org/qdgraph/id/",
            "total": g.number_of_nodes(), "hidden": hidden, "grouped": grouped, "groups": len(groups),
            "size": size, "color": color}
    _use_template(net, page)
    return net


def _use_template(net, page: dict) -> None:
    """Point ``net`` at our template, rendered with autoescape and ``keep_trailing_newline``
    (else Jinja drops page.js's final newline and its CSP hash no longer matches)."""
    from markupsafe import Markup

    net.set_template_dir(str(STATIC), "template.html")
    env = net.templateEnv
    env.keep_trailing_newline = True
    env.autoescape = True
    env.filters["script_json"] = lambda obj: Markup(script_json(obj))
    env.filters["json_text"] = lambda text: Markup(_escape_script(text))
    env.globals.update(page=page, csp=Markup(_csp()),  # our own text: its quotes stay readable
                       vis_js=Markup(_vis("vis-network.min.js")), vis_css=Markup(_vis("vis-network.css")))


def build_page(g: nx.MultiDiGraph, *, title: str, **options) -> str:
    """The HTML text of the picture of ``g`` (UTF-8, no external resource); ``options`` as
    for :func:`build_network`."""
    return build_network(g, title=title, **options).generate_html()

"""One self-contained, offline HTML page for a NetworkX graph.

Why not pyvis's own writer: its template always loads Bootstrap (and by default vis-network)
from a CDN, writes a ``lib/`` folder into the working directory, inserts the heading as raw
HTML and switches tooltips to raw ``innerHTML`` when a title contains "href"; its add_node /
add_edge are quadratic. So the node and edge lists are built here directly and the vendored
vis-network JS/CSS are inlined into our own small template.

Safety, in layers:
1. user text reaches the page only as JSON inside ``<script type="application/json">`` with
   ``<``, ``>`` and ``&`` written as ``\\u003c`` etc., so ``</script>`` in a label cannot end the
   block; the title goes through ``html.escape``;
2. the page script puts text into the DOM with ``textContent`` only (tooltips are elements
   built that way, so vis-network never parses them as HTML); canvas labels are drawn as text;
3. a Content-Security-Policy allows only the page's own scripts (by hash) and no network at
   all, so even a mistake in 1–2 could neither run an injected handler nor fetch anything.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
import re
from importlib import resources

import networkx as nx

from .style import LABEL_INSIDE, TEXT, style_for

MAX_NODES = 2000          # beyond this the page keeps the most connected nodes and says so
EDGE_LABELS_UP_TO = 150   # edge labels clutter a big picture; they stay in the tooltips
LABEL_CHARS = 24          # longer names are shortened on the canvas (full text in the tooltip)

FACT_KEYS = ["notation", "statedAs", "obsValue", "unitMeasure", "comparator", "refPeriod", "valueKind",
             "comparedWith", "qualitativeTarget", "declaredCount", "actionVerb", "task", "leadArea",
             "goalStatus", "jobTitle", "recurrence"]


@functools.cache
def _static(name: str) -> str:
    return resources.files(__package__).joinpath("static", name).read_text(encoding="utf-8")


def _csp_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


def script_json(obj) -> str:
    """JSON safe to place inside a <script> element: no '<', '>' or '&' survives literally."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"


def _type_label(vocab, t, lang):
    names = vocab.get(t, {})
    return names.get(lang) or names.get("en" if lang == "zh" else "zh") or t


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
    lines = [f"{T['type']}: {_type_label(vocab, d.get('type'), lang)}"]
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
    return g.subgraph(order[:max_nodes]), total - max_nodes


def graph_payload(g: nx.MultiDiGraph, *, lang: str = "zh", layout: str = "force",
                  max_nodes: int = MAX_NODES) -> dict:
    """Everything the page script needs, as plain JSON-able data."""
    focus = g.graph.get("focus")
    keep = {focus} if focus else set()
    keep |= set(g.graph.get("keep", ()))
    keep |= {n for n, d in g.nodes(data=True) if d.get("group")}  # a group node stands for many
    shown, hidden = cap(g, max_nodes, keep)
    vocab = g.graph.get("vocab", {})
    index = {n: i for i, n in enumerate(shown.nodes)}
    types: dict[str, int] = {}
    nodes = []
    for n, d in shown.nodes(data=True):
        t = d.get("type") or "entity"
        types[t] = types.get(t, 0) + 1
        label = d.get("label") or d.get(lang) or str(n)
        node = {"id": index[n], "iri": n, "label": _short(label), "type": t, "tip": _node_tip(n, d, vocab, lang),
                "find": " ".join(str(x) for x in (label, d.get("zh"), d.get("en"), *(d.get("alt") or [])) if x)}
        if layout == "hierarchical":
            node["level"] = style_for(t)["level"]
        if n == focus:
            node["focus"] = True
        if d.get("group"):
            node["group"] = d["group"]
            node["find"] = " ".join([node["find"], *d.get("group_sample", ())])
        nodes.append(node)
    edges = []
    for u, v, k, d in shown.edges(keys=True, data=True):
        e = {"from": index[u], "to": index[v], "label": d.get("label") or str(k),
             "tip": _edge_tip(d, vocab, lang)}
        if d.get("inferred"):
            e["dashes"] = True
        edges.append(e)
    legend = [{"id": t, "label": _type_label(vocab, t, lang), "count": c, **style_for(t)}
              for t, c in sorted(types.items(), key=lambda tc: (style_for(tc[0])["level"], tc[0]))]
    notices = []
    groups = g.graph.get("groups") or []
    grouped = sum(len(grp.hidden) for grp in groups)
    if groups:
        kinds = sorted({grp.type for grp in groups}, key=lambda t: (style_for(t)["level"], t))
        what = ("、" if lang == "zh" else ", ").join(_type_label(vocab, t, lang) for t in kinds)
        notices.append(TEXT[lang]["grouped"].format(hidden=f"{grouped:,}", groups=len(groups), what=what))
    if hidden:
        notices.append(TEXT[lang]["capped"].format(total=g.number_of_nodes(), shown=shown.number_of_nodes(),
                                                   hidden=hidden))
    notice = " ".join(notices) or None
    return {"lang": lang, "layout": layout, "text": TEXT[lang], "types": legend, "nodes": nodes, "edges": edges,
            "edgeLabels": len(edges) <= EDGE_LABELS_UP_TO, "labelInside": sorted(LABEL_INSIDE), "notice": notice,
            "total": g.number_of_nodes(), "hidden": hidden, "grouped": grouped, "groups": len(groups)}


def build_page(g: nx.MultiDiGraph, *, title: str, subtitle: str = "", lang: str = "zh", layout: str = "force",
               max_nodes: int = MAX_NODES) -> str:
    """The HTML text of the picture of ``g`` (UTF-8, no external resource)."""
    payload = graph_payload(g, lang=lang, layout=layout, max_nodes=max_nodes)
    vis_js, page_js = _static("vis-network.min.js"), _static("page.js")
    csp = ("default-src 'none'; script-src " + _csp_hash(vis_js) + " " + _csp_hash(page_js)
           + "; style-src 'unsafe-inline'; img-src data:; font-src data:; connect-src 'none'; "
           "form-action 'none'; base-uri 'none'")
    parts = {
        "LANG": "zh-CN" if lang == "zh" else "en",
        "CSP": html.escape(csp, quote=False).replace("\"", "&quot;"),  # readable: keep the single quotes
        "TITLE": html.escape(title),
        "SUBTITLE": html.escape(subtitle),
        "SEARCH": html.escape(TEXT[lang]["search"]),
        "FIND": html.escape(TEXT[lang]["find"]),
        "TYPES": html.escape(TEXT[lang]["types"]),
        "DETAILS": html.escape(TEXT[lang]["details"]),
        "HINT": html.escape(TEXT[lang]["hint"]),
        "VIS_CSS": _static("vis-network.css"),
        "PAGE_CSS": _static("page.css"),
        "DATA": script_json(payload),
        "VIS_JS": vis_js,
        "PAGE_JS": page_js,
    }
    # one pass over the template, so text inserted for one placeholder is never re-scanned
    return re.sub(r"@@([A-Z_]+)@@", lambda m: parts[m.group(1)], _static("template.html"))

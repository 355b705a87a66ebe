"""How each entity type looks: colour, shape, and level in the hierarchical layout.

Colours are from the Tableau 10 palette (distinguishable, print well); shapes differ too, so
the picture still reads in greyscale or for colour-blind readers. Levels put the plan's
top-down logic on the page: pillar → indicator / target → measure → chain → enterprise.
"""
from __future__ import annotations

STYLES: dict[str, dict] = {
    "qd:Pillar":                {"color": "#d62728", "shape": "box",          "level": 0},
    "qd:Goal":                  {"color": "#ff9896", "shape": "box",          "level": 0},
    "qd:Indicator":             {"color": "#ff7f0e", "shape": "diamond",      "level": 1},
    "qd:Target":                {"color": "#ffbb78", "shape": "triangle",     "level": 2},
    "qb:Observation":           {"color": "#c49c94", "shape": "triangleDown", "level": 4},
    "qd:Measure":               {"color": "#1f77b4", "shape": "dot",          "level": 2},
    "qd:IndustryChain":         {"color": "#2ca02c", "shape": "hexagon",      "level": 3},
    "qd:ChainCategory":         {"color": "#98df8a", "shape": "ellipse",      "level": 2},
    "qd:ClusterTier":           {"color": "#bcbd22", "shape": "ellipse",      "level": 2},
    "qd:ChainPortfolio":        {"color": "#dbdb8d", "shape": "ellipse",      "level": 2},
    "qd:Enterprise":            {"color": "#9467bd", "shape": "square",       "level": 4},
    "qd:Platform":              {"color": "#17becf", "shape": "star",         "level": 4},
    "qd:Programme":             {"color": "#e377c2", "shape": "ellipse",      "level": 3},
    "qd:Dimension":             {"color": "#7f7f7f", "shape": "box",          "level": 0},
    "qd:IndustrySystemElement": {"color": "#aec7e8", "shape": "ellipse",      "level": 1},
    "qd:PlanDocument":          {"color": "#8c564b", "shape": "box",          "level": 0},
    "qd:PressEvent":            {"color": "#8c564b", "shape": "ellipse",      "level": 0},
    "qd:Person":                {"color": "#c5b0d5", "shape": "dot",          "level": 1},
    "qd:Agency":                {"color": "#c7c7c7", "shape": "box",          "level": 1},
}
FALLBACK = {"color": "#999999", "shape": "dot", "level": 5}

# Community colours (--color community): Tableau 20, strong shades first; communities past
# the 20th share one grey, and the legend says how many there are.
COMMUNITY_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22",
                    "#17becf", "#7f7f7f", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
                    "#f7b6d2", "#dbdb8d", "#9edae5", "#c7c7c7"]
OTHER_COMMUNITY = "#e0e0e0"
PATH_COLOR = "#d62728"    # the links of a shortest path (viz path)

# Fixed strings of the page, in both languages.
TEXT = {
    "zh": {"search": "搜索节点…", "find": "查找", "types": "类型", "nodes": "节点", "edges": "关系",
           "no_match": "没有匹配的节点", "capped": "图中共有 {total} 个节点，为保持流畅只显示连接最多的 {shown} 个（其余 {hidden} 个未显示）。",
           "hint": "拖动平移 · 滚轮缩放 · 点击节点查看详情，双击打开其页面 · 勾选类型以显示/隐藏",
           "details": "详情", "stated": "原文陈述", "inferred": "推断", "source": "原文",
           "type": "类型", "all": "全部", "none": "清除", "settling": "布局计算中…", "empty": "此视图中没有节点。",
           "grouped": "为保持清晰，{hidden} 个只连到同一节点的{what}合并成 {groups} 个汇总节点（标有数量）；"
                      "悬停汇总节点可见部分名称，用 qdgraph viz enterprise 名称 查看其中某一个。",
           "group_label": "另有 {count:,} 个{type}",
           "group_tip": "{count:,} 个{type}经“{rel}”只连到 {anchor}，为保持图面清晰合并为此节点（另有 {shown} 个单独显示）。",
           "group_sample": "其中包括：", "group_more": "等",
           "png": "下载 PNG", "png_tip": "把整张图保存为 PNG 图片（含画面外的部分；在本机生成，不联网）",
           "fit": "适应窗口", "fit_tip": "缩放到能看到整张图", "open": "打开实体页面", "links": "关联依据",
           "link_names": {"structure": "结构关系", "inferred": "推断"}, "faint": "（背景，淡显）",
           "entity": "其他资源",
           "communities": "社区（Louvain）", "community": "社区 {n}：{name} 等", "other_communities": "其余 {n} 个小社区",
           "size": "节点大小：{measure}{estimated}", "estimated": "（抽样估计）",
           "measures": {"degree": "度", "betweenness": "介数中心性", "pagerank": "PageRank"},
           "path_sub": "{hops} 步，最短路径 {paths} 条（红色），及其周边", "path_more": "（只画出前 {n} 条）",
           "rank_sub": "{types}中最核心的 {top} 个（按介数中心性），及连接它们的节点",
           "rank_tip": "第 {rank} 名 · 介数中心性 {betweenness:.4f} · 度 {degree}"},
    "en": {"search": "Search nodes…", "find": "Find", "types": "Types", "nodes": "nodes", "edges": "edges",
           "no_match": "No node matches", "capped": "The graph has {total} nodes; to stay responsive only the {shown} most "
           "connected are shown ({hidden} hidden).",
           "hint": "Drag to pan · scroll to zoom · click a node for details, double-click to open its page · "
                   "tick types to show/hide",
           "details": "Details", "stated": "stated", "inferred": "inferred", "source": "Source",
           "type": "Type", "all": "All", "none": "None", "settling": "Laying out…", "empty": "This view has no nodes.",
           "grouped": "To keep the picture readable, {hidden} {what} linked only to one node are grouped into {groups} "
                      "summary node(s) showing their count; hover one for some names, or run qdgraph viz enterprise "
                      "NAME to see one of them.",
           "group_label": "{count:,} more: {type}",
           "group_tip": "{count:,} × {type} linked only to {anchor} by “{rel}”, grouped into this node to keep the "
                        "picture readable ({shown} more are shown on their own).",
           "group_sample": "Among them: ", "group_more": "…",
           "png": "Download PNG", "png_tip": "Save the whole picture as a PNG image, the parts off screen too (made on "
                  "this machine, offline)",
           "fit": "Fit", "fit_tip": "Zoom to show the whole picture", "open": "Open its page", "links": "Link basis",
           "link_names": {"structure": "structure", "inferred": "inferred"}, "faint": " (context, faint)",
           "entity": "other resource",
           "communities": "Communities (Louvain)", "community": "Community {n}: {name} …",
           "other_communities": "{n} more small communities",
           "size": "Node size: {measure}{estimated}", "estimated": " (estimated from a sample)",
           "measures": {"degree": "degree", "betweenness": "betweenness", "pagerank": "PageRank"},
           "path_sub": "{hops} hop(s), {paths} shortest path(s) (red), with their surroundings",
           "path_more": " (only the first {n} drawn)",
           "rank_sub": "the {top} most central {types} (by betweenness), and the nodes linking them",
           "rank_tip": "rank {rank} · betweenness {betweenness:.4f} · degree {degree}"},
}


# How a link is drawn, by what it rests on (its claim's qd:basis): the stronger, the thicker and
# the more solid. A roadmap link (a measure on the same pillar's roadmap as the indicator) is
# context, not an effect: faint and unlabelled. Links with no claim (a chain's category) are
# structure: thin and solid.
BASIS_STYLES: dict[str, dict] = {
    "qd:Stated":                {"width": 2.4},
    "qd:InferredFromSubject":   {"width": 1.8, "dashes": [8, 4]},
    "qd:InferredFromHierarchy": {"width": 1.3, "dashes": [4, 4]},
    "qd:InferredFromContext":   {"width": 1.1, "dashes": [2, 4]},
    "qd:InferredFromRoadmap":   {"width": 0.8, "dashes": [2, 6], "faint": True},
    "inferred":                 {"width": 1.0, "dashes": [4, 4]},
    "structure":                {"width": 1.2},
}
CONTEXT_RELATIONS = frozenset({"qd:sameRoadmapAs"})


def basis_style(basis: str | None, rel: str | None = None, inferred: bool = False) -> dict:
    """{"key", "width", "dashes"?, "faint"?} for a link with this basis and relation."""
    if rel in CONTEXT_RELATIONS:
        key = "qd:InferredFromRoadmap"
    elif basis in BASIS_STYLES:
        key = basis
    else:
        key = "inferred" if inferred or (basis or "").startswith("qd:Inferred") else "structure"
    return {"key": key, **BASIS_STYLES[key]}


def link_legend(counts: dict[str, int], vocab: dict, lang: str) -> list[dict]:
    """The legend of link strengths drawn on a page, strongest first, named in ``lang``."""
    T, other = TEXT[lang], "en" if lang == "zh" else "zh"
    out = []
    for key in BASIS_STYLES:
        if key not in counts:
            continue
        names = vocab.get(key, {})
        label = T["link_names"].get(key) or names.get(lang) or names.get(other) or key
        if BASIS_STYLES[key].get("faint"):
            label += T["faint"]
        out.append({"key": key, "label": label, "count": counts[key], **BASIS_STYLES[key]})
    return out


def style_for(type_: str | None) -> dict:
    return STYLES.get(type_ or "", FALLBACK)

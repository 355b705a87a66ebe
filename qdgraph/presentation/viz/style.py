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
           "hint": "拖动平移 · 滚轮缩放 · 点击节点查看详情 · 勾选类型以显示/隐藏",
           "details": "详情", "stated": "原文陈述", "inferred": "推断", "source": "原文",
           "type": "类型", "all": "全部", "none": "清除", "settling": "布局计算中…", "empty": "此视图中没有节点。",
           "grouped": "为保持清晰，{hidden} 个只连到同一节点的{what}合并成 {groups} 个汇总节点（标有数量）；"
                      "悬停汇总节点可见部分名称，用 qdgraph viz enterprise 名称 查看其中某一个。",
           "group_label": "另有 {count:,} 个{type}",
           "group_tip": "{count:,} 个{type}经“{rel}”只连到 {anchor}，为保持图面清晰合并为此节点（另有 {shown} 个单独显示）。",
           "group_sample": "其中包括：", "group_more": "等",
           "png": "下载 PNG", "png_tip": "把当前画面保存为 PNG 图片（在本机生成，不联网）",
           "communities": "社区（Louvain）", "community": "社区 {n}：{name} 等", "other_communities": "其余 {n} 个小社区",
           "size": "节点大小：{measure}{estimated}", "estimated": "（抽样估计）",
           "measures": {"degree": "度", "betweenness": "介数中心性", "pagerank": "PageRank"},
           "path_sub": "{hops} 步，最短路径 {paths} 条（红色），及其周边", "path_more": "（只画出前 {n} 条）",
           "rank_sub": "{types}中最核心的 {top} 个（按介数中心性），及连接它们的节点",
           "rank_tip": "第 {rank} 名 · 介数中心性 {betweenness:.4f} · 度 {degree}"},
    "en": {"search": "Search nodes…", "find": "Find", "types": "Types", "nodes": "nodes", "edges": "edges",
           "no_match": "No node matches", "capped": "The graph has {total} nodes; to stay responsive only the {shown} most "
           "connected are shown ({hidden} hidden).",
           "hint": "Drag to pan · scroll to zoom · click a node for details · tick types to show/hide",
           "details": "Details", "stated": "stated", "inferred": "inferred", "source": "Source",
           "type": "Type", "all": "All", "none": "None", "settling": "Laying out…", "empty": "This view has no nodes.",
           "grouped": "To keep the picture readable, {hidden} {what} linked only to one node are grouped into {groups} "
                      "summary node(s) showing their count; hover one for some names, or run qdgraph viz enterprise "
                      "NAME to see one of them.",
           "group_label": "{count:,} more: {type}",
           "group_tip": "{count:,} × {type} linked only to {anchor} by “{rel}”, grouped into this node to keep the "
                        "picture readable ({shown} more are shown on their own).",
           "group_sample": "Among them: ", "group_more": "…",
           "png": "Download PNG", "png_tip": "Save the picture as it is now as a PNG image (made on this machine, offline)",
           "communities": "Communities (Louvain)", "community": "Community {n}: {name} …",
           "other_communities": "{n} more small communities",
           "size": "Node size: {measure}{estimated}", "estimated": " (estimated from a sample)",
           "measures": {"degree": "degree", "betweenness": "betweenness", "pagerank": "PageRank"},
           "path_sub": "{hops} hop(s), {paths} shortest path(s) (red), with their surroundings",
           "path_more": " (only the first {n} drawn)",
           "rank_sub": "the {top} most central {types} (by betweenness), and the nodes linking them",
           "rank_tip": "rank {rank} · betweenness {betweenness:.4f} · degree {degree}"},
}


def style_for(type_: str | None) -> dict:
    return STYLES.get(type_ or "", FALLBACK)

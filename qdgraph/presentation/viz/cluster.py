"""Grouping: a node with thousands of leaves (a chain with 9,000 enterprises) is drawn with a
few of them and one "N more" node standing for the rest, so the picture stays readable and the
page small. The page says so (``TEXT["grouped"]``) and each group node's tooltip names some of
the members and how to see one of them.

A *leaf* is a node whose only neighbour in the view is its *anchor*. Leaves of one anchor with
the same type and the same links to it form a group; a group of more than ``over`` members
keeps its first ``show`` (by IRI, so the choice is stable) and folds the rest into one node.
Everything here is linear in the number of links.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

GROUP_OVER = 50     # more leaves of one type on one node than this are grouped …
GROUP_SHOW = 40     # … of which this many stay on the page
SAMPLE = 12         # member names listed in a group node's tooltip


@dataclass
class Group:
    anchor: str
    type: str                    # the members' type (qd:Enterprise); the group node has it too
    links: tuple                 # ((short relation, member is the subject), …)
    shown: list = field(default_factory=list)
    hidden: list = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"qdgraph:group/{self.type}/{self.anchor}"


def find_groups(types: dict[str, str], links: Iterable[tuple[str, str, str]], *, protect=(),
                over: int = GROUP_OVER, show: int = GROUP_SHOW) -> list[Group]:
    """Groups of more than ``over`` leaves. ``types``: node → main type; ``links``: (subject,
    short relation, object) between those nodes; ``protect``: nodes never folded away."""
    show = max(0, min(show, over))
    nbrs: dict[str, set] = defaultdict(set)
    how: dict[str, set] = defaultdict(set)
    for s, rel, o in links:
        if s == o or s not in types or o not in types:
            continue
        nbrs[s].add(o)
        nbrs[o].add(s)
        how[s].add((rel, True))
        how[o].add((rel, False))
    protect = set(protect)
    buckets: dict[tuple, list] = defaultdict(list)
    for n, ns in nbrs.items():
        if len(ns) != 1 or n in protect:
            continue
        anchor = next(iter(ns))
        if len(nbrs[anchor]) == 1:  # a pair linked only to each other: nothing to group
            continue
        buckets[(anchor, types[n], tuple(sorted(how[n])))].append(n)
    groups = []
    for (anchor, t, rels), members in buckets.items():
        if len(members) > over:
            members.sort()
            groups.append(Group(anchor, t, rels, members[:show], members[show:]))
    groups.sort(key=lambda g: (g.anchor, g.type, g.links))
    return groups


def hidden_members(groups: list[Group]) -> set[str]:
    return {n for g in groups for n in g.hidden}


def add_groups(g, groups: list[Group], lang: str, samples: dict[str, list[str]] | None = None) -> None:
    """Remove the groups' hidden members from ``g`` (if there) and add one node per group, linked
    to its anchor as the members were. ``samples``: group id → a few member names (else taken
    from ``g``)."""
    from qdgraph.presentation.viz.style import TEXT

    if not groups:
        return
    vocab = g.graph.get("vocab", {})
    other = "en" if lang == "zh" else "zh"
    T = TEXT[lang]

    def name(key):
        names = vocab.get(key, {})
        return names.get(lang) or names.get(other) or key

    for grp in groups:
        if grp.anchor not in g:
            continue
        sample = (samples or {}).get(grp.id)
        if sample is None:
            sample = [g.nodes[n].get("label") or n for n in grp.hidden[:SAMPLE] if n in g]
        g.remove_nodes_from([n for n in grp.hidden if n in g])
        count = len(grp.hidden)
        type_name, anchor_name = name(grp.type), g.nodes[grp.anchor].get("label") or grp.anchor
        rel_names = "、".join(name(rel) for rel, _ in grp.links) if lang == "zh" else \
            ", ".join(name(rel) for rel, _ in grp.links)
        g.add_node(grp.id, type=grp.type, types=[grp.type], zh=None, en=None, group=count,
                   label=T["group_label"].format(count=count, type=type_name),
                   group_tip=T["group_tip"].format(count=count, type=type_name, anchor=anchor_name,
                                                   rel=rel_names, shown=len(grp.shown)),
                   group_sample=list(sample[:SAMPLE]))
        for rel, member_is_subject in grp.links:
            u, v = (grp.id, grp.anchor) if member_is_subject else (grp.anchor, grp.id)
            names = vocab.get(rel, {})
            g.add_edge(u, v, key=rel, rel=rel, rel_zh=names.get("zh") or rel, rel_en=names.get("en") or rel,
                       label=f"{name(rel)} ×{count:,}", basis=None, inferred=False, evidence=None, group=count)


def group_graph(g, lang: str, *, protect=(), over: int = GROUP_OVER, show: int = GROUP_SHOW) -> list[Group]:
    """Group the leaves of a whole NetworkX projection in place (the ``all`` view)."""
    types = {n: d.get("type") or "entity" for n, d in g.nodes(data=True)}
    groups = find_groups(types, ((u, k, v) for u, v, k in g.edges(keys=True)), protect=protect, over=over, show=show)
    add_groups(g, groups, lang)
    return groups

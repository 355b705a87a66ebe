"""``qdgraph rules``: the declared inference rules and what they derive."""
from __future__ import annotations


import click

from qdgraph.interfaces.cli.common import command, emit, emit_json, format_option, graph_options, lang_option


@command()
@graph_options
@format_option(["text", "json", "table", "csv", "tsv"], "text")
@lang_option
def rules(kg, fmt, lang):
    """The inference rules (qdgraph/storage/rules/*.rq): each rule's name, description, the basis its
    links take, and how many links it derives in the graph.

    \b
    Examples:
      qdgraph rules
      qdgraph rules --lang en --format json
    """
    from qdgraph.namespaces import shorten
    from qdgraph.storage.rules import describe_rules

    items = describe_rules(kg())
    if fmt == "json":
        return emit_json(items)
    if fmt in ("table", "csv", "tsv"):
        import pyoxigraph as ox

        from qdgraph.presentation.formats import write
        from qdgraph.engine.results import SelectResult

        cols = ["rule", "name", "basis", "links", "description"]
        rows = [{"rule": ox.NamedNode(i["rule"]), "name": ox.Literal(i[lang]), "basis": ox.NamedNode(i["basis"]),
                 "links": ox.Literal(str(i["links"])), "description": ox.Literal(i["description_" + lang])} for i in items]
        return emit(write(SelectResult(cols, rows), fmt), fmt)
    zh = lang == "zh"
    out = []
    for i in items:
        out.append(f"{i[lang]} ({i['en' if zh else 'zh']}) — {shorten(i['rule'])}")
        out.append(f"   {i['description_' + lang]}")
        out.append(f"   {'依据类型' if zh else 'basis'}: {shorten(i['basis'])}   {'文件' if zh else 'file'}: {i['file']}   "
                   + (f"推出关联: {i['links']} 条" if zh else f"links derived: {i['links']}"))
        out.append("")
    emit("\n".join(out))


@command()
@click.option("--all", "show_all", is_flag=True, help="Every reading in the graph, not only those answers rest on.")
@graph_options
@format_option(["text", "json", "table", "csv", "tsv"], "text")
@lang_option
def readings(show_all, kg, fmt, lang):
    """The readings the answers rest on: claims the source does not state, made from context,
    each with its rationale, how many measure→indicator links rest on it, and its verdict.

    An analyst overrules one in data/verdicts.ttl (who, when, accept or reject, why): a rejected
    reading is dropped when the graph is built, and every link resting on it with it; `qdgraph
    validate` reports a verdict that no longer matches a reading.

    \b
    Examples:
      qdgraph readings
      qdgraph readings --all --format csv
    """
    from qdgraph.domain.measures import readings as all_readings
    from qdgraph.namespaces import shorten

    items = [r for r in all_readings(kg()) if show_all or r["links"] or r["verdict"]]
    if fmt == "json":
        return emit_json(items)
    zh = lang == "zh"

    def verdict(r):
        v = r["verdict"]
        if not v:
            return ""
        word = {"accepted": ("已接受", "accepted"), "rejected": ("已否决", "rejected")}[v["decision"]][0 if zh else 1]
        return f"{word} ({v['who']}, {v['when']})" + (f": {v['why']}" if v["why"] else "")

    if fmt in ("table", "csv", "tsv"):
        import pyoxigraph as ox

        from qdgraph.engine.results import SelectResult
        from qdgraph.presentation.formats import write

        cols = ["claim", "subject", "relation", "object", "links", "rationale", "verdict"]
        rows = [{"claim": ox.NamedNode(r["claim"]), "subject": ox.Literal(r["subject_" + lang]),
                 "relation": ox.Literal(r["relation_" + lang]), "object": ox.Literal(r["object_" + lang]),
                 "links": ox.Literal(str(r["links"])), "rationale": ox.Literal(r["rationale"][lang]),
                 "verdict": ox.Literal(verdict(r))} for r in items]
        return emit(write(SelectResult(cols, rows), fmt), fmt)
    from qdgraph.interfaces.cli.ask import render_blocks, rows_block, text_of

    head = (f"{len(items)} 条解读（原文没有直说，由上下文推断）" + ("" if show_all else "，答案依赖它们；--all 列出全部")
            if zh else f"{len(items)} readings (not stated by the source, inferred from context)"
            + ("" if show_all else " that answers rest on; --all lists every one"))
    blocks = [text_of(head), text_of("在 data/verdicts.ttl 里接受或否决（qd:onClaim 写下面的 IRI）" if zh
                           else "accept or reject them in data/verdicts.ttl (qd:onClaim the IRI below)")]
    rows = []
    for k, r in enumerate(items, 1):
        lines = [text_of(f"{r['subject_' + lang]} —{r['relation_' + lang]}→ {r['object_' + lang]}"),
                 text_of(f"{'理由：' if zh else 'why: '}{r['rationale'][lang] or r['rationale']['en' if zh else 'zh']}"),
                 text_of(f"{shorten(r['claim'])}  " + (f"依赖它的关联 {r['links']} 条" if zh else f"links resting on it: {r['links']}")
                    + (f"  {verdict(r)}" if r["verdict"] else ""))]
        rows.append((f"{k:>2}.", lines))
    blocks.append(rows_block(rows))
    emit(render_blocks(blocks))

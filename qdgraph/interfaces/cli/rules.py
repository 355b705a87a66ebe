"""``qdgraph rules``: the declared inference rules and what they derive."""
from __future__ import annotations


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

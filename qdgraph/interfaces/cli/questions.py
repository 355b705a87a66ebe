"""``qdgraph ask "哪些措施影响人才总量"``: the plain questions the site answers, from the command line.

The library (qdgraph.domain.questions) matches the question and runs its named query; this
module prints the answer and the way to run that query yourself.
"""
from __future__ import annotations

import click

from qdgraph.errors import NotFoundError, UsageError
from qdgraph.interfaces.cli.common import (SHOWN, command, emit, emit_json, format_option, graph_options, lang_option,
                                           shell_word, tr)


def run_line(ans) -> str:
    """The `qdgraph query` command that runs the answer's named query with its bindings."""
    import shlex

    from qdgraph.namespaces import shorten

    params = " ".join(f"--param {shlex.quote(f'{k}={shorten(v)}')}" for k, v in ans.params.items())
    return f"qdgraph query --name {ans.query}" + (f" {params}" if params else "")


@command(help=tr("Answer a plain question, as the site's search box does, and say which named query ran.\n\n"
                 "\b\n"
                 "Questions understood (Chinese or English), for example:\n"
                 "  哪些措施影响人才总量                   which measures affect an indicator\n"
                 "  卡奥斯属于哪条产业链                   which industry chain an entity belongs to\n"
                 "  数字经济核心产业增加值占比的目标是多少   an indicator's target\n\n"
                 "\b\n"
                 "Examples:\n"
                 "  qdgraph ask 哪些措施影响人才总量\n"
                 "  qdgraph ask 歌尔属于哪条产业链 --show-sparql\n"
                 "  qdgraph ask \"what is the target of total talent\" --lang en --format json"))
@click.argument("question")
@click.option("--show-sparql", is_flag=True, help=tr("Print the SPARQL that ran, with its bindings."))
@graph_options
@format_option(["text", "json"], "text")
@lang_option
def ask(question, show_sparql, kg, fmt, lang):
    # the help above is worded by the catalogue when this module is imported (lazily, by the
    # command table: in the `qdgraph` process, after the locale is known)
    from qdgraph.domain.questions import EXAMPLES, answer

    if not question.strip():
        raise UsageError(tr("give a question, e.g. %(example)s", lang, example=EXAMPLES[0]))
    ans = answer(kg(), question)
    if ans is None:
        raise UsageError(tr("not a question qdgraph understands: %(q)s; ask like %(examples)s, "
                            "or look a name up with `qdgraph search NAME`", lang,
                            q=question, examples=" / ".join(EXAMPLES)))
    if ans.iri is None:
        near = ", ".join(c[lang] or c["zh"] or c["iri"] for c in ans.candidates)
        msg = tr("Nothing of that kind is called “%(name)s”.", lang, name=ans.name)
        raise NotFoundError(msg + (" " + tr("Did you mean:", lang) + " " + near if near else ""),
                            [c["iri"] for c in ans.candidates])
    if fmt == "json":
        from dataclasses import asdict

        return emit_json({**asdict(ans), "run": run_line(ans)})
    emit("\n".join(_text(kg(), ans, lang, show_sparql)))


def _label(item: dict, lang: str) -> str:
    return item.get(lang) or item.get("zh") or item.get("en") or item["iri"]


def _text(kg, ans, lang: str, show_sparql: bool) -> list[str]:
    name = ans.zh if lang == "zh" else ans.en or ans.zh
    out: list[str] = []
    if ans.kind == "measures":
        out.append(tr("Measures that affect %(name)s:", lang, name=name))
        if not ans.items:
            out.append("  " + tr("No measure is linked to this indicator.", lang))
        shown = ans.items[:SHOWN]  # as `measures` lists them (--format json carries all)
        for i, it in enumerate(shown, 1):
            basis = it.get("basis_" + lang) or ""
            out.append(f"{i:>3}. {_label(it, lang)}" + (f"  [{basis}]" if basis else ""))
            if it.get("quote"):
                out.append(f"     “{it['quote']['exact']}”")
        if len(shown) < len(ans.items):
            more = f"{len(ans.items) - len(shown):,}"
            out.append("     " + tr("… and %(n)s more: %(cmd)s lists them all", lang, n=more,
                                   cmd=f"qdgraph measures {shell_word(ans.zh or ans.iri)} --full"))
    elif ans.kind == "chain":
        if ans.items:
            out.append(tr("%(name)s is in the chain:", lang, name=name))
            out += [f"  - {_label(it, lang)}" for it in ans.items]
        else:
            out.append(tr("The source names no industry chain for %(name)s.", lang, name=name))
            if ans.related:
                out.append(tr("What it does say:", lang))
                names = kg.names()
                for r in ans.related:
                    rel = _relation(names, r["relation"], lang)
                    out.append(f"  ← {rel}: {_label(r, lang)}" if r["inverse"] else f"  → {rel}: {_label(r, lang)}")
    elif ans.kind == "target":
        out.append(tr("Target of %(name)s:", lang, name=name))
        if not ans.items:
            out.append("  " + tr("no target set", lang))
        for it in ans.items:
            year = f" ({it['year']})" if it.get("year") else ""
            out.append(f"  {_label(it, lang)}{year}")
    out.append("")
    if show_sparql:
        out.append(tr("The SPARQL that ran", lang) + f" ({ans.query}; "
                   + ", ".join(f"?{k} = <{v}>" for k, v in ans.params.items()) + "):")
        out.append(ans.sparql.rstrip())
        out.append("")
    out.append(tr("Answered by the named query %(query)s; run it yourself: %(cmd)s", lang, query=ans.query, cmd=run_line(ans)))
    return out


def _relation(names, iri: str, lang: str) -> str:
    """A relation's name in ``lang``: the ontology's label, else the catalogue's term, else its IRI."""
    from qdgraph.namespaces import shorten
    from qdgraph.presentation.i18n import term

    entry = names.entry(iri) or {}
    return entry.get(lang) or term(iri, lang) or entry.get("zh") or shorten(iri)

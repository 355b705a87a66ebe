"""`qdgraph ask`: the plain questions answered from the CLI, checked against what the named query
it names returns when run by hand; the CLI's language (--lang, the locale) and its catalogue."""
from __future__ import annotations

import inspect
import json
import re
import shlex

import pytest
from conftest import assert_one_line_error, invoke, run_cli

from qdgraph.domain.questions import EXAMPLES

# what each kind of question lists, as the named query's variable
ITEM_VAR = {"measures": "measure", "chain": "chain", "target": "target"}


def _ask_json(question, *args):
    res = invoke("ask", question, "--format", "json", *args)
    assert res.code == 0, res
    return json.loads(res.out)


def _rows_of(run_line: str) -> list[dict]:
    """The rows of the `qdgraph query …` line the answer prints, run as printed."""
    argv = shlex.split(run_line)
    assert argv[:2] == ["qdgraph", "query"], run_line
    res = invoke(*argv[1:], "--format", "json")
    assert res.code == 0, res
    return json.loads(res.out)["results"]["bindings"]


@pytest.mark.parametrize("question", [*EXAMPLES, "歌尔属于哪条产业链", "what is the target of total talent"])
def test_an_answer_is_what_its_named_query_returns_when_run_by_hand(question):
    ans = _ask_json(question)
    assert ans["iri"] and ans["query"] in ans["run"]
    rows = _rows_of(ans["run"])
    var = ITEM_VAR[ans["kind"]]
    from_query = {r[var]["value"] for r in rows if var in r}
    assert {it["iri"] for it in ans["items"]} == from_query
    # the text answer names every item, in the language asked for, and how to run the query
    for lang in ("zh", "en"):
        text = invoke("ask", question, "--lang", lang)
        assert text.code == 0, text
        for it in ans["items"]:
            assert (it[lang] or it["zh"]) in text.out
        assert text.out.rstrip().splitlines()[-1].endswith(ans["run"])
    if ans["kind"] != "chain" or from_query:
        assert from_query, "the example questions have answers in the bundled graph"


def test_a_question_with_no_stated_answer_says_so_and_what_the_graph_does_say():
    ans = _ask_json("卡奥斯属于哪条产业链")
    assert ans["items"] == [] and _rows_of(ans["run"]) == []
    res = invoke("ask", "卡奥斯属于哪条产业链", "--lang", "zh")
    assert "原文没有说明" in res.out
    for r in ans["related"]:  # the statements it does have, named in Chinese
        assert r["zh"] in res.out
    assert ans["related"]


def test_show_sparql_prints_the_query_that_ran_with_its_binding():
    from qdgraph.engine.queries import get_query

    ans = _ask_json(EXAMPLES[0])
    res = invoke("ask", EXAMPLES[0], "--show-sparql")
    assert res.code == 0, res
    body = [line for line in get_query(ans["query"]).text.splitlines() if line.strip()]
    assert all(line in res.out for line in body)
    assert f"<{ans['iri']}>" in res.out
    assert get_query(ans["query"]).text.splitlines()[-1] not in invoke("ask", EXAMPLES[0]).out


def test_an_unrecognised_question_is_one_line_naming_the_examples_and_search():
    res = invoke("ask", "今天天气怎么样")
    assert_one_line_error(res, 2, "今天天气怎么样", "qdgraph search", *EXAMPLES)
    assert "无法理解的问题" in res.err  # in Chinese unless asked otherwise
    res = invoke("ask", "今天天气怎么样", "--lang", "en")
    assert_one_line_error(res, 2, "not a question qdgraph understands", "qdgraph search")
    assert_one_line_error(invoke("ask", "  "), 2, EXAMPLES[0])


def test_a_name_that_is_not_there_is_one_line_with_near_names():
    res = invoke("ask", "哪些措施影响人才总", "--lang", "zh")  # near miss of 人才总量
    if res.code == 0:  # resolved by the name index's near-miss matching: then it is the real answer
        assert "人才总量" in res.out
    else:
        assert_one_line_error(res, 1, "人才总")
    assert_one_line_error(invoke("ask", "哪些措施影响完全不存在的东西"), 1, "完全不存在的东西")


# ------------------------------------------------------------------ language
def test_the_locale_picks_the_language_chinese_first():
    from qdgraph.presentation.i18n import from_locale

    assert from_locale({}) == "zh"
    assert from_locale({"LANG": "en_US.UTF-8"}) == "en"
    assert from_locale({"LANG": "zh_CN.UTF-8"}) == "zh"
    assert from_locale({"LANG": "C.UTF-8"}) == "zh"
    assert from_locale({"LANG": "en_GB.UTF-8", "LC_MESSAGES": "zh_TW.UTF-8"}) == "zh"
    assert from_locale({"LANG": "zh_CN.UTF-8", "LC_MESSAGES": "zh_CN", "LC_ALL": "en_US"}) == "en"
    assert from_locale({"LC_ALL": "", "LANG": "en"}) == "en"


def test_the_qdgraph_command_follows_the_locale_and_run_keeps_chinese_first():
    env = {"LC_ALL": "", "LC_MESSAGES": ""}
    en = run_cli("ask", EXAMPLES[2], env={**env, "LANG": "en_US.UTF-8"})
    zh = run_cli("ask", EXAMPLES[2], env={**env, "LANG": ""})
    assert en.code == zh.code == 0, (en, zh)
    assert "Target of" in en.out and "Answered by the named query" in en.out
    assert "的目标" in zh.out and "由命名查询" in zh.out and "Answered" not in zh.out
    assert en.out.splitlines()[-1].split()[-1] == zh.out.splitlines()[-1].split()[-1]  # the same query run
    # the help too: the command list, the shared options, a command's own text
    helps = run_cli("-h", env={**env, "LANG": "zh_CN.UTF-8"})
    assert "回答日常提问" in helps.out and "Which measures affect" not in helps.out, helps
    helps = run_cli("rank", "-h", env={**env, "LANG": "zh_CN.UTF-8"})
    assert "全图中最核心的条目" in helps.out and "输出格式" in helps.out and "Output format" not in helps.out, helps
    helps = run_cli("ask", "-h", env={**env, "LC_ALL": "en_US.UTF-8"})
    assert "Answer a plain question" in helps.out and "Output format." in helps.out, helps
    # in-process run() (a host program, the tests) ignores the locale: Chinese, as --lang always defaulted
    here = invoke("ask", EXAMPLES[2], env={"LANG": "en_US.UTF-8"})
    assert here.out == zh.out


FULLY_WORDED = ("ask", "validate", "docs", "path", "rank", "load", "show", "measures")


def test_every_message_the_cli_prints_is_in_both_catalogues():
    from pathlib import Path

    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    import qdgraph.interfaces.cli as cli_pkg
    from qdgraph.presentation import i18n

    used = {m if isinstance(m, str) else m[0] for _, _, m, _, _ in extract_from_dir(
        str(Path(cli_pkg.__file__).parent), method_map=[("**.py", "python")],
        keywords={"tr": None, "ntr": (1, 2)})}
    assert len(used) >= 10
    # and the words the command table and the group's help hold as data (msgids not in a tr() call)
    from qdgraph.interfaces.cli import COMMANDS, main

    used |= {c.help for c in COMMANDS.values()} | {inspect.cleandoc(main.help)}
    used |= {"Show this message and exit.", "Show the version and exit."}  # click's, on every help page
    # the commands worded in full: their help and every option's
    for name in FULLY_WORDED:
        cmd = main.get_command(None, name)
        used |= {inspect.cleandoc(cmd.help)} | {p.help for p in cmd.params if getattr(p, "help", None)}
    for lang in i18n.LANGS:
        with i18n.po_path(lang).open("rb") as f:
            cat = read_po(f)
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in cat if m.id and not m.context}
        assert used <= ids, (lang, sorted(used - ids))
        for m in used:
            text = cat.get(m).string
            text = text if isinstance(text, str) else text[0]
            assert text, (lang, m)
            if lang == "zh" and re.search(r"[a-z]{3}", re.sub(r"%\(\w+\)[sd]|`[^`]*`|--\w+", "", m)):
                assert re.search(r"[\u4e00-\u9fff]", text), ("an English message left in zh_CN", m)
            # the same %(name)s fields in the translation, or filling it in would fail
            assert sorted(re.findall(r"%\(\w+\)", m)) == sorted(re.findall(r"%\(\w+\)", text)), (lang, m)

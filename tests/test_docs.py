"""The documentation is true: every command has help with examples and a README mention, the
README's examples run as shown, and the public API's docstring examples pass (doctest)."""
from __future__ import annotations

import doctest
import importlib
import re
import shlex

import pytest

from conftest import ROOT, invoke
from qdgraph.interfaces.cli import COMMANDS

README = (ROOT / "README.md").read_text(encoding="utf-8")
# commands the README shows that need a server, a remote endpoint, a file of one's own, a store
# or a folder a store reads from (/data/ for Virtuoso)
NEEDS_MORE = ("serve", "push", "--endpoint", "--store", "-f my.rq", "/data/")


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, re.S)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_has_help_with_examples_and_a_readme_mention(name):
    res = invoke(name, "--help")
    assert res.code == 0, res
    assert f"Usage: qdgraph {name}" in res.out and "Examples" in res.out, res
    assert re.search(rf"qdgraph {name}\b", README), f"README never mentions `qdgraph {name}`"


def _readme_commands() -> list[list[str]]:
    out = []
    for block in _blocks("sh"):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("qdgraph ") and not any(k in line for k in NEEDS_MORE):
                out.append(shlex.split(line)[1:])
    return out


@pytest.mark.slow
@pytest.mark.parametrize("argv", _readme_commands(), ids=" ".join)
def test_readme_example_runs(argv, tmp_path):
    res = invoke(*argv, cwd=tmp_path)  # files the examples write land in tmp_path
    assert res.code == 0, res
    assert res.out or list(tmp_path.iterdir()) or res.err, res


def test_readme_console_example_shows_the_real_output(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")  # the README shows an 80-column terminal, whatever runs the test
    block = _blocks("console")[0]
    command, *shown = block.splitlines()
    argv = shlex.split(command.removeprefix("$ ").split("  #")[0])[1:]
    shown = shown[:shown.index("…")] if "…" in shown else shown
    res = invoke(*argv)
    assert res.code == 0, res
    assert res.out.splitlines()[:len(shown)] == shown


def test_readme_python_example_runs(capsys):
    for block in _blocks("python"):
        exec(compile(block, "README.md", "exec"), {})
    assert "qd:" in capsys.readouterr().out  # one line per measure, with its basis


@pytest.mark.parametrize("module", ["qdgraph", "qdgraph.engine.graph", "qdgraph.names", "qdgraph.presentation.formats", "qdgraph.domain.wording"])
def test_docstring_examples(module):
    failures, tried = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0


def test_every_public_name_exists():
    import qdgraph

    for name in qdgraph.__all__:
        assert getattr(qdgraph, name) is not None, name

"""The installed command's entry point as a real process (most CLI tests run in-process): the
same answer as in-process, one-line errors with their exit codes, no traceback."""
from __future__ import annotations

from conftest import assert_one_line_error, invoke, run_cli


def test_entry_point_answers_like_the_in_process_cli():
    real = run_cli("measures", "人才总量", "--format", "json")
    assert real.code == 0, real
    assert real.out == invoke("measures", "人才总量", "--format", "json").out


def test_entry_point_errors_are_one_line_with_exit_codes():
    assert_one_line_error(run_cli("measures", "完全不存在的指标名称"), 1, "qdgraph: error:")
    assert_one_line_error(run_cli("query", "DELETE WHERE { ?s ?p ?o }"), 2, "qdgraph: error:")
    res = run_cli("no-such-command")
    assert res.code == 2 and "Traceback" not in res.err

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


def test_a_file_the_command_writes_is_whole_when_the_process_has_ended(tmp_path):
    """A command that writes no store ends without Python's teardown (entry's os._exit): what it
    wrote must be on disk, whole, by then."""
    real, here = tmp_path / "real.nt", tmp_path / "here.nt"
    res = run_cli("export", "--format", "nt", "-o", real)
    assert res.code == 0, res
    assert invoke("export", "--format", "nt", "-o", here).code == 0
    assert real.read_bytes() == here.read_bytes() and real.stat().st_size > 100_000


def test_a_store_the_command_builds_is_whole_when_the_process_has_ended(tmp_path):
    """`qdgraph load` ends without Python's teardown too: its database is closed and its
    generation published by then, and the next process reads all of it."""
    from store_fixtures import EXTRA_TTL, triples

    from qdgraph.storage.generations import current_generation, read_manifest

    extra = tmp_path / "extra.ttl"
    extra.write_text(EXTRA_TTL, encoding="utf-8")
    res = run_cli("load", extra, "--store", tmp_path / "s")
    assert res.code == 0, res
    store = tmp_path / "s"
    assert triples(store) == read_manifest(current_generation(store))["triples"]
    assert invoke("measures", "人才总量", "--store", store).out == invoke("measures", "人才总量").out


def test_a_reader_that_leaves_early_ends_the_command_quietly():
    """`qdgraph measures … | head -1`: once the reader has its line and closes the pipe, the
    command stops with status 0 and says nothing (click alone exited 1)."""
    import subprocess
    import sys

    from conftest import ROOT

    proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "measures", "人才总量"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader leaves before the rest of the answer is written
    assert proc.wait(60) == 0 and proc.stderr.read() == b""
    assert "人才总量" in first.decode("utf-8")

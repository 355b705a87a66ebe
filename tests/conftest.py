"""Shared fixtures: the bundled graph, and a way to run the real CLI as a user would."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Tests build their own compiled store, never touching the user's cache."""
    os.environ["QDGRAPH_CACHE"] = str(tmp_path_factory.mktemp("qdgraph-cache"))
    yield


@pytest.fixture(scope="session")
def kg(_private_cache):
    from qdgraph.graph import open_graph

    return open_graph()


class CLIResult:
    def __init__(self, proc: subprocess.CompletedProcess):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def __repr__(self):
        return f"<exit {self.code}\nstdout: {self.out[:2000]}\nstderr: {self.err[:2000]}>"


def run_cli(*args, input=None, cwd=None, env=None, timeout=120) -> CLIResult:
    """Run ``python cli.py ARGS`` in a real subprocess (the same code as the installed command)."""
    e = dict(os.environ)
    e.update(env or {})
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], input=input,
                          capture_output=True, text=True, cwd=cwd or ROOT, env=e, timeout=timeout)
    return CLIResult(proc)


@pytest.fixture
def cli():
    return run_cli


def assert_one_line_error(res: CLIResult, code: int, *fragments: str):
    assert res.code == code, res
    assert "Traceback" not in res.err, res
    lines = [l for l in res.err.splitlines() if l.strip()]
    assert len(lines) == 1, res
    for f in fragments:
        assert f in lines[0], res

"""Shared fixtures: the bundled graph, and ways to run the CLI: in this process (``cli``, the
default) or as a real subprocess (``run_cli``, for the entry point, signals and time limits)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Keep compiled modules even where PYTHONDONTWRITEBYTECODE is set (as on these machines): the
# test modules' rewritten asserts (2 s a run) and the library that every server and CLI
# subprocess imports are then compiled once, not in every process.
sys.dont_write_bytecode = False


def pytest_xdist_auto_num_workers(config):
    """``-n auto``: one worker more than there are cores. Many tests wait on a server, a
    browser or a JVM; the extra worker keeps the cores busy meanwhile (on 2 cores: 116 s for
    the suite with 3 workers, 127 s with 2)."""
    return (os.cpu_count() or 1) + 1


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Tests build their own compiled store, never touching the user's cache."""
    os.environ["QDGRAPH_CACHE"] = str(tmp_path_factory.mktemp("qdgraph-cache"))
    yield


@pytest.fixture(scope="session")
def kg(_private_cache):
    from qdgraph.engine.graph import open_graph

    return open_graph()


def turtle_prefixes(qdr: str | None = None) -> str:
    """``@prefix`` lines for test data: the library's own prefixes, with ``qdr:`` bound to ``qdr``
    if given (sample data keeps to a namespace of its own)."""
    from qdgraph.namespaces import PREFIXES

    return "".join(f"@prefix {p}: <{qdr if p == 'qdr' and qdr else iri}> .\n" for p, iri in PREFIXES.items())


class CLIResult:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err

    def __repr__(self):
        return f"<exit {self.code}\nstdout: {self.out[:2000]}\nstderr: {self.err[:2000]}>"


def run_cli(*args, input=None, cwd=None, env=None, timeout=120) -> CLIResult:
    """Run ``python cli.py ARGS`` in a real subprocess (the same code as the installed command):
    for the smoke tests of the entry point, signals and time limits."""
    e = dict(os.environ)
    e.update(env or {})
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], input=input,
                          capture_output=True, text=True, cwd=cwd or ROOT, env=e, timeout=timeout)
    return CLIResult(proc.returncode, proc.stdout, proc.stderr)


def invoke(*args, input=None, cwd=None, env=None) -> CLIResult:
    """Run the CLI in this process (``qdgraph.interfaces.cli.run(argv)``, the function the command calls),
    with stdin, stdout, stderr and the environment isolated by click's CliRunner: 25 ms a
    command instead of 380 ms for a new interpreter."""
    import contextlib

    from click.testing import CliRunner

    from qdgraph.interfaces.cli import run

    runner = CliRunner()
    with runner.isolation(input=input, env=env) as (out, err, _), contextlib.chdir(cwd or ROOT):
        try:
            code = run([str(a) for a in args])
        except SystemExit as stop:  # a command that ends with sys.exit(code)
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
        return CLIResult(code, out.getvalue().decode("utf-8", "replace"), err.getvalue().decode("utf-8", "replace"))


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"needs Debian's chromium at {CHROMIUM}")


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every browser test a worker runs (Playwright's sync API allows
    one driver per thread, so tests must share it rather than start their own)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def cli():
    return invoke


def assert_one_line_error(res: CLIResult, code: int, *fragments: str):
    assert res.code == code, res
    assert "Traceback" not in res.err, res
    lines = [l for l in res.err.splitlines() if l.strip()]
    assert len(lines) == 1, res
    for f in fragments:
        assert f in lines[0], res


def pytest_collection_modifyitems(config, items):
    """A real browser takes seconds a page: browser tests count as slow (``-m "not slow"``).

    Files are handed to the workers longest first (with ``--no-loadscope-reorder``, xdist hands
    them out in this order), so no long file starts last and finishes alone while the other
    workers wait: first the files whose every test is slow (Virtuoso, Jena, the browsers, the
    reasoner), then the others; within each, the bigger file first (its size stands in for its
    time: a tail of small files evens out the end)."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)
    light = {item.path for item in items if not item.get_closest_marker("slow")}
    size = {path: path.stat().st_size for path in {item.path for item in items}}
    # stable: the order within a file is kept
    items.sort(key=lambda item: (item.path in light, -size[item.path], str(item.path)))

"""The error table: every error class says what it means to a shell and to an HTTP client,
and the server's worker and route handler answer from it alike."""
from __future__ import annotations

import importlib
import pkgutil

import qdgraph
from qdgraph.errors import AmbiguousNameError, NotFoundError, QdgraphError


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_every_error_class_has_an_exit_code_and_an_http_status():
    for mod in pkgutil.walk_packages(qdgraph.__path__, "qdgraph."):
        if not mod.name.endswith("__main__"):
            importlib.import_module(mod.name)
    classes = list(_all_subclasses(QdgraphError))
    assert len(classes) >= 10
    for cls in classes:
        assert isinstance(cls.exit_code, int) and cls.exit_code > 0, cls
        assert 400 <= cls.http_status < 600, cls


def test_every_error_class_is_in_the_documented_error_table():
    """docs/ARCHITECTURE.md's error table names every class, where it lives and its codes."""
    import re

    from conftest import ROOT

    test_every_error_class_has_an_exit_code_and_an_http_status()  # imports every module
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    documented = {m[0]: (m[1], int(m[2]), int(m[3]))
                  for m in re.findall(r"^\| `(\w+)` \| `([\w.]+)` \| (\d+) \| (\d+) \|", text, re.M)}
    actual = {c.__name__: (c.__module__, c.exit_code, c.http_status)
              for c in [QdgraphError, *_all_subclasses(QdgraphError)]}
    assert documented == actual


def test_worker_answers_with_the_error_tables_status_and_details(kg):
    from qdgraph.interfaces.server.messages import Refusal, Task
    from qdgraph.interfaces.server.worker import handle

    reply = handle(kg, Task("entity", {"name": "no-such-thing-at-all"}))
    assert isinstance(reply, Refusal) and reply.status == NotFoundError.http_status
    assert "suggestions" in reply.extra
    err = AmbiguousNameError("x is ambiguous", ["a [qd:A]", "b [qd:B]"])
    assert (err.http_status, err.details()) == (409, {"candidates": ["a [qd:A]", "b [qd:B]"]})


def test_library_errors_name_arguments_and_the_command_line_names_its_flags(kg, tmp_path):
    """Python and HTTP callers read the library's words (no `--flag` they cannot type); the
    command line prints the same message naming its own flags."""
    import re

    import pytest

    from conftest import invoke
    from qdgraph.engine.backend import with_timeout
    from qdgraph.engine.graph import open_graph
    from qdgraph.errors import QueryTimeout, UsageError

    def slow():
        import time

        time.sleep(1)

    cases = []
    with pytest.raises(QueryTimeout) as err:
        with_timeout(slow, 0.05)
    cases.append(err.value)
    with pytest.raises(UsageError) as err:
        kg.named("indicator-target", {})
    cases.append(err.value)
    with pytest.raises(UsageError) as err:
        open_graph(data=[tmp_path / "x.ttl"], store=tmp_path)
    cases.append(err.value)
    for e in cases:
        assert not re.search(r"(^|\s)--\w", re.sub(r"`[^`]*`", "", str(e))), str(e)  # a quoted command may have them
        assert e.cli and re.search(r"--\w", e.cli), e
    res = invoke("query", "--name", "indicator-target")
    assert res.code == 2 and "--param indicator=VALUE" in res.err, res

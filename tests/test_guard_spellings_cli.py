"""`qdgraph query` refuses the 10,000 generated SERVICE spellings (tests/sparql_spellings.py):
exit 2, one line, no connection. A file of its own so the suite's workers share the load
with tests/test_guard_spellings.py."""
from __future__ import annotations

import pytest

from sparql_spellings import spellings
from test_read_only_guard import Listener


@pytest.mark.slow
def test_cli_refuses_every_spelling_without_a_connection(capsys):
    from qdgraph.interfaces.cli import run

    listener = Listener()
    try:
        codes: dict[int, int] = {}
        for q in spellings(listener.url, 10_000):
            code = run(["query", q])
            codes[code] = codes.get(code, 0) + 1
        out, err = capsys.readouterr()
        assert codes == {2: 10_000}
        assert "LEAKED" not in out and not out.strip()
        lines = err.splitlines()
        assert len(lines) == 10_000 and all(line.startswith("qdgraph: error: ") for line in lines)
        assert sum("SERVICE is not allowed" in line for line in lines) >= 9_500
        assert listener.count == 0
    finally:
        listener.sock.close()

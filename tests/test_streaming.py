"""Large named answers streamed from their least key (``# stream:`` headers; ``LocalBackend.
stream_keyed``): the same rows in the same order as the plain query, on the bundled graph and on a
generated city; each ``by-key/`` file gives exactly the rows of the key it is asked for; the CLI
hands its first row to the pipe before it writes the rest."""
from __future__ import annotations

import importlib.util
import io
import sys
from itertools import groupby
from pathlib import Path

import pyoxigraph as ox
import pytest

from qdgraph.engine.queries import all_queries
from qdgraph.queryfiles import HERE, parse_rq
from conftest import turtle_prefixes

ROOT = Path(__file__).resolve().parents[1]
STREAMED = sorted(name for name, q in all_queries().items() if q.stream)
ENTITY = {"bundled": "高端化工", "generated": "合成产业链01"}  # a chain: many claims and links point at it


def test_the_large_listings_are_streamed():
    assert set(STREAMED) >= {"enterprises", "site-claims", "site-quotes", "entity-claims", "inferred-claims",
                             "entity-in", "measure-hierarchy", "affects-links"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The bundled graph and a generated city of 300 enterprises (bench/generate.py), rules derived."""
    from qdgraph.engine.graph import open_graph

    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    nt = tmp_path_factory.mktemp("city") / "city.nt"
    with open(nt, "w", encoding="utf-8") as f:
        gen.generate(f, 300)
    return open_graph(data=[nt])


@pytest.fixture(params=["bundled", "generated"])
def graph(request, kg, generated):
    return request.param, kg if request.param == "bundled" else generated


def _params(g, which, q) -> dict:
    return {p.name: ox.NamedNode(g.resolve(ENTITY[which])) for p in q.params}


def _rows(res) -> list[dict]:
    return [dict(r) for r in res.rows]


@pytest.mark.parametrize("name", STREAMED)
def test_streamed_rows_are_the_plain_rows_in_order(graph, name):
    which, g = graph
    q = all_queries()[name]
    params = _params(g, which, q)
    whole = g.backend.stream(q.text, params)
    plain = _rows(whole)
    streamed = g.named(name, params, stream=True)
    assert streamed.variables == whole.variables
    assert _rows(streamed) == plain
    assert len(plain) > 1
    assert g.backend.least_key(q.stream, params) is not None  # the rows were streamed from a least key


@pytest.mark.parametrize("name", sorted(p.stem for p in (HERE / "by-key").glob("*.rq")))
def test_each_by_key_file_gives_the_rows_of_its_key(graph, name):
    """A ``by-key`` file is a second text for the same rows: asked for a key (every 5th, the first
    and the last), it gives exactly the plain answer's rows with that key, in their order."""
    which, g = graph
    q = all_queries()[name]
    assert q.stream, f"by-key/{name}.rq belongs to a query without a stream header"
    params = _params(g, which, q)
    plain = _rows(g.backend.stream(q.text, params))
    groups = [(k, list(rows)) for k, rows in groupby(plain, key=lambda r: tuple(r[v] for v in q.stream.keys))]
    assert len(groups) > 1
    for i, (key, rows) in enumerate(groups):
        if i % 5 and i != len(groups) - 1:
            continue
        head = g.backend._solutions(q.head_text(), params, dict(zip(q.stream.keys, key)))
        variables = [v.value for v in head.variables]
        assert [{v: t for v, t in zip(variables, sol) if t is not None} for sol in head] == rows, key


@pytest.mark.parametrize("few", [100, 0])  # 0: the engine's MIN finds the least key, as for a big store
def test_a_key_that_is_not_an_iri_sends_the_listing_the_plain_way(tmp_path, monkeypatch, few):
    """A claim whose object is a literal: its key string ("kA…") sorts before every IRI's, where
    the engine's MIN puts a literal after them. The listing must still give every row in order."""
    import qdgraph.storage.answers as backend
    from qdgraph.engine.graph import open_graph

    monkeypatch.setattr(backend, "FEW_KEYS", few)
    extra = tmp_path / "odd.ttl"
    extra.write_text(turtle_prefixes() + """
qdr:odd-claim a qd:Claim ; rdf:subject qdr:odd-measure ; rdf:predicate qd:affects ; rdf:object "A literal" ;
    qd:basis qd:Stated .
qdr:odd-measure qd:affects "A literal" .
""", encoding="utf-8")
    g = open_graph(data=[extra])
    q = all_queries()["affects-links"]
    plain = _rows(g.backend.stream(q.text, {}))
    assert any(isinstance(r.get("indicator"), ox.Literal) for r in plain)
    assert _rows(g.named("affects-links", {}, stream=True)) == plain
    assert g.backend.least_key(q.stream, {}) is None


def test_by_key_files_pass_the_guard():
    """They run without the read-only guard, as the named queries do (test_query_and_lookups)."""
    from qdgraph.engine.sparql import check_query

    for q in all_queries().values():
        if q.stream:
            assert check_query(q.stream.pattern.join(["SELECT * WHERE ", ""]), allow_from=False) == "SELECT"
            assert check_query(q.head_text(), allow_from=False) == "SELECT", q.name


def test_a_stream_header_the_order_does_not_follow_is_refused(tmp_path):
    """Streaming on keys the rows are not sorted by would give them in another order."""
    text = ("# title: t\n# stream: ?b in { ?b a ?c }\nSELECT ?a ?b WHERE { ?a ?p ?b\n"
            '  BIND (CONCAT("k", STR(?a)) AS ?a_key)\n  BIND (CONCAT("k", STR(?b)) AS ?b_key)\n}\nORDER BY ?a_key ?b_key\n')
    f = tmp_path / "t.rq"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="ORDER BY with [?]b_key"):
        parse_rq(f)
    f.write_text(text.replace("stream: ?b", "stream: ?a ?b"), encoding="utf-8")
    assert parse_rq(f).stream.keys == ("a", "b")
    f.write_text(text.replace("stream: ?b", "stream: ?a").replace('CONCAT("k", STR(?a))', "STR(?a)"), encoding="utf-8")
    with pytest.raises(ValueError, match="bound as CONCAT"):
        parse_rq(f)


class _Pipe(io.RawIOBase):
    """What reaches the other end of a pipe, write by write (the text layer above it buffers)."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def writable(self):
        return True

    def write(self, b):
        self.chunks.append(bytes(b))
        return len(b)


@pytest.mark.parametrize("fmt", ["tsv", "csv", "json", "xml"])
def test_the_cli_hands_the_first_row_to_the_pipe_before_the_rest(monkeypatch, fmt):
    from qdgraph.interfaces.cli import run

    pipe = _Pipe()
    out = io.TextIOWrapper(io.BufferedWriter(pipe, buffer_size=1 << 20), encoding="utf-8", newline="")
    monkeypatch.setattr(sys, "stdout", out)
    assert run(["query", "--name", "site-claims", "-F", fmt]) == 0
    out.flush()
    whole = b"".join(pipe.chunks).decode("utf-8")
    first = pipe.chunks[0].decode("utf-8")
    # the header and the first row, then everything else: 2,000 rows do not fit in that write
    assert len(pipe.chunks) >= 2 and whole.startswith(first)
    assert "claim-chain-advanced-computing--category--category-digital-advantage" in first
    assert first.count("claim-") <= 4 < whole.count("claim-")


def test_a_table_of_a_large_listing_says_it_waits_for_every_row(cli, monkeypatch):
    import qdgraph.interfaces.cli.ask as ask

    res = cli("query", "--name", "site-quotes")  # the bundled graph's few hundred quotes: nothing to say
    assert res.code == 0 and res.err == "", res
    monkeypatch.setattr(ask, "TABLE_NOTE_ROWS", 10)  # as a store's tens of thousands would
    res = cli("query", "--name", "site-quotes")
    assert res.code == 0, res
    assert "a table waits for every row" in res.err and "-F tsv" in res.err
    assert res.out.splitlines()[0].split() == ["quote", "exact", "source", "start"]
    res = cli("query", "--name", "site-quotes", "-F", "tsv")
    assert res.code == 0 and res.err == "", res
    res = cli("query", "--name", "pillars")  # a short answer: nothing to say
    assert res.code == 0 and res.err == "", res

"""The bad-input catalogue: what a careless or hostile user can type, and the answer they get.

Every case asserts the exit code (or HTTP status), a single line `qdgraph: error: …` with no
traceback, and that nothing was lost or half-written. The CLI runs in-process (``run(argv)``)
for speed; subprocesses only where a real kill or a real server is the point.
(push / --endpoint cases live with the remote tests.)
"""
from __future__ import annotations

import io
import json
import os
import re
import socket
import shutil
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from test_server import start_qdgraph
from conftest import ROOT, invoke
from store_fixtures import CHAIN_ZH, build_base_store, copy_store, snapshot

ERROR = re.compile(r"^qdgraph: error: \S.*$")


class Result:
    def __init__(self, code, out, err):
        self.code, self.out, self.err = code, out, err

    def __repr__(self):
        return f"<exit {self.code}\nstdout: {self.out[:1500]}\nstderr: {self.err[:1500]}>"


@pytest.fixture
def qd(capsys, monkeypatch):
    """``qdgraph ARGS`` in this process: (exit code, stdout, stderr)."""
    from qdgraph.interfaces.cli import run

    def call(*args, stdin: bytes | None = None):
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
        capsys.readouterr()
        code = run([str(a) for a in args])
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return call


def one_line(res: Result, code: int, *fragments: str) -> str:
    assert res.code == code, res
    assert "Traceback" not in res.err and "internal error" not in res.err, res
    lines = [l for l in res.err.splitlines() if l.strip()]
    assert len(lines) == 1 and ERROR.match(lines[0]), res
    for f in fragments:
        assert f in lines[0], res
    return lines[0]


ASK = "ASK { ?s ?p ?o }"


# ------------------------------------------------------------------ usage (click)
@pytest.mark.parametrize("args, code, fragment", [
    (["query", "--bogus"], 2, "no such option '--bogus'"),
    (["measures"], 2, "missing argument 'INDICATOR'"),
    (["mesures", "x"], 2, "did you mean: measures"),
    (["query", ASK, "--format", "pdf"], 2, "'pdf' is not one of"),
    (["search", "x", "--limit", "0"], 2, "--limit"),
    (["search", "x", "--limit", "-5"], 2, "--limit"),
    (["search", "x", "--limit", "many"], 2, "'many' is not a valid integer"),
    (["viz", "nothing"], 2, "'nothing' is not one of"),
    (["serve", "--port", "99999"], 2, "--port"),
])
def test_usage_errors_are_one_line(qd, args, code, fragment):
    line = one_line(qd(*args), code, fragment)
    assert "-h`" in line  # where to read more


# ------------------------------------------------------------------ --timeout
@pytest.mark.parametrize("value", ["nan", "inf", "0", "-1", "1e10", "-inf"])
def test_unusable_timeouts_are_refused(qd, value):
    one_line(qd("query", ASK, "--timeout", value), 2, "--timeout", "above 0")


def test_a_usable_timeout_answers(qd):
    res = qd("query", ASK, "--timeout", "30")
    assert res.code == 0 and res.out.strip() == "true", res


# ------------------------------------------------------------------ --param
@pytest.mark.parametrize("pair, fragment", [
    ("x=qd:a}b", "not a valid RDF term"),
    ("x=\udcff\udcfe", "not valid UTF-8"),  # what Python makes of bytes 0xff 0xfe in argv
    ("novalue", "expected NAME=VALUE"),
    ("1x=3", "expected NAME=VALUE"),
    ("x=<not an iri>", "bad IRI"),
    ('x="a"^^nope:type', "unknown datatype"),
])
def test_bad_params(qd, pair, fragment):
    one_line(qd("query", "SELECT * WHERE { ?x ?p ?o } LIMIT 1", "-p", pair), 2, fragment)


# ------------------------------------------------------------------ query text
def test_query_file_that_is_binary(qd, tmp_path):
    f = tmp_path / "q.rq"
    f.write_bytes(b"\x7fELF\x02\x01\x00\x00" + bytes(range(256)))
    one_line(qd("query", "-f", f), 2, "binary file")


def test_query_file_that_is_not_utf8(qd, tmp_path):
    f = tmp_path / "q.rq"
    f.write_bytes("ASK { ?s rdfs:label \"青岛\" }".encode("gbk"))
    one_line(qd("query", "-f", f), 2, "not UTF-8", "save the query as UTF-8")


def test_query_file_missing(qd, tmp_path):
    one_line(qd("query", "-f", tmp_path / "nope.rq"), 2, "nope.rq")


def test_query_file_with_bom_runs(qd, tmp_path):
    f = tmp_path / "q.rq"
    f.write_bytes(b"\xef\xbb\xbf" + ASK.encode())
    res = qd("query", "-f", f)
    assert res.code == 0 and res.out.strip() == "true", res


def test_empty_query(qd):
    one_line(qd("query", "   "), 2, "empty query")


def test_control_characters_are_not_echoed_raw(qd):
    line = one_line(qd("query", "SELECT \x1b[31m WHERE { ?x ?y ?z \x07"), 2)
    assert "\x1b" not in line and "\x07" not in line


@pytest.mark.parametrize("opening, closing", [("(", ")"), ("{", "}"), ("[", "]")])
def test_deep_nesting_is_refused_before_parsing(qd, opening, closing):
    deep = {"(": "FILTER " + "(" * 6000 + "true" + ")" * 6000,
            "{": "{" * 3000 + "}" * 3000,
            "[": "?s ?p " + "[ ?p " * 3000 + "?o" + " ]" * 3000}[opening]
    one_line(qd("query", "SELECT * WHERE { " + deep + " }"), 2, "nests brackets more than")


def test_brackets_inside_strings_do_not_count_as_nesting(qd):
    res = qd("query", 'ASK { FILTER ("' + "(" * 5000 + '" != "") }')
    assert res.code == 0 and res.out.strip() == "true", res


def test_syntax_error_is_one_line_with_position(qd):
    line = one_line(qd("query", "SELECT ?x WHERE {\n ?x ?y \n}"), 2, "line", "column")
    assert "Prefix not found" not in line


def test_relative_iris_resolve_against_the_data_namespace(qd):
    res = qd("query", "SELECT ?l WHERE { <indicator-gdp> rdfs:label ?l FILTER (lang(?l) = 'zh') }", "-F", "csv")
    assert res.code == 0 and res.out.splitlines()[1] == "地区生产总值", res


def test_update_is_refused_in_one_line(qd):
    one_line(qd("query", "DELETE WHERE { ?s ?p ?o }"), 2, "not allowed")


# ------------------------------------------------------------------ names
def test_a_huge_name_is_refused_at_once(qd):
    start = time.monotonic()
    one_line(qd("measures", "指" * 100_000), 2, "too long", "at most")
    assert time.monotonic() - start < 5  # refused, not fuzzy-matched against every name


def test_empty_search(qd):
    one_line(qd("search", ""), 2, "empty search text")


def test_blank_name(qd):
    one_line(qd("show", "   "), 2, "empty")


def test_no_match_points_to_the_listing_and_says_what_works(qd):
    one_line(qd("measures", "不存在的指标xyz"), 1, "no indicator matches", "qdgraph indicators", "pinyin")


def test_no_match_for_an_entity_points_to_search(qd):
    one_line(qd("show", "zzqqxx完全没有"), 1, "no entity matches", "qdgraph search")


def test_near_miss_gets_did_you_mean(qd):
    one_line(qd("measures", "qianrushi"), 1, "did you mean")


# ------------------------------------------------------------------ -o output files
def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_output_through_a_symlink_writes_the_target(qd, tmp_path):
    target = tmp_path / "real.ttl"
    target.write_text("old")
    link = tmp_path / "link.ttl"
    link.symlink_to(target)
    res = qd("export", "-o", link)
    assert res.code == 0, res
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text().startswith("@prefix")


def test_output_keeps_an_existing_files_mode(qd, tmp_path):
    out = tmp_path / "g.ttl"
    out.write_text("old")
    out.chmod(0o640)
    assert qd("export", "-o", out).code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640 and out.read_text() != "old"


def test_new_output_file_gets_the_umask_mode_not_0600(qd, tmp_path):
    out = tmp_path / "new.ttl"
    old = os.umask(0o022)
    try:
        assert qd("export", "-o", out).code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_output_to_a_fifo_writes_into_it(qd, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = {}

    def reader():
        with open(fifo, "rb") as f:
            got["data"] = f.read()

    t = threading.Thread(target=reader)
    t.start()
    res = qd("export", "-F", "nt", "-o", fifo)
    t.join(30)
    assert res.code == 0, res
    assert stat.S_ISFIFO(fifo.stat().st_mode) and got["data"].count(b"\n") > 1000


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_output_to_dev_full_fails_and_leaves_the_device(qd):
    before = os.stat("/dev/full")
    one_line(qd("export", "-o", "/dev/full"), 1, "/dev/full", "No space left")
    after = os.stat("/dev/full")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


def test_output_into_a_missing_folder(qd, tmp_path):
    one_line(qd("export", "-o", tmp_path / "no" / "such" / "g.ttl"), 1, "does not exist")


def test_output_where_a_folder_cannot_be_written(qd, tmp_path):
    one_line(qd("export", "-o", "/proc/qdgraph-test.ttl"), 1, "cannot write")


def test_output_onto_a_folder(qd, tmp_path):
    one_line(qd("export", "-o", tmp_path), 2, "is a directory")


def test_failed_output_leaves_the_old_file_and_no_temporary(qd, tmp_path, monkeypatch):
    out = tmp_path / "page.html"
    out.write_text("precious")
    res = qd("viz", "chain", "没有这个产业链zzz", "-o", out)
    one_line(res, 1, "no chain matches")
    assert out.read_text() == "precious" and _listing(tmp_path) == ["page.html"]


# ------------------------------------------------------------------ CSV / TSV output
def _query_out(qd, select, fmt):
    res = qd("query", select, "-F", fmt)
    assert res.code == 0, res
    return res.out.splitlines()


FORMULA = 'SELECT ?x WHERE { BIND ("=HYPERLINK(\\"http://x\\",\\"y\\")" AS ?x) }'


def test_csv_defuses_formulas(qd):
    assert _query_out(qd, FORMULA, "csv")[1].startswith("\"'=HYPERLINK")


def test_tsv_defuses_formulas(qd):
    assert _query_out(qd, FORMULA, "tsv")[1].startswith("\"'=HYPERLINK")


@pytest.mark.parametrize("start", ["+", "-", "@"])
def test_csv_defuses_every_formula_start(qd, start):
    assert _query_out(qd, f'SELECT ?x WHERE {{ BIND ("{start}1+1" AS ?x) }}', "csv")[1] == f"'{start}1+1"


def test_negative_numbers_stay_numbers(qd):
    assert _query_out(qd, "SELECT ?x WHERE { BIND (-5 AS ?x) }", "csv")[1] == "-5"
    assert _query_out(qd, "SELECT ?x WHERE { BIND (-5 AS ?x) }", "tsv")[1] == "-5"


def test_json_keeps_the_exact_value(qd):
    doc = json.loads(qd("query", FORMULA, "-F", "json").out)
    assert doc["results"]["bindings"][0]["x"]["value"].startswith("=HYPERLINK")


@pytest.mark.parametrize("expr, want", [
    ('"NaN"^^xsd:double', '"NaN"^^<http://www.w3.org/2001/XMLSchema#double>'),
    ('"1"^^xsd:decimal', '"1"^^<http://www.w3.org/2001/XMLSchema#decimal>'),
    ('"abc"^^xsd:integer', '"abc"^^<http://www.w3.org/2001/XMLSchema#integer>'),
    ("1.5", "1.5"),
    ("4", "4"),
    ("true", "true"),
    ('"青岛"@zh', '"青岛"@zh'),
])
def test_tsv_writes_terms_that_read_back_with_their_type(qd, expr, want):
    assert _query_out(qd, f"SELECT ?x WHERE {{ BIND ({expr} AS ?x) }}", "tsv")[1] == want


def test_export_csv_defuses(qd, tmp_path):
    ttl = tmp_path / "f.ttl"
    ttl.write_text('<http://ex/a> <http://www.w3.org/2000/01/rdf-schema#label> "=cmd|\' /C calc\'!A0" .\n')
    res = qd("export", "-F", "csv", "--data", ttl)
    assert res.code == 0
    assert any(line.startswith("http://ex/a,") and ",'=cmd" in line for line in res.out.splitlines()), res.out[-500:]


# ------------------------------------------------------------------ Turtle files
def test_turtle_with_a_bom_loads(qd, tmp_path):
    ttl = tmp_path / "bom.ttl"
    ttl.write_bytes(b"\xef\xbb\xbf@prefix ex: <http://ex/> .\nex:a ex:b \"c\" .\n")
    res = qd("query", "SELECT ?o WHERE { <http://ex/a> ?p ?o }", "--data", ttl, "-F", "csv")
    assert res.code == 0 and res.out.splitlines()[1] == "c", res


def test_turtle_error_gives_the_position_once(qd, tmp_path):
    ttl = tmp_path / "bad.ttl"
    ttl.write_text("@prefix ex: <http://ex/> .\nex:a ex:b ex:c\nex:d ex:e ex:f .\n")
    line = one_line(qd("query", ASK, "--data", ttl), 2, f"{ttl}:")
    assert not re.search(r"line \d+ (between|column)", line), line


def test_turtle_error_with_control_characters(qd, tmp_path):
    ttl = tmp_path / "bad.ttl"
    ttl.write_bytes(b'@prefix ex: <http://ex/> .\nex:a ex:b "c\x1b[2J')
    line = one_line(qd("query", ASK, "--data", ttl), 2)
    assert "\x1b" not in line


def test_turtle_with_a_term_over_the_parsers_limit(qd, tmp_path):
    ttl = tmp_path / "big.ttl"
    ttl.write_text('<http://ex/a> <http://ex/b> "' + "x" * 17_000_000 + '" .\n')
    one_line(qd("query", ASK, "--data", ttl), 1, "too large")


def test_unknown_rdf_file_type(qd, tmp_path):
    f = tmp_path / "data.xlsx"
    f.write_bytes(b"PK\x03\x04")
    one_line(qd("query", ASK, "--data", f), 1, "unknown RDF file type")


def test_missing_data_file(qd, tmp_path):
    one_line(qd("query", ASK, "--data", tmp_path / "none.ttl"), 1, "no such file")


def test_validate_does_not_follow_text_files_out_of_the_data_folder(qd, tmp_path):
    ttl = tmp_path / "evil.ttl"
    ttl.write_text("""@prefix qd: <https://w3id.org/qdgraph/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix oa: <http://www.w3.org/ns/oa#> .
<http://ex/doc> a qd:SourceDocument ; dcterms:title "x" ; qd:textFile "../../../../../../etc/passwd" .
<http://ex/q> a qd:Quote ; oa:hasSource <http://ex/doc> ; oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "root:x:0:0" ] .
<http://ex/doc2> a qd:SourceDocument ; dcterms:title "y" ; qd:textFile "/etc/hostname" .
<http://ex/q2> a qd:Quote ; oa:hasSource <http://ex/doc2> ; oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "localhost" ] .
""")
    res = invoke("validate", ttl)
    assert res.code == 1, res
    text = res.out + res.err
    assert text.count("must be relative and stay inside the data folder") == 2, res
    assert "not verbatim" not in text and "not found" not in text, res  # never read, never looked for


# ------------------------------------------------------------------ stores
@pytest.fixture(scope="module")
def base_store(tmp_path_factory):
    return build_base_store(tmp_path_factory.mktemp("bad-store"), invoke)


def test_query_a_missing_store(qd, tmp_path):
    one_line(qd("measures", "人才总量", "--store", tmp_path / "nope"), 1, "no such store", "qdgraph load")


def test_query_a_folder_that_is_not_a_store(qd, tmp_path):
    (tmp_path / "f.txt").write_text("x")
    one_line(qd("measures", "人才总量", "--store", tmp_path), 1, "not a qdgraph store")


def test_load_over_a_folder_that_is_not_a_store(qd, tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    one_line(qd("load", "--store", tmp_path), 1, "not a qdgraph store")
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_store_with_data_is_refused(qd, base_store, tmp_path):
    one_line(qd("measures", "人才总量", "--store", base_store, "--data", tmp_path / "x.ttl"), 2, "--data cannot")


def test_interrupted_first_load_is_detected_and_recovered(tmp_path):
    from store_fixtures import kill_at_publish

    store = tmp_path / "s"
    kill_at_publish(ROOT, tmp_path / "marker", "load", "--store", store)
    res = invoke("measures", "人才总量", "--store", store)
    one_line(Result(res.code, res.out, res.err), 1, "interrupted", f"qdgraph load --store {store}")
    res = invoke("load", "--store", store)
    assert res.code == 0, res
    assert [p.name for p in store.iterdir() if p.name.startswith("gen-")].__len__() == 1
    assert invoke("measures", "人才总量", "--store", store).code == 0


def test_load_force_after_an_interrupted_first_load(tmp_path):
    from store_fixtures import kill_at_publish

    store = tmp_path / "s"
    kill_at_publish(ROOT, tmp_path / "marker", "load", "--store", store)
    res = invoke("load", "--store", store, "--force")
    assert res.code == 0, res


def test_damaged_cache_is_rebuilt(qd, tmp_path, monkeypatch):
    monkeypatch.setenv("QDGRAPH_CACHE", str(tmp_path / "cache"))
    assert qd("pillars").code == 0
    from qdgraph.storage.generations import current_generation

    [d] = (tmp_path / "cache").glob("bundle-*")
    names = current_generation(d) / "names.sqlite"
    names.write_bytes(names.read_bytes()[:100])  # truncated
    res = qd("measures", "人才总量")
    assert res.code == 0 and "人才总量" in res.out, res
    [d] = (tmp_path / "cache").glob("bundle-*")
    for f in (current_generation(d) / "store").iterdir():  # database files gone
        f.unlink()
    res = qd("measures", "人才总量")
    assert res.code == 0 and "人才总量" in res.out, res


def test_killed_builds_are_swept_and_live_ones_kept(tmp_path):
    from qdgraph.fileio import OWNER_FILE, owned_tempdir, sweep_orphans

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = tmp_path / ".build-dead"
    orphan.mkdir()
    (orphan / OWNER_FILE).write_text(str(dead.pid))
    live = owned_tempdir(".build-", tmp_path)
    sweep_orphans(tmp_path, ".build-")
    assert not orphan.exists() and live.exists()


# ------------------------------------------------------------------ import
def test_import_warns_about_formula_names(base_store, tmp_path):
    store = copy_store(base_store, tmp_path / "s")
    csv = tmp_path / "e.csv"
    csv.write_text(f"name,chain\n=青岛公式公司,{CHAIN_ZH}\n", encoding="utf-8")
    res = invoke("import", csv, "--store", store)
    assert res.code == 0, res
    assert "begins like a spreadsheet formula" in res.err, res
    out = invoke("search", "青岛公式公司", "--store", store, "-F", "csv")
    assert "'=青岛公式公司" in out.out, out


def test_import_into_a_missing_store_changes_nothing(qd, tmp_path):
    csv = tmp_path / "e.csv"
    csv.write_text(f"name,chain\n青岛甲公司,{CHAIN_ZH}\n", encoding="utf-8")
    one_line(qd("import", csv, "--store", tmp_path / "nope"), 1, "no such store")
    assert not (tmp_path / "nope").exists()


def test_import_bad_rows_leave_the_store_as_it_was(base_store, tmp_path, qd):
    store = copy_store(base_store, tmp_path / "s")
    before = snapshot(store)
    csv = tmp_path / "e.csv"
    csv.write_text("name,chain\n青岛乙公司,没有这个产业链\n", encoding="utf-8")
    one_line(qd("import", csv, "--store", store), 2, "e.csv:2")
    assert snapshot(store) == before


def test_import_a_binary_file(qd, base_store, tmp_path):
    f = tmp_path / "e.csv"
    f.write_bytes(bytes(range(256)) * 4)
    one_line(qd("import", f, "--store", base_store), 2, "cannot be read as UTF-8 or GBK")


# ------------------------------------------------------------------ serve
def _start(tmp: Path, *args):
    """A real `qdgraph serve` with two workers: (its Proc, its base URL)."""
    proc, base = start_qdgraph(tmp, "--workers", "2", *map(str, args))
    return proc, base


@pytest.fixture(scope="module")
def base(tmp_path_factory, _private_cache):
    p, url = _start(tmp_path_factory.mktemp("bad-serve"))
    yield url
    p.stop()


def http(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8")


def raw(base: str, request: bytes) -> tuple[int, str]:
    """The status and body of the first answer to ``request`` sent as raw bytes."""
    head, _, body = raw_all(base, request).partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode("utf-8")


def one_line_body(body: str) -> str:
    assert "Traceback" not in body and body.count("\n") == 1, body
    return body


def form(query, **extra):
    return urllib.parse.urlencode({"query": query, **extra}, doseq=True).encode()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_http_bad_param_is_400(base):
    s, body = http("POST", base + "/sparql", form("SELECT * WHERE { ?x ?p ?o } LIMIT 1", param="x=qd:a}b"), FORM)
    assert s == 400 and "not a valid RDF term" in one_line_body(body)


def test_http_deep_nesting_is_400(base):
    s, body = http("POST", base + "/sparql", form("SELECT * WHERE { " + "(" * 6000 + " }"), FORM)
    assert s == 400 and "nests brackets" in one_line_body(body)
    assert http("POST", base + "/sparql", form(ASK), FORM)[0] == 200  # the server lives on


def test_http_negative_content_length_is_400(base):
    s, body = raw(base, b"POST /sparql HTTP/1.1\r\nHost: localhost\r\nContent-Length: -5\r\n\r\n")
    assert s == 400 and "Content-Length" in body


def test_http_missing_host_is_400(base):
    s, body = raw(base, b"GET /sparql HTTP/1.1\r\n\r\n")
    assert s == 400 and "Host" in body


def test_http_odd_host_is_400(base):
    s, body = raw(base, b"GET /sparql HTTP/1.1\r\nHost: a b/c\r\n\r\n")
    assert s == 400 and "Host" in body


def test_http_foreign_host_on_loopback_is_421(base):
    s, body = http("GET", base + "/sparql?query=" + urllib.parse.quote(ASK), headers={"Host": "evil.example"})
    assert s == 421 and "localhost only" in one_line_body(body)


def test_http_one_megabyte_get_hints_at_post(base):
    s, body = raw(base, b"GET /sparql?query=" + b"a" * 1_000_000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert s == 431 and "POST" in body


def test_http_raw_utf8_path_is_refused_in_one_line(base):
    # HTTP/1.1 allows only ASCII in the request line (h11 holds to it); the answer says what to do
    s, body = raw(base, "GET /中文 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
    assert s == 400 and "%-escaped" in one_line_body(body)
    s, body = http("GET", base + "/" + urllib.parse.quote("中文"))
    assert s == 404 and "/中文" in one_line_body(body)


def test_http_post_without_content_type(base):
    s, body = raw(base, b"POST /sparql HTTP/1.1\r\nHost: localhost\r\nContent-Length: 6\r\nConnection: close\r\n\r\nASK {}")
    assert s == 415 and "has no Content-Type" in body and "not no" not in body


@pytest.mark.parametrize("charset", ["x-nope", "ISO-8859-1", "UTF-16"])
def test_http_a_charset_other_than_utf8_is_refused_not_misread(base, charset):
    q = 'SELECT ?x WHERE { BIND ("é" AS ?x) }'
    s, body = http("POST", base + "/sparql", q.encode("utf-16" if charset == "UTF-16" else "latin-1"),
                   {"Content-Type": f"application/sparql-query; charset={charset}"})
    assert s == 415 and f"charset={charset.lower()}" in one_line_body(body)


def test_http_utf8_charset_is_read(base):
    q = 'SELECT ?x WHERE { BIND ("青岛" AS ?x) }'
    s, body = http("POST", base + "/sparql", q.encode(),
                   {"Content-Type": "application/sparql-query; charset=UTF-8", "Accept": "text/csv"})
    assert s == 200 and body.splitlines()[1] == "青岛"


def test_http_body_that_is_not_utf8_is_400(base):
    s, body = http("POST", base + "/sparql", 'ASK { FILTER ("\xe9" != "") }'.encode("latin-1"),
                   {"Content-Type": "application/sparql-query"})
    assert s == 400 and "not valid UTF-8" in one_line_body(body)


def test_http_unknown_default_graph_is_400(base):
    s, body = http("POST", base + "/sparql", form(ASK, **{"default-graph-uri": "http://example.org/g"}), FORM)
    assert s == 400 and "no graph <http://example.org/g>" in one_line_body(body)


def test_http_unknown_named_graph_is_400(base):
    s, body = http("POST", base + "/sparql", form(ASK, **{"named-graph-uri": "http://example.org/n"}), FORM)
    assert s == 400 and "nothing is fetched" in one_line_body(body)


def test_http_relative_iris_resolve_against_the_endpoint(base):
    s, body = http("POST", base + "/sparql", form("SELECT ?x WHERE { BIND (<x> AS ?x) }"),
                   {**FORM, "Accept": "text/tab-separated-values"})
    assert s == 200 and body.splitlines()[1] == f"<{base}/x>"


def test_http_tsv_full_terms(base):
    s, body = http("POST", base + "/sparql", form('SELECT ?x WHERE { BIND ("NaN"^^xsd:double AS ?x) }'),
                   {**FORM, "Accept": "text/tab-separated-values"})
    assert s == 200 and body.splitlines()[1] == '"NaN"^^<http://www.w3.org/2001/XMLSchema#double>'


def test_http_update_is_refused(base):
    s, body = http("POST", base + "/sparql", b"DROP ALL", {"Content-Type": "application/sparql-update"})
    assert s == 403 and "read-only" in one_line_body(body)


@pytest.mark.slow
def test_serve_store_follows_a_new_generation(base_store, tmp_path):
    """After `import`, every worker answers from the new generation: no stale answer, no
    alternation between old and new (repeated queries, cached or not, agree)."""
    store = copy_store(base_store, tmp_path / "s")
    p, url = _start(tmp_path, "--store", store)
    try:
        count = "SELECT (COUNT(*) AS ?n) WHERE { ?e a qd:Enterprise }"

        def n():
            s, body = http("POST", url + "/sparql", form(count), {**FORM, "Accept": "text/csv"})
            assert s == 200, body
            return int(body.splitlines()[1])

        before = {n() for _ in range(6)}
        assert len(before) == 1
        csv = tmp_path / "e.csv"
        csv.write_text(f"name,chain\n青岛新一代公司,{CHAIN_ZH}\n青岛新二代公司,{CHAIN_ZH}\n", encoding="utf-8")
        assert invoke("import", csv, "--store", store).code == 0
        after = [n() for _ in range(8)]
        assert after == [before.pop() + 2] * 8, after
    finally:
        p.stop()


# ------------------------------------------------------------------ huge answers
def _peak_kb(tmp_path, fmt: str, width: int) -> tuple[int, int]:
    """(rows written, peak memory in KB) of ``qdgraph query`` run as a real process on a
    ``width``**6-row answer."""
    values = " ".join(f"VALUES ?{v} {{ {' '.join(map(str, range(width)))} }}" for v in "abcdef")
    out = tmp_path / f"out-{width}"
    probe = ("import resource, subprocess, sys\n"
             f"subprocess.run([sys.executable, {str(ROOT / 'cli.py')!r}, 'query', sys.argv[1], '-F', sys.argv[2]],"
             f" stdout=open({str(out)!r}, 'wb'), check=True)\n"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    res = subprocess.run([sys.executable, "-c", probe, f"SELECT * WHERE {{ {values} }}", fmt],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    return sum(1 for _ in open(out, "rb")), int(res.stdout)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["tsv", "json"])
def test_a_huge_answer_streams_out_in_little_memory(fmt, tmp_path):
    """Rows are written as the engine gives them: 117,649 rows (~8 MB of output) take no more
    memory than one row does. Held in memory, their solutions alone would take over 100 MB."""
    one_rows, one_peak = _peak_kb(tmp_path, fmt, 1)  # first: it may build the bundled store
    rows, peak = _peak_kb(tmp_path, fmt, 7)
    assert rows >= 7 ** 6 and one_rows >= 1
    assert peak - one_peak < 16_000, f"{(peak - one_peak) // 1024} MB more for a streamed answer"


# ------------------------------------------------------------------ datasets in the engine
@pytest.fixture
def quad_backend():
    import pyoxigraph as ox

    from qdgraph.engine.graph import LocalBackend

    st = ox.Store()
    g = ox.NamedNode("http://example.org/g")
    st.add(ox.Quad(ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/p"), ox.Literal("in g"), g))
    return LocalBackend(st)


def test_engine_from_a_held_graph_reads_it(quad_backend):
    res = quad_backend.query("SELECT ?o FROM <http://example.org/g> WHERE { ?s ?p ?o }", {})
    assert [r["o"].value for r in res.rows] == ["in g"]


def test_engine_from_a_graph_not_held_is_refused(quad_backend):
    from qdgraph.errors import UsageError

    with pytest.raises(UsageError, match="no graph <http://example.org/elsewhere>"):
        quad_backend.query("SELECT * FROM NAMED <http://example.org/elsewhere> WHERE { ?s ?p ?o }", {})


def test_engine_protocol_dataset_replaces_from(quad_backend):
    from qdgraph.engine.graph import Dataset

    res = quad_backend.query("SELECT ?o FROM <http://example.org/nothing> WHERE { ?s ?p ?o }", {},
                               dataset=Dataset(default=("http://example.org/g",)))
    assert [r["o"].value for r in res.rows] == ["in g"]


@pytest.mark.slow
def test_http_dataset_of_held_graphs_is_answered(tmp_path):
    trig = tmp_path / "g.trig"
    trig.write_text('<http://example.org/g> { <http://example.org/a> <http://example.org/p> "in g" . }\n')
    p, url = _start(tmp_path, "--data", trig)
    try:
        q = "SELECT ?o WHERE { ?s <http://example.org/p> ?o }"
        s, body = http("POST", url + "/sparql", form(q, **{"default-graph-uri": "http://example.org/g"}),
                       {**FORM, "Accept": "text/csv"})
        assert s == 200 and body.splitlines()[1:] == ["in g"], body
        s, body = http("POST", url + "/sparql", form(q), {**FORM, "Accept": "text/csv"})
        assert s == 200 and body.splitlines()[1:] == [], body  # the default graph does not hold it
        s, body = http("POST", url + "/sparql", form("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                                                     **{"named-graph-uri": "http://example.org/g"}),
                       {**FORM, "Accept": "text/csv"})
        assert s == 200 and body.splitlines()[1:] == ["http://example.org/g"], body
    finally:
        p.stop()


@pytest.mark.parametrize("value", ["nan", "0", "-3", "1e9"])
def test_serve_refuses_unusable_timeouts_before_starting(qd, value):
    one_line(qd("serve", "--timeout", value, "--port", "0"), 2, "--timeout")


def test_load_a_turtle_file_with_a_bom(qd, tmp_path):
    ttl = tmp_path / "bom.ttl"
    ttl.write_bytes(b"\xef\xbb\xbf@prefix ex: <http://ex/> .\nex:a ex:b \"c\" .\n")
    assert qd("load", ttl, "--store", tmp_path / "s").code == 0
    res = qd("query", "SELECT ?o WHERE { <http://ex/a> ?p ?o }", "--store", tmp_path / "s", "-F", "csv")
    assert res.code == 0 and res.out.splitlines()[1] == "c", res


@pytest.mark.slow
def test_a_killed_servers_temporary_store_is_removed_by_the_next(tmp_path):
    import signal
    import tempfile

    ttl = tmp_path / "x.ttl"
    ttl.write_text("<http://ex/a> <http://ex/b> <http://ex/c> .\n")
    p, _ = _start(tmp_path, "--data", ttl)
    mine = [d for d in Path(tempfile.gettempdir()).glob("qdgraph-serve-*")
            if (d / ".owner").is_file() and (d / ".owner").read_text() == str(p.proc.pid)]
    assert len(mine) == 1
    p.proc.send_signal(signal.SIGKILL)
    p.proc.wait()
    assert mine[0].exists()  # a killed server cannot clean up after itself
    p2, _ = _start(tmp_path, "--data", ttl)
    try:
        assert not mine[0].exists()  # the next one does
    finally:
        p2.stop()


def test_output_to_dev_stdout_on_a_pipe(tmp_path):
    res = subprocess.run(f"{sys.executable} {ROOT / 'cli.py'} export -F nt -o /dev/stdout | wc -l", shell=True,
                         capture_output=True, text=True, timeout=120)
    assert int(res.stdout) > 1000 and "error" not in res.stderr, res


# data and hygiene (H6)
def test_load_never_deletes_a_users_gen_folder(qd, tmp_path):
    d = tmp_path / "d"
    (d / "gen-important").mkdir(parents=True)
    (d / "gen-important" / "notes.txt").write_text("mine")
    one_line(qd("load", "--store", d), 1, "not a qdgraph store")
    assert (d / "gen-important" / "notes.txt").read_text() == "mine"


def test_load_force_keeps_a_users_gen_folder_inside_a_store(qd, base_store, tmp_path):
    store = copy_store(base_store, tmp_path / "s")
    (store / "gen-mine").mkdir()
    (store / "gen-mine" / "a.txt").write_text("mine")
    old = (store / "CURRENT").read_text().strip()
    res = qd("load", "--store", store, "--force")
    assert res.code == 0 and "Traceback" not in res.err, res
    assert (store / "gen-mine" / "a.txt").read_text() == "mine"
    assert not (store / old).exists()  # the old generation, which qdgraph made, is gone
    assert sorted(p.name for p in store.iterdir() if p.name.startswith("gen-")) == sorted(
        ["gen-mine", (store / "CURRENT").read_text().strip()])


@pytest.mark.parametrize("inside", ["CURRENT", "GEN/names.sqlite", "GEN/new.ttl"])
def test_export_never_writes_inside_a_store(qd, base_store, tmp_path, inside):
    store = copy_store(base_store, tmp_path / "s")
    gen = (store / "CURRENT").read_text().strip()
    target = store / inside.replace("GEN", gen)
    before = snapshot(store), (store / gen / "names.sqlite").read_bytes()
    one_line(qd("export", "--store", store, "-F", "nt", "-o", target), 1, "inside the qdgraph store", str(target))
    assert (snapshot(store), (store / gen / "names.sqlite").read_bytes()) == before
    if inside == "CURRENT":
        link = tmp_path / "link.nt"  # nor through a symlink that leads into it
        link.symlink_to(store / "CURRENT")
        one_line(qd("export", "--store", store, "-F", "nt", "-o", link), 1, "inside the qdgraph store")
        assert snapshot(store) == before[0]
    assert qd("show", CHAIN_ZH, "--store", store).code == 0


@pytest.mark.parametrize("victim", ["CURRENT", "GEN/manifest.json"])
def test_a_damaged_store_file_is_named_in_one_short_line(qd, base_store, tmp_path, victim):
    store = copy_store(base_store, tmp_path / "s")
    f = store / victim.replace("GEN", (store / "CURRENT").read_text().strip())
    f.write_text("@prefix qd: <https://w3id.org/qdgraph/ontology#> .\n" * 30000)  # an export, 1.4 MB
    cmd = ("import", tmp_path / "e.csv") if victim.endswith("manifest.json") else ("show", CHAIN_ZH)
    (tmp_path / "e.csv").write_text(f"name,chain\n青岛丙公司,{CHAIN_ZH}\n", encoding="utf-8")
    line = one_line(qd(*cmd, "--store", store), 1, str(f), "damaged store file", "--force")
    assert len(line) < 400
    if victim == "CURRENT":
        assert qd("load", "--store", store, "--force").code == 0  # and the way out works
        assert qd("measures", "人才总量", "--store", store).code == 0


@pytest.mark.parametrize("value, why", [
    ("9" * 5000, "too large"), ("1" + "0" * 15, "too large"), ("0." + "0" * 40 + "1", "after the point"),
    ("12345678.12345678", "significant digits")])
def test_observe_import_refuses_values_a_float_cannot_keep(qd, base_store, tmp_path, value, why):
    store = copy_store(base_store, tmp_path / "s")
    before = snapshot(store)
    csv = tmp_path / "obs.csv"
    csv.write_text(f"indicator,period,value,unit,source\n人才总量,2023,300,万人,公报\n人才总量,2024,{value},万人,公报\n",
                   encoding="utf-8")
    line = one_line(qd("observe", "import", csv, "--store", store), 2, "obs.csv:3", why)
    assert len(line) < 300  # the 5,000 digits are not repeated
    assert snapshot(store) == before
    res = qd("progress", "人才总量", "--store", store, "-F", "json")
    assert res.code == 0 and "Infinity" not in res.out and "NaN" not in res.out, res


def test_observe_import_keeps_the_largest_value_it_allows(qd, base_store, tmp_path):
    store = copy_store(base_store, tmp_path / "s")
    csv = tmp_path / "obs.csv"
    csv.write_text("indicator,period,value,unit,source\n人才总量,2023,999999999999999,万人,公报\n", encoding="utf-8")
    assert qd("observe", "import", csv, "--store", store).code == 0
    res = qd("progress", "人才总量", "--store", store, "-F", "json")
    assert res.code == 0 and "999999999999999" in res.out and "Infinity" not in res.out, res


def test_docs_o_writes_through_a_symlink_and_into_a_fifo(qd, tmp_path):
    out = tmp_path / "site"
    out.mkdir()
    real = tmp_path / "real.html"
    real.write_text("old")
    (out / "index.html").symlink_to(real)
    os.mkfifo(out / "qdgraph.ttl")
    got = []
    reader = threading.Thread(target=lambda: got.append((out / "qdgraph.ttl").read_bytes()), daemon=True)
    reader.start()
    res = qd("docs", "-o", out)
    reader.join(30)
    assert res.code == 0 and "Traceback" not in res.err, res
    assert (out / "index.html").is_symlink() and "<html" in real.read_text()
    assert stat.S_ISFIFO(os.lstat(out / "qdgraph.ttl").st_mode)
    assert got and got[0] == (ROOT / "ontology" / "qdgraph.ttl").read_bytes()
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "qdgraph.ttl"]  # no temporary left


@pytest.mark.parametrize("bad, named", [
    ("\x00", "U+0000"), ("\x1b]0;pwned\x07", "U+001B"), ("\x1b[2J", "U+001B"), ("\u202e", "U+202E"),
    ("\u2066", "U+2066"), ("\x9b", "U+009B")])
@pytest.mark.parametrize("column", ["name", "alias"])
def test_import_refuses_names_with_control_or_direction_characters(qd, base_store, tmp_path, bad, named, column):
    store = copy_store(base_store, tmp_path / "s")
    before = snapshot(store)
    csv = tmp_path / "e.csv"
    name, alias = (f"青岛{bad}公司", "甲") if column == "name" else ("青岛丁公司", f"丁{bad}")
    csv.write_text(f"name,alias,chain\n青岛戊公司,戊,{CHAIN_ZH}\n{name},{alias},{CHAIN_ZH}\n", encoding="utf-8")
    line = one_line(qd("import", csv, "--store", store), 2, "e.csv:3", column, named)
    assert bad not in line and "\x1b" not in line and "\x00" not in line
    assert snapshot(store) == before


@pytest.mark.parametrize("args", [
    ["measures", "人才总量"], ["query", ASK], ["load"], ["import", "x.csv"], ["observe", "import", "x.csv"],
    ["progress"], ["export"]])
@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_store_name_is_refused(qd, args, empty, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    one_line(qd(*args, "--store", empty), 2, "--store", "empty name")
    assert list(tmp_path.iterdir()) == []  # nothing built in the current folder


# terminal escapes in the data: shown escaped wherever qdgraph writes for people, values kept exact
# in machine formats written to a pipe or file, and escaped when those go straight to a terminal
HOSTILE = "青岛\x1b]0;pwned\x07恶意\x1b[2J公司\u202egnp.exe"
HOSTILE_TTL = ("@prefix qd: <https://w3id.org/qdgraph/ontology#> .\n"
               "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
               "<https://w3id.org/qdgraph/id/test-hostile> a qd:Enterprise ; rdfs:label "
               '"青岛\\u001b]0;pwned\\u0007恶意\\u001b[2J公司\\u202Egnp.exe"@zh , "Evil\\u009b31m Co"@en .\n')
LABELS = 'SELECT ?l WHERE { ?s rdfs:label ?l FILTER(CONTAINS(STR(?l), "恶意")) }'
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


def _no_raw_controls(text: str) -> None:
    assert not any(c in text for c in RAW), repr(text[:400])


@pytest.fixture
def hostile(tmp_path):
    f = tmp_path / "hostile.ttl"
    f.write_text(HOSTILE_TTL, encoding="utf-8")
    return f


@pytest.mark.parametrize("args", [["show", "恶意"], ["search", "恶意"], ["query", LABELS], ["query", LABELS, "-F", "table"],
                                  ["search", "恶意", "-F", "table"]])
def test_terminal_escapes_in_the_data_are_shown_escaped(qd, hostile, args):
    res = qd(*args, "--data", hostile)
    assert res.code == 0 and "Traceback" not in res.err, res
    _no_raw_controls(res.out + res.err)
    assert "\\x1b]0;pwned\\x07恶意\\x1b[2J公司\\u202egnp.exe" in res.out, res  # nothing lost: all of it shows


@pytest.mark.parametrize("fmt, written", [("csv", "\x1b]0;pwned\x07"), ("tsv", "\\u001B]0;pwned\\u0007")])
def test_machine_formats_on_a_pipe_keep_the_value_exact(qd, hostile, fmt, written):
    res = qd("query", LABELS, "--data", hostile, "-F", fmt)
    assert res.code == 0 and written in res.out, res  # CSV: the value; TSV: its RDF term (an escape)
    res = qd("query", LABELS, "--data", hostile, "-F", "json")
    assert HOSTILE in {b["l"]["value"] for b in json.loads(res.out)["results"]["bindings"]}


def test_an_error_quoting_the_data_or_the_input_is_escaped(qd, hostile):
    res = qd("measures", "\x1b]0;pwned\x07\u202e", "--data", hostile)
    assert res.code != 0
    line = one_line(res, res.code, "\\x1b]0;pwned\\x07\\u202e")
    _no_raw_controls(line)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_machine_formats_straight_to_a_terminal_are_escaped(hostile, fmt):
    """A real terminal (a pty): what reaches it never holds a raw ESC, even in CSV or JSON."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "query", LABELS, "--data", str(hostile), "-F", fmt],
                            stdout=slave, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the writer closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert proc.wait(timeout=120) == 0
    text = out.decode("utf-8")
    _no_raw_controls(text)
    assert ("\\u001b]0;pwned\\u0007" if fmt == "json" else "\\x1b]0;pwned\\x07") in text  # nothing lost


def test_endpoint_results_are_shown_escaped(qd):
    import http.server

    body = json.dumps({"head": {"vars": ["l"]}, "results": {"bindings": [
        {"l": {"type": "literal", "value": HOSTILE}}]}}).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        res = qd("query", "SELECT ?l WHERE { ?s ?p ?l }", "--endpoint", f"http://127.0.0.1:{srv.server_port}/sparql")
    finally:
        srv.shutdown()
    assert res.code == 0, res
    _no_raw_controls(res.out + res.err)
    assert "恶意\\x1b[2J公司" in res.out


def test_an_error_line_quoting_something_huge_stays_readable(qd, tmp_path):
    missing = tmp_path.joinpath(*["d" * 200] * 15, "x.ttl")  # a 3,000-character path
    line = one_line(qd("measures", "人才总量", "--data", missing), 1, "characters)", "x.ttl")
    assert len(line) <= 2100


# ------------------------------------------------------------------ RDF/XML entities (lead)
_BOMB = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
 <rdf:Description rdf:about="http://example.org/x"><rdf:value>&e;&e;&e;&e;</rdf:value></rdf:Description>
</rdf:RDF>
"""
_NAMESPACE_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY ex "http://example.org/"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
 <rdf:Description rdf:about="&ex;thing"><rdf:value>kept</rdf:value></rdf:Description>
</rdf:RDF>
"""


@pytest.mark.parametrize("doc, what", [
    (_BOMB, "defined through other entities"),
    (_BOMB.replace('<!ENTITY a "', '<!ENTITY a SYSTEM "file:///etc/passwd"> <!ENTITY z "'), "external entity"),
    (_NAMESPACE_ENTITY.replace('"http://example.org/"', '"' + "x" * 5000 + '"').replace(
        "<rdf:value>kept</rdf:value>", "<rdf:value>" + "&ex;" * 4000 + "</rdf:value>"), "would expand to"),
])
def test_rdfxml_entity_expansion_is_refused_before_parsing(qd, tmp_path, doc, what):
    """A 1 KB RDF/XML file with nested entities grew to 3 GiB and a Rust backtrace: refused
    before any parser expands it, for --data and for load (nothing built)."""
    bomb = tmp_path / "bomb.rdf"
    bomb.write_text(doc, encoding="utf-8")
    one_line(qd("query", "--data", bomb, "ASK { ?s ?p ?o }"), 1, str(bomb), what)
    one_line(qd("load", "--store", tmp_path / "st", bomb), 1, str(bomb), what)
    assert not (tmp_path / "st").exists() or not any((tmp_path / "st").iterdir())


def test_rdfxml_namespace_entities_still_load(qd, tmp_path):
    """Ontology editors declare namespaces as entities: those expand, as XML says."""
    doc = tmp_path / "ns.rdf"
    doc.write_text(_NAMESPACE_ENTITY, encoding="utf-8")
    res = qd("query", "--data", doc, "--only", "--format", "csv",
             "SELECT ?v WHERE { <http://example.org/thing> rdf:value ?v }")
    assert res.code == 0 and res.out.splitlines() == ["v", "kept"], res


# ------------------------------------------------------------------ server (H3a)
def raw_all(base: str, request: bytes) -> bytes:
    """Everything the server sends back on one connection until it closes it."""
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        try:
            s.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before reading it all
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except ConnectionResetError:
            pass
    return data


def test_http_gzip_body_without_length_is_not_a_second_request(base):
    smuggled = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: localhost\r\n\r\n"
    data = raw_all(base, b"POST /sparql HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n"
                         b"Content-Type: application/sparql-query\r\n\r\n" + smuggled)
    head, _, body = data.partition(b"\r\n\r\n")
    assert int(head.split()[1]) in (400, 501)
    assert "Content-Length" in one_line_body(body.decode("utf-8"))
    assert data.count(b"HTTP/1.1 ") == 1  # one answer, then the connection is closed: nothing else ran


def test_http_absolute_form_does_not_skip_the_host_check(base):
    s, body = raw(base, b"GET http://evil.example/sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: localhost\r\n"
                        b"Connection: close\r\n\r\n")
    assert s == 421 and "localhost only" in one_line_body(body) and "evil.example" in body
    # the same request for a name the server answers to is served, at the path the URL names
    s, body = raw(base, b"GET http://localhost/sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: evil.example\r\n"
                        b"Connection: close\r\n\r\n")
    assert s == 200 and json.loads(body)["boolean"] is True


@pytest.mark.parametrize("select", ["(NOW() AS ?x)", "(RAND() AS ?x)", "(STRUUID() AS ?x)", "(UUID() AS ?x)",
                                    "(BNODE() AS ?x)", "(now ( ) AS ?x)"])
def test_http_volatile_functions_are_not_served_from_the_cache(base, select):
    q = form(f"SELECT {select} WHERE {{}}")
    answers = [http("POST", base + "/sparql", q, {**FORM, "Accept": "text/tab-separated-values"}) for _ in range(2)]
    assert [s for s, _ in answers] == [200, 200], answers
    assert answers[0][1] != answers[1][1]  # asked twice, run twice


def test_http_accept_text_any_gets_a_text_format(base):
    req = urllib.request.Request(base + "/sparql?" + urllib.parse.urlencode({"query": "SELECT ?x { BIND(1 AS ?x) }"}),
                                 headers={"Accept": "text/*"})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 200 and r.headers["Content-Type"].startswith("text/csv")
        assert r.read().decode().splitlines() == ["x", "1"]


def test_serve_refuses_a_tiny_memory_cap(qd):
    one_line(qd("serve", "--max-memory", "10", "--port", "0"), 2, "--max-memory")


@pytest.mark.slow  # a server of its own, and a query that grows until it is stopped
@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="the memory watchdog reads /proc (Linux)")
def test_http_a_query_past_the_memory_cap_is_503_and_its_worker_replaced(tmp_path):
    from test_server import children

    p, url = _start(tmp_path, "--workers", "1", "--max-memory", "200", "--timeout", "60")
    try:
        before = children(p.proc.pid)
        t = time.monotonic()
        q = "SELECT * WHERE {?a ?p ?o . ?b ?q ?r} ORDER BY ?r LIMIT 1"
        s, body = http("GET", url + "/sparql?" + urllib.parse.urlencode({"query": q}))
        assert s in (503, 400) and "--max-memory" in one_line_body(body)
        assert time.monotonic() - t < 50  # stopped for its memory, long before its time limit
        end = time.monotonic() + 60
        while time.monotonic() < end and (children(p.proc.pid) in (before, set())):
            time.sleep(0.1)
        assert len(children(p.proc.pid)) == 1 and children(p.proc.pid) != before  # a new worker
        s, body = http("GET", url + "/sparql?query=ASK%7B%7D")
        assert s == 200 and json.loads(body)["boolean"] is True
    finally:
        p.stop()


def test_cache_and_temporary_folders_of_others_are_never_swept(qd, base_store, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("QDGRAPH_CACHE", str(cache))
    for mine in ("bundle-photos", ".build-notes"):  # a user's folders that merely share our prefixes
        (cache / mine).mkdir(parents=True)
        (cache / mine / "keep.txt").write_text("mine")
        os.utime(cache / mine, (time.time() - 7200, time.time() - 7200))  # old: not "in use"
    copy_store(base_store, cache / "bundle-stale")  # a store qdgraph built: a stale cache of ours
    assert qd("pillars").code == 0  # builds the cache, then drops stale builds
    assert not (cache / "bundle-stale").exists()
    for mine in ("bundle-photos", ".build-notes"):
        assert (cache / mine / "keep.txt").read_text() == "mine"


def test_a_stale_cache_in_use_by_another_qdgraph_is_kept_until_it_is_let_go(qd, base_store, tmp_path, monkeypatch):
    """Two qdgraph versions sharing the cache each build their own bundle and drop the others':
    never one that a running command (here: a shared lock, as a reader holds) still reads."""
    import fcntl

    cache = tmp_path / "cache"
    monkeypatch.setenv("QDGRAPH_CACHE", str(cache))
    copy_store(base_store, cache / "bundle-other")
    reader = os.open(cache / "bundle-other" / ".lock", os.O_RDONLY)
    try:
        fcntl.flock(reader, fcntl.LOCK_SH)
        assert qd("pillars").code == 0  # builds this version's bundle; the other is in use
        res = qd("measures", "人才总量", "--store", cache / "bundle-other")
        assert res.code == 0 and "人才总量" in res.out, res
    finally:
        os.close(reader)
    [mine] = [d for d in cache.glob("bundle-*") if d.name != "bundle-other"]
    shutil.rmtree(mine)  # the next command builds it again, and drops the other, let go of now
    assert qd("pillars").code == 0
    assert not (cache / "bundle-other").exists() and mine.exists()


# reasoning timeout (H2)
def _slow_to_reason(tmp_path) -> Path:
    """A transitive property along 400 nodes: owlrl takes minutes over it (80,000 conclusions)."""
    f = tmp_path / "chain.ttl"
    f.write_text("@prefix ex: <urn:ex:> . @prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
                 "ex:next a owl:TransitiveProperty .\n"
                 + "".join(f"ex:n{i} ex:next ex:n{i + 1} .\n" for i in range(400)), encoding="utf-8")
    return f


def test_timeout_covers_reasoning(qd, tmp_path):
    started = time.monotonic()
    one_line(qd("query", ASK, "--data", _slow_to_reason(tmp_path), "--reason", "owlrl", "--timeout", "1"),
             3, "owlrl", "within 1 s", "--timeout")
    assert time.monotonic() - started < 30, "the reasoning ran on past --timeout"


@pytest.mark.parametrize("value", ["nan", "0", "-1"])
def test_unusable_timeouts_with_reasoning_are_refused(qd, value):
    one_line(qd("query", ASK, "--reason", "owlrl", "--timeout", value), 2, "--timeout", "above 0")


# ------------------------------------------------------------------ endpoint and push (H1)
# Real stand-in servers on loopback ports (tests/test_endpoint.py's _Server and _raw_server).
from test_endpoint import _raw_server, _Server  # noqa: E402

LOGIN = b"<head><title>Sign in</title></head><body><form method=post><input type=password name=pw></form></body></html>"
LOGIN_PAGES = {  # each a 200 from a portal in front of the store, never a store's answer
    "after leading whitespace": ("text/html", b"\r\n \t\n" * 2000 + b"<!DOCTYPE html><html>" + LOGIN),
    "XHTML starting with <?xml": ("text/html", b'<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">' + LOGIN),
    "XHTML typed as such": ("application/xhtml+xml", b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">' + LOGIN),
    "after a long comment": ("text/html", b"<!--" + b" portal build 1.2.3 " * 400 + b"-->\n<html>" + LOGIN),
    "as plain words": ("text/html", b"Please sign in"),
}


@pytest.fixture
def stand_in():
    made = []

    def make(handle):
        made.append(_Server(handle))
        return made[-1]

    yield make
    for s in made:
        s.close()


@pytest.mark.parametrize("how", sorted(LOGIN_PAGES))
@pytest.mark.parametrize("way", ["graph-store", "update"])
def test_push_refuses_a_login_page_however_it_starts(qd, stand_in, how, way):
    media_type, page = LOGIN_PAGES[how]
    s = stand_in(lambda h, body: (200, {"Content-Type": media_type + "; charset=utf-8"}, page))
    args = ("push", s.url + "/store") if way == "graph-store" else ("push", "--update", s.url + "/update")
    one_line(qd(*args), 1, "answered 200 with a web page", "nothing was stored")


@pytest.mark.parametrize("status, body, code", [
    (201, b"", 0),  # Virtuoso: 201 Created, typed text/html, empty
    (204, b"", 0),  # Oxigraph
    (202, b"", 1),  # accepted for later is not stored
    (200, b"<html><body>Graph stored</body></html>", 1),  # a page whatever it says
])
def test_push_is_judged_by_the_protocols_answer(qd, stand_in, status, body, code):
    s = stand_in(lambda h, b: (status, {"Content-Type": "text/html; charset=UTF-8"}, body))
    res = qd("push", s.url + "/store")
    if code:
        one_line(res, code, f"answered {status}")
    else:
        assert res.code == 0 and f"the store answered: {status}" in res.err, res


DTD_BEFORE_ROOT = {
    "after a comment naming sparql": b'<?xml version="1.0"?><!-- <sparql --><!DOCTYPE sparql [<!ENTITY a "aaaaaaaa">'
                                     b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    "after a processing instruction": b'<?xml version="1.0"?><?note <sparql?>\n<!DOCTYPE sparql SYSTEM "http://127.0.0.1:9/x.dtd">',
    "with no internal subset": b"<!DOCTYPE sparql>",
}


@pytest.mark.parametrize("how", sorted(DTD_BEFORE_ROOT))
def test_sparql_xml_with_any_dtd_is_refused(qd, stand_in, how):
    doc = DTD_BEFORE_ROOT[how] + (b'<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
                                  b"<boolean>true</boolean></sparql>")
    s = stand_in(lambda h, body: (200, {"Content-Type": "application/sparql-results+xml"}, doc))
    one_line(qd("query", ASK, "--endpoint", s.url + "/sparql"), 1, "not SPARQL XML results", "document type declaration")


def _capped(stand_in, cap: str, rows):
    """A stand-in that says it cut every SELECT at ``cap`` rows and sends ``rows(n)`` for request n."""
    def handle(h, body):
        n = len(s.seen)
        doc = {"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"type": "uri", "value": v}} for v in rows(n)]}}
        return 200, {"Content-Type": "application/sparql-results+json", "X-SPARQL-MaxRows": cap}, json.dumps(doc).encode()

    s = stand_in(handle)
    return s


def test_a_store_that_ignores_offset_is_not_paged_forever(qd, stand_in):
    s = _capped(stand_in, "1", lambda n: ["urn:a"])  # the same row for every page
    one_line(qd("query", "SELECT ?s WHERE { ?s ?p ?o }", "--endpoint", s.url + "/sparql", "--timeout", "5"), 1,
             "cannot be read in pages")
    assert len(s.seen) <= 3


def test_paging_stops_at_the_querys_deadline(qd, stand_in):
    s = _capped(stand_in, "1", lambda n: [f"urn:row{n}"])  # a new row for every page, never a short page
    t0 = time.monotonic()
    one_line(qd("query", "SELECT ?s WHERE { ?s ?p ?o }", "--endpoint", s.url + "/sparql", "--timeout", "1.5"), 3,
             "did not answer within 1.5 s")
    assert time.monotonic() - t0 < 4 and len(s.seen) > 2


def test_a_row_cap_of_zero_on_an_empty_answer_is_no_cap(qd, stand_in):
    s = _capped(stand_in, "0", lambda n: [])
    res = qd("query", "SELECT ?s WHERE { ?s ?p ?o }", "--endpoint", s.url + "/sparql", "--timeout", "5", "-F", "csv")
    assert (res.code, res.out.split(), len(s.seen)) == (0, ["s"], 1), res


def _endless(head: bytes):
    def serve(conn):
        conn.recv(65536)
        try:
            conn.sendall(head)
            while True:
                conn.sendall(b" " * 65536)
        except OSError:
            pass
        conn.close()

    return _raw_server(serve)


ENDLESS = {  # the reply's head; then spaces until the client hangs up
    "an answer": b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n",
    "a redirect": b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\n",  # httpx reads it before following
    "a login challenge": b'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="x"\r\n',  # read before the retry
}


@pytest.mark.parametrize("what", sorted(ENDLESS))
def test_an_endless_reply_stops_at_the_size_cap(qd, monkeypatch, what):
    monkeypatch.setenv("QDGRAPH_MAX_REPLY_MB", "2")
    sock, url = _endless(ENDLESS[what] + b"Connection: close\r\n\r\n")
    try:
        one_line(qd("query", ASK, "--endpoint", url.replace("://", "://ann:pw@") + "/sparql", "--timeout", "20"), 1,
                 "larger than 2 MiB", "QDGRAPH_MAX_REPLY_MB")
    finally:
        sock.close()


def test_a_declared_huge_reply_is_refused_before_reading(qd):
    sock, url = _endless(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                         b"Content-Length: 4294967296\r\n\r\n")
    try:
        one_line(qd("query", ASK, "--endpoint", url + "/sparql"), 1, "larger than 512 MiB")  # the default cap
    finally:
        sock.close()


def test_an_unusable_size_cap_is_a_usage_error(qd, monkeypatch):
    monkeypatch.setenv("QDGRAPH_MAX_REPLY_MB", "lots")
    one_line(qd("query", ASK, "--endpoint", "http://127.0.0.1:9/sparql"), 2, "QDGRAPH_MAX_REPLY_MB")


MALFORMED_JSON = {
    "100,000 nested arrays": b"[" * 100_000 + b"]" * 100_000,
    "100,000 nested objects": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "a binding that is a number": b'{"head": {"vars": ["s"]}, "results": {"bindings": [5]}}',
    "a term that is a number": b'{"head": {"vars": ["s"]}, "results": {"bindings": [{"s": 5}]}}',
    "a term without a type": b'{"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"value": "x"}}]}}',
    "vars that are not a list": b'{"head": {"vars": 5}, "results": {"bindings": []}}',
    "a list": b"[]",
}


@pytest.mark.parametrize("how", sorted(MALFORMED_JSON))
def test_malformed_json_results_are_one_line(qd, stand_in, how):
    s = stand_in(lambda h, body: (200, {"Content-Type": "application/sparql-results+json"}, MALFORMED_JSON[how]))
    one_line(qd("query", "SELECT ?s WHERE { ?s ?p ?o }", "--endpoint", s.url + "/sparql"), 1, "not SPARQL JSON results")


@pytest.mark.parametrize("scheme", ["file", "ftp", "gopher"])
def test_redirects_to_other_schemes_are_refused_and_never_followed(qd, stand_in, scheme):
    hits = []
    listener, far = _raw_server(lambda conn: (hits.append(1), conn.close()))
    port = far.rsplit(":", 1)[1]
    place = "file:///etc/passwd" if scheme == "file" else f"{scheme}://127.0.0.1:{port}/x"
    s = stand_in(lambda h, body: (302, {"Location": place}, b""))
    try:
        one_line(qd("query", ASK, "--endpoint", s.url + "/sparql"), 1, "redirected to", f"{scheme}:", "http(s) only")
        one_line(qd("push", s.url + "/store"), 1, "http(s) only")  # a PUT: 302 keeps no body, 307 would
    finally:
        listener.close()
    assert hits == []


# ------------------------------------------------------------------ the read-only guard (lead)
# The spelling that talked past the token guess: '<' after ')' is less-than, not an IRI, so the
# SERVICE after the comment sign is real. (10,000 generated spellings: tests/test_guard_spellings*.py)
def _talked_past(url: str) -> str:
    return f"SELECT * WHERE {{ ?s a qd:Pillar FILTER((1)<2)SERVICE#>\n<{url}> {{ ?a ?b ?c }} }}"


def test_the_spelling_that_talked_past_the_guard_is_refused(qd):
    from test_read_only_guard import Listener

    listener = Listener()
    try:
        line = one_line(qd("query", _talked_past(listener.url)), 2, "line 1: SERVICE is not allowed")
        assert "LEAKED" not in line
        # --endpoint used to forward it to the store unrefused
        one_line(qd("query", _talked_past(listener.url), "--endpoint", listener.url), 2, "SERVICE is not allowed")
        assert listener.count == 0
    finally:
        listener.sock.close()


def test_serve_refuses_the_spelling_that_talked_past_the_guard(base):
    from test_read_only_guard import Listener

    listener = Listener()
    try:
        body = urllib.parse.urlencode({"query": _talked_past(listener.url)}).encode()
        req = urllib.request.Request(base + "/sparql", data=body, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=30)
        text = err.value.read().decode("utf-8")
        assert err.value.code == 403 and "SERVICE is not allowed" in text and text.count("\n") == 1
        assert listener.count == 0
    finally:
        listener.sock.close()

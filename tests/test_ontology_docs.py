"""The ontology's documentation (pyLODE) written by `qdgraph docs`, offline, and
served at /ontology, where the ontology IRI answers HTML or Turtle by content negotiation."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pyoxigraph as ox
import pytest

from conftest import ROOT, assert_one_line_error, invoke, needs_chromium
from qdgraph.presentation.docs import offline

ONTOLOGY = ROOT / "ontology" / "qdgraph.ttl"
QD = "https://w3id.org/qdgraph/ontology#"


class _Loads(HTMLParser):
    """Every URL the page would fetch on opening (not links a reader may follow)."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.csp: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp.append(a.get("content") or "")
        if tag == "link" and re.search(r"stylesheet|icon|preload|prefetch|manifest", a.get("rel") or ""):
            self.urls.append(a.get("href") or "")
        for key in ("src", "data", "srcset"):
            if a.get(key):
                self.urls.append(a[key])


def loads(html: str) -> _Loads:
    p = _Loads()
    p.feed(html)
    return p


def remote(urls):
    return [u for u in urls if not u.startswith("data:")]


def ontology_terms() -> set[str]:
    q = """SELECT ?t WHERE { VALUES ?k { owl:Class owl:ObjectProperty owl:DatatypeProperty }
           ?t a ?k FILTER STRSTARTS(STR(?t), "https://w3id.org/qdgraph/ontology#") }"""
    store = ox.Store()
    store.load(path=str(ONTOLOGY), format=ox.RdfFormat.TURTLE)
    return {r["t"].value for r in store.query("PREFIX owl: <http://www.w3.org/2002/07/owl#> " + q)}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs") / "site" / "ontology"
    res = invoke("docs", "-o", out)
    assert res.code == 0, res
    return out


def test_docs_writes_the_page_and_the_ontology(written):
    assert sorted(p.name for p in written.iterdir()) == ["index.html", "qdgraph.ttl"]
    assert (written / "qdgraph.ttl").read_bytes() == ONTOLOGY.read_bytes()
    html = (written / "index.html").read_text(encoding="utf-8")
    # each term documented under an anchor named as its IRI's fragment (…/ontology#Indicator)
    missing = [t for t in ontology_terms() if t not in html or f'id="{t[len(QD):]}"' not in html]
    assert not missing, f"terms not documented: {sorted(missing)[:10]}"
    assert "青岛现代产业先行城市知识图谱本体" in re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def test_docs_page_loads_nothing_from_elsewhere(written):
    page = loads((written / "index.html").read_text(encoding="utf-8"))
    assert remote(page.urls) == []
    assert page.csp and "default-src 'none'" in page.csp[0]


def test_offline_strips_what_pylode_or_a_theme_would_fetch():
    html = offline("""<html><head><link rel="stylesheet" href="https://cdn.example/x.css">
        <link rel="icon" href="//cdn.example/i.png"><link rel="canonical" href="https://w3id.org/qdgraph/ontology">
        <script src="https://cdn.example/x.js"></script><style>@import url("https://cdn.example/y.css");
        body { background: url(https://cdn.example/bg.png) }</style></head>
        <body style="background: url('//cdn.example/b.png')"><img src="https://cdn.example/logo.png">
        <p>CSS reads @import url(//a.example/x.css); here as text</p>
        <a href="https://w3id.org/qdgraph/ontology">IRI</a></body></html>""")
    assert "cdn.example" not in html
    assert "CSS reads @import url(//a.example/x.css); here as text" in html   # prose is left alone
    assert 'href="https://w3id.org/qdgraph/ontology">IRI</a>' in html   # links a reader follows stay
    assert 'rel="canonical"' in html


def test_docs_into_a_file_is_a_one_line_error(tmp_path):
    target = tmp_path / "taken"
    target.write_text("keep me", encoding="utf-8")
    assert_one_line_error(invoke("docs", "-o", target), 1, "not a folder")
    assert target.read_text(encoding="utf-8") == "keep me"


# --- served at /ontology -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from test_server import start_qdgraph

    proc, base = start_qdgraph(tmp_path_factory.mktemp("serve"), "--workers", "1")
    yield base
    proc.stop()


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.mark.server
@pytest.mark.parametrize("accept, requested, media", [
    (BROWSER_ACCEPT, None, "text/html"),
    ("*/*", None, "text/html"),
    ("text/turtle", None, "text/turtle"),
    ("application/ld+json;q=0.9, text/turtle;q=0.5", None, "application/ld+json"),
    ("application/n-triples", None, "application/n-triples"),
    (BROWSER_ACCEPT, "turtle", "text/turtle"),
    ("text/turtle", "html", "text/html"),
])
def test_ontology_iri_negotiates_html_or_rdf(server, accept, requested, media):
    from test_server import http

    url = server + "/ontology" + (f"?format={requested}" if requested else "")
    status, headers, body = http("GET", url, headers={"Accept": accept})
    assert status == 200, body[:300]
    assert headers["Content-Type"].split(";")[0] == media
    assert "Accept" in headers.get("Vary", "")
    if media == "text/html":
        assert b"<html" in body[:200] and "default-src 'none'" in headers["Content-Security-Policy"]
        assert remote(loads(body.decode("utf-8")).urls) == []
    else:
        fmt = {"text/turtle": ox.RdfFormat.TURTLE, "application/ld+json": ox.RdfFormat.JSON_LD,
               "application/n-triples": ox.RdfFormat.N_TRIPLES}[media]
        got = ox.Store()
        got.load(body, format=fmt)
        want = ox.Store()
        want.load(path=str(ONTOLOGY), format=ox.RdfFormat.TURTLE)
        assert len(got) == len(want)
        assert ontology_terms() <= {q.subject.value for q in got}


@pytest.mark.server
def test_ontology_refuses_what_it_cannot_write(server):
    from test_server import http

    status, _, body = http("GET", server + "/ontology", headers={"Accept": "image/png"})
    assert status == 406 and b"text/turtle" in body


# --- in a real browser, offline ---------------------------------------------------------------

@pytest.mark.browser
@needs_chromium
def test_docs_page_in_chromium_offline(written, server, tmp_path, browser):
    for name, url, own in [("file", (written / "index.html").as_uri(), "file://"),
                           ("served", server + "/ontology", server + "/")]:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors, elsewhere = [], []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(own)
                   else (elsewhere.append(r.request.url), r.abort()))
        page.goto(url)
        assert "青岛现代产业先行城市知识图谱本体" in page.title(), name
        # pyLODE's sections, each with content, and its styles applied (inline CSS)
        assert page.locator("h2", has_text="Classes").count() == 1, name
        assert page.locator("#classes .entity, #classes table").count() >= 5, name
        shot = tmp_path / f"{name}.png"
        page.screenshot(path=str(shot), full_page=False)
        assert shot.stat().st_size > 20_000, name
        assert errors == [] and elsewhere == [], (name, errors, elsewhere)
        page.close()

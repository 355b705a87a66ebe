"""The analyst's site in-process (Starlette's test client): pages at every IRI, negotiation,
the plain questions, the catalogue, languages, escaping, the CSP."""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import quote

import pyoxigraph as ox
import pytest

# Starlette 0.5x asks for httpx2 under its test client; httpx is what the project pins
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

QDR = "https://w3id.org/qdgraph/id/"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


@pytest.fixture(scope="module")
def client(kg):
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from qdgraph.interfaces.site import routes

    with TestClient(Starlette(routes=routes(lambda: kg))) as c:
        yield c


class Page(HTMLParser):
    """What a reader sees (text outside <code>, <pre>, <title>), the links and the ids."""

    def __init__(self, html: str):
        super().__init__()
        self.text, self.links, self.ids, self.srcs, self.scripts = [], [], set(), [], 0
        self._skip = 0
        self.lang = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("code", "pre", "title", "style", "script"):
            self._skip += 1
        if tag == "script":
            self.scripts += 1
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "a" and a.get("href"):
            self.links.append((a["href"], ""))
        if a.get("id"):
            self.ids.add(a["id"])
        for k in ("src", "href"):
            if tag in ("img", "link", "script") and a.get(k):
                self.srcs.append(a[k])
        for k in ("placeholder", "title", "aria-label", "alt"):
            if a.get(k):
                self.text.append(a[k])

    def handle_endtag(self, tag):
        if tag in ("code", "pre", "title", "style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.text.append(data.strip())
            if self.links and not self.links[-1][1]:
                self.links[-1] = (self.links[-1][0], data.strip())

    @property
    def words(self) -> str:
        return "\n".join(self.text)


def get(client, path, headers=ZH, status=200):
    r = client.get(path, headers=headers)
    assert r.status_code == status, (path, r.status_code, r.text[:500])
    return r


def every_iri(kg) -> list[str]:
    return sorted({t.value for q in kg.quads() for t in (q.subject, q.object)
                   if isinstance(t, ox.NamedNode) and t.value.startswith(QDR)})


# ------------------------------------------------------------------ every IRI
@pytest.mark.slow  # 772 IRIs, two requests each: about 11 s of CPU
def test_every_iri_answers_a_page_and_its_rdf(kg):
    """Each resource IRI of the bundled graph: 200 HTML for a browser, and its own triples as
    Turtle by negotiation. (httpx's ASGI transport on one event loop: a third of the test
    client's CPU, which hands each request to a thread of its own.)"""
    import asyncio

    import httpx
    from starlette.applications import Starlette

    from qdgraph.interfaces.site import routes

    iris = every_iri(kg)
    assert len(iris) > 500
    app = Starlette(routes=routes(lambda: kg))

    async def walk():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://site") as c:
            for iri in iris:
                path = "/id/" + iri[len(QDR):]
                r = await c.get(path, headers={"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8", **ZH})
                assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), (path, r.status_code)
                r = await c.get(path, headers={"Accept": "text/turtle"})
                assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle"), path
                got = {(t.subject, t.predicate, t.object) for t in ox.parse(r.content, format=ox.RdfFormat.TURTLE)
                       if t.subject == ox.NamedNode(iri)}
                want = {(q.subject, q.predicate, q.object) for q in kg.quads(subject=ox.NamedNode(iri))}
                assert got == want, path

    # on a thread of its own: a browser test earlier in this worker may have left its event loop
    # running in this thread (playwright's sync API), where asyncio.run refuses to start
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, walk()).result()


@pytest.mark.parametrize("accept,fmt,ctype", [
    ("application/n-triples", None, "application/n-triples"),
    ("application/ld+json", None, "application/ld+json"),
    ("text/html", "nt", "application/n-triples"),
    ("text/html", "json-ld", "application/ld+json"),
    ("text/turtle;q=0.5, application/ld+json", None, "application/ld+json"),
])
def test_rdf_by_negotiation_or_format(client, kg, accept, fmt, ctype):
    path = "/id/platform-kaos" + (f"?format={fmt}" if fmt else "")
    r = get(client, path, headers={"Accept": accept})
    assert r.headers["content-type"].startswith(ctype)
    parsed = list(ox.parse(r.content, format={"application/n-triples": ox.RdfFormat.N_TRIPLES,
                                              "application/ld+json": ox.RdfFormat.JSON_LD}[ctype]))
    assert {(t.predicate, t.object) for t in parsed} == \
        {(q.predicate, q.object) for q in kg.quads(subject=ox.NamedNode(QDR + "platform-kaos"))}
    assert "Accept" in r.headers["vary"]


def test_a_quote_s_rdf_carries_its_selectors(client, kg):
    r = get(client, "/id/q000-030", headers={"Accept": "text/turtle"})
    triples = list(ox.parse(r.content, format=ox.RdfFormat.TURTLE))
    exact = [t.object.value for t in triples if t.predicate.value.endswith("#exact")]
    assert len(exact) == 1 and exact[0] in (client.get("/source/doc-000").text)


def test_unknown_iri_and_unknown_format(client):
    r = get(client, "/id/no-such-thing", status=404)
    assert "图谱中没有这个地址的条目" in r.text and "no-such-thing" in r.text
    r = client.get("/id/platform-kaos", headers={"Accept": "image/png"})
    assert r.status_code == 406
    for path in ("/id/a%20b", "/id/a%3Cb%3E", "/source/a%20b", "/source/no-doc", "/site/chart/a%22b.svg", "/id/"):
        r = client.get(path, headers=ZH, follow_redirects=False)
        assert r.status_code in (303, 404), (path, r.status_code)


# ------------------------------------------------------------------ entity pages
def test_entity_page_reads_in_the_reader_s_language(client, kg):
    """Labels in zh and en, the type in words, property names from the ontology's rdfs:label in
    the reader's language, no prefixes or language tags, every value a link."""
    names = kg.names()
    prog = "https://w3id.org/qdgraph/ontology#partOfProgramme"
    for headers, lang in ((ZH, "zh"), (EN, "en")):
        page = Page(get(client, "/id/platform-kaos", headers=headers).text)
        words = page.words
        assert names.label(QDR + "platform-kaos", "zh") in words and names.label(QDR + "platform-kaos", "en") in words
        assert names.label("https://w3id.org/qdgraph/ontology#Platform", lang) in words
        assert names.label(prog, lang) in words
        assert not re.search(r"\b(qd|qdr|skos|rdfs|rdf|oa|prov):\w", words), words
        assert "@zh" not in words and "@en" not in words
        targets = {h for h, _ in page.links}
        assert "/id/programme-shuangkua-platforms" in targets
        assert "/id/measure-support-industrial-internet-platforms" in targets  # what links here
        assert "/viz/enterprise?name=" + QDR + "platform-kaos&lang=" + lang in targets
        assert page.lang == ("zh-CN" if lang == "zh" else "en")


def test_each_statement_has_its_quote_linked_to_the_sentence(client, kg):
    html = get(client, "/id/enterprise-goertek").text
    page = Page(html)
    # the claim "goertek inChain virtual reality" rests on a quote; the page links to its sentence
    rows = kg.named("entity-claims", {"entity": ox.NamedNode(QDR + "enterprise-goertek")}).rows
    exacts = {r["exact"].value for r in rows if r["p"].value.endswith("#inChain")}
    assert exacts and all(e in html for e in exacts)
    anchors = [h for h, _ in page.links if h.startswith("/source/doc-000#q-")]
    assert anchors
    source = Page(get(client, "/source/doc-000").text)
    assert all(h.split("#")[1] in source.ids for h in anchors)


def test_source_page_anchors_every_quote_verbatim(client, kg):
    r = get(client, "/source/doc-000")
    page = Page(r.text)
    quotes = kg.named("source-quotes", {"doc": ox.NamedNode(QDR + "doc-000")}).rows
    assert len(quotes) >= 40
    for q in quotes:
        qid = "q-" + q["quote"].value.rsplit("/", 1)[-1]
        assert qid in page.ids
        # the span's own text (a quote inside it included), without the links set beside quotes
        start = r.text.index(f'<span class="q" id="{qid}">') + len(f'<span class="q" id="{qid}">')
        depth, i = 1, start
        while depth:
            nxt_open, nxt_close = r.text.find("<span", i), r.text.find("</span>", i)
            if nxt_open != -1 and nxt_open < nxt_close:
                depth, i = depth + 1, nxt_open + 5
            else:
                depth, i = depth - 1, nxt_close + 7
        inner = r.text[start:i - 7]
        inner = re.sub(r'<span class="rests"><span class="vh">[^<]*</span>(?:<a [^>]*>[^<]*</a>)*</span>|<a class="qref"[^>]*>¶</a>',
                       "", inner)
        assert html.unescape(re.sub(r"<[^>]+>", "", inner)) == q["exact"].value, qid
    assert "/id/indicator-total-talent" in {h for h, _ in page.links}  # what rests on a sentence


def test_indicator_page_target_status_and_measures_grouped(client, kg):
    from qdgraph.domain.measures import measures_for
    from qdgraph.domain.wording import indicator_rows

    iri = QDR + "indicator-total-talent"
    page = Page(get(client, "/id/indicator-total-talent").text)
    row = next(r for r in indicator_rows(kg) if r["indicator"] == iri)
    assert row["target_zh"] in page.words
    im = measures_for(kg, iri)
    links = {h for h, _ in page.links}
    listed = [m for g in im.groups for m in g["links"]] if getattr(im, "groups", None) else im.links
    assert listed and all("/id/" + m.measure[len(QDR):] in links for m in listed)
    headings = [g["zh"] for g in im.groups] if getattr(im, "groups", None) else \
        [im.basis_labels[b]["zh"] for b in im.counts]
    for h in headings:  # one heading per group, as measures_for groups them
        assert h in page.words
    assert any(s.startswith("/site/chart/indicator-total-talent.svg") for s in page.srcs)
    svg = get(client, "/site/chart/indicator-total-talent.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content


def test_measure_page_says_what_it_affects_and_why(client, kg):
    iri = QDR + "measure-support-industrial-internet-platforms"
    page = Page(get(client, "/id/measure-support-industrial-internet-platforms").text)
    affected = {q.object.value for q in kg.quads(subject=ox.NamedNode(iri),
                                                 predicate=ox.NamedNode("https://w3id.org/qdgraph/ontology#affects"))}
    assert affected
    links = {h for h, _ in page.links}
    assert {"/id/" + a[len(QDR):] for a in affected} <= links
    names = kg.names()
    assert names.label("https://w3id.org/qdgraph/ontology#InferredFromSubject", "zh") in page.words or \
        names.label("https://w3id.org/qdgraph/ontology#Stated", "zh") in page.words


def test_chain_page_category_tier_members_measures_picture(client, kg):
    names = kg.names()
    page = Page(get(client, "/id/chain-virtual-reality").text)
    links = {h for h, _ in page.links}
    for p, o in (("category", "category-emerging"), ("targetClusterTier", "tier-domestic-first-class")):
        assert "/id/" + o in links and names.label(QDR + o, "zh") in page.words
    members = {q.subject.value for q in kg.quads(predicate=ox.NamedNode("https://w3id.org/qdgraph/ontology#inChain"),
                                                 object=ox.NamedNode(QDR + "chain-virtual-reality"))}
    assert members and {"/id/" + m[len(QDR):] for m in members} <= links
    assert "/id/measure-domestic-first-class-clusters" in links
    assert any(h.startswith("/viz/chain?name=" + QDR + "chain-virtual-reality") for h in links)


def test_home_has_pillars_indicators_with_target_and_status_and_chains(client, kg):
    from qdgraph.domain.wording import indicator_rows

    page = Page(get(client, "/").text)
    links = {h for h, _ in page.links}
    rows = indicator_rows(kg)
    assert len(rows) == 12
    for r in rows:
        assert "/id/" + r["indicator"][len(QDR):] in links
        if r["target_zh"]:
            assert r["target_zh"] in page.words
    for p in kg.named("pillars").rows:
        assert "/id/" + p["pillar"].value[len(QDR):] in links
    for c in kg.named("chains").rows:
        assert "/id/" + c["chain"].value[len(QDR):] in links
    assert "/progress?lang=zh" in links and "/ontology" in links


# ------------------------------------------------------------------ search and questions
def test_search_finds_pinyin_and_near_misses_grouped_by_type(client, kg):
    names = kg.names()
    page = Page(get(client, "/search?q=xunixianshi").text)
    assert "/id/chain-virtual-reality" in {h for h, _ in page.links}
    assert names.label("https://w3id.org/qdgraph/ontology#IndustryChain", "zh") in page.words  # the group heading
    page = Page(get(client, "/search?q=" + quote("人材总量")).text)  # a near miss
    assert "/id/indicator-total-talent" in {h for h, _ in page.links}


@pytest.mark.parametrize("question", ["哪些措施影响人才总量", "卡奥斯属于哪条产业链", "数字经济核心产业增加值占比的目标是多少",
                                      "歌尔属于哪条产业链", "which measures affect total talent?"])
def test_plain_questions_are_answered_with_the_sparql_that_ran(client, kg, question):
    from qdgraph.domain.questions import answer
    from qdgraph.engine.queries import get_query

    a = answer(kg, question)
    assert a is not None and a.iri
    r = get(client, "/search?q=" + quote(question))
    page = Page(r.text)
    links = {h for h, _ in page.links}
    assert "/id/" + a.iri[len(QDR):] in links
    for item in a.items:
        assert "/id/" + item["iri"][len(QDR):] in links
    if a.kind == "target":
        assert a.items and a.items[0]["zh"] in page.words
    if a.kind == "chain" and not a.items:  # none stated: the page says so and shows what is said
        assert "原文没有说明" in page.words and a.related
    text = get_query(a.query).text
    assert text.strip().splitlines()[-1].replace("<", "&lt;").replace(">", "&gt;") in r.text  # the SPARQL shown
    assert f"&lt;{a.iri}&gt;" in r.text


def test_question_patterns():
    from qdgraph.domain.questions import EXAMPLES, match

    assert [match(q)[0].kind for q in EXAMPLES] == ["measures", "chain", "target"]
    assert match("哪些措施影响人才总量？")[1] == "人才总量"
    assert match("what is the target for GDP?")[1] == "GDP"
    assert match("人才总量") is None and match("") is None


def test_a_question_about_a_name_that_matches_nothing_offers_candidates(client):
    page = Page(get(client, "/search?q=" + quote("哪些措施影响人材总两")).text)
    assert "/id/indicator-total-talent" in {h for h, _ in page.links}


# ------------------------------------------------------------------ languages and catalogue
def test_language_from_accept_language_then_switch_and_cookie(kg):
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from qdgraph.interfaces.site import routes

    client = TestClient(Starlette(routes=routes(lambda: kg)))  # its own cookies
    assert Page(client.get("/", headers={}).text).lang == "zh-CN"  # Chinese first
    assert Page(client.get("/", headers=EN).text).lang == "en"
    r = client.get("/id/platform-kaos?lang=en", headers=ZH)
    assert Page(r.text).lang == "en" and "qdgraph_lang=en" in r.headers["set-cookie"]
    assert Page(client.get("/", headers=ZH).text).lang == "en"  # remembered
    page = Page(client.get("/?lang=zh", headers=ZH).text)
    assert page.lang == "zh-CN"
    assert any(h.endswith("lang=en") for h, _ in page.links)  # the switch
    assert Page(client.get("/", headers=ZH).text).lang == "zh-CN"


def test_zh_pages_show_no_english_but_names(client, kg):
    """In Chinese, every word on screen is Chinese, except names that have no Chinese and the
    names of formats and of SPARQL."""
    allowed = {"SPARQL", "Turtle", "Triples", "JSON", "English", "pinyin"}
    names = kg.names()
    english_only = {w for e in names.entries if not e.get("zh") for w in re.findall(r"[A-Za-z]{3,}", e.get("en") or "")}
    for path in ("/", "/id/indicator-total-talent", "/id/chain-virtual-reality", "/id/platform-kaos",
                 "/id/measure-support-industrial-internet-platforms", "/source/doc-000", "/search?q=xunixianshi",
                 "/search?q=" + quote("卡奥斯属于哪条产业链")):
        words = Page(get(client, path + ("&" if "?" in path else "?") + "lang=zh").text).words
        if path.startswith("/id/"):  # the entity's own names: its label in both languages, its aliases
            e = names.entry(QDR + path[4:]) or {}
            for n in [e.get("en") or "", *e.get("alt", [])]:
                words = words.replace(n, "")
        words = re.sub(r"https?://\S+|xuni xianshi|kaos|xunixianshi|qdgraph observe import", "", words)
        stray = {w for w in re.findall(r"[A-Za-z]{3,}", words)} - allowed - english_only
        assert not stray, (path, sorted(stray)[:20])


def test_catalogue_has_every_message_in_both_languages(kg):
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    from qdgraph.interfaces.site import HERE
    from qdgraph.presentation import i18n

    used = {m if isinstance(m, str) else m[0] for _, _, m, _, _ in extract_from_dir(
        str(HERE), method_map=[("templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")])}
    assert len(used) > 50
    for lang in i18n.LANGS:
        with i18n.po_path(lang).open("rb") as f:
            cat = read_po(f)
        ids = {m.id for m in cat if m.id and not m.context}
        assert used <= ids, (lang, sorted(used - ids))
        if lang == "zh":
            assert all(cat.get(m).string for m in used)
            assert all(re.search(r"[\u4e00-\u9fff]", cat.get(m).string) or m in ("English", "SPARQL")
                       for m in used if re.search(r"[a-z]{3}", m)), "an English message left in zh_CN"
    # every vocabulary term the graph uses without a label of its own has a name in both
    names = kg.names()
    terms = {q.predicate.value for q in kg.quads()} | {q.object.value for q in kg.quads(
        predicate=ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"))}
    for t in terms:
        if names.entry(t) is None:
            assert i18n.term(t, "zh") and i18n.term(t, "en"), t


# ------------------------------------------------------------------ safety
def test_user_text_is_escaped_and_pages_carry_a_strict_csp(client):
    evil = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    r = get(client, "/search?q=" + quote(evil))
    assert "<script>alert" not in r.text and "<img src=x" not in r.text and "&lt;script&gt;" in r.text
    r = get(client, "/search?q=" + quote("哪些措施影响<b>x</b>"))
    assert "<b>x</b>" not in r.text
    for path in ("/", "/id/indicator-total-talent", "/source/doc-000", "/search?q=x", "/id/nothing"):
        r = client.get(path, headers=ZH)
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp and "unsafe-inline" not in csp
        page = Page(r.text)
        assert page.scripts == 0
        assert all(not s.startswith(("http:", "https:", "//")) for s in page.srcs), page.srcs  # nothing from elsewhere


def test_long_search_text_is_cut_not_refused(client):
    r = get(client, "/search?q=" + "人" * 5000)
    assert r.status_code == 200


def test_every_compiled_catalogue_matches_its_po_file():
    """qdgraph reads the .mo files at run time: each must be what Babel compiles from the .po
    beside it (after editing a .po: python3 tools/compile_catalogues.py)."""
    from qdgraph.presentation import i18n

    for lang in i18n.LANGS:
        assert i18n.mo_path(lang).read_bytes() == i18n.compile_mo(lang), (
            f"{i18n.mo_path(lang)} is stale: run python3 tools/compile_catalogues.py")

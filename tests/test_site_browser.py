"""The site in Chromium, as an analyst uses it, against a real ``qdgraph serve`` on loopback:
home → indicator → measure → its quote highlighted in the source; search → entity → chain →
its picture → a node → its page; the language switch; questions typed in the search box. Every
page visited: no console errors, no horizontal overflow at 1280 px. The README's screenshots
(``README_SHOTS``) go to the folder ``QDGRAPH_SCREENSHOTS`` names, if set."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, needs_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.server, needs_chromium]

QDR = "https://w3id.org/qdgraph/id/"
WIDTH = 1280
# the README's pictures of the site (docs/site-NAME.png): QDGRAPH_SCREENSHOTS=docs python3 -m pytest tests/test_site_browser.py
README_SHOTS = ("home", "indicator", "question-1")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A real ``qdgraph serve`` (one query worker) on a free loopback port."""
    log = tmp_path_factory.mktemp("site") / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "serve", "--port", "0", "--quiet",
                                 "--workers", "1", "--timeout", "60"], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            m = re.search(r"serving at (http://127\.0\.0\.1:\d+)/", log.read_text(errors="replace"))
            if m:
                break
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.1)
        yield m.group(1)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Visit:
    """A browser page that records console errors and checks each page it lands on."""

    def __init__(self, browser, base: str, locale: str = "zh-CN"):
        self.context = browser.new_context(viewport={"width": WIDTH, "height": 900}, locale=locale)
        self.page = self.context.new_page()
        self.page.set_default_timeout(60_000)
        self.base, self.errors, self.seen = base, [], []
        self.page.on("console", lambda m: self.errors.append(f"{self.page.url}: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"{self.page.url}: {e}"))

    def check(self, shot: str | None = None):
        """The page just reached: no horizontal overflow, no console error; a screenshot if asked."""
        p = self.page
        p.wait_for_load_state("load")
        width = p.evaluate("document.documentElement.scrollWidth")
        assert width <= WIDTH, f"{p.url} is {width} px wide"
        assert not self.errors, self.errors
        self.seen.append(p.url)
        folder = os.environ.get("QDGRAPH_SCREENSHOTS")
        if shot and folder and shot in README_SHOTS:
            Path(folder).mkdir(parents=True, exist_ok=True)
            p.screenshot(path=str(Path(folder) / f"site-{shot}.png"), full_page=False)

    def goto(self, path: str, shot: str | None = None):
        self.page.goto(self.base + path)
        self.check(shot)

    def click(self, locator, shot: str | None = None):
        with self.page.expect_navigation():
            locator.click()
        self.check(shot)

    def close(self):
        self.context.close()


@pytest.fixture
def visit(browser, base):
    v = Visit(browser, base)
    yield v
    v.close()


def test_home_indicator_measure_quote_highlighted_in_the_source(visit, kg):
    p = visit.page
    visit.goto("/", "home")
    assert p.locator("html").get_attribute("lang") == "zh-CN"
    name = kg.names().label(QDR + "indicator-total-talent", "zh")
    visit.click(p.get_by_role("link", name=name, exact=True).first, "indicator")
    assert p.url.endswith("/id/indicator-total-talent")
    assert p.locator("h1").inner_text() == name
    first = p.locator(".measure-list li > a").first
    measure = first.inner_text()
    visit.click(first, "measure")
    assert "/id/measure-" in p.url and p.locator("h1").inner_text() == measure
    quote = p.locator("section.evidence blockquote.quote a").first
    sentence = quote.inner_text().rstrip(" ↗")
    visit.click(quote, "source")
    assert re.search(r"/source/doc-000#q-[\w-]+$", p.url)
    target = p.locator(":target")
    assert target.count() == 1 and target.inner_text().startswith(sentence)
    # highlighted (:target) and scrolled into view
    assert target.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
    box = target.bounding_box()
    assert box and 0 <= box["y"] < 900


def test_search_entity_chain_picture_node_page(visit, kg):
    p = visit.page
    visit.goto("/")
    p.locator("#q-top").fill("歌尔")
    with p.expect_navigation():
        p.locator("#q-top").press("Enter")
    visit.check("search")
    visit.click(p.locator("a[href='/id/enterprise-goertek']").first, "entity")
    chain = p.locator("a[href='/id/chain-virtual-reality']").first
    visit.click(chain, "chain")
    assert p.locator("h1").inner_text() == kg.names().label(QDR + "chain-virtual-reality", "zh")
    visit.click(p.locator("a.button[href^='/viz/chain']"))
    end = time.monotonic() + 60  # the picture's CSP forbids eval: poll with evaluate, not wait_for_function
    while not p.evaluate("() => window.qdgraphStabilized === true"):
        assert time.monotonic() < end, "the picture did not settle"
        p.wait_for_timeout(100)
    visit.check("picture")
    # click the node of another member of the chain, where the picture draws it
    member = QDR + "enterprise-jindong"
    xy = p.evaluate("""iri => {
        const n = network.body.data.nodes.get().find(n => n.iri === iri);
        const pos = network.getPositions([n.id])[n.id];
        const dom = network.canvasToDOM(pos);
        const r = document.querySelector('#qd-network canvas, canvas').getBoundingClientRect();
        return [r.left + dom.x, r.top + dom.y];
    }""", member)
    p.mouse.click(*xy)
    details = p.locator("#qd-details")
    details.filter(has_text=kg.names().label(member, "zh")).wait_for()
    if p.locator("#qd-open").count() == 0:
        pytest.skip("this build's pictures offer no link from a node to its page (#qd-open)")
    link = p.locator("#qd-open")
    link.wait_for(state="visible")
    visit.click(link, "node-page")
    assert p.url.endswith("/id/enterprise-jindong")
    assert p.locator("h1").inner_text() == kg.names().label(member, "zh")


def test_language_switch_is_remembered(visit, kg):
    p = visit.page
    visit.goto("/id/platform-kaos")
    assert p.locator("h1").inner_text() == kg.names().label(QDR + "platform-kaos", "zh")
    visit.click(p.locator("a.lang"), "english")
    assert p.locator("html").get_attribute("lang") == "en"
    assert p.locator("h1").inner_text() == kg.names().label(QDR + "platform-kaos", "en")
    visit.click(p.locator("a.brand"))
    assert p.locator("html").get_attribute("lang") == "en" and "Search" in p.locator("form.find button").inner_text()
    visit.click(p.locator("a.lang"))
    assert p.locator("html").get_attribute("lang") == "zh-CN"


def test_questions_typed_in_the_search_box(visit, kg):
    from qdgraph.domain.questions import EXAMPLES, answer

    p = visit.page
    for i, q in enumerate(EXAMPLES):
        visit.goto("/")
        p.locator("#q-home").fill(q)
        with p.expect_navigation():
            p.locator("#q-home").press("Enter")
        visit.check(f"question-{i}")
        a = answer(kg, q)
        section = p.locator("section.answer")
        assert section.locator(f"a[href='/id/{a.iri[len(QDR):]}']").count() >= 1
        for item in a.items:
            assert section.locator(f"a[href='/id/{item['iri'][len(QDR):]}']").count() >= 1
        section.locator("details.sparql summary").click()
        assert "SELECT" in section.locator("details.sparql pre").inner_text()


def test_the_example_questions_are_one_click_from_home_and_controls_take_the_keyboard(visit):
    p = visit.page
    visit.goto("/")
    for i in range(p.locator(".examples a").count()):
        visit.goto("/")
        visit.click(p.locator(".examples a").nth(i))
        assert p.locator("section.answer a").count() > 0
    visit.goto("/")
    reached = set()
    for _ in range(40):
        p.keyboard.press("Tab")
        reached.add(p.evaluate("document.activeElement.id || document.activeElement.className || document.activeElement.tagName"))
    assert {"q-top", "q-home", "lang"} <= reached, reached

"""The pictures opened in a real browser (Debian's chromium, headless, network cut).

Every page is opened from file:// with a route that aborts and records any other request, so
"no request leaves the file" is checked, not assumed. One browser serves the whole module.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from conftest import invoke
from conftest_viz import HOSTILE_IMG, HOSTILE_SCRIPT, SAMPLE_NS, write_sample

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium at /usr/bin/chromium")]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory, kg):
    """The pictures under test, written by the real CLI."""
    d = tmp_path_factory.mktemp("pages")
    sample = write_sample(d, hostile=True)
    data = [a for f in sample for a in ("--data", f)]
    out = {}

    def viz(key, *args):
        res = invoke("viz", *args, "-o", d / f"{key}.html")
        assert res.code == 0, res
        out[key] = d / f"{key}.html"

    chain = kg.query("""SELECT ?c ?zh WHERE { ?c a qd:IndustryChain ; rdfs:label ?zh FILTER (lang(?zh) = "zh")
        OPTIONAL { ?e qd:inChain ?c } } GROUP BY ?c ?zh ORDER BY DESC(COUNT(?e)) ?c LIMIT 1""").rows
    if chain:
        out["chain_row"] = chain[0]
        viz("chain", "chain", chain[0]["zh"].value)
    ind = kg.query("""SELECT ?zh WHERE { ?i a qd:Indicator ; rdfs:label ?zh FILTER (lang(?zh) = "zh") } ORDER BY ?i LIMIT 1""").rows
    if ind:
        viz("indicator", "indicator", ind[0]["zh"].value, "--layout", "hierarchical", "--lang", "en")
    viz("hostile_chain", "chain", "样例虚拟现实", *data)
    viz("hostile_all", "all", *data)
    from test_viz import big_chain_turtle

    (d / "big.ttl").write_text(big_chain_turtle(3000), encoding="utf-8")
    viz("grouped", "chain", "样例万家产业链", "--data", sample[0], "--data", d / "big.ttl")
    out["dir"] = d
    return out


class Opened:
    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []


def open_page(browser, path: Path, timeout: float = 15.0) -> Opened:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    o = Opened(page)
    page.on("console", lambda m: m.type == "error" and o.errors.append(m.text))
    page.on("pageerror", lambda e: o.errors.append(str(e)))

    def on_dialog(dialog):
        o.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)

    def route(r):
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            o.requests.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri())
    # The page's CSP forbids eval, so poll with evaluate (which the CSP does not govern)
    # rather than wait_for_function.
    end = time.monotonic() + timeout
    while not page.evaluate("() => window.qdgraphStabilized === true"):
        assert time.monotonic() < end, f"{path.name} did not stabilise; errors: {o.errors}"
        page.wait_for_timeout(50)
    return o


def check_clean(o: Opened, shot: Path):
    o.page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    assert o.errors == []
    assert o.requests == []
    assert o.dialogs == []
    assert o.page.evaluate("() => network.physics.options.enabled") is False  # physics stopped


def test_chain_page(browser, pages, kg, tmp_path):
    if "chain" not in pages:
        pytest.skip("the bundled data has no chain yet")
    row = pages["chain_row"]
    o = open_page(browser, pages["chain"])
    members = {r["e"].value for r in kg.query(f"SELECT ?e WHERE {{ ?e qd:inChain <{row['c'].value}> }}").rows}
    ids = o.page.evaluate("() => network.body.data.nodes.getIds()")
    shown = set(o.page.evaluate("() => JSON.parse(document.getElementById('qdgraph-data').textContent)"
                                ".nodes.map(n => n.iri)"))
    assert len(ids) == len(shown) and (members | {row["c"].value}) <= shown
    assert o.page.locator("#qd-legend li").count() >= 1
    assert row["zh"].value in o.page.title()
    check_clean(o, tmp_path / "chain.png")
    o.page.close()


def test_search_focuses_and_type_filter_hides(browser, pages, tmp_path):
    o = open_page(browser, pages["hostile_chain"])
    page = o.page
    page.fill("#qd-search-input", "小鸟看看")
    page.press("#qd-search-input", "Enter")
    selected = page.evaluate("() => network.getSelectedNodes()")
    data_nodes = page.evaluate("() => JSON.parse(document.getElementById('qdgraph-data').textContent).nodes")
    pico = next(n for n in data_nodes if n["iri"] == SAMPLE_NS + "pico")
    assert selected == [pico["id"]]
    assert "样例小鸟看看" in page.text_content("#qd-details")
    page.fill("#qd-search-input", "no such node at all")
    page.press("#qd-search-input", "Enter")
    assert page.text_content("#qd-search-status") == "没有匹配的节点"
    page.uncheck('#qd-legend input[data-type="qd:Enterprise"]')
    hidden = page.evaluate("() => network.body.data.nodes.get().filter(n => n.hidden).map(n => n.id)")
    assert pico["id"] in hidden and len(hidden) == sum(1 for n in data_nodes if n["type"] == "qd:Enterprise")
    check_clean(o, tmp_path / "search.png")
    page.close()


@pytest.mark.parametrize("key", ["hostile_chain", "hostile_all"])
def test_hostile_label_runs_nothing(browser, pages, key, tmp_path):
    o = open_page(browser, pages[key])
    page = o.page
    data_nodes = page.evaluate("() => JSON.parse(document.getElementById('qdgraph-data').textContent).nodes")
    evil = next(n for n in data_nodes if n["iri"] == SAMPLE_NS + "evil")
    # the tooltip vis-network shows is an element holding text, not markup
    tip = page.evaluate(f"""() => {{ const t = network.body.data.nodes.get({evil['id']}).title;
        return [t instanceof HTMLElement, t.textContent, t.childElementCount]; }}""")
    assert tip[0] and HOSTILE_IMG in tip[1] and HOSTILE_SCRIPT in tip[1] and tip[2] == 0
    # hover it, so vis-network puts the tooltip into the page
    pos = page.evaluate(f"""() => {{ const p = network.getPositions([{evil['id']}])[{evil['id']}];
        const d = network.canvasToDOM(p); const r = document.getElementById('qd-network').getBoundingClientRect();
        return [d.x + r.left, d.y + r.top]; }}""")
    page.mouse.move(*pos)
    page.wait_for_timeout(500)
    # search for it: the details panel shows the text as text
    page.fill("#qd-search-input", "onerror")
    page.press("#qd-search-input", "Enter")
    assert HOSTILE_IMG in page.text_content("#qd-details")
    assert page.evaluate("() => document.getElementById('qd-details').childElementCount") == 0
    assert page.evaluate("() => document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert page.evaluate("() => document.scripts.length") == 3
    assert page.evaluate("() => window.__pwned") is None
    check_clean(o, tmp_path / f"{key}.png")
    page.close()


def test_indicator_page_hierarchical_english(browser, pages, tmp_path):
    if "indicator" not in pages:
        pytest.skip("the bundled data has no indicator yet")
    o = open_page(browser, pages["indicator"])
    assert o.page.evaluate("() => network.layoutEngine.options.hierarchical.enabled") is True
    assert o.page.evaluate("() => document.documentElement.lang") == "en"
    assert o.page.evaluate("() => network.body.data.nodes.length") >= 2
    check_clean(o, tmp_path / "indicator.png")
    o.page.close()


def test_grouped_chain_page(browser, pages, tmp_path):
    """A chain with 3,000 enterprises: a few drawn, one dashed "N more" node, the notice shown,
    and search finds a grouped member's name on the group node."""
    o = open_page(browser, pages["grouped"])
    page = o.page
    data_nodes = page.evaluate("() => JSON.parse(document.getElementById('qdgraph-data').textContent).nodes")
    group = next(n for n in data_nodes if n.get("group"))
    assert page.evaluate("() => network.body.data.nodes.length") == len(data_nodes) < 100
    assert page.is_visible("#qd-notice") and "汇总节点" in page.text_content("#qd-notice")
    assert page.evaluate(f"() => network.body.data.nodes.get({group['id']}).shapeProperties.borderDashes.length") == 2
    sample = group["tip"].split("其中包括：")[1].split("、")[0]
    page.fill("#qd-search-input", sample)
    page.press("#qd-search-input", "Enter")
    assert page.evaluate("() => network.getSelectedNodes()") == [group["id"]]
    check_clean(o, tmp_path / "grouped.png")
    page.close()

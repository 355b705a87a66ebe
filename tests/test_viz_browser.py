"""The pictures opened in a real browser (Debian's chromium, headless, network cut): every view,
path and rank included, and a picture inside a notebook's iframe.

Every page is opened from file:// with a route that aborts and records any other request, so
"no request leaves the file" is checked, not assumed. One browser serves the whole session.
"""
from __future__ import annotations

import re
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import invoke, needs_chromium
from conftest_viz import HOSTILE_IMG, HOSTILE_SCRIPT, SAMPLE_NS, write_sample


pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture(scope="module")
def pages(tmp_path_factory, kg):
    """The pictures under test: one written by the real CLI, the rest by ``qdgraph.presentation.viz.render``
    in-process (the same code, without a process start per page)."""
    from qdgraph.engine.graph import open_graph
    from qdgraph.presentation.viz import render

    d = tmp_path_factory.mktemp("pages")
    sample = write_sample(d, hostile=True)
    hostile_kg = open_graph(sample)
    out = {}

    def viz(key, graph, kind, name=None, **opts):
        (d / f"{key}.html").write_text(render(graph, kind, name, **opts), encoding="utf-8")
        out[key] = d / f"{key}.html"

    chain = kg.query("""SELECT ?c ?zh WHERE { ?c a qd:IndustryChain ; rdfs:label ?zh FILTER (lang(?zh) = "zh")
        OPTIONAL { ?e qd:inChain ?c } } GROUP BY ?c ?zh ORDER BY DESC(COUNT(?e)) ?c LIMIT 1""").rows
    if chain:
        out["chain_row"] = chain[0]
        viz("chain", kg, "chain", chain[0]["zh"].value)
    ind = kg.query("""SELECT ?zh WHERE { ?i a qd:Indicator ; rdfs:label ?zh FILTER (lang(?zh) = "zh") } ORDER BY ?i LIMIT 1""").rows
    if ind:
        viz("indicator", kg, "indicator", ind[0]["zh"].value, layout="hierarchical", lang="en")
    pillar = kg.query("""SELECT ?zh WHERE { ?p a qd:Pillar ; rdfs:label ?zh FILTER (lang(?zh) = "zh") } ORDER BY ?p LIMIT 1""").rows
    if pillar:
        viz("pillar", kg, "pillar", pillar[0]["zh"].value, size="pagerank")
        viz("pillar_hier", kg, "pillar", pillar[0]["zh"].value, layout="hierarchical", lang="en")
    firm = kg.query("""SELECT ?e WHERE { ?e a qd:Enterprise ; qd:inChain ?c } ORDER BY ?e LIMIT 1""").rows
    if firm:
        viz("enterprise", kg, "enterprise", firm[0]["e"].value)
    ends = kg.query("""SELECT ?e ?i WHERE { { SELECT ?e WHERE { ?e a qd:Enterprise } ORDER BY ?e LIMIT 1 }
        { SELECT ?i WHERE { ?i a qd:Indicator } ORDER BY ?i LIMIT 1 } }""").rows
    if ends:
        viz("path", kg, "path", (ends[0]["e"].value, ends[0]["i"].value))
    viz("rank", kg, "rank", types=["Measure", "IndustryChain"])
    # the whole graph's picture is drawn (and waited for) once, as hostile_all; communities on the sample
    viz("community", open_graph(sample, bundled=False), "all", color="community", size="degree")
    res = invoke("viz", "chain", "样例虚拟现实", *(a for f in sample for a in ("--data", f)),
                  "-o", d / "hostile_chain.html")
    assert res.code == 0, res
    out["hostile_chain"] = d / "hostile_chain.html"
    viz("hostile_all", hostile_kg, "all")
    viz("hostile_enterprise", hostile_kg, "enterprise", "样例歌尔", size="betweenness")
    viz("hostile_path", hostile_kg, "path", ("样例人才总量", "window.__pwned=1"), lang="en")
    viz("hostile_rank", hostile_kg, "rank", types=["Enterprise"], top=200)
    viz("hostile_query", hostile_kg, "query", "CONSTRUCT { ?e qd:inChain ?c } WHERE { ?e qd:inChain ?c }")
    from test_viz import big_chain_turtle

    (d / "big.ttl").write_text(big_chain_turtle(3000), encoding="utf-8")
    viz("grouped", open_graph([sample[0], d / "big.ttl"]), "chain", "样例万家产业链")
    out["dir"] = d
    return out


class Opened:
    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []


def open_page(browser, path: Path, timeout: float = 90.0) -> Opened:
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


# painted pixels of the picture's canvas (vis-network draws on a transparent canvas)
PAINTED = """() => { const c = document.querySelector('#qd-network canvas');
  const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0; for (let i = 3; i < px.length; i += 4) if (px[i]) n++; return n; }"""


def check_clean(o: Opened, shot: Path):
    o.page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    assert o.errors == []
    assert o.requests == []
    assert o.dialogs == []
    assert o.page.evaluate("() => network.physics.options.enabled") is False  # physics stopped
    assert o.page.evaluate(PAINTED) > 2000                                    # something was drawn


def data_nodes(page) -> list[dict]:
    return page.evaluate("() => JSON.parse(document.getElementById('qdgraph-data').textContent).nodes")


def test_search_focuses_and_type_filter_hides(browser, pages, tmp_path):
    o = open_page(browser, pages["hostile_chain"])
    page = o.page
    page.fill("#qd-search-input", "小鸟看看")
    page.press("#qd-search-input", "Enter")
    selected = page.evaluate("() => network.getSelectedNodes()")
    nodes = data_nodes(page)
    pico = next(n for n in nodes if n["iri"] == SAMPLE_NS + "pico")
    assert selected == [pico["id"]]
    assert "样例小鸟看看" in page.text_content("#qd-details")
    page.fill("#qd-search-input", "no such node at all")
    page.press("#qd-search-input", "Enter")
    assert page.text_content("#qd-search-status") == "没有匹配的节点"
    page.uncheck('#qd-legends input[data-key="type"][data-value="qd:Enterprise"]')
    hidden = page.evaluate("() => network.body.data.nodes.get().filter(n => n.hidden).map(n => n.id)")
    assert pico["id"] in hidden and len(hidden) == sum(1 for n in nodes if n["type"] == "qd:Enterprise")
    # searching for a hidden node shows its type again
    page.fill("#qd-search-input", "小鸟看看")
    page.press("#qd-search-input", "Enter")
    assert page.is_checked('#qd-legends input[data-key="type"][data-value="qd:Enterprise"]')
    assert page.evaluate("() => network.body.data.nodes.get().filter(n => n.hidden).length") == 0
    check_clean(o, tmp_path / "search.png")
    page.close()


@pytest.mark.parametrize("key", ["hostile_chain", "hostile_all", "hostile_enterprise", "hostile_path", "hostile_rank",
                                 "hostile_query"])
def test_hostile_label_runs_nothing(browser, pages, kg, key, tmp_path):
    o = open_page(browser, pages[key])
    page = o.page
    evil = next(n for n in data_nodes(page) if n["iri"] == SAMPLE_NS + "evil")
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
    if key in ("hostile_enterprise", "hostile_query"):
        check_view(o, key, pages, kg, tmp_path)
    else:
        check_clean(o, tmp_path / f"{key}.png")
    page.close()


def test_grouped_chain_page(browser, pages, tmp_path):
    """A chain with 3,000 enterprises: a few drawn, one dashed "N more" node, the notice shown,
    and search finds a grouped member's name on the group node."""
    o = open_page(browser, pages["grouped"])
    page = o.page
    nodes = data_nodes(page)
    group = next(n for n in nodes if n.get("members"))
    assert page.evaluate("() => network.body.data.nodes.length") == len(nodes) < 100
    assert page.is_visible("#qd-notice") and "汇总节点" in page.text_content("#qd-notice")
    assert page.evaluate(f"() => network.body.data.nodes.get({group['id']}).shapeProperties.borderDashes.length") == 2
    sample = group["title"].split("其中包括：")[1].split("、")[0]
    page.fill("#qd-search-input", sample)
    page.press("#qd-search-input", "Enter")
    assert page.evaluate("() => network.getSelectedNodes()") == [group["id"]]
    check_clean(o, tmp_path / "grouped.png")
    page.close()


def check_view(o: Opened, key: str, pages, kg, tmp_path):
    """What every view's page must do: legend, its view's own marks, a PNG download, clean."""
    page = o.page
    assert page.locator("#qd-legends li").count() >= 1
    nodes = data_nodes(page)
    if key == "chain":
        row = pages["chain_row"]
        members = {r["e"].value for r in kg.query(f"SELECT ?e WHERE {{ ?e qd:inChain <{row['c'].value}> }}").rows}
        ids = page.evaluate("() => network.body.data.nodes.getIds()")
        assert len(ids) == len(nodes) and (members | {row["c"].value}) <= {n["iri"] for n in nodes}
        assert row["zh"].value in page.title()
        assert not {n["type"] for n in nodes} & {"qd:Pillar", "qd:Indicator"}   # the chain, not its pillar
    if key == "indicator":
        assert page.evaluate("() => network.layoutEngine.options.hierarchical.enabled") is True
        assert page.evaluate("() => document.documentElement.lang") == "en"
        assert len(nodes) >= 2
    if key == "path":
        assert page.evaluate("() => network.body.data.edges.get().filter(e => e.width === 3).length") >= 1
        assert any(n.get("onPath") for n in nodes)
    if key == "rank":
        ranks = sorted(int(m.group(1)) for n in nodes if (m := re.match(r"(\d+)\. ", n["label"])))
        assert ranks[:3] == [1, 2, 3]
    if key == "community":   # each community's row hides exactly its nodes
        assert page.locator('#qd-legends ul[data-key="community"] li').count() >= 2
        page.uncheck('#qd-legends input[data-key="community"][data-value="0"]')
        hidden = page.evaluate("() => network.body.data.nodes.get().filter(n => n.hidden).map(n => n.id)")
        assert sorted(hidden) == sorted(n["id"] for n in nodes if n["community"] == 0) != []
        page.check('#qd-legends input[data-key="community"][data-value="0"]')
    if key in ("pillar", "community", "rank", "hostile_enterprise"):   # sized: values reach vis-network
        values = page.evaluate("() => network.body.data.nodes.get().map(n => n.value)")
        assert len(set(values)) > 1 and None not in values
    with page.expect_download() as dl:
        page.click("#qd-png")
    png = Path(dl.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert dl.value.suggested_filename == f"qdgraph-{key.removeprefix('hostile_').replace('community', 'all')}.png"
    check_clean(o, tmp_path / f"{key}.png")


# the enterprise and query views are checked on their hostile pages (test_hostile_label_runs_nothing)
@pytest.mark.parametrize("key", ["chain", "pillar", "indicator", "path", "rank", "community"])
def test_every_view_draws_offline_and_downloads_a_png(browser, pages, kg, key, tmp_path):
    if key not in pages:
        pytest.skip(f"the bundled data has nothing for the {key} view yet")
    o = open_page(browser, pages[key])
    check_view(o, key, pages, kg, tmp_path)
    o.page.close()


def test_notebook_picture_runs_in_its_iframe_under_its_own_csp(browser, tmp_path, pages):
    """What Jupyter shows for a picture (``_repr_html_``), put in a host page: the page runs
    inside a sandboxed iframe, draws, keeps its CSP, and the hostile label stays text."""
    from qdgraph.engine.graph import open_graph
    from qdgraph.presentation.viz import picture

    kg = open_graph([pages["dir"] / "sample.ttl", pages["dir"] / "hostile.ttl"])
    host = tmp_path / "notebook.html"
    host.write_text("<!DOCTYPE html><meta charset=utf-8><title>nb</title>"
                    + picture(kg, "chain", "样例虚拟现实")._repr_html_(), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors, requests = [], []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://")
               else (requests.append(r.request.url), r.abort()))
    page.goto(host.as_uri())
    frame = page.frame_locator("iframe")
    frame.locator("#qd-network canvas").wait_for()
    (inner,) = [f for f in page.frames if f != page.main_frame]
    end = time.monotonic() + 15
    while not inner.evaluate("() => window.qdgraphStabilized === true"):
        assert time.monotonic() < end, errors
        page.wait_for_timeout(50)
    assert inner.evaluate(PAINTED) > 2000
    assert "default-src 'none'" in inner.evaluate(
        "() => document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]').content")
    assert inner.evaluate("() => window.origin") == "null"        # sandboxed: not the notebook's origin
    inner.fill("#qd-search-input", "onerror")
    inner.press("#qd-search-input", "Enter")
    assert HOSTILE_IMG in inner.text_content("#qd-details")
    assert inner.evaluate("() => document.querySelectorAll('img').length + (window.__pwned || 0)") == 0
    assert page.evaluate("() => window.__pwned") is None
    assert errors == [] and requests == []
    page.close()


# ------------------------------------------------------------------ pictures that read
# Each shown node's label box as vis-network measured it (the page draws the picture whole at
# full size to measure), and every pair of boxes that overlap.
LABEL_OVERLAPS = """() => { const bs = window.qdgraphLabelBoxes().filter(b => b.width > 0); const out = [];
  for (let i = 0; i < bs.length; i++) for (let j = i + 1; j < bs.length; j++) { const a = bs[i], c = bs[j];
    if (Math.min(a.left + a.width, c.left + c.width) - Math.max(a.left, c.left) > 0.5 &&
        Math.min(a.top + a.height, c.top + c.height) - Math.max(a.top, c.top) > 0.5) out.push([a.label, c.label]); }
  return {n: bs.length, overlaps: out}; }"""
# how many nodes (shape and label) reach outside the picture's area on screen
OFF_SCREEN = """() => { const r = document.getElementById('qd-network').getBoundingClientRect();
  return network.body.nodeIndices.filter(id => { const b = network.getBoundingBox(id);
    const a = network.canvasToDOM({x: b.left, y: b.top}), c = network.canvasToDOM({x: b.right, y: b.bottom});
    return a.x < -1 || a.y < -1 || c.x > r.width + 1 || c.y > r.height + 1; }).length; }"""
EXTENT = """() => { let l = Infinity, r = -Infinity, t = Infinity, b = -Infinity;
  network.body.nodeIndices.forEach(id => { const x = network.getBoundingBox(id);
    l = Math.min(l, x.left); r = Math.max(r, x.right); t = Math.min(t, x.top); b = Math.max(b, x.bottom); });
  return [r - l, b - t, window.devicePixelRatio]; }"""


@pytest.mark.parametrize("key", ["chain", "pillar", "pillar_hier", "indicator", "enterprise", "path", "rank"])
def test_no_label_overlaps_and_the_picture_opens_fitted(browser, pages, key, tmp_path):
    """Views of up to 100 nodes on the bundled data: no two node labels overlap (measured in the
    browser after the layout settles), and the picture opens with every node on screen."""
    if key not in pages:
        pytest.skip(f"the bundled data has nothing for the {key} view yet")
    o = open_page(browser, pages[key])
    page = o.page
    n = len(data_nodes(page))
    assert 2 <= n <= 100, n
    found = page.evaluate(LABEL_OVERLAPS)
    assert found["n"] == n and found["overlaps"] == []
    assert page.evaluate(OFF_SCREEN) == 0
    check_clean(o, tmp_path / f"{key}-labels.png")
    page.close()


def test_fit_button_and_png_of_the_whole_picture(browser, pages, tmp_path):
    from PIL import Image

    o = open_page(browser, pages["pillar"])
    page = o.page
    page.evaluate("() => network.moveTo({scale: 2.5, animation: false})")
    assert page.evaluate(OFF_SCREEN) > 5            # zoomed in: most of the picture is off screen
    view = page.evaluate("() => [network.getScale(), network.getViewPosition()]")
    canvas = page.evaluate("() => [document.querySelector('#qd-network canvas').width, "
                           "document.querySelector('#qd-network canvas').height]")
    width, height, ratio = page.evaluate(EXTENT)
    with page.expect_download() as dl:
        page.click("#qd-png")
    im = Image.open(dl.value.path())
    # the PNG is sized to the whole picture at the export scale (1.5, or less to stay within
    # 6000 px), not to the window, and its drawing reaches every side of it
    side = 6000 / ratio - 80
    scale = min(1.5, side / width, side / height)
    assert abs(im.width - (width * scale + 80) * ratio) <= 2 * ratio + 1
    assert abs(im.height - (height * scale + 80) * ratio) <= 2 * ratio + 1
    assert im.width > canvas[0] and im.height > canvas[1]
    ink = im.convert("L").point(lambda v: 255 if v < 245 else 0).getbbox()
    assert ink[0] < 70 * ratio and ink[1] < 70 * ratio and ink[2] > im.width - 70 * ratio and ink[3] > im.height - 70 * ratio
    after = page.evaluate("() => [network.getScale(), network.getViewPosition()]")   # the view is put back
    assert after[0] == pytest.approx(view[0]) and after[1] == pytest.approx(view[1])
    page.click("#qd-fit")   # animated: wait for it to end (a loaded machine draws few frames)
    end = time.monotonic() + 20
    while page.evaluate(OFF_SCREEN) and time.monotonic() < end:
        page.wait_for_timeout(100)
    assert page.evaluate(OFF_SCREEN) == 0
    check_clean(o, tmp_path / "fit.png")
    page.close()


def _click_node(page, node_id, double=False):
    x, y = page.evaluate(f"""() => {{ const p = network.getPositions([{node_id}])[{node_id}];
        const d = network.canvasToDOM(p); const r = document.getElementById('qd-network').getBoundingClientRect();
        return [d.x + r.left, d.y + r.top]; }}""")
    (page.mouse.dblclick if double else page.mouse.click)(x, y)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_each_node_links_to_its_page(browser, pages, tmp_path):
    """From a file the details panel links to the entity's IRI; served, to /id/NAME on the same
    site, where a double click goes."""
    o = open_page(browser, pages["chain"])
    chain = next(n for n in data_nodes(o.page) if n.get("focus"))
    _click_node(o.page, chain["id"])
    assert o.page.is_visible("#qd-open")
    assert o.page.get_attribute("#qd-open", "href") == chain["iri"]
    assert o.page.get_attribute("#qd-open", "target") == "_blank"
    o.page.close()

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(pages["chain"].parent)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{base}/{pages['chain'].name}")
        end = time.monotonic() + 40
        while not page.evaluate("() => window.qdgraphStabilized === true"):
            assert time.monotonic() < end
            page.wait_for_timeout(50)
        local = chain["iri"].removeprefix("https://w3id.org/qdgraph/id/")
        assert local != chain["iri"]
        _click_node(page, chain["id"])
        assert page.get_attribute("#qd-open", "href") == f"/id/{local}"
        _click_node(page, chain["id"], double=True)
        page.wait_for_url(f"{base}/id/{local}")
        page.close()
    finally:
        server.shutdown()
        server.server_close()


def test_readme_chain_picture(browser, tmp_path):
    """The README's picture, drawn as its caption says (qdgraph viz chain 虚拟现实 --size degree).
    ``QDGRAPH_SCREENSHOTS=docs pytest tests/test_viz_browser.py -k readme`` writes it to
    docs/screenshot-chain.png; otherwise to a temporary folder."""
    import os

    out = tmp_path / "chain.html"
    res = invoke("viz", "chain", "虚拟现实", "--size", "degree", "-o", out)
    if res.code != 0 and "no chain matches" in res.err:
        pytest.skip("the bundled data has no 虚拟现实 chain")
    assert res.code == 0, res
    o = open_page(browser, out)
    assert "虚拟现实" in o.page.title()
    assert o.page.evaluate(LABEL_OVERLAPS)["overlaps"] == []
    folder = Path(os.environ.get("QDGRAPH_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    check_clean(o, folder / "screenshot-chain.png")
    o.page.close()

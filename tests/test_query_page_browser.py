"""The server's query page in a real browser (Debian's chromium, headless): its download links
are the formats the server writes, from the format registry, and each one downloads an answer."""
from __future__ import annotations

import urllib.parse

import pytest

from qdgraph.presentation.formats import FORMATS
from conftest import needs_chromium
from test_server import http, start_qdgraph

pytestmark = [pytest.mark.browser, pytest.mark.server, needs_chromium]


def test_download_links_come_from_the_registry_and_answer(tmp_path, _private_cache, browser):
    proc, base = start_qdgraph(tmp_path)
    try:
        page = browser.new_page()
        page.goto(base + "/query")
        page.wait_for_selector("#downloads a.dl")
        links = page.eval_on_selector_all("#downloads a.dl", "els => els.map(e => e.dataset.format)")
        assert links == [f.name for f in FORMATS.values() if f.http]
        page.click('#downloads a.dl[data-format="csv"]')  # the page turns the link into a GET
        href = page.eval_on_selector('#downloads a.dl[data-format="csv"]', "e => e.href")
        page.close()
        status, headers, body = http("GET", href)
        assert status == 200 and headers["content-type"].startswith(FORMATS["csv"].media_type)
        assert body.decode("utf-8").splitlines()[0] == "indicator,label"
        assert "query" in urllib.parse.parse_qs(urllib.parse.urlparse(href).query)
    finally:
        proc.stop()

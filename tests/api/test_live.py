"""One real uvicorn server on a loopback port, and a real browser (Chromium) on its page."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from papersift.index.storage.snapshot import Snapshot
from tests.helpers.servers import served, serving

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]  # fmt: skip


@pytest.fixture(scope="module")
def live_server(sample_index_folder: Path) -> Iterator[str]:
    with served(sample_index_folder) as base:
        yield base


@pytest.mark.slow
def test_serve_says_its_url_once_listening_then_that_it_is_ready(
    sample_index_folder: Path, sample_index: Snapshot
) -> None:
    with serving(sample_index_folder) as server:
        pass
    said = [line for line in server.printed if line.startswith("papersift: ")]
    port = server.base.rsplit(":", 1)[1]
    assert said[0] == f"papersift: serving http://localhost:{port}/  (API docs: /docs)"
    assert said[1].startswith(f"papersift: ready: {sample_index.size} papers from ")
    assert not any("first start" in line for line in said)  # a given index is never built


@pytest.mark.slow
def test_real_server_answers_search(live_server: str) -> None:
    response = httpx.get(f"{live_server}/api/search", params={"q": "quantum", "limit": 3})
    assert response.status_code == 200
    assert len(response.json()["hits"]) == 3
    bad = httpx.get(f"{live_server}/api/search", params={"q": ""})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "q"


def chromium_or_skip() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} missing: the test command installs chromium on CI")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium chromium-driver)")
    assert shutil.which(CHROMIUM)
    return CHROMIUM


@pytest.mark.slow
@pytest.mark.browser
def test_search_page_in_a_real_browser(live_server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_or_skip(), headless=True,
                                             args=CHROMIUM_ARGS)  # fmt: skip
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(live_server + "/")
        expect(page.locator("#q")).to_be_focused()

        page.locator("#q").fill("quantum computing")
        page.keyboard.press("Enter")
        expect(page.locator("article.hit")).to_have_count(10)
        expect(page.locator("article.hit mark").first).to_be_visible()
        assert "ms" in page.locator(".summary").inner_text()
        page.screenshot(path=str(tmp_path / "results.png"), full_page=True)

        page.get_by_label("Keywords").check()  # the page re-runs the search on change
        page.wait_for_url("**mode=lexical**")
        expect(page.locator("article.hit").first).to_be_visible()

        page.locator("a[rel=next]").click()
        page.wait_for_url("**page=2**")
        expect(page.locator(".summary")).to_contain_text("Results 11\u201320 of")

        first_title = page.locator("article.hit h2").first.inner_text()
        page.locator("a.similar").first.click()
        page.wait_for_url("**/similar/**")
        expect(page.locator(".summary")).to_contain_text(first_title[:30])
        expect(page.locator("article.hit")).to_have_count(10)

        page.goto(live_server + "/?q=quokka")
        expect(page.locator("article.hit").first).to_be_visible()
        assert page.evaluate("window.pwned") is None and dialogs == []
        expect(page.get_by_text("<script>window.pwned = 1</script>", exact=False)).to_be_visible()

        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(live_server + "/?q=graph+neural+networks")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"page scrolls sideways on a phone ({width}px)"
        page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
        browser.close()
    assert (tmp_path / "results.png").stat().st_size > 10_000

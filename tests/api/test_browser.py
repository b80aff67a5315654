"""The site in a real browser (Debian's Chromium, driven by Playwright) against a real server:
home, results with facets and sorting, a paper page, the match cue, the offline API docs,
accessibility (axe-core: no serious or critical violations; every control reachable by
keyboard). Screenshots at 1280 and 390 px land in build/screenshots."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.data import ROOT
from tests.helpers.servers import served

pytestmark = [pytest.mark.slow, pytest.mark.browser]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]  # fmt: skip
AXE = ROOT / "build" / "node" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "build" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def needed(path: Path, how: str) -> Path:
    """`path`, which the test command installs: a failure on CI, a skip elsewhere."""
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} missing: the test command installs it ({how})")
        pytest.skip(f"{path} not installed ({how})")
    return path


@pytest.fixture(scope="module")
def base(sample_index_folder: Path) -> Iterator[str]:
    with served(sample_index_folder) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = needed(CHROMIUM, "apt-get install chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(executable), headless=True,
                                              args=CHROMIUM_ARGS)  # fmt: skip
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, base: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page that may only reach the server: any other request fails the test. The
    server's Content-Security-Policy holds, except for the accessibility checks (axe-core is
    injected as an inline script)."""
    bypass_csp = request.node.name.startswith("test_no_serious_accessibility_violations")
    context = browser.new_context(viewport=DESKTOP, bypass_csp=bypass_csp)
    strangers: list[str] = []
    context.route("**/*", lambda route: _only_local(route, base, strangers))
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    errors: list[str] = []  # script errors, and whatever the CSP refused
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    yield page
    context.close()
    assert strangers == [] and dialogs == [] and errors == []


def _only_local(route: Any, base: str, strangers: list[str]) -> None:
    if route.request.url.startswith(base):
        route.continue_()
    else:
        strangers.append(route.request.url)
        route.abort()


def shoot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{page.viewport_size['width']}.png"
    page.screenshot(path=str(path), full_page=name != "results")
    assert path.stat().st_size > 5_000


def test_home_lists_the_newest_papers(page: Any, base: str) -> None:
    from playwright.sync_api import expect

    page.goto(base + "/")
    expect(page.locator("#q")).to_be_focused()
    expect(page.locator("h1")).to_have_text("Newest papers")
    expect(page.locator("article.hit")).to_have_count(10)
    shoot(page, "home")
    page.locator(".side a", has_text="Computer Vision").first.click()
    page.wait_for_url("**category=cs.CV**")
    expect(page.locator("h1")).to_contain_text("Computer Vision and Pattern Recognition")
    page.locator("nav.pager a", has_text="2").first.click()
    page.wait_for_url("**page=2**")
    expect(page.locator(".pager [aria-current=page]")).to_have_text("2")


def test_results_facets_and_sorting(page: Any, base: str) -> None:
    from playwright.sync_api import expect

    page.goto(base + "/")
    page.locator("#q").fill("neural networks")
    page.keyboard.press("Enter")
    expect(page.locator("article.hit")).to_have_count(10)
    expect(page.locator("article.hit mark").first).to_be_visible()
    expect(page.locator(".summary")).to_contain_text("papers match")
    shoot(page, "results")
    facet = page.locator(".side .facets a").first
    code = facet.locator("span").first.inner_text()
    count = int(facet.locator(".count").inner_text().replace(",", ""))
    facet.click()
    page.wait_for_url(f"**category={code}**")
    # The facet counts its category among the query's results; searching within the category
    # goes deeper into it, so it finds at least those.
    expect(page.locator(".summary")).to_contain_text("papers match")
    narrowed = int(page.locator(".summary").inner_text().split(" ")[0].replace(",", ""))
    assert narrowed >= count
    page.locator("select[name=sort]").select_option("newest")  # re-runs the search
    page.wait_for_url("**sort=newest**")
    expect(page.locator(".summary")).to_contain_text("newest first")
    assert f"category={code}" in page.url  # the facet is kept


def test_paper_page(page: Any, base: str) -> None:
    from playwright.sync_api import expect

    page.goto(base + "/?q=topological+phase+transition")
    title = page.locator("article.hit h2 a").first
    name = title.inner_text()
    title.click()
    page.wait_for_url("**/papers/**")
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator(".paper .authors a").first).to_be_visible()
    page.locator("details.bibtex summary").click()
    expect(page.locator("#bibtex")).to_contain_text("archivePrefix = {arXiv}")
    expect(page.locator("#similar article.hit")).to_have_count(8)
    shoot(page, "paper")
    page.locator(".paper .authors a").first.click()
    page.wait_for_url("**author=**")
    expect(page.locator("article.hit").first).to_be_visible()


def test_nonsense_gets_the_match_cue(page: Any, base: str) -> None:
    from playwright.sync_api import expect

    page.goto(base + "/?q=zxqv+blorf")
    expect(page.locator(".cue")).to_contain_text("No strong matches; the closest 10 papers")
    expect(page.locator(".cue")).not_to_contain_text("papers match")
    page.goto(base + "/?q=graph+neural+networks")
    expect(page.locator(".cue")).to_have_count(0)


def test_api_docs_render_offline(page: Any, base: str) -> None:
    from playwright.sync_api import expect

    page.goto(base + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("papersift")
    expect(page.locator(".opblock-summary-path", has_text="/api/search").first).to_be_visible()


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1280", "390"])
def test_layout_fits_the_screen(page: Any, base: str, size: dict[str, int]) -> None:
    page.set_viewport_size(size)
    for path in ("/", "/?q=graph+neural+networks", "/papers/xss-1"):
        page.goto(base + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["width"], f"{path} scrolls sideways at {size['width']} px ({width})"
    if size == PHONE:
        page.goto(base + "/?q=graph+neural+networks")
        shoot(page, "results")
        page.goto(base + "/")
        shoot(page, "home")
    else:  # the side column sits beside the results, not above them
        page.goto(base + "/?q=graph+neural+networks")
        side = page.locator(".side").bounding_box()
        results = page.locator("main").bounding_box()
        assert side["x"] + side["width"] <= results["x"] and results["width"] >= 600


def test_corpus_text_stays_text(page: Any, base: str) -> None:
    from playwright.sync_api import expect

    page.goto(base + "/?q=quokka")
    expect(page.locator("article.hit").first).to_be_visible()
    expect(page.get_by_text("<script>window.pwned = 1</script>", exact=False)).to_be_visible()
    page.goto(base + "/papers/xss-1")
    expect(page.locator("h1")).to_contain_text("<script>")
    assert page.evaluate("window.pwned") is None


PAGES = ["/", "/?q=graph+neural+networks", "/?q=zxqv+blorf", "/papers/xss-1"]


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violations(page: Any, base: str, path: str) -> None:
    axe = needed(AXE, "npm install --prefix build/node axe-core")
    page.goto(base + path)
    page.add_script_tag(content=axe.read_text(encoding="utf-8"))
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []


@pytest.mark.parametrize("path", PAGES)
def test_every_control_is_reachable_by_keyboard(page: Any, base: str, path: str) -> None:
    page.goto(base + path)
    controls = page.evaluate(MARK_CONTROLS)
    reached: set[str] = set()
    for _ in range(controls + 5):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.dataset.control || ''"))
    reached.discard("")
    assert len(reached) == controls


# Numbers every visible link, button, input, select and summary; returns how many there are.
# (One radio group is one tab stop: only its checked radio counts.)
MARK_CONTROLS = """() => {
  const all = document.querySelectorAll("a[href], button, input, select, textarea, summary");
  let count = 0;
  for (const element of all) {
    const hidden = element.type === "hidden" || element.offsetParent === null;
    const radio = element.type === "radio" && !element.checked;
    if (hidden || radio || element.closest("details:not([open]) > :not(summary)")) continue;
    element.dataset.control = String(count++);
  }
  return count;
}"""

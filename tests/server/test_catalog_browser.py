"""The web catalog in a real browser: Debian's chromium driven by Playwright (``executable_path``;
no browser download), over `agentops registry catalog` serving packages the real command published.

Skipped with the reason where chromium or Playwright is missing; under CI a failure instead (.ci/run
installs chromium), so that CI never skips them silently.
"""

from __future__ import annotations

import base64
import os
import shutil

import pytest

from catalog_server import catalog_server, publish_catalog_registry
from conftest import Agentops, missing

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "/usr/bin/chromium", "/usr/lib/chromium/chromium")


def find_chromium() -> str | None:
    """$AGENTPACK_CHROMIUM, else Debian's chromium on PATH or where Debian puts it (None: none runs)."""
    configured = os.environ.get("AGENTPACK_CHROMIUM")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def require_browser() -> str:
    """The chromium binary, with Playwright importable; skips (fails under CI) with the reason."""
    absent = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        absent.append("Playwright (pip install -e '.[test]')")
    chromium = find_chromium()
    if chromium is None:
        absent.append("chromium (apt-get install chromium, or set AGENTPACK_CHROMIUM to its binary)")
    try:
        import starlette  # noqa: F401
    except ImportError:
        absent.append("the server extra (pip install -e '.[server]')")
    if absent:
        missing("the browser tests need " + " and ".join(absent))
    return chromium


@pytest.fixture(scope="module")
def browser():
    chromium = require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def catalog_url(browser, tmp_path_factory):
    home = tmp_path_factory.mktemp("browser") / "home"
    home.mkdir()
    agentops = Agentops(home)
    publish_catalog_registry(agentops, home.parent / "src")
    with catalog_server(agentops) as url:
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


def ink(page, png: bytes) -> dict:
    """How much of a screenshot is drawn: the browser decodes the PNG into a canvas (in a blank page
    of its own: the catalog's pages allow no data: images) and counts the pixels far from white, and
    the distinct colours."""
    blank = page.context.new_page()
    blank.set_content("<canvas id=c></canvas>")
    return blank.evaluate("""async (data) => {
        const image = new Image();
        image.src = "data:image/png;base64," + data;
        await image.decode();
        const canvas = document.getElementById("c");
        canvas.width = image.width; canvas.height = image.height;
        const context = canvas.getContext("2d");
        context.drawImage(image, 0, 0);
        const pixels = context.getImageData(0, 0, image.width, image.height).data;
        let dark = 0; const colours = new Set();
        for (let i = 0; i < pixels.length; i += 4) {
            if (pixels[i] + pixels[i + 1] + pixels[i + 2] < 384) dark++;
            colours.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
        }
        return {width: image.width, height: image.height, dark: dark, colours: colours.size};
    }""", base64.b64encode(png).decode())


def test_the_listing_shows_the_seed_s_lines_and_its_screenshot_is_not_blank(page, catalog_url, tmp_path):
    page.goto(catalog_url)
    listing = page.inner_text("ul.listing")
    assert "customer-service (1.2.0) - 4 agents, 3 workflows" in listing
    assert "core-workflow (2.1.0) - 4 agents, 2 workflows" in listing
    assert "communication-patterns (1.5.3) - 2 agents, 1 workflows" in listing
    shot = tmp_path / "listing.png"
    page.locator("ul.listing").screenshot(path=str(shot))
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000
    drawn = ink(page, png)
    assert drawn["width"] > 300 and drawn["height"] > 100
    assert drawn["dark"] > 500 and drawn["colours"] > 20, drawn  # text, antialiased, not a blank box
    empty = page.context.new_page()
    empty.set_content("<ul style='height:200px'></ul>")
    blank = ink(page, empty.locator("ul").screenshot())
    assert blank["dark"] == 0  # the measure tells an empty box apart


def test_search_categories_and_a_package_page_by_clicking(page, catalog_url):
    page.goto(catalog_url)
    page.fill("input[name=q]", "refund")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/?q=refund")
    assert page.locator("ul.listing a.line").all_inner_texts() == ["customer-service (1.2.0) - 4 agents, 3 workflows"]
    page.click("text=Process (1)")  # the category keeps the search: nothing of that category matches
    page.wait_for_url("**/categories/process?q=refund")
    assert "No packages match" in page.inner_text("main")
    page.goto(catalog_url)
    page.click("text=Process (1)")
    page.wait_for_url("**/categories/process*")
    assert page.locator("ul.listing a.line").all_inner_texts() == ["core-workflow (2.1.0) - 4 agents, 2 workflows"]
    page.goto(catalog_url)
    page.click("text=customer-service (1.2.0) - 4 agents, 3 workflows")
    page.wait_for_url("**/packages/customer-service")
    assert page.inner_text("pre.install").startswith("agentops package install customer-service@^1.2.0 --registry ")
    assert page.locator("article.readme h1").inner_text() == "customer-service"
    page.click("dd >> text=core-workflow")
    page.wait_for_url("**/packages/core-workflow")
    assert "Domain-independent research" in page.inner_text("main")


def test_yanked_versions_are_marked_on_the_page(page, catalog_url):
    page.goto(catalog_url + "packages/marked")
    versions = page.inner_text("table.versions")
    assert "1.1.0" in versions and "yanked: leaks a token" in versions
    assert "Deprecated: use customer-service" in page.inner_text("main")


def test_a_hostile_readme_does_not_run(page, catalog_url, tmp_path):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(catalog_url + "packages/hostile")
    readme = page.locator("article.readme")
    assert "<script>window.__pwned = 1; alert(1)</script>" in readme.inner_text()  # shown, as text
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("article.readme a", has_text="click me").count() == 0  # a javascript: link is text
    for link in page.locator("article.readme a").all():
        href = link.get_attribute("href") or ""
        assert not href.lower().startswith(("javascript:", "data:")), href
    assert page.evaluate("""() => [...document.querySelectorAll('*')].filter(
        e => [...e.attributes].some(a => a.name.startsWith('on'))).length""") == 0
    assert page.evaluate("document.scripts.length") == 0
    assert page.locator("article.readme iframe, article.readme svg, article.readme object").count() == 0
    page.wait_for_timeout(300)  # anything that was going to fire (onerror, onload) has fired
    assert page.evaluate("typeof window.__pwned") == "undefined" and page.dialogs == [] and errors == []
    assert "Plain bold text stays." in readme.inner_text()
    page.screenshot(path=str(tmp_path / "hostile.png"), full_page=True)

"""The catalog's pages (server.catalog.pages), served for real by `agentops registry catalog` on
127.0.0.1 over a registry the real command published to; and the routes mounted in another app."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest

from catalog_server import catalog_server, publish_catalog_registry, serve_in_thread
from conftest import Agentops

pytest.importorskip("starlette", reason="the server extra is not installed (pip install -e '.[server]')")


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    home = tmp_path_factory.mktemp("catalog") / "home"
    home.mkdir()
    agentops = Agentops(home)
    made = publish_catalog_registry(agentops, home.parent / "src")
    return agentops, made


@pytest.fixture(scope="module")
def site(published):
    agentops, _made = published
    with catalog_server(agentops) as url:
        with httpx.Client(base_url=url, timeout=30) as client:
            yield client


class _Text(HTMLParser):
    """The text of a page as a reader sees it (scripts and styles left out), and its tags."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._skip += tag in ("style", "script")

    def handle_endtag(self, tag):
        self._skip -= tag in ("style", "script")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def page(site, path: str, status: int = 200) -> tuple[str, list[tuple[str, dict]], httpx.Response]:
    response = site.get(path)
    assert response.status_code == status, response.text
    parser = _Text()
    parser.feed(response.text)
    return re.sub(r"\s+", " ", "".join(parser.parts)), parser.tags, response


def test_the_index_lists_packages_as_search_prints_them(site, published):
    agentops, _ = published
    text, _tags, response = page(site, "/")
    search = agentops("package", "search", "", "--registry", agentops.default_registry).lines
    for line in search:
        assert line in text, (line, text)
    assert "customer-service (1.2.0) - 4 agents, 3 workflows" in text
    assert "marked (1.0.0) - 1 agents, 0 workflows [deprecated: use customer-service]" in text
    assert "Domain (1)" in text and "Process (1)" in text and "Meta (1)" in text and "Industry (0)" in text
    assert "script-src" not in response.headers["content-security-policy"]  # no script may run at all
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_search_and_categories_filter_the_listing(site):
    text, _, _ = page(site, "/?q=REFUND")
    assert "customer-service (1.2.0)" in text and "core-workflow" not in text
    text, _, _ = page(site, "/?q=no-such-thing")
    assert "No packages match “no-such-thing”" in text
    text, _, _ = page(site, "/categories/process")
    assert "Process packages" in text and "core-workflow (2.1.0)" in text and "customer-service (" not in text
    text, _, _ = page(site, "/?category=domain&q=customer")
    assert "customer-service (1.2.0)" in text and "communication-patterns (" not in text
    text, _, _ = page(site, "/categories/vertical", 404)
    assert "domain, industry, process, meta" in text


def test_a_package_page_shows_what_a_user_needs_to_choose_and_install(site, published):
    agentops, _ = published
    text, tags, _ = page(site, "/packages/customer-service")
    registry = agentops.default_registry.resolve().as_uri()
    assert f"agentops package install customer-service@^1.2.0 --registry {registry}" in text
    assert "Customer service workflows and patterns" in text
    assert "4 agents, 3 workflows, 3 patterns, 1 validations" in text
    assert "core-workflow ^2.0.0" in text and "communication-patterns ^1.5.0" in text
    assert ("a", {"href": "/packages/core-workflow"}) in tags
    assert "Category domain" in text and "Classification unclassified" in text and "Signature unsigned" in text
    assert "Downloads" not in text  # a directory registry counts none
    # The README, from the archive, rendered: its heading and its table are HTML, not Markdown.
    assert ("h1", {}) in tags and ("table", {}) in tags and "handle-inquiry" in text


def test_yanked_and_deprecated_versions_are_marked(site):
    text, _, _ = page(site, "/packages/marked")
    assert "marked 1.0.0" in text  # install's choice: 1.1.0 is yanked
    assert "Deprecated: use customer-service" in text
    assert "1.1.0" in text and "yanked: leaks a token" in text
    text, _, _ = page(site, "/packages/marked?version=1.1.0")
    assert "This version is yanked: leaks a token" in text


def test_a_signed_package_names_its_signer_under_a_team_name(site, published):
    _, made = published
    text, _, _ = page(site, "/packages/team/signed")
    assert f"signed by {made['fingerprint']} (the signature verifies" in text
    assert "agentops package install team/signed@^1.0.0" in text


def test_a_hostile_readme_comes_out_inert(site):
    text, tags, response = page(site, "/packages/hostile")
    assert "<script>window.__pwned = 1; alert(1)</script>" in text  # shown as text
    readme = response.text.split('<article class="readme">', 1)[1]
    assert "<script" not in readme and "<iframe" not in readme and "<svg" not in readme
    assert not re.search(r"<[^>]*\son\w+\s*=", readme)  # no event handler on any tag
    for tag, attrs in tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, attrs)
            if name in ("href", "src"):
                assert not (value or "").lower().startswith(("javascript:", "data:", "vbscript:")), (tag, attrs)
    assert ("strong", {}) in tags and "Plain bold text stays." in text


@pytest.mark.parametrize("path", ["/packages/nope", "/packages/Bad_Name", "/packages/marked?version=9.9.9",
                                  "/packages/../../etc/passwd"])
def test_unknown_packages_are_404_pages(site, path):
    text, _, _ = page(site, path, 404)
    assert "No such package" in text or "Not Found" in text


def test_the_routes_mount_under_a_prefix_with_downloads(published):
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from agentpack.adapters.registry import open_registry
    from agentpack.server.catalog import catalog_routes

    agentops, _ = published
    opened = []

    def provider():
        opened.append(1)
        return open_registry(str(agentops.default_registry))

    counts = {"customer-service": {"1.2.0": 41, "1.1.0": 1}}
    routes = catalog_routes(provider, downloads=lambda name: counts.get(name, {}),
                            registry_url="https://packages.example.org/")
    app = Starlette(routes=[Mount("/catalog", routes=routes)])
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        listing = client.get("/catalog/")
        assert 'href="/catalog/packages/customer-service"' in listing.text
        assert 'href="/catalog/categories/meta"' in listing.text and 'action="/catalog/"' in listing.text
        package = client.get("/catalog/packages/customer-service").text
        assert "Downloads</dt> <dd>42</dd>" in package and "<td>41</td>" in package
        assert "--registry https://packages.example.org/" in package
        assert client.get("/catalog/packages/core-workflow").status_code == 200
    assert len(opened) == 3  # once a request

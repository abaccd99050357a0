"""`agentops registry catalog`: the web catalog of a registry, served read-only by the real command."""

from __future__ import annotations

import socket

import httpx
import pytest

from catalog_server import catalog_server

pytest.importorskip("starlette", reason="the server extra is not installed (pip install -e '.[server]')")


def test_serves_the_catalog_and_names_the_given_registry_url(agentops):
    agentops.publish_examples("core-workflow")

    def files():
        return {p: p.read_bytes() for p in agentops.default_registry.rglob("*") if p.is_file()}

    with catalog_server(agentops, "--registry-url", "https://packages.example.org/reg/") as url:
        assert url.startswith("http://127.0.0.1:")
        listing = httpx.get(url, timeout=30)
        assert listing.status_code == 200 and "core-workflow (2.1.0) - 4 agents, 2 workflows" in listing.text
        page = httpx.get(url + "packages/core-workflow", timeout=30).text
        assert "agentops package install core-workflow@^2.1.0 --registry https://packages.example.org/reg/" in page
        # A version published while it runs is shown at once.
        agentops.publish_examples("communication-patterns")
        assert "communication-patterns (1.5.3)" in httpx.get(url, timeout=30).text
        before = files()
        for path in ("", "packages/communication-patterns", "categories/meta", "packages/nope"):
            httpx.get(url + path, timeout=30)
        assert files() == before  # serving reads, never writes


def test_a_missing_registry_is_refused_before_serving(agentops, tmp_path):
    run = agentops("registry", "catalog", "--registry", tmp_path / "none", "--port", "0", expect=1)
    assert "does not exist" in run.err and "Serving" not in run.out


def test_a_bad_or_taken_port_is_a_usage_error(agentops):
    agentops.publish_examples("core-workflow")
    run = agentops("registry", "catalog", "--port", "70000", expect=2)
    assert "not a port number" in run.err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        run = agentops("registry", "catalog", "--port", str(port), expect=2)
    assert f"cannot listen on 127.0.0.1:{port}" in run.err and "--port" in run.err

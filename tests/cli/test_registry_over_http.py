"""An http(s):// registry through the real command: a directory registry, published with the real
CLI, served read-only by a real web server on 127.0.0.1 (tests/registry_server.py)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from conftest import write_package
from registry_server import StaticServer, free_port, make_certificates


@pytest.fixture(autouse=True)
def no_proxies(agentops):
    """Requests to 127.0.0.1 must not go through a proxy the machine happens to name."""
    for key in [k for k in agentops.env if k.lower().endswith("_proxy")]:
        del agentops.env[key]


@pytest.fixture
def served(agentops):
    """The examples published to the home's directory registry, served over HTTP."""
    agentops.publish_examples()
    with StaticServer(agentops.default_registry) as server:
        yield server


def _workspace(tmp_path: Path, name: str = "ws", registries: list[str] | None = None) -> Path:
    ws = tmp_path / name
    ws.mkdir()
    if registries is not None:
        (ws / "agentops.yaml").write_text("registries:\n" + "".join(f"  - {r}\n" for r in registries) + "packages: {}\n")
    return ws


def _locked(ws: Path) -> dict[str, str]:
    return {name: pkg["version"] for name, pkg in json.loads((ws / "agentops.lock").read_text())["packages"].items()}


EXAMPLES = {"communication-patterns": "1.5.3", "core-workflow": "2.1.0", "customer-service": "1.2.0"}


def test_install_info_and_search_through_a_registry_url(agentops, served, tmp_path):
    ws = _workspace(tmp_path)
    agentops("package", "install", "customer-service", "--registry", served.url, cwd=ws)
    assert _locked(ws) == EXAMPLES
    assert (ws / "agents" / "customer-service").is_dir()

    info = json.loads(agentops("package", "info", "customer-service", "--registry", served.url, "--json").out)
    assert info["version"] == "1.2.0" and info["dependencies"]["core-workflow"] == "^2.0.0"
    found = json.loads(agentops("package", "search", "patterns", "--registry", served.url, "--json").out)
    assert "communication-patterns" in [entry["name"] for entry in found]


def test_registries_in_agentops_yaml_may_be_urls(agentops, served, tmp_path):
    ws = _workspace(tmp_path, registries=[served.url])
    agentops("package", "install", "core-workflow", cwd=ws)
    assert _locked(ws) == {"core-workflow": "2.1.0"}
    assert "/index/core-workflow.json" in served.paths()


def test_update_reads_what_was_published_since(agentops, tmp_path):
    src = tmp_path / "src"
    agentops.publish_folder(write_package(src, "a", "1.0.0"))
    agentops.publish_folder(write_package(src, "b", "1.0.0", deps=("a@^1.0.0",)))
    with StaticServer(agentops.default_registry) as server:
        ws = _workspace(tmp_path, registries=[server.url])
        agentops("package", "install", "b", cwd=ws)
        assert _locked(ws) == {"a": "1.0.0", "b": "1.0.0"}
        agentops.publish_folder(write_package(src, "a", "1.1.0"))
        agentops("package", "update", cwd=ws)
        assert _locked(ws) == {"a": "1.1.0", "b": "1.0.0"}


def test_a_second_command_revalidates_every_document_and_gets_304(agentops, served, tmp_path):
    agentops("package", "info", "customer-service", "--registry", served.url)
    first = len(served.requests)
    agentops("package", "info", "customer-service", "--registry", served.url)
    second = served.requests[first:]
    assert [r.path for r in second] == ["/config.json", "/index/customer-service.json"]
    assert all(r.if_none_match and r.status == 304 for r in second)


def test_offline_installs_from_the_cache_after_the_server_is_gone(agentops, served, tmp_path):
    agentops("package", "install", "customer-service", "--registry", served.url, cwd=_workspace(tmp_path))
    url = served.url
    served.stop()
    ws = _workspace(tmp_path, "offline-ws")
    agentops("package", "install", "customer-service", "--offline", "--registry", url, cwd=ws)
    assert _locked(ws) == EXAMPLES
    run = agentops("package", "install", "customer-service", "--registry", url, cwd=_workspace(tmp_path, "on"),
                   expect=1)
    assert f"cannot reach registry {url}" in run.err and "--offline" in run.err


def test_a_registry_nobody_serves_is_a_clear_error(agentops, tmp_path):
    url = f"http://127.0.0.1:{free_port()}/"
    ws = _workspace(tmp_path)
    started = time.monotonic()
    run = agentops("package", "install", "customer-service", "--registry", url, "--json", cwd=ws, expect=1)
    assert time.monotonic() - started < 20
    error = json.loads(run.out)
    assert error["error"] == "unreachable" and "Connection refused" in error["message"]
    assert not (ws / "agentops.lock").exists()


def test_a_server_that_never_answers_is_given_up_on_in_bounded_time(agentops, served, tmp_path):
    served.behaviour.hang.add("/index/customer-service.json")
    started = time.monotonic()
    run = agentops("package", "install", "customer-service", "--registry", served.url, cwd=_workspace(tmp_path),
                   env={"AGENTOPS_HTTP_TIMEOUT": "1"}, expect=1)
    assert time.monotonic() - started < 15
    assert "did not answer within 1 s" in run.err and "AGENTOPS_HTTP_TIMEOUT" in run.err


def test_a_timeout_that_is_not_a_number_is_misuse(agentops, served, tmp_path):
    run = agentops("package", "info", "customer-service", "--registry", served.url,
                   env={"AGENTOPS_HTTP_TIMEOUT": "soon"}, expect=2)
    assert "AGENTOPS_HTTP_TIMEOUT" in run.err


def _blob(agentops, name: str) -> Path:
    index = json.loads((agentops.default_registry / "index" / f"{name}.json").read_text())
    record = next(iter(index["versions"].values()))
    return agentops.default_registry / "blobs" / "sha256" / record["sha256"]


def test_a_tampered_archive_is_refused_naming_both_digests(agentops, served, tmp_path):
    import hashlib

    blob = _blob(agentops, "core-workflow")
    data = bytearray(blob.read_bytes())
    data[100] ^= 0xFF
    blob.write_bytes(bytes(data))
    ws = _workspace(tmp_path)
    run = agentops("package", "install", "core-workflow", "--registry", served.url, cwd=ws, expect=1)
    assert blob.name in run.err and hashlib.sha256(bytes(data)).hexdigest() in run.err
    assert not (ws / "agentops.lock").exists() and not (ws / "agents").exists()


def test_an_archive_of_the_wrong_size_is_refused_naming_both_sizes(agentops, served, tmp_path):
    blob = _blob(agentops, "core-workflow")
    size = blob.stat().st_size
    blob.write_bytes(blob.read_bytes() + b"\0" * 10)
    ws = _workspace(tmp_path)
    run = agentops("package", "install", "core-workflow", "--registry", served.url, cwd=ws, expect=1)
    assert f"expected {size:,} bytes" in run.err and f"got {size + 10:,} bytes" in run.err
    assert not (ws / "agentops.lock").exists()


def test_an_older_index_is_refused_as_a_rollback(agentops, tmp_path):
    src = tmp_path / "src"
    agentops.publish_folder(write_package(src, "a", "1.0.0"))
    index = agentops.default_registry / "index" / "a.json"
    old = index.read_bytes()
    agentops.publish_folder(write_package(src, "a", "1.1.0"))
    with StaticServer(agentops.default_registry) as server:
        ws = _workspace(tmp_path, registries=[server.url])
        agentops("package", "install", "a", cwd=ws)
        index.write_bytes(old)
        before = (ws / "agentops.lock").read_bytes()
        run = agentops("package", "update", "--json", cwd=ws, expect=1)
        error = json.loads(run.out)
        assert error["error"] == "rollback" and server.url in error["message"]
        assert "older index of a" in error["message"]
        assert (ws / "agentops.lock").read_bytes() == before
        # accepted once the user says the registry was restored on purpose (any spelling of its URL)
        forgot = json.loads(agentops("registry", "forget", "--registry", server.url.rstrip("/").upper(),
                                     "--json").out)
        assert forgot["forgotten"] is True
        agentops("package", "info", "a", "--registry", server.url)


def test_huge_and_deep_documents_are_refused(agentops, served, tmp_path):
    served.behaviour.endless.add("/catalog.json")
    run = agentops("package", "search", "x", "--registry", served.url, expect=1)
    assert "catalog.json" in run.err and "67,108,864 bytes" in run.err
    (agentops.default_registry / "index" / "core-workflow.json").write_text("[" * 100_000 + "]" * 100_000)
    run = agentops("package", "install", "core-workflow", "--registry", served.url, cwd=_workspace(tmp_path),
                   expect=1)
    assert "index/core-workflow.json" in run.err and "nests more than" in run.err


def test_publishing_to_static_files_is_refused_after_reading_only_config_json(agentops, served):
    archive = agentops.build_folder(Path(__file__).resolve().parents[2] / "examples" / "packages" / "core-workflow")
    served.requests.clear()
    run = agentops("package", "publish", archive, "--registry", served.url, expect=1)
    assert "read-only: publish to a registry server or a directory" in run.err
    assert served.paths() == ["/config.json"]  # which names no write API


def test_a_bundle_is_never_loaded_into_an_http_url(agentops, tmp_path):
    run = agentops("bundle", "load", tmp_path / "site.bundle", "--registry", "http://127.0.0.1:1/", expect=2)
    assert "directory registry" in run.err
    assert not list(agentops.home.glob("http*"))


def test_a_private_ca_is_trusted_through_agentops_ca_file(agentops, tmp_path):
    agentops.publish_examples("core-workflow")
    ca, cert, key = make_certificates(tmp_path / "certs")
    with StaticServer(agentops.default_registry, tls=(cert, key)) as server:
        ws = _workspace(tmp_path, registries=[server.url])
        run = agentops("package", "install", "core-workflow", cwd=ws, env={"SSL_CERT_FILE": ""}, expect=1)
        assert "TLS certificate is not trusted" in run.err and "AGENTOPS_CA_FILE" in run.err
        agentops("package", "install", "core-workflow", cwd=ws, env={"AGENTOPS_CA_FILE": str(ca)})
    assert _locked(ws) == {"core-workflow": "2.1.0"}


def test_a_registry_copied_to_a_plain_folder_of_a_web_site_works(agentops, tmp_path):
    """The whole point: copy the registry folder under any web root and point clients at it."""
    agentops.publish_examples()
    site = tmp_path / "site"
    shutil.copytree(agentops.default_registry, site / "registries" / "team")
    with StaticServer(site) as server:
        ws = _workspace(tmp_path, registries=[server.url + "registries/team"])  # no trailing slash
        agentops("package", "install", "customer-service", cwd=ws)
    assert _locked(ws) == EXAMPLES

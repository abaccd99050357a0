"""The http(s):// registry against real servers on 127.0.0.1 serving real directory registries."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time

import pytest
from test_registry_directory import archive_for, publish

from agentpack.adapters.http_cache import DocumentCache
from agentpack.adapters.registry import DirectoryRegistry, HttpRegistry, RegistryOptions, open_registry
from agentpack.core.limits import MAX_JSON_BYTES
from agentpack.errors import (
    IntegrityError,
    InvalidName,
    PackageNotFound,
    RegistryError,
    RegistryUnreachable,
)
from registry_server import StaticServer, free_port, make_certificates

FAST = dict(attempts=3, backoff=0.01, timeout=5.0)


@pytest.fixture
def root(tmp_path):
    """A directory registry holding customer-service 1.0.0 and 1.1.0 and team/triage 0.1.0."""
    registry = DirectoryRegistry(str(tmp_path / "reg"))
    publish(registry, version="1.0.0")
    publish(registry, version="1.1.0")
    publish(registry, name="team/triage", version="0.1.0")
    return tmp_path / "reg"


@pytest.fixture
def server(root):
    with StaticServer(root) as running:
        yield running


def http(url: str, tmp_path, **options) -> HttpRegistry:
    return open_registry(url, options=RegistryOptions(cache_dir=str(tmp_path / "cache"), **{**FAST, **options}))


def blob(root, sha256: str):
    return root / "blobs" / "sha256" / sha256


# -- the scheme table and the URL -------------------------------------------------------------------


def test_http_and_https_urls_open_the_http_backend_without_any_io():
    for url in ("http://127.0.0.1:1/reg", "HTTPS://Registry.Example/a/b/"):
        registry = open_registry(url)
        assert isinstance(registry, HttpRegistry)
        assert registry.url == url
        assert registry.local is False


@pytest.mark.parametrize("url, identity", [
    ("http://127.0.0.1:8080/reg", "http://127.0.0.1:8080/reg/"),
    ("HTTP://Registry.Example:80/reg/", "http://registry.example/reg/"),
    ("https://registry.example:443", "https://registry.example/"),
    ("https://[::1]:8443/x", "https://[::1]:8443/x/"),
])
def test_identity_is_the_normalised_url(url, identity):
    assert open_registry(url).identity == identity


def test_a_url_with_credentials_is_refused_without_repeating_them():
    with pytest.raises(RegistryError, match="carries no credentials") as caught:
        open_registry("https://alice:s3cret@registry.example/reg/")
    assert "s3cret" not in caught.value.message and "alice" not in caught.value.message


@pytest.mark.parametrize("url", ["http://", "http:///path", "https://host/reg?x=1", "http://host:99999/"])
def test_urls_that_name_no_registry_are_refused(url):
    with pytest.raises(RegistryError, match="registry URL"):
        open_registry(url)


# -- reading ----------------------------------------------------------------------------------------


def test_everything_reads_as_from_the_directory(root, server, tmp_path):
    directory, remote = DirectoryRegistry(str(root)), http(server.url, tmp_path)
    assert remote.list_packages() == ["customer-service", "team/triage"]
    assert remote.catalog() == directory.catalog()
    for name in ("customer-service", "team/triage"):
        assert remote.package_index(name) == directory.package_index(name)
    record = directory.package_index("customer-service")["versions"]["1.1.0"]
    assert remote.fetch_archive("customer-service", "1.1.0") == archive_for("customer-service", "1.1.0")
    assert remote.read_blob(record["sha256"]) == archive_for("customer-service", "1.1.0")
    assert remote.settings() == {"format": 1}


def test_each_document_is_read_once_per_registry_object(server, tmp_path):
    remote = http(server.url, tmp_path)
    remote.catalog()
    remote.catalog()
    remote.package_index("customer-service")
    remote.package_index("customer-service")
    assert server.paths() == ["/config.json", "/catalog.json", "/index/customer-service.json"]


def test_unknown_packages_versions_and_names(server, tmp_path):
    remote = http(server.url, tmp_path)
    with pytest.raises(PackageNotFound, match="package nope not found"):
        remote.package_index("nope")
    with pytest.raises(PackageNotFound) as caught:
        remote.fetch_archive("customer-service", "9.9.9")
    assert "1.0.0, 1.1.0" in caught.value.hint
    with pytest.raises(InvalidName):
        remote.package_index("../registry")
    assert "/registry.json" not in server.paths()


def test_publish_is_refused_as_read_only(server, tmp_path):
    with pytest.raises(RegistryError, match="read-only: publish to a registry server or a directory"):
        http(server.url, tmp_path).publish(b"x", {"name": "a", "version": "1.0.0"})
    assert server.paths() == ["/config.json"]  # which names no API: static files


def test_a_static_registry_is_not_writable(server, tmp_path):
    assert http(server.url, tmp_path).writable is False


# -- config.json: the entry point -------------------------------------------------------------------


def test_a_registry_made_before_config_json_is_read_as_protocol_1(root, server, tmp_path):
    (root / "config.json").unlink()
    remote = http(server.url, tmp_path)
    assert remote.list_packages() == ["customer-service", "team/triage"]
    assert server.paths()[:2] == ["/config.json", "/registry.json"]


def test_a_folder_that_is_no_registry_is_named(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<p>hello</p>")
    with StaticServer(tmp_path / "site") as site, pytest.raises(RegistryError) as caught:
        http(site.url, tmp_path).catalog()
    assert "is not an agentpack registry" in caught.value.message
    assert "config.json" in caught.value.message and "registry.json" in caught.value.message


def test_a_newer_protocol_is_refused(root, server, tmp_path):
    (root / "config.json").write_text(json.dumps({"protocol": 2, "blobs": "blobs/sha256/"}))
    with pytest.raises(RegistryError, match="protocol 2, newer than this agentpack understands") as caught:
        http(server.url, tmp_path).catalog()
    assert caught.value.hint == "upgrade agentpack"


def test_blobs_may_live_elsewhere(root, tmp_path):
    (root / "config.json").write_text(json.dumps({"protocol": 1, "blobs": "/store/sha256/", "api": None}))
    site = tmp_path / "site"
    (site / "store").mkdir(parents=True)
    (root / "blobs").rename(site / "store" / "blobs-moved")
    (site / "store" / "blobs-moved").rename(site / "store" / "tmp")
    (site / "store" / "tmp" / "sha256").rename(site / "store" / "sha256")
    (root).rename(site / "reg")
    with StaticServer(site) as running:
        data = http(running.url + "reg/", tmp_path).fetch_archive("customer-service", "1.0.0")
    assert data == archive_for("customer-service", "1.0.0")
    assert any(path.startswith("/store/sha256/") for path in running.paths())


@pytest.mark.parametrize("config", [
    {"protocol": "1"}, {"protocol": 0}, {"protocol": 1, "blobs": "blobs"}, {"protocol": 1, "blobs": 7},
    {"protocol": 1, "blobs": "file:///etc/"}, {"protocol": 1, "api": 3}, [],
])
def test_a_malformed_config_names_its_url(root, server, tmp_path, config):
    (root / "config.json").write_text(json.dumps(config))
    with pytest.raises(RegistryError, match=f"malformed registry file {server.url}config.json"):
        http(server.url, tmp_path).fetch_archive("customer-service", "1.0.0")


# -- revalidation -----------------------------------------------------------------------------------


def test_a_second_read_revalidates_with_the_etag_and_uses_the_kept_copy_on_304(root, server, tmp_path):
    first = http(server.url, tmp_path).package_index("customer-service")
    second = http(server.url, tmp_path).package_index("customer-service")
    assert first == second
    index_requests = [r for r in server.requests if r.path == "/index/customer-service.json"]
    assert [(r.status, r.if_none_match is not None) for r in index_requests] == [(200, False), (304, True)]

    publish(DirectoryRegistry(str(root)), version="1.2.0")
    third = http(server.url, tmp_path).package_index("customer-service")
    assert list(third["versions"]) == ["1.0.0", "1.1.0", "1.2.0"]
    assert server.requests[-1].status == 200


def test_a_damaged_or_foreign_cache_entry_is_ignored(server, tmp_path):
    cache = DocumentCache(str(tmp_path / "cache"))
    url = server.url + "config.json"
    http(server.url, tmp_path).catalog()
    assert cache.load(url) is not None
    for damage in (b"", b"not json\n{}", json.dumps({"url": "http://other/", "etag": "x"}).encode() + b"\n{}"):
        with open(cache.path(url), "wb") as stream:
            stream.write(damage)
        assert cache.load(url) is None
        assert http(server.url, tmp_path).list_packages() == ["customer-service", "team/triage"]


# -- untrusted bytes --------------------------------------------------------------------------------


def test_a_tampered_archive_is_refused_naming_both_digests(root, server, tmp_path):
    record = DirectoryRegistry(str(root)).package_index("customer-service")["versions"]["1.0.0"]
    data = bytearray(blob(root, record["sha256"]).read_bytes())
    data[3] ^= 0x01
    blob(root, record["sha256"]).write_bytes(bytes(data))
    with pytest.raises(IntegrityError) as caught:
        http(server.url, tmp_path).fetch_archive("customer-service", "1.0.0")
    message = caught.value.message
    assert "customer-service@1.0.0" in message and server.url in message
    assert record["sha256"] in message and hashlib.sha256(bytes(data)).hexdigest() in message


@pytest.mark.parametrize("change", [b"extra bytes", None])
def test_an_archive_of_the_wrong_size_is_refused_naming_both_sizes(root, server, tmp_path, change):
    record = DirectoryRegistry(str(root)).package_index("customer-service")["versions"]["1.0.0"]
    path = blob(root, record["sha256"])
    data = path.read_bytes()
    served = data + change if change else data[:-5]
    path.write_bytes(served)
    with pytest.raises(IntegrityError) as caught:
        http(server.url, tmp_path).fetch_archive("customer-service", "1.0.0")
    message = caught.value.message
    assert f"expected {record['size']:,} bytes" in message and f"got {len(served):,} bytes" in message


def test_an_archive_that_streams_past_its_size_is_cut_off(root, server, tmp_path):
    record = DirectoryRegistry(str(root)).package_index("customer-service")["versions"]["1.0.0"]
    server.behaviour.endless.add(f"/blobs/sha256/{record['sha256']}")
    with pytest.raises(IntegrityError, match=f"got more than {record['size']:,} bytes; the download was stopped"):
        http(server.url, tmp_path).fetch_archive("customer-service", "1.0.0")


def test_a_document_past_the_json_bound_is_refused_while_streaming(server, tmp_path):
    server.behaviour.endless.add("/catalog.json")
    with pytest.raises(RegistryError, match=f"more than {MAX_JSON_BYTES:,} bytes"):
        http(server.url, tmp_path).catalog()


def test_a_deep_document_is_refused_naming_its_url(root, server, tmp_path):
    (root / "index" / "customer-service.json").write_text("[" * 5000 + "]" * 5000)
    with pytest.raises(RegistryError) as caught:
        http(server.url, tmp_path).package_index("customer-service")
    assert "nests more than" in caught.value.message
    assert caught.value.path == server.url + "index/customer-service.json"


def test_a_malformed_index_is_refused_like_the_directory_refuses_it(root, server, tmp_path):
    (root / "index" / "customer-service.json").write_text(json.dumps({"versions": {"1.0.0": "x"}}))
    with pytest.raises(RegistryError, match="malformed registry file .*customer-service.json: version '1.0.0'"):
        http(server.url, tmp_path).package_index("customer-service")


# -- failures of the network ------------------------------------------------------------------------


def test_5xx_answers_are_retried_then_reported(server, tmp_path):
    server.behaviour.fail_first["/config.json"] = [503, 502]
    assert http(server.url, tmp_path).list_packages() == ["customer-service", "team/triage"]
    assert [r.status for r in server.requests[:3]] == [503, 502, 200]

    server.behaviour.fail_first["/catalog.json"] = [500, 500, 500]
    with pytest.raises(RegistryError, match="answered HTTP 500 for .*catalog.json after 3 attempts"):
        http(server.url, tmp_path).catalog()


def test_a_registry_nobody_listens_on_is_unreachable_after_the_attempts(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/"
    started = time.monotonic()
    with pytest.raises(RegistryUnreachable) as caught:
        http(url, tmp_path, backoff=0.05).catalog()
    assert time.monotonic() - started < 5
    assert f"cannot reach registry {url}" in caught.value.message and "3 attempts" in caught.value.message
    assert "--offline" in caught.value.hint


def test_a_server_that_never_answers_times_out(server, tmp_path):
    server.behaviour.hang.add("/config.json")
    started = time.monotonic()
    with pytest.raises(RegistryUnreachable, match="did not answer within 0.5 s"):
        http(server.url, tmp_path, timeout=0.5).catalog()
    assert time.monotonic() - started < 5
    assert len(server.requests) <= 1  # a read timeout is not retried


def test_access_refused_says_how_to_log_in(server, tmp_path):
    server.behaviour.deny.add("/config.json")
    with pytest.raises(RegistryError, match="refused access without a token .* \\(HTTP 403\\)") as caught:
        http(server.url, tmp_path).catalog()
    assert "agentops login" in caught.value.hint and "AGENTOPS_TOKEN" in caught.value.hint


# -- TLS and proxies --------------------------------------------------------------------------------


@pytest.fixture
def tls_server(root, tmp_path):
    ca, cert, key = make_certificates(tmp_path / "certs")
    with StaticServer(root, tls=(cert, key)) as running:
        yield running, ca


def test_a_private_ca_is_trusted_through_ca_file(tls_server, tmp_path):
    running, ca = tls_server
    assert http(running.url, tmp_path, ca_file=str(ca)).list_packages() == ["customer-service", "team/triage"]


def test_a_private_ca_is_trusted_through_ssl_cert_file(tls_server, tmp_path, monkeypatch):
    running, ca = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    assert http(running.url, tmp_path).list_packages() == ["customer-service", "team/triage"]


def test_an_untrusted_certificate_is_refused_with_a_hint(tls_server, tmp_path, monkeypatch):
    running, _ca = tls_server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(RegistryUnreachable, match="TLS certificate is not trusted") as caught:
        http(running.url, tmp_path).catalog()
    assert "AGENTOPS_CA_FILE" in caught.value.hint
    assert running.requests == []


def test_a_redirect_from_https_down_to_http_is_refused(tls_server, server, tmp_path):
    running, ca = tls_server
    running.behaviour.redirect["/config.json"] = server.url + "config.json"
    with pytest.raises(RegistryError, match="redirected to http://.*not https"):
        http(running.url, tmp_path, ca_file=str(ca)).catalog()
    assert server.requests == []


def test_requests_go_through_the_proxy_the_environment_names(server, tmp_path, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", server.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    remote = http("http://registry.invalid/", tmp_path)  # resolvable only by the proxy (it ignores the host)
    assert remote.fetch_archive("team/triage", "0.1.0") == archive_for("team/triage", "0.1.0")
    assert server.requests and all(r.proxied for r in server.requests)


def test_a_proxy_that_cannot_be_used_is_named_at_once_without_retrying(server, tmp_path, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "socks5://127.0.0.1:1080")
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    start = time.monotonic()
    with pytest.raises(RegistryUnreachable, match="socks proxies are not supported") as caught:
        http("http://registry.invalid/", tmp_path).catalog()
    assert "HTTPS_PROXY" in caught.value.message and "HTTP_PROXY" in caught.value.hint
    assert "attempts" not in caught.value.message and time.monotonic() - start < 5
    assert server.requests == []


# -- start-up --------------------------------------------------------------------------------------


def test_the_transport_is_imported_only_when_a_registry_is_read():
    code = ("import sys, agentpack.adapters.registry as r; r.open_registry('http://127.0.0.1:1/');"
            "print(sorted({'agentpack.adapters.http_wire', 'socket', 'ssl', 'httpx'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}).stdout
    assert out.strip() == "[]"

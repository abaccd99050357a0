"""The oci:// backend (adapters.registry.oci) against the Registry contract, on a real docker-registry."""

from __future__ import annotations

import os

import pytest

from agentpack.adapters.registry import open_registry
from agentpack.adapters.registry.base import RegistryOptions
from agentpack.adapters.registry.oci import OciRegistry, parse_location
from agentpack.errors import InvalidName, PackageNotFound, RegistryError, VersionExists
from oci_registry import DockerRegistry


@pytest.fixture(autouse=True)
def isolated_config(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for key in [k for k in os.environ if k.lower().endswith("_proxy")]:
        monkeypatch.delenv(key)


@pytest.fixture
def registry(tmp_path):
    with DockerRegistry(tmp_path / "oci") as running:
        yield running


def _archive(tag: bytes) -> bytes:
    return b"\x1f\x8b" + tag * 50  # the backend stores bytes; what they are is publish's business


def _record(name: str, version: str, **manifest) -> dict:
    return {"name": name, "version": version, "manifest": {"name": name, "version": version,
                                                           "description": f"{name} does things", **manifest},
            "components": {"agents": 1}, "published_at": "2026-01-01T00:00:00Z"}


def _open(registry, prefix: str = "agents") -> OciRegistry:
    opened = open_registry(registry.url(prefix), options=RegistryOptions(backoff=0.01))
    assert isinstance(opened, OciRegistry)
    return opened


def test_publish_index_fetch_and_catalog(registry):
    oci = _open(registry)
    stored = oci.publish(_archive(b"a1"), _record("team-a/tool", "1.0.0"))
    oci.publish(_archive(b"a2"), _record("team-a/tool", "1.1.0-rc.1"))
    oci.publish(_archive(b"b1"), _record("other", "0.1.0"))
    assert stored["size"] == 102 and stored["name"] == "team-a/tool"

    fresh = _open(registry)
    index = fresh.package_index("team-a/tool")
    assert list(index["versions"]) == ["1.0.0", "1.1.0-rc.1"]
    assert index["versions"]["1.0.0"] == stored and index["serial"] > 0
    assert fresh.fetch_archive("team-a/tool", "1.0.0") == _archive(b"a1")
    assert fresh.list_packages() == ["other", "team-a/tool"]
    catalog = fresh.catalog()["packages"]
    assert catalog["team-a/tool"]["latest"] == "1.0.0" and catalog["other"]["description"] == "other does things"
    assert fresh.listing == "the registry's _catalog"
    with pytest.raises(PackageNotFound):
        fresh.package_index("missing")
    with pytest.raises(PackageNotFound, match="team-a/tool@2.0.0 not found") as missing:
        fresh.fetch_archive("team-a/tool", "2.0.0")
    assert missing.value.hint == "versions available: 1.0.0, 1.1.0-rc.1"
    with pytest.raises(InvalidName):
        fresh.package_index("../escape")
    assert _open(registry, "elsewhere").catalog() == {"packages": {}}


def test_versions_are_immutable_and_serials_grow_with_every_write(registry):
    oci = _open(registry)
    oci.publish(_archive(b"x"), _record("tool", "1.0.0"))
    with pytest.raises(VersionExists, match="tool@1.0.0 already exists"):
        _open(registry).publish(_archive(b"y"), _record("tool", "1.0.0"))
    first = _open(registry).package_index("tool")["serial"]
    assert _open(registry).fetch_archive("tool", "1.0.0") == _archive(b"x")

    marker = _open(registry)
    assert marker.mark_deprecated("tool", "*", {"message": "use tool2", "at": "2026-01-02T00:00:00Z"}) == {"1.0.0": True}
    assert marker.mark_deprecated("tool", "*", {"message": "use tool2", "at": "2026-01-02T00:00:00Z"}) == {"1.0.0": False}
    second = _open(registry).package_index("tool")
    assert second["serial"] > first and second["versions"]["1.0.0"]["deprecated"]["message"] == "use tool2"
    assert _open(registry).mark_yanked("tool", "1.0.0", {"reason": "bad", "at": "2026-01-03T00:00:00Z"}) is True
    third = _open(registry).package_index("tool")
    assert third["serial"] > second["serial"] and third["versions"]["1.0.0"]["yanked"]["reason"] == "bad"
    assert _open(registry).mark_yanked("tool", "1.0.0", None) is True
    assert "yanked" not in _open(registry).package_index("tool")["versions"]["1.0.0"]
    # the marks never touch the archive
    assert _open(registry).fetch_archive("tool", "1.0.0") == _archive(b"x")
    with pytest.raises(PackageNotFound):
        _open(registry).mark_yanked("tool", "9.9.9", {"reason": "x", "at": "2026-01-03T00:00:00Z"})


def test_other_tags_in_a_package_repository_are_not_versions(registry):
    oci = _open(registry)
    oci.publish(_archive(b"x"), _record("tool", "1.0.0"))
    manifest, _ = registry.manifest("agents/tool", "1.0.0")
    registry.put_manifest("agents/tool", "latest", manifest)
    assert list(_open(registry).package_index("tool")["versions"]) == ["1.0.0"]


def test_a_repository_without_the_catalog_artifact_has_serial_0(registry):
    _open(registry).publish(_archive(b"x"), _record("tool", "1.0.0"))
    status, _, _ = registry.request("DELETE", "agents/agentops_catalog/manifests/"
                                    + registry.manifest("agents/agentops_catalog", "catalog")[1])
    assert status == 202
    fresh = _open(registry)
    assert fresh.package_index("tool")["serial"] == 0
    assert list(fresh.catalog()["packages"]) == ["tool"]  # listed through _catalog and the tags


@pytest.mark.parametrize(("location", "expected"), [
    ("oci://127.0.0.1:5000/agents", ("http", "127.0.0.1:5000", "agents")),
    ("oci://Registry.Local:5000/Site/", None),
    ("oci://registry.local:5000/site/agents/", ("https", "registry.local:5000", "site/agents")),
    ("oci://localhost/a", ("http", "localhost", "a")),
    ("oci://harbor.internal:443/team-alpha", ("https", "harbor.internal:443", "team-alpha")),
    ("oci://[::1]:5000", ("http", "[::1]:5000", "")),
])
def test_locations(location, expected):
    if expected is None:
        with pytest.raises(RegistryError, match="not an OCI repository path"):
            parse_location(location)
    else:
        assert parse_location(location) == expected


def test_plain_http_hosts_and_refused_locations():
    assert parse_location("oci://registry.local:5000/a", ("registry.local:5000",))[0] == "http"
    for location, message in [("oci:///agents", "no host"), ("oci://u:p@host/agents", "carries no credentials"),
                              ("oci://host/agents?x=1", "no query"), ("oci://host/a_/b", "not an OCI repository")]:
        with pytest.raises(RegistryError, match=message):
            parse_location(location)
    assert OciRegistry("oci://Host:5000/agents/").identity == "oci://host:5000/agents"


def _through(proxy, prefix: str = "agents") -> OciRegistry:
    return open_registry(proxy.url(prefix), options=RegistryOptions(backoff=0.01, attempts=1))


def test_a_publish_lists_tags_once_and_does_not_read_back_what_it_wrote(registry):
    from oci_registry import FrontProxy

    _open(registry).publish(_archive(b"x"), _record("tool", "1.0.0"))
    with FrontProxy(registry) as proxy:
        publisher = _through(proxy)
        publisher.package_index("tool")  # as the release check reads it before publishing
        seen = len(proxy.requests)
        publisher.publish(_archive(b"y"), _record("tool", "1.1.0"))
        sent = [(method, path.split("?")[0]) for method, path, _ in proxy.requests[seen:]]
    assert not [p for m, p in sent if p.endswith("/tags/list")]  # listed once, before
    uploads = [p for m, p in sent if m == "PUT" and p.startswith("/v2/agents/tool/blobs/uploads/")]
    heads = [p for m, p in sent if m == "HEAD" and p.startswith("/v2/agents/tool/blobs/")]
    assert len(uploads) == 2 and len(heads) == 1  # the archive's HEAD only: the record is new content
    assert not [p for m, p in sent if m == "GET" and p.startswith("/v2/agents/tool/")]  # nothing read back
    index = _open(registry).package_index("tool")
    assert list(index["versions"]) == ["1.0.0", "1.1.0"]
    catalog = _open(registry)._catalog_document()
    assert catalog["packages"]["tool"]["versions"] == ["1.0.0", "1.1.0"]


def test_dependencies_are_read_ahead_and_their_failures_raised_when_asked_for(registry):
    from oci_registry import FrontProxy

    for name in ("dep-a", "dep-b"):
        _open(registry).publish(_archive(name.encode()), _record(name, "1.0.0"))
    _open(registry).publish(_archive(b"app"), _record("app", "1.0.0", dependencies=["dep-a@^1", "dep-b@^1"]))
    with FrontProxy(registry) as proxy:
        reader = _through(proxy)
        reader.package_index("app")
        assert set(reader._pending) == {"dep-a", "dep-b"}
        reader._pending["dep-a"].result(timeout=30)
        served = len(proxy.requests)
        assert reader.package_index("dep-a")["versions"]["1.0.0"]["name"] == "dep-a"
        assert len(proxy.requests) == served  # read ahead: nothing more to ask
        assert reader.listing == "the tags list of agents/dep-a"

        proxy.fail["agents/dep-b/manifests/"] = 500
        failing = _through(proxy)
        failing.package_index("app")
        failing._pending["dep-b"].exception(timeout=30)
        with pytest.raises(RegistryError, match="HTTP 500"):
            failing.package_index("dep-b")
        proxy.fail.clear()
        assert list(failing.package_index("dep-b")["versions"]) == ["1.0.0"]  # asked again, read again

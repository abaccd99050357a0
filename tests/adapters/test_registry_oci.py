"""The oci:// backend (adapters.registry.oci) against the Registry contract, on a real docker-registry."""

from __future__ import annotations

import pytest

from agentpack.adapters.oci.location import parse_location
from agentpack.adapters.registry import open_registry
from agentpack.adapters.registry.base import RegistryOptions
from agentpack.adapters.registry.oci import OciRegistry
from agentpack.core import oci_artifacts as oci
from agentpack.errors import InvalidName, PackageNotFound, RegistryError, VersionExists
from oci_registry import isolated_config, registry_fixture  # noqa: F401 (fixtures: the first autouse)


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


def _signature(name: str, version: str, archive: bytes) -> dict:
    import hashlib

    return {"format": 1, "name": name, "version": version, "sha256": hashlib.sha256(archive).hexdigest(),
            "key": "ab" * 32, "public_key": "cHVibGlj", "signature": "c2lnbmVk"}


def test_a_signature_is_a_referrer_of_the_manifest_through_the_fallback_tag(registry):
    import json

    from agentpack.core import oci_artifacts as layout

    signature = _signature("tool", "1.0.0", _archive(b"x"))
    stored = _open(registry).publish(_archive(b"x"), dict(_record("tool", "1.0.0"), signature=signature))
    assert stored["signature"] == signature
    manifest, digest = registry.manifest("agents/tool", "1.0.0")
    config = json.loads(registry.request("GET", f"agents/tool/blobs/{manifest['config']['digest']}")[2])
    assert "signature" not in config  # the record's digest does not depend on being signed
    index = json.loads(registry.request("GET", f"agents/tool/manifests/sha256-{digest[7:]}",
                                        headers={"Accept": layout.INDEX_MEDIA_TYPE})[2])
    [listed] = index["manifests"]
    assert listed["artifactType"] == layout.SIGNATURE_ARTIFACT_TYPE
    assert listed["annotations"] == {layout.SIGNATURE_KEY_ANNOTATION: "ab" * 32}
    artifact, _ = registry.manifest("agents/tool", listed["digest"])
    assert artifact["subject"] == {"mediaType": layout.MANIFEST_MEDIA_TYPE, "digest": digest,
                                   "size": len(layout.encode(manifest))}
    layer = registry.request("GET", f"agents/tool/blobs/{artifact['layers'][0]['digest']}")[2]
    assert json.loads(layer) == signature
    assert _open(registry).package_index("tool")["versions"]["1.0.0"]["signature"] == signature

    # A mark changes the manifest's digest: the signature is pointed at the new manifest.
    _open(registry).mark_deprecated("tool", "*", {"message": "use tool2", "at": "2026-01-02T00:00:00Z"})
    _, marked = registry.manifest("agents/tool", "1.0.0")
    assert marked != digest and f"sha256-{marked[7:]}" in _tags(registry, "agents/tool")
    record = _open(registry).package_index("tool")["versions"]["1.0.0"]
    assert record["signature"] == signature and record["deprecated"]["message"] == "use tool2"

    unsigned = _open(registry)
    unsigned.publish(_archive(b"y"), _record("tool", "1.1.0"))
    assert "signature" not in unsigned.package_index("tool")["versions"]["1.1.0"]


def test_a_second_different_signature_is_a_damaged_registry(registry):
    from agentpack.core import oci_artifacts as layout

    oci = _open(registry)
    oci.publish(_archive(b"x"), dict(_record("tool", "1.0.0"), signature=_signature("tool", "1.0.0", _archive(b"x"))))
    body, digest = oci.client.manifest("agents/tool", "1.0.0")
    other = layout.encode(dict(_signature("tool", "1.0.0", _archive(b"x")), key="cd" * 32))
    oci.client.push_blob("agents/tool", other)
    artifact = layout.signature_manifest(other, "cd" * 32, body)
    encoded = layout.encode(artifact)
    oci.client.push_referrer("agents/tool", encoded, layout.referrer_descriptor(encoded, artifact), digest)
    with pytest.raises(RegistryError, match="2 different signatures refer to it"):
        _open(registry).package_index("tool")


def test_signatures_through_the_referrers_api():
    from referrers_registry import ReferrersRegistry

    with ReferrersRegistry() as registry:
        oci = open_registry(registry.url(), options=RegistryOptions(backoff=0.01))
        signature = _signature("tool", "1.0.0", _archive(b"x"))
        oci.publish(_archive(b"x"), dict(_record("tool", "1.0.0"), signature=signature))
        assert [tag for repo, tag in registry.tags if repo == "agents/tool"] == ["1.0.0"]  # no fallback tag
        fresh = open_registry(registry.url(), options=RegistryOptions(backoff=0.01))
        assert fresh.package_index("tool")["versions"]["1.0.0"]["signature"] == signature
        assert fresh.listing == "the tags list of agents/tool"
        assert list(fresh.catalog()["packages"]) == ["tool"]  # no _catalog: the catalog artifact
        fresh.mark_yanked("tool", "1.0.0", {"reason": "bad", "at": "2026-01-03T00:00:00Z"})
        record = open_registry(registry.url()).package_index("tool")["versions"]["1.0.0"]
        assert record["signature"] == signature and record["yanked"]["reason"] == "bad"


def test_whether_the_registry_has_the_referrers_api_is_asked_beside_the_first_tags_list(registry):
    """No round trip of its own: the question goes with the first package's tags list (of a digest
    nothing refers to), and then no version's signature costs a request where none can be."""
    from oci_registry import FrontProxy

    _open(registry).publish(_archive(b"x"), _record("tool", "1.0.0"))
    with FrontProxy(registry) as proxy:
        reader = _through(proxy)
        assert "signature" not in reader.package_index("tool")["versions"]["1.0.0"]
        asked = [path for method, path, _ in proxy.requests if "/referrers/" in path]
        assert asked == [f"/v2/agents/tool/referrers/sha256:{oci.EMPTY_SHA256}"]
        assert reader.client.referrers_api is False


def test_a_missing_repository_does_not_pass_for_a_registry_without_the_referrers_api():
    """A registry with the API answers 404 for a repository it does not have: asked first about a
    package that is not there, the reader still finds the next package's signature."""
    from referrers_registry import ReferrersRegistry

    with ReferrersRegistry() as registry:
        signature = _signature("tool", "1.0.0", _archive(b"x"))
        open_registry(registry.url()).publish(_archive(b"x"), dict(_record("tool", "1.0.0"), signature=signature))
        fresh = open_registry(registry.url(), options=RegistryOptions(backoff=0.01))
        with pytest.raises(PackageNotFound):
            fresh.package_index("nothing-here")
        assert fresh.package_index("tool")["versions"]["1.0.0"]["signature"] == signature
        assert fresh.client.referrers_api is True


def test_import_versions_keeps_identical_ones_adds_marks_and_names_every_conflict(registry):
    oci = _open(registry)
    oci.publish(_archive(b"x"), _record("tool", "1.0.0"))
    yanked = dict(_record("tool", "1.0.0"), yanked={"reason": "bad", "at": "2026-01-03T00:00:00Z"})
    signature = _signature("other", "2.0.0", _archive(b"o"))
    outcome = _open(registry).import_versions([(_archive(b"x"), yanked), (_archive(b"z"), _record("tool", "1.1.0")),
                                               (_archive(b"o"), dict(_record("other", "2.0.0"), signature=signature))])
    assert [added for _, added in outcome] == [False, True, True]
    fresh = _open(registry)
    assert fresh.package_index("tool")["versions"]["1.0.0"]["yanked"]["reason"] == "bad"
    assert fresh.package_index("other")["versions"]["2.0.0"]["signature"] == signature
    assert fresh.catalog()["packages"]["tool"]["versions"] == ["1.0.0", "1.1.0"]
    from agentpack.adapters.registry.directory import catalog_entry

    kept = fresh._catalog_document()["packages"]  # "other" was new: its entry made from what was pushed
    assert kept["other"] == catalog_entry(fresh.package_index("other")) and kept["other"]["latest"] == "2.0.0"
    assert kept["tool"] == catalog_entry(fresh.package_index("tool"))
    before = {repo: _tags(registry, repo) for repo in ("agents/tool", "agents/other", "agents/new")}
    with pytest.raises(VersionExists) as refused:
        _open(registry).import_versions([(_archive(b"n"), _record("new", "1.0.0")),
                                         (_archive(b"q"), _record("tool", "1.0.0")),
                                         (_archive(b"o"), _record("other", "2.0.0+build.1"))])
    assert "tool@1.0.0 (other content: registry sha256" in refused.value.message
    assert "other@2.0.0+build.1 (same precedence as 2.0.0)" in refused.value.message
    assert {repo: _tags(registry, repo) for repo in before} == before  # nothing was pushed


def _tags(registry, repository: str) -> list[str] | None:
    import json

    status, _, body = registry.request("GET", f"{repository}/tags/list")
    return sorted(json.loads(body)["tags"]) if status == 200 else None


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


def test_a_signed_publish_and_a_yank_make_the_catalog_entry_without_reading_the_package_back(registry):
    from agentpack.adapters.registry.directory import catalog_entry
    from oci_registry import FrontProxy

    _open(registry).publish(_archive(b"x"), _record("tool", "1.0.0"))
    signed = dict(_record("tool", "1.1.0"), signature=_signature("tool", "1.1.0", _archive(b"y")))
    with FrontProxy(registry) as proxy:
        writer = _through(proxy)
        writer.package_index("tool")
        seen = len(proxy.requests)
        writer.publish(_archive(b"y"), signed)
        writer.mark_yanked("tool", "1.1.0", {"reason": "bad", "at": "2026-01-03T00:00:00Z"})
        sent = [(method, path.split("?")[0]) for method, path, _ in proxy.requests[seen:]]
    # The yank reads the index again (another writer may have changed it), once: its tags, then
    # each version's manifest; nothing of the package is read after the yank's manifest is pushed.
    reads = [p for m, p in sent if m == "GET" and p.startswith("/v2/agents/tool/")]
    yank_put = max(i for i, (m, p) in enumerate(sent) if m == "PUT" and p == "/v2/agents/tool/manifests/1.1.0")
    assert not [p for m, p in sent[yank_put:] if m == "GET" and p.startswith("/v2/agents/tool/")]
    assert len([p for p in reads if p.endswith("/tags/list")]) == 1
    empty = f"/v2/agents/tool/blobs/sha256:{oci.EMPTY_SHA256}"
    assert len([p for m, p in sent if m == "HEAD" and p == empty]) == 1  # the signature's empty config, once
    fresh = _open(registry)
    record = fresh.package_index("tool")["versions"]["1.1.0"]
    assert record["yanked"]["reason"] == "bad" and record["signature"] == signed["signature"]
    kept = fresh._catalog_document()["packages"]["tool"]
    assert kept == catalog_entry(fresh.package_index("tool")) and kept["yanked"] == ["1.1.0"]


def _wait_for_reads(reader, name: str) -> None:
    """Wait until the reads ahead of ``name``'s index (its tags list and its versions' manifests)
    are done, whatever they gave."""
    tags, manifests = reader._pending[name]
    for future in [tags, *manifests.values()]:
        future.exception(timeout=30)


def test_dependencies_are_read_ahead_and_their_failures_raised_when_asked_for(registry):
    from oci_registry import FrontProxy

    for name in ("dep-a", "dep-b"):
        _open(registry).publish(_archive(name.encode()), _record(name, "1.0.0"))
    _open(registry).publish(_archive(b"app"), _record("app", "1.0.0", dependencies=["dep-a@^1", "dep-b@^1"]))
    with FrontProxy(registry) as proxy:
        reader = _through(proxy)
        reader.package_index("app")
        assert set(reader._pending) == {"dep-a", "dep-b"}
        _wait_for_reads(reader, "dep-a")
        served = len(proxy.requests)
        assert reader.package_index("dep-a")["versions"]["1.0.0"]["name"] == "dep-a"
        assert len(proxy.requests) == served  # read ahead: nothing more to ask
        assert reader.listing == "the tags list of agents/dep-a"

        proxy.fail["agents/dep-b/manifests/"] = 500
        failing = _through(proxy)
        failing.package_index("app")
        _wait_for_reads(failing, "dep-b")
        with pytest.raises(RegistryError, match="HTTP 500"):
            failing.package_index("dep-b")
        proxy.fail.clear()
        assert list(failing.package_index("dep-b")["versions"]) == ["1.0.0"]  # asked again, read again


def test_the_manifests_of_listed_versions_are_read_side_by_side_with_the_tags_list(registry):
    """A dependency's versions that the catalog artifact lists have their manifests read while its
    tags list is still on the way: here the tags list never answers, and the manifest is asked
    for all the same."""
    import time

    from oci_registry import FrontProxy

    _open(registry).publish(_archive(b"dep"), _record("dep-a", "1.0.0"))
    _open(registry).publish(_archive(b"app"), _record("app", "1.0.0", dependencies=["dep-a@^1"]))
    with FrontProxy(registry) as proxy:
        proxy.hang.add("agents/dep-a/tags/list")
        reader = _through(proxy)
        reader.package_index("app")
        deadline = time.monotonic() + 30
        while not any(p.startswith("/v2/agents/dep-a/manifests/1.0.0") for _, p, _ in proxy.requests):
            assert time.monotonic() < deadline, proxy.requests
            time.sleep(0.01)
        assert not reader._pending["dep-a"][0].done()  # the tags list is still unanswered


def test_the_tags_list_decides_which_versions_an_index_holds(registry):
    """The catalog artifact only guesses: a version tagged since it was written (by a writer that
    did not update it) is read, and the index is exactly the tagged versions."""
    _open(registry).publish(_archive(b"d1"), _record("dep-a", "1.0.0"))
    old_catalog, _ = registry.manifest("agents/agentops_catalog", "catalog")
    _open(registry).publish(_archive(b"d2"), _record("dep-a", "1.1.0"))
    registry.put_manifest("agents/agentops_catalog", "catalog", old_catalog)  # lists 1.0.0 only
    _open(registry).publish(_archive(b"app"), _record("app", "1.0.0", dependencies=["dep-a@^1"]))
    reader = _open(registry)
    assert reader._catalog_document()["packages"]["dep-a"]["versions"] == ["1.0.0"]
    reader.package_index("app")
    index = reader.package_index("dep-a")
    assert list(index["versions"]) == ["1.0.0", "1.1.0"]
    assert reader.fetch_archive("dep-a", "1.1.0") == _archive(b"d2")

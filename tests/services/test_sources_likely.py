"""PackageSource.fetch_likely: once an index is read, the archive a resolution will most likely
choose starts downloading (registries across a network), so that downloads overlap with reading
the other indexes; guesses are bounded and never made for classified packages."""

from __future__ import annotations

import hashlib

from agentpack.adapters.registry import open_registry
from agentpack.adapters.registry.base import RegistryOptions
from agentpack.services.sources import PackageSource
from agentpack.services.workspace import Settings
from oci_registry import FrontProxy, isolated_config, registry_fixture  # noqa: F401 (fixtures)


def _archive(tag: str) -> bytes:
    # The registry stores bytes; what they are is publish's business. Larger than an archive the
    # manifest would carry (core.oci_artifacts.MAX_EMBEDDED_ARCHIVE_BYTES): each is a blob to fetch.
    return b"\x1f\x8b" + (tag.encode() * 40).ljust(9 * 1024, b".")


def _publish(registry, name: str, version: str, **manifest) -> str:
    data = _archive(f"{name}@{version}")
    record = {"name": name, "version": version, "manifest": {"name": name, "version": version, **manifest},
              "components": {"agents": 1}, "published_at": "2026-01-01T00:00:00Z"}
    open_registry(registry.url(), options=RegistryOptions(backoff=0.01)).publish(data, record)
    return hashlib.sha256(data).hexdigest()


def _source(proxy, tmp_path) -> PackageSource:
    settings = Settings(registry=proxy.url(), cache_dir=str(tmp_path / "cache"))
    return PackageSource(lambda: settings.registry_routing(None, str(tmp_path)), settings.resolved_cache_dir,
                         state_dir=lambda: str(tmp_path / "state"))


def _blob_gets(proxy, sha256: str) -> int:
    return sum(1 for method, path, _ in proxy.requests if method == "GET" and path.endswith(f"/blobs/sha256:{sha256}"))


def test_the_newest_release_not_yanked_is_fetched_once_its_index_is_read(registry, tmp_path):
    sums = {version: _publish(registry, "app", version) for version in ("1.0.0", "1.1.0", "1.2.0", "2.0.0-rc.1")}
    open_registry(registry.url()).mark_yanked("app", "1.2.0", {"reason": "bad", "at": "2026-01-03T00:00:00Z"})
    with FrontProxy(registry) as proxy:
        source = _source(proxy, tmp_path)
        source.fetch_likely({})
        source.candidates("app")
        assert list(source._ahead) == [sums["1.1.0"]]
        source._ahead[sums["1.1.0"]].result(timeout=30)
        assert _blob_gets(proxy, sums["1.1.0"]) == 1
        # Asked for, the archive is the one fetched ahead (verified, then cached): no second download.
        assert source.archive("app", "1.1.0", sums["1.1.0"]) == _archive("app@1.1.0")
        assert _blob_gets(proxy, sums["1.1.0"]) == 1
        assert not [s for s in sums.values() if s != sums["1.1.0"] and _blob_gets(proxy, s)]


def test_the_preferred_version_is_the_guess_and_nothing_is_fetched_unasked(registry, tmp_path):
    sums = {version: _publish(registry, "app", version) for version in ("1.0.0", "1.1.0")}
    with FrontProxy(registry) as proxy:
        idle = _source(proxy, tmp_path / "idle")
        idle.candidates("app")
        assert idle._ahead == {}  # without fetch_likely, reading an index fetches no archive

        locked = _source(proxy, tmp_path / "locked")
        locked.fetch_likely({"app": "1.0.0"})  # the lock's version
        locked.candidates("app")
        assert list(locked._ahead) == [sums["1.0.0"]]


def test_no_guess_for_a_classified_package_or_past_the_size_bounds(registry, tmp_path, monkeypatch):
    import agentpack.services.sources as sources

    _publish(registry, "secret", "1.0.0", classification="confidential")
    plain = _publish(registry, "plain", "1.0.0")
    with FrontProxy(registry) as proxy:
        source = _source(proxy, tmp_path)
        source.fetch_likely({})
        source.candidates("secret")
        assert source._ahead == {}  # only the classification check may let its archive be fetched
        monkeypatch.setattr(sources, "_LIKELY_MAX_BYTES", len(_archive("plain@1.0.0")) - 1)
        source.candidates("plain")
        assert source._ahead == {}
        assert source.archive("plain", "1.0.0", plain) == _archive("plain@1.0.0")  # fetched when asked

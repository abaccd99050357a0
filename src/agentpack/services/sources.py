"""Where install finds packages: registries, archives given on the command line, and the cache.

``PackageSource`` is the resolver's candidate source (core.resolver.CandidateSource) over the
workspace's registries, plus the place archives come from: the content-addressed cache first,
then the registry that published them, each read verified against the expected sha256.

With ``offline=True`` no registry is opened: package indexes come from the copies the cache kept
the last time they were read online, and archives only from the cache.

Every index read from a registry is checked against the highest serial this machine has accepted
for that registry and package (``adapters.seen_serials``, in the user's state directory): an older
one raises ``RollbackError`` before anything uses it, a newer one is remembered.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from agentpack.core.resolver import Candidate
from agentpack.core.spec import parse_dependency
from agentpack.core.versions import parse_version
from agentpack.errors import (
    AgentpackError,
    IntegrityError,
    InvalidVersion,
    OfflineError,
    PackageNotFound,
    RegistryError,
)


def dependency_map(manifest: dict) -> dict[str, str]:
    """{name: range} from a manifest dict's `dependencies` list of "name@range" strings."""
    return dict(parse_dependency(text) for text in manifest.get("dependencies") or [])


class PackageSource:
    """Candidates and archives for install, from registries (or the cache when offline)."""

    def __init__(self, locations: Callable[[], list[tuple[str, str]]], cache_dir: Callable[[], str], *,
                 offline: bool = False, state_dir: Callable[[], str] | None = None,
                 registry_options: Callable[[], object] | None = None) -> None:
        # All are callables, evaluated on first use: finding the default registry and cache
        # directories costs start-up time that an install with nothing to fetch never needs.
        # ``registry_options`` gives adapters.registry.base.RegistryOptions (Settings.registry_options).
        self._locations_fn = locations
        self._cache_dir_fn = cache_dir
        self._options_fn = registry_options
        self._offline = offline
        self._registries: list | None = None
        self._indexes: dict[str, tuple[dict, object | None]] = {}
        self._local: dict[str, tuple[dict, bytes, str]] = {}  # name -> (record, archive, spec)
        self._cache = None
        self._state_dir_fn = state_dir
        self._seen: dict[str, dict[str, int]] = {}  # registry identity -> {name: serial}

    # -- the resolver's CandidateSource ------------------------------------------------------
    def candidates(self, name: str) -> list[Candidate]:
        """Every known version of ``name`` as resolver candidates (empty when unknown)."""
        found = []
        for version_text, record in self.index(name).items():
            try:
                version = parse_version(version_text)
                deps = dependency_map(record.get("manifest") or {})
            except AgentpackError:
                continue  # an unusable entry is skipped, as if it were not published
            found.append(Candidate(name, version, deps))
        return found

    def names(self) -> list[str]:
        """Every package name the registries hold, for suggesting one when a name is misspelt
        (offline: the local registries only). A registry that cannot be listed adds nothing."""
        found = set(self._local)
        for registry in self._open_registries():
            try:
                found.update(registry.list_packages())
            except RegistryError:
                continue
        return sorted(found)

    # -- records and archives --------------------------------------------------------------
    def add_local(self, record: dict, archive: bytes, spec: str) -> None:
        """Make an archive given on the command line the only candidate for its package name."""
        self._local[record["name"]] = (record, archive, spec)

    def local_spec(self, name: str) -> str | None:
        entry = self._local.get(name)
        return entry[2] if entry else None

    def index(self, name: str) -> dict[str, dict]:
        """{version: record} for ``name`` (empty when no registry has it)."""
        if name in self._local:
            record = self._local[name][0]
            return {record["version"]: record}
        if name not in self._indexes:
            self._indexes[name] = self._load_index(name)
        return self._indexes[name][0]

    def record(self, name: str, version: str) -> dict:
        record = self.index(name).get(version)
        if record is None:
            raise PackageNotFound(f"{name}@{version} is not published in {self.describe()}",
                                  hint="check the name and version with `agentops package info`")
        return record

    def archive(self, name: str, version: str, sha256: str) -> bytes:
        """The archive of name@version, verified to hash to ``sha256`` (cache first, then registry)."""
        if name in self._local and self._local[name][0]["version"] == version:
            data = self._local[name][1]
            self._check(data, sha256, name, version, "the archive given on the command line")
            return data
        cache = self._blob_cache()
        cached = cache.get(sha256)  # verifies the digest; a tampered entry raises IntegrityError
        if cached is not None:
            return cached
        registry = self._registry_for(name)
        if registry is None and self._offline:
            raise OfflineError(f"{name}@{version} is not in the cache and --offline forbids fetching it",
                               hint="run the same command once without --offline, or load a bundle "
                                    "into a directory registry")
        if registry is None:
            raise PackageNotFound(f"{name} is not published in {self.describe()}")
        data = registry.fetch_archive(name, version)
        self._check(data, sha256, name, version, f"registry {registry.url}")
        cache.put(data)
        return data

    def cache_archive(self, data: bytes) -> str:
        return self._blob_cache().put(data)

    # -- internals -------------------------------------------------------------------------
    @cached_property
    def _locations(self) -> list[tuple[str, str]]:
        return self._locations_fn()

    @cached_property
    def _cache_dir(self) -> str:
        return self._cache_dir_fn()

    def _check(self, data: bytes, expected: str, name: str, version: str, where: str) -> None:
        import hashlib

        actual = hashlib.sha256(data).hexdigest()
        if actual != expected:
            raise IntegrityError(
                f"{name}@{version} from {where} has sha256 {actual}, expected {expected}",
                hint="the archive was changed after it was locked or published; nothing was installed",
            )

    def _blob_cache(self):
        if self._cache is None:
            from agentpack.adapters.cache import BlobCache

            self._cache = BlobCache(self._cache_dir)
        return self._cache

    def _open_registries(self) -> list:
        """The registries to read; under --offline only those on this machine (directories): a
        registry across the network is then read from the copies the cache kept (``_load_index``)."""
        if self._registries is None:
            from agentpack.adapters.registry import RegistryOptions, open_registry

            options = self._options_fn() if self._options_fn is not None else RegistryOptions()
            options = options._replace(cache_dir=options.cache_dir or self._cache_dir)
            opened = [open_registry(loc, base_dir=base, options=options) for loc, base in self._locations]
            self._registries = [r for r in opened if getattr(r, "local", False)] if self._offline else opened
        return self._registries

    def _registry_for(self, name: str):
        self.index(name)
        return self._indexes.get(name, ({}, None))[1]

    def _load_index(self, name: str) -> tuple[dict, object | None]:
        for registry in self._open_registries():
            try:
                index = registry.package_index(name)
            except PackageNotFound:
                self._check_still_served(registry, name)
                continue
            except RegistryError:
                if self._offline:
                    continue  # a local registry that is not there: offline falls back to the cache
                raise
            self._check_serial(registry, name, index)  # before the cache keeps a copy of it
            self._blob_cache().save_index(name, index)
            return index.get("versions", {}), registry
        if self._offline:
            copy = self._blob_cache().load_index(name)
            return (copy or {}).get("versions", {}), None
        return {}, None

    def check_pins_listed(self, pins: dict[str, str]) -> None:
        """Raise ``RollbackError`` naming every ``name@version`` of ``pins`` (from agentops.lock)
        that the registry index read now does not list: re-resolving would move it silently."""
        from agentpack.core.index_serial import check_pinned_versions

        def registry_url(name: str) -> str:
            registry = self._registry_for(name)
            return registry.url if registry is not None else self.describe()

        check_pinned_versions(pins, lambda name: self.index(name) or None, registry_url)

    def _check_serial(self, registry, name: str, index: dict) -> None:
        """Refuse an index older than the newest this machine accepted; remember a newer one."""
        from agentpack.core.index_serial import check_not_older, index_serial

        serial = index_serial(index)
        if serial is None:
            raise RegistryError(f"registry {registry.url} served an index of {name} with a malformed serial",
                                hint="check the registry with `agentops registry verify`")
        store, identity, seen = self._seen_by(registry)
        check_not_older(name, serial, seen.get(name), registry.url)
        if serial > seen.get(name, 0):
            store.remember(identity, {name: serial})
            seen[name] = serial

    def _check_still_served(self, registry, name: str) -> None:
        """Refuse a registry's "no such package" for a package whose index this machine has seen."""
        from agentpack.core.index_serial import check_still_served

        check_still_served(name, self._seen_by(registry)[2].get(name), registry.url)

    def _seen_by(self, registry):
        """(the store, the registry's identity, {name: serial} remembered for it), loaded once."""
        from agentpack.adapters.seen_serials import SeenSerials

        if self._state_dir_fn is None:
            from agentpack.adapters.paths import user_state_dir

            self._state_dir_fn = user_state_dir
        store = SeenSerials(self._state_dir_fn())
        identity = getattr(registry, "identity", registry.url)
        if identity not in self._seen:
            self._seen[identity] = store.load(identity)
        return store, identity, self._seen[identity]

    def describe(self) -> str:
        if self._offline:
            return "the local cache and local registries (offline)"
        return ", ".join(loc for loc, _ in self._locations)


def highest_published(index: dict[str, dict]) -> str | None:
    """The highest non-prerelease version in an index (or the highest prerelease if only those)."""
    versions = []
    for text in index:
        try:
            versions.append(parse_version(text))
        except InvalidVersion:
            continue
    if not versions:
        return None
    releases = [v for v in versions if not v.is_prerelease]
    return str(max(releases or versions))

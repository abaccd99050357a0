"""Where install finds packages: registries, archives given on the command line, and the cache.

``PackageSource`` is the resolver's candidate source (core.resolver.CandidateSource) over the
workspace's registries, plus the place archives come from: the content-addressed cache first,
then the registry that published them, each read verified against the expected sha256. Which
registry answers for a name is the routing's (core.registry_routes): the one registry its team or
the default is routed to, or, in the list form, every listed registry, which must then agree.

With ``offline=True`` only registries on this machine (directories) are read. A name routed to a
registry across the network (http(s)://), or one no local registry holds, gets the index copy the
cache kept the last time it was read online, and archives come only from the cache.

Every index read from a registry is checked against the highest serial this machine has accepted
for that registry and package (``services.index_serials``): an older one raises ``RollbackError``
before anything uses it, a newer one is remembered.

A yanked version is still a candidate, marked as such: the resolver decides when it may be chosen
(core.resolver). ``release_notices`` reads what install and update tell the user about the
versions they keep: yanks and deprecations.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from agentpack.core.registry_routes import RegistrySlot, Routing, choose_answer
from agentpack.core.release_marks import DEPRECATED, YANKED, is_yanked, mark_text
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
from agentpack.services.index_serials import IndexSerials


def dependency_map(manifest: dict) -> dict[str, str]:
    """{name: range} from a manifest dict's `dependencies` list of "name@range" strings."""
    return dict(parse_dependency(text) for text in manifest.get("dependencies") or [])


_LIKELY_MAX_BYTES = 8 * 1_048_576  # archives larger than this are fetched only once chosen
_LIKELY_TOTAL_BYTES = 64 * 1_048_576  # at most this much fetched on a guess per command


class PackageSource:
    """Candidates and archives for install, from registries (or the cache when offline)."""

    def __init__(self, routing: Callable[[], Routing], cache_dir: Callable[[], str], *,
                 offline: bool = False, state_dir: Callable[[], str] | None = None,
                 registry_options: Callable[[], object] | None = None, keep_indexes: bool = True,
                 defer_serials: bool = False) -> None:
        # All are callables, evaluated on first use: finding the default registry and cache
        # directories costs start-up time that an install with nothing to fetch never needs.
        # ``registry_options`` gives adapters.registry.base.RegistryOptions (Settings.registry_options).
        self._routing_fn = routing
        self._cache_dir_fn = cache_dir
        self._options_fn = registry_options
        self._offline = offline
        self._keep_indexes = keep_indexes  # a copy of each index read, in the cache, for --offline later
        self._opened: dict[RegistrySlot, object] = {}
        self._indexes: dict[str, tuple[dict, object | None]] = {}
        self._local: dict[str, tuple[dict, bytes, str]] = {}  # name -> (record, archive, spec)
        self._cache = None
        self._serials = IndexSerials(state_dir, deferred=defer_serials)  # then see remember_serials
        self._ahead: dict[str, object] = {}  # sha256 -> Future of an archive being fetched ahead
        self._background = None
        self._likely: dict[str, str] | None = None  # fetch_likely's preferred versions, once asked
        self._likely_bytes = 0

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
            found.append(Candidate(name, version, deps, yanked=is_yanked(record)))
        if self._likely is not None and name not in self._local:
            self._fetch_likely(name, found)
        return found

    def fetch_likely(self, preferred: dict[str, str]) -> None:
        """From now on, as soon as a package's index is read, start fetching the archive a
        resolution will most likely choose for it (``preferred``'s version, e.g. the lock's, else
        its newest release not yanked), so that the downloads overlap with reading the other
        indexes (``fetch_ahead``: registries across a network only). A guess that proves wrong
        costs one download, so it is made only for archives of at most 8 MiB, 64 MiB in all, and
        only for packages that declare no classification (an archive is never fetched before the
        classification check has passed it). The archive is still verified when it is asked for."""
        self._likely = dict(preferred)

    def _fetch_likely(self, name: str, candidates: list[Candidate]) -> None:
        version = self._likely.get(name)
        if version is None:
            releases = [c for c in candidates if not c.yanked and not c.version.prerelease]
            version = str(max(releases, key=lambda c: c.version).version) if releases else None
        record = self.index(name).get(version) if version is not None else None
        if not isinstance(record, dict) or (record.get("manifest") or {}).get("classification") is not None:
            return
        size, sha256 = record.get("size"), record.get("sha256")
        if not isinstance(size, int) or not isinstance(sha256, str) or size > _LIKELY_MAX_BYTES \
                or self._likely_bytes + size > _LIKELY_TOTAL_BYTES:
            return
        self._likely_bytes += size
        self.fetch_ahead([(name, version, sha256)])

    def names(self) -> list[str]:
        """Every package name the registries answer for, for suggesting one when a name is misspelt
        (offline: the local registries only). A name a registry holds but is not routed to it is
        left out; a registry that cannot be listed adds nothing."""
        found = set(self._local)
        for slot, registry in self._registries(self._routing.registries()):
            try:
                listed = registry.list_packages()
            except RegistryError:
                continue
            found.update(name for name in listed if slot in self._routing.for_name(name))
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
            raise PackageNotFound(f"{name}@{version} is not published in {self.describe(name)}",
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
        ahead = self._ahead.pop(sha256, None)
        if ahead is not None and ahead.exception() is None:  # a failed fetch is tried again below, and raised
            data, kept = ahead.result()
            if not kept:  # it did not hash to sha256: refused here, naming the registry
                self._check(data, sha256, name, version, f"registry {self._registry_for(name).url}")
            return data
        registry = self._registry_for(name)
        if registry is None and self._offline:
            raise OfflineError(f"{name}@{version} is not in the cache and --offline forbids fetching it",
                               hint="run the same command once without --offline, or load a bundle "
                                    "into a directory registry")
        if registry is None:
            raise PackageNotFound(f"{name} is not published in {self.describe(name)}")
        data = registry.fetch_archive(name, version)
        self._check(data, sha256, name, version, f"registry {registry.url}")
        cache.put(data)
        return data

    def fetch_ahead(self, pins: list[tuple[str, str, str]]) -> None:
        """Start fetching the archives of ``pins`` (``(name, version, sha256)``) that ``archive`` will
        be asked for next, a few at a time, where their registry reads across a network and says
        its reads may overlap (``concurrent_reads``): the waits for them then overlap. What is
        cached or given on the command line is not fetched; ``archive`` verifies and caches what
        arrives, and fetches again (raising its error) what failed."""
        for name, version, sha256 in pins:
            if name in self._local or sha256 in self._ahead or self._blob_cache().has(sha256):
                continue
            registry = self._registry_for(name)
            if registry is None or getattr(registry, "local", False) or not getattr(registry, "concurrent_reads", False):
                continue
            if self._background is None:
                from agentpack.adapters.background import Background

                self._background = Background()
            self._ahead[sha256] = self._background.submit(self._fetch_kept, registry, name, version, sha256,
                                                          self._blob_cache())

    @staticmethod
    def _fetch_kept(registry, name: str, version: str, sha256: str, cache) -> tuple[bytes, bool]:
        """(the archive of name@version, whether it hashed to ``sha256`` and was put in ``cache``):
        run by a worker, so that hashing and storing it overlap with what the caller does meanwhile."""
        import hashlib

        data = registry.fetch_archive(name, version)
        if hashlib.sha256(data).hexdigest() != sha256:
            return data, False
        cache.put(data)
        return data, True

    def cache_archive(self, data: bytes) -> str:
        return self._blob_cache().put(data)

    # -- internals -------------------------------------------------------------------------
    @cached_property
    def _routing(self) -> Routing:
        return self._routing_fn()

    @cached_property
    def _cache_dir(self) -> str:
        return self._cache_dir_fn()

    @cached_property
    def _registry_options(self):
        """How to reach registries across a network, keeping fetched documents below this source's
        cache directory unless the options name another."""
        from agentpack.adapters.registry import RegistryOptions
        from agentpack.core.records import replace

        options = self._options_fn() if self._options_fn is not None else RegistryOptions()
        return replace(options, cache_dir=options.cache_dir or self._cache_dir)

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

    def _registries(self, slots) -> list[tuple[RegistrySlot, object]]:
        """The registries of ``slots``, each opened once; under --offline only those on this
        machine (directories): a registry across the network is then read from the copies the
        cache kept (``_load_index``)."""
        from agentpack.adapters.registry import open_registry

        opened = []
        for slot in slots:
            if slot not in self._opened:
                self._opened[slot] = open_registry(slot.location, base_dir=slot.base_dir,
                                                   options=self._registry_options)
            registry = self._opened[slot]
            if getattr(registry, "local", False) or not self._offline:
                opened.append((slot, registry))
        return opened

    def _registry_for(self, name: str):
        self.index(name)
        return self._indexes.get(name, ({}, None))[1]

    def answered_by(self, name: str) -> str | None:
        """The location of the registry whose index of ``name`` this source has read (None: none
        was read, the package came from an archive on the command line, or offline from the
        cache's copy). Reads nothing."""
        registry = self._indexes.get(name, ({}, None))[1]
        return None if registry is None or name in self._local else registry.url

    def listing_of(self, name: str) -> str | None:
        """How the registry that answered for ``name`` listed its versions, when it says (an OCI
        registry: its tags list); None otherwise. Reads nothing."""
        registry = self._indexes.get(name, ({}, None))[1]
        return getattr(registry, "listing", None) if registry is not None and name not in self._local else None

    def _load_index(self, name: str) -> tuple[dict, object | None]:
        """The index of ``name`` from the registries routed for it: each holding one is checked
        for rollback; when more than one holds it (the list form) they must agree."""
        found = []
        for _slot, registry in self._registries(self._routing.for_name(name)):
            try:
                index = registry.package_index(name)
            except PackageNotFound:
                self._serials.check_still_served(registry, name)
                continue
            except RegistryError:
                if self._offline:
                    continue  # a local registry that is not there: offline falls back to the cache
                raise
            self._serials.check(registry, name, index)  # before the cache keeps a copy of it
            found.append((registry, index))
        if found:
            registry, index = found[choose_answer(name, [(r.url, i.get("versions", {})) for r, i in found])]
            if self._keep_indexes:
                self._blob_cache().save_index(name, index)
            return index.get("versions", {}), registry
        if self._offline:
            copy = self._blob_cache().load_index(name)
            return (copy or {}).get("versions", {}), None
        return {}, None

    def remember_serials(self) -> None:
        """Write the index serials accepted so far (a source made with ``defer_serials``, whose
        caller calls this once its reads are done, and after a failure as well)."""
        self._serials.remember_pending()

    def check_pins_listed(self, pins: dict[str, str]) -> None:
        """Raise ``RollbackError`` naming every ``name@version`` of ``pins`` (from agentops.lock)
        that the registry index read now does not list: re-resolving would move it silently."""
        from agentpack.core.index_serial import check_pinned_versions

        def registry_url(name: str) -> str:
            registry = self._registry_for(name)
            return registry.url if registry is not None else self.describe(name)

        check_pinned_versions(pins, lambda name: self.index(name) or None, registry_url)

    def describe(self, name: str | None = None) -> str:
        """The registries asked for ``name`` (every registry without one), for messages."""
        if self._offline:
            return "the local cache and local registries (offline)"
        slots = self._routing.for_name(name) if name is not None else self._routing.registries()
        return ", ".join(_described(slot) for slot in slots)


def _described(slot: RegistrySlot) -> str:
    """A registry's location, with the team routed to it (``/srv/alpha (team team-alpha)``)."""
    return f"{slot.location} ({slot.why})" if slot.why.startswith("team ") else slot.location


def release_notices(source: PackageSource, pins: dict[str, str]) -> tuple[list[dict], list[dict]]:
    """What the registries say about the ``{name: version}`` pins, sorted by name: the yanked ones
    (``{"name", "version", "reason"}``) and the deprecated ones (``{"name", "version", "message"}``),
    texts cleaned for printing (core.release_marks). Best effort: a package whose index cannot be
    read now (a registry out of reach, offline with no copy) adds nothing, since these are notices
    about versions already chosen, never a reason to fail."""
    yanked, deprecated = [], []
    for name, version in sorted(pins.items()):
        try:
            record = source.index(name).get(version)
        except AgentpackError:
            continue
        if not isinstance(record, dict):
            continue
        reason, message = mark_text(record, YANKED), mark_text(record, DEPRECATED)
        if reason is not None:
            yanked.append({"name": name, "version": version, "reason": reason})
        if message is not None:
            deprecated.append({"name": name, "version": version, "message": message})
    return yanked, deprecated


def highest_published(index: dict[str, dict], *, installable: bool = False) -> str | None:
    """The highest non-prerelease version in an index (or the highest prerelease if only those);
    with ``installable``, of the versions that are not yanked (None when all are)."""
    versions = []
    for text in index:
        if installable and is_yanked(index[text]):
            continue
        try:
            versions.append(parse_version(text))
        except InvalidVersion:
            continue
    if not versions:
        return None
    releases = [v for v in versions if not v.is_prerelease]
    return str(max(releases or versions))

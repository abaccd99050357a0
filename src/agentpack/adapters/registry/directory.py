"""A registry that is a plain directory: the embedded default and the air-gap registry.

Layout below ROOT::

    config.json                 {"protocol": 1, "blobs": "blobs/sha256/", "api": null}: the read
                                protocol's entry point for HTTP clients (docs/registry-protocol.md);
                                written on the first write, and by any write to a registry without it
    registry.json               {"format": 1}; marks the directory as a registry (settings go here)
    blobs/sha256/<hex>          archive bytes, named by their SHA-256
    index/<name>.json           one package: {"name", "serial", "versions": {version: record}}, versions
                                by precedence (a namespaced "team/x" lives in index/team/x.json);
                                "serial" grows on every write (see core.index_serial)
    catalog.json                {"packages": {name: {"latest", "description", "components",
                                "versions", "yanked"?, "deprecated"?}}}, derived from the indexes
                                for list and search
    .lock                       held by a publisher while it writes

Readers take no lock and need no write access, so the tree can be served read-only by any static
web server or copied onto removable media. That works because every file is replaced atomically
(temporary file + ``os.replace``): a reader sees the old file or the new one, never half of one.
Writers serialise on ``.lock`` and check for an existing version while holding it, which is what
makes "exactly one of two racing publishers of 1.0.0 wins" true. Blobs are content-addressed, so
writing one twice is harmless.

Yanking and deprecating (``mark_yanked``, ``mark_deprecated``) rewrite one index under the same
lock, with a higher serial; they never touch a blob.

The catalog is derived state: every write (publish, bundle load, yank, deprecate) rebuilds it from the indexes
and replaces it whenever it disagrees, even when nothing new was added, so a writer killed between
an index and the catalog is repaired by the next write (or by ``agentops registry verify --repair``).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator

from agentpack.adapters.cache import blob_path, is_sha256, sha256_hex
from agentpack.adapters.locking import FileLock
from agentpack.adapters.paths import (
    make_dirs,
    open_no_follow,
    read_within,
    refuse_links,
    write_atomic,
    write_fully,
)
from agentpack.adapters.registry import documents
from agentpack.adapters.registry.base import COMPONENT_KINDS, BatchPublish
from agentpack.adapters.registry.documents import FORMAT, is_valid_name
from agentpack.core.index_serial import next_serial
from agentpack.core.limits import MAX_JSON_BYTES
from agentpack.core.release_marks import (
    DEPRECATED,
    carried_marks,
    is_yanked,
    mark_text,
    with_marks_of,
)
from agentpack.errors import (
    InvalidVersion,
    PackageNotFound,
    RegistryError,
    VersionExists,
)

# What may already be in a directory we turn into a registry; anything else means "not ours".
_REGISTRY_ENTRIES = frozenset({"config.json", "registry.json", "catalog.json", "blobs", "index", ".lock"})
_MISSING_HINT = "publish a package to it first, or check --registry / AGENTOPS_REGISTRY"


class DirectoryRegistry(BatchPublish):
    """A ``Registry`` stored in the directory ``root`` (see the module docstring for the layout).

    With ``create=True`` the directory is made a registry straight away; otherwise nothing is
    touched until the first ``publish``, which creates it. ``url`` is the location as the user gave
    it (defaults to ``root``); ``lock_timeout`` is how long a publisher waits for another one.
    """

    local = True  # a directory on this machine: readable under --offline
    writable = True

    def __init__(
        self, root: str, create: bool = False, *, url: str | None = None, lock_timeout: float = 60.0,
        options: object = None,
    ) -> None:
        # ``options`` (base.RegistryOptions) are for registries across a network; a directory needs none.
        self.root = os.path.abspath(os.fspath(root))
        self.url = url if url is not None else os.fspath(root)
        self.lock_timeout = lock_timeout
        self._identity: str | None = None
        self._format_checked = False  # registry.json read and found good once: reads need not again
        if create:
            with self._writing():
                pass

    @property
    def identity(self) -> str:
        """The registry's stable identity for what a client remembers: its resolved directory."""
        if self._identity is None:
            self._identity = "file://" + os.path.realpath(self.root)
        return self._identity

    # -- reading (no lock, no writes) --------------------------------------------------------

    def list_packages(self) -> list[str]:
        """The names of all packages in the registry, sorted (from the catalog)."""
        return sorted(self.catalog()["packages"])

    def catalog(self) -> dict:
        """The catalog: ``{"packages": {name: {"latest", "description", "keywords", "components", "versions"}}}``.

        For listing and searching without reading every index. Raises ``RegistryError`` if the
        registry is missing or the catalog is malformed.
        """
        self._check_registry()
        path = os.path.join(self.root, "catalog.json")
        try:
            catalog = _load_json(path)
        except FileNotFoundError:
            return {"packages": {}}
        return documents.checked_catalog(catalog, path, _malformed)

    def package_index(self, name: str) -> dict:
        """``{"name": name, "serial": serial, "versions": {version: record}}``, versions by precedence
        (lowest first); ``serial`` is 0 for an index written before serials existed."""
        path = self._index_path(name)
        self._check_registry()
        try:
            index = _load_json(path)
        except FileNotFoundError:
            raise self._no_package(name) from None
        return documents.checked_index(index, name, path, _malformed)

    def fetch_archive(self, name: str, version: str) -> bytes:
        """The archive of ``name@version``, verified against its recorded sha256 and size."""
        record = documents.archive_record(self.package_index(name), version, self.url, self._index_path(name),
                                          _malformed)
        path = blob_path(self.root, record["sha256"])
        return documents.verified_archive(
            self._read_blob(record["sha256"], what=f"{name}@{version}"), record, self.url, path=path,
            hint="the registry's copy has been modified or damaged; restore the registry from a backup "
                 "(published versions cannot be replaced)")

    def read_blob(self, sha256: str) -> bytes:
        """The raw bytes stored under ``sha256`` (not verified)."""
        if not is_sha256(sha256):
            raise RegistryError(f"not a sha256 digest (64 lowercase hex digits): {sha256!r}")
        self._check_registry()
        return self._read_blob(sha256, what=f"sha256:{sha256}")

    def search(self, query: str, *, keyword: str | None = None, category: str | None = None) -> None:
        """None: a directory has no search of its own (see ``Registry.search``)."""
        return None

    def settings(self) -> dict:
        """registry.json as a dict (``{}`` while the registry does not exist): ``format`` and,
        when set, ``classification``, the highest level the registry may hold."""
        marker = os.path.join(self.root, "registry.json")
        try:
            settings = _load_json(marker)
        except FileNotFoundError:
            return {}
        if not isinstance(settings, dict):
            raise _malformed(marker, "expected an object with an integer 'format'")
        return settings

    # -- writing (under the lock) ------------------------------------------------------------

    def update_settings(self, values: dict) -> dict:
        """Make the directory a registry if it is not one, merge ``values`` into registry.json
        (``format`` cannot be changed) and return the settings as stored."""
        marker = os.path.join(self.root, "registry.json")
        with self._writing():
            settings = {**_load_json(marker), **values, "format": FORMAT}
            write_atomic(marker, _dump(settings), root=self.root)
        return settings

    def publish(self, archive: bytes, record: dict) -> dict:
        """Add ``name@version``; ``VersionExists`` if it (or an equal-precedence version) exists.

        See ``Registry.publish``. The index and catalog are computed in full before anything is
        written, so a malformed index elsewhere stops the publish without leaving half of it.
        """
        return self._add([(archive, record)], keep_identical=False)[0][0]

    def import_versions(self, items: list[tuple[bytes, dict]], staged=None) -> list[tuple[dict, bool]]:
        """Add many versions at once (``bundle load``): ``[(stored record, imported)]`` in order.

        All or nothing, under one lock: a version the registry already holds with the same sha256
        is kept (``imported`` False; its blob is written again if it went missing), while one held
        with other content, or an equal-precedence version, raises ``VersionExists`` naming every
        such version before anything is written. ``staged`` (``stage_blobs``) holds blobs already
        written as temporary files: those are renamed into place instead of written again.
        """
        return self._add(items, keep_identical=True, staged=staged)

    def stage_blobs(self, blobs, *, checked: bool = False):
        """Write ``blobs`` (``(sha256, pieces)`` pairs) ahead of an import that may or may not
        happen (see ``staged_blobs``; ``checked``: the caller verifies their digests itself): a
        ``StagedBlobs`` to pass to ``import_versions`` and to ``discard`` afterwards. Nothing is
        staged into a directory that is not a registry's."""
        from agentpack.adapters.registry.staged_blobs import StagedBlobs

        self._refuse_foreign_directory()
        return StagedBlobs.write(self.root, blobs, checked=checked)

    def _add(self, items: list[tuple[bytes, dict]], *, keep_identical: bool, staged=None) -> list[tuple[dict, bool]]:
        stored = [(archive, make_record(archive, record, staged.digest(record.get("sha256")) if staged else None))
                  for archive, record in items]
        for _archive, record in stored:
            self._index_path(record["name"])  # InvalidName before the lock is taken
        with self._writing():
            indexes: dict[str, dict] = {}
            outcome, conflicts, blobs, changed = [], [], [], set()
            for archive, record in stored:
                name, version = record["name"], record["version"]
                if name not in indexes:
                    indexes[name] = self._current_index(name)
                versions = indexes[name]["versions"]
                held = versions.get(version)
                if keep_identical and held is not None and held.get("sha256") == record["sha256"]:
                    kept = with_marks_of(held, record)  # a yank or deprecation made since is added
                    if kept is not held:
                        versions[version] = kept
                        changed.add(name)
                    outcome.append((kept, False))
                    if not _blob_intact(blob_path(self.root, record["sha256"]), record["size"]):
                        blobs.append((record["sha256"], archive))
                    continue
                clash = _clash(versions, version, self._index_path(name))
                if clash is not None:
                    conflicts.append((record, clash, held))
                    continue
                versions[version] = record
                outcome.append((record, True))
                blobs.append((record["sha256"], archive))
                changed.add(name)
            if conflicts:
                raise version_exists(conflicts, self.url)
            now_ms = int(time.time() * 1000)
            new_indexes = {name: {"name": name, "serial": next_serial(indexes[name], now_ms),
                                  "versions": _by_precedence(indexes[name]["versions"], self._index_path(name))}
                           for name in sorted(changed)}
            index_bytes = {name: _dump(index) for name, index in new_indexes.items()}
            self._write_all(blobs, index_bytes, self.stale_catalog(replace=new_indexes), staged)
        return outcome

    def mark_yanked(self, name: str, version: str, mark: dict | None) -> bool:
        """Yank ``name@version`` with ``mark`` (``{"reason", "at"}``), or take its yank back when
        ``mark`` is None; whether its record changed. See ``Registry.mark_yanked``."""
        from agentpack.core.versions import parse_version

        parse_version(version)  # InvalidVersion for a text that could never be published
        choose = documents.yank_chooser(name, version, mark, self.url)
        return self._remark(name, choose)[version]

    def mark_deprecated(self, name: str, range_text: str, mark: dict | None) -> dict[str, bool]:
        """Deprecate every version of ``name`` in ``range_text`` (prereleases included) with
        ``mark`` (``{"message", "at"}``), or take the deprecation back when ``mark`` is None;
        ``{version: whether its record changed}``. See ``Registry.mark_deprecated``."""

        choose = documents.deprecation_chooser(name, range_text, mark, self.url)  # InvalidRange first
        return self._remark(name, choose)

    def _remark(self, name: str, choose) -> dict[str, bool]:
        """Under the lock: ``choose(versions)`` gives the new records of some versions of ``name``;
        when any differs, the index is written with a higher serial and the catalog rebuilt.
        ``{version: whether its record changed}``. The archives are never touched."""
        self._index_path(name)  # InvalidName before the lock is taken
        self._check_registry()  # marking never creates a registry
        with self._writing():
            current = self._current_index(name)
            if not current["versions"]:
                raise self._no_package(name)
            _parsed(current["versions"], self._index_path(name))  # a bad version text: a malformed index
            updated = choose(current["versions"])
            changed = {version: record != current["versions"][version] for version, record in updated.items()}
            if any(changed.values()):
                new_index = {"name": name, "serial": next_serial(current, int(time.time() * 1000)),
                             "versions": {**current["versions"], **updated}}
                self._write_all([], {name: _dump(new_index)}, self.stale_catalog(replace={name: new_index}))
        return changed

    def _no_package(self, name: str) -> PackageNotFound:
        return PackageNotFound(
            f"package {name} not found in registry {self.url}",
            hint="check the package name, and that --registry / AGENTOPS_REGISTRY "
            "points at the registry you meant",
        )

    def _current_index(self, name: str) -> dict:
        path = self._index_path(name)
        try:
            current = _load_json(path)
        except FileNotFoundError:
            return {"name": name, "versions": {}}
        _check_index(current, path)
        return {"name": name, "serial": _checked_serial(current, path), "versions": dict(current["versions"])}

    def _write_all(self, blobs: list[tuple[str, bytes]], index_bytes: dict[str, bytes],
                   catalog_bytes: bytes | None, staged=None) -> None:
        """Blobs first, then indexes, then the catalog: a reader (or a crash) never sees an index
        naming a blob that is not there. One version fsyncs each of its three files; a batch
        instead writes each group unsynced and flushes it with one ``os.sync()``, as per-file
        fsyncs cost more than the rest of a 200-package import together. A blob in ``staged``
        (already written and flushed) is renamed into place."""
        each = len(blobs) + len(index_bytes) <= 2 or not hasattr(os, "sync")  # os.sync is Unix only
        for sha256, archive in blobs:
            final = blob_path(self.root, sha256)
            temporary = staged.take(sha256) if staged is not None else None
            if temporary is not None:
                try:
                    refuse_links(self.root, os.path.dirname(final))
                    os.replace(temporary, final)  # replaces a link planted meanwhile, never writes through it
                    continue
                except FileNotFoundError:  # removed meanwhile (a registry check): written below,
                    if sha256_hex(archive) != sha256:  # if they are the bytes its record describes
                        raise RegistryError(f"a staged archive of registry {self.url} went missing, and "
                                            f"the bytes given for it are not sha256 {sha256}") from None
            write_atomic(final, archive, durable=each, root=self.root)
        if not each:
            os.sync()
        fresh = not each and self._write_index_tree(index_bytes)
        for name, data in ({} if fresh else index_bytes).items():
            write_atomic(self._index_path(name), data, durable=each, root=self.root)
        if catalog_bytes is not None:
            write_atomic(os.path.join(self.root, "catalog.json"), catalog_bytes, durable=each,
                         root=self.root)
        if not each:
            os.sync()

    def _write_index_tree(self, index_bytes: dict[str, bytes]) -> bool:
        """A registry's first indexes (``index/`` does not exist): written into a temporary folder
        beside it and renamed into place at once, instead of one temporary file and one rename
        each (a bundle of 200 packages loaded into a new registry). Readers see no index, then
        all of them. Whether it was done: False when ``index/`` exists, and the caller writes
        each. The caller holds the lock; the flush after the renames covers these files too."""
        final = os.path.join(self.root, "index")
        if os.path.lexists(final):
            return False
        temporary = os.path.join(self.root, f".index.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        made = set()
        try:
            for name, data in index_bytes.items():
                path = temporary + self._index_path(name)[len(final):]
                if os.path.dirname(path) not in made:
                    make_dirs(self.root, os.path.dirname(path))
                    made.add(os.path.dirname(path))
                fd = open_no_follow(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                try:
                    write_fully(fd, data)
                finally:
                    os.close(fd)
            os.rename(temporary, final)
        except BaseException:
            import shutil

            shutil.rmtree(temporary, ignore_errors=True)
            raise
        return True

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold ``.lock`` on an initialised registry; an OSError inside (a read-only mount, a full
        disk) becomes a ``RegistryError`` naming the registry."""
        try:
            self._refuse_foreign_directory()  # before locking too, so a refused directory gets no .lock
            os.makedirs(self.root, exist_ok=True)
            with FileLock(os.path.join(self.root, ".lock"), self.lock_timeout, "registry"):
                self._initialize()
                yield
        except OSError as error:
            raise RegistryError(
                f"cannot write to registry {self.url}: {error.strerror or error}",
                path=error.filename or self.root,
            ) from error

    def _initialize(self) -> None:
        """Mark ``root`` as a registry if it is not one yet (called with the lock held). The
        marker, registry.json, is written last: a process killed before it leaves a folder that is
        not a registry yet (and that the next write initialises), never a registry without its
        config.json or catalog.json."""
        marker = os.path.join(self.root, "registry.json")
        config = os.path.join(self.root, documents.CONFIG_FILE)
        if os.path.exists(marker):
            self._check_format(marker)
        else:
            self._refuse_foreign_directory()
        if not os.path.exists(config):  # new, or a registry made before the read protocol was written down
            write_atomic(config, _dump(documents.config_document()), root=self.root)
        if not os.path.exists(marker):
            write_atomic(os.path.join(self.root, "catalog.json"), _dump({"packages": {}}), root=self.root)
            write_atomic(marker, _dump({"format": FORMAT}), root=self.root)

    def _refuse_foreign_directory(self) -> None:
        """Never litter a directory that holds something else (``--registry .`` by mistake)."""
        try:
            entries = set(os.listdir(self.root))
        except FileNotFoundError:
            return
        # Temporary files of another process initialising the registry right now are not strangers.
        strangers = sorted(e for e in entries - _REGISTRY_ENTRIES if not _is_temporary(e))
        if strangers and "registry.json" not in entries:
            raise RegistryError(
                f"{self.url} is not an agentpack registry and is not empty "
                f"(found {', '.join(strangers[:5])}); refusing to write into it",
                path=self.root,
                hint="choose a new or empty directory for the registry",
            )

    def stale_catalog(self, replace: dict[str, dict] | None = None) -> bytes | None:
        """The catalog rebuilt from every index (with ``replace`` used instead of the indexes it
        names), or None when catalog.json already holds exactly that. Raises ``RegistryError`` for a
        malformed index: a catalog is never rebuilt without a package that is merely unreadable."""
        wanted = _dump(self._build_catalog(replace=replace or {}))
        try:
            with open(os.path.join(self.root, "catalog.json"), "rb") as stream:
                current = stream.read()
        except FileNotFoundError:
            current = None
        return None if current == wanted else wanted

    def _build_catalog(self, replace: dict[str, dict]) -> dict:
        """The catalog of every index on disk, with the indexes in ``replace`` used instead."""
        indexes = dict(self._all_indexes())
        indexes.update(replace)
        return {"packages": {name: catalog_entry(indexes[name]) for name in sorted(indexes)}}

    def _all_indexes(self):
        top = os.path.join(self.root, "index")
        for directory, subdirs, files in os.walk(top):
            subdirs[:] = [d for d in subdirs if not d.startswith(".")]
            for file in files:
                if _is_temporary(file) or not file.endswith(".json"):
                    continue  # temporary files of an interrupted write, strays
                path = os.path.join(directory, file)
                name = os.path.relpath(path, top)[: -len(".json")].replace(os.sep, "/")
                if is_valid_name(name):
                    index = _load_json(path)
                    _check_index(index, path)
                    _checked_serial(index, path)
                    yield name, {"name": name, "versions": index["versions"]}

    # -- helpers ------------------------------------------------------------------------------

    def _index_path(self, name: object) -> str:
        return os.path.join(self.root, "index", *documents.checked_name(name).split("/")) + ".json"

    def _check_registry(self) -> None:
        # Once per object: a command reading 200 indexes reads registry.json once, not 200 times.
        if self._format_checked:
            return
        if not os.path.isdir(self.root):
            raise RegistryError(f"registry {self.url} does not exist", path=self.root, hint=_MISSING_HINT)
        marker = os.path.join(self.root, "registry.json")
        if not os.path.exists(marker):
            raise RegistryError(
                f"{self.url} is not an agentpack registry (no registry.json)",
                path=self.root,
                hint=_MISSING_HINT,
            )
        self._check_format(marker)
        self._format_checked = True

    def _check_format(self, marker: str) -> None:
        try:
            settings = _load_json(marker)
        except FileNotFoundError:
            return
        documents.check_settings(settings, marker, self.url, _malformed)

    def _read_blob(self, sha256: str, what: str) -> bytes:
        path = blob_path(self.root, sha256)
        from agentpack.adapters.archive_rules import ArchiveLimits

        limit = ArchiveLimits().max_archive_size
        try:
            with open(path, "rb") as stream:
                data = read_within(stream, limit)
            if data is None:
                raise RegistryError(
                    f"registry {self.url} holds a blob for {what} larger than any valid archive "
                    f"({limit} bytes); it was not read", path=path,
                    hint="the registry is damaged: run `agentops registry verify --registry "
                    f"{self.url}` and restore the blob from a backup or by loading its bundle again")
            return data
        except FileNotFoundError:
            raise RegistryError(
                f"registry {self.url} has no blob for {what} (sha256 {sha256})",
                path=path,
                hint="the registry is incomplete; restore its blobs/ directory from a backup",
            ) from None
        except OSError as error:
            raise RegistryError(f"cannot read {path}: {error.strerror}", path=path) from error


def make_record(archive: bytes, record: dict, staged: tuple[str, int] | None = None) -> dict:
    """The record to store: identity and content from the caller, digest and size from the bytes,
    or from ``staged`` (the digest and size this registry took of the file it staged for them,
    which is what it stores: see ``StagedBlobs``)."""
    from agentpack.core.versions import parse_version  # raises InvalidVersion for a bad version

    version = record.get("version")
    if not isinstance(version, str):
        raise RegistryError(f"cannot publish {record.get('name')}: the record has no version")
    parse_version(version)
    components = record.get("components") or {}
    published_at = record.get("published_at")
    if not isinstance(published_at, str) or not published_at:
        published_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    stored = {
        "name": record["name"],  # already checked by the caller
        "version": version,
        "sha256": staged[0] if staged else sha256_hex(archive),
        "size": staged[1] if staged else len(archive),
        "manifest": dict(record.get("manifest") or {}),
        "components": {kind: int(components.get(kind, 0)) for kind in COMPONENT_KINDS},
        "published_at": published_at,
    }
    if record.get("allow_breaking") is True:  # a release published despite the semver check
        stored["allow_breaking"] = True
    if isinstance(record.get("signature"), dict):  # the detached signature, verified by the publisher
        stored["signature"] = dict(record["signature"])
    stored.update(carried_marks(record))  # a yank or deprecation a bundle carries
    return json.loads(_dump(stored))  # exactly as readers will see it (a YAML date becomes its text)


def _clash(versions: dict, version: str, path: str) -> str | None:
    """The version already in ``versions`` that ``version`` may not join, or None.

    Versions are immutable; two versions of equal precedence (differing only in build metadata,
    e.g. 1.0.0+a and 1.0.0+b) are refused too, since a resolver could not choose between them.
    """
    from agentpack.core.versions import parse_version

    wanted = parse_version(version)
    for existing, other in _parsed(versions, path):
        if other == wanted:  # Version equality is precedence: build metadata is ignored
            return existing
    return None


def version_exists(conflicts: list[tuple[dict, str, dict | None]], url: str) -> VersionExists:
    """One error naming every refused version: ``(new record, the version held, its record)``."""
    described = []
    for record, existing, held in conflicts:
        slot = f"{record['name']}@{record['version']}"
        if existing != record["version"]:
            described.append(f"{slot} (same precedence as {existing})")
        elif held is not None and held.get("sha256") != record["sha256"]:
            described.append(f"{slot} (other content: registry sha256 {held.get('sha256')}, new {record['sha256']})")
        else:
            described.append(slot)
    verb = "exists" if len(described) == 1 else "exist"
    return VersionExists(f"{', '.join(described)} already {verb} in registry {url}",
                         hint="published versions never change; bump the version in package.yaml")


def _by_precedence(versions: dict, path: str) -> dict:
    ordered = sorted(_parsed(versions, path), key=lambda pair: pair[1])
    return {text: versions[text] for text, _ in ordered}


def _parsed(versions: dict, path: str) -> list:
    """``[(text, Version)]`` for the versions of an index; a bad version text means a bad index."""
    from agentpack.core.versions import parse_version

    try:
        return [(text, parse_version(text)) for text in versions]
    except InvalidVersion as error:
        raise _malformed(path, error.message) from error


def catalog_entry(index: dict) -> dict:
    """A package's catalog entry. ``latest`` is what a bare install would choose: the highest
    version not yanked, preferring a release; ``None`` when every version is yanked. The
    description, keywords, components and deprecation are then those of the highest version.
    ``category``, ``yanked`` and ``deprecated`` appear only when there is something to say, so that
    a registry without them keeps the catalog it always had."""
    versions = list(index["versions"])
    installable = [v for v in versions if not is_yanked(index["versions"][v])]
    # SemVer: a hyphen before any "+" marks a pre-release; "latest" prefers a release.
    releases = [v for v in installable if "-" not in v.partition("+")[0]]
    latest = (releases or installable)[-1] if installable else None
    described = latest or (versions[-1] if versions else None)
    record = index["versions"][described] if described else {}
    manifest = record.get("manifest") or {}
    entry = {
        "latest": latest,
        "description": manifest.get("description", ""),
        "keywords": [str(k) for k in manifest.get("keywords") or []],
        "components": record.get("components", {}),
        "versions": versions,
    }
    if isinstance(manifest.get("category"), str):
        entry["category"] = manifest["category"]
    if len(installable) < len(versions):
        entry["yanked"] = [v for v in versions if is_yanked(index["versions"][v])]
    message = mark_text(record, DEPRECATED)
    if message is not None:
        entry["deprecated"] = message
    return entry


def _blob_intact(path: str, size: int) -> bool:
    try:
        return os.path.getsize(path) == size
    except OSError:
        return False


def _is_temporary(file_name: str) -> bool:
    return file_name.startswith(".") and file_name.endswith(".tmp")  # see paths.write_atomic


def _check_index(index: object, path: str) -> None:
    documents.check_index(index, path, _malformed)


def _checked_serial(index: dict, path: str) -> int:
    return documents.checked_serial(index, path, _malformed)


def _load_json(path: str) -> object:
    """Parse a JSON file; FileNotFoundError propagates, anything else unreadable is RegistryError."""
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_JSON_BYTES + 1)  # enough for parse_json to refuse an oversize file
    except FileNotFoundError:
        raise
    except OSError as error:
        raise RegistryError(f"cannot read {path}: {error.strerror}", path=path) from error
    return documents.parse_document(data, path, _malformed)


def _malformed(path: str, detail: str) -> RegistryError:
    hint = "restore it from a backup or repair it by hand"
    if os.path.basename(path) == "catalog.json":
        hint = "run `agentops registry verify --repair`, which rebuilds it from the indexes"
    return RegistryError(f"malformed registry file {path}: {detail}", path=path, hint=hint)


def _dump(value: dict) -> bytes:
    # No sort_keys: version order (by precedence) is meaningful. default=str: YAML turns an unquoted
    # 2024-05-01 in package.yaml into a date, which is stored as its ISO text. No indent: json's
    # C encoder is used only without one, and a catalog of thousands of packages is rewritten on
    # every publish.
    return (json.dumps(value, ensure_ascii=False, default=str) + "\n").encode("utf-8")

"""The registry a registry server holds: version records in the metadata store, archives in a
blob store. It is a ``Registry`` like any other, so the server publishes, checks releases and
marks versions through the same services and rules as a directory registry.

It is not chosen by a URL scheme: the server builds it from its own settings. Who may see what is
not its business (the server filters by core.access); it answers for every package it holds.
"""

from __future__ import annotations

import time

from agentpack.adapters.registry import documents
from agentpack.core.classification import DEFAULT_LEVELS
from agentpack.errors import PackageNotFound, RegistryError


class StoredRegistry:
    """A ``Registry`` over ``store`` (adapters.metadata.store.MetadataStore) and ``blobs``
    (adapters.blob_store.BlobStore); ``url`` names it in messages."""

    local = True
    writable = True

    def __init__(self, store, blobs, *, url: str = "the registry server", levels=DEFAULT_LEVELS) -> None:
        self.store = store
        self.blobs = blobs
        self.url = url
        self.identity = url
        self.levels = tuple(levels)

    # -- reading -------------------------------------------------------------------------------

    def list_packages(self) -> list[str]:
        """Every package name, sorted."""
        return sorted(self.catalog()["packages"])

    def catalog(self) -> dict:
        """The catalog of every package (see ``Registry.catalog``), derived like a directory's."""
        from agentpack.adapters.registry.directory import catalog_entry

        return {"packages": {index["name"]: catalog_entry(index) for index in self.indexes()}}

    def indexes(self) -> list[dict]:
        """Every package's index (``{"name", "team", "serial", "versions"}``, versions by precedence)."""
        return [_ordered(package) for package in self.store.all_packages()]

    def package_index(self, name: str) -> dict:
        """``{"name", "serial", "versions"}`` of ``name``, versions by precedence; ``PackageNotFound``."""
        documents.checked_name(name)
        package = self.store.package(name)
        if package is None or not package["versions"]:
            raise PackageNotFound(f"package {name} not found in registry {self.url}",
                                  hint="check the package name and the registry")
        index = _ordered(package)
        return {"name": name, "serial": index["serial"], "versions": index["versions"]}

    def fetch_archive(self, name: str, version: str) -> bytes:
        """The archive of ``name@version``, verified against its record."""
        record = documents.archive_record(self.package_index(name), version, self.url, name, _malformed)
        data = self.read_blob(record["sha256"])
        return documents.verified_archive(data, record, self.url, path=record["sha256"],
                                          hint="the server's blob store holds a damaged archive; restore it")

    def read_blob(self, sha256: str) -> bytes:
        """The raw bytes stored under ``sha256``."""
        stream = self.blobs.open(sha256)
        if stream is None:
            raise RegistryError(f"registry {self.url} has no blob sha256:{sha256}")
        with stream:
            return stream.read()

    def search(self, query: str, *, keyword: str | None = None, category: str | None = None) -> None:
        """None: who may see what is the server's business, so the server searches the store with
        the caller's rights itself (ServerState.search), never through this unfiltered view."""
        return None

    def settings(self) -> dict:
        """``registry.json``: the format and the classification scale teams are measured on."""
        return {"format": documents.FORMAT, "classification_levels": list(self.levels)}

    # -- writing -------------------------------------------------------------------------------

    def publish(self, archive: bytes, record: dict, *, quota: tuple[int | None, int | None] = (None, None)) -> dict:
        """Add one version (see ``Registry.publish``): the blob first, then the record in one
        transaction, so a server killed in between leaves an orphan blob, never a version without
        its archive. ``quota`` (bytes, versions) bounds the package's team."""
        from agentpack.core.access import team_of
        from agentpack.core.versions import parse_version

        name = documents.checked_name(record.get("name"))
        stored = _stored_record(archive, record)
        precedence = str(parse_version(stored["version"])).partition("+")[0]
        self.blobs.put(stored["sha256"], archive)
        try:
            self.store.add_version(name, team_of(name), precedence, stored, int(time.time() * 1000), quota)
        except RegistryError as error:
            if error.code == "version-exists":
                error.message = f"{error.message} in registry {self.url}"
                error.args = (error.message,)
            raise
        return stored

    def mark_yanked(self, name: str, version: str, mark: dict | None, *, visible=None) -> bool:
        """Yank ``name@version`` or take the yank back (see ``Registry.mark_yanked``); only among
        the versions whose records ``visible`` accepts, when given (the caller's)."""
        self.package_index(name)  # PackageNotFound for a package it does not hold
        choose = documents.yank_chooser(name, version, mark, self.url, visible)
        return self.store.remark(name, choose, int(time.time() * 1000))[version]

    def mark_deprecated(self, name: str, range_text: str, mark: dict | None, *, visible=None) -> dict[str, bool]:
        """Deprecate the versions of ``name`` in ``range_text`` (see ``Registry.mark_deprecated``);
        only those whose records ``visible`` accepts, when given (the caller's)."""
        choose = documents.deprecation_chooser(name, range_text, mark, self.url, visible)
        self.package_index(name)
        return self.store.remark(name, choose, int(time.time() * 1000))


def _stored_record(archive: bytes, record: dict) -> dict:
    """The record to store, exactly as a directory registry stores it (digest and size from the
    bytes), plus ``allow_unresolved`` when the publisher asked for it."""
    from agentpack.adapters.registry.directory import make_record

    stored = make_record(archive, record)
    if record.get("allow_unresolved") is True:
        stored["allow_unresolved"] = True
    return stored


def _ordered(package: dict) -> dict:
    from agentpack.core.versions import parse_version

    versions = package["versions"]
    order = sorted(versions, key=parse_version)
    return dict(package, versions={text: versions[text] for text in order})


def _malformed(source: str, detail: str) -> RegistryError:
    return RegistryError(f"malformed record in the metadata store ({source}): {detail}")

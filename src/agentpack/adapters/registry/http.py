"""A registry read over HTTP(S) with plain GETs: a directory registry served by any static web server.

The read protocol is written down in docs/registry-protocol.md: ``config.json`` at the registry's
root says which protocol version it speaks and where blobs are (a registry without one is read as
protocol 1, the directory layout); ``catalog.json``, ``index/<name>.json`` and ``registry.json``
sit at fixed paths below the root; archives are ``<blobs><sha256>``.

What is read is untrusted, exactly as from a directory: every document is bounded and checked by
``documents`` (the same functions the directory registry uses); archives are streamed within the
size their record names and verified against its sha256 and size before they are returned; index
serials are checked by the caller (services.sources) under ``identity``, the normalised URL.
Documents are revalidated against the ETag cache (adapters.http_cache) on every command, and read
once per command. Publishing needs a registry server, which this backend does not speak yet.
"""

from __future__ import annotations

from agentpack.adapters.registry import documents
from agentpack.adapters.registry.base import RegistryOptions
from agentpack.core.digests import is_sha256
from agentpack.core.limits import MAX_JSON_BYTES
from agentpack.errors import IntegrityError, PackageNotFound, RegistryError

_SCHEMES = ("http", "https")
_DAMAGED_HINT = "the registry serves a damaged or modified file; tell whoever runs it"
_TAMPERED_HINT = ("the registry's copy, or something between it and this machine, changed the archive; "
                  "nothing was installed: tell whoever runs the registry")


class HttpRegistry:
    """A read-only ``Registry`` at the http(s):// URL ``target`` (``url``: as the user wrote it)."""

    local = False  # needs the network: under --offline, install reads the cache instead
    writable = False  # static files; publishing needs a registry server

    def __init__(self, target: str, *, url: str | None = None, options: RegistryOptions | None = None) -> None:
        self.url = url if url is not None else target
        self.base, self.identity = _normalised(target)
        self.options = options or RegistryOptions()
        self._client = None
        self._documents: dict[str, bytes | None] = {}
        self._blobs: str | None = None

    # -- reading -------------------------------------------------------------------------------

    def list_packages(self) -> list[str]:
        """The names of all packages in the registry, sorted (from the catalog)."""
        return sorted(self.catalog()["packages"])

    def catalog(self) -> dict:
        """``catalog.json``, checked like a directory registry's (``{"packages": {}}`` when absent)."""
        self._check_registry()
        data = self._get(documents.CATALOG_FILE)
        if data is None:
            return {"packages": {}}
        source = self.base + documents.CATALOG_FILE
        return documents.checked_catalog(documents.parse_document(data, source, _malformed), source, _malformed)

    def package_index(self, name: str) -> dict:
        """``{"name", "serial", "versions"}`` from ``index/<name>.json`` (see ``Registry.package_index``)."""
        path = _index_path(name)
        self._check_registry()
        data = self._get(path)
        if data is None:
            raise PackageNotFound(f"package {name} not found in registry {self.url}",
                                  hint="check the package name, and that --registry / AGENTOPS_REGISTRY "
                                       "points at the registry you meant")
        source = self.base + path
        return documents.checked_index(documents.parse_document(data, source, _malformed), name, source,
                                       _malformed)

    def fetch_archive(self, name: str, version: str) -> bytes:
        """The archive of ``name@version``, streamed within its recorded size and verified against
        its recorded sha256 and size; ``IntegrityError`` naming both values of each otherwise."""
        from agentpack.adapters.archive_rules import ArchiveLimits
        from agentpack.adapters.http_client import BodyTooLarge

        record = documents.archive_record(self.package_index(name), version, self.url,
                                          self.base + _index_path(name), _malformed)
        size, limit = record.get("size"), ArchiveLimits().max_archive_size
        url = self._blob_url(record["sha256"])
        if size is not None and size > limit:
            raise IntegrityError(f"{name}@{version} in registry {self.url}: its record gives a size of "
                                 f"{size:,} bytes, more than any valid archive ({limit:,}); it was not fetched",
                                 path=url, hint=_DAMAGED_HINT)
        try:
            data = self._http().download(url, limit if size is None else size)
        except BodyTooLarge as error:
            got = f"{error.size:,} bytes" if error.declared else f"more than {error.size - 1:,} bytes"
            expected = "at most the archive limit" if size is None else f"{size:,} bytes"
            raise IntegrityError(f"{name}@{version} in registry {self.url} failed verification: expected "
                                 f"{expected} with sha256 {record['sha256']}, got {got}; the download was "
                                 "stopped", path=url, hint=_TAMPERED_HINT) from None
        if data is None:
            raise self._no_blob(f"{name}@{version}", record["sha256"], url)
        return documents.verified_archive(data, record, self.url, path=url, hint=_TAMPERED_HINT)

    def read_blob(self, sha256: str) -> bytes:
        """The raw bytes served under ``sha256`` (not verified), within the archive size limit."""
        from agentpack.adapters.archive_rules import ArchiveLimits

        if not is_sha256(sha256):
            raise RegistryError(f"not a sha256 digest (64 lowercase hex digits): {sha256!r}")
        url = self._blob_url(sha256)
        data = self._http().download(url, ArchiveLimits().max_archive_size)
        if data is None:
            raise self._no_blob(f"sha256:{sha256}", sha256, url)
        return data

    def settings(self) -> dict:
        """``registry.json`` as a dict (``{}`` when the registry serves none)."""
        self._check_registry()
        data = self._get(documents.SETTINGS_FILE)
        if data is None:
            return {}
        source = self.base + documents.SETTINGS_FILE
        settings = documents.parse_document(data, source, _malformed)
        if not isinstance(settings, dict):
            raise _malformed(source, "expected an object with an integer 'format'")
        return settings

    def publish(self, archive: bytes, record: dict) -> dict:
        """Always refused: a registry of static files is read-only."""
        raise RegistryError(f"registry {self.url} is read-only: publish to a registry server or a directory",
                            hint="publish to a directory registry and serve its folder with any static web "
                                 "server (docs/registry-protocol.md)")

    # -- internals -----------------------------------------------------------------------------

    def _check_registry(self) -> None:
        """Read the registry's entry point once: ``config.json``, else (a registry made before it)
        ``registry.json`` as protocol 1; neither means this is not a registry."""
        if self._blobs is not None:
            return
        data = self._get(documents.CONFIG_FILE)
        if data is None:
            settings = self._get(documents.SETTINGS_FILE)
            if settings is None:
                raise RegistryError(f"{self.url} is not an agentpack registry (it serves no "
                                    f"{documents.CONFIG_FILE} and no {documents.SETTINGS_FILE})", path=self.base,
                                    hint="check the URL: it names the folder that holds config.json")
            source = self.base + documents.SETTINGS_FILE
            documents.check_settings(documents.parse_document(settings, source, _malformed), source, self.url,
                                     _malformed)
            config = documents.config_document()
        else:
            source = self.base + documents.CONFIG_FILE
            config = documents.checked_config(documents.parse_document(data, source, _malformed), source,
                                              self.url, _malformed)
        self._blobs = self._checked_blobs(config["blobs"], self.base + documents.CONFIG_FILE)

    def _checked_blobs(self, location: str, source: str) -> str:
        from urllib.parse import urljoin, urlsplit

        blobs = urljoin(self.base, location)
        scheme = urlsplit(blobs).scheme.lower()
        if scheme not in _SCHEMES or (self.base.startswith("https:") and scheme != "https"):
            raise _malformed(source, f"'blobs' must be an https:// location (or http:// for an http:// "
                                     f"registry), not {location!r}")
        return blobs

    def _blob_url(self, sha256: str) -> str:
        self._check_registry()
        return f"{self._blobs}{sha256}"

    def _get(self, path: str) -> bytes | None:
        """A document's bytes (None: the server has none), fetched once per registry object."""
        if path not in self._documents:
            self._documents[path] = self._http().document(self.base + path, MAX_JSON_BYTES)
        return self._documents[path]

    def _http(self):
        if self._client is None:
            from agentpack.adapters.http_client import HttpClient

            self._client = HttpClient(self.options, self.url)
        return self._client

    def _no_blob(self, what: str, sha256: str, url: str) -> RegistryError:
        return RegistryError(f"registry {self.url} has no blob for {what} (sha256 {sha256})", path=url,
                             hint="the registry is incomplete; tell whoever runs it")


def _index_path(name: object) -> str:
    return f"index/{documents.checked_name(name)}.json"


def _normalised(location: str) -> tuple[str, str]:
    """(the base URL documents are read below, ending in "/"; the registry's identity: the same
    with the scheme and host in lower case and no default port). A URL with credentials is refused:
    they would end up in messages and in the cache, and agentops sends none yet."""
    from urllib.parse import urlsplit, urlunsplit

    hint = "write the registry as http(s)://HOST[:PORT]/PATH/"
    try:
        parts = urlsplit(location.strip())
        port = parts.port
    except ValueError as error:
        raise RegistryError(f"not a registry URL: {location} ({error})", hint=hint) from None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES or not parts.hostname:
        raise RegistryError(f"not a registry URL: {location} (no host)", hint=hint)
    if parts.query or parts.fragment:
        raise RegistryError(f"a registry URL has no query or fragment: {location}", hint=hint)
    if parts.username is not None or parts.password is not None:
        raise RegistryError(f"a registry URL carries no credentials: {parts.scheme}://…@{parts.hostname}/",
                            hint="agentops sends no credentials yet: serve the registry's files to this "
                                 "machine without authentication")
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    default = {"http": 80, "https": 443}[scheme]
    identity = f"{scheme}://{host}{'' if port in (None, default) else f':{port}'}{path}"
    return urlunsplit((scheme, parts.netloc, path, "", "")), identity


def _malformed(source: str, detail: str) -> RegistryError:
    return RegistryError(f"malformed registry file {source}: {detail}", path=source, hint=_DAMAGED_HINT)

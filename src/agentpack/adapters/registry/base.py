"""The registry interface: what every registry backend (directory, HTTP, OCI) must provide.

Services talk to registries only through ``Registry``; ``agentpack.adapters.registry.open_registry``
picks the backend from the location's URL scheme. The docstrings below are the contract each backend
is tested against.

A *version record* is a JSON-ready dict describing one published version::

    {
      "name": "team/customer-service",
      "version": "1.2.0",
      "sha256": "<64 hex digits of the archive>",
      "size": 12345,                       # archive size in bytes
      "manifest": {...},                   # package.yaml as a dict
      "components": {"agents": 3, "workflows": 1, "patterns": 2, "validations": 1,
                     "commands": 0, "rules": 0, "skills": 2},  # older records lack the last three
      "published_at": "2024-05-01T12:00:00Z",
      "allow_breaking": true,              # only present when published with --allow-breaking
      "yanked": {"reason": "...", "at": "2024-05-02T08:00:00Z"},      # only while yanked
      "deprecated": {"message": "...", "at": "2024-05-02T08:00:00Z"}  # only while deprecated
    }

Yanking and deprecating never delete or change an archive; the marks are described in
``core.release_marks``.
"""

from __future__ import annotations

from agentpack.core.records import dataclass
from agentpack.core.type_names import Protocol

COMPONENT_KINDS = ("agents", "workflows", "patterns", "validations", "commands", "rules", "skills")
RECORD_FIELDS = ("name", "version", "sha256", "size", "manifest", "components", "published_at")


@dataclass(frozen=True)
class RegistryOptions:
    """How this machine reaches registries across a network (a directory registry needs none).

    ``cache_dir``: the download cache, below which fetched documents are kept with their ETags
    (None: the user's cache directory); ``ca_file``: a PEM file of the certificate authorities to
    trust for https:// (None: the system's, or ``$SSL_CERT_FILE``); ``timeout``: seconds any one
    connect or read may take; ``attempts``: how often a request that could not connect, or got a
    5xx answer, is tried in all; ``backoff``: seconds before the second attempt, doubled for each
    one after it; ``token``: the bearer token for registries that have none stored by
    ``agentops login`` (``$AGENTOPS_TOKEN``). For oci:// registries: ``oci_username`` and
    ``oci_password`` (``$AGENTOPS_OCI_USERNAME`` / ``$AGENTOPS_OCI_PASSWORD``) are used when
    `agentops login` stored none for the host; ``plain_http`` names the hosts (``HOST[:PORT]``,
    ``$AGENTOPS_OCI_PLAIN_HTTP``) reached over http:// besides loopback addresses; ``docker_config``
    is the folder of Docker's ``config.json`` (``$DOCKER_CONFIG``; None: ``~/.docker``).
    """

    cache_dir: str | None = None
    ca_file: str | None = None
    timeout: float = 30.0
    attempts: int = 3
    backoff: float = 0.25
    token: str | None = None  # AGENTOPS_TOKEN: sent to a registry server that has no token stored by login
    oci_username: str | None = None
    oci_password: str | None = None
    plain_http: tuple[str, ...] = ()
    docker_config: str | None = None


class BatchPublish:
    """``publish_many`` for a registry whose ``_add(items, keep_identical=...)`` checks a batch of
    versions before writing any (a directory, an oci:// registry)."""

    def publish_many(self, items: list[tuple[bytes, dict]]) -> list[dict]:
        """Publish several versions in one step (``agentops package publish A B C``): the stored
        records in order. Every one is checked before anything is written, as ``publish`` checks
        one: a version held already, or of equal precedence, raises ``VersionExists`` naming
        each, and nothing is written."""
        return [stored for stored, _added in self._add(items, keep_identical=False)]  # type: ignore[attr-defined]


class Registry(Protocol):
    """A place packages are published to and installed from."""

    url: str
    """The location exactly as the user gave it, for messages."""

    identity: str
    """A stable name for the registry (its resolved location), under which a client remembers the
    index serials it has seen: two spellings of one registry share it, two registries never do."""

    local: bool
    """True when reading needs no network (a directory on this machine): such a registry may be
    read under ``--offline``, which is how an air-gapped side installs from a loaded bundle."""

    writable: bool
    """False for a registry that refuses every ``publish`` (static files served over HTTP), so that
    a publisher is told so before anything is read from it."""

    def list_packages(self) -> list[str]:
        """The names of all packages in the registry, sorted. An empty registry gives ``[]``.

        Raises ``RegistryError`` if the registry does not exist or cannot be read.
        """
        ...

    def catalog(self) -> dict:
        """Every package in one document, for listing and search without reading every index:
        ``{"packages": {name: {"latest", "description", "keywords", "components", "versions"}}}``.

        ``latest`` is the highest version that is not yanked, preferring a release (the highest
        pre-release only when there is no release); ``None`` when every version is yanked, and the
        other fields then describe the highest version. An entry may also hold ``yanked`` (the yanked
        versions, when there are any), ``deprecated`` (the message, when the version described
        is deprecated) and ``category`` (the described version's manifest ``category``, when it has one). An empty registry gives ``{"packages": {}}``; a missing or unreadable one
        raises ``RegistryError``.
        """
        ...

    def package_index(self, name: str) -> dict:
        """The index of one package: ``{"name": name, "serial": serial, "versions": {version: record}}``.

        ``serial`` grows with every change of the index (0: written before serials existed), so
        that a client can refuse an index older than one it has seen. ``versions`` maps each version's text to its version record and is ordered by SemVer
        precedence, lowest first. Raises ``PackageNotFound`` (with a hint to check the name and the
        registry) when the registry has no such package, ``InvalidName`` for a name that could never
        exist, and ``RegistryError`` when the registry is missing or its index is unreadable.
        """
        ...

    def fetch_archive(self, name: str, version: str) -> bytes:
        """The archive bytes of ``name@version``, verified against the record's sha256.

        Raises ``PackageNotFound`` if the package or version is unknown, and ``IntegrityError``
        naming the package, the registry and both digests if the bytes do not hash to the recorded
        sha256 (never returns unverified bytes).
        """
        ...

    def publish(self, archive: bytes, record: dict) -> dict:
        """Add one version and return the record as stored.

        ``name``, ``version``, ``manifest`` and ``components`` come from ``record``; ``sha256`` and
        ``size`` are always computed from ``archive`` (values in ``record`` are ignored);
        ``published_at`` is taken from ``record`` when present (the caller owns the clock), else
        the current UTC time. Versions are immutable: if ``name@version`` already exists, whatever
        its content, ``VersionExists`` is raised and nothing changes. Safe against concurrent
        publishers: of two publishing the same version exactly one wins; different versions all land.
        """
        ...

    def mark_yanked(self, name: str, version: str, mark: dict | None) -> bool:
        """Yank ``name@version``: store ``mark`` (``{"reason": str, "at": timestamp}``, the caller
        owns the clock) in its record, or with ``mark`` None remove the yank. Return whether the
        record changed: yanking again with the same reason, or un-yanking a version that is not
        yanked, changes nothing (and writes nothing).

        A change rewrites the package's index with a higher serial (and keeps the catalog in step),
        atomically and under the same exclusion as ``publish``; the archive is never touched.
        Raises ``PackageNotFound`` (listing the versions) for an unknown package or version,
        ``InvalidName`` / ``InvalidVersion`` for texts that could never be published, and
        ``RegistryError`` when the registry is missing, read-only or its index malformed.
        """
        ...

    def mark_deprecated(self, name: str, range_text: str, mark: dict | None) -> dict[str, bool]:
        """Deprecate each version of ``name`` in the npm range ``range_text`` (prereleases included;
        ``*`` for the whole package): store ``mark`` (``{"message": str, "at": timestamp}``) in its
        record, or with ``mark`` None remove the deprecation. Return ``{version: whether its record
        changed}`` for every version in the range. Versions published later carry no mark.

        Written like ``mark_yanked`` (one index, a higher serial, nothing when nothing changes).
        Raises ``PackageNotFound`` when the package is unknown or no version is in the range,
        ``InvalidRange`` for a range that does not parse, and ``RegistryError`` as ``mark_yanked``.
        """
        ...

    def settings(self) -> dict:
        """The registry's own settings (``{}`` when it has none yet): ``classification``, when
        present, is the highest classification level it may hold; publish refuses anything above."""
        ...

    def search(self, query: str, *, keyword: str | None = None, category: str | None = None) -> list[dict] | None:
        """Every package matching ``query``, ``keyword`` and ``category``, ranked, as the registry
        itself searches (a registry server's database, as core.search_text defines matching and
        ranking): rows of ``services.search.catalog_matches`` plus ``downloads``. None when the
        registry has no search of its own (a directory, static files): the caller then filters
        ``catalog()`` with ``catalog_matches``, which finds the same rows in the same order.
        """
        ...

    def read_blob(self, sha256: str) -> bytes:
        """The raw bytes stored under ``sha256``, without verification.

        For mirroring and diagnostics; installers use ``fetch_archive``. Raises ``RegistryError`` if
        no such blob exists.
        """
        ...

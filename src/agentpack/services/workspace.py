"""The workspace every package verb works on, and the settings read at the edge.

A workspace is the directory holding agentops.yaml, found from the current directory upwards (or
the current directory itself when there is none). Mutating verbs take the workspace lock and
first recover from any interrupted transaction, so a crash never leaves a half-applied install
visible to the next command.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from agentpack.adapters.discovery import find_workspace
from agentpack.core.filenames import LOCK_FILE, LOCKFILE_NAME, STATE_DIR, WORKSPACE_MANIFEST
from agentpack.core.limits import MAX_JSON_BYTES
from agentpack.core.lockfile import Lockfile
from agentpack.core.records import dataclass, field, replace
from agentpack.core.registry_routes import RegistryRoutes, RegistrySlot, Routing, routing_from
from agentpack.core.workspace_manifest import WorkspaceManifest, parse_workspace_manifest
from agentpack.errors import WorkspaceError


@dataclass(frozen=True)
class Settings:
    """Values read from the environment and the command line, passed into services.

    ``registry`` is the --registry option, ``env_registry`` the AGENTOPS_REGISTRY variable; the
    data and cache directories are resolved lazily (platformdirs costs start-up time).
    ``ca_file`` (AGENTOPS_CA_FILE) and ``http_timeout`` (AGENTOPS_HTTP_TIMEOUT, seconds, as written)
    say how to reach http(s):// registries; ``token`` (AGENTOPS_TOKEN) is the bearer token for
    registry servers that have none stored by `agentops login`. ``oci_username``, ``oci_password``
    (AGENTOPS_OCI_USERNAME / AGENTOPS_OCI_PASSWORD), ``oci_plain_http`` (AGENTOPS_OCI_PLAIN_HTTP,
    comma-separated HOST[:PORT]) and ``docker_config`` (DOCKER_CONFIG) say how to reach oci:// ones.
    """

    registry: str | None = None
    env_registry: str | None = None
    cache_dir: str | None = None
    data_dir: str | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    ca_file: str | None = None
    http_timeout: str | None = None
    token: str | None = None  # AGENTOPS_TOKEN
    oci_username: str | None = None
    oci_password: str | None = None
    oci_plain_http: tuple[str, ...] = ()
    docker_config: str | None = None

    @classmethod
    def from_environment(cls, environ, *, registry: str | None = None) -> Settings:
        """Build settings from an environment mapping (os.environ at the edge) and CLI options."""
        ca_file = environ.get("AGENTOPS_CA_FILE") or None
        return cls(registry=registry, env_registry=environ.get("AGENTOPS_REGISTRY") or None,
                   ca_file=os.path.abspath(os.path.expanduser(ca_file)) if ca_file else None,
                   http_timeout=environ.get("AGENTOPS_HTTP_TIMEOUT") or None,
                   token=environ.get("AGENTOPS_TOKEN") or None,
                   oci_username=environ.get("AGENTOPS_OCI_USERNAME") or None,
                   oci_password=environ.get("AGENTOPS_OCI_PASSWORD") or None,
                   oci_plain_http=tuple(h.strip().lower() for h in environ.get("AGENTOPS_OCI_PLAIN_HTTP", "").split(",")
                                        if h.strip()),
                   docker_config=environ.get("DOCKER_CONFIG") or None)

    def registry_options(self):
        """How to reach registries across a network (adapters.registry.base.RegistryOptions).

        Raises ``UsageError`` when AGENTOPS_HTTP_TIMEOUT is not a number of seconds above 0."""
        from agentpack.adapters.registry.base import RegistryOptions
        from agentpack.errors import UsageError

        options = RegistryOptions(cache_dir=self.cache_dir, ca_file=self.ca_file, token=self.token,
                                  oci_username=self.oci_username, oci_password=self.oci_password,
                                  plain_http=self.oci_plain_http, docker_config=self.docker_config)
        if self.http_timeout is None:
            return options
        try:
            timeout = float(self.http_timeout)
        except ValueError:
            timeout = float("nan")
        if not 0 < timeout <= 86_400:  # also false for NaN
            raise UsageError(f"AGENTOPS_HTTP_TIMEOUT must be a number of seconds above 0, not {self.http_timeout!r}",
                             hint="e.g. AGENTOPS_HTTP_TIMEOUT=60")
        return replace(options, timeout=timeout)

    def resolved_cache_dir(self) -> str:
        if self.cache_dir:
            return self.cache_dir
        from agentpack.adapters.paths import cache_dir

        return cache_dir()

    def default_registry(self) -> str:
        if self.data_dir:
            return os.path.join(self.data_dir, "registry")
        from agentpack.adapters.paths import default_registry_dir

        return default_registry_dir()

    def registry_routing(self, manifest: WorkspaceManifest | None, base_dir: str) -> Routing:
        """Which registries answer for which names (see core.registry_routes).

        Precedence: --registry answers for every name, overriding all routing; then `registries` in
        agentops.yaml (relative paths taken from ``base_dir``, the workspace); then
        AGENTOPS_REGISTRY; then the embedded default directory under the user data directory. The
        last two are also the default of a mapping-form `registries` that has no `default`.
        """
        if self.registry:
            return Routing((RegistrySlot(self.registry, os.getcwd(), "--registry"),))

        def fallback() -> RegistrySlot:  # only when needed: finding the data directory costs start-up time
            if self.env_registry:
                return RegistrySlot(self.env_registry, os.getcwd(), "$AGENTOPS_REGISTRY")
            return RegistrySlot(self.default_registry(), os.getcwd(), "the embedded default registry")

        return routing_from(manifest.registries if manifest else RegistryRoutes(), base_dir, fallback)


@dataclass
class Workspace:
    """A workspace root and the files agentpack keeps in it."""

    root: str
    _leftover: bool = field(default=False, init=False, repr=False, compare=False)

    def path(self, relpath: str) -> str:
        return os.path.join(self.root, *relpath.split("/"))

    def read_text(self, relpath: str) -> str | None:
        try:
            with open(self.path(relpath), encoding="utf-8") as handle:
                return handle.read(MAX_JSON_BYTES + 1)  # past every parser's limit: refused, not read whole
        except FileNotFoundError:
            return None
        except UnicodeDecodeError:
            raise WorkspaceError(f"{relpath} is not UTF-8 text", path=self.path(relpath)) from None

    def read_bytes(self, relpath: str) -> bytes | None:
        try:
            with open(self.path(relpath), "rb") as handle:
                return handle.read()
        except (FileNotFoundError, IsADirectoryError):
            return None

    def manifest_text(self) -> str | None:
        return self.read_text(WORKSPACE_MANIFEST)

    def load_manifest(self) -> WorkspaceManifest | None:
        """Parse agentops.yaml (None when absent); errors name the file and line."""
        text = self.manifest_text()
        if text is None:
            return None
        from agentpack.adapters.yamlio import load_yaml

        data, lines = load_yaml(text, source=self.path(WORKSPACE_MANIFEST))
        return parse_workspace_manifest(data, lines, source=self.path(WORKSPACE_MANIFEST))

    def load_lock(self) -> Lockfile:
        """Parse agentops.lock (an empty lock when absent), refusing claims no lock may make
        (see core.lock_checks): a lock is untrusted input."""
        text = self.read_text(LOCKFILE_NAME)
        if text is None:
            return Lockfile()
        from agentpack.core.lock_checks import check_lock

        source = self.path(LOCKFILE_NAME)
        return check_lock(Lockfile.from_text(text, source=source), source=source)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the exclusive workspace lock (``.agentops/lock``) that serialises mutating commands.

        ``.agentops`` and its lock file are never reached through a symbolic link (``LinkRefused``).
        In a folder that is not a workspace (no agentops.yaml), a command that wrote nothing there
        (it failed, or had nothing to do) takes ``.agentops`` away again when it lets go.
        """
        from agentpack.adapters.locking import FileLock

        before = self._lone_lock_folder()  # what a first command killed before its transaction leaves
        lock = FileLock(self.path(LOCK_FILE), what="workspace", root=self.root)
        lock.acquire()
        self._leftover = before and self._lone_lock_folder()
        try:
            yield
        finally:
            self._leftover = False
            lock.release(remove_lone_folder=not os.path.lexists(self.path(WORKSPACE_MANIFEST)))

    def recover(self) -> str | None:
        """Complete or roll back an interrupted transaction; return what was done (or None).

        Called under the lock. A folder that is not a workspace but held ``.agentops`` with nothing
        but a lock file before it was locked (a first command killed before it wrote anything)
        counts as "rolled back" too: the lock is all there was to undo, and it goes when released.
        """
        from agentpack.adapters.transaction import ROLLED_BACK, recover

        outcome = recover(self.root, STATE_DIR)
        return ROLLED_BACK if outcome is None and self._leftover else outcome

    def _lone_lock_folder(self) -> bool:
        """Whether there is no agentops.yaml and ``.agentops`` holds nothing but its lock file."""
        if os.path.lexists(self.path(WORKSPACE_MANIFEST)):
            return False
        try:
            return os.listdir(self.path(STATE_DIR)) == [LOCK_FILE.rpartition("/")[2]]
        except OSError:
            return False


def open_workspace(directory: str | None) -> Workspace:
    """The workspace for ``directory`` (-C) or the current directory, found upwards."""
    start = directory if directory is not None else os.getcwd()
    if not os.path.isdir(start):
        raise WorkspaceError(f"{start} is not a directory", path=start, hint="pass an existing directory to -C")
    return Workspace(find_workspace(start))

"""One error tree for the whole of agentpack.

Every error carries structured fields so that each face (CLI text, ``--json``, a future HTTP
server) can render it without parsing messages:

- ``message``: what is wrong, in one sentence;
- ``path`` / ``line`` / ``field``: where (a file, a 1-based line, a manifest field);
- ``hint``: what the user can do about it;
- ``problems``: for validation, every problem found (collected, then raised once);
- ``causes``: for resolution, the chains of requirements that conflict.

Errors never subclass argparse, click or HTTP exceptions; the edges translate them. Exit codes:
1 for a failure, 2 for misuse (bad arguments, bad input the user typed).
"""

from __future__ import annotations


class Problem:
    """One finding of a validation: an error (blocks the operation) or a warning (reported only).

    ``code`` is a stable, machine-readable identifier (e.g. ``unknown-field``, ``missing-file``) so
    that scripts and tests do not depend on message wording. A plain immutable class rather than a
    dataclass: this module is imported by every command, and importing dataclasses costs more
    start-up time than the whole `agentops --version` budget.
    """

    __slots__ = ("severity", "code", "message", "path", "line", "field")

    def __init__(self, severity: str, code: str, message: str, path: str | None = None,
                 line: int | None = None, field: str | None = None) -> None:
        for name, value in (("severity", severity), ("code", code), ("message", message), ("path", path),
                            ("line", line), ("field", field)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError(f"Problem is immutable (tried to set {name})")

    def __reduce__(self):  # pickled through the constructor: __setattr__ refuses the default way
        return Problem, self._key()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Problem) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Problem({', '.join(f'{k}={v!r}' for k, v in zip(self.__slots__, self._key(), strict=True))})"

    def _key(self) -> tuple:
        return (self.severity, self.code, self.message, self.path, self.line, self.field)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def location(self) -> str:
        """``path:line`` (or just ``path``, or empty) for display."""
        if self.path and self.line:
            return f"{self.path}:{self.line}"
        return self.path or ""

    def to_dict(self) -> dict:
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "field": self.field,
        }


class AgentpackError(Exception):
    """Base of every error agentpack raises on purpose. Never shown with a traceback."""

    exit_code = 1
    code = "error"

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
        problems: list[Problem] | tuple[Problem, ...] = (),
        causes: list | tuple = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.field = field
        self.hint = hint
        self.problems = list(problems)
        self.causes = list(causes)

    def to_dict(self) -> dict:
        """A JSON-ready description, used by ``--json`` output and (later) the server."""
        data: dict = {"error": self.code, "message": self.message}
        for key in ("path", "line", "field", "hint"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        if self.problems:
            data["problems"] = [p.to_dict() for p in self.problems]
        if self.causes:
            data["causes"] = [list(c) if isinstance(c, (list, tuple)) else str(c) for c in self.causes]
        return data


class UsageError(AgentpackError):
    """The command line or a value the user typed is malformed (exit code 2)."""

    exit_code = 2
    code = "usage"


class InvalidVersion(UsageError):
    """A string is not a SemVer 2.0.0 version."""

    code = "invalid-version"


class InvalidRange(UsageError):
    """A string is not a valid npm-style version range."""

    code = "invalid-range"


class InvalidName(UsageError):
    """A package name breaks the naming rules (lowercase kebab-case, optional ``team/`` scope)."""

    code = "invalid-name"


class InvalidSpec(UsageError):
    """A package spec (``name``, ``name@range`` or an archive path) cannot be understood."""

    code = "invalid-spec"


class YamlError(AgentpackError):
    """A YAML document does not parse, is too large, or expands too many aliases."""

    code = "invalid-yaml"


class ValidationError(AgentpackError):
    """A package (or workspace file) has one or more error-level problems; see ``problems``."""

    code = "invalid-package"


class ResolutionImpossible(AgentpackError):
    """No set of versions satisfies every requirement; ``causes`` holds the conflicting chains."""

    code = "resolution-impossible"


class RegistryError(AgentpackError):
    """A registry cannot be reached, read or written."""

    code = "registry"


class RegistryUnreachable(RegistryError):
    """A registry across a network could not be reached or did not answer in time (after retries)."""

    code = "unreachable"


class PackageNotFound(RegistryError):
    """The registry has no such package, or no version matching the requested range."""

    code = "not-found"


class RegistryConflict(RegistryError):
    """Registries listed in agentops.yaml hold one package with different versions or content, so
    nothing decides which answers (the message names both)."""

    code = "registry-conflict"


class VersionExists(RegistryError):
    """Publishing a name@version that the registry already holds (always refused)."""

    code = "version-exists"


class IntegrityError(AgentpackError):
    """Content does not match its recorded digest (a tampered archive, cache entry or file)."""

    code = "integrity"


class UnsafeArchive(AgentpackError):
    """An archive tries to escape its destination or breaks the extraction limits."""

    code = "unsafe-archive"


class WorkspaceError(AgentpackError):
    """The workspace (agentops.yaml, agentops.lock, installed files) is not in a usable state."""

    code = "workspace"


class LockfileOutdated(WorkspaceError):
    """``--frozen`` was given but agentops.lock does not satisfy agentops.yaml."""

    code = "lock-outdated"


class EditedFiles(WorkspaceError):
    """Installed files were changed by the user; the command stops before touching anything."""

    code = "edited-files"


class OfflineError(AgentpackError):
    """``--offline`` was given but something needed is not in the local cache."""

    code = "offline"


class Busy(AgentpackError):
    """Another agentops process holds the workspace or registry lock for too long."""

    code = "busy"


class LinkRefused(AgentpackError):
    """A folder or file agentops would write (in a workspace, a registry, the cache or a key
    store) is a symbolic link; agentops never writes through one and stops before writing."""

    code = "symlink"


class BreakingRelease(AgentpackError):
    """A version's bump is smaller than its changes since the previous version require; ``causes``
    lists those changes and ``hint`` the version to use instead."""

    code = "semver-violation"



class RollbackError(IntegrityError):
    """A registry served an index older than one this machine has already seen (a lower serial),
    or an index without a version the lockfile pins: never a silent downgrade."""

    code = "rollback"


class SignatureError(IntegrityError):
    """A package signature is malformed, does not verify, or does not match the archive it claims."""

    code = "bad-signature"


class UntrustedPackage(IntegrityError):
    """Signatures are required and a package is unsigned or signed by a key no trust store holds."""

    code = "untrusted"


class ClassificationError(AgentpackError):
    """A classification boundary would be crossed (read up, write down, or a package depending on
    one classified above it); ``causes`` names each crossing and its chain. Nothing was written."""

    code = "classification"


class AuthenticationRequired(RegistryError):
    """A registry server wants a token (none was sent), or refused the one sent (unknown, expired,
    revoked): HTTP 401."""

    code = "unauthenticated"


class AccessDenied(RegistryError):
    """A registry server's token may not do this (a role too low, another team's package, a
    classification boundary): HTTP 403. Never raised for what the caller may not see (that is 404)."""

    code = "forbidden"


class QuotaExceeded(AccessDenied):
    """Publishing would take a team over its quota of bytes or versions (HTTP 403)."""

    code = "quota-exceeded"


class StorageUnavailable(RegistryError):
    """A registry server cannot use its own storage (its blob store's OCI registry is down, or
    answers with errors): HTTP 503. Not the caller's fault; trying again later may succeed."""

    code = "storage-unavailable"


class UploadTooLarge(RegistryError):
    """An upload is larger than the registry server accepts (HTTP 413)."""

    code = "too-large"

"""agentops.lock: the exact, resolved state of a workspace.

The lockfile pins every package of the resolved graph (version, source, archive sha256, declared
dependencies) and the sha256 of every file installed from it. It is deterministic — the same
graph gives the same bytes: JSON with sorted keys, two-space indent, a final newline, and no
timestamps (install times live in tool state under .agentops/). JSON rather than YAML because a
lockfile is written by tools, diffs line by line like npm's, and parses without a YAML library on
the fast paths.
"""

from __future__ import annotations

import json

from agentpack.core.filenames import LOCKFILE_NAME  # noqa: F401  (re-exported)
from agentpack.core.records import dataclass, field
from agentpack.core.versions import parse_range, parse_version
from agentpack.errors import InvalidRange, InvalidVersion, Problem, WorkspaceError

LOCKFILE_VERSION = 1
REGISTRY_SOURCE = "registry"
FILE_SOURCE_PREFIX = "file:"
_REWRITE_HINT = "restore it from version control, or delete it and run `agentops package install`"


@dataclass(frozen=True)
class LockedPackage:
    """One pinned package: what was installed and from where."""

    name: str
    version: str
    sha256: str
    source: str = REGISTRY_SOURCE
    dependencies: dict[str, str] = field(default_factory=dict)  # as the package declares them
    files: dict[str, str] = field(default_factory=dict)  # workspace path -> sha256 of the content
    signed_by: str | None = None  # fingerprint of the key whose verified signature it carries

    def to_dict(self) -> dict:
        data = {
            "version": self.version,
            "source": self.source,
            "sha256": self.sha256,
            "dependencies": dict(sorted(self.dependencies.items())),
            "files": dict(sorted(self.files.items())),
        }
        if self.signed_by is not None:  # only when set, so locks of unsigned packages keep their bytes
            data["signed_by"] = self.signed_by
        return data


@dataclass(frozen=True)
class Lockfile:
    """The whole lock: the requests it was resolved for and the packages it pins."""

    root: dict[str, str] = field(default_factory=dict)  # agentops.yaml `packages` it answers
    overrides: dict[str, str] = field(default_factory=dict)
    packages: dict[str, LockedPackage] = field(default_factory=dict)
    # Files deployed into agent tools' folders: target -> {workspace path: sha256}. A merged
    # document (AGENTS.md, .mcp.json) is recorded with the digest of agentops's own part of it.
    deployed: dict[str, dict[str, str]] = field(default_factory=dict)

    def to_text(self) -> str:
        """Serialise deterministically (sorted keys, no timestamps, final newline)."""
        data = {
            "lockfile_version": LOCKFILE_VERSION,
            "root": dict(sorted(self.root.items())),
            "overrides": dict(sorted(self.overrides.items())),
            "packages": {name: self.packages[name].to_dict() for name in sorted(self.packages)},
        }
        if self.deployed:  # only when set, so locks of workspaces without targets keep their bytes
            data["deployed"] = {target: dict(sorted(files.items())) for target, files in sorted(self.deployed.items())}
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_text(cls, text: str | bytes, *, source: str = LOCKFILE_NAME) -> Lockfile:
        """Parse a lockfile; a malformed one raises WorkspaceError naming the file and listing
        every field of the wrong shape or type (see ``core.bounded_json`` for the parsing bounds)."""
        from agentpack.core.bounded_json import parse_json

        data = parse_json(text, source=source, error=WorkspaceError, hint=_REWRITE_HINT)
        if not isinstance(data, dict) or data.get("lockfile_version") != LOCKFILE_VERSION:
            raise WorkspaceError(
                f"{source} has an unsupported format (expected lockfile_version {LOCKFILE_VERSION})",
                path=source,
                hint="delete it and run `agentops package install` to write a new one",
            )
        problems: list[Problem] = []

        def wrong(field_path: str, expected: str) -> None:
            problems.append(Problem("error", "invalid-lockfile", f"{field_path} must be {expected}",
                                    path=source, field=field_path))

        root = _string_map(data.get("root"), "root", wrong)
        overrides = _string_map(data.get("overrides"), "overrides", wrong)
        packages = {}
        entries = data.get("packages") or {}
        if not isinstance(entries, dict):
            wrong("packages", "an object of package name to entry")
            entries = {}
        for name, entry in entries.items():
            where = f"packages.{name}"
            if not isinstance(entry, dict):
                wrong(where, "an object with version, sha256, source, dependencies and files")
                continue
            for key in ("version", "sha256"):
                if not isinstance(entry.get(key), str):
                    wrong(f"{where}.{key}", "a string")
            for key in ("source", "signed_by"):
                if entry.get(key) is not None and not isinstance(entry[key], str):
                    wrong(f"{where}.{key}", "a string")
            dependencies = _string_map(entry.get("dependencies"), f"{where}.dependencies", wrong)
            files = _string_map(entry.get("files"), f"{where}.files", wrong)
            if not problems:
                packages[name] = LockedPackage(
                    name=name, version=entry["version"], sha256=entry["sha256"],
                    source=entry.get("source") or REGISTRY_SOURCE, dependencies=dependencies, files=files,
                    signed_by=entry.get("signed_by") or None,
                )
        deployed_entries = data.get("deployed") or {}
        if not isinstance(deployed_entries, dict):
            wrong("deployed", "an object of target name to {path: sha256}")
            deployed_entries = {}
        deployed = {str(target): _string_map(files, f"deployed.{target}", wrong)
                    for target, files in deployed_entries.items()}
        if problems:
            raise WorkspaceError(f"{source} is malformed: {problems[0].message}", path=source,
                                 problems=problems, hint=_REWRITE_HINT)
        return cls(root=root, overrides=overrides, packages=packages, deployed=deployed)

    def all_files(self) -> dict[str, str]:
        """Every installed workspace path with its sha256, across packages."""
        return {path: digest for pkg in self.packages.values() for path, digest in pkg.files.items()}

    def owner_of(self) -> dict[str, str]:
        """Every installed workspace path -> the package that installed it."""
        return {path: pkg.name for pkg in self.packages.values() for path in pkg.files}

    def reachable(self, roots) -> set[str]:
        """Names of the locked packages reachable from ``roots`` through declared dependencies."""
        seen: set[str] = set()
        stack = [name for name in roots if name in self.packages]
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            stack.extend(dep for dep in self.packages[name].dependencies if dep in self.packages)
        return seen

    def unsatisfied(self, root: dict[str, str], overrides: dict[str, str]) -> list[str]:
        """Why this lock does not answer ``root`` + ``overrides`` (an empty list when it does).

        The lock satisfies the request when the overrides are the same, every requested package is
        pinned at a version its range (or override) allows — or from the same archive file — every
        declared dependency of every pinned package is pinned at an allowed version, and nothing is
        pinned that the request no longer reaches.
        """
        reasons: list[str] = []
        if dict(overrides) != self.overrides:
            reasons.append("the overrides in agentops.yaml changed")
        for name, spec in root.items():
            reason = self._check_requirement("agentops.yaml", name, overrides.get(name, spec))
            if reason:
                reasons.append(reason)
        for pkg in self.packages.values():
            for dep, rng in pkg.dependencies.items():
                reason = self._check_requirement(f"{pkg.name}@{pkg.version}", dep, overrides.get(dep, rng))
                if reason:
                    reasons.append(reason)
        extraneous = sorted(set(self.packages) - self.reachable(root))
        if extraneous:
            reasons.append(f"no longer needed: {', '.join(extraneous)}")
        return reasons

    def _check_requirement(self, requirer: str, name: str, spec: str) -> str | None:
        pinned = self.packages.get(name)
        if pinned is None:
            return f"{requirer} requires {name}, which the lock does not pin"
        if spec.startswith(FILE_SOURCE_PREFIX):
            return None if pinned.source == spec else f"{name} should come from {spec}"
        try:
            allowed = parse_range(spec).allows(parse_version(pinned.version))
        except (InvalidRange, InvalidVersion):
            return f"{requirer} requires {name}@{spec}, which cannot be checked"
        return None if allowed else f"{requirer} requires {name}@{spec} but the lock pins {pinned.version}"


def _string_map(value: object, field_path: str, wrong) -> dict[str, str]:
    """``value`` as a dict of strings to strings (None is empty); else report it with ``wrong``."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        wrong(field_path, "an object whose values are strings")
        return {}
    return dict(value)

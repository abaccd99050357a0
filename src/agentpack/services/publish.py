"""`agentops package publish ARCHIVE`: validate a built archive again and add it to a registry."""

from __future__ import annotations

import os
from dataclasses import dataclass

from agentpack.core.manifest import MANIFEST_FILE
from agentpack.errors import IntegrityError, Problem, RegistryError, ValidationError
from agentpack.services.classification import check_publish
from agentpack.services.local_archive import inspect_archive
from agentpack.services.package_content import content_from_archive
from agentpack.services.release_check import ReleaseCheck, check_release
from agentpack.services.workspace import Settings, open_workspace


@dataclass(frozen=True)
class PublishResult:
    """What was published where."""

    name: str
    version: str
    sha256: str
    registry: str
    warnings: list
    release: ReleaseCheck | None = None  # the semver check against the previous version

    def to_dict(self) -> dict:
        data = {"name": self.name, "version": self.version, "sha256": self.sha256, "registry": self.registry,
                "warnings": [p.to_dict() for p in self.warnings]}
        if self.release is not None:
            data["release"] = self.release.to_dict()
        return data


def publish_archive(archive_path: str, settings: Settings, *, strict: bool = False,
                    allow_breaking: bool = False, allow_unresolved: bool = False) -> PublishResult:
    """Publish ``archive_path`` to the registry that answers for its name (see core.registry_routes):
    --registry, else the one agentops.yaml routes its team or the default to (in the list form,
    the first listed), else $AGENTOPS_REGISTRY, else the embedded default registry.

    The archive is re-read safely and re-validated (it may have been built elsewhere); when a
    ``.sha256`` file sits beside it, the archive must match it. A name@version the registry already
    holds is refused (VersionExists), whatever its content. So is a version whose bump from the
    previous published one is smaller than its changes require (BreakingRelease, see
    services.release_check), unless ``allow_breaking``: then it is published with
    ``allow_breaking: true`` in its registry record. ``allow_unresolved`` is passed on to a
    registry server, which refuses a version whose dependencies match nothing it holds unless
    asked (a directory registry only warns, and ignores it).
    """
    from agentpack.adapters.registry import open_registry

    inspected = inspect_archive(archive_path, strict=strict)
    refuse_unknown_fields(archive_path, inspected.report.warnings)
    _check_sidecar(archive_path, inspected.record["sha256"])
    from agentpack.services.signing import checked_sidecar

    signature = checked_sidecar(archive_path, inspected.record)  # ARCHIVE.sig, refused when bad
    ws = open_workspace(None)
    ws_manifest = ws.load_manifest()
    slot = settings.registry_routing(ws_manifest, ws.root).for_name(inspected.record["name"])[0]
    registry = open_registry(slot.location, base_dir=slot.base_dir, options=settings.registry_options())
    if not registry.writable:
        registry.publish(inspected.data, inspected.record)  # raises the backend's own "read-only" error
    check_publish(ws_manifest, inspected.record["manifest"], registry)  # no write down
    content = content_from_archive(inspected.data, archive_path)
    release = check_release(registry, content, allow_breaking=allow_breaking)
    record = dict(inspected.record, published_at=settings.now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    if release.allowed_breaking:
        record["allow_breaking"] = True
    if signature is not None:
        record["signature"] = signature
    if allow_unresolved:
        record["allow_unresolved"] = True
    warnings = [*inspected.report.warnings, *dependency_warnings(registry, inspected.report.manifest.dependencies)]
    stored = registry.publish(inspected.data, record)
    return PublishResult(name=stored["name"], version=stored["version"], sha256=stored["sha256"],
                         registry=registry.url, warnings=warnings, release=release)


def dependency_warnings(registry, dependencies: dict[str, str]) -> list[Problem]:
    """A warning for each dependency the registry cannot satisfy: a package it does not hold (with
    the nearest names it does) or a range none of its versions is in (with the versions). Only a
    warning: the dependency may be published later, or live in another registry."""
    from agentpack.core.names import did_you_mean
    from agentpack.core.versions import parse_range

    warnings, names = [], None
    for name, range_text in dependencies.items():
        try:
            versions = list(registry.package_index(name).get("versions", {}))
        except RegistryError:  # no such package, or no registry yet (this publish creates it)
            names = _names(registry) if names is None else names
            warnings.append(Problem("warning", "unknown-dependency",
                                    f"dependency {name}@{range_text}: {registry.url} holds no package "
                                    f"{name}{did_you_mean(name, names)}", path=MANIFEST_FILE, field="dependencies"))
            continue
        allowed = parse_range(range_text)
        if not any(allowed.allows(version) for version in _parsed(versions)):
            warnings.append(Problem("warning", "unsatisfied-dependency",
                                    f"dependency {name}@{range_text}: {registry.url} holds no version in "
                                    f"{range_text} (published: {', '.join(versions[-8:])})",
                                    path=MANIFEST_FILE, field="dependencies"))
    return warnings


def _parsed(versions: list[str]) -> list:
    from agentpack.core.versions import parse_version
    from agentpack.errors import InvalidVersion

    found = []
    for text in versions:
        try:
            found.append(parse_version(text))
        except InvalidVersion:
            continue  # an unusable entry, skipped as install skips it
    return found


def _names(registry) -> list[str]:
    try:
        return registry.list_packages()
    except RegistryError:
        return []


def refuse_unknown_fields(archive_path: str, warnings: list) -> None:
    """A misspelt field (``dependecies:``) would publish a package without what it meant to say:
    published packages cannot be changed, so what validate and build only warn about stops here."""
    from agentpack.core.manifest import UNKNOWN_FIELD

    unknown = [Problem("error", p.code, p.message, p.path, p.line, p.field) for p in warnings if p.code == UNKNOWN_FIELD]
    if unknown:
        raise ValidationError(
            f"{archive_path}: package.yaml has {len(unknown)} unknown field(s); nothing was published",
            path=archive_path, problems=unknown,
            hint="correct or remove them in the package source, then build and publish again",
        )


def _check_sidecar(archive_path: str, sha256: str) -> None:
    sidecar = archive_path + ".sha256"
    if not os.path.isfile(sidecar):
        return
    with open(sidecar, encoding="utf-8", errors="replace") as handle:
        expected = handle.read().split(" ", 1)[0].strip().lower()
    if expected != sha256:
        raise IntegrityError(
            f"{archive_path} has sha256 {sha256} but {sidecar} says {expected}",
            path=archive_path, hint="the archive changed after it was built; build it again",
        )

"""`agentops package publish ARCHIVE...`: validate built archives again and add them to a registry."""

from __future__ import annotations

import os

from agentpack.core.manifest import MANIFEST_FILE
from agentpack.core.records import dataclass
from agentpack.errors import IntegrityError, Problem, RegistryError, ValidationError
from agentpack.services.classification import check_publish, check_publish_all
from agentpack.services.local_archive import InspectedArchive, inspect_archive
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


@dataclass(frozen=True)
class _Ready:
    """An archive checked for publishing: re-validated, its sidecars verified."""

    path: str
    inspected: InspectedArchive
    signature: dict | None

    @property
    def name(self) -> str:
        return self.inspected.record["name"]

    @property
    def version(self) -> str:
        return self.inspected.record["version"]


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
    return _publish_one(_ready(archive_path, strict), settings, allow_breaking, allow_unresolved)


def publish_archives(archive_paths: list[str], settings: Settings, *, strict: bool = False,
                     allow_breaking: bool = False, allow_unresolved: bool = False) -> list[PublishResult]:
    """Publish several archives (``agentops package publish dist/*.tar.gz``), each as
    ``publish_archive`` would, dependencies within them first; the results in that order.

    Every archive is re-validated and its sidecars checked before any is published. When all go
    to one directory or oci:// registry and name different packages, they are checked there
    together (level, semver, dependencies, with those among them counting as held) and added in
    one step, all or none (``publish_many``). Otherwise (several registries, a registry server,
    two versions of one package) they are published one by one, stopping at the first refusal.
    """
    checked = {}
    for path in archive_paths:  # one archive named twice (or two copies of it) is published once
        item = _ready(path, strict)
        checked.setdefault(item.inspected.record["sha256"], item)
    ready = _dependencies_first(list(checked.values()))
    if len(ready) == 1:
        return [_publish_one(ready[0], settings, allow_breaking, allow_unresolved)]
    ws = open_workspace(None)
    ws_manifest = ws.load_manifest()
    routing = settings.registry_routing(ws_manifest, ws.root)
    slots = {(slot.location, slot.base_dir) for slot in (routing.for_name(r.name)[0] for r in ready)}
    registry = None
    if len(slots) == 1 and len({r.name for r in ready}) == len(ready):
        from agentpack.adapters.registry import open_registry

        location, base_dir = next(iter(slots))
        registry = open_registry(location, base_dir=base_dir, options=settings.registry_options())
    if registry is None or not registry.writable or not hasattr(registry, "publish_many"):
        return _one_by_one(ready, settings, allow_breaking, allow_unresolved)
    check_publish_all(ws_manifest, [r.inspected.record["manifest"] for r in ready], registry)  # no write down
    releases = [_release(registry, r, allow_breaking) for r in ready]
    records = [_record(r, settings, release, allow_unresolved) for r, release in zip(ready, releases, strict=True)]
    batch = {r.name: [r.version] for r in ready}
    warnings = [[*r.inspected.report.warnings,
                 *dependency_warnings(registry, r.inspected.report.manifest.dependencies, also=batch)] for r in ready]
    stored = registry.publish_many([(r.inspected.data, record) for r, record in zip(ready, records, strict=True)])
    return [PublishResult(name=s["name"], version=s["version"], sha256=s["sha256"], registry=registry.url,
                          warnings=w, release=release)
            for s, w, release in zip(stored, warnings, releases, strict=True)]


def _one_by_one(ready: list[_Ready], settings: Settings, allow_breaking: bool,
                allow_unresolved: bool) -> list[PublishResult]:
    """Publish each in turn, stopping at the first refusal, whose message then says which were
    published before it (those stay: published versions never change)."""
    from agentpack.errors import AgentpackError

    results: list[PublishResult] = []
    for item in ready:
        try:
            results.append(_publish_one(item, settings, allow_breaking, allow_unresolved))
        except AgentpackError as exc:
            if results:
                exc.message += ("; published before it: "
                                + ", ".join(f"{r.name}@{r.version}" for r in results)
                                + f"; not published: {', '.join(f'{r.name}@{r.version}' for r in ready[len(results):])}")
            raise
    return results


def _ready(archive_path: str, strict: bool) -> _Ready:
    inspected = inspect_archive(archive_path, strict=strict)
    refuse_unknown_fields(archive_path, inspected.report.warnings)
    _check_sidecar(archive_path, inspected.record["sha256"])
    from agentpack.services.signing import checked_sidecar

    signature = checked_sidecar(archive_path, inspected.record)  # ARCHIVE.sig, refused when bad
    return _Ready(archive_path, inspected, signature)


def _publish_one(ready: _Ready, settings: Settings, allow_breaking: bool, allow_unresolved: bool) -> PublishResult:
    from agentpack.adapters.registry import open_registry

    inspected = ready.inspected
    ws = open_workspace(None)
    ws_manifest = ws.load_manifest()
    slot = settings.registry_routing(ws_manifest, ws.root).for_name(ready.name)[0]
    registry = open_registry(slot.location, base_dir=slot.base_dir, options=settings.registry_options())
    if not registry.writable:
        registry.publish(inspected.data, inspected.record)  # raises the backend's own "read-only" error
    check_publish(ws_manifest, inspected.record["manifest"], registry)  # no write down
    release = _release(registry, ready, allow_breaking)
    record = _record(ready, settings, release, allow_unresolved)
    warnings = [*inspected.report.warnings, *dependency_warnings(registry, inspected.report.manifest.dependencies)]
    stored = registry.publish(inspected.data, record)
    return PublishResult(name=stored["name"], version=stored["version"], sha256=stored["sha256"],
                         registry=registry.url, warnings=warnings, release=release)


def _release(registry, ready: _Ready, allow_breaking: bool) -> ReleaseCheck:
    return check_release(registry, ready.name, ready.version,
                         lambda: content_from_archive(ready.inspected.data, ready.path), allow_breaking=allow_breaking)


def _record(ready: _Ready, settings: Settings, release: ReleaseCheck, allow_unresolved: bool) -> dict:
    record = dict(ready.inspected.record, published_at=settings.now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    if release.allowed_breaking:
        record["allow_breaking"] = True
    if ready.signature is not None:
        record["signature"] = ready.signature
    if allow_unresolved:
        record["allow_unresolved"] = True
    return record


def _dependencies_first(ready: list[_Ready]) -> list[_Ready]:
    """``ready`` with each package after those among them it depends on, else in the given order
    (a cycle, which no resolver accepts anyway, keeps its given order), and the versions of one
    package lowest first."""
    from agentpack.core.spec import parse_dependency
    from agentpack.errors import AgentpackError

    by_name = {}
    for item in ready:
        by_name.setdefault(item.name, []).append(item)
    placed: list[_Ready] = []
    seen: set[int] = set()

    def place(item: _Ready, path: set[str]) -> None:
        if id(item) in seen or item.name in path:
            return
        for text in item.inspected.record["manifest"].get("dependencies") or []:
            try:
                dependency = parse_dependency(text)[0]
            except AgentpackError:
                continue
            for other in by_name.get(dependency, []):
                place(other, path | {item.name})
        seen.add(id(item))
        placed.append(item)

    for item in ready:
        place(item, set())
    # Versions of one package go lowest first, each checked against the one before it.
    from agentpack.core.versions import parse_version

    slots = {name: iter(sorted(items, key=lambda r: parse_version(r.version))) for name, items in by_name.items()}
    return [next(slots[item.name]) for item in placed]


def dependency_warnings(registry, dependencies: dict[str, str], also: dict[str, list[str]] | None = None) -> list[Problem]:
    """A warning for each dependency the registry cannot satisfy: a package it does not hold (with
    the nearest names it does) or a range none of its versions is in (with the versions). Only a
    warning: the dependency may be published later, or live in another registry. ``also``: the
    versions published together with it ({name: [version]}), which count as held."""
    from agentpack.core.names import did_you_mean
    from agentpack.core.versions import parse_range

    warnings, names = [], None
    for name, range_text in dependencies.items():
        try:
            versions = list(registry.package_index(name).get("versions", {})) + list((also or {}).get(name, []))
        except RegistryError:  # no such package, or no registry yet (this publish creates it)
            versions = list(also[name]) if also and name in also else None
        if versions is None:
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

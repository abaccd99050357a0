"""`agentops package publish ARCHIVE`: validate a built archive again and add it to a registry."""

from __future__ import annotations

import os
from dataclasses import dataclass

from agentpack.errors import IntegrityError
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
                    allow_breaking: bool = False) -> PublishResult:
    """Publish ``archive_path`` to the registry chosen by ``settings`` (first in precedence order).

    The archive is re-read safely and re-validated (it may have been built elsewhere); when a
    ``.sha256`` file sits beside it, the archive must match it. A name@version the registry already
    holds is refused (VersionExists), whatever its content. So is a version whose bump from the
    previous published one is smaller than its changes require (BreakingRelease, see
    services.release_check), unless ``allow_breaking``: then it is published with
    ``allow_breaking: true`` in its registry record.
    """
    from agentpack.adapters.registry import open_registry

    inspected = inspect_archive(archive_path, strict=strict)
    _check_sidecar(archive_path, inspected.record["sha256"])
    from agentpack.services.signing import checked_sidecar

    signature = checked_sidecar(archive_path, inspected.record)  # ARCHIVE.sig, refused when bad
    ws = open_workspace(None)
    ws_manifest = ws.load_manifest()
    location, base = settings.registry_locations(ws_manifest, ws.root)[0]
    registry = open_registry(location, base_dir=base)
    check_publish(ws_manifest, inspected.record["manifest"], registry)  # no write down
    content = content_from_archive(inspected.data, archive_path)
    release = check_release(registry, content, allow_breaking=allow_breaking)
    record = dict(inspected.record, published_at=settings.now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    if release.allowed_breaking:
        record["allow_breaking"] = True
    if signature is not None:
        record["signature"] = signature
    stored = registry.publish(inspected.data, record)
    return PublishResult(name=stored["name"], version=stored["version"], sha256=stored["sha256"],
                         registry=registry.url, warnings=inspected.report.warnings, release=release)


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

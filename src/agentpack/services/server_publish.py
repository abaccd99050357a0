"""Publishing to a registry server: an upload checked exactly as `agentops package publish`
checks an archive, then added to the server's registry.

Two steps, because the server decides who may publish only once it knows the package's name and
classification, which come from the archive: ``check_upload`` (the safe reader, the package
validation, the refusal of unknown manifest fields, the signature) and ``publish_upload`` (the
semver check against the previous version, unresolved dependencies, then the registry's publish,
which enforces immutability and the team's quota).
"""

from __future__ import annotations

from datetime import datetime

from agentpack.errors import Problem, ValidationError
from agentpack.services.local_archive import InspectedArchive, inspect_archive_data
from agentpack.services.publish import PublishResult, dependency_warnings, refuse_unknown_fields


def check_upload(data: bytes, signature: dict | None, source: str = "the upload") -> tuple[InspectedArchive, dict | None]:
    """``(inspected archive, verified signature or None)`` for uploaded archive bytes; raises what
    publish raises for a bad archive (ValidationError listing every problem, UnsafeArchive,
    SignatureError)."""
    from agentpack.services.signing import verify_document

    inspected = inspect_archive_data(data, source)
    refuse_unknown_fields(source, inspected.report.warnings)
    if signature is not None:
        record = inspected.record
        verify_document(signature, name=record["name"], version=record["version"], sha256=record["sha256"],
                        where=f"{source}'s signature")
    return inspected, signature


def publish_upload(registry, inspected: InspectedArchive, signature: dict | None, *, now: datetime,
                   allow_breaking: bool = False, allow_unresolved: bool = False,
                   quota: tuple[int | None, int | None] = (None, None), readable=None) -> PublishResult:
    """Add a checked upload to ``registry`` (adapters.registry.stored.StoredRegistry).

    ``readable`` is the registry as the publisher may read it (server.public_view.CallerView;
    default: ``registry`` itself): the semver check and the dependency check look only at it, so
    that what the publisher may not see counts as absent and no refusal reveals it.

    Raises ``BreakingRelease`` as publish does (unless ``allow_breaking``), ``ValidationError``
    naming every dependency whose range matches nothing ``readable`` holds (unless
    ``allow_unresolved``, which is then recorded), ``VersionExists``, ``QuotaExceeded``.
    """
    from agentpack.services.package_content import content_from_archive
    from agentpack.services.release_check import check_release

    readable = registry if readable is None else readable
    release = check_release(readable, inspected.record["name"], inspected.record["version"],
                            lambda: content_from_archive(inspected.data, inspected.path), allow_breaking=allow_breaking)
    unresolved = dependency_warnings(readable, inspected.report.manifest.dependencies)
    if unresolved and not allow_unresolved:
        problems = [Problem("error", p.code, p.message, p.path, p.line, p.field) for p in unresolved]
        raise ValidationError(f"{inspected.record['name']}@{inspected.record['version']} depends on what this "
                              "registry does not hold; nothing was published", problems=problems,
                              hint="publish the dependencies first, or publish with --allow-unresolved")
    record = dict(inspected.record, published_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    if release.allowed_breaking:
        record["allow_breaking"] = True
    if unresolved:
        record["allow_unresolved"] = True
    if signature is not None:
        record["signature"] = signature
    stored = registry.publish(inspected.data, record, quota=quota)
    return PublishResult(name=stored["name"], version=stored["version"], sha256=stored["sha256"],
                         registry=registry.url, warnings=[*inspected.report.warnings, *unresolved], release=release)

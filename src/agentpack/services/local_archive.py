"""Reading a built archive from disk: for publish and for `install ./dist/x-1.0.0.tar.gz`."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping

from agentpack.adapters.archive import read_archive
from agentpack.core.hidden_unicode import CODE as _HIDDEN_UNICODE
from agentpack.core.records import dataclass
from agentpack.errors import AgentpackError, UnsafeArchive, ValidationError
from agentpack.services.validate import ValidationReport, validate_files


@dataclass(frozen=True)
class InspectedArchive:
    """An archive read from disk, validated, with the registry record describing it."""

    path: str
    data: bytes
    record: dict  # name, version, sha256, size, manifest, components
    report: ValidationReport


def inspect_archive(path: str, *, strict: bool = False, allow_hidden_unicode: bool = False,
                    accepted_sha256: str | None = None) -> InspectedArchive:
    """Read, safety-check and validate the archive at ``path``; raise ValidationError on any error.

    The file's size is checked first: one larger than any archive within the limits is refused
    (UnsafeArchive) before it is read. The rest is ``inspect_archive_data``'s.
    """
    from agentpack.adapters.archive import ArchiveLimits

    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            limit = ArchiveLimits().max_archive_size
            if size > limit:
                raise UnsafeArchive(f"{path} is {size} bytes, over the archive limit of {limit}", path=path,
                                    hint="no package within the limits is that large; do not install it")
            data = handle.read()
    except FileNotFoundError:
        raise AgentpackError(f"{path}: no such archive", path=path,
                             hint="build one with `agentops package build DIR`") from None
    except IsADirectoryError:
        raise AgentpackError(f"{path} is a directory, not an archive", path=path,
                             hint="build it first: agentops package build DIR") from None
    except OSError as exc:
        raise AgentpackError(f"cannot read {path}: {exc.strerror or exc}", path=path) from None
    return inspect_archive_data(data, path, strict=strict, allow_hidden_unicode=allow_hidden_unicode,
                                accepted_sha256=accepted_sha256)


def inspect_archive_data(data: bytes, source: str, *, files: Mapping[str, bytes] | None = None,
                         strict: bool = False, allow_hidden_unicode: bool = False,
                         accepted_sha256: str | None = None, sha256: str | None = None,
                         warnings: bool = True) -> InspectedArchive:
    """The one check an archive passes before it is published, installed from a file or loaded
    from a bundle: the safe reader (``read_archive``: paths, types, duplicates, collisions, limits,
    gzip integrity; UnsafeArchive naming ``source``), then the package validation of
    ``validate_files``; ValidationError listing every problem when any is an error.

    ``files`` are the archive's files when the caller has already read ``data`` through
    ``read_archive`` (a bundle streams each archive through it as it is read), else they are read
    here; likewise ``sha256``, the hex SHA-256 of ``data`` when the caller has already taken it.
    Hidden Unicode characters are errors like any other (publish refuses them), except when
    ``allow_hidden_unicode`` or when the archive's sha256 is ``accepted_sha256`` (an archive a
    workspace already installed): then they stay in the report but do not block.
    ``warnings=False`` is for callers that only need the verdict and the record (a bundle load):
    the checks that can only warn are skipped, and run after all when the archive is refused, so
    that the refusal still lists every problem.
    """
    if sha256 is None:
        sha256 = hashlib.sha256(data).hexdigest()
    if files is None:
        try:
            files = read_archive(data)
        except UnsafeArchive as exc:
            exc.path = exc.path or source
            raise
    report = validate_files(files, source=source, strict=strict, warnings=warnings)
    tolerated = allow_hidden_unicode or sha256 == accepted_sha256
    blocking = [p for p in report.errors if not (tolerated and p.code == _HIDDEN_UNICODE)]
    if blocking or report.manifest is None:
        if not warnings:
            report = validate_files(files, source=source, strict=strict)
        hint = "fix the package source and build it again"
        if any(p.code == _HIDDEN_UNICODE for p in blocking):
            hint += " (`agentops package validate --fix-unicode DIR` strips hidden characters)"
        raise ValidationError(f"{source} is not a valid package", path=source, problems=report.problems,
                              hint=hint)
    manifest = report.manifest
    record = {
        "name": manifest.name,
        "version": manifest.version,
        "sha256": sha256,
        "size": len(data),
        "manifest": manifest.to_dict(),
        "components": manifest.component_counts(),
    }
    return InspectedArchive(path=os.path.abspath(source), data=data, record=record, report=report)


def read_local_archive(path: str, *, allow_hidden_unicode: bool = False,
                       accepted_sha256: str | None = None) -> tuple[dict, bytes]:
    """(record, bytes) of an archive used as an install spec, checked like a registry package.

    Validated as by ``inspect_archive`` (hidden Unicode blocks unless ``allow_hidden_unicode``,
    i.e. install's --allow-hidden-unicode, or the archive is the one the lock already pins,
    ``accepted_sha256``). A detached signature beside it (``ARCHIVE.sig``, written by
    ``agentops package build --sign``) is verified now, before anything is written
    (SignatureError naming the .sig file when bad), and stored as the record's ``signature``, where
    a registry keeps it, so install's signature and trust checks treat both sources alike.
    """
    from agentpack.services.signing import checked_sidecar

    try:
        inspected = inspect_archive(path, allow_hidden_unicode=allow_hidden_unicode,
                                    accepted_sha256=accepted_sha256)
    except ValidationError as exc:
        if exc.problems and all(p.code == _HIDDEN_UNICODE for p in exc.problems if p.is_error):
            exc.hint = (f"{exc.hint}; or re-run with --allow-hidden-unicode to install it anyway"
                        if exc.hint else "re-run with --allow-hidden-unicode to install it anyway")
        raise
    record = dict(inspected.record)
    signature = checked_sidecar(path, record)
    if signature is not None:
        record["signature"] = signature
    return record, inspected.data

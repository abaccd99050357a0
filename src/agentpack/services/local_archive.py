"""Reading a built archive from disk: for publish and for `install ./dist/x-1.0.0.tar.gz`."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from agentpack.adapters.archive import read_archive
from agentpack.errors import AgentpackError, ValidationError
from agentpack.services.validate import ValidationReport, validate_files


@dataclass(frozen=True)
class InspectedArchive:
    """An archive read from disk, validated, with the registry record describing it."""

    path: str
    data: bytes
    record: dict  # name, version, sha256, size, manifest, components
    report: ValidationReport


def inspect_archive(path: str, *, strict: bool = False) -> InspectedArchive:
    """Read, safety-check and validate the archive at ``path``; raise ValidationError on any error."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise AgentpackError(f"{path}: no such archive", path=path,
                             hint="build one with `agentops package build DIR`") from None
    except IsADirectoryError:
        raise AgentpackError(f"{path} is a directory, not an archive", path=path,
                             hint="build it first: agentops package build DIR") from None
    files = read_archive(data)
    report = validate_files(files, source=path, strict=strict)
    if report.errors or report.manifest is None:
        raise ValidationError(f"{path} is not a valid package", path=path, problems=report.problems,
                              hint="fix the package source and build it again")
    manifest = report.manifest
    record = {
        "name": manifest.name,
        "version": manifest.version,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "manifest": manifest.to_dict(),
        "components": manifest.component_counts(),
    }
    return InspectedArchive(path=os.path.abspath(path), data=data, record=record, report=report)


def read_local_archive(path: str) -> tuple[dict, bytes]:
    """(record, bytes) of an archive used as an install spec."""
    inspected = inspect_archive(path)
    return inspected.record, inspected.data

"""`agentops package build`: validate a package folder and write its reproducible archive."""

from __future__ import annotations

import os

from agentpack.core.names import archive_basename
from agentpack.core.records import dataclass
from agentpack.errors import ValidationError
from agentpack.services.validate import ValidationReport, collect_package_files, validate_files


@dataclass(frozen=True)
class BuildResult:
    """The archive written (path, sha256 and size), the package it holds and the validation report."""

    path: str
    sha256: str
    size: int
    name: str
    version: str
    report: ValidationReport
    signature: str | None = None  # path of the detached signature (ARCHIVE.sig) when signed

    def to_dict(self) -> dict:
        data = {"path": self.path, "sha256": self.sha256, "size": self.size, "name": self.name,
                "version": self.version, "warnings": [p.to_dict() for p in self.report.warnings]}
        if self.signature is not None:
            data["signature"] = self.signature
        return data


def build_package(directory: str, out_dir: str = "dist", *, strict: bool = False, signer=None) -> BuildResult:
    """Validate ``directory`` and write ``out_dir/NAME-VERSION.tar.gz`` plus its ``.sha256``.

    With a ``signer`` (services.signing.load_signer, opened before building so that a locked key
    writes nothing), the detached signature ``NAME-VERSION.tar.gz.sig`` is written beside it.

    Raises ValidationError (with every problem) and writes nothing when the package has errors.
    The archive is byte-for-byte reproducible: it depends only on file paths and contents.
    When package.yaml lists globs, the archive's package.yaml lists their sorted matches instead
    (see ``expand_manifest_globs``), so what is published and locked names every file exactly.
    """
    from agentpack.adapters.archive import write_archive

    files = collect_package_files(directory)
    report = validate_files(files, source=os.path.abspath(directory), strict=strict)
    if report.errors or report.manifest is None:
        raise ValidationError(f"{directory} is not a valid package; nothing was built", path=directory,
                              problems=report.problems, hint="fix the problems listed above, then build again")
    manifest = report.manifest
    os.makedirs(out_dir, exist_ok=True)
    out_path = os.path.join(out_dir, archive_basename(manifest.name, manifest.version) + ".tar.gz")
    built = write_archive(expand_manifest_globs(files), out_path)
    signature = None
    if signer is not None:
        from agentpack.services.signing import write_signature

        signature = write_signature(built.path, signer, manifest.name, manifest.version, built.sha256)
    elif os.path.isfile(built.path + ".sig"):  # a stale signature of an earlier build would mislead publish
        os.unlink(built.path + ".sig")
    return BuildResult(path=built.path, sha256=built.sha256, size=built.size, name=manifest.name,
                       version=manifest.version, report=report, signature=signature)


GLOB_HEADER = (b"# Written by agentops package build: the globs of the package.yaml in the source\n"
               b"# folder are expanded here to the files they matched, sorted.\n")


def expand_manifest_globs(files: dict[str, bytes]) -> dict[str, bytes]:
    """``files`` with package.yaml rewritten so its component lists hold no globs.

    The archive records the expansion rather than the globs: any reader of the archive (an older
    agentops included) sees the exact, sorted list of files, and expanding again can never give a
    different answer. A package.yaml without globs is packed byte for byte, comments included;
    one with globs is re-emitted as plain YAML (its comments are not kept) under a short header.
    Called on validated files only.
    """
    from agentpack.adapters.yamlio import dump_yaml, load_yaml
    from agentpack.core.components import expand_lists
    from agentpack.core.manifest import COMPONENT_KINDS, MANIFEST_FILE

    data, _lines = load_yaml(files[MANIFEST_FILE], source=MANIFEST_FILE)
    expanded = expand_lists(data, list(files), COMPONENT_KINDS)
    if expanded is None:
        return files
    return {**files, MANIFEST_FILE: GLOB_HEADER + dump_yaml(expanded).encode("utf-8")}

"""``agentops package validate``: check a package folder (or an archive's content) and report.

The service reads the folder, hands its files to ``core.manifest.check_package`` and returns every
problem in a ``ValidationReport``. It prints nothing and does not raise for problems in the package;
it raises only when the folder itself cannot be used (it does not exist or is not a directory) or a
file in it cannot be read. ``collect_package_files`` is shared with ``build``: what is validated
here is exactly what a build packs.
"""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Mapping

from agentpack.core.manifest import Manifest
from agentpack.core.package_check import check_package
from agentpack.core.records import dataclass
from agentpack.errors import Problem, ValidationError, WorkspaceError

# Never packed, at any depth: version-control data, build output, tool state and OS litter.
EXCLUDED_NAMES = {".git", ".hg", ".svn", "dist", ".agentops", "node_modules", "__pycache__", ".DS_Store"}
_SCHEMA_RESOURCE = ("schemas", "package.schema.json")


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of validating one package: its manifest (if readable), problems and files."""

    directory: str  # the folder validated, or the archive's name for archive content
    manifest: Manifest | None
    problems: list[Problem]
    files: list[str]  # what a build packs: sorted relative POSIX paths

    @property
    def errors(self) -> list[Problem]:
        """The error-level problems; the package cannot be built or published while any remain."""
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        """The warnings: reported, but they do not block anything (unless validated strictly)."""
        return [p for p in self.problems if not p.is_error]

    @property
    def ok(self) -> bool:
        """True when there are no errors and the manifest could be read."""
        return self.manifest is not None and not self.errors

    def to_dict(self) -> dict:
        """A JSON-ready summary for ``--json`` output: verdict, counts, problems, manifest, files."""
        manifest = self.manifest
        return {
            "directory": self.directory,
            "ok": self.ok,
            "name": manifest.name if manifest else None,
            "version": manifest.version if manifest else None,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [p.to_dict() for p in self.problems],
            "manifest": manifest.to_dict() if manifest else None,
            "components": manifest.component_counts() if manifest else None,
            "files": list(self.files),
        }


def collect_package_files(directory: str) -> dict[str, bytes]:
    """Read every file a build of ``directory`` packs: ``{relative POSIX path: content}``.

    Walks the folder, skipping any file or folder named in ``EXCLUDED_NAMES`` at any depth. Raises
    ``WorkspaceError`` if ``directory`` is not a readable directory or a file cannot be read, and
    ``ValidationError`` (with one ``symlink`` or ``special-file`` problem each) if the package holds
    symbolic links or other non-regular files: links could point outside the package or differ
    between machines, so they are refused rather than followed.
    """
    files, problems = _scan(directory)
    if problems:
        listed = ", ".join(p.path or "" for p in problems)
        raise ValidationError(
            f"{directory} contains files that cannot be packed: {listed}",
            path=directory,
            problems=problems,
            hint="replace each symbolic link with a copy of the file it points to",
        )
    return files


def validate_package(directory: str, *, strict: bool = False) -> ValidationReport:
    """Validate the package folder ``directory`` and return a report of every problem found.

    Symbolic links and other non-regular files are reported as errors (``symlink``,
    ``special-file``) alongside the package's other problems instead of being raised. ``strict``
    turns warnings into errors. Raises ``WorkspaceError`` only when the folder is unusable.
    """
    files, scan_problems = _scan(directory)
    report = validate_files(files, source=directory, strict=strict)
    problems = sorted(
        [*scan_problems, *report.problems], key=lambda p: (p.path or "", p.line or 0, p.code, p.message)
    )
    return ValidationReport(
        directory=directory, manifest=report.manifest, problems=problems, files=report.files
    )


def validate_files(files: Mapping[str, bytes], *, source: str, strict: bool = False,
                   warnings: bool = True) -> ValidationReport:
    """Validate a package given as ``{relative POSIX path: content}`` (e.g. an archive's content).

    ``source`` names where the files came from and becomes the report's ``directory``. Never raises
    for problems in the content; they are all in the returned report. The package's own quality
    gates (its ``validations:`` files) are applied too: an error-level violation fails validation.
    ``warnings=False`` skips the checks that can only warn (frontmatter, path mentions), which are
    most of the cost: the errors, and so whether the package passes, are the same.
    """
    from agentpack.adapters.yamlio import load_yaml
    from agentpack.core.hidden_unicode import scan_files

    warnings = warnings or strict
    manifest, problems = check_package(files, _package_schema(), load_yaml, strict=strict, warnings=warnings)
    # Hidden characters are errors here, so build and publish (which validate through this) refuse them.
    problems = sorted([*problems, *scan_files(files)], key=lambda p: (p.path or "", p.line or 0, p.code, p.message))
    if manifest is not None:
        from agentpack.core.manifest import finish_problems
        from agentpack.core.package_gates import check_own_gates
        from agentpack.core.path_references import path_reference_problems
        from agentpack.services.classification import level_problems

        problems = finish_problems([*problems, *check_own_gates(manifest, files, load_yaml),
                                    *level_problems(manifest),
                                    *(path_reference_problems(manifest, files) if warnings else ())], strict)
    return ValidationReport(directory=source, manifest=manifest, problems=problems, files=sorted(files))


def load_schema() -> dict:
    """Return the package.yaml JSON schema shipped in ``agentpack/schemas/package.schema.json``.

    A fresh dict on every call, so callers may modify it.
    """
    import json

    return json.loads(_schema_text())


@functools.cache
def _package_schema() -> dict:
    # One parsed schema for every validation in this process (check_package only reads it): a
    # bundle validates hundreds of packages, and parsing the schema each time cost a tenth of it.
    return load_schema()


@functools.cache
def _schema_text() -> str:
    # The text is cached, not the parsed dict, so no caller can change what another one sees.
    # Read beside the package's own modules when it is installed as files (always, from a wheel
    # or a checkout): importing importlib.resources costs more than a whole small validation.
    import agentpack

    try:
        with open(os.path.join(os.path.dirname(agentpack.__file__), *_SCHEMA_RESOURCE), encoding="utf-8") as handle:
            return handle.read()
    except OSError:  # imported from a zip file or another loader: ask it
        from importlib.resources import files

        return files("agentpack").joinpath(*_SCHEMA_RESOURCE).read_text(encoding="utf-8")


def _scan(directory: str) -> tuple[dict[str, bytes], list[Problem]]:
    """Every regular file under ``directory`` (minus exclusions), and problems for links and
    special files. Iterative, so deep trees cannot overflow the stack."""
    try:
        if not stat.S_ISDIR(os.stat(directory).st_mode):
            raise WorkspaceError(
                f"{directory} is not a directory",
                path=directory,
                hint="give the folder that holds package.yaml",
            )
    except OSError as exc:
        raise WorkspaceError(
            f"cannot read {directory}: {exc.strerror}",
            path=directory,
            hint="give the folder that holds package.yaml",
        ) from None
    files: dict[str, bytes] = {}
    problems: list[Problem] = []
    pending = [("", directory)]
    while pending:
        prefix, folder = pending.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            raise WorkspaceError(f"cannot read the folder {folder}: {exc.strerror}", path=folder) from None
        for entry in entries:
            if entry.name in EXCLUDED_NAMES:
                continue
            relative = prefix + entry.name
            if entry.is_symlink():
                target = _link_target(entry.path)
                problems.append(Problem(
                    "error", "symlink",
                    f"{relative} is a symbolic link (to {target}); packages cannot contain links",
                    path=relative,
                ))  # fmt: skip
            elif entry.is_dir(follow_symlinks=False):
                pending.append((relative + "/", entry.path))
            elif entry.is_file(follow_symlinks=False):
                files[relative] = _read(entry.path)
            else:
                problems.append(Problem(
                    "error", "special-file",
                    f"{relative} is not a regular file (a device, socket or pipe) and cannot be packed",
                    path=relative,
                ))  # fmt: skip
    return files, problems


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise WorkspaceError(f"cannot read {path}: {exc.strerror}", path=path) from None


def _link_target(path: str) -> str:
    try:
        return repr(os.readlink(path))
    except OSError:
        return "an unreadable target"

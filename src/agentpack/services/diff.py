"""`agentops package diff OLD NEW`: what changed between two versions of a package.

OLD and NEW are each a package folder, an archive file or a published ``name@version`` (also
``name@range`` for the highest matching version, or a bare name for the latest release), taken
from the registries the workspace uses. The comparison and its rules live in
``core.package_diff``; this module only finds and reads the two packages.
"""

from __future__ import annotations

import os

from agentpack.core.package_diff import PackageContent, PackageDiff, bump_between, diff_packages, next_version
from agentpack.core.records import dataclass
from agentpack.core.spec import looks_like_archive_path
from agentpack.errors import AgentpackError, PackageNotFound
from agentpack.services.package_content import content_from_archive, content_from_path, published_versions
from agentpack.services.workspace import Settings


@dataclass(frozen=True)
class DiffSide:
    """One of the two packages compared: where it came from and what it holds."""

    source: str  # the argument as given
    kind: str  # 'directory', 'archive' or 'registry'
    content: PackageContent

    @property
    def name(self) -> str:
        return self.content.manifest.name

    @property
    def version(self) -> str:
        return self.content.manifest.version

    def to_dict(self) -> dict:
        return {"name": self.name, "version": self.version, "source": self.source, "kind": self.kind}


@dataclass(frozen=True)
class DiffResult:
    """The two packages, their differences, the release those require and the one they are."""

    old: DiffSide
    new: DiffSide
    diff: PackageDiff

    @property
    def required(self) -> str:
        """The bump the changes require: 'major', 'minor', 'patch' or 'none'."""
        return self.diff.required

    @property
    def actual(self) -> str:
        """The bump from OLD's version to NEW's ('none' when NEW is not higher)."""
        return bump_between(self.old.version, self.new.version)

    @property
    def suggested(self) -> str:
        """The lowest version above OLD's that is a big enough release for the changes."""
        return str(next_version(self.old.version, self.required))

    def to_dict(self) -> dict:
        """``{old, new, required, actual, suggested, changes: [{kind, what, detail, bump}]}``."""
        return {"old": self.old.to_dict(), "new": self.new.to_dict(), "required": self.required,
                "actual": self.actual, "suggested": self.suggested,
                "changes": [c.to_dict() for c in self.diff.changes]}


def diff_packages_at(old: str, new: str, settings: Settings, directory: str | None = None) -> DiffResult:
    """Compare the packages named by ``old`` and ``new`` (see the module docstring).

    ``directory`` is the -C directory: relative paths and the workspace's registries are taken
    from there. A text that is neither an existing folder nor an existing file is read as a package
    spec. Raises ``PackageNotFound`` when a spec matches nothing published, and the usual reading
    and validation errors for a folder or archive that cannot be read.
    """
    source = None

    def side(text: str) -> DiffSide:
        nonlocal source
        path = text if directory is None or os.path.isabs(text) else os.path.join(directory, text)
        if os.path.isdir(path):
            return DiffSide(text, "directory", content_from_path(path))
        if os.path.isfile(path):
            return DiffSide(text, "archive", content_from_path(path))
        if looks_like_archive_path(text):
            raise AgentpackError(f"{text}: no such archive or package folder", path=path,
                                 hint="give a package folder, an archive file or a published name@version")
        if source is None:
            from agentpack.services.info import package_source

            source = package_source(directory, settings)
        return DiffSide(text, "registry", published_content(source, text))

    old_side, new_side = side(old), side(new)
    return DiffResult(old_side, new_side, diff_packages(old_side.content, new_side.content))


def published_content(source, spec_text: str) -> PackageContent:
    """The content of the highest published version matching ``spec_text`` in ``source``
    (a ``services.sources.PackageSource``); raises ``PackageNotFound`` naming what exists."""
    from agentpack.core.spec import parse_spec
    from agentpack.core.versions import max_satisfying

    spec = parse_spec(spec_text)
    index = source.index(spec.name)
    versions = published_versions(index)
    if not versions:
        raise PackageNotFound(f"{spec.name} is not published in {source.describe(spec.name)}",
                              hint="give a package folder or an archive path, or check --registry")
    chosen = max_satisfying([parsed for parsed, _ in versions], spec.range)
    if chosen is None:
        raise PackageNotFound(f"no published version of {spec.name} matches {spec.range_text}",
                              hint=f"published: {', '.join(text for _, text in versions)}")
    text = next(text for parsed, text in versions if parsed == chosen)
    return content_from_archive(source.archive(spec.name, text, index[text]["sha256"]), f"{spec.name}@{text}")

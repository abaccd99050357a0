"""`agentops package bump major|minor|patch|auto [DIR]`: raise the version in package.yaml.

``major``, ``minor`` and ``patch`` bump the folder's own version as npm's ``version`` command does
(``1.2.0-rc.1`` completes to ``1.2.0`` for minor). ``auto`` compares the folder with the highest
published version of the package and sets the lowest version above it that the changes allow; a
folder whose version already is such a release, or that has not changed, is left alone.
package.yaml is edited in place with every comment and all formatting kept.
"""

from __future__ import annotations

import os

from agentpack.core.manifest import MANIFEST_FILE
from agentpack.core.package_diff import Change, at_least, bump_between, diff_packages, next_version
from agentpack.core.records import dataclass, replace
from agentpack.core.versions import parse_version
from agentpack.errors import PackageNotFound, UsageError, WorkspaceError
from agentpack.services.workspace import Settings

BUMP_PARTS = ("major", "minor", "patch", "auto")


@dataclass(frozen=True)
class BumpResult:
    """What ``bump`` did: the version before and after, and for ``auto`` what it compared with.

    ``changed`` is False when package.yaml was left as it was (``auto`` found nothing to release,
    or the version already was a big enough release); ``reason`` then says why.
    """

    path: str  # the package.yaml edited (or not)
    name: str
    old: str
    new: str
    part: str  # as asked: major, minor, patch or auto
    changed: bool
    reason: str = ""
    compared_with: str | None = None  # auto: the published version compared with
    required: str | None = None  # auto: the bump the changes require
    changes: tuple[Change, ...] = ()

    def to_dict(self) -> dict:
        return {"path": self.path, "name": self.name, "old": self.old, "new": self.new, "part": self.part,
                "changed": self.changed, "reason": self.reason, "compared_with": self.compared_with,
                "required": self.required, "changes": [c.to_dict() for c in self.changes]}


def bump_version(directory: str, part: str, settings: Settings, workspace: str | None = None) -> BumpResult:
    """Bump the version of the package in ``directory`` by ``part`` (one of ``BUMP_PARTS``).

    ``auto`` reads the registries of the workspace at ``workspace`` (the -C directory) and raises
    ``PackageNotFound`` when nothing of the package is published yet. Raises ``UsageError`` for an
    unknown part, ``WorkspaceError`` when there is no package.yaml, and ``InvalidVersion`` when its
    version is not SemVer. Writes package.yaml atomically, and only when the version changes.
    """
    if part not in BUMP_PARTS:
        raise UsageError(f"unknown bump {part!r}", hint=f"use one of {', '.join(BUMP_PARTS)}")
    path = os.path.join(directory, MANIFEST_FILE)
    text = _read(path)
    if part != "auto":
        name, current = _identity(text, path)
        new = str(parse_version(current).bump(part))
        return _write(BumpResult(path, name, current, new, part, changed=True), text)
    return _auto(directory, path, text, settings, workspace)


def _auto(directory: str, path: str, text: str, settings: Settings, workspace: str | None) -> BumpResult:
    from agentpack.services.diff import published_content
    from agentpack.services.info import package_source
    from agentpack.services.package_content import content_from_directory
    from agentpack.services.sources import highest_published

    content = content_from_directory(directory)
    name, current = content.manifest.name, content.manifest.version
    parse_version(current)
    source = package_source(workspace, settings)
    published = highest_published(source.index(name))
    if published is None:
        raise PackageNotFound(
            f"{name} is not published in {source.describe(name)}: `bump auto` has nothing to compare with",
            hint="choose the bump yourself: agentops package bump major|minor|patch",
        )
    diff = diff_packages(published_content(source, f"{name}@{published}"), content)
    result = BumpResult(path, name, current, current, "auto", changed=False, compared_with=published,
                        required=diff.required, changes=diff.changes)
    if diff.required == "none":
        return replace(result, reason=f"nothing changed since {name}@{published}; version left at {current}")
    if at_least(bump_between(published, current), diff.required):
        return replace(result, reason=f"{current} already is a {diff.required} release after {published}")
    return _write(replace(result, new=str(next_version(published, diff.required)), changed=True), text)


def _identity(text: str, path: str) -> tuple[str, str]:
    from agentpack.adapters.yamlio import load_yaml

    data, _ = load_yaml(text, source=path)
    if not isinstance(data, dict) or not isinstance(data.get("version"), str):
        raise WorkspaceError(f"{path} has no version to bump", path=path,
                             hint='write it as a quoted string, e.g. version: "1.0.0"')
    return str(data.get("name", "")), data["version"]


def _write(result: BumpResult, text: str) -> BumpResult:
    from agentpack.adapters.manifest_file import set_manifest_version
    from agentpack.adapters.paths import write_atomic

    edited = set_manifest_version(text, result.new, source=result.path)
    # _read keeps "\r\n" (newline=""), so writing the text back as bytes keeps the file's line endings.
    write_atomic(result.path, edited.encode("utf-8"))
    return result


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except FileNotFoundError:
        raise WorkspaceError(f"no {MANIFEST_FILE} in {os.path.dirname(path) or '.'}", path=path,
                             hint="give the package folder: agentops package bump PART DIR") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkspaceError(f"cannot read {path}: {exc}", path=path) from None

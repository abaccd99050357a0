"""Reading one version of a package for comparison: from a folder, an archive or a registry.

``diff``, ``bump`` and ``publish`` compare packages through ``core.package_diff``, which wants the
manifest, every file's bytes and the parsed config trees. This module produces that from wherever
the package lives. It is lenient on purpose: a package with validation errors can still be
compared as long as its manifest can be read, and a config file that is not valid YAML is compared
by its bytes, so one bad file in an old published version never blocks publishing the next one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from agentpack.core.package_diff import PackageContent
from agentpack.core.versions import Version, parse_version
from agentpack.errors import AgentpackError, InvalidVersion, ValidationError, YamlError


def content_from_files(files: Mapping[str, bytes], source: str) -> PackageContent:
    """Build the comparable content of a package given as ``{relative POSIX path: bytes}``.

    ``source`` names the package in messages. Raises ``ValidationError`` (with the problems found)
    only when the manifest cannot be read at all.
    """
    from agentpack.adapters.yamlio import load_yaml
    from agentpack.services.validate import validate_files

    report = validate_files(files, source=source)
    if report.manifest is None:
        raise ValidationError(f"{source}: cannot read the package manifest", path=source,
                              problems=report.errors, hint="fix package.yaml, then compare again")
    config = {}
    for name, path in report.manifest.config.items():
        raw = files.get(path)
        if raw is None:
            continue
        try:
            config[name] = load_yaml(raw, source=f"{source}:{path}")[0]
        except YamlError:
            continue  # compared by bytes instead (see PackageContent)
    return PackageContent(manifest=report.manifest, files=dict(files), config=config)


def content_from_directory(directory: str) -> PackageContent:
    """The package in the folder ``directory``, exactly as a build would pack it."""
    from agentpack.services.validate import collect_package_files

    return content_from_files(collect_package_files(directory), directory)


def content_from_archive(data: bytes, source: str) -> PackageContent:
    """The package inside archive bytes ``data`` (read with the usual safety checks)."""
    from agentpack.adapters.archive import read_archive

    return content_from_files(read_archive(data), source)


def content_from_archive_file(path: str) -> PackageContent:
    """The package inside the archive file at ``path``."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise AgentpackError(f"cannot read the archive {path}: {exc.strerror}", path=path) from None
    return content_from_archive(data, path)


def content_from_path(path: str) -> PackageContent:
    """A package folder or an archive file, whichever ``path`` is."""
    return content_from_directory(path) if os.path.isdir(path) else content_from_archive_file(path)


def published_versions(index: Mapping[str, dict]) -> list[tuple[Version, str]]:
    """``(version, text as published)`` for every parseable version of a package index, ascending."""
    found = []
    for text in index:
        try:
            found.append((parse_version(text), text))
        except InvalidVersion:
            continue  # an entry no resolver would use either
    return sorted(found, key=lambda pair: pair[0])


def highest_below(index: Mapping[str, dict], version: str) -> str | None:
    """The highest published version (prereleases included) lower than ``version``, or None."""
    limit = parse_version(version)
    below = [text for parsed, text in published_versions(index) if parsed < limit]
    return below[-1] if below else None

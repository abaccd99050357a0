"""Turning a verified archive into the files a workspace receives."""

from __future__ import annotations

from collections.abc import Callable

from agentpack.adapters.archive import read_archive
from agentpack.adapters.yamlio import load_yaml
from agentpack.core.components import SKILL_FILE, SKILLS
from agentpack.core.docs_index import SUMMARY_KINDS, summarize
from agentpack.core.layout import installed_files
from agentpack.core.manifest import Manifest
from agentpack.errors import ValidationError


def read_manifest(files: dict[str, bytes], where: str) -> Manifest:
    """The Manifest of an archive's package.yaml (trusted: the archive was validated when published)."""
    if "package.yaml" not in files:
        raise ValidationError(f"{where} has no package.yaml", path=where,
                              hint="build archives with `agentops package build`")
    data, _lines = load_yaml(files["package.yaml"], source=f"{where}:package.yaml")
    if not isinstance(data, dict):
        raise ValidationError(f"package.yaml in {where} is not a mapping", path=where)
    return Manifest.from_dict(data)


def unpack_package(archive: bytes, name: str, version: str,
                   disabled: Callable[[dict], set[str]] = lambda manifest: set()) -> tuple[Manifest, dict[str, bytes], dict]:
    """(manifest, {workspace path: content} for every file name@version installs, snapshot),
    read safely from ``archive``. The snapshot is what later commands need without the archive:
    the manifest, the package's raw config files, and a one-line summary of each component.

    ``disabled(manifest dict)`` names package paths the workspace keeps out (local overrides and
    tier). The archive's own package.yaml must name the same package and version as the pin, so a
    registry cannot serve one package's archive under another's name.
    """
    where = f"{name}@{version}"
    files = read_archive(archive)
    manifest = read_manifest(files, where)
    if (manifest.name, str(manifest.version)) != (name, version):
        raise ValidationError(
            f"the archive for {where} contains {manifest.name}@{manifest.version}",
            hint="the registry entry is inconsistent; republish the package or use another registry",
        )
    mapping = installed_files(manifest, files)
    excluded = disabled(manifest.to_dict())
    # A disabled skill is a folder: everything in it stays out.
    installed = {dest: files[src] for dest, src in mapping.items()
                 if src not in excluded and not any(src.startswith(path + "/") for path in excluded)}
    by_source = {src: dest for dest, src in mapping.items()}
    components = {
        kind: [dict(path=by_source[rel], **summarize(files[rel])) for rel in _summary_files(manifest, kind)]
        for kind in SUMMARY_KINDS
    }
    snapshot = {
        "name": manifest.name,
        "version": manifest.version,
        "description": manifest.description,
        "manifest": manifest.to_dict(),
        "config": {key: files[rel].decode("utf-8", errors="replace") for key, rel in manifest.config.items()},
        "components": components,
        "files": mapping,
        "tiers": {
            tier: {"config": files[overlay].decode("utf-8", errors="replace") if overlay in files else None,
                   "disabled": list(disabled)}
            for tier, (overlay, disabled) in manifest.tier_overlays().items()
        },
    }
    return manifest, installed, snapshot


def _summary_files(manifest: Manifest, kind: str) -> list[str]:
    """The file that describes each component of ``kind``: the file itself, or a skill's SKILL.md."""
    paths = getattr(manifest, kind)
    return [f"{folder}/{SKILL_FILE}" for folder in paths] if kind == SKILLS else list(paths)

"""Codex plugins: a folder with ``.codex-plugin/plugin.json`` (and no Claude manifest).

Fields (developers.openai.com/codex/plugins; the Codex SDK's manifest model): ``name`` (required,
kebab-case), ``version``, ``description``, ``author``, ``homepage``, ``repository``, ``license``,
``keywords``, ``skills`` (a folder path, ``./skills/`` by default), ``mcpServers`` (a path,
``.mcp.json`` by default), ``hooks``, ``apps`` and ``interface`` {displayName, shortDescription,
category, ...}. Codex plugins carry skills and MCP servers only; ``hooks`` and ``apps`` are not a
component kind here and stay in the not-understood list.
"""

from __future__ import annotations

from agentpack.core.readers import common
from agentpack.core.readers.base import Listing, Load, ProposedPackage, Reader, ReadResult

MANIFEST = ".codex-plugin/plugin.json"


def detect(listing: Listing) -> str | None:
    """A Codex plugin has ``.codex-plugin/plugin.json`` at its root."""
    return MANIFEST if MANIFEST in listing else None


def read(listing: Listing, load: Load) -> ReadResult:
    """The plugin at the listing's root as one package: its skills folder and MCP servers."""
    result = ReadResult()
    manifest = common.parse_json_object(listing, MANIFEST, result) or {}
    interface = manifest.get("interface") if isinstance(manifest.get("interface"), dict) else {}
    license_file = common.find_first(listing, "", common.LICENSE_NAMES)
    fields = common.base_fields(manifest, listing, license_file)
    fields["description"] = fields["description"] or common.text(interface.get("shortDescription"))
    name, original = common.package_name(result, MANIFEST, manifest.get("name"), listing.name)
    skills_ref = manifest.get("skills", "./skills/")
    skills_root = common.resolve_ref("", skills_ref, result, MANIFEST)
    skills = []
    if skills_root is not None:
        single = common.skill_at(listing.files, skills_root) if skills_root else None
        skills = [single] if single else common.skill_folders(listing.files, skills_root)
        if not skills and "skills" in manifest:
            result.warn("missing-path", f"{MANIFEST} names skills folder {skills_ref!r}, which holds no "
                        "SKILL.md", MANIFEST)
    manifests = [MANIFEST]
    servers = common.declared_servers(listing, "", manifest.get("mcpServers"), MANIFEST, result, manifests)
    result.packages.append(ProposedPackage(
        name=name, original_name=original, category=common.text(interface.get("category")),
        readme=common.find_first(listing, "", common.README_NAMES), license_file=license_file,
        components=tuple(skills), mcp_servers=servers, manifests=tuple(manifests), **fields,
    ))
    return result


READER = Reader("codex-plugin", "Codex plugin", detect, read)

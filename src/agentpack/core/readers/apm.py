"""APM packages (microsoft/apm): ``apm.yml`` plus primitives under ``.apm/``.

``apm.yml`` fields (microsoft.github.io/apm/reference/manifest-schema): ``name``, ``version``,
``description``, ``author``, ``license``, ``dependencies`` {``apm``: package references
(``owner/repo[/path][#ref]`` strings or ``{git, path, ref}`` mappings), ``mcp``: server names or
``{name, command, args, env | url, headers}`` mappings}, ``scripts``, ``targets``, ``includes``.
Primitives live in ``.apm/``: ``agents/*.agent.md`` and ``chatmodes/*.chatmode.md`` (agents),
``prompts/*.prompt.md`` (commands), ``instructions/*.instructions.md`` and
``context/*.context.md`` / ``memory/*.memory.md`` (rules), ``skills/<name>/`` (skills); a root
``SKILL.md`` makes the package itself a skill. APM dependencies are kept as written; an MCP
dependency given by name only is a registry reference and is reported, not resolved.
"""

from __future__ import annotations

from agentpack.core.readers import common
from agentpack.core.readers.base import Component, Listing, Load, ProposedPackage, Reader, ReadResult

MANIFEST = "apm.yml"
_FOLDERS = (("agents", "agents"), ("chatmodes", "agents"), ("prompts", "commands"),
            ("instructions", "rules"), ("context", "rules"), ("memory", "rules"))
_SKILL_ROOT_FILES = ("SKILL.md",)
_SKILL_ROOT_FOLDERS = ("scripts/", "references/", "assets/")


def detect(listing: Listing) -> str | None:
    """An APM package has ``apm.yml`` at its root."""
    return MANIFEST if MANIFEST in listing else None


def read(listing: Listing, load: Load) -> ReadResult:
    """The APM package as one agentpack package."""
    result = ReadResult()
    manifest = common.parse_yaml_mapping(listing, MANIFEST, load, result) or {}
    paths = listing.paths()
    components = []
    for folder, kind in _FOLDERS:
        components += [common.file_component(kind, p) for p in common.children(paths, f".apm/{folder}", (".md",))]
    components += common.skill_folders(paths, ".apm/skills")
    name, original = common.package_name(result, MANIFEST, manifest.get("name"), listing.name)
    if "SKILL.md" in listing:
        files = tuple(p for p in paths if p in _SKILL_ROOT_FILES or p.startswith(_SKILL_ROOT_FOLDERS))
        components.append(Component("skills", name, "", files))
    dependencies, servers = _dependencies(manifest.get("dependencies"), result)
    license_file = common.find_first(listing, "", common.LICENSE_NAMES)
    fields = common.base_fields(manifest, listing, license_file)
    result.packages.append(ProposedPackage(
        name=name, original_name=original, dependencies=dependencies,
        readme=common.find_first(listing, "", common.README_NAMES), license_file=license_file,
        components=tuple(components), mcp_servers=servers, manifests=(MANIFEST,), **fields,
    ))
    return result


def _dependencies(value: object, result: ReadResult) -> tuple[tuple[str, ...], dict[str, dict]]:
    """(APM package references as written, MCP servers given in full) from ``dependencies``."""
    if not isinstance(value, dict):
        return (), {}
    references = []
    for item in value.get("apm") or []:
        if isinstance(item, str):
            references.append(item.strip())
        elif isinstance(item, dict) and isinstance(item.get("git"), str):
            path = f"/{item['path']}" if isinstance(item.get("path"), str) else ""
            ref = f"#{item['ref']}" if isinstance(item.get("ref"), str) else ""
            references.append(f"{item['git']}{path}{ref}")
        else:
            result.warn("bad-manifest", f"{MANIFEST}: dependency {item!r} is neither a reference nor "
                        "{git, path, ref}", MANIFEST, "dependencies")
    servers = {}
    for item in value.get("mcp") or []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            entry = {k: v for k, v in item.items() if k != "name"}
            servers.update(common.mcp_servers({item["name"]: entry}, MANIFEST, result))
        else:
            result.warn("mcp-reference", f"{MANIFEST}: MCP server {item!r} is a registry reference without "
                        "a command or url; add it to the package by hand", MANIFEST, "dependencies")
    return tuple(references), servers


READER = Reader("apm", "APM package", detect, read)

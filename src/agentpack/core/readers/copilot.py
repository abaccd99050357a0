"""GitHub Copilot content: agents, prompts, instructions, skills, and plugins that group them.

Copilot reads, in a repository (docs.github.com, code.visualstudio.com/docs/copilot):
``.github/agents/*.agent.md`` (any ``.md`` there), ``.github/prompts/*.prompt.md``,
``.github/instructions/**/*.instructions.md``, ``.github/copilot-instructions.md``, legacy
``.github/chatmodes/*.chatmode.md`` and ``.github/skills/<name>/``. awesome-copilot keeps the same
files type-first at the root (``agents/``, ``prompts/``, ``instructions/``, ``chatmodes/``,
``skills/``, gh-aw ``workflows/*.md``) and groups them with ``plugins/<name>/plugin.json``
(agent-plugins.org schema: metadata plus component paths, top-level or under
``extensions."com.github.awesome-copilot"``). Kinds follow the suffix: ``.agent.md`` and
``.chatmode.md`` are agents, ``.prompt.md`` commands, ``.instructions.md`` rules.

One package per plugin. A plugin's paths are looked up in its own folder first, then from the
root, and an agent path ``x.md`` also as ``x.agent.md`` (awesome-copilot's build step does both);
a plugin's MCP servers are its ``mcpServers`` (a path or a map) and its folder's ``.mcp.json``.
Every component no plugin takes goes into one more package named after the folder, so nothing
recognised is left out. ``.github/plugin/marketplace.json`` (the Copilot CLI marketplace) is
understood; its entries from other repositories are reported.
"""

from __future__ import annotations

from agentpack.core.readers import common
from agentpack.core.readers.base import Component, Listing, Load, ProposedPackage, Reader, ReadResult
from agentpack.core.readers.claude_marketplace import source_folder

INSTRUCTIONS = ".github/copilot-instructions.md"
MARKETPLACE = ".github/plugin/marketplace.json"
_EXTENSION_KEY = "com.github.awesome-copilot"
_TYPED_FOLDERS = ("agents/", "prompts/", "instructions/", "chatmodes/")
_KINDS = (("agents", "agents"), ("commands", "commands"), ("prompts", "commands"), ("skills", "skills"),
          ("instructions", "rules"))


def _plugin_manifests(paths: list[str]) -> list[str]:
    return [p for p in paths if p.startswith("plugins/") and p.count("/") == 2 and p.endswith("/plugin.json")]


def detect(listing: Listing) -> str | None:
    """Copilot's ``.github`` files, type-first Copilot folders, or ``plugins/<name>/plugin.json``."""
    paths = listing.paths()
    if INSTRUCTIONS in listing:
        return INSTRUCTIONS
    for path in paths:
        if path.startswith(".github/") and path[len(".github/"):].startswith(_TYPED_FOLDERS + ("skills/",)):
            return path
        if path.startswith(_TYPED_FOLDERS) and common.typed_kind(path):
            return path
    manifests = _plugin_manifests(paths)
    return manifests[0] if manifests else None


def pool(listing: Listing) -> list[Component]:
    """Every Copilot component of the listing, plugins aside, in path order within each kind."""
    paths = listing.paths()
    skills = common.skill_folders(paths, "skills") + common.skill_folders(paths, ".github/skills")
    in_skill = {p for skill in skills for p in skill.files}
    found = []
    for path in paths:
        if path in in_skill or path.startswith("plugins/"):
            continue
        kind = common.typed_kind(path)
        if kind is None and path.startswith(".github/agents/") and path.endswith(".md"):
            kind = "agents"
        if kind is None and path.startswith(("workflows/", ".github/workflows/")) and path.endswith(".md"):
            kind = "workflows"
        if kind is None and path == INSTRUCTIONS:
            kind = "rules"
        if kind is not None:
            found.append(common.file_component(kind, path))
    return found + skills


def read(listing: Listing, load: Load) -> ReadResult:
    """One package per plugin, plus one for the components no plugin takes."""
    result = ReadResult()
    paths = listing.paths()
    taken: set[tuple[str, str]] = set()
    for manifest in _plugin_manifests(paths):
        package = _plugin(listing, paths, manifest, result)
        if package is not None:
            result.packages.append(package)
            taken.update((c.kind, c.source) for c in package.components)
    rest = [c for c in pool(listing) if (c.kind, c.source) not in taken]
    root_readme = common.find_first(listing, "", common.README_NAMES)
    root_license = common.find_first(listing, "", common.LICENSE_NAMES)
    if rest:
        name, original = common.package_name(result, "", listing.name)
        result.packages.append(ProposedPackage(
            name=name, original_name=original, license=common.license_of(listing, None, root_license),
            readme=root_readme, license_file=root_license, components=tuple(rest),
        ))
    else:
        result.claimed.update(p for p in (root_readme, root_license) if p)
    if MARKETPLACE in listing:
        _marketplace(listing, result)
    return result


def _plugin(listing: Listing, paths: list[str], manifest: str, result: ReadResult) -> ProposedPackage | None:
    data = common.parse_json_object(listing, manifest, result)
    if data is None:
        return None
    base = manifest[: -len("plugin.json")]
    extensions = data.get("extensions") if isinstance(data.get("extensions"), dict) else {}
    groups = [data, extensions.get(_EXTENSION_KEY) if isinstance(extensions.get(_EXTENSION_KEY), dict) else {}]
    components: list[Component] = []
    manifests = [manifest]
    servers: dict[str, dict] = {}
    for group in groups:
        for field_name, kind in _KINDS:
            refs = group.get(field_name)
            for ref in [refs] if isinstance(refs, str) else refs if isinstance(refs, list) else []:
                components += _resolve(listing, paths, base, ref, kind, manifest, result)
        if group.get("mcpServers") is not None:
            servers.update(common.declared_servers(listing, base, group["mcpServers"], manifest, result,
                                                   manifests))
        if group is not data and group.get("extensions"):
            result.warn("unsupported-kind", f"{manifest} lists Copilot extensions, which are not a package "
                        "component kind; they are not extracted", manifest, "extensions")
    if base + ".mcp.json" not in manifests:
        servers.update(common.mcp_file(listing, base + ".mcp.json", result, manifests))
    license_file = common.find_first(listing, base, common.LICENSE_NAMES) or common.find_first(
        listing, "", common.LICENSE_NAMES)
    name, original = common.package_name(result, manifest, data.get("name"), base.rstrip("/").rsplit("/", 1)[-1])
    return ProposedPackage(
        name=name, original_name=original, category=common.text(data.get("category")),
        readme=common.find_first(listing, base, common.README_NAMES), license_file=license_file,
        source=base.rstrip("/"), components=tuple(common.dedupe(components)), mcp_servers=servers,
        manifests=tuple(manifests), **common.base_fields(data, listing, license_file),
    )


def _resolve(listing: Listing, paths: list[str], base: str, ref: object, kind: str, manifest: str,
             result: ReadResult) -> list[Component]:
    """The component a plugin path names: in the plugin folder, else from the root."""
    candidates = []
    for start in (base, ""):
        path = common.resolve_ref(start, ref, result, manifest)
        if path is None:
            return []
        candidates.append(path)
        if kind == "agents" and path.endswith(".md") and not path.endswith(".agent.md"):
            candidates.append(path[: -len(".md")] + ".agent.md")
    for path in candidates:
        if kind == "skills":
            skill = common.skill_at(paths, path)
            if skill is not None:
                return [skill]
        elif path in listing:
            return [common.file_component(kind, path)]
    result.warn("missing-path", f"{manifest} lists {ref!r} for {kind}, but neither the plugin folder nor the "
                "root has it", manifest)
    return []


def _marketplace(listing: Listing, result: ReadResult) -> None:
    """Report the Copilot CLI marketplace's entries that live in other repositories."""
    result.claimed.add(MARKETPLACE)
    data = common.parse_json_object(listing, MARKETPLACE, result)
    plugins = data.get("plugins") if isinstance(data, dict) else None
    for index, entry in enumerate(plugins if isinstance(plugins, list) else []):
        if isinstance(entry, dict) and isinstance(entry.get("source"), dict):
            source_folder(entry["source"], "", f"{MARKETPLACE} plugins[{index}]", result)


READER = Reader("copilot", "GitHub Copilot folder", detect, read)

"""Claude Code plugins: a folder with ``.claude-plugin/plugin.json`` and the standard layout.

Layout (code.claude.com/docs/en/plugins-reference): ``agents/*.md``, ``commands/**/*.md``,
``skills/<name>/SKILL.md`` and ``.mcp.json`` at the plugin root are found without being listed;
the manifest's ``agents``, ``commands`` and ``skills`` (a path or a list of paths, each ``./``
relative, no ``..``) supplement those folders, and ``mcpServers`` is a path or an inline mapping.
The manifest is optional: without it the name comes from the marketplace entry or the folder name.
``.codex-plugin/plugin.json`` beside it describes the same plugin for Codex and is read for
metadata the Claude manifest lacks. ``hooks/`` and every other file are not a component kind and
are left for the not-understood list.
"""

from __future__ import annotations

from agentpack.core.readers import common
from agentpack.core.readers.base import Component, Listing, Load, ProposedPackage, Reader, ReadResult
from agentpack.core.type_names import Any

MANIFEST = ".claude-plugin/plugin.json"
CODEX_MANIFEST = ".codex-plugin/plugin.json"
_COMPONENT_FIELDS = (("agents", "agents"), ("commands", "commands"), ("skills", "skills"))


def read_plugin_folder(listing: Listing, base: str, result: ReadResult, *, entry: dict | None = None,
                       fallback_name: str = "", defaults: dict | None = None,
                       root_license: str | None = None) -> ProposedPackage:
    """One plugin folder (``base``: ``""`` or ending in ``/``) as a proposed package.

    Precedence, field by field: the plugin's own ``plugin.json``, then the marketplace ``entry``
    (which may add ``category``, ``keywords`` and ``tags``; with ``"strict": false`` it is the whole
    manifest), then ``.codex-plugin/plugin.json``, then ``defaults`` (the marketplace owner as
    author), then the folder name and ``0.1.0``. Keywords of all of them are merged in that order.
    Only ``category`` takes the entry's first: it is the marketplace's own taxonomy (wshobson/agents
    files its 91 plugins under 26 categories; one plugin.json says ``Coding`` where its entry says
    ``workflows``). The licence file is the plugin's own, else ``root_license`` (the marketplace's).
    """
    manifests = []
    own = _manifest(listing, base + MANIFEST, result, manifests) or {}
    codex = _manifest(listing, base + CODEX_MANIFEST, result, manifests) or {}
    entry = entry or {}
    layers = [own, entry, codex, defaults or {}]
    merged: dict[str, Any] = {}
    for layer in reversed(layers):
        merged.update({k: v for k, v in layer.items() if v not in (None, "", [], {})})
    keywords: list[str] = []
    for layer in layers:
        keywords += [k for k in common.str_list(layer.get("keywords")) + common.str_list(layer.get("tags"))
                     if k not in keywords]
    license_file = common.find_first(listing, base, common.LICENSE_NAMES) or root_license
    fields = common.base_fields(merged, listing, license_file)
    fields["keywords"] = tuple(keywords)
    interface = codex.get("interface") if isinstance(codex.get("interface"), dict) else {}
    category = (common.text(entry.get("category")) or common.text(own.get("category"))
                or common.text(interface.get("category")))
    where = manifests[0] if manifests else base.rstrip("/")
    name, original = common.package_name(result, where, own.get("name"), entry.get("name"),
                                         codex.get("name"), fallback_name)
    components = _components(listing, base, own, entry, result, manifests)
    servers = common.declared_servers(listing, base, merged.get("mcpServers"), where, result, manifests)
    return ProposedPackage(
        name=name, original_name=original, category=category,
        dependencies=common.str_list(own.get("dependencies")),
        readme=common.find_first(listing, base, common.README_NAMES), license_file=license_file,
        source=base.rstrip("/"), components=tuple(components), mcp_servers=servers,
        manifests=tuple(manifests), **fields,
    )


def _manifest(listing: Listing, path: str, result: ReadResult, manifests: list[str]) -> dict | None:
    if path not in listing:
        return None
    manifests.append(path)
    return common.parse_json_object(listing, path, result)


def _components(listing: Listing, base: str, own: dict, entry: dict, result: ReadResult,
                manifests: list[str]) -> list[Component]:
    """Default folders first (unless a non-strict entry replaces them), then every listed path."""
    paths = common.under(listing.files, base.rstrip("/")) if base else listing.paths()
    strict = entry.get("strict", True) is not False
    found: list[Component] = []
    if strict or not any(entry.get(f) for f, _ in _COMPONENT_FIELDS):
        found += [common.file_component("agents", p) for p in common.children(paths, base + "agents", (".md",))]
        found += [common.file_component("commands", p)
                  for p in common.children(paths, base + "commands", (".md",))]
        found += common.skill_folders(paths, base + "skills")
    for source, where in ((own, manifests[0] if manifests else base), (entry, "marketplace entry")):
        for field_name, kind in _COMPONENT_FIELDS:
            refs = source.get(field_name)
            for ref in [refs] if isinstance(refs, str) else refs if isinstance(refs, list) else []:
                path = common.resolve_ref(base, ref, result, where)
                if path is not None:
                    found += _listed(listing, paths, path, kind, result, where)
    return common.dedupe(found)


def _listed(listing: Listing, paths: list[str], path: str, kind: str, result: ReadResult,
            where: str) -> list[Component]:
    """The components a listed path names: one file, one skill folder, or a folder of them."""
    if kind == "skills":
        skill = common.skill_at(paths, path)
        found = [skill] if skill else common.skill_folders(paths, path)
    elif path in listing:
        found = [common.file_component(kind, path)]
    else:
        found = [common.file_component(kind, p) for p in common.children(paths, path, (".md",))]
    if not found:
        result.warn("missing-path", f"{where} lists {path!r} for {kind}, but the source has no such "
                    f"{'skill' if kind == 'skills' else 'file'}", where)
    return found


def detect(listing: Listing) -> str | None:
    """A plugin has ``.claude-plugin/plugin.json`` at its root."""
    return MANIFEST if MANIFEST in listing else None


def read(listing: Listing, load: Load) -> ReadResult:
    """The plugin at the listing's root as one package."""
    result = ReadResult()
    result.packages.append(read_plugin_folder(listing, "", result, fallback_name=listing.name))
    return result


READER = Reader("claude-plugin", "Claude Code plugin", detect, read)

"""A package as a Claude Code plugin, and a set of packages as a local plugin marketplace (pure).

A plugin is a folder holding ``.claude-plugin/plugin.json`` and the component folders Claude Code
loads from a plugin root: ``agents/``, ``commands/``, ``skills/<name>/`` and ``.mcp.json``
(https://code.claude.com/docs/en/plugins-reference). The component files are the claude target's
own translations (``core.targets.claude``) with the ``.claude/`` prefix dropped, so a file Claude
reads as it is comes back byte for byte and every file of a skill folder is copied unchanged.
Kinds a plugin has no folder for (rules, workflows, patterns) are not written; ``skipped`` names
them so the caller can say so.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from agentpack.core.targets.base import Component, Load
from agentpack.core.targets.clashes import plan_files
from agentpack.core.targets.claude import TARGET as CLAUDE
from agentpack.core.targets.mcp import merge_mcp_json
from agentpack.core.type_names import Any

PLUGIN_KINDS = ("agents", "commands", "skills")
MANIFEST_PATH = ".claude-plugin/plugin.json"
MARKETPLACE_PATH = ".claude-plugin/marketplace.json"


def plugin_manifest(manifest: Mapping[str, Any]) -> dict:
    """``plugin.json`` for a package manifest (``Manifest.to_dict()``): Claude Code's plugin fields.

    ``name`` and ``version`` always; ``description``, ``license``, ``keywords`` and ``homepage``
    when set; ``author`` as Claude's ``{"name": ...}`` object. A scoped name ``team/pkg`` becomes
    ``team-pkg`` (plugin names are kebab-case, no slash).
    """
    document: dict[str, Any] = {"name": plugin_name(str(manifest["name"])), "version": str(manifest["version"])}
    if manifest.get("description"):
        document["description"] = str(manifest["description"])
    if manifest.get("author"):
        document["author"] = {"name": str(manifest["author"])}
    for key in ("license", "homepage"):
        if manifest.get(key):
            document[key] = str(manifest[key])
    if manifest.get("keywords"):
        document["keywords"] = [str(k) for k in manifest["keywords"]]
    return document


def plugin_name(package: str) -> str:
    """The plugin name of a package: its name with a scope's slash turned into a hyphen."""
    return package.replace("/", "-")


def plugin_files(manifest: Mapping[str, Any], components: Iterable[Component], mcp_servers: Mapping[str, Any],
                 load: Load) -> dict[str, bytes]:
    """Every file of the plugin folder, ``{path inside the folder: bytes}``, sorted by path.

    ``components`` are the package's components (any kind; only agents, commands and skills are
    written); ``mcp_servers`` the effective servers (``{name: {command, args, env} | {url,
    headers}}``), written to ``.mcp.json`` through the claude target's MCP rule. Deterministic:
    the same inputs give the same bytes. Raises ``ValidationError`` when two components claim one
    path or a file cannot be translated.
    """
    wanted = [c for c in components if c.kind in PLUGIN_KINDS]
    files = {made.path.removeprefix(".claude/"): made.content for made in plan_files(CLAUDE, wanted, load)}
    files[MANIFEST_PATH] = _json(plugin_manifest(manifest))
    if mcp_servers:
        rule = CLAUDE.mcp
        entries = {name: rule.entry(spec) for name, spec in mcp_servers.items()}
        files[rule.path] = merge_mcp_json(None, rule.container, entries, ()).text.encode("utf-8")
    return dict(sorted(files.items()))


def skipped_kinds(components: Iterable[Component]) -> list[str]:
    """The kinds among ``components`` that a plugin has no folder for, sorted, each once."""
    return sorted({c.kind for c in components if c.kind not in PLUGIN_KINDS})


def marketplace_document(name: str, owner: str, plugins: Iterable[Mapping[str, Any]],
                         description: str = "") -> dict:
    """``marketplace.json`` listing ``plugins`` (each a plugin.json document) in folders ``./<name>``.

    Claude Code's marketplace fields (code.claude.com/docs/en/plugins/marketplace-reference):
    ``name``, ``owner`` (``{"name": ...}``), ``metadata.description`` when given, and ``plugins``,
    each with ``name``, a relative ``source`` and, when known, ``version`` and ``description``.
    """
    entries = []
    for plugin in sorted(plugins, key=lambda p: p["name"]):
        entry = {"name": plugin["name"], "source": f"./{plugin['name']}"}
        for key in ("version", "description"):
            if plugin.get(key):
                entry[key] = plugin[key]
        entries.append(entry)
    document: dict[str, Any] = {"name": name, "owner": {"name": owner}}
    if description:
        document["metadata"] = {"description": description}
    document["plugins"] = entries
    return document


def marketplace_bytes(document: Mapping[str, Any]) -> bytes:
    """The bytes of a marketplace.json document (two-space JSON, final newline)."""
    return _json(document)


def _json(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")

"""Cursor rules: ``.mdc`` files in ``.cursor/rules/`` (or a ``rules/`` folder), legacy ``.cursorrules``.

Cursor reads ``.cursor/rules/**/*.mdc`` (frontmatter ``description``, ``globs``, ``alwaysApply``,
all optional; ``globs: **/*`` is common and not valid YAML, which is reported but kept), plus
``.cursor/agents/*.md``, ``.cursor/commands/*.md``, ``.cursor/skills/<name>/`` and
``.cursor/mcp.json``. Rule collections such as awesome-cursorrules keep the ``.mdc`` files in a
``rules/`` folder or at the root. Everything becomes one package named after the folder.
"""

from __future__ import annotations

from agentpack.core.readers import common
from agentpack.core.readers.base import Listing, Load, Reader, ReadResult

LEGACY = ".cursorrules"


def _rule_files(paths: list[str]) -> list[str]:
    rules = common.children(paths, ".cursor/rules", (".mdc", ".md"))
    rules += [p for p in paths if p.endswith(".mdc") and (p.count("/") == 0 or
                                                          (p.startswith("rules/") and p.count("/") == 1))]
    return sorted(set(rules)) + ([LEGACY] if LEGACY in paths else [])


def detect(listing: Listing) -> str | None:
    """``.cursor/rules``, ``.cursorrules``, or ``.mdc`` rules at the root or in ``rules/``."""
    rules = _rule_files(listing.paths())
    if not rules:
        return None
    return ".cursor/rules" if rules[0].startswith(".cursor/") else rules[0]


def read(listing: Listing, load: Load) -> ReadResult:
    """All rules, agents, commands, skills and MCP servers of the folder as one package."""
    result = ReadResult()
    paths = listing.paths()
    components = [common.file_component("rules", p) for p in _rule_files(paths)]
    components += [common.file_component("agents", p) for p in common.children(paths, ".cursor/agents", (".md",))]
    components += [common.file_component("commands", p)
                   for p in common.children(paths, ".cursor/commands", (".md",))]
    components += common.skill_folders(paths, ".cursor/skills")
    result.packages.append(common.folder_package(listing, result, components, ".cursor/mcp.json"))
    return result


READER = Reader("cursor", "Cursor rules", detect, read)

"""Claude Code project folders: ``.claude/agents``, ``commands``, ``skills``, ``rules``, CLAUDE.md.

Where Claude Code reads each kind in a project (code.claude.com/docs): ``.claude/agents/*.md``,
``.claude/commands/**/*.md``, ``.claude/skills/<name>/SKILL.md``, ``.claude/rules/**/*.md``, the
memory file ``CLAUDE.md`` (or ``.claude/CLAUDE.md``) and the project's MCP servers in ``.mcp.json``.
The whole folder becomes one package named after it. Settings files (``.claude/settings*.json``)
are a machine's configuration, not content, and stay in the not-understood list.
"""

from __future__ import annotations

from agentpack.core.readers import common
from agentpack.core.readers.base import Listing, Load, Reader, ReadResult

MARKERS = (".claude/agents/", ".claude/commands/", ".claude/skills/", ".claude/rules/", ".claude/CLAUDE.md")


def detect(listing: Listing) -> str | None:
    """A project has files under ``.claude/agents``, ``commands``, ``skills`` or ``rules``."""
    for marker in MARKERS:
        if any(p.startswith(marker) or p == marker for p in listing.files):
            return marker.rstrip("/")
    return None


def read(listing: Listing, load: Load) -> ReadResult:
    """The project's Claude Code content as one package named after the folder."""
    result = ReadResult()
    paths = listing.paths()
    components = [common.file_component("agents", p) for p in common.children(paths, ".claude/agents", (".md",))]
    components += [common.file_component("commands", p)
                   for p in common.children(paths, ".claude/commands", (".md",))]
    components += common.skill_folders(paths, ".claude/skills")
    components += [common.file_component("rules", p) for p in common.children(paths, ".claude/rules", (".md",))]
    components += [common.file_component("rules", p) for p in ("CLAUDE.md", ".claude/CLAUDE.md") if p in listing]
    result.packages.append(common.folder_package(listing, result, components, ".mcp.json"))
    return result


READER = Reader("claude-project", "Claude Code project folder", detect, read)

"""Claude Code: ``.claude/agents``, ``.claude/commands``, ``.claude/skills``, ``.claude/rules``, ``.mcp.json``.

Agents need ``name`` and ``description`` (added when missing: ``name`` from the output name,
``description`` from the body's first line); commands and skills are read as they are; a rule gets
Claude's ``paths`` list from a Copilot ``applyTo`` or Cursor ``globs`` (and loses ``alwaysApply``,
which Claude does not read: a rule without ``paths`` always applies). Remote MCP servers need
``"type": "http"``.
"""

from __future__ import annotations

from functools import partial

from agentpack.core.target_markers import MARKERS
from agentpack.core.targets.base import Context, KindRule, McpRule, Target
from agentpack.core.targets.markdown import MarkdownFile, named_agent, rule_scope, skill
from agentpack.core.targets.mcp import server_entry


def rule(content: bytes, context: Context) -> bytes:
    """A ``.claude/rules`` file: ``paths`` from ``applyTo``/``globs``; no scope when it applies always."""
    document = MarkdownFile(content, context.load)
    if document.has("paths") and not document.has("globs") and not document.has("applyTo"):
        return content
    globs, _ = rule_scope(document.fields)
    for field in ("applyTo", "globs", "alwaysApply", "paths"):
        document.remove(field)
    if globs:
        document.set("paths", globs)
    return document.to_bytes()


TARGET = Target(
    name="claude",
    title="Claude Code",
    markers=MARKERS["claude"],
    kinds={
        "agents": KindRule(".claude/agents", "{name}.md", named_agent),
        "commands": KindRule(".claude/commands", "{name}.md"),
        "skills": KindRule(".claude/skills", "{name}", skill, folder=True),
        "rules": KindRule(".claude/rules", "{name}.md", rule),
    },
    mcp=McpRule(".mcp.json", "json", ("mcpServers",), partial(server_entry, remote={"type": "http"})),
    context_file=None,
    notes={
        "workflows": "Claude Code has no workflow folder; workflows stay in workflows/<package>/",
        "patterns": "Claude Code has no pattern folder; patterns stay in patterns/<package>/",
        "context": "Claude Code reads CLAUDE.md, not AGENTS.md; a CLAUDE.md line '@AGENTS.md' imports it",
    },
)

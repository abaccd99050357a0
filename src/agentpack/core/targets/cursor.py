"""Cursor: ``.cursor/rules/*.mdc``, ``.cursor/agents``, ``.cursor/commands``, ``.cursor/skills``, ``.cursor/mcp.json``.

A rule becomes ``<name>.mdc``. A Cursor rule (``globs`` or ``alwaysApply`` present) is kept byte
for byte, even when its ``globs: **/*`` is not strict YAML. A Copilot ``applyTo`` or Claude
``paths`` becomes ``globs`` (comma-separated) plus ``alwaysApply`` (true only when the scope is
every file); ``description`` stays. Agents need ``name`` and ``description``; commands are plain
Markdown, unchanged.
"""

from __future__ import annotations

from agentpack.core.target_markers import MARKERS
from agentpack.core.targets.base import Context, KindRule, McpRule, Target
from agentpack.core.targets.markdown import MarkdownFile, named_agent, rule_scope, skill
from agentpack.core.targets.mcp import server_entry


def rule(content: bytes, context: Context) -> bytes:
    """A ``.mdc`` rule: ``globs``/``alwaysApply`` from ``applyTo`` or ``paths``; Cursor rules unchanged."""
    document = MarkdownFile(content, context.load)
    if document.has("globs") or document.has("alwaysApply"):
        return content
    if not (document.has("applyTo") or document.has("paths")):
        return content
    globs, always = rule_scope(document.fields)
    source = "applyTo" if document.has("applyTo") else "paths"
    if globs:
        document.rename(source, "globs")  # the value's text is kept: Cursor reads lists and strings
    else:
        document.remove(source)
    document.remove("paths")
    document.set("alwaysApply", always)
    return document.to_bytes()


TARGET = Target(
    name="cursor",
    title="Cursor",
    markers=MARKERS["cursor"],
    kinds={
        "agents": KindRule(".cursor/agents", "{name}.md", named_agent),
        "commands": KindRule(".cursor/commands", "{name}.md"),
        "skills": KindRule(".cursor/skills", "{name}", skill, folder=True),
        "rules": KindRule(".cursor/rules", "{name}.mdc", rule),
    },
    mcp=McpRule(".cursor/mcp.json", "json", ("mcpServers",), server_entry),
    context_file="AGENTS.md",
    notes={
        "workflows": "Cursor has no workflow folder; workflows stay in workflows/<package>/",
        "patterns": "Cursor has no pattern folder; patterns stay in patterns/<package>/",
    },
)

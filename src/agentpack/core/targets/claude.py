"""Claude Code: ``.claude/agents``, ``.claude/commands``, ``.claude/skills``, ``.claude/rules``, ``.mcp.json``.

Agents need ``name`` and ``description`` (added when missing: ``name`` from the output name,
``description`` from the body's first line); commands and skills are read as they are; a rule gets
Claude's ``paths`` list from a Copilot ``applyTo`` or Cursor ``globs`` (and loses ``alwaysApply``,
which Claude does not read: a rule without ``paths`` always applies). Remote MCP servers need
``"type": "http"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentpack.core.targets.base import Context, KindRule, McpRule, Target
from agentpack.core.targets.markdown import MarkdownFile, ensure_description, ensure_name, rule_scope, skill


def agent(content: bytes, context: Context) -> bytes:
    """A Claude Code subagent: ``name`` and ``description`` present, nothing else touched."""
    document = MarkdownFile(content, context.load)
    ensure_name(document, context.name, replace=context.prefixed)
    ensure_description(document, context.name)
    return document.to_bytes()


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


def mcp_entry(spec: Mapping[str, Any]) -> dict:
    """A ``.mcp.json`` server: ``command``/``args``/``env``, or ``type: http`` with ``url``/``headers``."""
    if "url" in spec:
        entry: dict = {"type": "http", "url": spec["url"]}
        if spec.get("headers"):
            entry["headers"] = dict(spec["headers"])
        return entry
    entry = {"command": spec["command"]}
    if spec.get("args"):
        entry["args"] = list(spec["args"])
    if spec.get("env"):
        entry["env"] = dict(spec["env"])
    return entry


TARGET = Target(
    name="claude",
    title="Claude Code",
    markers=(".claude", "CLAUDE.md", ".mcp.json"),
    kinds={
        "agents": KindRule(".claude/agents", "{name}.md", agent),
        "commands": KindRule(".claude/commands", "{name}.md"),
        "skills": KindRule(".claude/skills", "{name}", skill, folder=True),
        "rules": KindRule(".claude/rules", "{name}.md", rule),
    },
    mcp=McpRule(".mcp.json", "json", ("mcpServers",), mcp_entry),
    context_file=None,
    notes={
        "workflows": "Claude Code has no workflow folder; workflows stay in workflows/<package>/",
        "patterns": "Claude Code has no pattern folder; patterns stay in patterns/<package>/",
        "context": "Claude Code reads CLAUDE.md, not AGENTS.md; a CLAUDE.md line '@AGENTS.md' imports it",
    },
)

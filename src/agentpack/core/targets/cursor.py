"""Cursor: ``.cursor/rules/*.mdc``, ``.cursor/agents``, ``.cursor/commands``, ``.cursor/skills``, ``.cursor/mcp.json``.

A rule becomes ``<name>.mdc``. A Cursor rule (``globs`` or ``alwaysApply`` present) is kept byte
for byte, even when its ``globs: **/*`` is not strict YAML. A Copilot ``applyTo`` or Claude
``paths`` becomes ``globs`` (comma-separated) plus ``alwaysApply`` (true only when the scope is
every file); ``description`` stays. Agents need ``name`` and ``description``; commands are plain
Markdown, unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentpack.core.targets.base import Context, KindRule, McpRule, Target
from agentpack.core.targets.markdown import MarkdownFile, ensure_description, ensure_name, rule_scope, skill


def agent(content: bytes, context: Context) -> bytes:
    """A Cursor subagent: ``name`` and ``description`` present, nothing else touched."""
    document = MarkdownFile(content, context.load)
    ensure_name(document, context.name, replace=context.prefixed)
    ensure_description(document, context.name)
    return document.to_bytes()


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


def mcp_entry(spec: Mapping[str, Any]) -> dict:
    """A ``.cursor/mcp.json`` server: ``command``/``args``/``env``, or ``url``/``headers``."""
    entry: dict = {}
    if "url" in spec:
        entry["url"] = spec["url"]
        if spec.get("headers"):
            entry["headers"] = dict(spec["headers"])
        return entry
    entry["command"] = spec["command"]
    if spec.get("args"):
        entry["args"] = list(spec["args"])
    if spec.get("env"):
        entry["env"] = dict(spec["env"])
    return entry


TARGET = Target(
    name="cursor",
    title="Cursor",
    markers=(".cursor", ".cursorrules"),
    kinds={
        "agents": KindRule(".cursor/agents", "{name}.md", agent),
        "commands": KindRule(".cursor/commands", "{name}.md"),
        "skills": KindRule(".cursor/skills", "{name}", skill, folder=True),
        "rules": KindRule(".cursor/rules", "{name}.mdc", rule),
    },
    mcp=McpRule(".cursor/mcp.json", "json", ("mcpServers",), mcp_entry),
    context_file="AGENTS.md",
    notes={
        "workflows": "Cursor has no workflow folder; workflows stay in workflows/<package>/",
        "patterns": "Cursor has no pattern folder; patterns stay in patterns/<package>/",
    },
)

"""Gemini CLI: ``.gemini/agents``, ``.gemini/commands/*.toml``, ``.gemini/skills``, ``GEMINI.md``, ``.gemini/settings.json``.

A subagent is Markdown whose frontmatter needs ``name`` (a slug of lowercase letters, digits,
``-`` and ``_``) and ``description``. Fields Gemini does not define are dropped, and so are
Claude-style values Gemini would misread: ``tools`` unless it is a list of Gemini tool names
(lowercase), ``model`` unless it is ``inherit`` or a ``gemini-*`` model. A command becomes a TOML
file with ``description`` and ``prompt`` (the body; ``$ARGUMENTS`` becomes ``{{args}}``).
"""

from __future__ import annotations

from functools import partial

from agentpack.core.targets import toml_text
from agentpack.core.targets.base import Context, KindRule, McpRule, Target
from agentpack.core.targets.markdown import (
    MarkdownFile,
    description_of,
    ensure_description,
    skill,
    slug,
)
from agentpack.core.targets.mcp import server_entry

AGENT_FIELDS = ("name", "description", "kind", "tools", "mcpServers", "model", "temperature",
                "max_turns", "timeout_mins")


def agent(content: bytes, context: Context) -> bytes:
    """A Gemini CLI local subagent: slug ``name``, ``description``, only Gemini's own fields."""
    document = MarkdownFile(content, context.load)
    for field in list(document.fields):
        if field not in AGENT_FIELDS:
            document.remove(field)
    tools = document.fields.get("tools")
    if tools is not None and not (isinstance(tools, list) and all(_gemini_tool(t) for t in tools)):
        document.remove("tools")
    model = document.fields.get("model")
    if model is not None and not (isinstance(model, str) and (model == "inherit" or model.startswith("gemini"))):
        document.remove("model")
    name = document.fields.get("name")
    wanted = slug(context.name if context.prefixed or not isinstance(name, str) or not name else name)
    if name != wanted:
        document.set("name", wanted)
    ensure_description(document, wanted)
    return document.to_bytes()


def _gemini_tool(tool: object) -> bool:
    return isinstance(tool, str) and tool == tool.lower() and " " not in tool


def command(content: bytes, context: Context) -> bytes:
    """A Gemini CLI command TOML file (``description``, ``prompt``) made from a Markdown command."""
    document = MarkdownFile(content, context.load)
    prompt = document.body.lstrip("\r\n").replace("$ARGUMENTS", "{{args}}")
    pairs = {"description": description_of(document, context.name), "prompt": prompt}
    return toml_text.document(pairs).encode("utf-8")


TARGET = Target(
    name="gemini",
    title="Gemini CLI",
    markers=(".gemini", "GEMINI.md"),
    kinds={
        "agents": KindRule(".gemini/agents", "{name}.md", agent),
        "commands": KindRule(".gemini/commands", "{name}.toml", command),
        "skills": KindRule(".gemini/skills", "{name}", skill, folder=True),
    },
    mcp=McpRule(".gemini/settings.json", "json", ("mcpServers",), partial(server_entry, url_key="httpUrl")),
    context_file="GEMINI.md",
    notes={
        "rules": "Gemini CLI has no rule folder; rules are listed in GEMINI.md by the generated section",
        "workflows": "Gemini CLI has no workflow folder; workflows stay in workflows/<package>/",
        "patterns": "Gemini CLI has no pattern folder; patterns stay in patterns/<package>/",
    },
)

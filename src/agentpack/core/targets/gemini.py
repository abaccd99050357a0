"""Gemini CLI: ``.gemini/agents``, ``.gemini/commands/*.toml``, ``.gemini/skills``, ``GEMINI.md``, ``.gemini/settings.json``.

A subagent is Markdown whose frontmatter needs ``name`` (a slug of lowercase letters, digits,
``-`` and ``_``) and ``description``. Gemini checks it strictly (checked against Gemini CLI 0.61.0's
own loader): a field it does not define fails the file, so other fields are dropped (its docs say
``mcpServers``, its loader reads ``mcp_servers``: the first is renamed), and so are values it would
reject: ``tools`` unless every entry is a Gemini tool name (``read_file``, ``*``, ``mcp_<server>_<tool>``;
Claude's ``Read`` and Copilot's ``codebase`` are not), ``model`` unless it is ``inherit`` or a
``gemini-*`` model. Its YAML reader is strict too: a one-line entry strict YAML rejects (an unquoted
``: `` in a description) is written again quoted.

A command becomes a TOML file with ``description`` and ``prompt`` (the body; ``$ARGUMENTS`` becomes
``{{args}}``). In a prompt Gemini runs ``!{...}`` as a shell command and replaces ``@{...}`` with a
file's content, with no way to escape either; a Markdown command means neither (``pkg@{version}``
in a code sample), so a backslash goes before the brace: ``@\\{``, ``!\\{``.
"""

from __future__ import annotations

import re
from functools import partial

from agentpack.core.target_markers import MARKERS
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

AGENT_FIELDS = ("name", "description", "display_name", "kind", "tools", "mcp_servers", "model", "temperature",
                "max_turns", "timeout_mins")
# Gemini CLI's built-in tool names (ALL_BUILTIN_TOOL_NAMES and the legacy alias search_file_content, 0.61.0)
GEMINI_TOOLS = frozenset({
    "glob", "write_todos", "write_file", "google_web_search", "web_fetch", "replace", "run_shell_command",
    "grep_search", "search_file_content", "read_many_files", "read_file", "list_directory", "activate_skill",
    "ask_user", "tracker_create_task", "tracker_update_task", "tracker_get_task", "tracker_list_tasks",
    "tracker_add_dependency", "tracker_visualize", "get_internal_docs", "enter_plan_mode", "exit_plan_mode",
    "update_topic", "complete_task", "invoke_agent", "read_mcp_resource", "list_mcp_resources", "*",
})
# Gemini's MCP tool names: server up to the first "_", then the tool (not only "_"), or "*" wildcards
_MCP_TOOL = re.compile(r"mcp_\*|mcp_[A-Za-z0-9.:-]+_(\*|[A-Za-z0-9_.:-]*[A-Za-z0-9.:-][A-Za-z0-9_.:-]*)")
INJECTIONS = ("!{", "@{")  # shell command, file content


def agent(content: bytes, context: Context) -> bytes:
    """A Gemini CLI local subagent: slug ``name``, ``description``, only Gemini's own fields."""
    document = MarkdownFile(content, context.load)
    if document.has("mcpServers") and not document.has("mcp_servers"):
        document.rename("mcpServers", "mcp_servers")
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
    document.quote_rejected_entries()
    return document.to_bytes()


def _gemini_tool(tool: object) -> bool:
    """A built-in tool, a discovered tool, or an MCP tool (``mcp_<server>_<tool>``, ``*`` wildcards)."""
    if not isinstance(tool, str):
        return False
    return tool in GEMINI_TOOLS or tool.startswith("discovered_tool_") or _MCP_TOOL.fullmatch(tool) is not None


def command(content: bytes, context: Context) -> bytes:
    """A Gemini CLI command TOML file (``description``, ``prompt``) made from a Markdown command."""
    document = MarkdownFile(content, context.load)
    prompt = document.body.lstrip("\r\n")
    for trigger in INJECTIONS:
        prompt = prompt.replace(trigger, f"{trigger[0]}\\{{")
    prompt = prompt.replace("$ARGUMENTS", "{{args}}")
    pairs = {"description": description_of(document, context.name), "prompt": prompt}
    return toml_text.document(pairs).encode("utf-8")


TARGET = Target(
    name="gemini",
    title="Gemini CLI",
    markers=MARKERS["gemini"],
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

"""OpenAI Codex: ``.codex/agents/<name>.toml``, ``.agents/skills``, ``AGENTS.md``, ``.codex/config.toml``.

A Codex custom agent is a TOML file with ``name``, ``description`` and ``developer_instructions``
(all three required). The Markdown agent's body (leading blank lines dropped) becomes
``developer_instructions``; ``name`` is the output name; ``description`` comes from the
frontmatter, else the body's first line. Other frontmatter fields (Claude's ``tools``, ``model``,
``color``) have no Codex meaning and are not carried over. Codex reads no project command or rule
folder: rules reach it through the ``agents-md`` section of ``AGENTS.md``; project MCP servers go
into ``.codex/config.toml`` as ``[mcp_servers.<name>]`` tables (read in trusted projects only).
"""

from __future__ import annotations

from functools import partial

from agentpack.core.target_markers import MARKERS
from agentpack.core.targets import toml_text
from agentpack.core.targets.base import Context, KindRule, McpRule, Target
from agentpack.core.targets.markdown import MarkdownFile, description_of, skill
from agentpack.core.targets.mcp import server_entry


def agent(content: bytes, context: Context) -> bytes:
    """A Codex custom agent TOML file made from a Markdown agent."""
    document = MarkdownFile(content, context.load)
    body = document.body.lstrip("\r\n")
    pairs = {"name": context.name, "description": description_of(document, context.name),
             "developer_instructions": body}
    return toml_text.document(pairs).encode("utf-8")


TARGET = Target(
    name="codex",
    title="OpenAI Codex",
    markers=MARKERS["codex"],
    kinds={
        "agents": KindRule(".codex/agents", "{name}.toml", agent),
        "skills": KindRule(".agents/skills", "{name}", skill, folder=True),
    },
    mcp=McpRule(".codex/config.toml", "toml", ("mcp_servers",), partial(server_entry, headers_key="http_headers")),
    context_file="AGENTS.md",
    notes={
        "commands": "Codex reads custom prompts only from ~/.codex/prompts (user level, deprecated for skills)",
        "rules": "Codex has no rule folder; rules are listed in AGENTS.md by the agents-md section",
        "workflows": "Codex has no workflow folder; workflows stay in workflows/<package>/",
        "patterns": "Codex has no pattern folder; patterns stay in patterns/<package>/",
    },
)

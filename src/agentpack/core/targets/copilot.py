"""GitHub Copilot (VS Code, Copilot CLI, coding agent): ``.github/agents|prompts|instructions|skills``, ``.vscode/mcp.json``.

An agent becomes ``<name>.agent.md`` with ``description`` present (added from the body's first line
when missing; GitHub's coding agent and Copilot CLI require it). Copilot CLI reads the frontmatter
with a strict YAML reader and drops an agent it rejects, so a one-line entry strict YAML rejects (an
unquoted ``: `` in a description) is written again quoted. Commands become prompt files
(``<name>.prompt.md``) unchanged. A rule becomes ``<name>.instructions.md`` whose scope is
``applyTo``: a Cursor ``globs`` is renamed (lists joined with commas), ``alwaysApply: true``
becomes ``applyTo: "**"`` and ``alwaysApply`` is dropped. Every MCP server carries ``type``.

MCP servers go to VS Code's ``.vscode/mcp.json``, which Copilot CLI no longer reads (since 1.0.37,
github/copilot-cli#3019): it reads ``.mcp.json`` or ``.github/mcp.json`` (``mcpServers``), so
Copilot CLI gets a package's servers through the claude target's ``.mcp.json``. Copilot CLI has no
prompt files either (VS Code reads them).
"""

from __future__ import annotations

from functools import partial

from agentpack.core.target_markers import MARKERS
from agentpack.core.targets.base import Context, KindRule, McpRule, Target
from agentpack.core.targets.markdown import MarkdownFile, ensure_description, rule_scope, skill
from agentpack.core.targets.mcp import server_entry


def agent(content: bytes, context: Context) -> bytes:
    """A Copilot custom agent: ``description`` present; Claude tool names are Copilot aliases."""
    document = MarkdownFile(content, context.load)
    ensure_description(document, context.name)
    if context.prefixed and document.has("name"):
        document.set("name", context.name)
    document.quote_rejected_entries()
    return document.to_bytes()


def instructions(content: bytes, context: Context) -> bytes:
    """A ``.instructions.md`` file: scope in ``applyTo``, from ``globs``/``paths``/``alwaysApply``."""
    document = MarkdownFile(content, context.load)
    if document.has("applyTo") or not any(document.has(f) for f in ("globs", "paths", "alwaysApply")):
        return content
    globs, always = rule_scope(document.fields)
    scope = "**" if always and not globs else ",".join(globs or [])
    for field in ("globs", "paths", "alwaysApply"):
        document.remove(field)
    if scope:
        document.set("applyTo", scope)
    return document.to_bytes()


TARGET = Target(
    name="copilot",
    title="GitHub Copilot",
    markers=MARKERS["copilot"],
    kinds={
        "agents": KindRule(".github/agents", "{name}.agent.md", agent),
        "commands": KindRule(".github/prompts", "{name}.prompt.md"),
        "skills": KindRule(".github/skills", "{name}", skill, folder=True),
        "rules": KindRule(".github/instructions", "{name}.instructions.md", instructions),
    },
    mcp=McpRule(".vscode/mcp.json", "json", ("servers",), partial(server_entry, stdio={"type": "stdio"}, remote={"type": "http"})),
    context_file="AGENTS.md",
    notes={
        "workflows": "Copilot has no workflow folder; workflows stay in workflows/<package>/",
        "patterns": "Copilot has no pattern folder; patterns stay in patterns/<package>/",
        "markers": "a bare .github/ is not a marker: nearly every repository has one for Actions",
        "mcp": "VS Code reads .vscode/mcp.json; Copilot CLI reads .mcp.json (the claude target's) or .github/mcp.json",
    },
    # VS Code: custom-agent-file-reference ("Files in .claude/agents use the Claude agent format");
    # skills from .github/skills, .agents/skills and .claude/skills (microsoft/vscode agent-customization).
    also_reads={"agents": (".claude/agents",), "skills": (".claude/skills", ".agents/skills")},
)

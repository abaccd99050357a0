"""Agent tools as install targets: one ``Target`` description per tool, all in one table.

Like registries are backends chosen from a scheme table, tools are targets chosen from ``TARGETS``.
Adding a tool is one new module with a ``TARGET`` plus a row below, never an ``if tool == ...`` in a
service. Everything in this package is pure: it computes paths and bytes; the install transaction
writes them.

Where each tool reads what (researched 2026-11-29; "doc" = the tool's own documentation, as stored
by the search corpus on that date; where the issue text and the docs disagree the docs win, noted):

| tool        | kind     | path (project scope)                   | required / translated                        | source |
|-------------|----------|----------------------------------------|----------------------------------------------|--------|
| claude      | agents   | .claude/agents/<name>.md               | name, description required (added if absent) | doc https://code.claude.com/docs/en/sub-agents |
| claude      | commands | .claude/commands/<name>.md             | none (frontmatter optional)                  | doc https://code.claude.com/docs/en/slash-commands |
| claude      | skills   | .claude/skills/<name>/SKILL.md + files | Agent Skills: name, description              | doc https://code.claude.com/docs/en/skills ; vercel-labs/skills src/agents.ts |
| claude      | rules    | .claude/rules/<name>.md                | optional `paths:` list of globs              | doc https://code.claude.com/docs/en/memory (organize rules with .claude/rules) |
| claude      | mcp      | .mcp.json {"mcpServers": {...}}        | remote servers need "type": "http"           | doc code.claude.com/docs/en/mcp (via dev.to kitquarry 2026-10-29) |
| copilot     | agents   | .github/agents/<name>.agent.md         | description (GitHub coding agent requires it; VS Code: optional) | doc https://code.visualstudio.com/docs/agent-customization/custom-agents |
| copilot     | commands | .github/prompts/<name>.prompt.md       | none (all fields optional)                   | doc https://code.visualstudio.com/docs/agent-customization/prompt-files |
| copilot     | rules    | .github/instructions/<name>.instructions.md | applyTo glob(s)                         | microsoft/vscode skill agent-customization (mcpservers.org copy) |
| copilot     | skills   | .github/skills/<name>/                 | Agent Skills                                  | same; peers also use .agents/skills |
| copilot     | mcp      | .vscode/mcp.json {"servers": {...}}    | "type" required (stdio / http); VS Code only | doc https://code.visualstudio.com/docs/agents/reference/mcp-configuration.md ; github/copilot-cli#3019 |
| cursor      | rules    | .cursor/rules/<name>.mdc               | description, globs, alwaysApply              | cursor.com/docs/rules (via skillsaw docs/rules/cursor-rules-valid.md) |
| cursor      | agents   | .cursor/agents/<name>.md               | name, description (model, readonly optional) | doc https://cursor.com/docs/subagents.md |
| cursor      | commands | .cursor/commands/<name>.md             | plain Markdown                               | cursor.com/docs (commands); issue text |
| cursor      | skills   | .cursor/skills/<name>/                 | Agent Skills                                  | cursor docs; vercel-labs/skills uses .agents/skills |
| cursor      | mcp      | .cursor/mcp.json {"mcpServers": {...}} | command/args/env or url                      | cursor.com/docs/mcp (via dev.to skryvo 2026-10-22) |
| codex       | agents   | .codex/agents/<name>.toml              | TOML: name, description, developer_instructions | doc https://developers.openai.com/codex/subagents.md |
| codex       | skills   | .agents/skills/<name>/                 | SKILL.md: name, description                  | doc https://developers.openai.com/codex/skills.md ; vercel-labs/skills |
| codex       | context  | AGENTS.md                              | plain Markdown                               | doc developers.openai.com/codex (AGENTS.md) |
| codex       | mcp      | .codex/config.toml [mcp_servers.<name>] | trusted projects only                       | docs.rs tuff-adapter-codex MCP_CONFIG_RELPATH; Codex MCP docs |
| gemini      | agents   | .gemini/agents/<name>.md               | name (slug), description; no other field than kind/tools/mcp_servers/model… (strict) | google-gemini/gemini-cli docs/core/subagents.md ; its loader (0.61.0) |
| gemini      | commands | .gemini/commands/<name>.toml           | prompt required, description; {{args}}; !{…} @{…} run/read | doc https://geminicli.com/docs/cli/custom-commands.md |
| gemini      | skills   | .gemini/skills/<name>/                 | Agent Skills                                  | dnldxn/claptrap docs/gemini-cli.md (from geminicli.com) |
| gemini      | context  | GEMINI.md ; mcp .gemini/settings.json {"mcpServers"} | httpUrl for streamable HTTP    | doc https://geminicli.com/docs |
| opencode    | agents   | .opencode/agents/<name>.md             | description; mode (subagent)                 | doc https://opencode.ai/docs/agents.md |
| opencode    | commands | .opencode/commands/<name>.md           | description, $ARGUMENTS                      | doc https://opencode.ai/v2/docs/commands/ |
| opencode    | skills   | .opencode/skills/<name>/               | Agent Skills                                  | opencode.ai docs (skills) |
| opencode    | mcp      | opencode.json {"mcp": {...}}           | type local (command array) / remote (url)    | opencode.ai/docs/config (zenn.dev summary) |
| agents-md   | all      | AGENTS.md, one section between <!-- agentops:begin/end --> | user text untouched   | https://agents.md ; issue 10 |

Notes where the tools themselves differ from their docs (found by running them, tests/oracles):
Gemini CLI's subagent loader rejects the ``mcpServers`` field its docs name and reads
``mcp_servers``, and its YAML reader, like Copilot CLI's, rejects what strict YAML rejects; Copilot
CLI reads neither ``.vscode/mcp.json`` nor prompt files (VS Code does), but reads Claude's
``.mcp.json``.

Notes where the docs differ from the issue: the issue's ``.codex/agents/<name>.toml`` and
``.gemini/agents/`` are confirmed; OpenCode's folders are plural (``.opencode/agents``,
``.opencode/commands``; the singular V1 names still load); Copilot's ``description`` is optional in
VS Code but required by GitHub's coding agent, so it is always written; a bare ``.github/`` is not a
Copilot marker (every repository with Actions has one); Codex has no project command folder
(custom prompts are user-level only). Peers read, not copied: microsoft/apm
(src/apm_cli/integration/_known_targets.py, opencode_frontmatter.py) and vercel-labs/skills
(src/agents.ts) deploy skills to the shared ``.agents/skills`` for Codex, Cursor, Gemini, Copilot
and OpenCode; here each tool gets the folder its own docs name, and ``duplicate_readers`` reports
where one tool also loads another's folder. APM only warns about OpenCode-fatal frontmatter
(``tools`` not a mapping, named colors); here those values are dropped so the agent loads.

Decisions (each module's docstring has the detail):
- A field a tool requires and the file lacks is added, never invented elsewhere: ``description``
  from the body's first non-blank line (heading marks removed, cut at 1,024 characters), ``name``
  from the output name. Everything else in the frontmatter keeps its bytes.
- A file a tool reads as it is comes back byte for byte (BOM, CRLF, comments, invalid-but-tolerated
  YAML such as ``globs: **/*``); every other file of a skill folder is always copied unchanged.
- Values a tool would reject are dropped rather than guessed (Claude tool names for Gemini and
  OpenCode, Claude model aliases for Gemini, Codex and OpenCode).
- Kinds a tool has no folder for (workflows, patterns everywhere; rules for Codex, Gemini and
  OpenCode; commands for Codex) are not written; the ``agents-md`` section lists them instead.
"""

from __future__ import annotations

from agentpack.core.target_markers import CONTEXT_FILES, MARKERS, all_markers, detect_targets
from agentpack.core.targets import agents_md, claude, codex, copilot, cursor, gemini, opencode
from agentpack.core.targets.base import (
    KINDS,
    PREFIX_PACKAGE,
    Component,
    Context,
    KindRule,
    McpRule,
    Target,
    TargetFile,
    Translate,
    output_name,
    output_paths,
    translate,
)

TARGETS: dict[str, Target] = {
    module.TARGET.name: module.TARGET
    for module in (claude, copilot, cursor, codex, gemini, opencode, agents_md)
}
assert list(TARGETS) == list(MARKERS), "core.target_markers lists the targets in this table's order"
assert {t.context_file for t in TARGETS.values() if t.context_file} == set(CONTEXT_FILES), \
    "core.target_markers.CONTEXT_FILES names every target's context file"


def duplicate_readers(enabled: list[str]) -> list[tuple[str, str, str]]:
    """Outputs that would show a component twice: (target to skip, kind, target that covers it).

    A tool that also reads another enabled target's folder for a kind (``also_reads``) would load
    each component of that kind twice if both targets wrote it. For each such pair the tool that
    reads both is reported, so the caller writes the kind once; order follows the table.
    """
    found = []
    for name in TARGETS:
        if name not in enabled:
            continue
        for kind, folders in TARGETS[name].also_reads.items():
            for other in TARGETS:
                rule = TARGETS[other].kinds.get(kind)
                if other != name and other in enabled and rule is not None and rule.directory in folders:
                    found.append((name, kind, other))
                    break
    return found


__all__ = [
    "KINDS", "PREFIX_PACKAGE", "TARGETS", "Component", "Context", "KindRule", "McpRule", "Target",
    "TargetFile", "Translate", "all_markers", "detect_targets", "duplicate_readers", "output_name", "output_paths", "translate",
]

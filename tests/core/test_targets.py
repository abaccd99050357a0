"""Targets: the table, path rules and translations per tool (kind x target -> path and bytes)."""

from __future__ import annotations

import tomllib

import pytest

from agentpack.adapters.yamlio import load_yaml
from agentpack.core.targets import (
    TARGETS,
    Component,
    all_markers,
    detect_targets,
    duplicate_readers,
    output_paths,
    translate,
)
from agentpack.core.targets.clashes import find_clashes, find_server_clashes, plan_files
from agentpack.errors import UsageError, ValidationError


def load(text: str):
    return load_yaml(text, source="frontmatter")[0]


AGENT = b"---\nname: reviewer\ndescription: Reviews code\ntools: Read, Grep\nmodel: sonnet\ncolor: blue\n---\n\nYou review code.\n"
BARE_AGENT = b"# Reviewer\n\nYou review code.\n"
COMMAND = b"---\ndescription: Fix an issue\nargument-hint: <issue>\n---\nFix issue $ARGUMENTS.\n"
COPILOT_RULE = b"---\ndescription: Python style\napplyTo: '**/*.py'\n---\nUse type hints.\n"
CURSOR_RULE = b"---\ndescription: Cypress\nglobs: **/*.cy.ts, src/**\nalwaysApply: false\n---\nUse cy.\n"
SKILL = b"---\nname: pdf\ndescription: Read PDFs\n---\nUse pdftotext.\n"

# (target, kind, input bytes) -> (path, expected bytes); None means "the input, byte for byte".
CASES = [
    ("claude", "agents", AGENT, ".claude/agents/reviewer.md", None),
    ("claude", "agents", BARE_AGENT, ".claude/agents/reviewer.md",
     b"---\nname: reviewer\ndescription: Reviewer\n---\n# Reviewer\n\nYou review code.\n"),
    ("claude", "commands", COMMAND, ".claude/commands/reviewer.md", None),
    ("claude", "rules", COPILOT_RULE, ".claude/rules/reviewer.md",
     b'---\ndescription: Python style\npaths: ["**/*.py"]\n---\nUse type hints.\n'),
    ("claude", "rules", CURSOR_RULE, ".claude/rules/reviewer.md",
     b'---\ndescription: Cypress\npaths: ["**/*.cy.ts", "src/**"]\n---\nUse cy.\n'),
    ("copilot", "agents", AGENT, ".github/agents/reviewer.agent.md", None),
    ("copilot", "agents", BARE_AGENT, ".github/agents/reviewer.agent.md",
     b"---\ndescription: Reviewer\n---\n# Reviewer\n\nYou review code.\n"),
    # Copilot CLI drops an agent whose frontmatter strict YAML rejects: the unquoted ": " is quoted
    ("copilot", "agents", b"---\nname: r\ndescription: Triggers on: review\n---\nB\n", ".github/agents/reviewer.agent.md",
     b'---\nname: r\ndescription: "Triggers on: review"\n---\nB\n'),
    ("copilot", "commands", COMMAND, ".github/prompts/reviewer.prompt.md", None),
    ("copilot", "rules", COPILOT_RULE, ".github/instructions/reviewer.instructions.md", None),
    ("copilot", "rules", CURSOR_RULE, ".github/instructions/reviewer.instructions.md",
     b'---\ndescription: Cypress\napplyTo: "**/*.cy.ts,src/**"\n---\nUse cy.\n'),
    ("copilot", "rules", b"---\nalwaysApply: true\n---\nAlways.\n", ".github/instructions/reviewer.instructions.md",
     b'---\napplyTo: "**"\n---\nAlways.\n'),
    ("cursor", "agents", AGENT, ".cursor/agents/reviewer.md", None),
    ("cursor", "commands", COMMAND, ".cursor/commands/reviewer.md", None),
    ("cursor", "rules", CURSOR_RULE, ".cursor/rules/reviewer.mdc", None),
    ("cursor", "rules", COPILOT_RULE, ".cursor/rules/reviewer.mdc",
     b"---\ndescription: Python style\nglobs: '**/*.py'\nalwaysApply: false\n---\nUse type hints.\n"),
    ("cursor", "rules", b"---\napplyTo: '**'\n---\nAlways.\n", ".cursor/rules/reviewer.mdc",
     b"---\nalwaysApply: true\n---\nAlways.\n"),
    ("codex", "agents", AGENT, ".codex/agents/reviewer.toml",
     b"name = \"reviewer\"\ndescription = \"Reviews code\"\ndeveloper_instructions = '''\nYou review code.\n'''\n"),
    ("gemini", "agents", AGENT, ".gemini/agents/reviewer.md",
     b"---\nname: reviewer\ndescription: Reviews code\n---\n\nYou review code.\n"),
    ("gemini", "agents", b"---\nname: Code Reviewer\ndescription: R\ntools: [read_file]\nmodel: gemini-3-flash\n---\nB\n",
     ".gemini/agents/reviewer.md",
     b"---\nname: code-reviewer\ndescription: R\ntools: [read_file]\nmodel: gemini-3-flash\n---\nB\n"),
    ("gemini", "commands", COMMAND, ".gemini/commands/reviewer.toml",
     b"description = \"Fix an issue\"\nprompt = '''\nFix issue {{args}}.\n'''\n"),
    # Gemini's loader: no unknown field (mcpServers is read as mcp_servers), only Gemini tool names,
    # strict YAML (the unquoted ": " is quoted)
    ("gemini", "agents", b"---\nname: r\ndescription: Triggers on: review\ntools: ['codebase']\nmcpServers:\n"
                         b"  s:\n    command: x\n---\nB\n", ".gemini/agents/reviewer.md",
     b'---\nname: r\ndescription: "Triggers on: review"\nmcp_servers:\n  s:\n    command: x\n---\nB\n'),
    # Gemini runs !{...} and reads @{...} in a prompt: a Markdown command's own are escaped
    ("gemini", "commands", b"Run !{ls}, then: npm i pkg@{version} $ARGUMENTS\n", ".gemini/commands/reviewer.toml",
     b"description = \"Run !{ls}, then: npm i pkg@{version} $ARGUMENTS\"\n"
     b"prompt = '''\nRun !\\{ls}, then: npm i pkg@\\{version} {{args}}\n'''\n"),
    ("opencode", "agents", AGENT, ".opencode/agents/reviewer.md",
     b"---\nname: reviewer\ndescription: Reviews code\nmode: subagent\n---\n\nYou review code.\n"),
    ("opencode", "agents", b"---\ndescription: D\nmode: primary\ncolor: '#00FF00'\nmodel: anthropic/claude\n---\nB\n",
     ".opencode/agents/reviewer.md", None),
    ("opencode", "commands", COMMAND, ".opencode/commands/reviewer.md", None),
]


@pytest.mark.parametrize(("target", "kind", "content", "path", "expected"), CASES,
                         ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_translation_table(target, kind, content, path, expected):
    [made] = translate(TARGETS[target], Component("pkg", kind, "reviewer", content), load)
    assert made.path == path
    assert made.content == (content if expected is None else expected)
    assert (made.package, made.kind, made.name) == ("pkg", kind, "reviewer")


@pytest.mark.parametrize("target", ["codex", "gemini"])
def test_toml_outputs_parse(target):
    for kind, rule in TARGETS[target].kinds.items():
        if rule.file_name.endswith(".toml"):
            [made] = translate(TARGETS[target], Component("pkg", kind, "x", AGENT), load)
            data = tomllib.loads(made.content.decode())
            assert data["description"] == "Reviews code"
            assert ("developer_instructions" in data) or ("prompt" in data)


EXPECTED_SKILL_DIRS = {"claude": ".claude/skills", "copilot": ".github/skills", "cursor": ".cursor/skills",
                       "codex": ".agents/skills", "gemini": ".gemini/skills", "opencode": ".opencode/skills"}


@pytest.mark.parametrize("target", sorted(EXPECTED_SKILL_DIRS))
def test_skills_travel_as_folders_byte_for_byte(target):
    files = (("SKILL.md", SKILL), ("references/guide.md", b"\xef\xbb\xbfref\r\n"), ("scripts/run.sh", b"#!/bin/sh\n"))
    made = translate(TARGETS[target], Component("pkg", "skills", "pdf", files=files), load)
    base = EXPECTED_SKILL_DIRS[target] + "/pdf"
    assert [(m.path, m.content) for m in made] == [
        (f"{base}/SKILL.md", SKILL), (f"{base}/references/guide.md", files[1][1]), (f"{base}/scripts/run.sh", files[2][1])]


def test_kinds_a_tool_does_not_read_are_explained_not_written():
    for target in TARGETS.values():
        for kind in ("agents", "commands", "skills", "rules", "workflows", "patterns"):
            if kind not in target.kinds:
                assert target.notes.get(kind), f"{target.name} {kind} needs a note"
                assert translate(target, Component("p", kind, "x", b"x"), load) == []


def test_table_has_every_tool_in_order():
    assert list(TARGETS) == ["claude", "copilot", "cursor", "codex", "gemini", "opencode", "agents-md"]
    assert TARGETS["codex"].context_file == "AGENTS.md" and TARGETS["gemini"].context_file == "GEMINI.md"
    assert TARGETS["claude"].mcp.path == ".mcp.json" and TARGETS["copilot"].mcp.container == ("servers",)
    assert TARGETS["codex"].mcp.format == "toml"
    assert ".mcp.json" in TARGETS["copilot"].notes["mcp"]  # Copilot CLI does not read .vscode/mcp.json


@pytest.mark.parametrize(("present", "expected"), [
    (set(), []),
    ({".claude", "AGENTS.md"}, [("claude", ".claude"), ("agents-md", "AGENTS.md")]),
    ({".github"}, []),
    ({".github/agents", ".cursorrules", ".codex", "GEMINI.md", "opencode.json"},
     [("copilot", ".github/agents"), ("cursor", ".cursorrules"), ("codex", ".codex"), ("gemini", "GEMINI.md"),
      ("opencode", "opencode.json")]),
])
def test_detect_targets(present, expected):
    assert detect_targets(present) == expected
    assert set(m for _, m in expected) <= set(all_markers())


def test_prefix_package_renames_file_and_name_field():
    component = Component("team/sec", "agents", "auditor", b"---\nname: auditor\ndescription: d\n---\nB\n")
    [claude] = translate(TARGETS["claude"], component, load, prefix="package")
    assert claude.path == ".claude/agents/team-sec-auditor.md"
    assert claude.content == b"---\nname: team-sec-auditor\ndescription: d\n---\nB\n"
    [codex] = translate(TARGETS["codex"], component, load, prefix="package")
    assert tomllib.loads(codex.content.decode())["name"] == "team-sec-auditor"
    skill = Component("sec", "skills", "pdf", files=(("SKILL.md", SKILL),))
    [made] = translate(TARGETS["cursor"], skill, load, prefix="package")
    assert made.path == ".cursor/skills/sec-pdf/SKILL.md"
    assert made.content == SKILL.replace(b"name: pdf", b"name: sec-pdf")
    with pytest.raises(UsageError):
        output_paths(TARGETS["claude"], component, prefix="scope")


def test_clashes_name_both_packages_and_prefix_resolves_them():
    a = Component("alpha", "agents", "security-auditor", AGENT)
    b = Component("beta", "agents", "security-auditor", AGENT)
    c = Component("beta", "commands", "security-auditor", COMMAND)
    [clash] = find_clashes(TARGETS["claude"], [b, a, c])
    assert clash.path == ".claude/agents/security-auditor.md"
    assert (clash.first[0], clash.second[0]) == ("alpha", "beta")
    assert "alpha" in clash.message() and "beta" in clash.message()
    with pytest.raises(ValidationError) as caught:
        plan_files(TARGETS["claude"], [a, b], load)
    assert caught.value.problems[0].code == "name-clash" and "prefix: package" in caught.value.hint
    planned = plan_files(TARGETS["claude"], [a, b, c], load, prefix="package")
    assert [f.path for f in planned] == [".claude/agents/alpha-security-auditor.md",
                                         ".claude/agents/beta-security-auditor.md",
                                         ".claude/commands/beta-security-auditor.md"]
    assert find_clashes(TARGETS["agents-md"], [a, b]) == []


def test_rules_with_one_output_name_clash_within_a_package():
    one = Component("p", "rules", "style", CURSOR_RULE, source="rules/style.mdc")
    two = Component("p", "rules", "style", COPILOT_RULE, source="rules/style.instructions.md")
    assert len(find_clashes(TARGETS["cursor"], [one, two])) == 1


def test_server_clashes_name_both_packages():
    [clash] = find_server_clashes("claude", {"b": {"db": {}}, "a": {"db": {}, "x": {}}})
    assert clash.first == ("a", "mcp_servers", "db") and clash.second == ("b", "mcp_servers", "db")


def test_duplicate_readers_report_tools_that_load_another_targets_folder():
    assert duplicate_readers(["claude", "copilot", "codex"]) == [
        ("copilot", "agents", "claude"), ("copilot", "skills", "claude")]
    assert duplicate_readers(["copilot", "codex"]) == [("copilot", "skills", "codex")]
    assert duplicate_readers(["copilot", "cursor", "gemini"]) == []


@pytest.mark.parametrize(("color", "kept"), [("blue", False), ("#0af", True), ("#00AAFF", True), ("accent", True),
                                             ("#00AAF", False)])
def test_opencode_colors(color, kept):
    content = f"---\ndescription: d\nmode: subagent\ncolor: '{color}'\n---\nB\n".encode()
    [made] = translate(TARGETS["opencode"], Component("p", "agents", "a", content), load)
    assert (made.content == content) is kept

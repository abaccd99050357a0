"""Quality gates through the real command: `agentops check` on a workspace, and a package's own gates
failing `package validate` / `package build`, with files written by other people (../shared/corpus)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import CORPUS, needs_corpus

pytestmark = needs_corpus

VOLT = "VoltAgent__awesome-claude-code-subagents/categories"
API_DESIGNER = f"{VOLT}/01-core-development/api-designer.md"  # complete frontmatter, 6,115 bytes
CODE_REVIEWER = f"{VOLT}/04-quality-security/code-reviewer.md"  # "- TODO items" on line 100, 6,607 bytes
BACKEND_DEVELOPER = f"{VOLT}/01-core-development/backend-developer.md"  # 6,682 bytes, no TODO
GDPR = f"{VOLT}/04-quality-security/gdpr-ccpa-compliance.md"  # unquoted ': ' in its description
COPILOT_ARCHITECT = "github__awesome-copilot/agents/declarative-agents-architect.agent.md"  # no description
CLEAN_CODE_RULE = "PatrickJS__awesome-cursorrules/rules/clean-code.mdc"  # globs: ["**/*"] parses
CYPRESS_RULE = "PatrickJS__awesome-cursorrules/rules/cypress-defect-tracking-cursorrules-prompt-file.mdc"  # globs: **/*

GATES = r"""version: 1
rules:
  - id: agent-frontmatter
    description: Agents declare name, description, tools and model.
    files: agents/*.md
    require_frontmatter: [name, description, tools, model]

  - id: known-models
    description: Agents run on a model the enclave serves.
    files: agents/*.md
    severity: warning
    allowed_values: {model: [sonnet, opus, haiku, inherit]}

  - id: cursor-rule-scope
    description: Cursor rules say what they cover and which files they apply to.
    files: patterns/*.mdc
    require_frontmatter: [description, globs]

  - id: no-todo
    description: Shipped components carry no unfinished work.
    files: ["**/*.md", "**/*.mdc"]
    forbid_regex: '\bTODO\b'

  - id: edge-size
    description: Components fit an edge model's context.
    files: ["**/*.md", "**/*.mdc"]
    severity: warning
    max_bytes: 6144

  - id: steps-exist
    description: Every agent a workflow step names exists.
    files: workflows/*.md
    resolve_step_agents: true
"""

REVIEW_WORKFLOW = """\
---
name: review
description: Design an API, then check it against the house rules.
steps:
  - id: design
    agent: api-designer
  - id: rules
    pattern: clean-code
---

# Review

## Steps

1. Design with `api-designer`, then apply the clean-code rule.
"""


def corpus(relative: str) -> bytes:
    return (CORPUS / relative).read_bytes()


def review_kit(root: Path, *, pattern: str = CLEAN_CODE_RULE) -> Path:
    """A package made of corpus files, with the gates above; it passes them as shipped."""
    folder = root / "review-kit"
    for rel, content in {
        "agents/api-designer.md": corpus(API_DESIGNER),
        f"patterns/{Path(pattern).name}": corpus(pattern),
        "workflows/review.md": REVIEW_WORKFLOW.encode(),
        "validations/gates.yaml": GATES.encode(),
        "README.md": b"# review-kit\n",
        "docs/getting-started.md": b"# Getting started\n",
    }.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(content)
    (folder / "package.yaml").write_text(
        "name: review-kit\nversion: 1.0.0\ndescription: API design review\nauthor: Tests\nlicense: MIT\n"
        "agents: [agents/api-designer.md]\nworkflows: [workflows/review.md]\n"
        f"patterns: [patterns/{Path(pattern).name}]\nvalidations: [validations/gates.yaml]\n"
        "documentation:\n  getting_started: docs/getting-started.md\n"
    )
    return folder


def publish(agentops, folder: Path) -> None:
    archive = agentops("package", "build", folder, "-o", agentops.home / "dist").lines[-1]
    agentops("package", "publish", archive)


def line_of(content: bytes, needle: str) -> int:
    return next(i for i, line in enumerate(content.decode().split("\n"), 1) if needle in line)


def adapt(ws: Path, custom: dict[str, str]) -> None:
    """The workspace adds its own agents (copies of corpus files) to review-kit."""
    (ws / "local" / "agents").mkdir(parents=True, exist_ok=True)
    for relative in custom.values():
        (ws / "local" / "agents" / Path(relative).name).write_bytes(corpus(relative))
    (ws / "packages").mkdir(exist_ok=True)
    listed = "".join(f"    - local/agents/{Path(relative).name}\n" for relative in custom.values())
    (ws / "packages" / "review-kit.local.yaml").write_text(f"agents:\n  custom_agents:\n{listed}")


def test_check_reports_corpus_violations_with_file_line_and_rule(agentops, tmp_path):
    publish(agentops, review_kit(tmp_path / "src"))
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "review-kit", cwd=ws)
    assert agentops("check", cwd=ws).lines == ["Quality gates passed for 1 package(s)"]

    adapt(ws, {"reviewer": CODE_REVIEWER, "gdpr": GDPR, "architect": COPILOT_ARCHITECT})
    # A local edit: the installed Cursor rule replaced by one whose `globs: **/*` breaks YAML.
    shutil.copyfile(CORPUS / CYPRESS_RULE, ws / "patterns" / "review-kit" / "clean-code.mdc")

    run = agentops("-C", ws, "check", expect=1)
    reviewer = corpus(CODE_REVIEWER)
    size_line = reviewer.count(b"\n", 0, 6144) + 1
    expected = [
        f"local/agents/code-reviewer.md:{line_of(reviewer, 'TODO')}: [no-todo] matches the forbidden pattern "
        r"/\bTODO\b/: 'TODO'",
        f"local/agents/code-reviewer.md:{size_line}: [edge-size] is 6,607 bytes, over the limit of 6,144",
        "local/agents/declarative-agents-architect.agent.md:1: [agent-frontmatter] the frontmatter has no "
        "'description' field",
        "local/agents/declarative-agents-architect.agent.md:3: [known-models] the frontmatter field 'model' is "
        "'GPT-4.1'; allowed: sonnet, opus, haiku, inherit",
        f"local/agents/gdpr-ccpa-compliance.md:{line_of(corpus(GDPR), 'Triggers on:')}: [agent-frontmatter] the "
        "frontmatter is unreadable, so the required fields (name, description, tools, model) cannot be checked",
        f"patterns/review-kit/clean-code.mdc:{line_of(corpus(CYPRESS_RULE), 'globs:')}: [cursor-rule-scope] the "
        "frontmatter is unreadable, so the required fields (description, globs) cannot be checked",
    ]
    for text in expected:
        assert any(text in line for line in run.lines), f"{text!r} not in:\n{run.out}"
    assert [line.split()[0] for line in run.lines if "code-reviewer.md" in line] == ["error", "warning"]
    assert run.lines[-1] == "Quality gates failed: 4 error(s), 4 warning(s) in 1 package(s)"

    report = json.loads(agentops("check", "--json", cwd=ws, expect=1).out)
    assert (report["errors"], report["warnings"]) == (4, 4)
    assert sorted((v["file"], v["line"], v["rule"], v["severity"]) for v in report["violations"]) == sorted([
        ("local/agents/code-reviewer.md", line_of(reviewer, "TODO"), "no-todo", "error"),
        ("local/agents/code-reviewer.md", size_line, "edge-size", "warning"),
        ("local/agents/declarative-agents-architect.agent.md", 1, "agent-frontmatter", "error"),
        ("local/agents/declarative-agents-architect.agent.md", 3, "known-models", "warning"),
        ("local/agents/gdpr-ccpa-compliance.md", 3, "agent-frontmatter", "error"),
        ("local/agents/gdpr-ccpa-compliance.md", 3, "known-models", "warning"),
        ("patterns/review-kit/clean-code.mdc", 3, "cursor-rule-scope", "error"),
        ("patterns/review-kit/clean-code.mdc", corpus(CYPRESS_RULE).count(b"\n", 0, 6144) + 1, "edge-size",
         "warning"),  # 6,369 bytes
    ])
    assert all(v["package"] == "review-kit" for v in report["violations"])


def test_check_passes_with_warnings_only(agentops, tmp_path):
    publish(agentops, review_kit(tmp_path / "src"))
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "review-kit", cwd=ws)
    adapt(ws, {"backend": BACKEND_DEVELOPER})
    run = agentops("check", cwd=ws)
    assert run.lines[0].startswith("  warning local/agents/backend-developer.md:")
    assert "[edge-size] is 6,682 bytes" in run.lines[0]
    assert run.lines[-1] == "Quality gates passed with warnings: 0 error(s), 1 warning(s) in 1 package(s)"
    assert json.loads(agentops("check", "--json", cwd=ws).out)["warnings"] == 1


def test_step_agents_of_a_dependency_are_checked_in_the_workspace(agentops, tmp_path):
    publish(agentops, review_kit(tmp_path / "src"))
    flow = tmp_path / "src" / "triage-flow"
    (flow / "workflows").mkdir(parents=True)
    (flow / "validations").mkdir()
    (flow / "README.md").write_text("# triage-flow\n")
    (flow / "workflows" / "triage.md").write_text(
        "---\nname: triage\nsteps:\n  - id: design\n    agent: api-designer\n    package: review-kit\n"
        "  - id: audit\n    agent: security-auditor\n    package: review-kit\n---\n# Triage\n")
    (flow / "validations" / "gates.yaml").write_text(
        "version: 1\nrules:\n  - id: steps-exist\n    description: Step agents exist.\n"
        "    files: workflows/*.md\n    resolve_step_agents: true\n")
    (flow / "package.yaml").write_text(
        "name: triage-flow\nversion: 1.0.0\ndescription: Triage\nauthor: Tests\nlicense: MIT\n"
        "dependencies: [review-kit@^1.0.0]\nworkflows: [workflows/triage.md]\nvalidations: [validations/gates.yaml]\n")
    # Alone, the package cannot know its dependency's agents, so it builds...
    assert agentops("package", "validate", flow).lines[-1].startswith("triage-flow@1.0.0: valid (0 error(s)")
    publish(agentops, flow)
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "triage-flow", cwd=ws)
    # ...and the workspace, which has both, catches the step naming an agent review-kit does not define.
    run = agentops("check", cwd=ws, expect=1)
    assert run.lines[0] == ("  error   workflows/triage-flow/triage.md:8: [steps-exist] step 'audit' names agent "
                            "'security-auditor', which package 'review-kit' does not define")
    assert run.lines[-1] == "Quality gates failed: 1 error(s), 0 warning(s) in 2 package(s)"


def test_validate_and_build_fail_on_the_packages_own_error_gate(agentops, tmp_path):
    folder = review_kit(tmp_path / "src", pattern=CYPRESS_RULE)
    rule = f"patterns/{Path(CYPRESS_RULE).name}"
    line = line_of(corpus(CYPRESS_RULE), "globs:")
    run = agentops("package", "validate", folder, expect=1)
    assert f"  error   {rule}:{line}: [cursor-rule-scope] the frontmatter is unreadable" in run.out
    # The warnings: bad-frontmatter (packaging never rejects such files) and edge-size (6,369 bytes).
    assert run.lines[-1] == "review-kit@1.0.0: invalid (1 error(s), 2 warning(s))"
    problems = json.loads(agentops("package", "validate", folder, "--json", expect=1).out)["problems"]
    assert [(p["path"], p["line"], p["code"], p["severity"]) for p in problems if p["code"].startswith("gate:")] == [
        (rule, line, "gate:cursor-rule-scope", "error"),
        (rule, corpus(CYPRESS_RULE).count(b"\n", 0, 6144) + 1, "gate:edge-size", "warning"),
    ]

    build = agentops("package", "build", folder, "-o", tmp_path / "dist", expect=1)
    assert f"{rule}:{line}: [cursor-rule-scope]" in build.err
    assert not (tmp_path / "dist").exists() or not list((tmp_path / "dist").iterdir())

    # A warning-level gate reports but does not block: the same package with a big agent builds.
    big = review_kit(tmp_path / "ok")
    (big / "agents" / "api-designer.md").write_bytes(corpus(BACKEND_DEVELOPER))
    built = agentops("package", "build", big, "-o", tmp_path / "dist")
    assert "warning agents/api-designer.md:" in " ".join(built.err.split()) and "[edge-size]" in built.err


def test_check_outside_any_workspace_and_bad_lock(agentops, tmp_path):
    assert agentops("check", "-C", tmp_path).lines == ["No packages installed: nothing to check."]
    (tmp_path / "agentops.lock").write_text("{not json")
    run = agentops("check", "-C", tmp_path, "--json", expect=1)
    assert json.loads(run.out)["error"] == "workspace"

"""Real agent files from the shared corpus translate for every target, and Claude Code accepts the result.

The corpus (../shared/corpus, see its INVENTORY.md and QUIRKS.md) holds the 91 Claude Code plugins of
wshobson/agents, awesome-copilot's agents, instructions and skills, and 257 Cursor rules (230 of them
with ``globs: **/*``, which strict YAML rejects). Every one must translate without error; where a
tool reads the file unchanged it must come back byte for byte.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from agentpack.core.targets import TARGETS, Component, translate
from agentpack.core.targets.clashes import find_clashes, plan_files
from agentpack.core.targets.markdown import MarkdownFile
from conftest import CORPUS
from corpus_components import file_components as _files
from corpus_components import load
from corpus_components import skill_component as _skill

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not available")

WSHOBSON = CORPUS / "wshobson__agents" / "plugins"
COPILOT = CORPUS / "github__awesome-copilot"
CURSOR_RULES = CORPUS / "PatrickJS__awesome-cursorrules" / "rules"


def wshobson_components() -> list[Component]:
    components = []
    for plugin in sorted(p for p in WSHOBSON.iterdir() if p.is_dir()):
        components += _files(plugin.name, "agents", plugin.glob("agents/*.md"), plugin)
        components += _files(plugin.name, "commands", plugin.glob("commands/*.md"), plugin)
        components += [_skill(plugin.name, s.parent, plugin) for s in sorted(plugin.glob("skills/*/SKILL.md"))]
    return components


def copilot_components() -> list[Component]:
    components = _files("awesome-copilot", "agents", COPILOT.glob("agents/*.agent.md"), COPILOT)
    components += _files("awesome-copilot", "rules", COPILOT.glob("instructions/*.instructions.md"), COPILOT)
    components += [_skill("awesome-copilot", s.parent, COPILOT) for s in sorted(COPILOT.glob("skills/*/SKILL.md"))]
    return components


def cursor_components() -> list[Component]:
    return _files("awesome-cursorrules", "rules", CURSOR_RULES.glob("*.mdc"), CURSOR_RULES)


SOURCES = {"wshobson": wshobson_components, "awesome-copilot": copilot_components,
           "awesome-cursorrules": cursor_components}
UNCHANGED = {("claude", "commands"), ("copilot", "commands"), ("cursor", "commands"), ("opencode", "commands")}


def _frontmatter(content: bytes) -> dict:
    return MarkdownFile(content, load).fields


@pytest.mark.parametrize("source", sorted(SOURCES))
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_every_real_file_translates(source, target):
    components = SOURCES[source]()
    assert components, source
    written = 0
    for component in components:
        made = translate(TARGETS[target], component, load)
        written += len(made)
        for out in made:
            if component.kind == "skills" and not out.path.endswith("/SKILL.md"):
                assert out.content == dict(component.files)[out.path.split("/", 3)[-1]]
            elif (target, component.kind) in UNCHANGED:
                assert out.content == component.content
            elif out.path.endswith(".toml"):
                data = tomllib.loads(out.content.decode("utf-8"))
                assert data["description"].strip()
                assert "developer_instructions" in data or "prompt" in data
            elif component.kind == "agents":
                fields = _frontmatter(out.content)
                assert isinstance(fields.get("description"), str) and fields["description"].strip(), out.path
                if target in ("claude", "cursor", "gemini"):
                    assert isinstance(fields.get("name"), str) and fields["name"].strip(), out.path
                assert MarkdownFile(out.content, load).body == MarkdownFile(component.content, load).body
    if TARGETS[target].kinds:
        assert written > 0 or source == "awesome-cursorrules"


def test_cursor_rules_reach_cursor_byte_for_byte():
    for component in cursor_components():
        [made] = translate(TARGETS["cursor"], component, load)
        assert made.content == component.content, component.source


def test_copilot_instructions_reach_cursor_with_globs():
    changed = 0
    for component in copilot_components():
        if component.kind != "rules":
            continue
        [made] = translate(TARGETS["cursor"], component, load)
        fields = _frontmatter(made.content)
        if "applyTo" in _frontmatter(component.content):
            changed += 1
            assert "applyTo" not in fields and isinstance(fields.get("alwaysApply"), bool)
    assert changed > 100


def test_wshobson_name_clashes_are_found_and_prefix_resolves_them():
    components = wshobson_components()
    clashes = find_clashes(TARGETS["claude"], components)
    agent_clashes = {c.path for c in clashes if c.path.startswith(".claude/agents/")}
    assert ".claude/agents/security-auditor.md" in agent_clashes
    assert len(agent_clashes) >= 20
    assert find_clashes(TARGETS["claude"], components, prefix="package") == []


def _claude() -> str | None:
    return shutil.which("claude")


@pytest.mark.skipif(_claude() is None and os.environ.get("CI") != "true",
                    reason="the claude binary is not installed (npm install -g @anthropic-ai/claude-code)")
def test_claude_plugin_validate_accepts_translated_files(tmp_path):
    assert _claude(), "CI=true but the claude binary is not installed"
    plugins = sorted(p.name for p in WSHOBSON.iterdir() if p.is_dir())[:12]
    components = [c for c in wshobson_components() if c.package in plugins]
    files = plan_files(TARGETS["claude"], components, load, prefix="package")
    plugin = tmp_path / "plugin"
    for made in files:
        out = plugin / made.path.removeprefix(".claude/")  # a plugin holds agents/, commands/, skills/
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(made.content)
    (plugin / ".claude-plugin").mkdir()
    (plugin / ".claude-plugin" / "plugin.json").write_text(json.dumps(
        {"name": "translated", "version": "0.1.0", "description": "agentops targets test",
         "author": {"name": "agentops"}}))
    env = {**os.environ, "DISABLE_AUTOUPDATER": "1", "CLAUDE_CONFIG_DIR": str(tmp_path / "config")}
    run = subprocess.run([_claude(), "plugin", "validate", "--json", str(plugin)], capture_output=True,
                         text=True, timeout=120, env=env)
    if "unknown option" in run.stderr:  # releases before --json print text: no error is the contract
        run = subprocess.run([_claude(), "plugin", "validate", str(plugin)], capture_output=True, text=True,
                             timeout=120, env=env)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "✘" not in run.stdout, run.stdout
        return
    assert run.returncode == 0, run.stdout + run.stderr
    provides = json.loads(run.stdout).get("provides", {})
    wanted = {kind: sorted(Path(f.path).name.removesuffix(".md") for f in files
                           if f.kind == kind and (kind != "skills" or f.path.endswith("/SKILL.md")))
              for kind in ("agents", "commands")}
    for kind, names in wanted.items():
        listed = sorted(str(item.get("name", item)) if isinstance(item, dict) else str(item)
                        for item in provides.get(kind, []))
        assert set(names) <= set(listed) or len(listed) == len(names), (kind, listed[:5])

"""What is installed makes sense: the paths components name exist after install, validate warns
about a package path that install moves, and the scaffold's gates accept real agent files."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import yaml

from conftest import CORPUS

# A workspace-looking path: one of the installed folders, then a file name; not inside a longer path.
PATH_MENTION = re.compile(r"(?<![\w./<-])((?:agents|workflows|patterns|validations|config|docs)/[\w./-]+?\.(?:md|yaml))"
                          r"(?![\w/-])")


def test_paths_named_by_installed_components_exist(agentops, tmp_path):
    agentops.publish_examples()
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "customer-service", cwd=ws)
    named = set()
    for kind in ("agents", "workflows", "patterns"):
        for component in (ws / kind).rglob("*.md"):
            for mention in PATH_MENTION.findall(component.read_text()):
                named.add((component.relative_to(ws).as_posix(), mention))
    assert any("config/customer-service/escalation_thresholds.yaml" == m for _, m in named)
    missing = sorted((where, mention) for where, mention in named if not (ws / mention).is_file())
    assert missing == []


def _scaffold(agentops, tmp_path: Path, name: str = "desk") -> Path:
    folder = tmp_path / name
    agentops("package", "init", folder)
    return folder


def test_validate_warns_about_a_path_that_install_moves_and_says_where(agentops, tmp_path):
    folder = _scaffold(agentops, tmp_path)
    triage = folder / "agents" / "triage.md"
    triage.write_text(triage.read_text() + "\nCheck your reply against `validations/quality-gates.yaml`.\n")
    run = agentops("package", "validate", folder)
    line = next(line for line in run.lines if "validations/quality-gates.yaml" in line)
    assert "warning agents/triage.md:" in line and "validations/desk/quality-gates.yaml" in line
    report = json.loads(agentops("package", "validate", folder, "--json").out)
    assert [p["code"] for p in report["problems"]] == ["install-path"]


def test_the_examples_and_the_scaffold_name_installed_paths(agentops, tmp_path):
    from conftest import EXAMPLES

    for folder in [*sorted(EXAMPLES.iterdir()), _scaffold(agentops, tmp_path)]:
        report = json.loads(agentops("package", "validate", folder, "--json").out)
        assert report["ok"], folder
        assert [p for p in report["problems"] if p["code"] == "install-path"] == [], folder


def _real_agents() -> list[Path]:
    """Claude Code agents from the corpus whose frontmatter is valid YAML (a few are not)."""
    found = [*sorted(CORPUS.glob("VoltAgent__awesome-claude-code-subagents/categories/*/*.md")),
             *sorted(CORPUS.glob("wshobson__agents/plugins/*/agents/*.md"))]
    valid = []
    for path in found:
        head = path.read_text(encoding="utf-8").split("---\n", 2)
        try:
            meta = yaml.safe_load(head[1]) if len(head) == 3 else None
        except yaml.YAMLError:
            continue
        if isinstance(meta, dict) and meta.get("name") and meta.get("description"):
            valid.append(path)
    return valid


def test_the_scaffolds_gates_pass_on_real_claude_code_agents(agentops, tmp_path):
    agents = _real_agents()
    assert len(agents) > 300 and any("tools" not in p.read_text().split("---\n", 2)[1] for p in agents)
    folder = _scaffold(agentops, tmp_path)
    listed = []
    for path in agents:
        rel = f"agents/{path.parent.parent.name if path.parent.name == 'agents' else path.parent.name}-{path.name}"
        shutil.copyfile(path, folder / rel)
        listed.append(rel)
    manifest = folder / "package.yaml"
    text = manifest.read_text().replace("agents:\n  - agents/triage.md\n",
                                        "agents:\n  - agents/triage.md\n" + "".join(f"  - {r}\n" for r in listed))
    manifest.write_text(text)
    report = json.loads(agentops("package", "validate", folder, "--json").out)
    gate_errors = [p for p in report["problems"] if p["severity"] == "error"]
    assert report["ok"] and gate_errors == []


def test_the_scaffolds_local_override_example_configures_the_installed_settings(agentops, tmp_path):
    folder = _scaffold(agentops, tmp_path)
    agentops.publish_folder(folder)
    ws = tmp_path / "ws"
    (ws / "packages").mkdir(parents=True)
    readme = (folder / "README.md").read_text()
    example = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    (ws / "packages" / "desk.local.yaml").write_text(example)
    agentops("package", "install", "desk", cwd=ws)
    assert sorted(p.name for p in (ws / "config" / "desk").iterdir()) == ["settings.yaml"]
    assert yaml.safe_load((ws / "config" / "desk" / "settings.yaml").read_text())["confidence_threshold"] == 0.8
    assert "config/desk/settings.yaml" in (ws / "agents" / "desk" / "triage.md").read_text()

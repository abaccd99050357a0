"""`check_workspace` over hand-made workspaces: what is read, how paths map, the custom-component hook."""

import json
from pathlib import Path

import pytest

from agentpack.services.check import check_workspace

GATES = """\
version: 1
rules:
  - id: agent-fields
    description: Agents name themselves.
    files: agents/*.md
    require_frontmatter: [name]
  - id: steps
    description: Step agents exist.
    files: workflows/*.md
    resolve_step_agents: true
  - id: settings
    description: Settings are complete.
    files: config/settings.yaml
    severity: warning
    require_keys: [model]
"""


def workspace(root: Path, packages: dict[str, dict[str, str]], snapshots: dict[str, dict] | None = None) -> Path:
    """Write agentops.yaml, agentops.lock and the installed files {package: {workspace path: text}}."""
    (root / "agentops.yaml").write_text("packages: {}\n")
    lock = {"lockfile_version": 1, "root": {}, "overrides": {}, "packages": {}}
    for name, files in packages.items():
        lock["packages"][name] = {"version": "1.0.0", "source": "registry", "sha256": "0" * 64,
                                  "dependencies": {}, "files": {path: "0" * 64 for path in files}}
        for path, text in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text)
    (root / "agentops.lock").write_text(json.dumps(lock))
    for name, snapshot in (snapshots or {}).items():
        (root / ".agentops" / "packages").mkdir(parents=True, exist_ok=True)
        (root / ".agentops" / "packages" / f"{name}.json").write_text(json.dumps(snapshot))
    return root


def kit(**extra: str) -> dict[str, str]:
    return {"validations/kit/gates.yaml": GATES, "agents/kit/triage.md": "---\nname: triage\n---\n",
            "workflows/kit/flow.md": "---\nsteps:\n  - agent: triage\n  - agent: researcher\n    package: core\n---\n",
            **extra}


def found(result) -> list[tuple]:
    return [(v.package, v.file, v.line, v.rule, v.severity) for v in result.violations]


def test_installed_components_and_other_packages_agents(tmp_path):
    core = {"agents/core/researcher.md": "---\nname: researcher\n---\n"}
    result = check_workspace(str(workspace(tmp_path, {"kit": kit(), "core": core})))
    assert result.packages == ["core", "kit"] and result.violations == []
    assert result.to_dict() == {"violations": [], "errors": 0, "warnings": 0, "packages": ["core", "kit"]}


def test_a_step_naming_a_package_that_is_not_installed(tmp_path):
    result = check_workspace(str(workspace(tmp_path, {"kit": kit()})))
    assert found(result) == [("kit", "workflows/kit/flow.md", 5, "steps", "error")]
    assert result.violations[0].message.startswith("step 2 names package 'core', which is not available")
    assert result.violations[0].check == "resolve_step_agents"


def test_custom_components_hook_and_deleted_files(tmp_path):
    root = workspace(tmp_path, {"kit": kit(**{"agents/kit/gone.md": "x"}), "core": {"agents/core/researcher.md": ""}})
    (root / "agents" / "kit" / "gone.md").unlink()
    (root / "mine").mkdir()
    (root / "mine" / "helper.md").write_text("# no frontmatter\n")
    (root / "mine" / "triage.md").write_text("# named like an installed agent\n")
    result = check_workspace(str(root), custom_components={
        "kit": {"agents/helper.md": "mine/helper.md", "agents/triage.md": "mine/triage.md"}})
    assert found(result) == [("kit", "mine/helper.md", 1, "agent-fields", "error")]  # the other is agents/mine/...


def test_effective_config_is_checked_under_the_package_path_of_its_file(tmp_path):
    snapshot = {"manifest": {"name": "kit", "config": {"defaults": "config/settings.yaml"}}}
    root = workspace(tmp_path, {"kit": kit(), "core": {"agents/core/researcher.md": ""}}, {"kit": snapshot})
    (root / "config" / "kit").mkdir(parents=True)
    (root / "config" / "kit" / "defaults.yaml").write_text("currency: EUR\n")
    result = check_workspace(str(root))
    assert found(result) == [("kit", "config/kit/defaults.yaml", 1, "settings", "warning")]
    assert (result.errors, result.warnings) == (0, 1)


def test_custom_components_from_the_local_overrides_file(tmp_path):
    snapshot = {"manifest": {"name": "kit", "agents": ["agents/triage.md"]}}
    root = workspace(tmp_path, {"kit": kit(), "core": {"agents/core/researcher.md": ""}}, {"kit": snapshot})
    (root / "local").mkdir()
    (root / "local" / "vip.md").write_text("---\ndescription: no name\n---\n")
    (root / "packages").mkdir()
    (root / "packages" / "kit.local.yaml").write_text("agents:\n  custom_agents: [local/vip.md]\n")
    assert found(check_workspace(str(root))) == [("kit", "local/vip.md", 1, "agent-fields", "error")]
    (root / "packages" / "kit.local.yaml").write_text("agents:\n  custom_agents: [local/vip.md]\n  extra: 1\n")
    assert found(check_workspace(str(root))) == [
        ("kit", "local/vip.md", 1, "agent-fields", "error"), ("kit", "packages/kit.local.yaml", 3, None, "error"),
    ]
    (root / "packages" / "kit.local.yaml").write_text("agents: [\n")
    assert [(v.file, v.rule) for v in check_workspace(str(root)).violations] == [("packages/kit.local.yaml", None)]


@pytest.mark.parametrize(
    ("gates", "line"),
    [("version: 1\nrules:\n  - id: x\n    description: d\n    files: '*.md'\n", 3),
     ("version: 1\nrules: [\n", 3)],
)
def test_unusable_gates_file_is_an_error_without_a_rule(tmp_path, gates, line):
    result = check_workspace(str(workspace(tmp_path, {"kit": {"validations/kit/gates.yaml": gates}})))
    assert found(result) == [("kit", "validations/kit/gates.yaml", line, None, "error")]


def test_empty_workspace(tmp_path):
    result = check_workspace(str(tmp_path))
    assert result.packages == [] and result.violations == []

"""A user's edits to installed files are kept, not just protected (like Debian's conffiles):
an edit the new version does not touch stays, an edit it changes stops the command, and --force
replaces it only after saving the user's version under .agentops/backup/."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from conftest import write_package

EDIT = "my own notes\n"


def _publish(agentops, src: Path, version: str, bodies: dict[int, str]) -> None:
    """base@version with two agents; ``bodies`` sets an agent's text (others: 'Handle the request.')."""
    folder = write_package(src, "base", version, agents=2)
    for i, body in bodies.items():
        (folder / "agents" / f"agent-{i}.md").write_text(
            f"---\nname: agent-{i}\ndescription: Agent {i} of base\n---\n\n{body}\n")
    agentops.publish_folder(folder)


def _workspace(agentops, tmp_path: Path) -> Path:
    src = tmp_path / "src"
    _publish(agentops, src, "1.0.0", {})
    _publish(agentops, src, "1.1.0", {1: "Version two of agent one."})   # agent-0 unchanged
    _publish(agentops, src, "1.2.0", {0: "Version three of agent zero.", 1: "Version two of agent one."})
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "base@1.0.0", cwd=ws)
    (ws / "agentops.yaml").write_text("packages:\n  base: ~1.1.0\n")
    return ws


def _locked_digest(ws: Path, path: str) -> str:
    return json.loads((ws / "agentops.lock").read_text())["packages"]["base"]["files"][path]


def test_an_edit_the_update_does_not_change_is_kept_and_reported(agentops, tmp_path):
    ws = _workspace(agentops, tmp_path)
    edited = ws / "agents" / "base" / "agent-0.md"
    upstream = hashlib.sha256(edited.read_bytes()).hexdigest()
    edited.write_text(EDIT)
    run = agentops("package", "update", cwd=ws)
    assert "kept your edited agents/base/agent-0.md" in run.out
    assert edited.read_text() == EDIT
    assert "Version two of agent one." in (ws / "agents" / "base" / "agent-1.md").read_text()
    # The lock records the package's digest, not the edit: the same lock on every machine, and the
    # edit stays visible as a difference from it.
    assert _locked_digest(ws, "agents/base/agent-0.md") == upstream
    agentops("package", "install", "--frozen", cwd=ws)
    assert edited.read_text() == EDIT


def test_an_edit_the_update_changes_stops_it_and_force_saves_a_backup(agentops, tmp_path):
    ws = _workspace(agentops, tmp_path)
    agentops("package", "update", cwd=ws)
    edited = ws / "agents" / "base" / "agent-0.md"
    edited.write_text(EDIT)
    (ws / "agentops.yaml").write_text("packages:\n  base: ^1.0.0\n")
    lock_before = (ws / "agentops.lock").read_bytes()
    run = agentops("package", "update", cwd=ws, expect=1)
    assert "agents/base/agent-0.md" in run.err and "--force" in run.err
    assert "custom_agents" in run.err and "disabled" in run.err and ".agentops/backup/" in run.err
    assert edited.read_text() == EDIT and (ws / "agentops.lock").read_bytes() == lock_before
    run = agentops("package", "update", "--force", cwd=ws)
    assert "Version three of agent zero." in edited.read_text()
    line = next(line for line in run.lines if "saved your version of agents/base/agent-0.md" in line)
    saved = ws / line.rsplit(" to ", 1)[1]
    assert saved.read_text() == EDIT
    assert saved.relative_to(ws).as_posix().startswith(".agentops/backup/")


def test_uninstall_of_an_edited_file_stops_and_force_backs_it_up(agentops, tmp_path):
    ws = _workspace(agentops, tmp_path)
    edited = ws / "agents" / "base" / "agent-1.md"
    edited.write_text(EDIT)
    run = agentops("package", "uninstall", "base", cwd=ws, expect=1)
    assert "agents/base/agent-1.md" in run.err and edited.read_text() == EDIT
    run = json.loads(agentops("package", "uninstall", "base", "--force", "--json", cwd=ws).out)
    assert not edited.exists()
    assert (ws / run["backups"]["agents/base/agent-1.md"]).read_text() == EDIT


def test_an_edited_generated_config_file_gets_the_local_file_hint_and_a_backup(agentops, tmp_path):
    agentops.publish_examples("core-workflow")
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "core-workflow", cwd=ws)
    config = next((ws / "config" / "core-workflow").glob("*.yaml"))
    config.write_text(config.read_text() + "mine: true\n")
    run = agentops("config", "apply", "--set", "core-workflow.defaults.x=1", "--set-new", cwd=ws, expect=1)
    assert "packages/core-workflow.local.yaml" in run.err and "custom_agents" not in run.err
    run = json.loads(agentops("config", "apply", "--set", "core-workflow.defaults.x=1", "--set-new", "--force",
                              "--json", cwd=ws).out)
    saved = run["backups"][config.relative_to(ws).as_posix()]
    assert (ws / saved).read_text().endswith("mine: true\n")
    assert "mine: true" not in config.read_text()


def test_an_edited_generated_config_file_is_kept_while_its_layers_do_not_change(agentops, tmp_path):
    agentops.publish_examples("core-workflow")
    agentops.publish_folder(write_package(tmp_path / "src", "other", "1.0.0"))
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "core-workflow", cwd=ws)
    config = ws / "config" / "core-workflow" / "defaults.yaml"
    config.write_text(config.read_text() + "mine: true\n")
    run = agentops("package", "install", "other", cwd=ws)
    assert "kept your edited config/core-workflow/defaults.yaml" in run.out
    assert config.read_text().endswith("mine: true\n")
    assert "Up to date" in agentops("package", "install", cwd=ws).out
    # A change to its layers still stops at the edit, with the local-file hint.
    run = agentops("config", "apply", "--set", "core-workflow.defaults.x=1", "--set-new", cwd=ws, expect=1)
    assert "packages/core-workflow.local.yaml" in run.err


def test_edited_installed_and_generated_files_are_reported_together(agentops, tmp_path):
    agentops.publish_examples("core-workflow")
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "core-workflow", cwd=ws)
    agent = ws / "agents" / "core-workflow" / "planner.md"
    config = ws / "config" / "core-workflow" / "defaults.yaml"
    agent.write_text(EDIT)
    config.write_text(config.read_text() + "mine: true\n")
    run = agentops("package", "uninstall", "core-workflow", cwd=ws, expect=1)
    assert "2 file(s) changed by you" in run.err
    assert "agents/core-workflow/planner.md" in run.err and "config/core-workflow/defaults.yaml" in run.err
    assert "packages/core-workflow.local.yaml" in run.err and "custom_agents" in run.err

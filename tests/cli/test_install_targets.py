"""Install targets through the real command: packages deployed into the agent tools' own folders."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml
from test_component_kinds import kit, skill_files, write

from conftest import write_package


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tree(root: Path, *folders: str) -> dict[str, bytes]:
    """Every file under ``folders`` of ``root`` with its bytes (workspace-relative POSIX paths)."""
    found = {}
    for folder in folders:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file():
                found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


@pytest.fixture
def ws(agentops, tmp_path) -> Path:
    agentops.publish_folder(kit(tmp_path / "src"))
    workspace = tmp_path / "ws"
    workspace.mkdir()
    return workspace


def test_install_with_targets_writes_every_kind_where_claude_reads_it_and_records_it_in_the_lock(
        agentops, ws, tmp_path):
    agentops("package", "install", "support-kit", "--target", "claude", "--target", "agents-md", cwd=ws)
    assert yaml.safe_load((ws / "agentops.yaml").read_text())["targets"] == ["claude", "agents-md"]
    source = tmp_path / "src/support-kit"
    assert (ws / ".claude/agents/triage.md").read_bytes() == (source / "agents/triage.md").read_bytes()
    assert (ws / ".claude/commands/review.md").read_bytes() == (source / "commands/review.md").read_bytes()
    assert (ws / ".claude/commands/deploy.md").is_file()
    assert skill_files(ws / ".claude/skills/summarize") == skill_files(source / "skills/summarize")
    rule = (ws / ".claude/rules/style.md").read_text()
    assert "paths:" in rule and "Be brief." in rule
    servers = json.loads((ws / ".mcp.json").read_text())["mcpServers"]
    assert servers["tickets"] == {"command": "npx", "args": ["-y", "tickets-mcp"],
                                  "env": {"TICKETS_URL": "https://tickets.example", "LOG_LEVEL": "info"}}
    assert servers["search"] == {"type": "http", "url": "https://search.example/mcp",
                                 "headers": {"X-Team": "support"}}
    agents_md = (ws / "AGENTS.md").read_text()
    assert "<!-- agentops:begin -->" in agents_md and "`triage`: The triage agent (`agents/support-kit/triage.md`)" \
        in agents_md
    deployed = json.loads((ws / "agentops.lock").read_text())["deployed"]
    for path, digest in deployed["claude"].items():
        if path != ".mcp.json":
            assert sha((ws / path).read_bytes()) == digest, path
    assert set(deployed["claude"]) >= {".claude/agents/triage.md", ".claude/skills/summarize/assets/logo.png",
                                       ".mcp.json"}
    assert list(deployed["agents-md"]) == ["AGENTS.md"]


def test_no_op_restore_and_frozen_restore_from_the_lock(agentops, ws):
    agentops("package", "install", "support-kit", "--target", "claude", cwd=ws)
    before = tree(ws, ".claude")
    lock = (ws / "agentops.lock").read_bytes()
    assert agentops("package", "install", cwd=ws).out.startswith("Up to date")
    for path in (ws / ".claude").rglob("*"):
        if path.is_file():
            path.unlink()
    (ws / ".mcp.json").unlink()
    agentops("package", "install", "--frozen", "--offline", cwd=ws)
    assert tree(ws, ".claude") == before
    assert (ws / "agentops.lock").read_bytes() == lock
    assert "tickets" in json.loads((ws / ".mcp.json").read_text())["mcpServers"]


def test_uninstall_removes_every_deployed_file_and_section_but_nothing_of_the_users(agentops, ws):
    write(ws / "AGENTS.md", "# My project\n\nRun `make test` before committing.\n")
    write(ws / ".claude/agents/mine.md", "---\nname: mine\ndescription: my own\n---\nMine.\n")
    write(ws / ".mcp.json", json.dumps({"mcpServers": {"mine": {"command": "my-server"}}}, indent=2) + "\n")
    agentops("package", "install", "support-kit", "--target", "claude", "--target", "agents-md", cwd=ws)
    assert "agentops:begin" in (ws / "AGENTS.md").read_text()
    assert set(json.loads((ws / ".mcp.json").read_text())["mcpServers"]) == {"mine", "tickets", "search"}
    agentops("package", "uninstall", "support-kit", cwd=ws)
    assert (ws / "AGENTS.md").read_text() == "# My project\n\nRun `make test` before committing.\n"
    assert json.loads((ws / ".mcp.json").read_text()) == {"mcpServers": {"mine": {"command": "my-server"}}}
    assert sorted(p.relative_to(ws).as_posix() for p in (ws / ".claude").rglob("*") if p.is_file()) == [
        ".claude/agents/mine.md"]
    assert "deployed" not in json.loads((ws / "agentops.lock").read_text())


def test_a_users_own_file_at_a_target_path_is_never_touched_even_with_force(agentops, ws):
    write(ws / ".claude/agents/triage.md", "my own triage agent\n")
    for extra in ((), ("--force",)):
        run = agentops("package", "install", "support-kit", "--target", "claude", *extra, cwd=ws, expect=1)
        assert ".claude/agents/triage.md is your own file" in run.err
        assert "prefix: package" in run.err
        assert (ws / ".claude/agents/triage.md").read_text() == "my own triage agent\n"
        assert not (ws / "agentops.lock").exists() and not (ws / "agents").exists()


def test_an_edited_deployed_file_is_kept_or_stops_the_command_and_force_backs_it_up(agentops, ws):
    agentops("package", "install", "support-kit", "--target", "claude", cwd=ws)
    edited = ws / ".claude/agents/triage.md"
    edited.write_text(edited.read_text() + "My addition.\n")
    run = agentops("target", "add", "cursor", cwd=ws)  # the claude output does not change: the edit stays
    assert "kept your edited .claude/agents/triage.md" in run.out
    assert edited.read_text().endswith("My addition.\n")
    run = agentops("target", "remove", "claude", cwd=ws, expect=1)
    assert ".claude/agents/triage.md was edited after it was deployed and would be removed" in run.err
    assert edited.is_file() and (ws / ".claude/agents/escalate.md").is_file()
    run = agentops("target", "remove", "claude", "--force", cwd=ws)
    assert not edited.exists() and not (ws / ".claude/agents/escalate.md").exists()
    saved = next((ws / ".agentops/backup").rglob("triage.md"))
    assert saved.read_text().endswith("My addition.\n")
    assert yaml.safe_load((ws / "agentops.yaml").read_text())["targets"] == ["cursor"]
    assert (ws / ".cursor/agents/triage.md").is_file()


def test_name_clashes_between_packages_name_both_and_prefix_package_resolves_them(agentops, tmp_path):
    for name in ("alpha", "beta"):
        agentops.publish_folder(write_package(tmp_path / "src", name, "1.0.0"))
    ws = tmp_path / "ws"
    ws.mkdir()
    run = agentops("package", "install", "alpha", "beta", "--target", "claude", cwd=ws, expect=1)
    assert ".claude/agents/agent-0.md is written by both alpha (agent 'agent-0') and beta (agent 'agent-0')" \
        in run.err
    assert "prefix: package" in run.err
    assert not (ws / "agentops.yaml").exists()
    agentops("package", "install", "alpha", "beta", cwd=ws)
    agentops("target", "add", "claude", "--prefix", "package", cwd=ws)
    assert sorted(p.name for p in (ws / ".claude/agents").iterdir()) == ["alpha-agent-0.md", "beta-agent-0.md"]
    assert "name: alpha-agent-0" in (ws / ".claude/agents/alpha-agent-0.md").read_text()
    assert yaml.safe_load((ws / "agentops.yaml").read_text())["targets"] == [{"claude": {"prefix": "package"}}]


def test_disabled_and_custom_components_are_honoured_in_the_tools_folders(agentops, ws):
    agentops("package", "install", "support-kit", "--target", "claude", cwd=ws)
    write(ws / "local/agents/refund-desk.md", "---\nname: refund-desk\ndescription: Ours\n---\nOur own.\n")
    write(ws / "local/skills/vip/SKILL.md", "---\nname: vip\ndescription: VIP customers\n---\nBe kind.\n")
    write(ws / "local/skills/vip/references/tone.md", "# Tone\n")
    write(ws / "packages/support-kit.local.yaml",
          "agents:\n  disabled: [agents/escalate.md]\n  custom_agents: [local/agents/refund-desk.md]\n"
          "skills:\n  disabled: [skills/refunds]\n  custom_skills: [local/skills/vip]\n")
    agentops("config", "apply", cwd=ws)
    assert skill_files(ws / ".claude/skills/vip") == skill_files(ws / "local/skills/vip")
    assert not (ws / ".claude/agents/escalate.md").exists()
    assert not (ws / ".claude/skills/refunds").exists()
    assert (ws / ".claude/agents/refund-desk.md").read_text() == "---\nname: refund-desk\ndescription: Ours\n---\n" \
        "Our own.\n"
    assert (ws / ".claude/agents/triage.md").is_file()


def test_update_rewrites_deployed_files(agentops, tmp_path):
    agentops.publish_folder(write_package(tmp_path / "v1", "solo", "1.0.0", body="Version one."))
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "solo@^1", "--target", "claude", cwd=ws)
    assert "Version one." in (ws / ".claude/agents/agent-0.md").read_text()
    agentops.publish_folder(write_package(tmp_path / "v2", "solo", "1.1.0", body="Version two."))
    agentops("package", "update", cwd=ws)
    assert "Version two." in (ws / ".claude/agents/agent-0.md").read_text()


def test_first_install_picks_the_tools_it_finds_and_says_so(agentops, ws, tmp_path):
    (ws / ".cursor").mkdir()
    write(ws / "AGENTS.md", "# Notes\n")
    run = agentops("package", "install", "support-kit", cwd=ws)
    assert "Deploying into cursor (found .cursor), agents-md (found AGENTS.md)" in run.err
    assert yaml.safe_load((ws / "agentops.yaml").read_text())["targets"] == ["cursor", "agents-md"]
    assert (ws / ".cursor/rules/style.mdc").is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    run = agentops("package", "install", "support-kit", cwd=empty)
    assert "No agent tool folder found" in run.err and "agentops target add claude" in run.err
    assert "targets" not in yaml.safe_load((empty / "agentops.yaml").read_text())
    assert not (empty / "AGENTS.md").exists()


def test_target_list_and_unknown_targets(agentops, ws):
    agentops("package", "install", "support-kit", "--target", "copilot", cwd=ws)
    rows = {row["name"]: row for row in json.loads(agentops("target", "list", "--json", cwd=ws).out)["targets"]}
    assert rows["copilot"]["enabled"] and rows["copilot"]["files"] > 0
    assert not rows["claude"]["enabled"]
    assert (ws / ".github/agents/triage.agent.md").is_file()
    assert "servers" in json.loads((ws / ".vscode/mcp.json").read_text())
    run = agentops("target", "add", "claud", cwd=ws, expect=2)
    assert "unknown target 'claud' (did you mean 'claude'?)" in run.err
    run = agentops("target", "remove", "cursor", cwd=ws, expect=2)
    assert "cursor is not a target of this workspace" in run.err


def test_a_lock_claiming_a_users_file_as_deployed_does_not_make_it_agentops(agentops, ws):
    agentops("package", "install", "support-kit", "--target", "claude", cwd=ws)
    write(ws / ".claude/agents/mine.md", "mine\n")
    lock = json.loads((ws / "agentops.lock").read_text())
    lock["deployed"]["claude"][".claude/agents/mine.md"] = sha(b"mine\n")
    (ws / "agentops.lock").write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n")
    agentops("target", "remove", "claude", cwd=ws)
    assert (ws / ".claude/agents/mine.md").read_text() == "mine\n"


def test_a_symlinked_tool_folder_is_refused(agentops, ws, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (ws / ".claude").symlink_to(outside, target_is_directory=True)
    run = agentops("package", "install", "support-kit", "--target", "claude", cwd=ws, expect=1)
    assert "link" in run.err.lower()
    assert list(outside.iterdir()) == []


def test_a_tier_that_disables_a_component_takes_it_out_of_the_tools_too(agentops, tmp_path):
    agentops.publish_examples()
    ws = tmp_path / "sales"
    ws.mkdir()
    agentops("package", "install", "customer-service@^1.2.0", "--target", "agents-md", "--target", "claude",
             cwd=ws)
    assert "`proactive-outreach`" in (ws / "AGENTS.md").read_text()
    agentops("config", "apply", "--tier", "edge", cwd=ws)
    assert "`proactive-outreach`" not in (ws / "AGENTS.md").read_text()
    assert "`process-refund`" in (ws / "AGENTS.md").read_text()
    agentops("config", "apply", "--tier", "connected", cwd=ws)
    assert "`proactive-outreach`" in (ws / "AGENTS.md").read_text()
    assert sorted(p.name for p in (ws / ".claude/agents").iterdir()) == sorted(
        p.name for p in (ws / "agents").rglob("*.md"))


def test_an_mcp_document_agentops_has_nothing_to_write_into_is_never_parsed_or_changed(agentops, tmp_path):
    agentops.publish_folder(write_package(tmp_path / "src", "plain", "1.0.0"))
    ws = tmp_path / "ws"
    jsonc = '{\n  // my servers\n  "servers": {"mine": {"type": "stdio", "command": "x"}},\n}\n'
    write(ws / ".vscode/mcp.json", jsonc)
    agentops("package", "install", "plain", "--target", "copilot", cwd=ws)
    assert (ws / ".vscode/mcp.json").read_text() == jsonc
    assert (ws / ".github/agents/agent-0.agent.md").is_file()


def test_two_packages_offering_one_mcp_server_name_are_refused_naming_both(agentops, tmp_path):
    from test_component_kinds import MANIFEST

    agentops.publish_folder(kit(tmp_path / "a"))
    agentops.publish_folder(kit(tmp_path / "b", MANIFEST.replace("name: support-kit", "name: other-kit")))
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "support-kit", "other-kit", cwd=ws)
    run = agentops("target", "add", "claude", "--prefix", "package", cwd=ws, expect=1)
    assert "MCP server 'tickets'" in run.err and "other-kit" in run.err and "support-kit" in run.err
    assert not (ws / ".mcp.json").exists() and not (ws / ".claude").exists()
    assert "targets" not in yaml.safe_load((ws / "agentops.yaml").read_text())

"""The first install adds .agentops/ (tool state) to the workspace's .gitignore, appending to the
user's file and never clobbering it."""

from __future__ import annotations

import json


def test_first_install_writes_the_entry(agentops, tmp_path):
    agentops.publish_examples("core-workflow")
    ws = tmp_path / "ws"
    ws.mkdir()
    run = agentops("package", "install", "core-workflow", cwd=ws)
    assert ".gitignore" in run.out
    assert ".agentops/" in (ws / ".gitignore").read_text().splitlines()
    # A user who removes it again is not overruled by later commands.
    (ws / ".gitignore").unlink()
    agentops("package", "uninstall", "core-workflow", cwd=ws)
    assert not (ws / ".gitignore").exists()


def test_the_entry_is_appended_to_a_users_gitignore_only_when_missing(agentops, tmp_path):
    agentops.publish_examples("core-workflow")
    mine, covered = tmp_path / "mine", tmp_path / "covered"
    for ws, text in ((mine, "# mine\n*.log"), (covered, "/.agentops\n*.log\n")):
        ws.mkdir()
        (ws / ".gitignore").write_text(text)
    result = json.loads(agentops("package", "install", "core-workflow", "--json", cwd=mine).out)
    assert result["gitignore_added"] is True
    assert (mine / ".gitignore").read_text().startswith("# mine\n*.log\n")
    assert (mine / ".gitignore").read_text().endswith("\n.agentops/\n")
    result = json.loads(agentops("package", "install", "core-workflow", "--json", cwd=covered).out)
    assert result["gitignore_added"] is False
    assert (covered / ".gitignore").read_text() == "/.agentops\n*.log\n"


def test_a_failed_first_install_writes_no_gitignore(agentops, tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "no-such-package", cwd=ws, expect=1)
    assert not (ws / ".gitignore").exists()

"""Gemini CLI (npm ``@google/gemini-cli``) loads what the gemini target writes, by its own account.

Gemini CLI lists skills and MCP servers from the command line but shows custom commands and
subagents only in its interactive UI. So, offline, in a sandbox home that trusts the project:

- ``gemini skills list``: the skills found; starting up also loads the project's subagents and says
  "Agent loading error" for a file it rejects;
- ``gemini mcp list``: every MCP server, connected (a local fake server) or disconnected;
- ``gemini_loaders.mjs`` (this folder): the installed package's own ``loadAgentsFromDirectory`` and
  ``FileCommandLoader``, imported from its bundle, list the subagents and commands with their load
  errors; each command is then run as ``/name ARGS`` the way the UI runs it, and the prompt it would
  send must be the Markdown command's body (with ``$ARGUMENTS`` filled in), with no shell or file
  injection attempted.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from oracle_clients import HERE, Sandbox, dump, mcp_servers, plain, stdio_servers
from oracle_sample import expected_names, install

from agentpack.core.targets.markdown import MarkdownFile, slug
from corpus_components import load

ARGS = "src/app.py --strict"
SETTINGS = {"general": {"enableAutoUpdate": False, "enableAutoUpdateNotification": False},
            "privacy": {"usageStatisticsEnabled": False}}


class Gemini:
    def __init__(self, binary: str, sandbox: Sandbox) -> None:
        self.binary, self.sandbox = binary, sandbox
        self.env = sandbox.env(GEMINI_CLI_NO_RELAUNCH="1")
        folder = sandbox.home / ".gemini"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "settings.json").write_text(json.dumps(SETTINGS))
        (folder / "trustedFolders.json").write_text(json.dumps({str(sandbox.project): "TRUST_FOLDER"}))

    def __call__(self, *args: str):
        run = self.sandbox.run([self.binary, *args], env=self.env)
        assert run.returncode == 0, f"gemini {' '.join(args)} -> {run.returncode}\n{run.stdout[-3000:]}\n{run.stderr}"
        return plain(run.stdout), plain(run.stderr)

    def loaders(self) -> dict:
        bundle = Path(os.path.realpath(self.binary)).parent
        node = shutil.which("node", path=self.env["PATH"])
        assert node, "node is not on PATH"
        run = self.sandbox.run([node, str(HERE / "gemini_loaders.mjs"), str(bundle), str(self.sandbox.project), ARGS],
                               env=self.env)
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    binary, sandbox, sample, files = install("gemini", tmp_path_factory.mktemp("gemini"))
    gemini = Gemini(binary, sandbox)
    return gemini, sample, gemini.loaders()


def test_every_subagent_loads_with_its_name_and_description(installed):
    _, sample, loaded = installed
    assert loaded["agentErrors"] == [], dump(loaded["agentErrors"])
    names = {agent["name"] for agent in loaded["agents"]}
    assert names == {slug(n) for n in expected_names("gemini", sample, "agents")}, dump(sorted(names))
    assert all(agent["description"].strip() and agent["kind"] == "local" for agent in loaded["agents"])


def test_every_command_loads_and_sends_its_markdown_body(installed):
    _, sample, loaded = installed
    assert loaded["feedback"] == [], dump(loaded["feedback"])
    commands = {c["name"]: c for c in loaded["commands"] if c["kind"] == "workspace-file"}
    assert set(commands) == expected_names("gemini", sample, "commands"), dump(sorted(commands))
    bodies = {f"{c.package}-{c.name}": _escaped(MarkdownFile(c.content, load).body.lstrip("\r\n"))
              for c in sample if c.kind == "commands"}
    for name, command in commands.items():
        assert command["uiErrors"] == [], (name, command["uiErrors"])
        assert command["result"]["type"] == "submit_prompt", (name, command["result"])
        body = bodies[name]
        if "$ARGUMENTS" in body:
            assert command["result"]["text"] == body.replace("$ARGUMENTS", ARGS), name
        else:  # Gemini appends the invocation to a prompt without {{args}}
            assert command["result"]["text"] == f"{body}\n\n/{name} {ARGS}", name


def test_skills_list_shows_every_skill_and_no_agent_error(installed):
    gemini, sample, _ = installed
    out, err = gemini("skills", "list")
    assert "Agent loading error" not in err + out and "untrusted" not in err + out, err
    project = str(gemini.sandbox.project)
    listed = re.findall(r"^(\S+) \[(\w+)\]\n\s+Description: .+\n\s+Location:\s+(\S+)$", out, re.M)
    ours = {name: (state, location) for name, state, location in listed if location.startswith(project)}
    assert set(ours) == expected_names("gemini", sample, "skills"), out[-3000:]
    for name, (state, location) in ours.items():
        assert state == "Enabled" and location == f"{project}/.gemini/skills/{name}/SKILL.md", (name, state, location)


def test_mcp_servers_are_listed_and_the_local_ones_connect(installed):
    gemini, _, _ = installed
    servers = mcp_servers()
    out = "\n".join(gemini("mcp", "list"))
    for name, spec in servers.items():
        transport, state = ("stdio", "Connected") if name in stdio_servers(servers) else ("http", "Disconnected")
        target = " ".join([spec["command"], *spec["args"]]) if "command" in spec else spec["url"]
        assert f"{name}: {target} ({transport}) - {state}" in out, out


def _escaped(body: str) -> str:
    """A body as the gemini target writes it: ``@{``/``!{`` (file, shell injection) escaped."""
    return body.replace("@{", "@\\{").replace("!{", "!\\{")

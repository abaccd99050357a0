"""OpenCode (npm ``opencode-ai``) loads what the opencode target writes, by its own account.

Offline commands used, in a sandbox home with network, plugins, model fetches and the Claude Code /
``.agents`` fallbacks turned off (so only the project's ``.opencode`` folder and ``opencode.json``
count):

- ``opencode debug config``: the resolved configuration, with every agent and command file parsed
  and validated (an invalid file makes it exit 1 with "Configuration is invalid at <file>");
- ``opencode agent list``: every agent with its mode;
- ``opencode debug skill``: every skill found, with its location;
- ``opencode mcp list``: every MCP server, connected (a local fake server) or failed.
"""

from __future__ import annotations

import json
import re

import pytest
from oracle_clients import Sandbox, dump, mcp_servers, plain, stdio_servers
from oracle_sample import expected_names, install

from agentpack.core.targets.markdown import MarkdownFile
from corpus_components import load

QUIET = {
    "OPENCODE_DISABLE_AUTOUPDATE": "1", "OPENCODE_DISABLE_MODELS_FETCH": "1", "OPENCODE_DISABLE_DEFAULT_PLUGINS": "1",
    "OPENCODE_DISABLE_LSP_DOWNLOAD": "1", "OPENCODE_DISABLE_CLAUDE_CODE": "1", "OPENCODE_DISABLE_EXTERNAL_SKILLS": "1",
    "OPENCODE_DISABLE_SHARE": "1", "OPENCODE_PURE": "1",
}


class OpenCode:
    def __init__(self, binary: str, sandbox: Sandbox) -> None:
        self.binary, self.sandbox = binary, sandbox
        self.env = sandbox.env(**QUIET, OPENCODE_TEST_MANAGED_CONFIG_DIR=str(sandbox.root / "managed"))

    def __call__(self, *args: str) -> str:
        run = self.sandbox.run([self.binary, *args], env=self.env)
        assert run.returncode == 0, f"opencode {' '.join(args)} -> {run.returncode}\n{run.stdout[-3000:]}\n{run.stderr}"
        assert "Error" not in run.stderr, run.stderr
        return plain(run.stdout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    binary, sandbox, sample, files = install("opencode", tmp_path_factory.mktemp("opencode"))
    return OpenCode(binary, sandbox), sample, files


def test_every_agent_and_command_loads_with_its_description(installed):
    opencode, sample, files = installed
    config = json.loads(opencode("debug", "config"))
    assert set(config.get("agent", {})) == expected_names("opencode", sample, "agents"), dump(sorted(config["agent"]))
    assert set(config.get("command", {})) == expected_names("opencode", sample, "commands"), dump(sorted(config["command"]))
    for name, agent in config["agent"].items():
        written = MarkdownFile(files[f".opencode/agents/{name}.md"], load)
        assert agent["name"] == name and agent["mode"] == "subagent", dump(agent)
        assert agent["description"] == written.fields["description"].strip(), name
        assert agent["prompt"].strip() == written.body.strip(), name
    for name, command in config["command"].items():
        written = MarkdownFile(files[f".opencode/commands/{name}.md"], load)
        assert command["template"].strip() == written.body.strip(), name


def test_agent_list_shows_each_agent_as_a_subagent(installed):
    opencode, sample, _ = installed
    listed = dict(re.findall(r"^(\S+) \((\w+)\)$", opencode("agent", "list"), re.M))
    ours = {name: mode for name, mode in listed.items() if name in expected_names("opencode", sample, "agents")}
    assert ours == dict.fromkeys(expected_names("opencode", sample, "agents"), "subagent"), dump(listed)


def test_every_skill_is_found_in_the_project(installed):
    opencode, sample, _ = installed
    skills = json.loads(opencode("debug", "skill"))
    project = str(opencode.sandbox.project)
    ours = {s["name"]: s for s in skills if s["location"].startswith(project)}
    assert set(ours) == expected_names("opencode", sample, "skills"), dump(sorted(ours))
    for name, skill in ours.items():
        assert skill["location"] == f"{project}/.opencode/skills/{name}/SKILL.md"
        assert skill["description"].strip(), name


def test_mcp_servers_are_read_and_the_local_ones_connect(installed):
    opencode, _, _ = installed
    servers = mcp_servers()
    docs, lint, remote = servers["docs-search"], servers["lint_tools"], servers["remote-api"]
    config = json.loads(opencode("debug", "config"))
    # `debug config` shows environment and header values as "***"
    assert config["mcp"] == {
        "docs-search": {"type": "local", "command": [docs["command"], *docs["args"]],
                        "environment": {"ORACLE_TOKEN": "***"}},
        "lint_tools": {"type": "local", "command": [lint["command"], *lint["args"]]},
        "remote-api": {"type": "remote", "url": remote["url"], "headers": {"Authorization": "***"}},
    }, dump(config["mcp"])
    listing = opencode("mcp", "list")
    for name in servers:
        state = "connected" if name in stdio_servers(servers) else "failed"
        assert re.search(rf"{re.escape(name)}\s+{state}", listing), listing

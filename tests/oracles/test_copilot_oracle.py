"""GitHub Copilot CLI (npm ``@github/copilot``) loads what the copilot target writes, by its own account.

Offline (``COPILOT_OFFLINE=true``: no login, telemetry or update), in a sandbox home:

- ``copilot skill list --json``: the skills found, with their source (``project``);
- ``copilot instruction list --json``: the instruction files found, with their ``applyTo``;
- ``copilot -p hello`` against a fake model on 127.0.0.1 (a local "BYOK" provider,
  ``COPILOT_PROVIDER_BASE_URL``; fake_model_server.py): the request Copilot sends lists the custom
  agents (the ``task`` tool's "User-provided custom agents") and the skills, and carries the
  instructions (in full, or as a pattern and path for scoped ones). An agent file Copilot rejects is
  left out and logged as an ERROR in the log folder, which must have none for our files;
- ``copilot mcp list --json``: the MCP servers, as Copilot CLI reads them.

Copilot CLI reads no prompt files and no ``.vscode/mcp.json`` (VS Code does): for prompt files the
test checks VS Code's documented rules instead (a ``<name>.prompt.md`` in ``.github/prompts``,
optional frontmatter that is a YAML mapping, ``description`` a string); for MCP it checks that
Copilot CLI reads the claude target's ``.mcp.json``, as the copilot target's docstring says.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
from fake_model_server import FakeModelServer
from oracle_clients import Sandbox, dump, mcp_servers
from oracle_sample import components, expected_names, install, planned

from agentpack.core.targets.markdown import MarkdownFile, rule_scope
from corpus_components import load


class Copilot:
    def __init__(self, binary: str, sandbox: Sandbox) -> None:
        self.binary, self.sandbox = binary, sandbox
        self.logs = sandbox.root / "logs"
        self.env = sandbox.env(COPILOT_HOME=str(sandbox.home / ".copilot"), COPILOT_OFFLINE="true",
                               COPILOT_AUTO_UPDATE="false")

    def __call__(self, *args: str, **env: str) -> str:
        # not in a network namespace of its own: the fake model listens on the loopback interface
        run = self.sandbox.run([self.binary, *args], env={**self.env, **env}, offline=False)
        assert run.returncode == 0, f"copilot {' '.join(args)} -> {run.returncode}\n{run.stdout[-3000:]}\n{run.stderr}"
        return run.stdout

    def model_request(self) -> dict:
        """The first request Copilot sends to the model for the prompt "hello"."""
        with FakeModelServer() as model:
            self("-p", "hello", "--allow-all-tools", "--trust-folder", "--disable-client-telemetry", "--no-auto-update",
                 "--log-dir", str(self.logs), "--log-level", "warning", "-s",
                 COPILOT_PROVIDER_BASE_URL=model.url, COPILOT_MODEL="fake-model", COPILOT_PROVIDER_API_KEY="none")
        assert model.requests, "Copilot sent no request to the model"
        return model.requests[0]["body"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    binary, sandbox, sample, files = install("copilot", tmp_path_factory.mktemp("copilot"))
    copilot = Copilot(binary, sandbox)
    yield copilot, sample, files, copilot.model_request()
    shutil.rmtree(sandbox.home / ".cache", ignore_errors=True)  # Copilot unpacks its 200+ MB package there


def _system_text(request: dict) -> str:
    return "\n".join(m["content"] if isinstance(m["content"], str) else json.dumps(m["content"])
                     for m in request["messages"])


def test_every_custom_agent_is_offered_with_its_description(installed):
    copilot, sample, files, request = installed
    [task] = [t["function"] for t in request["tools"] if t["function"]["name"] == "task"]
    listed = dict(re.findall(r"^- \*\*(.+?)\*\*: (.*)$", task["description"].split("User-provided custom agents:")[-1],
                             re.M))
    assert set(listed) == expected_names("copilot", sample, "agents"), dump(sorted(listed))
    for name, description in listed.items():
        written = MarkdownFile(files[f".github/agents/{name}.agent.md"], load).fields["description"]
        assert " ".join(written.split()).startswith(description[:60].strip()), (name, description)
    errors = [line for log in copilot.logs.glob("*.log") for line in log.read_text().splitlines()
              if "[ERROR]" in line and ".github/" in line]
    assert errors == [], dump(errors)


def test_every_skill_is_found_in_the_project(installed):
    copilot, sample, _, request = installed
    skills = json.loads(copilot("skill", "list", "--json"))
    ours = {s["name"]: s for s in skills if s["source"] == "project"}
    assert set(ours) == expected_names("copilot", sample, "skills"), dump(sorted(ours))
    project = copilot.sandbox.project
    assert all(s["path"] == f"{project}/.github/skills/{name}" and s["enabled"] for name, s in ours.items())
    offered = set(re.findall(r"<name>(.+?)</name>\s*<description>.*?</description>\s*<location>project</location>",
                             _system_text(request), re.S))
    assert offered == set(ours), dump(sorted(offered))


def test_every_instruction_file_applies_where_it_says(installed):
    copilot, sample, files, request = installed
    listed = {entry["label"]: entry for entry in json.loads(copilot("instruction", "list", "--json"))
              if entry["type"] == "vscode"}
    assert set(listed) == {f"{name}.instructions.md" for name in expected_names("copilot", sample, "rules")}, \
        dump(sorted(listed))
    system = _system_text(request)
    for label, entry in listed.items():
        written = MarkdownFile(files[f".github/instructions/{label}"], load)
        globs, always = rule_scope(written.fields)
        assert entry.get("applyTo") == (None if always or not globs else globs), (label, entry)
        if entry.get("applyTo"):  # listed with its pattern and path, to be read when a file matches
            assert f"'.github/instructions/{label}'" in system, label
        else:  # always applies: sent in full
            assert written.body.strip()[:300] in system, label


def test_prompt_files_follow_vs_codes_rules():
    # Copilot CLI reads no prompt files (no client needed); VS Code's documented rules:
    # .github/prompts/<name>.prompt.md, optional frontmatter (a YAML mapping), every field
    # optional, description a string.
    sample = components()
    files = [f for f in planned("copilot", sample) if f.path.startswith(".github/prompts/")]
    assert all(f.path.endswith(".prompt.md") for f in files)
    prompts = {f.path.removeprefix(".github/prompts/").removesuffix(".prompt.md"): f.content for f in files}
    assert set(prompts) == expected_names("copilot", sample, "commands")
    for name, content in prompts.items():
        document = MarkdownFile(content, load)
        assert document.strict, name
        assert isinstance(document.fields.get("description", ""), str), name


def test_mcp_servers_reach_copilot_cli_through_mcp_json_only(installed):
    copilot, _, _, _ = installed
    servers = mcp_servers()
    trusted = {"COPILOT_ALLOW_ALL": "true"}  # trusts the folder, so its MCP configuration is read
    assert json.loads(copilot("mcp", "list", "--json", **trusted))["mcpServers"] == {}  # .vscode/mcp.json: VS Code's
    copilot.sandbox.write_mcp("claude", servers)
    try:
        listed = json.loads(copilot("mcp", "list", "--json", **trusted))["mcpServers"]
    finally:
        (copilot.sandbox.project / ".mcp.json").unlink()
    assert set(listed) == set(servers), dump(listed)
    for name, spec in servers.items():
        assert listed[name]["sourcePath"] == f"{copilot.sandbox.project}/.mcp.json" and listed[name]["enabled"]
        if "command" in spec:
            assert (listed[name]["command"], listed[name]["args"], listed[name].get("env")) == (
                spec["command"], spec["args"], spec.get("env")), dump(listed[name])
        else:
            assert (listed[name]["type"], listed[name]["url"], listed[name]["headers"]) == (
                "http", spec["url"], spec["headers"]), dump(listed[name])

"""OpenAI Codex (npm ``@openai/codex``) loads what the codex target writes, by its own account.

Offline commands used, in a sandbox ``CODEX_HOME`` that trusts the project (Codex reads a project's
``.codex/`` only in a trusted project):

- ``codex debug prompt-input``: the input the model would get, rendered as JSON, with no model call.
  It lists the custom agents as roles of the ``spawn_agent`` tool (name and description), the
  skills with the folder each comes from, the MCP servers that started (``mcp__<name>`` tool
  namespaces) and the ``AGENTS.md`` instructions. A custom agent TOML or a ``SKILL.md`` that Codex
  rejects is left out silently, so the names must match exactly. Built-in roles are told apart by a
  second run in an empty project.
- ``codex mcp list --json``: the MCP servers of ``.codex/config.toml`` as Codex parsed them.

Rules have no Codex folder: they reach Codex through the generated ``AGENTS.md`` section.
"""

from __future__ import annotations

import json
import re
import tomllib
from concurrent.futures import ThreadPoolExecutor

import pytest
from oracle_clients import Sandbox, dump, mcp_servers, stdio_servers
from oracle_sample import expected_names, install

from agentpack.core.targets import TARGETS
from agentpack.core.targets.agents_md import Entry, describe, render_agents_md
from corpus_components import load

BASELINE = "oracle-baseline-agent"


class Codex:
    def __init__(self, binary: str, sandbox: Sandbox) -> None:
        self.binary, self.sandbox = binary, sandbox
        codex_home = sandbox.home / ".codex"
        codex_home.mkdir(parents=True, exist_ok=True)
        (codex_home / "config.toml").write_text(f'[projects."{sandbox.project}"]\ntrust_level = "trusted"\n')
        self.env = sandbox.env(CODEX_HOME=str(codex_home))

    def __call__(self, *args: str) -> str:
        run = self.sandbox.run([self.binary, *args], env=self.env)
        assert run.returncode == 0, f"codex {' '.join(args)} -> {run.returncode}\n{run.stdout[-3000:]}\n{run.stderr}"
        return run.stdout


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


class PromptInput:
    """What `codex debug prompt-input` shows: roles, skills per root folder, MCP namespaces, AGENTS.md."""

    def __init__(self, text: str) -> None:
        self.strings = list(_strings(json.loads(text)))
        roles = next((s for s in self.strings if "Available roles:\n" in s), "")
        self.roles = dict(re.findall(r"^(\S+): \{\n(.*?)\n\}$", roles.split("Available roles:\n", 1)[-1], re.M | re.S))
        skills = next((s for s in self.strings if "### Skill roots" in s), "")
        self.roots = dict(re.findall(r"^- `(r\d+)` = `([^`]+)`$", skills, re.M))
        self.skills = re.findall(r"^- (\S+): .*\(file: (r\d+)/([^)]+)\)$", skills, re.M)
        self.mcp = set(re.findall(r"^- mcp__(\S+)$", "\n".join(self.strings), re.M))

    def agents_md(self, project) -> str:
        return next((s for s in self.strings if s.startswith(f"# AGENTS.md instructions for {project}")), "")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    binary, sandbox, sample, files = install("codex", tmp_path_factory.mktemp("codex"))
    entries = [Entry(c.package, c.kind, c.name, describe(c, load), f"rules/{c.package}/{c.source}")
               for c in sample if c.kind not in TARGETS["codex"].kinds]
    section = render_agents_md(None, entries)
    (sandbox.project / "AGENTS.md").write_text(section)
    # The built-in roles: those of a project with one custom agent of its own (with none, Codex
    # leaves the roles out of the prompt).
    other = Sandbox(tmp_path_factory.mktemp("codex-baseline"))
    (other.project / ".codex" / "agents").mkdir(parents=True)
    (other.project / ".codex" / "agents" / f"{BASELINE}.toml").write_text(
        f'name = "{BASELINE}"\ndescription = "d"\ndeveloper_instructions = "i"\n')
    codex, baseline = Codex(binary, sandbox), Codex(binary, other)
    with ThreadPoolExecutor(2) as pool:
        shown, base = pool.map(lambda c: PromptInput(c("debug", "prompt-input")), (codex, baseline))
    assert BASELINE in base.roles, dump(base.roles)
    return codex, sample, files, shown, set(base.roles) - {BASELINE}, section


def test_every_custom_agent_is_a_role_with_its_description(installed):
    _, sample, files, shown, builtin, _ = installed
    ours = {name: description for name, description in shown.roles.items() if name not in builtin}
    assert set(ours) == expected_names("codex", sample, "agents"), dump(sorted(shown.roles))
    for name, description in ours.items():
        assert description == tomllib.loads(files[f".codex/agents/{name}.toml"].decode())["description"], name


def test_every_skill_is_found_in_the_projects_skill_folder(installed):
    codex, sample, _, shown, _, _ = installed
    root = next((key for key, path in shown.roots.items() if path == f"{codex.sandbox.project}/.agents/skills"), None)
    assert root, dump(shown.roots)
    ours = {name: path for name, key, path in shown.skills if key == root}
    assert set(ours) == expected_names("codex", sample, "skills"), dump(sorted(ours))
    assert all(path == f"{name}/SKILL.md" for name, path in ours.items()), dump(ours)


def test_mcp_servers_parse_and_the_local_ones_start(installed):
    codex, _, _, shown, _, _ = installed
    servers = mcp_servers()
    listed = {server["name"]: server for server in json.loads(codex("mcp", "list", "--json"))}
    assert set(listed) == set(servers), dump(listed)
    for name, spec in servers.items():
        transport = listed[name]["transport"]
        assert listed[name]["enabled"] is True, dump(listed[name])
        if "command" in spec:
            assert (transport["type"], transport["command"], transport["args"], transport["env"]) == (
                "stdio", spec["command"], spec["args"], spec.get("env")), dump(transport)
        else:
            assert (transport["type"], transport["url"], transport["http_headers"]) == (
                "streamable_http", spec["url"], spec["headers"]), dump(transport)
    # the servers that started (Codex names their tool namespaces with "_" for "-")
    assert shown.mcp == {name.replace("-", "_") for name in stdio_servers(servers)}, dump(sorted(shown.mcp))


def test_agents_md_section_reaches_the_instructions(installed):
    codex, _, _, shown, _, section = installed
    instructions = shown.agents_md(codex.sandbox.project)
    assert section.strip() in instructions, instructions[:3000]

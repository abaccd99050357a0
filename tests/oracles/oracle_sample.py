"""The components every client oracle installs: a handful of real files from the shared corpus.

Chosen for their quirks (QUIRKS.md of the corpus): wshobson agents whose ``name`` is not their file
name, VoltAgent agents with Claude ``tools``/``model`` values, a dot in the name and a description
strict YAML rejects (an unquoted ``: ``), a command without frontmatter and one whose code samples
hold ``pkg@{version}`` (Gemini's file-injection syntax), a skill whose ``name`` is not its folder,
skills with references and assets, awesome-copilot agents with spaces and ``#`` in their names or no
``description``, instructions with and without ``applyTo``, prompt files with a BOM, CRLF line
endings or a whole-file code fence, and Cursor rules with ``globs: **/*`` (not strict YAML).

Every oracle installs them under ``prefix: package``: two wshobson plugins ship files of one name,
and with the prefix every tool must show exactly ``<package>-<name>``, the name agentops chose.
"""

from __future__ import annotations

from pathlib import Path

from oracle_clients import Sandbox, mcp_servers, require_client

from agentpack.core.targets import TARGETS, Component, TargetFile, output_name
from agentpack.core.targets.clashes import plan_files
from conftest import require_corpus
from corpus_components import file_components, load, skill_component

PREFIX = "package"
WSHOBSON_PLUGINS = ("security-scanning", "framework-migration", "database-design", "python-development")
VOLTAGENT_AGENTS = ("08-business-product/backlog-grooming", "02-language-specialists/powershell-5.1-expert")
COPILOT_AGENTS = ("declarative-agents-architect", "CSharpExpert", "Thinking-Beast-Mode")
COPILOT_INSTRUCTIONS = ("a11y", "shell", "python-mcp-server", "dataverse-python-best-practices")
COPILOT_SKILLS = ("acquire-codebase-knowledge", "arch-linux-triage")
PROMPTS = ("add-educational-comments", "mcp-create-adaptive-cards", "arch-linux-triage")
HISTORY_PROMPTS = ("csharp-tunit", "my-issues")  # a BOM; CRLF line endings
CURSOR_RULES = ("anti-overengineering", "android-jetpack-compose-cursorrules-prompt-file",
                "security-devsecops-ssdls-appsec")


def components() -> list[Component]:
    """The sample, from the corpus (skips or fails the test where it is absent: require_corpus)."""
    corpus = require_corpus()
    found: list[Component] = []
    for plugin in WSHOBSON_PLUGINS:
        root = corpus / "wshobson__agents" / "plugins" / plugin
        found += file_components(plugin, "agents", root.glob("agents/*.md"), root)
        found += file_components(plugin, "commands", root.glob("commands/*.md"), root)
        found += [skill_component(plugin, s.parent, root) for s in sorted(root.glob("skills/*/SKILL.md"))]
    history = corpus / "wshobson__agents@history-quirks" / "plugins" / "cicd-automation"
    found += file_components("cicd-automation", "agents", history.glob("agents/*.md"), history)  # CRLF
    voltagent = corpus / "VoltAgent__awesome-claude-code-subagents"
    found += file_components("voltagent", "agents", _named(voltagent / "categories", VOLTAGENT_AGENTS, ".md"), voltagent)
    copilot = corpus / "github__awesome-copilot"
    found += file_components("awesome-copilot", "agents", _named(copilot / "agents", COPILOT_AGENTS, ".agent.md"),
                             copilot)
    found += file_components("awesome-copilot", "rules",
                             _named(copilot / "instructions", COPILOT_INSTRUCTIONS, ".instructions.md"), copilot)
    found += [skill_component("awesome-copilot", copilot / "skills" / name, copilot) for name in COPILOT_SKILLS]
    prompts = corpus / "github__awesome-copilot@e13e02b-prompts"
    found += file_components("awesome-prompts", "commands", _named(prompts / "prompts", PROMPTS, ".prompt.md"),
                             prompts)
    quirks = corpus / "github__awesome-copilot@history-quirks"
    found += file_components("prompt-quirks", "commands", _named(quirks / "prompts", HISTORY_PROMPTS, ".prompt.md"),
                             quirks)
    rules = corpus / "PatrickJS__awesome-cursorrules"
    found += file_components("awesome-cursorrules", "rules", _named(rules / "rules", CURSOR_RULES, ".mdc"), rules)
    return found


def _named(folder: Path, names: tuple[str, ...], suffix: str) -> list[Path]:
    paths = [folder / f"{name}{suffix}" for name in names]
    missing = [p for p in paths if not p.is_file()]
    assert not missing, f"the corpus lacks {missing}"
    return paths


def planned(target: str, sample: list[Component]) -> list[TargetFile]:
    """The files ``target`` gets for the sample under ``prefix: package`` (clashes refused)."""
    return plan_files(TARGETS[target], sample, load, prefix=PREFIX)


def expected_names(target: str, sample: list[Component], kind: str) -> set[str]:
    """The names agentops gives ``kind`` components in ``target``: ``<package>-<name>``, for the
    kinds the target has a folder for."""
    if kind not in TARGETS[target].kinds:
        return set()
    return {output_name(c, PREFIX) for c in sample if c.kind == kind}


def install(client: str, root: Path) -> tuple[str, Sandbox, list[Component], dict[str, bytes]]:
    """A sandbox in ``root`` whose project holds the sample's files and MCP servers
    (oracle_clients.mcp_servers) for ``client``'s target: (the client's binary, the sandbox, the
    sample, {path: bytes written}). Skips the test, or fails it under CI, where the client or the
    corpus is absent."""
    binary = require_client(client)
    sample = components()
    sandbox = Sandbox(root)
    files = planned(client, sample)
    sandbox.write(files)
    sandbox.write_mcp(client, mcp_servers())
    return binary, sandbox, sample, {f.path: f.content for f in files}

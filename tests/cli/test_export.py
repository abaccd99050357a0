"""`agentops package export`: packages as Claude Code plugins, checked by Claude Code's own validator.

`claude plugin validate` is the oracle: an exported folder must pass it, and for the real plugins
of the corpus (wshobson/agents) the export of a package built from a plugin must get the same
verdict and the same validated components as the plugin itself. Ten plugins by default; all of
them with AGENTPACK_EXPORT_ALL=1.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from tests.conftest import CORPUS, in_ci

WSHOBSON = CORPUS / "wshobson__agents" / "plugins"
CLAUDE = shutil.which("claude")
needs_claude = pytest.mark.skipif(CLAUDE is None and not in_ci(),
                                  reason="the claude binary is not installed (npm install -g "
                                         "@anthropic-ai/claude-code; .ci/run installs it)")

AGENT_WITHOUT_DESCRIPTION = b"---\nname: triage\ntools: Read, Grep\n---\n\n# Sorts incoming tickets\n\nBody.\n"
AGENT_AS_IS = b"---\r\nname: reviewer\r\ndescription: Reviews changes\r\n---\r\nLook closely.\r\n"
COMMAND = b"---\ndescription: Open a ticket\n---\nOpen a ticket for $ARGUMENTS\n"
SKILL = b"---\nname: refunds\ndescription: How refunds are handled\n---\nSee references/policy.md.\n"
REFERENCE = b"# Policy\n\nRefund within 30 days.\n"
SCRIPT = bytes(range(256))


def write_package(root: Path, name: str = "support-desk") -> Path:
    """A package with agents, a command, a skill with references/ and a binary file, MCP servers."""
    files = {
        "agents/triage.md": AGENT_WITHOUT_DESCRIPTION,
        "agents/reviewer.md": AGENT_AS_IS,
        "commands/open-ticket.md": COMMAND,
        "skills/refunds/SKILL.md": SKILL,
        "skills/refunds/references/policy.md": REFERENCE,
        "skills/refunds/scripts/blob.bin": SCRIPT,
        "workflows/escalate.md": b"# Escalate\n",
        "README.md": b"# Support desk\n",
        "docs/getting-started.md": b"# Start\n",
        "package.yaml": (
            f"name: {name}\nversion: 1.2.0\ndescription: Support desk agents\nauthor: Support Team\n"
            "license: MIT\nkeywords: [support]\nhomepage: https://example.org/support-desk\n"
            "agents: [agents/*.md]\ncommands: [commands/*.md]\nskills: [skills/*]\n"
            "workflows: [workflows/escalate.md]\n"
            "mcp_servers:\n  crm:\n    command: npx\n    args: [-y, '@acme/crm-mcp']\n"
            "    env: {CRM_URL: 'https://crm.example.com'}\n  kb:\n    url: https://kb.example.com/mcp\n"
        ).encode(),
    }
    folder = root / name
    for relpath, data in files.items():
        (folder / relpath).parent.mkdir(parents=True, exist_ok=True)
        (folder / relpath).write_bytes(data)
    return folder


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def validate(folder: Path, tmp_path: Path) -> tuple[int, str, set[tuple[str, str]]]:
    """`claude plugin validate FOLDER`: (exit code, verdict, {(what, path inside FOLDER)} it validated).

    Prefers --json (its ``provides``) where the release has it; this release prints text, one
    "Validating <what>: <path>" line per file it checks and a final passed/failed line.
    """
    assert CLAUDE, "CI=true but the claude binary is not installed"
    env = {**os.environ, "DISABLE_AUTOUPDATER": "1", "CLAUDE_CONFIG_DIR": str(tmp_path / "claude-config")}
    run = subprocess.run([CLAUDE, "plugin", "validate", "--json", str(folder)], capture_output=True, text=True,
                         timeout=120, env=env)
    if "unknown option" not in run.stderr:
        report = json.loads(run.stdout)
        provides = report.get("provides", {})
        seen = {(kind, str(item.get("name", item)) if isinstance(item, dict) else str(item))
                for kind, items in provides.items() for item in items}
        return run.returncode, "passed" if run.returncode == 0 else "failed", seen
    run = subprocess.run([CLAUDE, "plugin", "validate", str(folder)], capture_output=True, text=True,
                         timeout=120, env=env)
    text = run.stdout + run.stderr
    verdict = "failed" if run.returncode or "✘" in text else (
        "warnings" if "passed with warnings" in text else "passed")
    seen = set()
    for what, path in re.findall(r"^Validating ([\w ]+): (.+)$", text, flags=re.M):
        seen.add((what, Path(path).resolve().relative_to(folder.resolve()).as_posix()))
    return run.returncode, verdict, seen


def manifest_messages(folder: Path, tmp_path: Path) -> list[str]:
    """The fields `claude plugin validate` complains about in FOLDER's plugin.json (text output)."""
    env = {**os.environ, "DISABLE_AUTOUPDATER": "1", "CLAUDE_CONFIG_DIR": str(tmp_path / "claude-config")}
    text = subprocess.run([CLAUDE, "plugin", "validate", str(folder)], capture_output=True, text=True,
                          timeout=120, env=env).stdout
    manifest_part = text.split("Validating plugin manifest:", 1)[-1].split("\nValidating ", 1)[0]
    return re.findall(r"❯ ([\w.]+):", manifest_part)


def export(agentops, source, out: Path, *extra: str, cwd=None) -> dict:
    return json.loads(agentops("package", "export", source, "--format", "claude-plugin", "-o", out, "--json",
                               *extra, cwd=cwd).out)


def test_export_writes_a_plugin_with_every_component(agentops, tmp_path):
    folder = write_package(tmp_path / "src")
    result = export(agentops, folder, tmp_path / "plugin")
    plugin = tree(tmp_path / "plugin")
    assert sorted(plugin) == [".claude-plugin/plugin.json", ".mcp.json", "agents/reviewer.md", "agents/triage.md",
                              "commands/open-ticket.md", "skills/refunds/SKILL.md",
                              "skills/refunds/references/policy.md", "skills/refunds/scripts/blob.bin"]
    assert result["plugins"][0]["skipped"] == ["workflows"]
    assert json.loads(plugin[".claude-plugin/plugin.json"]) == {
        "name": "support-desk", "version": "1.2.0", "description": "Support desk agents",
        "author": {"name": "Support Team"}, "license": "MIT", "homepage": "https://example.org/support-desk",
        "keywords": ["support"]}
    assert json.loads(plugin[".mcp.json"]) == {"mcpServers": {
        "crm": {"command": "npx", "args": ["-y", "@acme/crm-mcp"], "env": {"CRM_URL": "https://crm.example.com"}},
        "kb": {"type": "http", "url": "https://kb.example.com/mcp"}}}
    # read as they are: byte for byte (CRLF included); a whole skill folder, binary file included
    assert plugin["agents/reviewer.md"] == AGENT_AS_IS
    assert plugin["commands/open-ticket.md"] == COMMAND
    assert plugin["skills/refunds/references/policy.md"] == REFERENCE
    assert plugin["skills/refunds/scripts/blob.bin"] == SCRIPT
    # Claude needs a description: added from the body's first line, the rest kept
    assert b"description: Sorts incoming tickets" in plugin["agents/triage.md"]
    assert plugin["agents/triage.md"].endswith(b"# Sorts incoming tickets\n\nBody.\n")


@needs_claude
def test_exported_plugin_passes_claude_validate(agentops, tmp_path):
    folder = write_package(tmp_path / "src")
    export(agentops, folder, tmp_path / "plugin")
    code, verdict, seen = validate(tmp_path / "plugin", tmp_path)
    assert code == 0 and verdict == "passed", seen
    components = {"agents/reviewer.md", "agents/triage.md", "commands/open-ticket.md", "skills/refunds/SKILL.md",
                  "agents", "commands", "skills", "reviewer", "triage", "open-ticket", "refunds",
                  ".claude-plugin/plugin.json", ".mcp.json"}
    assert {path for _, path in seen} <= components, seen


def test_folder_archive_and_installed_package_export_the_same_bytes(agentops, tmp_path):
    folder = write_package(tmp_path / "src")
    archive = agentops.build_folder(folder)
    workspace = tmp_path / "ws"
    workspace.mkdir()
    agentops("package", "install", archive, cwd=workspace)
    export(agentops, folder, tmp_path / "from-dir")
    export(agentops, archive, tmp_path / "from-archive")
    export(agentops, "support-desk", tmp_path / "from-installed", cwd=workspace)
    export(agentops, folder, tmp_path / "again")
    assert tree(tmp_path / "from-dir") == tree(tmp_path / "from-archive") == tree(tmp_path / "from-installed")
    assert tree(tmp_path / "from-dir") == tree(tmp_path / "again")


def test_published_package_is_exported_from_the_registry(agentops, tmp_path):
    folder = write_package(tmp_path / "src")
    agentops.publish_folder(folder)
    workspace = tmp_path / "ws"
    workspace.mkdir()
    export(agentops, "support-desk@^1", tmp_path / "published", cwd=workspace)
    export(agentops, folder, tmp_path / "from-dir")
    assert tree(tmp_path / "published") == tree(tmp_path / "from-dir")
    missing = agentops("package", "export", "no-such-package", "--format", "claude-plugin", "-o",
                       tmp_path / "x", cwd=workspace, expect=1)
    assert "no-such-package" in missing.err


def test_installed_export_uses_the_effective_mcp_servers(agentops, tmp_path):
    folder = write_package(tmp_path / "src")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    agentops("package", "install", agentops.build_folder(folder), "--set",
             "support-desk.mcp_servers.crm.env.CRM_URL=https://crm.internal", cwd=workspace)
    export(agentops, "support-desk", tmp_path / "plugin", cwd=workspace)
    servers = json.loads((tmp_path / "plugin" / ".mcp.json").read_text())["mcpServers"]
    assert servers["crm"]["env"] == {"CRM_URL": "https://crm.internal"}


def test_out_must_be_empty_unless_forced_and_never_a_symlink(agentops, tmp_path):
    folder = write_package(tmp_path / "src")
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    refused = agentops("package", "export", folder, "--format", "claude-plugin", "-o", out, expect=1)
    assert "not empty" in refused.err and (out / "keep.txt").read_text() == "mine"
    agentops("package", "export", folder, "--format", "claude-plugin", "-o", out, "--force")
    assert not (out / "keep.txt").exists() and (out / ".claude-plugin" / "plugin.json").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "link").symlink_to(elsewhere)
    agentops("package", "export", folder, "--format", "claude-plugin", "-o", tmp_path / "link", "--force",
             expect=1)
    assert list(elsewhere.iterdir()) == []
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".agentops-")]


def test_a_folder_with_a_glob_matching_nothing_is_refused(agentops, tmp_path):
    folder = write_package(tmp_path / "src")
    manifest = folder / "package.yaml"
    manifest.write_text(manifest.read_text().replace("commands/*.md", "prompts/*.md"))
    run = agentops("package", "export", folder, "--format", "claude-plugin", "-o", tmp_path / "out", expect=1)
    assert "prompts/*.md" in run.err and not (tmp_path / "out").exists()


def test_misuse_exits_2(agentops, tmp_path):
    agentops("package", "export", "--format", "claude-plugin", "-o", tmp_path / "o", expect=2)
    agentops("package", "export", "x", "--format", "claude-marketplace", "-o", tmp_path / "o", expect=2)
    agentops("package", "export", "x", "--format", "zip", "-o", tmp_path / "o", expect=2)
    help_text = agentops("package", "export", "--help").out
    assert "Examples:" in help_text and "claude-marketplace" in help_text


@needs_claude
def test_marketplace_of_three_installed_packages_validates(agentops, tmp_path):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    for name in ("support-desk", "billing", "team-onboarding"):
        archive = agentops.build_folder(write_package(tmp_path / "src", name))
        agentops("package", "install", archive, cwd=workspace)
    result = json.loads(agentops("package", "export", "--format", "claude-marketplace", "-o", tmp_path / "market",
                                 "--json", cwd=workspace).out)
    assert [p["name"] for p in result["plugins"]] == ["billing", "support-desk", "team-onboarding"]
    document = json.loads((tmp_path / "market" / ".claude-plugin" / "marketplace.json").read_text())
    assert document["name"] == "ws" and document["owner"] == {"name": "ws"}
    assert [(p["name"], p["source"]) for p in document["plugins"]] == [
        ("billing", "./billing"), ("support-desk", "./support-desk"), ("team-onboarding", "./team-onboarding")]
    code, verdict, _ = validate(tmp_path / "market", tmp_path)
    assert code == 0 and verdict == "passed"
    for plugin in document["plugins"]:
        code, verdict, _ = validate(tmp_path / "market" / plugin["source"], tmp_path)
        assert code == 0 and verdict == "passed", plugin["name"]


def wshobson_plugins() -> list[str]:
    if not WSHOBSON.is_dir():
        return []
    names = sorted(p.name for p in WSHOBSON.iterdir() if (p / ".claude-plugin" / "plugin.json").is_file())
    if os.environ.get("AGENTPACK_EXPORT_ALL") == "1":
        return names
    return names[:: max(1, len(names) // 10)][:10]


def package_from_plugin(plugin: Path, dest: Path) -> Path:
    """A package folder holding ``plugin``'s files and a package.yaml with globs for its components."""
    shutil.copytree(plugin, dest, ignore=shutil.ignore_patterns(".claude-plugin"), symlinks=True)
    meta = json.loads((plugin / ".claude-plugin" / "plugin.json").read_text())
    author = meta.get("author")
    lines = {"name": meta["name"], "version": meta.get("version", "0.1.0"),
             "description": meta.get("description", ""), "license": meta.get("license", "")}
    if author:
        lines["author"] = author["name"] if isinstance(author, dict) else author
    text = "".join(f"{key}: {json.dumps(value)}\n" for key, value in lines.items() if value)
    for kind, glob in (("agents", "agents/*.md"), ("commands", "commands/*.md"), ("skills", "skills/*")):
        if (dest / kind).is_dir() and any((dest / kind).iterdir()):
            text += f"{kind}: [{glob}]\n"
    (dest / "package.yaml").write_text(text)
    return dest


@needs_claude
@pytest.mark.parametrize("name", wshobson_plugins() or ["(corpus absent)"])
def test_corpus_plugin_round_trips_with_the_same_claude_verdict(agentops, tmp_path, shared_corpus, name):
    plugin = WSHOBSON / name
    folder = package_from_plugin(plugin, tmp_path / "pkg" / name)
    export(agentops, folder, tmp_path / "exported")
    after = validate(tmp_path / "exported", tmp_path)
    before = validate(plugin, tmp_path)
    if after[:2] != before[:2]:
        # plugin.json fields a package.yaml has no place for decide some verdicts (a 'category' or a
        # missing author warns, a malformed 'agents' list fails): with the exported plugin.json in
        # its place, the original must then get the exported folder's verdict exactly.
        same_manifest = tmp_path / "original"
        shutil.copytree(plugin, same_manifest, symlinks=True)
        shutil.copyfile(tmp_path / "exported" / ".claude-plugin" / "plugin.json",
                        same_manifest / ".claude-plugin" / "plugin.json")
        before = validate(same_manifest, tmp_path)
        assert manifest_messages(plugin, tmp_path), (before, after)
    assert after[:2] == before[:2], (before, after)
    assert after[2] == before[2]
    original = {p for p in tree(plugin) if p.split("/")[0] in ("agents", "commands", "skills")}
    assert original == {p for p in tree(tmp_path / "exported") if p.split("/")[0] in ("agents", "commands", "skills")}


def test_archive_members_are_read_with_the_safe_reader(agentops, tmp_path):
    folder = write_package(tmp_path / "src")
    archive = agentops.build_folder(folder)
    hostile = tmp_path / "hostile.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(hostile, "w:gz") as target:
        for member in source.getmembers():
            target.addfile(member, source.extractfile(member) if member.isfile() else None)
        evil = tarfile.TarInfo("../escape.md")
        evil.size = 1
        target.addfile(evil, __import__("io").BytesIO(b"x"))
    agentops("package", "export", hostile, "--format", "claude-plugin", "-o", tmp_path / "out", expect=1)
    assert not (tmp_path / "escape.md").exists() and not (tmp_path / "out").exists()

"""Skills, commands, rules, MCP servers and globbed component lists, through the real command."""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
from pathlib import Path

import yaml

from conftest import CORPUS, needs_corpus

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01\xff\xfe"  # binary, with NUL and invalid UTF-8
SCRIPT = b"#!/bin/sh\necho summarising\n"

MANIFEST = """\
name: support-kit
version: 1.0.0
description: Support kit
author: Tests
license: MIT
agents: [agents/*.md]
commands:
  - commands/**/*.md
rules: [rules/*.md]
skills: [skills/*]
mcp_servers:
  tickets:
    command: npx
    args: [-y, tickets-mcp]
    env: {TICKETS_URL: "https://tickets.example", LOG_LEVEL: info}
  search:
    url: https://search.example/mcp
    headers: {X-Team: support}
documentation:
  getting_started: docs/getting-started.md
"""


def write(path: Path, content: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)


def kit(root: Path, manifest: str = MANIFEST) -> Path:
    """A package with two agents, two commands (one nested), a rule, two skills with references,
    assets and a script, and MCP servers; every list but the servers is a glob."""
    folder = root / "support-kit"
    write(folder / "package.yaml", manifest)
    write(folder / "README.md", "# support kit\n")
    write(folder / "docs/getting-started.md", "# Getting started\n")
    for name in ("triage", "escalate"):
        write(folder / f"agents/{name}.md", f"---\nname: {name}\ndescription: The {name} agent\n---\nAct.\n")
    write(folder / "commands/review.md", "---\ndescription: Review a reply\n---\nReview $ARGUMENTS\n")
    write(folder / "commands/ops/deploy.md", "---\ndescription: Deploy\n---\nDeploy it.\n")
    write(folder / "rules/style.md", "---\nglobs: '**/*.md'\nalwaysApply: false\n---\nBe brief.\n")
    write(folder / "skills/summarize/SKILL.md",
          "---\nname: summarize\ndescription: Summarize a thread\n---\nUse references/template.md.\n")
    write(folder / "skills/summarize/references/template.md", "# Template\n")
    write(folder / "skills/summarize/assets/logo.png", PNG)
    write(folder / "skills/summarize/scripts/run.sh", SCRIPT)
    write(folder / "skills/refunds/SKILL.md", "---\nname: refunds\ndescription: Handle refunds\n---\nRefund.\n")
    return folder


def skill_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def archive_manifest(archive: Path) -> dict:
    with tarfile.open(archive) as tar:
        return yaml.safe_load(tar.extractfile("package/package.yaml").read())


def install(agentops, tmp_path: Path, spec: str, *extra: str) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir(exist_ok=True)
    agentops("package", "install", spec, *extra, cwd=ws)
    return ws


def test_a_package_with_every_new_kind_validates_builds_the_same_twice_and_installs_byte_for_byte(
        agentops, tmp_path):
    folder = kit(tmp_path / "src")
    report = json.loads(agentops("package", "validate", folder, "--json").out)
    assert report["ok"] and report["problems"] == []
    assert report["components"] == {"agents": 2, "workflows": 0, "patterns": 0, "validations": 0,
                                    "commands": 2, "rules": 1, "skills": 2}
    first = agentops.build_folder(folder).read_bytes()
    second = agentops.build_folder(folder).read_bytes()
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()
    archive = tmp_path / "home" / "dist" / "support-kit-1.0.0.tar.gz"
    listed = archive_manifest(archive)  # the globs are recorded as the sorted files they matched
    assert listed["agents"] == ["agents/escalate.md", "agents/triage.md"]
    assert listed["commands"] == ["commands/ops/deploy.md", "commands/review.md"]
    assert listed["skills"] == ["skills/refunds", "skills/summarize"]
    agentops("package", "publish", archive)

    ws = install(agentops, tmp_path, "support-kit")
    for name in ("summarize", "refunds"):
        assert skill_files(ws / "skills/support-kit" / name) == skill_files(folder / "skills" / name)
    assert (ws / "skills/support-kit/summarize/assets/logo.png").read_bytes() == PNG
    assert (ws / "commands/support-kit/ops/deploy.md").is_file()
    assert (ws / "commands/support-kit/review.md").is_file()
    assert (ws / "rules/support-kit/style.md").read_bytes() == (folder / "rules/style.md").read_bytes()
    assert (ws / "agents/support-kit/triage.md").is_file()
    lock = (ws / "agentops.lock").read_text()
    assert hashlib.sha256(first).hexdigest() in lock

    index = (ws / "docs/packages/README.md").read_text()
    assert "### Skills" in index and "[summarize](../../skills/support-kit/summarize/SKILL.md)" in index
    assert "### Commands" in index and "### Rules" in index
    found = agentops("package", "search", "support", cwd=ws).out
    assert "support-kit (1.0.0) - 2 agents, 0 workflows, 2 skills, 2 commands, 1 rules" in found


def test_mcp_servers_are_configuration_that_a_local_file_and_set_change(agentops, tmp_path):
    agentops.publish_folder(kit(tmp_path / "src"))
    ws = install(agentops, tmp_path, "support-kit")
    servers = yaml.safe_load((ws / "config/support-kit/mcp_servers.yaml").read_text())
    assert servers["tickets"] == {"command": "npx", "args": ["-y", "tickets-mcp"],
                                  "env": {"TICKETS_URL": "https://tickets.example", "LOG_LEVEL": "info"}}
    assert servers["search"]["url"] == "https://search.example/mcp"

    write(ws / "packages/support-kit.local.yaml",
          "config:\n  mcp_servers:\n    tickets:\n      env:\n        LOG_LEVEL: debug\n")
    agentops("config", "apply", "--set", "support-kit.mcp_servers.tickets.env.TICKETS_URL=https://t.internal",
             cwd=ws)
    servers = yaml.safe_load((ws / "config/support-kit/mcp_servers.yaml").read_text())
    assert servers["tickets"]["env"] == {"TICKETS_URL": "https://t.internal", "LOG_LEVEL": "debug"}
    assert servers["tickets"]["command"] == "npx"
    shown = agentops("config", "show", "support-kit", "--json", cwd=ws).out
    assert "https://t.internal" in shown


GATES = """\
version: 1
rules:
  - id: skill-frontmatter
    description: Every skill names itself and says when to use it.
    files: skills/*/SKILL.md
    severity: error
    require_frontmatter: [name, description]
  - id: command-frontmatter
    description: Every command says what it does.
    files: commands/**/*.md
    severity: error
    require_frontmatter: [description]
"""


def test_quality_gates_select_skills_and_commands_in_validate_and_in_check(agentops, tmp_path):
    folder = kit(tmp_path / "src", MANIFEST.replace("rules: [rules/*.md]",
                                                    "rules: [rules/*.md]\nvalidations: [validations/gates.yaml]"))
    write(folder / "validations/gates.yaml", GATES)
    skill = folder / "skills/refunds/SKILL.md"
    skill.write_text("---\nname: refunds\n---\nRefund.\n")
    problems = json.loads(agentops("package", "validate", folder, "--json", expect=1).out)["problems"]
    assert [(p["code"], p["path"]) for p in problems if p["severity"] == "error"] == [
        ("gate:skill-frontmatter", "skills/refunds/SKILL.md")]
    skill.write_text("---\nname: refunds\ndescription: Refunds\n---\nRefund.\n")
    agentops.publish_folder(folder)
    ws = install(agentops, tmp_path, "support-kit")
    agentops("check", cwd=ws)
    (ws / "skills/support-kit/summarize/SKILL.md").write_text("---\nname: summarize\n---\nEdited.\n")
    (ws / "commands/support-kit/ops/deploy.md").write_text("Deploy, no frontmatter.\n")
    run = agentops("check", "--json", cwd=ws, expect=1)
    files = sorted(v["file"] for v in json.loads(run.out)["violations"])
    assert files == ["commands/support-kit/ops/deploy.md", "skills/support-kit/summarize/SKILL.md"]


def test_a_glob_that_matches_nothing_is_an_error_naming_its_field(agentops, tmp_path):
    folder = kit(tmp_path / "src", MANIFEST.replace("rules: [rules/*.md]", "rules: [rule/*.md]"))
    run = agentops("package", "validate", folder, "--json", expect=1)
    problems = [p for p in json.loads(run.out)["problems"] if p["severity"] == "error"]
    assert [(p["code"], p["field"]) for p in problems] == [("empty-glob", "rules")]
    assert "rules[0]" in problems[0]["message"] and "'rule/*.md'" in problems[0]["message"]
    agentops("package", "build", folder, "-o", tmp_path / "dist", expect=1)


def test_a_skill_folder_without_skill_md_is_an_error(agentops, tmp_path):
    folder = kit(tmp_path / "src", MANIFEST.replace("skills: [skills/*]", "skills: [skills/summarize, skills/notes]"))
    write(folder / "skills/notes/notes.md", "# notes\n")
    problems = json.loads(agentops("package", "validate", folder, "--json", expect=1).out)["problems"]
    problems = [p for p in problems if p["severity"] == "error"]
    assert [(p["code"], p["field"]) for p in problems] == [("missing-skill-file", "skills")]
    assert "'skills/notes' has no SKILL.md" in problems[0]["message"]


def test_adding_a_skill_is_minor_and_removing_one_is_major(agentops, tmp_path):
    old = kit(tmp_path / "old")
    new = kit(tmp_path / "new")
    write(new / "skills/escalation/SKILL.md", "---\nname: escalation\ndescription: Escalate\n---\nGo.\n")
    added = json.loads(agentops("package", "diff", old, new, "--json").out)
    assert added["required"] == "minor"
    assert {"kind": "component-added", "what": "skills/escalation", "detail": "skill added",
            "bump": "minor"} in added["changes"]
    removed = json.loads(agentops("package", "diff", new, old, "--json").out)
    assert removed["required"] == "major"
    assert any(c["kind"] == "component-removed" and c["what"] == "skills/escalation" for c in removed["changes"])
    (new / "skills/summarize/references/template.md").write_text("# Template v2\n")
    changed = json.loads(agentops("package", "diff", old, new, "--json").out)["changes"]
    assert {"kind": "component-changed", "what": "skills/summarize", "detail": "skill content changed",
            "bump": "patch"} in changed


def test_an_archive_in_the_format_before_new_kinds_still_installs(agentops, tmp_path):
    """Archives written before skills existed: plain lists, and a SKILL.md listed as documentation
    (it installs under docs/ as before, and its references stay in the archive)."""
    from agentpack.adapters.archive import write_archive

    files = {
        "package.yaml": b"name: legacy\nversion: 1.0.0\ndescription: old\nauthor: T\nlicense: MIT\n"
                        b"agents:\n  - agents/a.md\ndocumentation:\n  getting_started: docs/getting-started.md\n"
                        b"  skill: skill/SKILL.md\n",
        "README.md": b"# legacy\n",
        "agents/a.md": b"---\nname: a\ndescription: A\n---\nHi\n",
        "docs/getting-started.md": b"# GS\n",
        "skill/SKILL.md": b"---\nname: s\ndescription: S\n---\nSee references/x.md\n",
        "skill/references/x.md": b"# x\n",
    }
    archive = tmp_path / "legacy-1.0.0.tar.gz"
    write_archive(files, str(archive))
    agentops("package", "publish", archive)
    ws = install(agentops, tmp_path, "legacy")
    assert (ws / "agents/legacy/a.md").is_file()
    assert (ws / "docs/packages/legacy/skill/SKILL.md").read_bytes() == files["skill/SKILL.md"]
    assert not (ws / "docs/packages/legacy/skill/references").exists()
    assert not (ws / "skills").exists()


@needs_corpus
def test_a_real_plugin_packaged_with_globs_round_trips_byte_for_byte(agentops, tmp_path):
    plugin = CORPUS / "wshobson__agents/plugins/backend-development"
    folder = tmp_path / "src/backend-development"
    shutil.copytree(plugin, folder, ignore=shutil.ignore_patterns(".*"))
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    write(folder / "README.md", "# backend development\n")
    write(folder / "docs/getting-started.md", "# Getting started\n")
    write(folder / "package.yaml", "name: backend-development\nversion: 1.0.0\nlicense: MIT\n"
          "description: From wshobson/agents\nagents: [agents/*.md]\ncommands: [commands/*.md]\n"
          "skills: [skills/*]\ndocumentation:\n  getting_started: docs/getting-started.md\n")
    agentops.publish_folder(folder)
    ws = install(agentops, tmp_path, "backend-development")
    skills = sorted(p.name for p in (plugin / "skills").iterdir() if (p / "SKILL.md").is_file())
    assert len(skills) >= 5
    for name in skills:
        assert skill_files(ws / "skills/backend-development" / name) == skill_files(plugin / "skills" / name)
    for kind in ("agents", "commands"):
        assert skill_files(ws / kind / "backend-development") == skill_files(plugin / kind)


def test_a_local_file_disables_a_skill_and_a_rule_and_adds_a_custom_skill(agentops, tmp_path):
    agentops.publish_folder(kit(tmp_path / "src"))
    ws = install(agentops, tmp_path, "support-kit")
    write(ws / "local/skills/vip/SKILL.md", "---\nname: vip\ndescription: VIP customers\n---\nBe kind.\n")
    write(ws / "packages/support-kit.local.yaml",
          "skills:\n  disabled: [skills/summarize]\n  custom_skills: [local/skills/vip]\n"
          "rules:\n  disabled: [rules/style.md]\n")
    agentops("config", "apply", cwd=ws)
    assert not (ws / "skills/support-kit/summarize").exists()
    assert not (ws / "rules/support-kit/style.md").exists()
    assert (ws / "skills/support-kit/refunds/SKILL.md").is_file()
    index = (ws / "docs/packages/README.md").read_text()
    assert "[vip (custom)](../../local/skills/vip) — VIP customers" in index
    assert "summarize" not in index.split("### Disabled here")[0]
    write(ws / "packages/support-kit.local.yaml", "skills:\n  disabled: [skills/nope]\n")
    run = agentops("config", "apply", cwd=ws, expect=1)
    assert "skills/nope" in run.err


def test_a_tier_can_disable_a_skill_folder(agentops, tmp_path):
    manifest = MANIFEST + "tiers:\n  edge: {disabled: [skills/summarize]}\n"
    agentops.publish_folder(kit(tmp_path / "src", manifest))
    ws = install(agentops, tmp_path, "support-kit", "--tier", "edge")
    assert not (ws / "skills/support-kit/summarize").exists()
    assert (ws / "skills/support-kit/refunds/SKILL.md").is_file()


def test_hidden_characters_in_a_skill_reference_are_refused(agentops, tmp_path):
    folder = kit(tmp_path / "src")
    write(folder / "skills/summarize/references/template.md", "# Template\u200b\u202e\n")
    problems = json.loads(agentops("package", "validate", folder, "--json", expect=1).out)["problems"]
    assert {p["path"] for p in problems if p["severity"] == "error"} == {"skills/summarize/references/template.md"}


def test_a_skill_listed_as_documentation_is_a_warning_that_points_to_skills(agentops, tmp_path):
    folder = kit(tmp_path / "src", MANIFEST.replace("skills: [skills/*]", "skills: [skills/refunds]") +
                 "  summarize: skills/summarize/SKILL.md\n")
    problems = json.loads(agentops("package", "validate", folder, "--json").out)["problems"]
    warning = next(p for p in problems if p["code"] == "skill-as-documentation")
    assert "3 other file(s)" in warning["message"] and "'skills/summarize'" in warning["message"]

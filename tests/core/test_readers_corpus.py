"""Every reader on the real folders of the shared corpus, checked against counts taken here from disk.

The corpus (../shared/corpus or AGENTPACK_CORPUS; see its INVENTORY.md and QUIRKS.md) holds the
wshobson/agents marketplace (91 local plugins), the VoltAgent categories, anthropics' skills,
awesome-copilot (today's plugins and three legacy snapshots), awesome-cursorrules and agents.md.
Each expectation is recomputed from the files and manifests with plain ``json``/``yaml``/``glob``,
never from the readers. Without the corpus these tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import json
import os
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml

from agentpack.adapters.yamlio import load_yaml
from agentpack.core.frontmatter import split_frontmatter
from agentpack.core.readers import Inventory, Listing, read
from conftest import CORPUS as DEFAULT_CORPUS

CORPUS = Path(os.environ["AGENTPACK_CORPUS"]) if os.environ.get("AGENTPACK_CORPUS") else DEFAULT_CORPUS


def load(text: str):
    return load_yaml(text, source="frontmatter")[0]


def corpus_folder(name: str) -> Path:
    folder = CORPUS / name
    if not folder.is_dir():
        message = f"the shared corpus folder {folder} is not available"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: the corpus is required)")
        pytest.skip(message)
    return folder


def disk_files(folder: Path) -> dict[str, bytes]:
    """Every regular file under ``folder`` (symlinks skipped, as the extract service will)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and not p.is_symlink()}


@cache
def inventory_of(name: str) -> tuple[Path, dict[str, bytes], Inventory]:
    folder = corpus_folder(name)
    files = disk_files(folder)
    return folder, files, read(Listing(files, name), load=load)


def component_sources(inv: Inventory, kind: str) -> set[str]:
    return {c.source for p in inv.packages for c in p.components if c.kind == kind}


def rel(folder: Path, paths) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in paths if p.is_file() and not p.is_symlink())


def files_under(folder: Path, sub: Path) -> list[str]:
    return rel(folder, sub.rglob("*"))


def used_files(inv: Inventory) -> set[str]:
    return set().union(*(p.files() for p in inv.packages))


# --- wshobson/agents: a Claude Code marketplace -------------------------------------------------

def test_wshobson_marketplace_gives_one_package_per_local_plugin():
    folder, files, inv = inventory_of("wshobson__agents")
    marketplace = json.loads((folder / ".claude-plugin/marketplace.json").read_text())
    local = [e for e in marketplace["plugins"] if isinstance(e["source"], str)]
    external = [e for e in marketplace["plugins"] if not isinstance(e["source"], str)]
    assert inv.format == "claude-marketplace" and len(local) == 91
    assert [p.name for p in inv.packages] == [e["name"] for e in local]
    external_findings = [f for f in inv.findings if f.code == "external-source"]
    assert len(external_findings) == len(external) == 1 and external[0]["name"] in json.dumps(marketplace)
    for entry, package in zip(local, inv.packages, strict=True):
        plugin = folder / entry["source"]
        manifest = json.loads((plugin / ".claude-plugin/plugin.json").read_text())
        assert package.source == entry["source"].removeprefix("./")
        assert package.version == manifest["version"] and package.description == manifest["description"]
        assert package.category == entry["category"] and package.license == manifest.get("license", "MIT")
        assert [c.source for c in package.by_kind("agents")] == rel(folder, (plugin / "agents").glob("*.md"))
        assert [c.source for c in package.by_kind("commands")] == rel(folder, (plugin / "commands").rglob("*.md"))
        skill_dirs = sorted(d for d in (plugin / "skills").glob("*") if (d / "SKILL.md").is_file())
        assert [c.source for c in package.by_kind("skills")] == [d.relative_to(folder).as_posix() for d in skill_dirs]
        for skill, skill_dir in zip(package.by_kind("skills"), skill_dirs, strict=True):
            assert list(skill.files) == files_under(folder, skill_dir)


def test_wshobson_counts_match_the_files_on_disk():
    folder, files, inv = inventory_of("wshobson__agents")
    counts = inv.counts_by_kind()
    assert counts["agents"] == len(list(folder.glob("plugins/*/agents/*.md"))) == 202
    assert counts["commands"] == len(list(folder.glob("plugins/*/commands/*.md"))) == 105
    assert counts["skills"] == len(list(folder.glob("plugins/*/skills/*/SKILL.md"))) == 181
    assert sum(row["agents"] for row in inv.counts_by_package().values()) == 202


def test_wshobson_not_understood_is_exactly_what_no_kind_claims():
    folder, files, inv = inventory_of("wshobson__agents")
    claimed = {".claude-plugin/marketplace.json", "README.md", "LICENSE"}
    for plugin in folder.glob("plugins/*"):
        claimed |= set(rel(folder, (plugin / "agents").glob("*.md")))
        claimed |= set(rel(folder, (plugin / "commands").rglob("*.md")))
        for skill in (plugin / "skills").glob("*"):
            if (skill / "SKILL.md").is_file():
                claimed |= set(files_under(folder, skill))
        claimed |= set(rel(folder, [plugin / ".claude-plugin/plugin.json", plugin / ".codex-plugin/plugin.json",
                                    plugin / "README.md"]))
    assert list(inv.not_understood) == sorted(set(files) - claimed)
    assert "plugins/conductor/templates/tracks.md" in inv.not_understood  # no component kind for templates
    assert set(inv.not_understood).isdisjoint(used_files(inv))


def test_wshobson_agent_names_shared_by_plugins_are_clashes():
    folder, files, inv = inventory_of("wshobson__agents")
    by_name: dict[str, set[bytes]] = {}
    for path in folder.glob("plugins/*/agents/*.md"):
        by_name.setdefault(path.stem.lower(), set()).add(path.read_bytes())
    shared = {name for name, _ in by_name.items() if len(list(folder.glob(f"plugins/*/agents/{name}.md"))) > 1}
    clashes = {c.name for c in inv.clashes if c.kind == "agents"}
    assert clashes == shared and len(shared) == 30
    differing = {c.name for c in inv.clashes if c.kind == "agents" and not c.same_content}
    assert differing == {name for name in shared if len(by_name[name]) > 1}


# --- VoltAgent: categories as plugins listing their agents --------------------------------------

def test_voltagent_categories_carry_exactly_the_agents_their_plugin_json_lists():
    folder, files, inv = inventory_of("VoltAgent__awesome-claude-code-subagents")
    manifests = sorted(folder.glob("categories/*/.claude-plugin/plugin.json"))
    assert inv.format == "claude-marketplace" and len(inv.packages) == len(manifests) == 10
    listed_total = 0
    for manifest_path, package in zip(manifests, inv.packages, strict=True):
        manifest = json.loads(manifest_path.read_text())
        category = manifest_path.parent.parent.relative_to(folder).as_posix()
        expected = [f"{category}/{ref.removeprefix('./')}" for ref in manifest["agents"]]
        listed_total += len(expected)
        assert package.name == manifest["name"] and package.version == manifest["version"]
        assert [c.source for c in package.by_kind("agents")] == expected
        assert package.readme == f"{category}/README.md" and package.license == "MIT"
    assert inv.counts_by_kind()["agents"] == listed_total == 157
    # The one agent file no plugin.json lists (QUIRKS.md) is reported, not silently packaged.
    unlisted = "categories/06-developer-experience/docs-drift-editor.md"
    assert unlisted in inv.not_understood
    assert list(inv.not_understood) == sorted(set(files) - used_files(inv) - {".claude-plugin/marketplace.json",
                                                                              "README.md", "LICENSE"})


# --- anthropics/skills: skill folders -----------------------------------------------------------

def test_anthropics_skills_are_one_package_per_folder_with_every_file():
    folder, files, inv = inventory_of("anthropics__skills")
    skill_dirs = sorted(d for d in (folder / "skills").iterdir() if (d / "SKILL.md").is_file())
    assert inv.format == "skills" and len(inv.packages) == len(skill_dirs) == 12
    for package, skill_dir in zip(inv.packages, skill_dirs, strict=True):
        skill, = package.components
        assert package.name == skill.name == skill_dir.name
        assert list(skill.files) == files_under(folder, skill_dir)
        assert package.license_file == f"skills/{skill_dir.name}/LICENSE.txt" and package.license == "Apache-2.0"
    assert inv.not_understood == ()
    assert sum(len(p.components[0].files) for p in inv.packages) == len(files)


# --- awesome-copilot: plugins over type-first folders -------------------------------------------

def test_awesome_copilot_gives_one_package_per_plugin_plus_the_rest():
    folder, files, inv = inventory_of("github__awesome-copilot")
    manifests = sorted(folder.glob("plugins/*/plugin.json"))
    names = [json.loads(m.read_text())["name"] for m in manifests]
    assert inv.format == "copilot" and len(manifests) == 92
    assert [p.name for p in inv.packages] == [*names, "github-awesome-copilot"]
    for manifest_path, package in zip(manifests, inv.packages, strict=False):
        group = json.loads(manifest_path.read_text()).get("extensions", {}).get("com.github.awesome-copilot", {})
        assert len(package.by_kind("agents")) == len(group.get("agents", []))
        assert len(package.by_kind("skills")) == len(group.get("skills", []))
    assert not [f for f in inv.findings if f.code == "missing-path"]
    marketplace = json.loads((folder / ".github/plugin/marketplace.json").read_text())
    external = [e for e in marketplace["plugins"] if isinstance(e["source"], dict)]
    assert len([f for f in inv.findings if f.code == "external-source"]) == len(external) == 38


def test_awesome_copilot_leaves_no_typed_file_out():
    folder, files, inv = inventory_of("github__awesome-copilot")
    agents = rel(folder, folder.glob("agents/*.agent.md")) + rel(folder, folder.glob(".github/agents/*.md"))
    assert sorted(component_sources(inv, "agents")) == sorted(agents) and len(agents) == 225
    rules = rel(folder, folder.glob("instructions/**/*.instructions.md")) + [".github/copilot-instructions.md"]
    assert sorted(component_sources(inv, "rules")) == sorted(rules)
    skills = rel(folder, [d / "SKILL.md" for d in folder.glob("skills/*")] +
                 [d / "SKILL.md" for d in folder.glob(".github/skills/*")])
    assert sorted(f"{s}/SKILL.md" for s in component_sources(inv, "skills")) == skills
    nested = 0
    for skill in {c.source: c for p in inv.packages for c in p.by_kind("skills")}.values():
        assert list(skill.files) == files_under(folder, folder / skill.source)  # nested sub-skills included
        nested += sum(1 for path in skill.files if path.endswith("/SKILL.md")) - 1
    assert nested == 15  # the qdrant sub-skills of QUIRKS.md travel inside their parent skill
    assert sorted(component_sources(inv, "workflows")) == rel(folder, folder.glob("workflows/*.md"))
    hooks = rel(folder, folder.glob("hooks/**/*"))
    assert set(hooks) <= set(inv.not_understood)  # hooks are no component kind: listed, never dropped
    assert set(inv.not_understood) == set(files) - used_files(inv) - {".github/plugin/marketplace.json"}


def test_legacy_copilot_prompts_chatmodes_and_quirks():
    folder, _, prompts = inventory_of("github__awesome-copilot@e13e02b-prompts")
    assert prompts.counts_by_kind()["commands"] == len(list(folder.glob("prompts/*.prompt.md"))) == 143
    folder, _, chatmodes = inventory_of("github__awesome-copilot@7b7f9d5-chatmodes")
    assert chatmodes.counts_by_kind()["agents"] == len(list(folder.glob("chatmodes/*.chatmode.md"))) == 91
    folder, _, quirks = inventory_of("github__awesome-copilot@history-quirks")
    assert sorted(component_sources(quirks, "commands")) == rel(folder, folder.glob("prompts/*.prompt.md"))
    for inv in (prompts, chatmodes, quirks):
        assert inv.format == "copilot" and inv.not_understood == ()


def test_legacy_collections_are_one_package_each_and_report_their_absent_items():
    folder, files, inv = inventory_of("github__awesome-copilot@dc4be7d-collections")
    collections = sorted(folder.glob("collections/*.collection.yml"))
    data = [yaml.safe_load(p.read_text()) for p in collections]
    assert inv.format == "copilot-collection" and len(collections) == 42
    assert [p.name for p in inv.packages] == [d["id"] for d in data]
    assert [p.keywords for p in inv.packages] == [tuple(d.get("tags", [])) for d in data]
    # This snapshot holds the collection files only; every item they list is elsewhere.
    items = sum(len(d.get("items", [])) for d in data)
    reported = [f for f in inv.findings if f.code in ("missing-path", "unsupported-kind")]
    assert len(reported) == items and inv.counts_by_kind()["agents"] == 0


# --- Cursor rules and AGENTS.md -----------------------------------------------------------------

def test_cursor_rules_are_one_package_and_bad_globs_are_reported_not_dropped():
    folder, files, inv = inventory_of("PatrickJS__awesome-cursorrules")
    rules = rel(folder, folder.glob("rules/*.mdc"))
    assert inv.format == "cursor" and len(inv.packages) == 1 and len(rules) == 257
    assert [c.source for c in inv.packages[0].components] == rules
    assert inv.packages[0].license == "CC0-1.0" and inv.not_understood == ()


def test_agents_md_is_one_rule():
    folder, files, inv = inventory_of("openai__agents.md")
    package, = inv.packages
    assert inv.format == "agents-md" and [c.source for c in package.components] == ["AGENTS.md"]
    assert package.readme == "README.md" and package.license == "MIT" and inv.not_understood == ()


# --- over the whole corpus ----------------------------------------------------------------------

def corpus_names() -> list[str]:
    if not CORPUS.is_dir():
        return ["wshobson__agents"]  # corpus_folder() skips or fails with the reason
    return sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and p.name != "provenance")


@pytest.mark.parametrize("name", corpus_names())
def test_every_corpus_folder_inventories_with_the_frontmatter_strict_yaml_rejects(name):
    folder, files, inv = inventory_of(name)
    bad = set()
    for path, content in files.items():
        if path.endswith((".md", ".mdc", ".markdown")):
            yaml_text = split_frontmatter(content.decode("utf-8"))[0]
            try:
                data = yaml.safe_load(yaml_text) if yaml_text is not None else {}
            except yaml.YAMLError:
                bad.add(path)
                continue
            if data is not None and not isinstance(data, dict):
                bad.add(path)
    assert {f.path for f in inv.findings if f.code == "bad-frontmatter"} == bad
    assert set(inv.not_understood) | used_files(inv) <= set(files)
    assert set(inv.not_understood).isdisjoint(used_files(inv))


def test_the_whole_corpus_has_the_frontmatter_and_unicode_quirks_quirks_md_counts():
    names = corpus_names()
    inventories = [inventory_of(name)[2] for name in names]
    bad = sum(1 for inv in inventories for f in inv.findings if f.code == "bad-frontmatter")
    assert bad == 239  # 230 Cursor globs, 8 VoltAgent descriptions, 1 template (QUIRKS.md)
    hidden = {f.path for inv in inventories for f in inv.findings if f.code == "hidden-unicode"}
    assert hidden == {"agents/azure-verified-modules-owner-triage.agent.md"}  # the U+200B before code fences


def test_a_missing_corpus_skips_with_a_reason_but_fails_under_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(sys.modules[__name__], "CORPUS", tmp_path / "none")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        corpus_folder("wshobson__agents")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="not available"):
        corpus_folder("wshobson__agents")

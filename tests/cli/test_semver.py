"""Enforced semantic versioning through the real command: package diff, publish's check, bump."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import write_package

NAME = "semver-demo"


def build(agentops, folder: Path) -> str:
    return agentops("package", "build", folder, "-o", agentops.home / "dist").lines[-1]


def index(agentops) -> dict:
    return json.loads((agentops.default_registry / "index" / f"{NAME}.json").read_text())["versions"]


def add_config(folder: Path, text: str) -> None:
    (folder / "config").mkdir(exist_ok=True)
    (folder / "config" / "settings.yaml").write_text(text)
    with (folder / "package.yaml").open("a") as handle:
        handle.write("config:\n  settings: config/settings.yaml\n")


def published_one(agentops, tmp_path: Path) -> Path:
    """Publish semver-demo@1.0.0 with two agents; return its folder."""
    folder = write_package(tmp_path / "v1", NAME, "1.0.0", agents=2)
    agentops("package", "publish", build(agentops, folder))
    return folder


def test_diff_two_archives_lists_changes_and_the_required_release(agentops, tmp_path):
    old = write_package(tmp_path / "a", NAME, "1.0.0", agents=2)
    add_config(old, "model:\n  context: 8192\n  name: small\n")
    new = write_package(tmp_path / "b", NAME, "1.1.0", agents=1, body="Handle it better.")
    add_config(new, "model:\n  context: '8k'\n  name: small\n  tier: edge\n")
    old_archive, new_archive = build(agentops, old), build(agentops, new)

    data = json.loads(agentops("package", "diff", old_archive, new_archive, "--json").out)
    assert data["old"]["version"] == "1.0.0" and data["new"]["version"] == "1.1.0"
    assert (data["required"], data["actual"], data["suggested"]) == ("major", "minor", "2.0.0")
    assert {(c["kind"], c["what"], c["bump"]) for c in data["changes"]} == {
        ("component-changed", "agents/agent-0.md", "patch"),
        ("component-removed", "agents/agent-1.md", "major"),
        ("config-type-changed", "settings.model.context", "major"),
        ("config-key-added", "settings.model.tier", "minor"),
    }

    text = agentops("package", "diff", old_archive, new_archive).out
    assert "major  agents/agent-1.md: agent removed" in text
    assert "Required release: major; 1.0.0 -> 1.1.0 is a minor release: not enough, use 2.0.0" in text


def test_diff_folder_against_published_version(agentops, tmp_path):
    published_one(agentops, tmp_path)
    folder = write_package(tmp_path / "v2", NAME, "1.1.0", agents=3)
    run = agentops("package", "diff", f"{NAME}@1.0.0", folder)
    assert "minor  agents/agent-2.md: agent added" in run.out
    assert "Required release: minor; 1.0.0 -> 1.1.0 is a minor release: enough" in run.out
    same = agentops("package", "diff", f"{NAME}@1.0.0", tmp_path / "v1" / f"{NAME}-1.0.0", "--json").out
    assert json.loads(same)["required"] == "none"
    missing = agentops("package", "diff", f"{NAME}@9.0.0", folder, expect=1)
    assert "no published version of semver-demo matches 9.0.0" in missing.err


def test_publish_refuses_a_breaking_minor_release_unless_allowed(agentops, tmp_path):
    published_one(agentops, tmp_path)
    breaking = build(agentops, write_package(tmp_path / "v2", NAME, "1.1.0", agents=1))

    refused = agentops("package", "publish", breaking, expect=1)
    assert "cannot publish semver-demo@1.1.0: its changes since 1.0.0 require a major release" in refused.err
    assert "major: agents/agent-1.md: agent removed" in refused.err
    assert "semver-demo@2.0.0" in refused.err and "--allow-breaking" in refused.err
    assert list(index(agentops)) == ["1.0.0"]
    as_json = json.loads(agentops("package", "publish", breaking, "--json", expect=1).out)
    assert as_json["error"] == "semver-violation"

    allowed = agentops("package", "publish", breaking, "--allow-breaking")
    assert "Published semver-demo@1.1.0" in allowed.out
    assert "--allow-breaking" in allowed.err
    versions = index(agentops)
    assert versions["1.1.0"]["allow_breaking"] is True
    assert "allow_breaking" not in versions["1.0.0"]


def test_publish_accepts_proper_major_minor_and_patch_releases(agentops, tmp_path):
    published_one(agentops, tmp_path)
    agentops("package", "publish", build(agentops, write_package(tmp_path / "b", NAME, "2.0.0", agents=1)))
    added = write_package(tmp_path / "c", NAME, "2.0.1", agents=2)
    refused = agentops("package", "publish", build(agentops, added), expect=1)
    assert "require a minor release" in refused.err and "semver-demo@2.1.0" in refused.err
    agentops("package", "publish", build(agentops, write_package(tmp_path / "d", NAME, "2.1.0", agents=2)))
    patched = write_package(tmp_path / "e", NAME, "2.1.1", agents=2, body="Handle it with care.")
    data = json.loads(agentops("package", "publish", build(agentops, patched), "--json").out)
    assert data["release"]["previous"] == "2.1.0" and data["release"]["required"] == "patch"
    assert list(index(agentops)) == ["1.0.0", "2.0.0", "2.1.0", "2.1.1"]
    assert not any("allow_breaking" in record for record in index(agentops).values())


def test_bump_keeps_comments_and_formatting(agentops, tmp_path):
    folder = write_package(tmp_path, NAME, "1.2.3")
    original = (folder / "package.yaml").read_text()
    commented = ("# The demo package.\n" + original.replace("version: 1.2.3", 'version: "1.2.3"   # keep quoted')
                 .replace("agents:\n  - ", "agents:   # what it ships\n- "))
    (folder / "package.yaml").write_text(commented)

    run = agentops("package", "bump", "minor", folder)
    assert run.out.strip() == f"{NAME}: 1.2.3 -> 1.3.0"
    assert (folder / "package.yaml").read_text() == commented.replace('"1.2.3"', '"1.3.0"')
    agentops("package", "bump", "major", folder)
    agentops("package", "bump", "patch", folder)
    assert 'version: "2.0.1"   # keep quoted' in (folder / "package.yaml").read_text()
    agentops("package", "validate", folder)


def test_bump_auto_applies_the_required_release(agentops, tmp_path):
    folder = published_one(agentops, tmp_path)
    before = (folder / "package.yaml").read_text()
    unchanged = agentops("package", "bump", "auto", folder)
    assert "nothing changed since semver-demo@1.0.0; version left at 1.0.0" in unchanged.out
    assert (folder / "package.yaml").read_text() == before

    (folder / "agents" / "agent-1.md").unlink()
    (folder / "package.yaml").write_text(before.replace("  - agents/agent-1.md\n", ""))
    bumped = agentops("package", "bump", "auto", folder)
    assert "Compared with semver-demo@1.0.0: major release required" in bumped.out
    assert "agents/agent-1.md: agent removed" in bumped.out
    assert bumped.lines[-1] == f"{NAME}: 1.0.0 -> 2.0.0"
    assert "version: 2.0.0\n" in (folder / "package.yaml").read_text()
    again = agentops("package", "bump", "auto", folder, "--json")
    assert json.loads(again.out)["changed"] is False
    agentops("package", "publish", build(agentops, folder))


def test_bump_auto_needs_a_published_version(agentops, tmp_path):
    agentops("package", "publish", build(agentops, write_package(tmp_path / "other", "other-pkg", "1.0.0")))
    folder = write_package(tmp_path, NAME, "1.0.0")
    run = agentops("package", "bump", "auto", folder, expect=1)
    assert "nothing to compare with" in run.err

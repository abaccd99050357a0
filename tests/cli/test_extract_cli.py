"""`agentops package extract` on the real corpus folders and on hostile sources.

Every corpus source is extracted with the real command; every package it writes must validate and
build without edits, then all of them are published and installed into one workspace and each
component file is compared, byte for byte, with the file in the source folder it came from.
The packages are built and published in-process (250 subprocesses would take minutes); a sample
goes through `agentops package build` and `publish` too.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from agentpack.cli.commands_extract import FORMATS
from agentpack.core.readers import READERS
from conftest import CORPUS, needs_corpus

# (corpus folder, packages expected). The collections snapshot is the legacy Copilot layout.
SOURCES = [
    ("wshobson__agents", 91),
    ("VoltAgent__awesome-claude-code-subagents", 10),
    ("anthropics__skills", 12),
    ("github__awesome-copilot", 93),
    ("PatrickJS__awesome-cursorrules", 1),
    ("github__awesome-copilot@dc4be7d-collections", 42),
]
FILE_KINDS = ("agents", "commands", "rules", "workflows", "patterns")


def extract_json(agentops, *args, expect=0) -> dict:
    return json.loads(agentops("package", "extract", *map(str, args), "--json", expect=expect).out)


def test_from_choices_are_the_readers():
    assert set(FORMATS) == set(READERS)


@needs_corpus
def test_dry_run_inventories_wshobson_without_writing(agentops, tmp_path):
    data = extract_json(agentops, CORPUS / "wshobson__agents", "-o", tmp_path / "out", "--dry-run")
    assert (data["format"], data["package_count"], len(data["packages"])) == ("claude-marketplace", 91, 91)
    assert data["counts"] == {"agents": 202, "commands": 105, "skills": 181, "rules": 0, "workflows": 0,
                              "patterns": 0, "mcp_servers": 0}
    assert len(data["counts_by_package"]) == 91
    assert data["files"] > 1000 and isinstance(data["not_understood"], list)
    assert not (tmp_path / "out").exists()
    text = agentops("package", "extract", CORPUS / "wshobson__agents", "--dry-run").out
    assert "91 package(s)" in text and "202 agents" in text and "dry run: nothing written" in text


@needs_corpus
@pytest.mark.parametrize(("name", "count"), SOURCES)
def test_corpus_source_extracts_validates_builds_and_installs_byte_for_byte(agentops, tmp_path, name, count):
    source = CORPUS / name
    out = tmp_path / "out"
    first = extract_json(agentops, source, "-o", out, expect=None)
    assert first["package_count"] == count
    hidden = {f["path"] for f in first["findings"] if f["code"] == "hidden-unicode"}
    # A package is invalid only because a source file hides characters (reported, never rewritten).
    for package in first["packages"]:
        errors = [p for p in package["problems"] if p["severity"] == "error"]
        assert all(p["code"] == "hidden-unicode" for p in errors), errors
    bad = {p["name"] for p in first["packages"] if not p["ok"]}
    assert (1 if bad else 0) == (1 if hidden else 0)

    good = [p for p in first["packages"] if p["ok"]]
    agentops.publish_folders(Path(p["directory"]) for p in good)
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", *[p["name"] for p in good], cwd=ws)

    checked = 0
    for package in good:
        pkg_dir = Path(package["directory"])
        manifest = yaml.safe_load((pkg_dir / "package.yaml").read_text(encoding="utf-8"))
        assert manifest["description"]
        skills = {folder: Path(folder).name for folder in manifest.get("skills", ())}
        for path, origin in package["copied_from"].items():
            kind, _, rest = path.partition("/")
            if kind == "skills":
                folder = next(f for f in skills if path.startswith(f + "/"))
                installed = ws / "skills" / package["name"] / skills[folder] / path[len(folder) + 1:]
            elif kind in FILE_KINDS:
                installed = ws / kind / package["name"] / rest
            else:  # LICENSE: in the package, not installed
                assert (pkg_dir / path).read_bytes() == (source / origin).read_bytes()
                continue
            assert installed.read_bytes() == (source / origin).read_bytes(), (path, origin)
            checked += 1
    # The legacy snapshot holds the collection files only: every item they list is missing (and reported).
    legacy = name.endswith("-collections")
    assert (checked == 0) == legacy
    if legacy:
        assert sum(f["code"] == "missing-file" or "does not have" in f["message"] for f in first["findings"]) > 200


# Hostile sources


def plugin(root: Path) -> Path:
    (root / ".claude-plugin").mkdir(parents=True)
    (root / ".claude-plugin" / "plugin.json").write_text(json.dumps(
        {"name": "tidy", "version": "1.0.0", "description": "Tidy things", "license": "MIT"}))
    (root / "agents").mkdir()
    (root / "agents" / "tidier.md").write_text("---\nname: tidier\ndescription: tidies\n---\nTidy up.\n")
    return root


def test_symlink_and_special_files_are_findings(agentops, tmp_path):
    src = plugin(tmp_path / "src")
    secret = tmp_path / "secret.md"
    secret.write_text("---\nname: secret\n---\nnot yours\n")
    os.symlink(secret, src / "agents" / "linked.md")
    os.mkfifo(src / "agents" / "pipe.md")
    data = extract_json(agentops, src, "-o", tmp_path / "out")
    codes = {(f["code"], f["path"]) for f in data["findings"]}
    assert ("symlink", "agents/linked.md") in codes and ("special-file", "agents/pipe.md") in codes
    written = sorted(p.name for p in (tmp_path / "out" / "tidy" / "agents").iterdir())
    assert written == ["tidier.md"]


def test_huge_file_is_left_out_with_a_finding(agentops, tmp_path):
    src = plugin(tmp_path / "src")
    with open(src / "agents" / "huge.md", "wb") as stream:
        stream.truncate(64 * 1024 * 1024 + 1)  # sparse: one byte over the per-file limit
    data = extract_json(agentops, src, "--dry-run")
    assert [f["path"] for f in data["findings"] if f["code"] == "file-too-large"] == ["agents/huge.md"]
    assert data["counts"]["agents"] == 1


def test_malformed_plugin_json_is_a_finding_not_a_traceback(agentops, tmp_path):
    src = plugin(tmp_path / "src")
    (src / ".claude-plugin" / "plugin.json").write_text('{"name": "tidy", ')
    data = extract_json(agentops, src, "-o", tmp_path / "out", expect=1)
    assert any(f["path"] == ".claude-plugin/plugin.json" for f in data["findings"])
    # The license was in the broken manifest: the package is written, and reported as invalid.
    assert [p["code"] for p in data["packages"][0]["problems"] if p["severity"] == "error"] == ["no-license"]
    data = extract_json(agentops, src, "-o", tmp_path / "out", "--force", "--license", "MIT")
    assert data["ok"] and data["packages"][0]["ok"]
    agentops("package", "build", data["packages"][0]["directory"], "-o", tmp_path / "dist")


def test_existing_package_folder_is_refused_without_force(agentops, tmp_path):
    src = plugin(tmp_path / "src")
    out = tmp_path / "out"
    agentops("package", "extract", src, "-o", out)
    (out / "tidy" / "mine.txt").write_text("keep me")
    run = agentops("package", "extract", src, "-o", out, expect=2)
    assert "--force" in run.err and (out / "tidy" / "mine.txt").exists()
    assert not [p for p in tmp_path.iterdir() if ".extract-" in p.name]
    agentops("package", "extract", src, "-o", out, "--force")
    assert not (out / "tidy" / "mine.txt").exists() and (out / "tidy" / "agents" / "tidier.md").is_file()


def test_unknown_folder_is_reported_and_misuse_exits_2(agentops, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "notes.txt").write_text("hello")
    data = extract_json(agentops, src, "-o", tmp_path / "out")
    assert data["package_count"] == 0 and data["not_understood"] == ["notes.txt"]
    assert any(f["code"] == "unknown-format" for f in data["findings"])
    agentops("package", "extract", tmp_path / "missing", "-o", tmp_path / "out", expect=2)
    agentops("package", "extract", src, "--from", "nope", expect=2)
    agentops("package", "extract", plugin(tmp_path / "p"), expect=2)  # no -o and no --dry-run

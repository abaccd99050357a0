"""Tests for ``agentops package init`` (agentpack.services.init), on real temporary directories."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agentpack.errors import InvalidName, WorkspaceError
from agentpack.services.init import InitResult, init_package

EXPECTED_FILES = [
    "README.md",
    "agents/triage.md",
    "commands/triage-request.md",
    "config/settings.yaml",
    "docs/getting-started.md",
    "package.yaml",
    "patterns/confirm-before-acting.md",
    "rules/house-style.md",
    "skills/summarize-request/SKILL.md",
    "skills/summarize-request/references/summary-template.md",
    "validations/quality-gates.yaml",
    "workflows/handle-request.md",
]
COMPONENT_DIRS = ["agents", "workflows", "patterns", "config", "docs", "validations", "commands", "rules", "skills"]


def _frontmatter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), f"{path} has no frontmatter"
    block, _, _ = text[4:].partition("\n---\n")
    data = yaml.safe_load(block)
    assert isinstance(data, dict)
    return data


def _listed_paths(manifest: dict) -> list[str]:
    paths: list[str] = []
    for key in ("agents", "workflows", "patterns", "validations", "commands", "rules"):
        paths.extend(manifest.get(key) or [])
    for folder in manifest.get("skills") or []:  # a skill lists its folder; all its files come with it
        paths += ["skills/summarize-request/SKILL.md", "skills/summarize-request/references/summary-template.md"]
        assert folder == "skills/summarize-request"
    for key in ("config", "documentation"):
        paths.extend((manifest.get(key) or {}).values())
    return paths


def _all_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_creates_every_file_of_the_layout(tmp_path):
    target = tmp_path / "support-desk"
    result = init_package(str(target))

    assert isinstance(result, InitResult)
    assert result.directory == str(target.resolve())
    assert result.name == "support-desk"
    assert result.created == EXPECTED_FILES
    assert _all_files(target) == EXPECTED_FILES
    for folder in COMPONENT_DIRS:
        assert (target / folder).is_dir()


def test_manifest_parses_and_lists_exactly_the_scaffolded_files(tmp_path):
    target = tmp_path / "support-desk"
    init_package(str(target))

    manifest = yaml.safe_load((target / "package.yaml").read_text(encoding="utf-8"))
    assert manifest["name"] == "support-desk"
    assert manifest["version"] == "0.1.0"
    assert manifest["license"] == "MIT"
    assert manifest["dependencies"] == []
    listed = _listed_paths(manifest)
    for relative in listed:
        assert (target / relative).is_file(), relative
    in_components = [f for f in _all_files(target) if f.split("/")[0] in COMPONENT_DIRS]
    assert sorted(listed) == in_components


def test_every_markdown_component_has_parseable_frontmatter(tmp_path):
    target = tmp_path / "support-desk"
    init_package(str(target))

    agent = _frontmatter(target / "agents/triage.md")
    assert {"name", "description", "tools", "model"} <= agent.keys()
    workflow = _frontmatter(target / "workflows/handle-request.md")
    assert {"name", "description", "steps"} <= workflow.keys()
    assert {"agent": "triage"}.items() <= workflow["steps"][0].items()
    pattern = _frontmatter(target / "patterns/confirm-before-acting.md")
    assert {"name", "description"} <= pattern.keys()
    for data in (agent, workflow, pattern):
        assert "\n" not in data["description"]


def test_yaml_files_parse_and_placeholder_is_filled(tmp_path):
    target = tmp_path / "support-desk"
    init_package(str(target))

    for relative in ("config/settings.yaml", "validations/quality-gates.yaml"):
        assert isinstance(yaml.safe_load((target / relative).read_text(encoding="utf-8")), dict)
    for relative in EXPECTED_FILES:
        assert "{{" not in (target / relative).read_text(encoding="utf-8"), relative
    assert "# support-desk" in (target / "README.md").read_text(encoding="utf-8")


def test_explicit_name_overrides_directory_name(tmp_path):
    result = init_package(str(tmp_path / "Some Folder"), name="field-ops")
    manifest = yaml.safe_load((tmp_path / "Some Folder" / "package.yaml").read_text(encoding="utf-8"))
    assert result.name == "field-ops"
    assert manifest["name"] == "field-ops"


def test_existing_empty_directory_is_used(tmp_path):
    target = tmp_path / "research-kit"
    target.mkdir()
    result = init_package(str(target))
    assert result.name == "research-kit"
    assert (target / "package.yaml").is_file()


def test_namespaced_name(tmp_path):
    target = tmp_path / "x"
    result = init_package(str(target), name="team/x")
    manifest = yaml.safe_load((target / "package.yaml").read_text(encoding="utf-8"))
    assert result.name == "team/x"
    assert manifest["name"] == "team/x"


def test_relative_directory_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = init_package("ops-kit")
    assert result.directory == str((tmp_path / "ops-kit").resolve())
    assert Path(result.directory).is_absolute()


def test_refuses_to_overwrite_and_writes_nothing(tmp_path):
    target = tmp_path / "support-desk"
    (target / "agents").mkdir(parents=True)
    (target / "README.md").write_text("my own readme\n", encoding="utf-8")
    (target / "agents" / "triage.md").write_text("mine\n", encoding="utf-8")

    with pytest.raises(WorkspaceError) as caught:
        init_package(str(target))

    error = caught.value
    assert error.path == str(target.resolve())
    assert "README.md" in error.message and "agents/triage.md" in error.message
    assert error.hint and "empty directory" in error.hint
    assert _all_files(target) == ["README.md", "agents/triage.md"]
    assert (target / "README.md").read_text(encoding="utf-8") == "my own readme\n"


def test_second_init_in_same_directory_is_refused(tmp_path):
    target = tmp_path / "support-desk"
    init_package(str(target))
    before = {f: (target / f).read_bytes() for f in _all_files(target)}
    with pytest.raises(WorkspaceError):
        init_package(str(target))
    assert {f: (target / f).read_bytes() for f in _all_files(target)} == before


def test_file_where_a_folder_is_needed_is_refused(tmp_path):
    target = tmp_path / "support-desk"
    target.mkdir()
    (target / "docs").write_text("not a folder\n", encoding="utf-8")
    with pytest.raises(WorkspaceError) as caught:
        init_package(str(target))
    assert "docs" in caught.value.message
    assert _all_files(target) == ["docs"]


def test_directory_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "support-desk"
    target.write_text("a file\n", encoding="utf-8")
    with pytest.raises(WorkspaceError):
        init_package(str(target))


@pytest.mark.parametrize(
    "name",
    [
        "Support",
        "support_desk",
        "support desk",
        "-support",
        "support-",
        "support--desk",
        "a/b/c",
        "/support",
        "team/",
        "x" * 65,
        "café",
        "",
    ],
)
def test_invalid_names_raise_and_write_nothing(tmp_path, name):
    target = tmp_path / "pkg"
    with pytest.raises(InvalidName) as caught:
        init_package(str(target), name=name)
    error = caught.value
    assert error.field == "name"
    assert repr(name) in error.message
    assert error.hint and "e.g." in error.hint
    assert not target.exists()


def test_invalid_directory_name_suggests_a_valid_one(tmp_path):
    with pytest.raises(InvalidName) as caught:
        init_package(str(tmp_path / "Customer_Service"))
    assert "uppercase" in caught.value.message
    assert "'customer-service'" in caught.value.hint


@pytest.mark.parametrize("name", ["a", "x1", "customer-service", "team/customer-service", "a" * 64])
def test_valid_names_are_accepted(tmp_path, name):
    result = init_package(str(tmp_path / "pkg"), name=name)
    assert result.name == name


@pytest.mark.parametrize(
    ("name", "reason", "suggestion"),
    [
        ("Customer Service", "uppercase", "customer-service"),
        ("my_pkg", "'_'", "my-pkg"),
        ("a/b/c", "one namespace level", "b/c"),
        ("a--b", "'--'", "a-b"),
        ("", "empty", "my-package"),
    ],
)
def test_invalid_name_message_says_what_is_wrong_and_suggests_a_fix(tmp_path, name, reason, suggestion):
    with pytest.raises(InvalidName) as caught:
        init_package(str(tmp_path / "pkg"), name=name)
    assert reason in caught.value.message
    assert f"{suggestion!r}" in caught.value.message

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

from agentpack.adapters.yamlio import dump_yaml
from agentpack.errors import ValidationError, WorkspaceError
from agentpack.services.validate import (
    EXCLUDED_NAMES,
    ValidationReport,
    collect_package_files,
    load_schema,
    validate_files,
    validate_package,
)
from conftest import CORPUS, needs_corpus

MANIFEST = """\
name: customer-service
version: 1.2.0
description: Customer service workflows and patterns
author: Your Team
license: MIT
agents:
  - agents/handle-inquiry.md
workflows:
  - workflows/resolve-ticket.md
config:
  defaults: config/default-settings.yaml
documentation:
  getting_started: docs/getting-started.md
"""


def write(root: Path, files: dict[str, bytes | str]) -> None:
    for relative, content in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)


@pytest.fixture
def package(tmp_path: Path) -> Path:
    root = tmp_path / "customer-service"
    write(
        root,
        {
            "package.yaml": MANIFEST,
            "README.md": "# Customer service\n",
            "agents/handle-inquiry.md": "---\nname: handle-inquiry\ndescription: Answers questions\n---\nBody\n",
            "workflows/resolve-ticket.md": "# Resolve a ticket\n",
            "config/default-settings.yaml": "threshold: 500\n",
            "docs/getting-started.md": "# Getting started\n",
        },
    )
    return root


def test_a_valid_package(package):
    report = validate_package(str(package))
    assert report.ok and report.problems == [] and report.errors == [] and report.warnings == []
    assert report.manifest.name == "customer-service"
    assert report.directory == str(package)
    assert report.files == [
        "README.md",
        "agents/handle-inquiry.md",
        "config/default-settings.yaml",
        "docs/getting-started.md",
        "package.yaml",
        "workflows/resolve-ticket.md",
    ]


def test_excluded_names_are_skipped_at_any_depth(package):
    write(
        package,
        {
            ".git/config": "x",
            "dist/customer-service-1.2.0.tar.gz": b"\x1f\x8b",
            "docs/.DS_Store": b"\0",
            "docs/__pycache__/x.pyc": b"\0",
            "node_modules/a/index.js": "x",
            "docs/nested/.agentops/state": "x",
            ".gitignore": "dist/\n",
        },
    )
    files = collect_package_files(str(package))
    assert ".gitignore" in files
    assert not [path for path in files if set(path.split("/")) & EXCLUDED_NAMES]
    assert validate_package(str(package)).files == sorted(files)


def test_files_are_read_byte_for_byte(package):
    content = b"---\r\nname: x\r\n---\r\n\xef\xbb\xbfcaf\xc3\xa9\r\n"
    write(package, {"agents/handle-inquiry.md": content})
    assert collect_package_files(str(package))["agents/handle-inquiry.md"] == content


def test_problems_are_returned_not_raised(package):
    write(package, {"package.yaml": MANIFEST.replace("license: MIT\n", "") + "owner: me\n"})
    (package / "README.md").unlink()
    report = validate_package(str(package))
    assert not report.ok
    assert [p.code for p in report.errors] == ["no-license"]
    assert sorted(p.code for p in report.warnings) == ["incomplete-docs", "unknown-field"]
    strict = validate_package(str(package), strict=True)
    assert len(strict.errors) == 3 and strict.warnings == []


def test_a_folder_without_manifest(tmp_path):
    report = validate_package(str(tmp_path))
    assert report.manifest is None and not report.ok
    assert [p.code for p in report.problems] == ["missing-manifest"]


def test_symlinks_are_refused(package, tmp_path):
    outside = tmp_path / "secret.md"
    outside.write_text("secret")
    os.symlink(outside, package / "agents" / "linked.md")
    with pytest.raises(ValidationError) as caught:
        collect_package_files(str(package))
    error = caught.value
    assert [(p.code, p.path) for p in error.problems] == [("symlink", "agents/linked.md")]
    assert "copy" in error.hint
    report = validate_package(str(package))
    assert ("symlink", "agents/linked.md") in [(p.code, p.path) for p in report.errors]


def test_symlinked_folders_are_refused_not_followed(package):
    os.symlink(package / "docs", package / "more-docs")
    report = validate_package(str(package))
    assert [(p.code, p.path) for p in report.errors] == [("symlink", "more-docs")]
    assert not [path for path in report.files if path.startswith("more-docs")]


@needs_corpus
def test_the_real_symlink_in_the_corpus_is_refused(package):
    # The corpus stores the one symlink of its source trees (git mode 120000) as a file holding
    # the link target; recreate it as the link it is in the repository.
    entries = json.loads((CORPUS / "provenance/wshobson__agents.json").read_text())
    [entry] = [e for e in entries["entries"] if e["mode"] == "120000"]
    target = (CORPUS / "wshobson__agents" / entry["path"]).read_text()
    os.symlink(target, package / entry["path"])
    with pytest.raises(ValidationError) as caught:
        collect_package_files(str(package))
    assert entry["path"] in caught.value.message
    assert repr(target) in caught.value.problems[0].message


@pytest.mark.parametrize("make", ["missing", "file"])
def test_an_unusable_folder_raises(tmp_path, make):
    target = tmp_path / "target"
    if make == "file":
        target.write_text("x")
    with pytest.raises(WorkspaceError):
        validate_package(str(target))


def test_validate_files_for_archive_content(package):
    files = collect_package_files(str(package))
    report = validate_files(files, source="customer-service-1.2.0.tar.gz")
    assert report.ok and report.directory == "customer-service-1.2.0.tar.gz"
    assert report.files == sorted(files)


def test_report_to_dict_is_json_ready(package):
    write(package, {"agents/stray.md": "x"})
    data = json.loads(json.dumps(validate_package(str(package)).to_dict()))
    assert data["ok"] is True and data["warnings"] == 1 and data["errors"] == 0
    assert data["name"] == "customer-service" and data["version"] == "1.2.0"
    assert data["problems"][0]["code"] == "unlisted-file"
    assert data["manifest"]["name"] == "customer-service"
    assert "agents/stray.md" in data["files"]


def test_report_without_manifest_to_dict():
    report = ValidationReport(directory="x", manifest=None, problems=[], files=[])
    assert report.to_dict()["manifest"] is None and not report.ok


def test_schema_is_usable_by_editors():
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] and schema["title"]
    assert schema["required"] == ["name", "version"]
    assert "additionalProperties" not in schema
    expected = {"name", "version", "description", "author", "license", "dependencies", "agents", "workflows",
                "patterns", "validations", "config", "documentation", "keywords", "homepage", "overrides",
                "tiers", "classification", "commands", "rules", "skills", "mcp_servers", "category"}  # fmt: skip
    assert set(schema["properties"]) == expected
    assert all(prop.get("description") for prop in schema["properties"].values())
    schema["title"] = "changed"
    assert load_schema()["title"] != "changed"


def test_schema_is_a_valid_draft_2020_12_schema():
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(load_schema())


# --- real content -------------------------------------------------------------------------------


def strict_yaml_fails(content: bytes) -> bool:
    """Independent oracle: does this file's frontmatter fail plain PyYAML, or is it not a mapping?"""
    text = content.decode("utf-8").lstrip("\ufeff").replace("\r\n", "\n")
    if not text.startswith("---\n"):
        return False
    end = text.find("\n---\n", 3)
    end = end if end >= 0 else text.find("\n---", 3)
    if end < 0:
        return False
    try:
        data = yaml.safe_load(text[4 : end + 1])
    except yaml.YAMLError:
        return True
    return data is not None and not isinstance(data, dict)


@needs_corpus
def test_real_corpus_files_are_packageable(tmp_path):
    root = tmp_path / "corpus-package"
    listed: dict[str, list[str]] = {"agents": [], "workflows": [], "patterns": []}
    sources = [
        ("patterns", sorted((CORPUS / "PatrickJS__awesome-cursorrules/rules").glob("*.mdc"))),
        ("agents", sorted((CORPUS / "VoltAgent__awesome-claude-code-subagents/categories").glob("*/*.md"))),
        ("workflows", sorted((CORPUS / "wshobson__agents/plugins").glob("*/commands/*.md"))[:60]),
        (
            "agents",
            [
                CORPUS
                / "wshobson__agents@history-quirks/plugins/cicd-automation/agents/deployment-engineer.md"
            ],
        ),
        ("workflows", sorted((CORPUS / "github__awesome-copilot@history-quirks/prompts").glob("*.md"))),
    ]
    originals: dict[str, bytes] = {}
    for kind, paths in sources:
        for source in paths:
            if source.name == "README.md":
                continue
            relative = f"{kind}/{source.parent.name}/{source.name}"
            if relative in originals:
                continue
            originals[relative] = source.read_bytes()
            listed[kind].append(relative)
    assert len(originals) > 300
    manifest = {"name": "corpus", "version": "1.0.0", "license": "MIT", **listed,
                "documentation": {"getting_started": "docs/getting-started.md"}}  # fmt: skip
    write(root, {"package.yaml": dump_yaml(manifest), "README.md": "# Corpus\n", **originals})
    shutil.copyfile(CORPUS / "openai__agents.md/AGENTS.md", root / "docs-getting-started.tmp")
    (root / "docs").mkdir()
    os.replace(root / "docs-getting-started.tmp", root / "docs/getting-started.md")

    report = validate_package(str(root))

    assert report.errors == [], report.errors[:5]
    bad = {p.path for p in report.warnings if p.code == "bad-frontmatter"}
    assert bad == {path for path, content in originals.items() if strict_yaml_fails(content)}
    assert "patterns/rules/cypress-defect-tracking-cursorrules-prompt-file.mdc" in bad
    assert "agents/08-business-product/backlog-grooming.md" in bad
    assert len([path for path in bad if path.endswith(".mdc")]) > 200
    assert {p.code for p in report.warnings} == {"bad-frontmatter"}
    assert all(p.line and p.line > 1 for p in report.warnings)
    files = collect_package_files(str(root))
    assert all(files[path] == content for path, content in originals.items())

"""Documents that are damaged, hostile or mistyped, read by the real command: every one gives an
error naming the file (and, for YAML, the line and column), never an internal error."""

from __future__ import annotations

import json

import pytest

from conftest import EXAMPLES


@pytest.fixture
def installed(agentops, tmp_path):
    """A workspace with core-workflow installed from the default registry."""
    agentops.publish_examples("core-workflow")
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "core-workflow", cwd=ws)
    return ws


@pytest.mark.parametrize(("value", "words"), [
    ("!!float x", "'x' is not a valid float"),
    ("!!int 1.5", "'1.5' is not a valid int"),
    ("!!bool maybe", "not a valid bool"),
    ("!!binary aGVsbG8=", "!!binary is not supported"),
    ("!custom x", "constructor for the tag '!custom'"),
    ("123456789012345678901234567890", "more than 20 digits"),
    (".nan", "not a finite number"),
])
def test_agentops_yaml_tags_and_mistyped_scalars_name_file_line_and_column(agentops, tmp_path, value, words):
    (tmp_path / "agentops.yaml").write_text(f"packages: {{}}\ntier: {value}\n")
    run = agentops("package", "install", cwd=tmp_path, expect=1)
    assert "agentops.yaml:2: invalid YAML: " in run.err and words in run.err and "(column 7)" in run.err
    assert "internal error" not in run.err


def test_a_timestamp_tag_is_read_as_text(agentops, tmp_path):
    (tmp_path / "agentops.yaml").write_text("packages: {}\ntier: !!timestamp 2020-13-45\n")
    agentops("package", "install", cwd=tmp_path)


@pytest.mark.parametrize(("text", "line", "words"), [
    ("config:\n  a: [1\n", 3, "flow sequence"),
    ("config:\n  a: 1\n  a: 2\n", 3, "the key 'a' appears twice"),
    ("config:\n  a: !!timestamp\n    b: 1\n", 2, "expected a scalar node"),
    ("config: {a: !!float x}\n", 1, "not a valid float"),
])
def test_a_yaml_error_in_a_local_file_names_file_line_and_column(agentops, installed, text, line, words):
    (installed / "packages").mkdir()
    (installed / "packages" / "core-workflow.local.yaml").write_text(text)
    run = agentops("package", "install", cwd=installed, expect=1)
    assert f"packages/core-workflow.local.yaml:{line}: invalid YAML:" in run.err and words in run.err
    assert "(column " in run.err


@pytest.mark.parametrize("lock", [
    "[" * 10_000 + "]" * 10_000,
    '{"lockfile_version": 1, "packages": {"core-workflow": "2.1.0"}}',
    '{"lockfile_version": 1, "packages": {"core-workflow": {"version": "2.1.0"}}}',
    '{"lockfile_version": 1, "root": {"core-workflow": NaN}, "packages": {}}',
    '{"lockfile_version": 1, "lockfile_version": 1, "packages": {}}',
])
def test_a_damaged_lock_names_the_file(agentops, installed, lock):
    (installed / "agentops.lock").write_text(lock)
    for args in (["package", "install"], ["package", "list"], ["package", "tree"]):
        run = agentops(*args, cwd=installed, expect=None)
        if run.code:
            assert "agentops.lock" in run.err and "internal error" not in run.err, run.err


@pytest.mark.parametrize("damage", ["no-sha256", "record-is-a-string", "manifest-is-a-list", "components-null",
                                    "deep", "huge-int"])
def test_a_damaged_registry_index_names_the_file(agentops, damage):
    agentops.publish_examples("core-workflow")
    path = agentops.default_registry / "index" / "core-workflow.json"
    index = json.loads(path.read_text())
    record = index["versions"]["2.1.0"]
    if damage == "no-sha256":
        del record["sha256"]
    elif damage == "record-is-a-string":
        index["versions"]["2.1.0"] = "2.1.0"
    elif damage == "manifest-is-a-list":
        record["manifest"] = ["core-workflow"]
    elif damage == "components-null":
        record["components"] = None
    text = json.dumps(index)
    if damage == "deep":
        text = text[:-1] + ', "x": ' + "[" * 10_000 + "]" * 10_000 + "}"
    elif damage == "huge-int":
        text = text.replace('"size": ', '"size": 1' + "0" * 5_000 + " + 0 * ", 1).replace(" + 0 * ", "")
    path.write_text(text)
    for args in (["package", "info", "core-workflow"], ["package", "install", "core-workflow"]):
        run = agentops(*args, expect=1)
        assert "core-workflow.json" in run.err and "internal error" not in run.err, run.err


def test_a_damaged_catalog_names_the_file(agentops):
    agentops.publish_examples("core-workflow")
    (agentops.default_registry / "catalog.json").write_text('{"packages": {"core-workflow": "2.1.0"}}')
    run = agentops("package", "search", "core", expect=1)
    assert "catalog.json" in run.err and "internal error" not in run.err


@pytest.mark.parametrize("sig", ['{"format": 1, "format": 1}', "[" * 10_000, '{"format": NaN}', '"just text"',
                                 '{"format": true, "name": 1}'])
def test_a_damaged_signature_document_names_the_file(agentops, tmp_path, sig):
    archive = agentops.build_folder(EXAMPLES / "core-workflow")
    sidecar = archive.with_name(archive.name + ".sig")
    sidecar.write_text(sig)
    ws = tmp_path / "ws"
    ws.mkdir()
    run = agentops("package", "install", archive, cwd=ws, expect=1)
    assert ".sig" in run.err and "internal error" not in run.err, run.err

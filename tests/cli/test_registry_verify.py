"""`agentops registry verify [--repair]`: the directory registry's own check, through the real command."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import write_package


@pytest.fixture
def registry(agentops, tmp_path) -> Path:
    src = tmp_path / "src"
    for name, version in (("a", "1.0.0"), ("a", "1.1.0"), ("b", "2.0.0"), ("team/c", "0.1.0")):
        agentops.publish_folder(write_package(src, name, version))
    return agentops.default_registry


def _verify(agentops, *extra, expect=0) -> dict:
    return json.loads(agentops("registry", "verify", "--json", *extra, expect=expect).out)


def _codes(report: dict) -> set[str]:
    return {p["code"] for p in report["problems"]}


def _blob_of(registry: Path, name: str, version: str) -> Path:
    index = json.loads((registry / "index" / f"{name}.json").read_text())
    return registry / "blobs" / "sha256" / index["versions"][version]["sha256"]


def test_a_sound_registry_verifies(agentops, registry):
    report = _verify(agentops)
    assert report["ok"] is True and report["problems"] == []
    assert (report["packages"], report["versions"], report["blobs"]) == (3, 4, 4)
    run = agentops("registry", "verify", "--registry", registry)
    assert "ok" in run.out and "3 package(s), 4 version(s), 4 blob(s)" in run.out


def test_a_stale_catalog_is_reported_and_repaired(agentops, registry):
    catalog = registry / "catalog.json"
    data = json.loads(catalog.read_text())
    data["packages"]["a"]["versions"] = ["1.0.0"]
    data["packages"]["a"]["latest"] = "1.0.0"
    del data["packages"]["b"]
    data["packages"]["ghost"] = {"latest": "9.9.9", "versions": ["9.9.9"]}
    catalog.write_text(json.dumps(data))
    report = _verify(agentops, expect=1)
    assert _codes(report) == {"stale-catalog"}
    assert "a, b, ghost" in report["problems"][0]["message"]
    run = agentops("registry", "verify", expect=1)
    assert "--repair" in run.out and "damaged" in run.out
    repaired = _verify(agentops, "--repair")
    assert repaired["ok"] is True and repaired["repaired"] == ["rebuilt catalog.json from the package indexes"]
    assert sorted(json.loads(catalog.read_text())["packages"]) == ["a", "b", "team/c"]
    assert _verify(agentops)["repaired"] == []


@pytest.mark.parametrize("damage", ["missing", "malformed", "not-an-object"])
def test_a_missing_or_malformed_catalog_is_rebuilt(agentops, registry, damage):
    catalog = registry / "catalog.json"
    expected = catalog.read_bytes()
    if damage == "missing":
        catalog.unlink()
    else:
        catalog.write_text("{" if damage == "malformed" else '{"packages": []}')
    assert _codes(_verify(agentops, expect=1)) == {"stale-catalog"}
    _verify(agentops, "--repair")
    assert catalog.read_bytes() == expected


def test_a_tampered_truncated_or_missing_blob_is_an_error(agentops, registry):
    tampered = _blob_of(registry, "a", "1.0.0")
    tampered.write_bytes(b"X" + tampered.read_bytes()[1:])
    truncated = _blob_of(registry, "a", "1.1.0")
    truncated.write_bytes(truncated.read_bytes()[:-1])
    missing = _blob_of(registry, "b", "2.0.0")
    missing.unlink()
    report = _verify(agentops, "--repair", expect=1)
    found = {(p["code"], p["path"]) for p in report["problems"]}
    assert found == {("blob-digest", str(tampered)), ("blob-size", str(truncated)), ("missing-blob", str(missing))}
    assert any("a@1.0.0" in p["message"] for p in report["problems"])
    assert tampered.exists() and truncated.exists()  # the registry's facts are never "repaired" by guessing


@pytest.mark.parametrize("content, code", [
    ("{not json", "malformed-index"),
    ('{"name": "a", "serial": -3, "versions": {}}', "malformed-index"),
    ('{"name": "someone-else", "serial": 1, "versions": {}}', "index-name"),
])
def test_a_bad_index_is_an_error_and_blocks_the_catalog_rebuild(agentops, registry, content, code):
    index = registry / "index" / "a.json"
    index.write_text(content)
    catalog = registry / "catalog.json"
    before = catalog.read_bytes()
    report = _verify(agentops, "--repair", expect=1)
    assert code in _codes(report)
    assert any(p["path"] == str(index) for p in report["problems"])
    if code == "malformed-index":  # never rebuilt without a package that is merely unreadable
        assert catalog.read_bytes() == before


def test_records_that_disagree_with_their_key_are_errors(agentops, registry):
    path = registry / "index" / "a.json"
    index = json.loads(path.read_text())
    index["versions"]["1.0.0"]["version"] = "1.1.0"
    index["versions"]["1.1.0"]["sha256"] = "../../etc/passwd"
    index["versions"]["1.1.0"]["size"] = -1
    path.write_text(json.dumps(index))
    report = _verify(agentops, expect=1)
    messages = [p["message"] for p in report["problems"] if p["code"] == "malformed-record"]
    assert any("a@1.0.0" in m and "version" in m for m in messages)
    assert any("a@1.1.0" in m and "sha256" in m for m in messages)
    assert any("a@1.1.0" in m and "size" in m for m in messages)


def test_orphan_blobs_and_leftovers_are_warnings_removed_only_when_asked(agentops, registry):
    orphan = registry / "blobs" / "sha256" / ("0" * 64)
    orphan.write_bytes(b"nobody names me")
    leftover = registry / "index" / f".a.json.{os.getpid()}.abcd1234.tmp"
    leftover.write_text("{")
    stray = registry / "blobs" / "sha256" / "README"
    stray.write_text("hello")
    report = _verify(agentops)  # warnings only: exit 0
    assert report["ok"] is True
    assert _codes(report) == {"orphan-blob", "temporary-file", "stray-file"}
    repaired = _verify(agentops, "--repair")
    assert repaired["repaired"] == [f"removed {leftover}"]
    assert orphan.exists() and not leftover.exists()
    _verify(agentops, "--repair", "--delete-orphans")
    assert not orphan.exists() and stray.exists()
    assert agentops("registry", "verify", "--delete-orphans", expect=2).code == 2


def test_the_folder_of_a_registrys_first_indexes_left_by_a_killed_load_is_removed_by_repair(agentops, registry):
    leftover = registry / f".index.{os.getpid()}.abcd1234.tmp"
    (leftover / "team").mkdir(parents=True)
    (leftover / "team" / "x.json").write_text("{}")
    report = _verify(agentops)
    assert report["ok"] is True and _codes(report) == {"temporary-file"}
    assert _verify(agentops, "--repair")["repaired"] == [f"removed {leftover}"]
    assert not leftover.exists() and _codes(_verify(agentops)) == set()


def test_an_index_written_before_serials_is_a_warning(agentops, registry):
    path = registry / "index" / "b.json"
    index = json.loads(path.read_text())
    del index["serial"]
    path.write_text(json.dumps(index))
    report = _verify(agentops)
    assert report["ok"] is True and _codes(report) == {"no-serial"}


def test_missing_registry_and_not_a_registry(agentops, tmp_path):
    for extra in ((), ("--repair",)):
        run = agentops("registry", "verify", *extra, "--registry", tmp_path / "nowhere", expect=1)
        assert "does not exist" in run.err
        assert not (tmp_path / "nowhere").exists()
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "notes.txt").write_text("x")
    run = agentops("registry", "verify", "--repair", "--registry", tmp_path / "plain", expect=1)
    assert "not an agentpack registry" in run.err
    assert not (tmp_path / "plain" / ".lock").exists()


def test_a_registry_made_before_config_json_is_warned_about_and_repaired(agentops, registry):
    (registry / "config.json").unlink()
    report = _verify(agentops)
    assert report["ok"] is True and _codes(report) == {"no-config"}
    repaired = _verify(agentops, "--repair")
    assert repaired["problems"] == [] and repaired["repaired"][0].startswith("wrote config.json (protocol 1)")
    assert json.loads((registry / "config.json").read_text())["protocol"] == 1
    (registry / "config.json").write_text('{"protocol": "one"}')
    report = _verify(agentops, expect=1)
    assert _codes(report) == {"malformed-config"}

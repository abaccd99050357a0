"""`agentops package publish A B C`: several archives in one command, checked first, dependencies
first, into one directory registry all or none (oci:// is covered in test_oci_registry.py)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import write_package


def _archives(agentops, tmp_path: Path) -> dict[str, str]:
    """app@1.0.0 needs lib@^1.0.0; tool@1.0.0 stands alone."""
    return {
        "app": str(agentops.build_folder(write_package(tmp_path / "src", "app", "1.0.0", deps=("lib@^1.0.0",)))),
        "lib": str(agentops.build_folder(write_package(tmp_path / "src", "lib", "1.0.0"))),
        "tool": str(agentops.build_folder(write_package(tmp_path / "src", "tool", "1.0.0"))),
    }


def _index(registry: Path, name: str) -> dict:
    return json.loads((registry / "index" / f"{name}.json").read_text())


def test_several_archives_are_published_dependencies_first_without_warnings_about_each_other(agentops, tmp_path):
    archives = _archives(agentops, tmp_path)
    registry = tmp_path / "registry"
    done = agentops("package", "publish", archives["app"], archives["tool"], archives["lib"], "--registry", registry)
    assert done.out.splitlines() == [f"Published {name}@1.0.0 to {registry}" for name in ("lib", "app", "tool")]
    assert "holds no package lib" not in done.err  # published with it, so it counts as held
    for name, archive in archives.items():
        assert _index(registry, name)["versions"]["1.0.0"]["sha256"] == Path(archive + ".sha256").read_text().split()[0]
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "app", "--registry", registry, cwd=ws)
    assert sorted(json.loads((ws / "agentops.lock").read_text())["packages"]) == ["app", "lib"]


def test_one_version_already_held_stops_all_of_them(agentops, tmp_path):
    archives = _archives(agentops, tmp_path)
    registry = tmp_path / "registry"
    agentops("package", "publish", archives["tool"], "--registry", registry)
    before = {p.relative_to(registry): p.read_bytes() for p in registry.rglob("*") if p.is_file() and p.name != ".lock"}
    refused = agentops("package", "publish", archives["lib"], archives["tool"], "--registry", registry, expect=1)
    assert "tool@1.0.0 already exists" in refused.err
    after = {p.relative_to(registry): p.read_bytes() for p in registry.rglob("*") if p.is_file() and p.name != ".lock"}
    assert after == before  # lib was not published either


def test_an_invalid_archive_among_them_publishes_nothing(agentops, tmp_path):
    archives = _archives(agentops, tmp_path)
    broken = tmp_path / "broken-1.0.0.tar.gz"
    broken.write_bytes(b"not an archive")
    registry = tmp_path / "registry"
    refused = agentops("package", "publish", archives["lib"], str(broken), "--registry", registry, expect=1)
    assert "broken-1.0.0.tar.gz" in refused.err
    assert not (registry / "index").exists()


def test_json_lists_each_result_and_two_versions_of_one_package_go_one_after_the_other(agentops, tmp_path):
    registry = tmp_path / "registry"
    old = str(agentops.build_folder(write_package(tmp_path / "v1", "lib", "1.0.0")))
    new = str(agentops.build_folder(write_package(tmp_path / "v2", "lib", "1.1.0", agents=2)))
    results = json.loads(agentops("package", "publish", new, old, "--registry", registry, "--json").out)
    assert [(r["name"], r["version"]) for r in results["published"]] == [("lib", "1.0.0"), ("lib", "1.1.0")]
    assert results["published"][1]["release"]["previous"] == "1.0.0"  # checked against the one before it
    assert sorted(_index(registry, "lib")["versions"]) == ["1.0.0", "1.1.0"]
    single = json.loads(agentops("package", "publish", str(agentops.build_folder(
        write_package(tmp_path / "v3", "lib", "1.2.0", agents=3))), "--registry", registry, "--json").out)
    assert single["name"] == "lib" and single["release"]["previous"] == "1.1.0"  # one archive: the object as always


def test_one_archive_named_twice_is_published_once(agentops, tmp_path):
    registry = tmp_path / "registry"
    archive = str(agentops.build_folder(write_package(tmp_path / "src", "lib", "1.0.0")))
    done = agentops("package", "publish", archive, archive, "--registry", registry)
    assert done.out.splitlines() == [f"Published lib@1.0.0 to {registry}"]


def test_one_by_one_a_refusal_says_what_was_published_before_it(agentops, tmp_path):
    registry = tmp_path / "registry"
    v20 = str(agentops.build_folder(write_package(tmp_path / "a", "lib", "2.0.0")))
    v21 = str(agentops.build_folder(write_package(tmp_path / "b", "lib", "2.1.0")))
    agentops("package", "publish", v21, "--registry", registry)
    refused = agentops("package", "publish", v21, v20, "--registry", registry, expect=1)  # lowest first
    assert "lib@2.1.0 already exists" in refused.err
    assert "published before it: lib@2.0.0; not published: lib@2.1.0" in refused.err
    assert sorted(_index(registry, "lib")["versions"]) == ["2.0.0", "2.1.0"]

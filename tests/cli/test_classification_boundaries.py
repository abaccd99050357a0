"""Classification boundaries through the real command: no read up, no write down."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import write_package


def make(root: Path, name: str, level: str | None = None, deps: tuple[str, ...] = ()) -> Path:
    folder = write_package(root, name, "1.0.0", deps=deps)
    if level:
        with open(folder / "package.yaml", "a") as handle:
            handle.write(f"classification: {level}\n")
    return folder


def publish(agentops, folder: Path, registry: Path, *, expect: int = 0):
    archive = agentops("package", "build", folder, "-o", folder.parent / "dist").lines[-1]
    return agentops("package", "publish", archive, "--registry", registry, expect=expect), archive


def workspace(tmp_path: Path, registry: Path, clearance: str | None) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    text = f"registries:\n  - {registry}\n"
    if clearance:
        text += f"classification: {clearance}\n"
    (ws / "agentops.yaml").write_text(text)
    return ws


def assert_nothing_written(agentops, ws: Path, manifest_before: str, archives: list[str]) -> None:
    assert (ws / "agentops.yaml").read_text() == manifest_before
    assert not (ws / "agentops.lock").exists()
    assert not (ws / "agents").exists()
    cached = {p.name for p in (agentops.home / "cache").rglob("*") if p.is_file()}
    for archive in archives:
        digest = Path(archive + ".sha256").read_text().split()[0]
        assert digest not in cached, "an archive was downloaded before the classification check"


def test_install_refuses_read_up_before_downloading(agentops, tmp_path):
    registry = tmp_path / "registry"
    _, base = publish(agentops, make(tmp_path / "src", "base", "secret"), registry)
    _, app = publish(agentops, make(tmp_path / "src", "app", "secret", deps=("base@^1.0.0",)), registry)
    ws = workspace(tmp_path, registry, "cui")
    before = (ws / "agentops.yaml").read_text()
    run = agentops("package", "install", "app", cwd=ws, expect=1)
    assert "read up refused" in run.err
    assert "base is 'secret', above workspace level 'cui' (via app -> base)" in run.err
    assert "app is 'secret', above workspace level 'cui'" in run.err
    assert_nothing_written(agentops, ws, before, [base, app])


def test_install_refuses_a_transitive_package_above_the_workspace(agentops, tmp_path):
    registry = tmp_path / "registry"
    publish(agentops, make(tmp_path / "src", "base", "top-secret"), registry)
    publish(agentops, make(tmp_path / "src", "lib", "top-secret", deps=("base",)), registry)
    publish(agentops, make(tmp_path / "src", "app", "top-secret", deps=("lib",)), registry)
    ws = workspace(tmp_path, registry, "secret")
    run = agentops("package", "install", "app", cwd=ws, expect=1)
    assert "base is 'top-secret', above workspace level 'secret' (via app -> lib -> base)" in run.err
    assert not (ws / "agentops.lock").exists()


def test_install_within_clearance_passes(agentops, tmp_path):
    registry = tmp_path / "registry"
    publish(agentops, make(tmp_path / "src", "base"), registry)
    publish(agentops, make(tmp_path / "src", "app", "cui", deps=("base@^1.0.0",)), registry)
    ws = workspace(tmp_path, registry, "secret")
    agentops("package", "install", "app", cwd=ws)
    assert (ws / "agentops.lock").exists()
    assert (ws / "agents" / "app").is_dir() and (ws / "agents" / "base").is_dir()


def test_lowering_the_clearance_refuses_what_is_installed(agentops, tmp_path):
    registry = tmp_path / "registry"
    publish(agentops, make(tmp_path / "src", "app", "cui"), registry)
    ws = workspace(tmp_path, registry, "cui")
    agentops("package", "install", "app", cwd=ws)
    lock = (ws / "agentops.lock").read_text()
    text = (ws / "agentops.yaml").read_text().replace("classification: cui", "classification: unclassified")
    (ws / "agentops.yaml").write_text(text)
    run = agentops("package", "install", cwd=ws, expect=1)
    assert "app is 'cui', above workspace level 'unclassified'" in run.err
    assert (ws / "agentops.lock").read_text() == lock


def test_install_refuses_a_package_depending_on_a_higher_one(agentops, tmp_path):
    registry = tmp_path / "registry"
    _, base = publish(agentops, make(tmp_path / "src", "base", "secret"), registry)
    _, app = publish(agentops, make(tmp_path / "src", "app", "cui", deps=("base",)), registry)
    ws = workspace(tmp_path, registry, None)
    before = (ws / "agentops.yaml").read_text()
    run = agentops("package", "install", "app", cwd=ws, expect=1)
    assert "depends on a package classified above it: app -> base" in run.err
    assert "app ('cui') depends on base ('secret')" in run.err
    assert_nothing_written(agentops, ws, before, [base, app])


def test_publish_refuses_to_write_down(agentops, tmp_path):
    registry = tmp_path / "registry"
    init = agentops("registry", "init", registry, "--classification", "cui", "--json")
    assert json.loads(init.out)["settings"] == {"format": 1, "classification": "cui"}
    index_before = sorted(p.relative_to(registry) for p in registry.rglob("*"))
    run, _ = publish(agentops, make(tmp_path / "src", "intel", "secret"), registry, expect=1)
    assert "write down refused: intel@1.0.0 is classified 'secret', above the level 'cui'" in run.err
    assert sorted(p.relative_to(registry) for p in registry.rglob("*")) == index_before
    publish(agentops, make(tmp_path / "src", "notes", "cui"), registry)
    publish(agentops, make(tmp_path / "src", "plain"), registry)
    assert (registry / "index" / "notes.json").exists() and not (registry / "index" / "intel.json").exists()


def test_registry_init_refuses_an_unknown_level(agentops, tmp_path):
    run = agentops("registry", "init", tmp_path / "registry", "--classification", "classified", expect=2)
    assert "unknown classification level 'classified'" in run.err
    assert not (tmp_path / "registry").exists()


def test_validate_and_build_refuse_an_unknown_level(agentops, tmp_path):
    folder = make(tmp_path / "src", "app", "ultra")
    run = agentops("package", "validate", folder, expect=1)
    assert "unknown classification level 'ultra'" in run.out + run.err
    agentops("package", "build", folder, "-o", tmp_path / "dist", expect=1)
    assert not (tmp_path / "dist" / "app-1.0.0.tar.gz").exists()


def test_configured_levels_in_the_workspace(agentops, tmp_path):
    registry = tmp_path / "registry"
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "agentops.yaml").write_text(
        f"registries:\n  - {registry}\nclassification_levels: [public, internal, restricted]\n"
        "classification: internal\n")
    publish_from_ws = make(tmp_path / "src", "memo", "restricted")
    archive = agentops("package", "build", publish_from_ws, "-o", tmp_path / "dist", cwd=ws).lines[-1]
    agentops("package", "publish", archive, cwd=ws)
    run = agentops("package", "install", "memo", cwd=ws, expect=1)
    assert "memo is 'restricted', above workspace level 'internal'" in run.err

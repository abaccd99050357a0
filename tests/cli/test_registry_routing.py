"""Registries routed by team (agentops.yaml `registries: {default, teams}`), and the list form kept
safe: through the real command, against real directory registries (and one served over HTTP).

The registries, each a directory beside the workspaces:
- ``default``: shared 1.0.0, team-beta/notes 1.0.0, and an impostor team-alpha/desk 2.0.0;
- ``alpha``: team-alpha/desk 1.0.0, the real one;
- ``beta`` (added later in some tests): higher versions of everything.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import write_package
from registry_server import StaticServer

ROUTED = "registries:\n  default: ../default\n  teams:\n    team-alpha: ../alpha\n"


def _lock(ws: Path) -> dict:
    return json.loads((ws / "agentops.lock").read_text())["packages"]


def _versions(ws: Path) -> dict[str, str]:
    return {name: pkg["version"] for name, pkg in _lock(ws).items()}


def _workspace(root: Path, name: str, registries: str, packages: dict[str, str] | None = None) -> Path:
    ws = root / name
    ws.mkdir()
    listed = "".join(f"  {package}: '{spec}'\n" for package, spec in (packages or {}).items())
    (ws / "agentops.yaml").write_text(registries + ("packages:\n" + listed if listed else ""))
    return ws


@pytest.fixture
def world(agentops, tmp_path):
    """The three registries (beta still empty) and a function publishing a package into one."""
    src = tmp_path / "src"

    def publish(registry: str, name: str, version: str, body: str = "Handle the request.") -> str:
        archive = agentops.build_folder(write_package(src / registry, name, version, body=body))
        agentops("package", "publish", archive, "--registry", tmp_path / registry)
        return json.loads(agentops("package", "info", f"{name}@{version}", "--registry", tmp_path / registry,
                                   "--json").out)["sha256"]

    publish("default", "shared", "1.0.0")
    publish("default", "team-beta/notes", "1.0.0")
    publish("default", "team-alpha/desk", "2.0.0", body="An impostor.")
    publish.desk = publish("alpha", "team-alpha/desk", "1.0.0", body="The real desk.")
    return publish


def test_install_reads_each_name_from_the_one_registry_routed_for_it(agentops, world, tmp_path):
    ws = _workspace(tmp_path, "ws", ROUTED)
    run = agentops("package", "install", "team-alpha/desk", "shared", "team-beta/notes", cwd=ws)
    assert "+ team-alpha/desk@1.0.0 from ../alpha" in run.out
    assert "+ shared@1.0.0 from ../default" in run.out
    assert "+ team-beta/notes@1.0.0 from ../default" in run.out  # a team with no route goes to default
    assert _versions(ws) == {"team-alpha/desk": "1.0.0", "shared": "1.0.0", "team-beta/notes": "1.0.0"}
    assert _lock(ws)["team-alpha/desk"]["sha256"] == world.desk
    assert "The real desk." in (ws / "agents" / "team-alpha" / "desk" / "agent-0.md").read_text()
    assert {pkg["source"] for pkg in _lock(ws).values()} == {"registry"}  # the lock does not name registries


def test_install_and_update_json_say_which_registry_answered(agentops, world, tmp_path):
    ws = _workspace(tmp_path, "ws", ROUTED)
    run = agentops("package", "install", "team-alpha/desk", "shared@1.0.0", "--json", cwd=ws)
    changes = {c["name"]: c for c in json.loads(run.out)["changes"]}
    assert changes["team-alpha/desk"]["registry"] == "../alpha"
    assert changes["shared"]["registry"] == "../default"
    world("default", "shared", "1.1.0")
    (ws / "agentops.yaml").write_text((ws / "agentops.yaml").read_text().replace("shared: 1.0.0", "shared: ^1.0.0"))
    run = agentops("package", "update", "--json", cwd=ws)
    assert json.loads(run.out)["changes"] == [{"name": "shared", "from": "1.0.0", "to": "1.1.0", "kind": "upgrade",
                                               "registry": "../default"}]
    run = agentops("package", "uninstall", "shared", "--json", cwd=ws)
    assert json.loads(run.out)["changes"] == [{"name": "shared", "from": "1.1.0", "to": None, "kind": "remove",
                                               "registry": None}]


def test_info_says_which_registry_answered_and_the_registry_option_overrides_routing(agentops, world, tmp_path):
    ws = _workspace(tmp_path, "ws", ROUTED)
    run = agentops("package", "info", "team-alpha/desk", cwd=ws)
    assert run.lines[0].startswith("team-alpha/desk@1.0.0 - ")
    assert "  registry: ../alpha" in run.lines
    info = json.loads(agentops("package", "info", "team-alpha/desk", "--json", cwd=ws).out)
    assert (info["version"], info["registry"], info["versions"]) == ("1.0.0", "../alpha", ["1.0.0"])
    assert json.loads(agentops("package", "info", "shared", "--json", cwd=ws).out)["registry"] == "../default"
    # --registry answers for every package, whatever agentops.yaml routes.
    info = json.loads(agentops("package", "info", "team-alpha/desk", "--json", "--registry", tmp_path / "default",
                               cwd=ws).out)
    assert (info["version"], info["registry"]) == ("2.0.0", str(tmp_path / "default"))
    run = agentops("package", "install", "team-alpha/desk", "--registry", tmp_path / "default", cwd=ws)
    assert f"+ team-alpha/desk@2.0.0 from {tmp_path / 'default'}" in run.out


def test_a_name_its_registry_lacks_is_not_found_whatever_another_registry_holds(agentops, world, tmp_path):
    world("default", "team-alpha/stray", "1.0.0")
    ws = _workspace(tmp_path, "ws", ROUTED, {"shared": "^1.0.0"})
    agentops("package", "install", cwd=ws)
    before = (ws / "agentops.lock").read_bytes()
    run = agentops("package", "info", "team-alpha/stray", cwd=ws, expect=1)
    assert "team-alpha/stray is not published in ../alpha (team team-alpha)" in run.err
    run = agentops("package", "install", "team-alpha/stray", cwd=ws, expect=1)
    assert "team-alpha/stray" in run.err
    assert (ws / "agentops.lock").read_bytes() == before
    assert "team-alpha/stray" not in agentops("package", "search", "", cwd=ws).out  # nor offered by search
    assert "team-alpha/desk (1.0.0)" in agentops("package", "search", "desk", cwd=ws).out


def test_adding_a_team_registry_never_changes_the_version_chosen_for_other_names(agentops, world, tmp_path):
    ws = _workspace(tmp_path, "ws", ROUTED, {"team-alpha/desk": "*", "shared": "*"})
    agentops("package", "install", cwd=ws)
    before = (ws / "agentops.lock").read_bytes()
    for name in ("shared", "team-alpha/desk", "team-beta/notes"):  # higher versions of everything
        world("beta", name, "9.0.0")
    (ws / "agentops.yaml").write_text((ws / "agentops.yaml").read_text().replace(
        "    team-alpha: ../alpha\n", "    team-alpha: ../alpha\n    team-beta: ../beta\n"))
    run = agentops("package", "update", cwd=ws)
    assert "9.0.0" not in run.out
    assert (ws / "agentops.lock").read_bytes() == before
    # Only team-beta's names are read from the new registry, and only because agentops.yaml says so.
    run = agentops("package", "install", "team-beta/notes", cwd=ws)
    assert "+ team-beta/notes@9.0.0 from ../beta" in run.out
    assert _versions(ws) == {"team-alpha/desk": "1.0.0", "shared": "1.0.0", "team-beta/notes": "9.0.0"}


@pytest.mark.parametrize("position", ["after", "before"])
def test_list_form_a_registry_added_with_a_higher_version_stops_update_naming_both(agentops, world, tmp_path,
                                                                                   position):
    """The scenario routing exists for: with first-match-wins, adding a registry holding a higher
    version of an installed package would move it silently (or, listed first, shadow it)."""
    ws = _workspace(tmp_path, "ws", "registries:\n  - ../default\n", {"shared": "^1.0.0"})
    agentops("package", "install", cwd=ws)
    before = (ws / "agentops.lock").read_bytes()
    world("beta", "shared", "1.0.0", body="Another shared 1.0.0.")
    world("beta", "shared", "1.1.0")
    listed = ["../default", "../beta"] if position == "after" else ["../beta", "../default"]
    (ws / "agentops.yaml").write_text("registries:\n" + "".join(f"  - {r}\n" for r in listed)
                                      + "packages:\n  shared: ^1.0.0\n")
    agentops("package", "install", cwd=ws)  # nothing to choose: the lock still answers
    assert (ws / "agentops.lock").read_bytes() == before
    for args in (("package", "update"), ("package", "install", "shared"), ("package", "info", "shared")):
        run = agentops(*args, cwd=ws, expect=1)
        assert "shared is in two registries that disagree about it" in run.err
        assert "../default lists 1.0.0" in run.err and "../beta lists 1.0.0, 1.1.0" in run.err
        assert "1.0.0 has another sha256 in each" in run.err
        assert "mapping form" in run.err
        assert (ws / "agentops.lock").read_bytes() == before
        assert _versions(ws) == {"shared": "1.0.0"}


def test_list_form_a_mirror_with_the_same_content_answers_and_new_names_are_found(agentops, world, tmp_path):
    shutil.copytree(tmp_path / "default", tmp_path / "mirror")
    world("beta", "only-in-beta", "1.0.0")
    ws = _workspace(tmp_path, "ws", "registries:\n  - ../mirror\n  - ../default\n  - ../beta\n")
    run = agentops("package", "install", "shared", "only-in-beta", cwd=ws)
    assert "+ shared@1.0.0 from ../mirror" in run.out  # the two agree: the first answers
    assert "+ only-in-beta@1.0.0 from ../beta" in run.out
    assert agentops("package", "update", cwd=ws).code == 0


def test_list_form_a_listed_registry_that_is_missing_is_an_error(agentops, world, tmp_path):
    ws = _workspace(tmp_path, "ws", "registries:\n  - ../default\n  - ../nowhere\n")
    run = agentops("package", "install", "shared", cwd=ws, expect=1)
    assert "nowhere does not exist" in run.err
    assert not (ws / "agentops.lock").exists()


def test_a_mapping_without_default_sends_unscoped_names_where_a_workspace_without_registries_looks(
        agentops, world, tmp_path):
    agentops.publish_folder(write_package(tmp_path / "src" / "embedded", "shared", "3.0.0"))
    ws = _workspace(tmp_path, "ws", f"registries:\n  teams:\n    team-alpha: file://{tmp_path / 'alpha'}\n")
    run = agentops("package", "install", "shared", "team-alpha/desk", cwd=ws)
    assert f"+ shared@3.0.0 from {agentops.default_registry}" in run.out
    assert f"+ team-alpha/desk@1.0.0 from file://{tmp_path / 'alpha'}" in run.out
    env = {"AGENTOPS_REGISTRY": str(tmp_path / "default")}
    info = json.loads(agentops("package", "info", "shared", "--json", cwd=ws, env=env).out)
    assert (info["version"], info["registry"]) == ("1.0.0", str(tmp_path / "default"))


def test_publish_writes_a_package_to_the_registry_routed_for_its_name(agentops, world, tmp_path):
    ws = _workspace(tmp_path, "ws", ROUTED)
    archive = agentops.build_folder(write_package(tmp_path / "src" / "new", "team-alpha/triage", "1.0.0"))
    run = agentops("package", "publish", archive, cwd=ws)
    assert "Published team-alpha/triage@1.0.0 to ../alpha" in run.out
    assert (tmp_path / "alpha" / "index" / "team-alpha" / "triage.json").is_file()
    assert not (tmp_path / "default" / "index" / "team-alpha" / "triage.json").exists()
    archive = agentops.build_folder(write_package(tmp_path / "src" / "new", "plain", "1.0.0"))
    assert "Published plain@1.0.0 to ../default" in agentops("package", "publish", archive, cwd=ws).out


def test_a_team_may_be_routed_to_an_http_registry_which_offline_answers_from_the_cache(agentops, world, tmp_path):
    for key in [key for key in agentops.env if key.lower().endswith("_proxy")]:
        del agentops.env[key]  # requests to 127.0.0.1 must not go through a proxy the machine names
    with StaticServer(tmp_path / "alpha") as server:
        routed = f"registries:\n  default: ../default\n  teams:\n    team-alpha: {server.url}\n"
        ws = _workspace(tmp_path, "ws", routed, {"team-alpha/desk": "*", "shared": "*"})
        run = agentops("package", "install", cwd=ws)
        assert f"+ team-alpha/desk@1.0.0 from {server.url}" in run.out  # not the impostor 2.0.0 of ../default
        assert "+ shared@1.0.0 from ../default" in run.out
        assert _lock(ws)["team-alpha/desk"]["sha256"] == world.desk
        assert "/index/team-alpha/desk.json" in server.paths()
        assert "/index/shared.json" not in server.paths()  # unscoped names are never asked of the team's registry
        assert f"  registry: {server.url}" in agentops("package", "info", "team-alpha/desk", cwd=ws).lines
        # publish goes to the registry routed for the name, and a URL registry is read-only.
        archive = agentops.build_folder(write_package(tmp_path / "src" / "new", "team-alpha/triage", "1.0.0"))
        run = agentops("package", "publish", archive, cwd=ws, expect=1)
        assert f"registry {server.url} is read-only" in run.err
        assert not (tmp_path / "default" / "index" / "team-alpha" / "triage.json").exists()
    # The server is gone: --offline still installs the team's package, from what the cache kept.
    offline = _workspace(tmp_path, "offline", routed, {"team-alpha/desk": "*", "shared": "*"})
    agentops("package", "install", "--offline", cwd=offline)
    assert _versions(offline) == {"team-alpha/desk": "1.0.0", "shared": "1.0.0"}
    assert _lock(offline)["team-alpha/desk"]["sha256"] == world.desk
    assert "The real desk." in (offline / "agents" / "team-alpha" / "desk" / "agent-0.md").read_text()
    run = agentops("package", "install", "team-alpha/desk", cwd=_workspace(tmp_path, "online", routed),
                   expect=1)
    assert f"cannot reach registry {server.url}" in run.err


def test_bundles_collect_with_the_same_routing_and_a_routed_lock_installs_anywhere(agentops, far, world, tmp_path):
    ws = _workspace(tmp_path, "ws", ROUTED, {"team-alpha/desk": "*", "shared": "*"})
    agentops("package", "install", cwd=ws)
    lock = (ws / "agentops.lock").read_bytes()
    by_specs = json.loads(agentops("bundle", "collect", "team-alpha/desk", "-o", tmp_path / "specs.bundle",
                                   "--json", cwd=ws).out)
    assert [(p["name"], p["version"], p["sha256"]) for p in by_specs["packages"]] == [
        ("team-alpha/desk", "1.0.0", world.desk)]
    by_lock = json.loads(agentops("bundle", "collect", "--lock", "-o", tmp_path / "site.bundle", "--json",
                                  cwd=ws).out)
    assert {p["name"]: p["version"] for p in by_lock["packages"]} == {"team-alpha/desk": "1.0.0", "shared": "1.0.0"}
    # A fresh clone beside the same registries gets the same lock under --frozen ...
    clone = _workspace(tmp_path, "clone", "")
    for name in ("agentops.yaml", "agentops.lock"):
        shutil.copy(ws / name, clone / name)
    far("package", "install", "--frozen", cwd=clone)
    assert (clone / "agentops.lock").read_bytes() == lock
    # ... and so does one on the far side of a gap, from the one registry the bundle was loaded into.
    enclave = tmp_path / "enclave-registry"
    far("bundle", "load", tmp_path / "site.bundle", "--registry", enclave)
    gapped = _workspace(tmp_path, "gapped", "")
    for name in ("agentops.yaml", "agentops.lock"):
        shutil.copy(ws / name, gapped / name)
    far("package", "install", "--frozen", "--offline", "--registry", enclave, cwd=gapped)
    assert (gapped / "agentops.lock").read_bytes() == lock


def test_a_bad_registries_mapping_is_reported_with_file_and_line(agentops, tmp_path):
    ws = _workspace(tmp_path, "ws", "registries:\n  default: ../default\n  temas:\n    Team_Alpha: ../alpha\n"
                                    "  teams:\n    team/alpha: ../alpha\n")
    run = agentops("package", "install", cwd=ws, expect=1)
    manifest = ws / "agentops.yaml"
    assert f"{manifest}:3: registries: unknown key 'temas' (did you mean teams?)" in run.err
    assert f"{manifest}:6: registries.teams: invalid team name 'team/alpha'" in run.err

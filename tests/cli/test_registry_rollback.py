"""Rollback and freeze: a registry index older than one already seen never downgrades a pin.

Every scenario publishes real versions, keeps a copy of an index as it was at some point, and later
puts that copy back, as an attacker (or a restored backup) serving an old-but-valid index would.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import write_package


def _index(agentops, name: str) -> Path:
    return agentops.default_registry / "index" / f"{name}.json"


def _lock_versions(ws: Path) -> dict[str, str]:
    packages = json.loads((ws / "agentops.lock").read_text())["packages"]
    return {name: pkg["version"] for name, pkg in packages.items()}


@pytest.fixture
def rolled_back(agentops, tmp_path):
    """a@1.1.0 pinned in a workspace, then the registry's index of a put back to the 1.0.0 one."""
    src = tmp_path / "src"
    agentops.publish_folder(write_package(src, "a", "1.0.0"))
    old = tmp_path / "a-1.0.0-index.json"
    shutil.copy(_index(agentops, "a"), old)
    agentops.publish_folder(write_package(src, "a", "1.1.0"))
    agentops.publish_folder(write_package(src, "b", "1.0.0"))
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "a@^1.0.0", cwd=ws)
    assert _lock_versions(ws) == {"a": "1.1.0"}
    shutil.copy(old, _index(agentops, "a"))
    return ws


def _assert_refused(run, ws: Path, before: bytes) -> None:
    assert run.code == 1
    assert (ws / "agentops.lock").read_bytes() == before
    assert "Traceback" not in run.err


def test_installing_another_package_never_downgrades_a_pin_from_an_older_index(agentops, rolled_back):
    ws = rolled_back
    before = (ws / "agentops.lock").read_bytes()
    run = agentops("package", "install", "b", cwd=ws, expect=1)
    _assert_refused(run, ws, before)
    assert "a" in run.err and str(agentops.default_registry) in run.err
    assert _lock_versions(ws) == {"a": "1.1.0"}


def test_update_never_downgrades_a_pin_from_an_older_index(agentops, rolled_back):
    ws = rolled_back
    before = (ws / "agentops.lock").read_bytes()
    for args in (("package", "update"), ("package", "update", "a")):
        run = agentops(*args, cwd=ws, expect=1)
        _assert_refused(run, ws, before)


def _serial(index: Path) -> int:
    return json.loads(index.read_text())["serial"]


def test_an_older_serial_is_refused_with_a_clear_error(agentops, rolled_back, tmp_path):
    old = _serial(_index(agentops, "a"))
    run = agentops("package", "install", "b", "--json", cwd=rolled_back, expect=1)
    error = json.loads(run.out)
    assert error["error"] == "rollback"
    assert "index of a" in error["message"] and str(agentops.default_registry) in error["message"]
    assert f"(serial {old})" in error["message"]
    assert "registry forget" in error["hint"]


def test_a_missing_pinned_version_is_named_even_without_serials(agentops, rolled_back):
    """An index written before serials existed (serial 0) is still installable, but it cannot
    hide a version the lock pins: the error names the registry, the package and the version."""
    index = json.loads(_index(agentops, "a").read_text())
    index.pop("serial", None)
    _index(agentops, "a").write_text(json.dumps(index))
    state = agentops.home / "state"
    shutil.rmtree(state, ignore_errors=True)  # a client that never saw a serial for this registry
    run = agentops("package", "install", "b", cwd=rolled_back, expect=1)
    assert "a@1.1.0" in run.err and str(agentops.default_registry) in run.err
    assert _lock_versions(rolled_back) == {"a": "1.1.0"}


def test_the_highest_serial_seen_is_remembered_across_workspaces(agentops, tmp_path):
    """Another workspace of the same user, which never pinned anything, is refused the old index
    too: the client remembers serials per registry, not per workspace."""
    src = tmp_path / "src"
    agentops.publish_folder(write_package(src, "a", "1.0.0"))
    old = tmp_path / "old.json"
    shutil.copy(_index(agentops, "a"), old)
    agentops.publish_folder(write_package(src, "a", "1.1.0"))
    agentops("package", "info", "a")  # reads the newer serial
    seen = _serial(_index(agentops, "a"))
    shutil.copy(old, _index(agentops, "a"))
    for number, args in enumerate((("package", "info", "a"), ("package", "install", "a"))):
        other = tmp_path / f"other-{number}"
        other.mkdir()
        run = agentops(*args, cwd=other, expect=1)
        assert f"(serial {_serial(old)})" in run.err and f"(serial {seen})" in run.err
        assert not (other / "agentops.lock").exists()


def test_an_install_that_fails_still_remembers_the_serials_it_accepted(agentops, tmp_path):
    """An install writes the serials it accepts once, when its reads are done; one that fails
    after reading newer indexes (here: a dependency nobody published) remembers them all the same."""
    src = tmp_path / "src"
    agentops.publish_folder(write_package(src, "b", "1.0.0"))
    agentops.publish_folder(write_package(src, "a", "1.0.0", deps=("b@^1.0.0", "nobody@^1.0.0")))
    old = tmp_path / "old.json"
    shutil.copy(_index(agentops, "b"), old)
    agentops.publish_folder(write_package(src, "b", "1.1.0"))
    ws = tmp_path / "ws"
    ws.mkdir()
    failed = agentops("package", "install", "a", cwd=ws, expect=1)
    assert "nobody" in failed.err and not (ws / "agentops.lock").exists()
    shutil.copy(old, _index(agentops, "b"))  # rolled back after the failed install read it
    run = agentops("package", "install", "b", cwd=ws, expect=1)
    assert f"(serial {_serial(old)})" in run.err


def test_indexes_without_a_serial_keep_installing(agentops, tmp_path):
    src = tmp_path / "src"
    agentops.publish_folder(write_package(src, "a", "1.0.0"))
    index = json.loads(_index(agentops, "a").read_text())
    del index["serial"]
    _index(agentops, "a").write_text(json.dumps(index))
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "a", cwd=ws)
    assert _lock_versions(ws) == {"a": "1.0.0"}
    # The next publish gives the index a serial; the client accepts it as newer than none.
    agentops.publish_folder(write_package(src, "a", "1.1.0"))
    assert _serial(_index(agentops, "a")) > 0
    agentops("package", "update", cwd=ws)
    assert _lock_versions(ws) == {"a": "1.1.0"}


def test_serials_increase_with_every_write_of_an_index(agentops, tmp_path):
    src = tmp_path / "src"
    serials = []
    for version in ("1.0.0", "1.0.1", "2.0.0"):
        agentops.publish_folder(write_package(src, "a", version))
        serials.append(_serial(_index(agentops, "a")))
    assert serials == sorted(set(serials))


def test_an_index_far_ahead_of_the_clock_still_only_grows(agentops, tmp_path):
    """Serials follow the registry's clock but never go back, even when an index is ahead of it."""
    src = tmp_path / "src"
    agentops.publish_folder(write_package(src, "a", "1.0.0"))
    index = json.loads(_index(agentops, "a").read_text())
    index["serial"] = 2**52
    _index(agentops, "a").write_text(json.dumps(index))
    agentops.publish_folder(write_package(src, "a", "1.1.0"))
    assert _serial(_index(agentops, "a")) == 2**52 + 1


def test_a_registry_rebuilt_from_the_same_bundle_is_not_a_rollback(agentops, tmp_path):
    """Serials come from the writer's clock, so wiping a registry and loading the same bundle
    into it again (an air-gap operator's rebuild) serves newer serials than its first life."""
    src = tmp_path / "src"
    for name in ("a", "b"):
        agentops.publish_folder(write_package(src, name, "1.0.0"))
    bundle = tmp_path / "ab.bundle"
    agentops("bundle", "collect", "a", "b", "-o", bundle)
    far = tmp_path / "far"
    agentops("bundle", "load", bundle, "--registry", far)
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "a", "--registry", far, cwd=ws)
    shutil.rmtree(far)
    agentops("bundle", "load", bundle, "--registry", far)
    agentops("package", "install", "b", "--registry", far, cwd=ws)  # reads a's index again
    assert _lock_versions(ws) == {"a": "1.0.0", "b": "1.0.0"}


def test_two_spellings_of_one_registry_share_what_is_remembered(agentops, rolled_back):
    run = agentops("package", "install", "b", "--registry", f"file://{agentops.default_registry}",
                   cwd=rolled_back, expect=1)
    assert "serial" in run.err


def test_an_explicit_downgrade_is_allowed_and_printed(agentops, tmp_path):
    src = tmp_path / "src"
    for version in ("1.0.0", "1.1.0"):
        agentops.publish_folder(write_package(src, "a", version))
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "a", cwd=ws)
    run = agentops("package", "install", "a@1.0.0", cwd=ws)
    assert "downgrade" in run.out and "1.1.0 -> 1.0.0" in run.out
    assert _lock_versions(ws) == {"a": "1.0.0"}
    run = agentops("package", "install", "a@1.1.0", "--json", cwd=ws)
    assert json.loads(run.out)["changes"] == [{"name": "a", "from": "1.0.0", "to": "1.1.0", "kind": "upgrade",
                                                   "registry": str(agentops.default_registry)}]
    run = agentops("package", "install", "a@1.0.0", "--json", cwd=ws)
    assert json.loads(run.out)["changes"] == [{"name": "a", "from": "1.1.0", "to": "1.0.0", "kind": "downgrade",
                                                   "registry": str(agentops.default_registry)}]


def test_an_explicit_downgrade_is_allowed_when_the_registry_lost_the_pinned_version(agentops, rolled_back):
    """The way out when a registry really lost a version: ask for one it has, on purpose. The
    client must first be told to accept the restored registry's older serial."""
    ws = rolled_back
    run = agentops("package", "install", "a@1.0.0", cwd=ws, expect=1)
    assert "serial" in run.err
    agentops("registry", "forget", "--registry", agentops.default_registry)
    run = agentops("package", "install", "b", cwd=ws, expect=1)  # still never silent
    assert "a@1.1.0" in run.err
    run = agentops("package", "install", "a@1.0.0", cwd=ws)
    assert "downgrade" in run.out
    assert _lock_versions(ws) == {"a": "1.0.0"}


def test_a_dependency_pin_is_protected_too(agentops, tmp_path):
    src = tmp_path / "src"
    agentops.publish_folder(write_package(src, "lib", "1.0.0"))
    old = tmp_path / "old.json"
    shutil.copy(_index(agentops, "lib"), old)
    agentops.publish_folder(write_package(src, "lib", "1.1.0"))
    agentops.publish_folder(write_package(src, "app", "1.0.0", deps=("lib@^1.0.0",)))
    agentops.publish_folder(write_package(src, "other", "1.0.0"))
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "app", cwd=ws)
    assert _lock_versions(ws) == {"app": "1.0.0", "lib": "1.1.0"}
    shutil.copy(old, _index(agentops, "lib"))
    before = (ws / "agentops.lock").read_bytes()
    run = agentops("package", "install", "other", cwd=ws, expect=1)
    _assert_refused(run, ws, before)
    assert "lib" in run.err


@pytest.mark.parametrize("content", ["{not json", '{"registry": "x", "serials": {"a": "9"}}',
                                     '{"registry": "x", "serials": {"../a": 1}}', '[]', "{}" + " " * 9_000_000])
def test_a_damaged_seen_serials_file_is_a_clear_error(agentops, tmp_path, content):
    src = tmp_path / "src"
    agentops.publish_folder(write_package(src, "a", "1.0.0"))
    agentops("package", "info", "a")
    files = list((agentops.home / "state").rglob("*.json"))
    assert len(files) == 1
    files[0].write_text(content)
    run = agentops("package", "info", "a", expect=1)
    assert str(files[0]) in run.err
    assert "hint:" in run.err


def test_stripping_the_serial_from_a_seen_index_is_a_rollback(agentops, tmp_path):
    src = tmp_path / "src"
    agentops.publish_folder(write_package(src, "a", "1.0.0"))
    agentops("package", "info", "a")
    index = json.loads(_index(agentops, "a").read_text())
    del index["serial"]
    _index(agentops, "a").write_text(json.dumps(index))
    run = agentops("package", "info", "a", expect=1)
    assert "(serial 0)" in run.err


def test_a_registry_that_drops_a_seen_package_is_not_silently_replaced_by_another(agentops, tmp_path):
    """Two registries: the first loses its index of a, the second has an older a. Falling through
    to the second would substitute its package; the client refuses instead. (Both holding a
    from the start is refused outright: listed registries must agree on a package.)"""
    src = tmp_path / "src"
    first, second = tmp_path / "first", tmp_path / "second"
    agentops("package", "publish", agentops.build_folder(write_package(src, "a", "1.1.0")), "--registry", first)
    agentops("package", "publish", agentops.build_folder(write_package(src, "b", "1.0.0")), "--registry", first)
    agentops("registry", "init", second)
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "agentops.yaml").write_text(f"registries:\n  - {first}\n  - {second}\npackages:\n  a: '*'\n")
    agentops("package", "install", cwd=ws)
    assert _lock_versions(ws) == {"a": "1.1.0"}
    agentops("package", "publish", agentops.build_folder(write_package(src, "a", "1.0.0")), "--registry", second)
    (first / "index" / "a.json").unlink()
    for args in (("package", "install", "b"), ("package", "info", "a")):
        run = agentops(*args, cwd=ws, expect=1)
        assert f"registry {first} no longer has an index of a" in run.err
    assert _lock_versions(ws) == {"a": "1.1.0"}


def test_moving_a_pin_on_purpose_needs_no_listed_pin(agentops, rolled_back):
    """Without a remembered serial (a fresh machine), only the missing-pin check stands: it lets a
    pin move when the user asks for a version outside it (command line or agentops.yaml), never
    when the request still admits the pinned version."""
    ws = rolled_back
    shutil.rmtree(agentops.home / "state")
    run = agentops("package", "install", "a", cwd=ws, expect=1)  # re-resolves; any version would do
    assert "a@1.1.0" in run.err
    (ws / "agentops.yaml").write_text("packages:\n  a: '~1.0.0'\n")
    run = agentops("package", "install", cwd=ws)
    assert "a 1.1.0 -> 1.0.0 (downgrade)" in run.out
    assert _lock_versions(ws) == {"a": "1.0.0"}


def test_a_downgrade_forced_by_another_package_is_printed(agentops, tmp_path):
    """Installing c, which needs a@~1.0.0, moves the pinned a 1.1.0 down: allowed (every version
    is listed, no serial went back), but never silent, in text and in --json."""
    src = tmp_path / "src"
    for version in ("1.0.0", "1.1.0"):
        agentops.publish_folder(write_package(src, "a", version))
    agentops.publish_folder(write_package(src, "c", "1.0.0", deps=("a@~1.0.0",)))
    for number, extra in enumerate(((), ("--json",))):
        ws = tmp_path / f"ws-{number}"
        ws.mkdir()
        agentops("package", "install", "a@^1.0.0", cwd=ws)
        run = agentops("package", "install", "c", *extra, cwd=ws)
        if extra:
            assert {"name": "a", "from": "1.1.0", "to": "1.0.0", "kind": "downgrade",
                    "registry": str(agentops.default_registry)} in json.loads(run.out)["changes"]
        else:
            assert "a 1.1.0 -> 1.0.0 (downgrade)" in run.out

"""Yank and deprecate through the real command, on real directory registries: resolution skips a
yanked version unless a lock pins it or the workspace asks for exactly it; deprecation messages are
printed by install and update; nothing is ever deleted. Marks in bundles: tests/cli/test_bundles.py."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import write_package

REASON = "leaks the API token in agents/agent-0.md; use 1.2.0"


def _index(agentops, name: str = "a") -> dict:
    return json.loads((agentops.default_registry / "index" / f"{name}.json").read_text())


def _locked(ws: Path) -> dict[str, str]:
    return {n: p["version"] for n, p in json.loads((ws / "agentops.lock").read_text())["packages"].items()}


def _workspace(tmp_path: Path, name: str = "ws") -> Path:
    ws = tmp_path / name
    ws.mkdir()
    return ws


def _clone(ws: Path, tmp_path: Path) -> Path:
    """A fresh checkout of the workspace: only the files a team commits."""
    clone = _workspace(tmp_path, "clone")
    for file in ("agentops.yaml", "agentops.lock"):
        shutil.copy(ws / file, clone / file)
    return clone


@pytest.fixture
def published(agentops, tmp_path):
    """a@1.0.0 and a@1.1.0, b@1.0.0 in the default registry."""
    src = tmp_path / "src"
    for name, version in (("a", "1.0.0"), ("a", "1.1.0"), ("b", "1.0.0")):
        agentops.publish_folder(write_package(src, name, version))
    return src


def test_a_yanked_version_is_skipped_and_its_bytes_stay(agentops, published, tmp_path):
    blobs = sorted(p.name for p in (agentops.default_registry / "blobs" / "sha256").iterdir())
    serial = _index(agentops)["serial"]
    run = agentops("package", "yank", "a@1.1.0", "--reason", REASON)
    assert "Yanked a@1.1.0" in run.out
    assert _index(agentops)["serial"] > serial
    assert _index(agentops)["versions"]["1.1.0"]["yanked"]["reason"] == REASON
    assert sorted(p.name for p in (agentops.default_registry / "blobs" / "sha256").iterdir()) == blobs
    ws = _workspace(tmp_path)
    agentops("package", "install", "a", cwd=ws)
    assert _locked(ws) == {"a": "1.0.0"}
    assert "a: ^1.0.0" in (ws / "agentops.yaml").read_text()
    info = agentops("package", "info", "a", cwd=ws)
    assert info.lines[0].startswith("a@1.0.0 ")
    assert "versions: 1.0.0, 1.1.0 (yanked)" in info.out and f"yanked 1.1.0: {REASON}" in info.out
    shown = json.loads(agentops("package", "info", "a@=1.1.0", "--json", cwd=ws).out)
    assert shown["version"] == "1.1.0" and shown["yanked"] == REASON
    assert shown["yanked_versions"] == {"1.1.0": REASON}
    agentops("registry", "verify")  # the catalog agrees with the indexes


def test_a_lock_that_pins_a_yanked_version_keeps_it_with_a_warning(agentops, published, tmp_path):
    ws = _workspace(tmp_path)
    agentops("package", "install", "a", cwd=ws)
    assert _locked(ws) == {"a": "1.1.0"}
    agentops("package", "yank", "a@1.1.0", "--reason", REASON)
    clone = _clone(ws, tmp_path)
    frozen = agentops("package", "install", "--frozen", cwd=clone)
    assert _locked(clone) == {"a": "1.1.0"}
    assert f"warning: a@1.1.0 is yanked ({REASON})" in frozen.err
    assert "agentops package update a" in frozen.err
    more = agentops("package", "install", "b", "--json", cwd=ws)  # a re-resolve keeps the pin too
    assert _locked(ws) == {"a": "1.1.0", "b": "1.0.0"}
    assert json.loads(more.out)["yanked"] == [{"name": "a", "version": "1.1.0", "reason": REASON}]
    assert more.err == ""  # --json: the warning is a field, not text


def test_update_moves_off_a_yanked_pin_when_the_range_allows_and_keeps_it_otherwise(agentops, published,
                                                                                    tmp_path):
    ws = _workspace(tmp_path)
    agentops("package", "install", "a@^1.1.0", cwd=ws)
    agentops("package", "yank", "a@1.1.0", "--reason", REASON)
    kept = agentops("package", "update", "a", cwd=ws)  # ^1.1.0 allows nothing else: stay, say so
    assert _locked(ws) == {"a": "1.1.0"} and "a@1.1.0 is yanked" in kept.err
    agentops.publish_folder(write_package(tmp_path / "src", "a", "1.2.0"))
    moved = agentops("package", "update", "a", cwd=ws)
    assert _locked(ws) == {"a": "1.2.0"} and "a 1.1.0 -> 1.2.0" in moved.out and "yanked" not in moved.err


def test_update_may_move_down_from_a_yanked_pin(agentops, published, tmp_path):
    ws = _workspace(tmp_path)
    agentops("package", "install", "a@^1.0.0", cwd=ws)
    agentops("package", "yank", "a@1.1.0", "--reason", REASON)
    run = agentops("package", "update", cwd=ws)
    assert _locked(ws) == {"a": "1.0.0"} and "a 1.1.0 -> 1.0.0 (downgrade)" in run.out


@pytest.mark.parametrize("spec", ["a@=1.1.0", "a@1.1.0"])
def test_asking_for_exactly_a_yanked_version_installs_it_with_a_warning(agentops, published, tmp_path, spec):
    agentops("package", "yank", "a@1.1.0", "--reason", REASON)
    ws = _workspace(tmp_path)
    run = agentops("package", "install", spec, cwd=ws)
    assert _locked(ws) == {"a": "1.1.0"} and f"a@1.1.0 is yanked ({REASON})" in run.err
    agentops("package", "install", "b", cwd=ws)  # agentops.yaml still asks for exactly it
    assert _locked(ws)["a"] == "1.1.0"


def test_a_package_with_every_version_yanked_says_how_to_get_one(agentops, published, tmp_path):
    for version in ("1.0.0", "1.1.0"):
        agentops("package", "yank", f"a@{version}", "--reason", REASON)
    ws = _workspace(tmp_path)
    error = json.loads(agentops("package", "install", "a", "--json", cwd=ws, expect=1).out)
    assert "no version matches * (available: none; yanked: 1.0.0, 1.1.0)" in error["message"]
    assert "a@=1.1.0" in error["hint"]
    found = json.loads(agentops("package", "search", "--json").out)
    assert [(row["name"], row["latest"]) for row in found] == [("a", None), ("b", "1.0.0")]
    assert "a (every version yanked)" in agentops("package", "search", "a").out
    agentops("package", "yank", "a@1.1.0", "--undo")
    agentops("package", "install", "a", cwd=ws)
    assert _locked(ws) == {"a": "1.1.0"}


def test_yank_and_undo_report_what_changed(agentops, published):
    first = json.loads(agentops("package", "yank", "a@1.1.0", "--reason", REASON, "--json").out)
    assert first == {"name": "a", "version": "1.1.0", "registry": str(agentops.default_registry),
                     "yanked": True, "reason": REASON, "changed": True}
    serial = _index(agentops)["serial"]
    again = agentops("package", "yank", "a@1.1.0", "--reason", REASON)
    assert "already yanked with that reason" in again.out and _index(agentops)["serial"] == serial
    undo = json.loads(agentops("package", "yank", "a@1.1.0", "--undo", "--json").out)
    assert undo["yanked"] is False and undo["changed"] is True and _index(agentops)["serial"] > serial
    assert "not yanked" in agentops("package", "yank", "a@1.1.0", "--undo").out


@pytest.mark.parametrize(("args", "words"), [
    (("a@1.1.0",), "say why a@1.1.0 is yanked with --reason TEXT"),
    (("a@^1", "--reason", "x"), "yank takes one exact version"),
    (("a", "--reason", "x"), "yank takes one exact version"),
    (("a@1.1.0", "--reason", "two\nlines"), "control character U+000A"),
    (("a@1.1.0", "--reason", "x" * 501), "the limit is 500"),
    (("a@1.1.0", "--reason", "hid\u200bden"), "zero-width character U+200B"),
    (("a@1.1.0", "--undo", "--reason", "x"), "--undo takes no --reason"),
])
def test_yank_refuses_misuse_and_changes_nothing(agentops, published, args, words):
    before = _index(agentops)
    run = agentops("package", "yank", *args, "--json", expect=2)
    assert words in json.loads(run.out)["message"]
    assert _index(agentops) == before


def test_yank_of_an_unknown_version_lists_the_published_ones(agentops, published):
    error = json.loads(agentops("package", "yank", "a@9.0.0", "--reason", "x", "--json", expect=1).out)
    assert "a@9.0.0" in error["message"] and "1.0.0, 1.1.0" in error["hint"]


def test_yank_writes_to_the_registry_it_is_given(agentops, tmp_path):
    other = tmp_path / "other-registry"
    archive = agentops.build_folder(write_package(tmp_path / "src", "a", "1.0.0"))
    agentops("package", "publish", archive, "--registry", other)
    agentops("package", "yank", "a@1.0.0", "--reason", REASON, "--registry", other)
    index = json.loads((other / "index" / "a.json").read_text())
    assert index["versions"]["1.0.0"]["yanked"]["reason"] == REASON
    assert not agentops.default_registry.exists()


def test_deprecation_is_printed_by_install_and_update_and_can_cover_a_range(agentops, published, tmp_path):
    run = agentops("package", "deprecate", "a@<1.1", "--message", "use b instead")
    assert "Deprecated a 1.0.0" in run.out
    ws = _workspace(tmp_path)
    install = agentops("package", "install", "a@1.0.0", cwd=ws)
    assert "warning: a@1.0.0 is deprecated: use b instead" in install.err
    update = json.loads(agentops("package", "update", "--json", cwd=ws).out)  # 1.0.0 is asked for exactly
    assert update["deprecated"] == [{"name": "a", "version": "1.0.0", "message": "use b instead"}]
    fresh = _workspace(tmp_path, "fresh")
    assert "deprecated" not in agentops("package", "install", "a", cwd=fresh).err  # 1.1.0 is not deprecated
    whole = json.loads(agentops("package", "deprecate", "a", "--message", "use b", "--json").out)
    assert whole["versions"] == ["1.0.0", "1.1.0"] and whole["changed"] == ["1.0.0", "1.1.0"]
    info = agentops("package", "info", "a")
    assert "DEPRECATED: use b" in info.out
    assert "[deprecated: use b]" in agentops("package", "search", "a").out
    agentops("package", "deprecate", "a", "--undo")
    assert json.loads(agentops("package", "info", "a", "--json").out)["deprecated"] is None


def test_deprecate_refuses_misuse(agentops, published):
    for args, code, words in [(("a@latest",), 2, "not @latest"),
                              (("a", "--undo", "--message", "x"), 2, "--undo takes no --message"),
                              (("a", "--message", "bell\a"), 2, "control character U+0007"),
                              (("a@>=5",), 1, "no version of a in >=5")]:
        error = json.loads(agentops("package", "deprecate", *args, "--json", expect=code).out)
        assert words in error["message"], error


def test_outdated_never_suggests_a_yanked_version_and_flags_a_yanked_install(agentops, published, tmp_path):
    older = _workspace(tmp_path, "older")
    agentops("package", "install", "a@1.0.0", cwd=older)
    agentops("package", "install", "a@^1.0.0", cwd=older)  # the range widens, the pin stays
    newer = _workspace(tmp_path, "newer")
    agentops("package", "install", "a@^1.0.0", cwd=newer)
    assert (_locked(older), _locked(newer)) == ({"a": "1.0.0"}, {"a": "1.1.0"})
    assert json.loads(agentops("package", "outdated", "--json", cwd=older).out)[0]["latest"] == "1.1.0"
    agentops("package", "yank", "a@1.1.0", "--reason", REASON)
    assert agentops("package", "outdated", cwd=older).out.strip() == "All packages are up to date."
    rows = json.loads(agentops("package", "outdated", "--json", cwd=newer).out)
    assert rows == [{"name": "a", "current": "1.1.0", "wanted": "1.0.0", "latest": "1.0.0", "direct": True,
                     "yanked": REASON}]
    text = agentops("package", "outdated", cwd=newer)
    assert "1.1.0 (yanked)" in text.out and "a@1.1.0 is yanked" in text.err


def test_texts_read_from_a_registry_are_cleaned_and_bounded_before_printing(agentops, published, tmp_path):
    ws = _workspace(tmp_path)
    agentops("package", "install", "a", cwd=ws)
    path = agentops.default_registry / "index" / "a.json"
    index = json.loads(path.read_text())
    hostile = "\x1b]0;owned\x07\x1b[2J\nrm -rf ~\u202e" + "\u200b" * 50 + "x" * 5000
    index["versions"]["1.1.0"]["yanked"] = {"reason": hostile}
    index["versions"]["1.1.0"]["deprecated"] = {"message": hostile, "at": "not a time"}
    index["serial"] += 1
    path.write_text(json.dumps(index))
    (ws / "agentops.yaml").write_text((ws / "agentops.yaml").read_text() + "\n")  # something to do
    for run in (agentops("package", "install", cwd=ws), agentops("package", "info", "a@1.1.0", cwd=ws),
                agentops("package", "outdated", cwd=ws)):
        text = run.out + run.err
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text and "\u200b" not in text
        assert "x" * 500 not in text and "xxx\u2026" in text
        assert "]0;owned [2J rm -rf ~" in text


def test_an_older_index_cannot_take_a_yank_back(agentops, published, tmp_path):
    ws = _workspace(tmp_path)
    agentops("package", "install", "a@1.0.0", cwd=ws)
    before = (agentops.default_registry / "index" / "a.json").read_text()
    agentops("package", "yank", "a@1.1.0", "--reason", REASON)
    agentops("package", "info", "a", cwd=ws)  # this machine reads (and remembers) the yanked index
    fresh = _workspace(tmp_path, "fresh")
    agentops("package", "install", "a", cwd=fresh)
    assert _locked(fresh) == {"a": "1.0.0"}
    (agentops.default_registry / "index" / "a.json").write_text(before)  # served again: the yank is gone
    again = _workspace(tmp_path, "again")
    error = json.loads(agentops("package", "install", "a", "--json", cwd=again, expect=1).out)
    assert error["error"] == "rollback" and "index of a" in error["message"]


def test_yank_and_deprecate_write_to_the_registry_routed_for_the_name(agentops, tmp_path):
    for registry, version in (("alpha", "1.0.0"), ("default", "2.0.0")):  # default holds an impostor
        archive = agentops.build_folder(write_package(tmp_path / "src" / registry, "team-alpha/desk", version))
        agentops("package", "publish", archive, "--registry", tmp_path / registry)
    ws = _workspace(tmp_path)
    (ws / "agentops.yaml").write_text("registries:\n  default: ../default\n  teams:\n    team-alpha: ../alpha\n")
    agentops("package", "yank", "team-alpha/desk@1.0.0", "--reason", REASON, cwd=ws)
    agentops("package", "deprecate", "team-alpha/desk", "--message", "use team-alpha/counter", cwd=ws)
    alpha = json.loads((tmp_path / "alpha" / "index" / "team-alpha" / "desk.json").read_text())["versions"]
    assert alpha["1.0.0"]["yanked"]["reason"] == REASON
    assert alpha["1.0.0"]["deprecated"]["message"] == "use team-alpha/counter"
    default = json.loads((tmp_path / "default" / "index" / "team-alpha" / "desk.json").read_text())["versions"]
    assert "yanked" not in default["2.0.0"] and "deprecated" not in default["2.0.0"]

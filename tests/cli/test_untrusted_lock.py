"""agentops.lock is untrusted input (it arrives in pull requests): its paths are confined, its
claims (signer, digests, versions, sources, names) are checked and never believed. Through the
real command, against real registries and archives."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import write_package


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _snapshot(ws: Path) -> dict[str, bytes]:
    """Every file of the workspace (tool state included) and its bytes, but the workspace lock."""
    return {p.relative_to(ws).as_posix(): p.read_bytes() for p in sorted(ws.rglob("*"))
            if p.is_file() and p.relative_to(ws).as_posix() != ".agentops/lock"}


def _edit_lock(ws: Path, change) -> None:
    lock = json.loads((ws / "agentops.lock").read_text())
    change(lock["packages"])
    (ws / "agentops.lock").write_text(json.dumps(lock, indent=2))


@pytest.fixture
def ws(agentops, tmp_path) -> Path:
    """A workspace with pkg-a and pkg-b installed from the default registry, and a user's NOTES.md."""
    for name in ("pkg-a", "pkg-b"):
        agentops.publish_folder(write_package(tmp_path / "src", name, "1.0.0"))
    path = tmp_path / "ws"
    path.mkdir()
    agentops("package", "install", "pkg-a", "pkg-b", cwd=path)
    (path / "NOTES.md").write_text("my notes\n")
    (tmp_path / "outside.txt").write_text("outside\n")
    return path


# -- 1. paths are confined ---------------------------------------------------------------------

def _claims(ws: Path) -> list[tuple[str, str]]:
    """(path, content) pairs a crafted lock names: user files, another package's, escapes."""
    outside = ws.parent / "outside.txt"
    return [
        ("NOTES.md", "my notes\n"),
        ("../outside.txt", "outside\n"),
        (str(outside), "outside\n"),
        ("agents/pkg-a/../../NOTES.md", "my notes\n"),
        ("agents/pkg-b/agent-0.md", (ws / "agents/pkg-b/agent-0.md").read_text()),
        ("docs/packages/README.md", (ws / "docs/packages/README.md").read_text()),
        (".agentops/installed", (ws / ".agentops/installed").read_text()),
        ("agentops.yaml", (ws / "agentops.yaml").read_text()),
    ]


@pytest.mark.parametrize("command", [("package", "install"), ("package", "install", "--force"),
                                     ("package", "install", "--frozen"), ("package", "update"),
                                     ("package", "uninstall", "pkg-a")])
def test_a_lock_naming_files_outside_its_package_is_refused_and_nothing_is_touched(agentops, ws, command):
    claims = _claims(ws)
    _edit_lock(ws, lambda packages: packages["pkg-a"]["files"].update(
        {path: _sha(content.encode()) for path, content in claims}))
    before = _snapshot(ws)
    outside = (ws.parent / "outside.txt").read_bytes()
    run = agentops(*command, cwd=ws, expect=1)
    assert "may not claim" in run.err and "NOTES.md" in run.err and "pkg-b" in run.err
    assert _snapshot(ws) == before
    assert (ws.parent / "outside.txt").read_bytes() == outside


def test_a_package_that_is_no_longer_requested_cannot_take_a_file_with_it(agentops, ws):
    """The lock pins a package agentops.yaml does not ask for (so install would prune it) and lists a
    user file under it: refused, the file stays."""
    _edit_lock(ws, lambda packages: packages.update(ghost=dict(
        packages["pkg-b"], files={"NOTES.md": _sha(b"my notes\n")}, dependencies={})))
    before = _snapshot(ws)
    run = agentops("package", "install", "--json", cwd=ws, expect=1)
    error = json.loads(run.out or run.err)
    assert [p["code"] for p in error["problems"]] == ["lock-path"]
    assert _snapshot(ws) == before


def test_a_lock_cannot_claim_a_user_folder_named_like_a_package_it_never_installed(agentops, ws):
    """agents/mine/ is the user's own folder; a lock entry for an uninstalled package `mine` lists a
    file in it. The entry is inside `mine`'s folders, so only agentops's own records can say
    whether it installed that file: it did not, so the file is neither deleted nor replaced."""
    mine = ws / "agents" / "mine" / "helper.md"
    mine.parent.mkdir(parents=True)
    mine.write_text("my helper\n")
    _edit_lock(ws, lambda packages: packages.update(mine=dict(
        packages["pkg-b"], files={"agents/mine/helper.md": _sha(b"my helper\n")}, dependencies={})))
    agentops("package", "install", cwd=ws)
    agentops("package", "install", "--force", cwd=ws)
    assert mine.read_text() == "my helper\n"
    assert "mine" not in json.loads((ws / "agentops.lock").read_text())["packages"]


@pytest.mark.parametrize("name", ["../evil", "Pkg-A", "agents/x/y", "pkg_a", ".agentops"])
def test_package_names_in_a_lock_are_validated_like_typed_names(agentops, ws, name):
    _edit_lock(ws, lambda packages: packages.update({name: dict(packages["pkg-b"], files={})}))
    before = _snapshot(ws)
    run = agentops("package", "install", cwd=ws, expect=1)
    assert "invalid package name" in run.err
    assert _snapshot(ws) == before
    for verb in (("package", "list"), ("package", "tree"), ("package", "outdated")):
        agentops(*verb, cwd=ws, expect=None)  # whatever they say, no traceback


def test_a_dependency_named_in_a_lock_is_validated(agentops, ws):
    _edit_lock(ws, lambda packages: packages["pkg-a"].update(dependencies={"../../etc": "*"}))
    run = agentops("package", "install", cwd=ws, expect=1)
    assert "invalid package name '../../etc'" in run.err


@pytest.mark.parametrize("source", ["file:../outside.txt", "file:/etc/passwd", "https://evil.example/a.tgz"])
def test_a_lock_source_is_used_only_when_agentops_yaml_asks_for_it(agentops, ws, source):
    shutil.rmtree(ws / "agents" / "pkg-a")  # so that install must read pkg-a's archive again
    _edit_lock(ws, lambda packages: packages["pkg-a"].update(source=source))
    before = _snapshot(ws)
    run = agentops("package", "install", "--frozen", cwd=ws, expect=1)
    assert _snapshot(ws) == before
    assert "source" in run.err or "should come from" in run.err
    if source.startswith("file:"):  # without --frozen the claim is dropped: pkg-a comes from the registry
        agentops("package", "install", cwd=ws)
        assert json.loads((ws / "agentops.lock").read_text())["packages"]["pkg-a"]["source"] == "registry"
        assert (ws / "agents" / "pkg-a" / "agent-0.md").is_file()


# -- 2. a lock's signer is a claim -------------------------------------------------------------

@pytest.mark.parametrize("how", ["flag", "flag-frozen", "manifest", "fresh-clone"])
def test_a_signer_claimed_by_the_lock_is_verified_when_signatures_are_required(agentops, ws, alice, how):
    """pkg-a is unsigned; the lock says alice (trusted) signed it. Every way of requiring signatures
    refuses it, whether the package is in place or about to be installed."""
    _edit_lock(ws, lambda packages: packages["pkg-a"].update(signed_by=alice["fingerprint"]))
    args = {"flag": ["--require-signed"], "flag-frozen": ["--require-signed", "--frozen"]}.get(how, [])
    if how in ("manifest", "fresh-clone"):
        (ws / "agentops.yaml").write_text((ws / "agentops.yaml").read_text() + "require_signatures: true\n")
    if how == "fresh-clone":
        for path in ("agents", "docs", ".agentops"):
            shutil.rmtree(ws / path)
    before = _snapshot(ws)
    run = agentops("package", "install", *args, cwd=ws, expect=1)
    assert "pkg-a@1.0.0 is not signed" in run.err and "pkg-b@1.0.0 is not signed" in run.err
    assert _snapshot(ws) == before


def test_a_signer_claimed_for_a_package_signed_by_an_untrusted_key(agentops, tmp_path, alice):
    mallory = agentops.generate_key("mallory")
    agentops.publish_folder(write_package(tmp_path / "src", "other-pkg", "1.0.0"), "--sign", "mallory")
    ws = tmp_path / "signed-ws"
    ws.mkdir()
    agentops("package", "install", "other-pkg", cwd=ws)
    assert json.loads((ws / "agentops.lock").read_text())["packages"]["other-pkg"]["signed_by"] == mallory["fingerprint"]
    _edit_lock(ws, lambda packages: packages["other-pkg"].update(signed_by=alice["fingerprint"]))
    run = agentops("package", "install", "--require-signed", cwd=ws, expect=1)
    assert f"signed by key {mallory['fingerprint']}, which is not trusted" in run.err


def test_a_really_signed_package_still_installs_from_its_lock(agentops, tmp_path, alice):
    agentops.publish_folder(write_package(tmp_path / "src", "signed-pkg", "1.0.0"), "--sign", "alice")
    ws = tmp_path / "signed-ws"
    ws.mkdir()
    agentops("package", "install", "signed-pkg", "--require-signed", cwd=ws)
    lock = (ws / "agentops.lock").read_bytes()
    for args in (["--require-signed"], ["--require-signed", "--frozen"]):
        agentops("package", "install", *args, cwd=ws)
    shutil.rmtree(ws / "agents")
    agentops("package", "install", "--require-signed", "--frozen", cwd=ws)
    assert (ws / "agentops.lock").read_bytes() == lock and (ws / "agents" / "signed-pkg").is_dir()


# -- 3. the lock, the archives and the installed files agree --------------------------------

@pytest.fixture
def upgraded(agentops, tmp_path, ws) -> Path:
    """ws with pkg-a 1.1.0 installed (1.0.0 is published too); its body text says which version."""
    agentops.publish_folder(write_package(tmp_path / "src", "pkg-a", "1.1.0", body="Version 1.1.0."))
    agentops("package", "install", "pkg-a@1.1.0", cwd=ws)
    (ws / "agentops.yaml").write_text("packages:\n  pkg-a: ^1.0.0\n  pkg-b: ^1.0.0\n")
    agentops("package", "install", cwd=ws)  # the lock (1.1.0) still answers ^1.0.0
    assert json.loads((ws / "agentops.lock").read_text())["packages"]["pkg-a"]["version"] == "1.1.0"
    return ws


def _published_sha(agentops, name: str, version: str) -> str:
    index = json.loads((agentops.default_registry / "index" / f"{name}.json").read_text())
    return index["versions"][version]["sha256"]


@pytest.mark.parametrize("args", [["--frozen"], [], ["--offline"], ["--frozen", "--offline"]])
@pytest.mark.parametrize("in_place", [True, False])
def test_a_hand_changed_version_is_refused_naming_both(agentops, upgraded, args, in_place):
    ws = upgraded
    _edit_lock(ws, lambda packages: packages["pkg-a"].update(version="1.0.0"))
    if not in_place:
        shutil.rmtree(ws / "agents" / "pkg-a")
    before = _snapshot(ws)
    run = agentops("package", "install", *args, cwd=ws, expect=1)
    assert "version 1.0.0 in the lock, 1.1.0 in the archive" in run.err or "contains pkg-a@1.1.0" in run.err
    assert _snapshot(ws) == before
    listed = agentops("package", "list", cwd=ws).out
    assert "pkg-a@1.1.0" in listed and "pkg-a@1.0.0" not in listed


@pytest.mark.parametrize("args", [["--frozen"], [], ["--frozen", "--offline"]])
@pytest.mark.parametrize("other", ["garbage", "another-version", "another-package"])
def test_a_hand_changed_sha256_is_refused_naming_both(agentops, upgraded, args, other):
    ws = upgraded
    real = _published_sha(agentops, "pkg-a", "1.1.0")
    fake = {"garbage": "0" * 64, "another-version": _published_sha(agentops, "pkg-a", "1.0.0"),
            "another-package": _published_sha(agentops, "pkg-b", "1.0.0")}[other]
    _edit_lock(ws, lambda packages: packages["pkg-a"].update(sha256=fake))
    before = _snapshot(ws)
    run = agentops("package", "install", *args, cwd=ws, expect=1)
    assert fake in run.err and (real in run.err or "pkg-b@1.0.0" in run.err or "1.0.0" in run.err), run.err
    assert _snapshot(ws) == before


@pytest.mark.parametrize("args", [["--frozen"], []])
def test_hand_changed_file_digests_are_refused_naming_both(agentops, ws, args):
    (ws / "agents" / "pkg-a" / "agent-0.md").write_text("planted\n")
    planted = _sha(b"planted\n")
    _edit_lock(ws, lambda packages: packages["pkg-a"]["files"].update({"agents/pkg-a/agent-0.md": planted}))
    run = agentops("package", "install", *args, cwd=ws, expect=1)
    assert planted in run.err and "agents/pkg-a/agent-0.md" in run.err
    assert (ws / "agents" / "pkg-a" / "agent-0.md").read_text() == "planted\n"


def test_a_lock_listing_a_file_its_archive_does_not_install(agentops, ws):
    extra = ws / "agents" / "pkg-a" / "mine.md"
    extra.write_text("mine\n")
    _edit_lock(ws, lambda packages: packages["pkg-a"]["files"].update({"agents/pkg-a/mine.md": _sha(b"mine\n")}))
    run = agentops("package", "install", "--force", cwd=ws, expect=1)
    assert "agents/pkg-a/mine.md" in run.err and "does not install" in run.err
    assert extra.read_text() == "mine\n"


def test_the_no_op_fast_path_is_not_taken_for_a_changed_lock(agentops, upgraded):
    """The fast path proves agreement by the lock's bytes being those the last install wrote; a
    lock changed since (even back and forth) is checked in full."""
    ws = upgraded
    assert "Up to date" in agentops("package", "install", cwd=ws).out
    original = (ws / "agentops.lock").read_text()
    _edit_lock(ws, lambda packages: packages["pkg-a"].update(version="1.0.0"))
    agentops("package", "install", cwd=ws, expect=1)
    (ws / "agentops.lock").write_text(original)
    assert "Up to date" in agentops("package", "install", cwd=ws).out


# -- First impressions: a fresh clone restores everything ------------------------------------

@pytest.mark.parametrize("args", [[], ["--frozen"]])
def test_a_fresh_clone_with_only_the_manifest_lock_and_local_files_restores_everything(agentops, upgraded, tmp_path,
                                                                                      args):
    ws = upgraded
    (ws / "packages").mkdir(exist_ok=True)
    (ws / "packages" / "pkg-b.local.yaml").write_text("agents:\n  disabled:\n    - agents/agent-0.md\n")
    agentops("package", "install", cwd=ws)
    before = {path: data for path, data in _snapshot(ws).items() if not path.startswith(".agentops/")}
    clone = tmp_path / "clone"
    clone.mkdir()
    for name in ("agentops.yaml", "agentops.lock", "packages/pkg-b.local.yaml", "NOTES.md"):
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ws / name, clone / name)
    agentops("package", "install", *args, cwd=clone)
    after = {path: data for path, data in _snapshot(clone).items() if not path.startswith(".agentops/")}
    assert after == before
    assert not (clone / "agents" / "pkg-b" / "agent-0.md").exists()  # the local file still applies
    listed = agentops("package", "list", cwd=clone).lines
    assert [line.split(" (installed ")[0] for line in listed if "(installed " in line] == ["pkg-a@1.1.0", "pkg-b@1.0.0"]
    assert all(re.search(r"\(installed \d{4}-\d\d-\d\d", line) for line in listed if "@" in line)
    assert "Up to date" in agentops("package", "install", "--frozen", cwd=clone).out


def test_install_records_written_before_digests_were_recorded_still_keep_packages_in_place(agentops, upgraded):
    """A workspace installed by an earlier agentops: its records have no sha256 nor digests. A
    user's edit survives a plain install, and a lock whose version disagrees is still refused."""
    ws = upgraded
    record_path = ws / ".agentops" / "packages" / "pkg-a.json"
    record = json.loads(record_path.read_text())
    assert record["sha256"] == _published_sha(agentops, "pkg-a", "1.1.0") and record["installed"]
    for key in ("sha256", "installed"):
        del record[key]
    record_path.write_text(json.dumps(record))
    (ws / "agents" / "pkg-a" / "agent-0.md").write_text("edited\n")
    (ws / "agentops.yaml").write_text((ws / "agentops.yaml").read_text() + "\n")  # no fast path
    agentops("package", "install", cwd=ws)
    assert (ws / "agents" / "pkg-a" / "agent-0.md").read_text() == "edited\n"
    _edit_lock(ws, lambda packages: packages["pkg-a"].update(version="1.0.0"))
    run = agentops("package", "install", "--frozen", cwd=ws, expect=1)
    assert "1.0.0" in run.err and "1.1.0" in run.err


@pytest.mark.parametrize("in_place", [True, False])
def test_dependencies_claimed_by_the_lock_must_be_what_the_package_declares(agentops, ws, tmp_path, in_place):
    """Dropping a dependency from a lock entry would prune that package; adding one would pull in
    another. Both are refused, naming what the lock says and what package.yaml declares."""
    agentops.publish_folder(write_package(tmp_path / "src", "pkg-c", "1.0.0", deps=("pkg-b@^1.0.0",)))
    (ws / "agentops.yaml").write_text("packages:\n  pkg-a: ^1.0.0\n  pkg-c: ^1.0.0\n")
    agentops("package", "install", cwd=ws)
    assert (ws / "agents" / "pkg-b").is_dir()  # as pkg-c's dependency
    if not in_place:
        shutil.rmtree(ws / "agents" / "pkg-c")
    for change, shown in ((lambda p: p["pkg-c"].update(dependencies={}), "depends on nothing"),
                          (lambda p: p["pkg-a"].update(dependencies={"pkg-c": "*"}), "depends on pkg-c@*")):
        saved = (ws / "agentops.lock").read_text()
        _edit_lock(ws, change)
        before = _snapshot(ws)
        run = agentops("package", "install", "--frozen", cwd=ws, expect=1)
        assert shown in run.err and "package.yaml declares" in run.err
        assert _snapshot(ws) == before
        (ws / "agentops.lock").write_text(saved)


# -- the no-op fast path proves what it claims ------------------------------------------------

def test_a_workspace_requiring_signatures_verifies_them_even_with_nothing_to_do(agentops, tmp_path, alice):
    agentops.publish_folder(write_package(tmp_path / "src", "signed-n", "1.0.0"), "--sign", "alice")
    ws = tmp_path / "signed-noop"
    ws.mkdir()
    agentops("package", "install", "signed-n", "--require-signed", cwd=ws)
    with open(ws / "agentops.yaml", "a") as handle:
        handle.write("require_signatures: true\n")
    agentops("package", "install", cwd=ws)
    agentops("trust", "remove", "alice")
    failed = agentops("package", "install", cwd=ws, expect=1)
    assert "signed-n" in failed.err and "trust" in failed.err, failed.err


def test_frozen_refuses_to_rewrite_a_lock_missing_a_file_entry(agentops, tmp_path):
    agentops.publish_folder(write_package(tmp_path / "src", "pkg-f", "1.0.0", agents=2))
    ws = tmp_path / "frozen-ws"
    ws.mkdir()
    agentops("package", "install", "pkg-f", cwd=ws)
    lock = json.loads((ws / "agentops.lock").read_text())
    lock["packages"]["pkg-f"]["files"].pop("agents/pkg-f/agent-1.md")
    (ws / "agentops.lock").write_text(json.dumps(lock, indent=2) + "\n")
    before = (ws / "agentops.lock").read_bytes()
    failed = agentops("package", "install", "--frozen", cwd=ws, expect=1)
    assert "--frozen" in failed.err and "pkg-f" in failed.err, failed.err
    assert (ws / "agentops.lock").read_bytes() == before
    agentops("package", "install", cwd=ws)  # without --frozen the lock is rewritten from the archive
    assert "agents/pkg-f/agent-1.md" in json.loads((ws / "agentops.lock").read_text())["packages"]["pkg-f"]["files"]

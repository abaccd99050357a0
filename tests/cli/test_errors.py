"""Bad input through the real command: clear errors, right exit codes, nothing lost or half-written."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import EXAMPLES, write_package

VERBS = ["init", "validate", "build", "publish", "install", "list", "uninstall", "update", "outdated", "tree",
         "info", "search"]


@pytest.mark.parametrize("verb", VERBS)
def test_every_command_has_help(agentops, verb):
    run = agentops("package", verb, "--help")
    assert "usage: agentops package " + verb in run.out


def test_top_level_help_and_version(agentops):
    assert "package" in agentops("--help").out
    assert agentops("--version").out.startswith("agentops ")


@pytest.mark.parametrize("args", [["package"], ["package", "nope"], ["package", "install", "--bogus"],
                                  ["package", "info"], ["package", "install", "Bad_Name"],
                                  ["package", "install", "x@not-a-range"]])
def test_misuse_exits_2(agentops, args):
    run = agentops(*args, expect=2)
    assert run.err.strip()


def test_validate_reports_every_problem_with_file_and_line(agentops, example):
    pkg = example("core-workflow")
    text = (pkg / "package.yaml").read_text()
    text = text.replace("version: 2.1.0", "version: 2.1").replace("license: MIT", "licence: MIT")
    (pkg / "package.yaml").write_text(text)
    (pkg / "agents" / "researcher.md").unlink()
    run = agentops("package", "validate", pkg, expect=1)
    assert "package.yaml:2: version" in run.out
    assert "researcher.md" in run.out and "licence" in run.out and "no license" in run.out
    report = json.loads(agentops("package", "validate", pkg, "--json", expect=1).out)
    codes = {p["code"] for p in report["problems"]}
    assert {"missing-file", "unknown-field", "no-license"} <= codes
    build = agentops("package", "build", pkg, "-o", pkg.parent / "dist", expect=1)
    assert "nothing was built" in build.err
    assert not (pkg.parent / "dist" / "core-workflow-2.1.tar.gz").exists()


def test_broken_yaml_names_the_line(agentops, example):
    pkg = example("core-workflow")
    (pkg / "package.yaml").write_text("name: core-workflow\nversion: 2.1.0\nagents: [unclosed\n")
    run = agentops("package", "validate", pkg, expect=1)
    assert "package.yaml:3" in run.out + run.err or "package.yaml:4" in run.out + run.err


def test_publishing_a_version_twice_is_refused(agentops, tmp_path):
    agentops.publish_examples("core-workflow")
    archive = agentops("package", "build", EXAMPLES / "core-workflow", "-o", tmp_path / "d2").lines[-1]
    run = agentops("package", "publish", archive, expect=1)
    assert "already" in run.err and "core-workflow@2.1.0" in run.err


def test_missing_registry_and_unknown_package(agentops, tmp_path):
    run = agentops("package", "install", "nothing-here", "--registry", tmp_path / "no-registry", cwd=tmp_path,
                   expect=1)
    assert "no-registry" in run.err
    agentops.publish_examples("core-workflow")
    run = agentops("package", "install", "nothing-here", cwd=tmp_path, expect=1)
    assert "nothing-here" in run.err
    assert not (tmp_path / "agentops.yaml").exists() and not (tmp_path / "agentops.lock").exists()


def test_conflict_reports_chains(agentops, tmp_path):
    src = tmp_path / "src"
    for folder in (write_package(src, "base", "1.0.0"), write_package(src, "base", "2.0.0"),
                   write_package(src, "left", "1.0.0", deps=("base@^1.0.0",)),
                   write_package(src, "right", "1.0.0", deps=("base@^2.0.0",))):
        agentops.publish_folder(folder)
    ws = tmp_path / "ws"
    ws.mkdir()
    run = agentops("package", "install", "left", "right", cwd=ws, expect=1)
    assert "left@1.0.0" in run.err and "right@1.0.0" in run.err and "base" in run.err
    assert not (ws / "agentops.yaml").exists()


def test_tampered_registry_archive_is_refused(agentops, tmp_path):
    agentops.publish_examples("core-workflow")
    blobs = list((agentops.default_registry / "blobs" / "sha256").iterdir())
    data = bytearray(blobs[0].read_bytes())
    data[len(data) // 2] ^= 0xFF
    blobs[0].write_bytes(bytes(data))
    run = agentops("package", "install", "core-workflow", cwd=tmp_path, expect=1)
    assert "sha256" in run.err
    assert not (tmp_path / "agents").exists() and not (tmp_path / "agentops.lock").exists()


def test_tampered_cache_is_refused(agentops, tmp_path):
    agentops.publish_examples("core-workflow")
    first = tmp_path / "first"
    first.mkdir()
    agentops("package", "install", "core-workflow", cwd=first)
    cached = list((agentops.home / "cache").rglob("blobs/sha256/*"))
    assert cached
    cached[0].write_bytes(cached[0].read_bytes() + b"x")
    second = tmp_path / "second"
    second.mkdir()
    run = agentops("package", "install", "core-workflow", cwd=second, expect=1)
    assert "cache" in run.err.lower()
    assert not (second / "agents").exists()


def test_edited_files_are_never_overwritten_silently(agentops, tmp_path):
    src = tmp_path / "src"
    for version, body in (("1.0.0", "Version one."), ("1.1.0", "Version two.")):
        folder = write_package(src, "base", version, body=body)
        agentops.publish_folder(folder)
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "base@1.0.0", cwd=ws)
    edited = ws / "agents" / "base" / "agent-0.md"
    edited.write_text("my own notes\n")
    lock_before = (ws / "agentops.lock").read_bytes()
    (ws / "agentops.yaml").write_text("packages:\n  base: ^1.0.0\n")
    run = agentops("package", "update", cwd=ws, expect=1)
    assert "agents/base/agent-0.md" in run.err and "--force" in run.err
    assert edited.read_text() == "my own notes\n"
    assert (ws / "agentops.lock").read_bytes() == lock_before
    run = agentops("package", "uninstall", "base", cwd=ws, expect=1)
    assert edited.read_text() == "my own notes\n"
    agentops("package", "update", "--force", cwd=ws)
    assert "Version two." in edited.read_text()


def test_untracked_file_in_the_way_is_not_overwritten(agentops, tmp_path):
    agentops.publish_examples("core-workflow")
    mine = tmp_path / "agents" / "core-workflow" / "researcher.md"
    mine.parent.mkdir(parents=True)
    mine.write_text("mine\n")
    run = agentops("package", "install", "core-workflow", cwd=tmp_path, expect=1)
    assert "not managed by agentops" in run.err
    assert mine.read_text() == "mine\n"


def test_frozen_and_offline(agentops, tmp_path):
    agentops.publish_examples()
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "customer-service", cwd=ws)
    lock = (ws / "agentops.lock").read_bytes()
    # A fresh checkout (agentops.yaml + lock, no files) installs offline from the cache.
    clone = tmp_path / "clone"
    clone.mkdir()
    shutil.copy(ws / "agentops.yaml", clone)
    shutil.copy(ws / "agentops.lock", clone)
    shutil.rmtree(agentops.default_registry)
    agentops("package", "install", "--frozen", "--offline", cwd=clone)
    assert (clone / "agentops.lock").read_bytes() == lock
    assert (clone / "agents" / "customer-service" / "handle-inquiry.md").exists()
    # --frozen refuses a lock that no longer answers agentops.yaml.
    (clone / "agentops.yaml").write_text("packages:\n  customer-service: ^2.0.0\n")
    run = agentops("package", "install", "--frozen", cwd=clone, expect=1)
    assert "does not satisfy" in run.err
    # --offline with an empty cache names what is missing.
    shutil.rmtree(agentops.home / "cache")
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(ws / "agentops.yaml", other)
    shutil.copy(ws / "agentops.lock", other)
    run = agentops("package", "install", "--offline", cwd=other, expect=1)
    assert "offline" in run.err
    assert not (other / "agents").exists()


def test_no_manifest_no_spec(agentops, tmp_path):
    run = agentops("package", "install", cwd=tmp_path, expect=1)
    assert "agentops.yaml" in run.err and "hint:" in run.err


def test_json_errors(agentops, tmp_path):
    run = agentops("package", "info", "ghost", "--json", "--registry", tmp_path / "none", expect=1)
    data = json.loads(run.out)
    assert data["error"] and "none" in data["message"]


def _evil_archive(path, member_name: str, *, symlink: bool = False):
    import io
    import tarfile

    with tarfile.open(path, "w:gz") as tar:
        manifest = b"name: evil\nversion: 1.0.0\ndescription: x\nauthor: x\nlicense: MIT\n"
        info = tarfile.TarInfo("package/package.yaml")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
        info = tarfile.TarInfo(member_name)
        if symlink:
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/passwd"
            tar.addfile(info)
        else:
            info.size = 5
            tar.addfile(info, io.BytesIO(b"owned"))
    return path


@pytest.mark.parametrize(("member", "symlink"), [("package/../../escape.md", False), ("/tmp/abs.md", False),
                                                 ("package/agents/link.md", True)])
def test_malicious_archives_are_refused_by_publish_and_install(agentops, tmp_path, member, symlink):
    evil = _evil_archive(tmp_path / "evil-1.0.0.tar.gz", member, symlink=symlink)
    run = agentops("package", "publish", evil, expect=1)
    assert "unsafe" in run.err.lower() or "refus" in run.err.lower()
    assert not agentops.default_registry.exists() or not list(agentops.default_registry.rglob("*.json"))
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", evil, cwd=ws, expect=1)
    assert sorted(p.name for p in ws.iterdir()) == []
    assert not (tmp_path / "escape.md").exists()

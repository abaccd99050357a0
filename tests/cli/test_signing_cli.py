"""Keys, trust stores and signed packages, through the real `agentops` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import KEY_ENV, write_package


def _keys(agentops) -> Path:
    return agentops.home / "data" / "agentpack" / "keys"


def _files(ws: Path) -> list[str]:
    return sorted(p.relative_to(ws).as_posix() for p in ws.rglob("*") if not p.relative_to(ws).as_posix()
                  .startswith(".agentops/") and p.name != ".agentops")


@pytest.fixture
def signed(agentops, tmp_path):
    """alice's key trusted by the user; `signed-pkg` signed by alice and published."""
    alice = agentops.generate_key("alice")
    agentops("trust", "add", alice["public_key"])
    agentops.publish_folder(write_package(tmp_path / "src", "signed-pkg", "1.0.0"), "--sign", "alice")
    ws = tmp_path / "ws"
    ws.mkdir()
    return alice, ws


def test_generate_writes_a_private_key_0600_and_prints_the_fingerprint(agentops):
    run = agentops("key", "generate", "alice")
    assert run.lines[0].startswith("public key:") and run.lines[1].startswith("fingerprint: ")
    private = _keys(agentops) / "alice.key"
    assert private.stat().st_mode & 0o777 == 0o600
    assert b"ENCRYPTED" not in private.read_bytes()
    assert (_keys(agentops) / "alice.pub").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    agentops("key", "generate", "alice", expect=2)  # never overwritten
    encrypted = agentops.generate_key("bob")
    assert b"ENCRYPTED" in Path(encrypted["private_key"]).read_bytes()
    assert len(encrypted["fingerprint"]) == 64


def test_trust_add_list_remove_user_and_workspace(agentops, tmp_path):
    alice, bob = agentops.generate_key("alice"), agentops.generate_key("bob")
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "agentops.yaml").write_text("packages: {}\n")
    agentops("trust", "add", alice["public_key"], cwd=ws)
    agentops("trust", "add", bob["public_key_base64"], "--name", "bob-team", "--workspace", cwd=ws)
    assert (ws / ".agentops-trust" / "bob-team.pub").is_file()  # beside, not inside, tool state
    listed = json.loads(agentops("trust", "list", "--json", cwd=ws).out)
    assert [(e["scope"], e["name"], e["fingerprint"]) for e in listed] == [
        ("user", "alice", alice["fingerprint"]), ("workspace", "bob-team", bob["fingerprint"])]
    agentops("trust", "remove", "bob-team", cwd=ws, expect=2)  # it is not in the user store
    agentops("trust", "remove", "bob-team", "--workspace", cwd=ws)
    agentops("trust", "remove", alice["fingerprint"], cwd=ws)
    assert json.loads(agentops("trust", "list", "--json", cwd=ws).out) == []


def test_signed_install_with_require_signed_locks_the_fingerprint(agentops, signed, tmp_path):
    alice, ws = signed
    sig = json.loads((agentops.home / "dist" / "signed-pkg-1.0.0.tar.gz.sig").read_text())
    assert (sig["format"], sig["name"], sig["version"], sig["key"]) == (1, "signed-pkg", "1.0.0", alice["fingerprint"])
    index = json.loads((agentops.default_registry / "index" / "signed-pkg.json").read_text())
    assert index["versions"]["1.0.0"]["signature"] == sig
    agentops("package", "install", "signed-pkg", "--require-signed", cwd=ws)
    lock = json.loads((ws / "agentops.lock").read_text())
    assert lock["packages"]["signed-pkg"]["signed_by"] == alice["fingerprint"]
    assert (ws / "agents" / "signed-pkg").is_dir()
    agentops("package", "install", "--require-signed", "--frozen", cwd=ws)  # the lock's record is enough


def test_unsigned_lockfile_entries_have_no_signed_by(agentops, tmp_path):
    agentops.publish_folder(write_package(tmp_path / "src", "plain-pkg", "1.0.0"))
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "plain-pkg", cwd=ws)
    assert "signed_by" not in (ws / "agentops.lock").read_text()


def test_unsigned_package_refused_when_required(agentops, signed, tmp_path):
    _alice, ws = signed
    agentops.publish_folder(write_package(tmp_path / "src", "plain-pkg", "1.0.0"))
    run = agentops("package", "install", "signed-pkg", "plain-pkg", "--require-signed", cwd=ws, expect=1)
    assert "plain-pkg@1.0.0 is not signed" in run.err
    assert _files(ws) == []
    (ws / "agentops.yaml").write_text("require_signatures: true\npackages:\n  plain-pkg: ^1.0.0\n")
    run = agentops("package", "install", cwd=ws, expect=1)
    assert "plain-pkg@1.0.0 is not signed" in run.err
    assert _files(ws) == ["agentops.yaml"]


def test_untrusted_key_refused_until_the_workspace_trusts_it(agentops, signed, tmp_path):
    _alice, ws = signed
    mallory = agentops.generate_key("mallory")
    agentops.publish_folder(write_package(tmp_path / "src", "other-pkg", "1.0.0"), "--sign", "mallory")
    run = agentops("package", "install", "other-pkg", "--require-signed", cwd=ws, expect=1)
    assert f"signed by key {mallory['fingerprint']}, which is not trusted" in run.err
    assert _files(ws) == []
    agentops("package", "install", "other-pkg", cwd=ws)  # signed and valid: fine when not required
    (ws / "agentops.yaml").write_text((ws / "agentops.yaml").read_text() + "require_signatures: true\n")
    run = agentops("package", "install", cwd=ws, expect=1)  # the lock records mallory: still untrusted
    assert "which is not trusted" in run.err
    agentops("trust", "add", mallory["public_key"], "--workspace", cwd=ws)
    agentops("package", "install", "--require-signed", cwd=ws)


def test_tampered_signature_refused_even_when_not_required(agentops, signed):
    _alice, ws = signed
    index_path = agentops.default_registry / "index" / "signed-pkg.json"
    index = json.loads(index_path.read_text())
    signature = index["versions"]["1.0.0"]["signature"]["signature"]
    index["versions"]["1.0.0"]["signature"]["signature"] = ("A" if signature[0] != "A" else "B") + signature[1:]
    index_path.write_text(json.dumps(index))
    run = agentops("package", "install", "signed-pkg", cwd=ws, expect=1)
    assert "does not verify" in run.err
    assert _files(ws) == []


def test_publish_refuses_a_bad_signature_file(agentops, tmp_path):
    agentops.generate_key("alice")
    archive = Path(agentops("package", "build", write_package(tmp_path / "src", "pkg", "1.0.0"), "-o",
                            agentops.home / "dist", "--sign", "alice", env=KEY_ENV).lines[-1])
    sig = Path(str(archive) + ".sig")
    sig.write_text(sig.read_text().replace('"1.0.0"', '"1.0.1"'))
    run = agentops("package", "publish", archive, expect=1)
    assert "is for version '1.0.1'" in run.err
    assert not (agentops.default_registry / "index" / "pkg.json").exists()


def test_build_with_a_locked_key_writes_nothing(agentops, tmp_path):
    agentops.generate_key("alice")
    out = agentops.home / "dist"
    run = agentops("package", "build", write_package(tmp_path / "src", "pkg", "1.0.0"), "-o", out,
                   "--sign", "alice", expect=2)
    assert "AGENTOPS_KEY_PASSPHRASE" in run.err
    assert not out.exists()

"""Installing from a local archive file is held to the same rules as a registry package: its
detached signature (ARCHIVE.sig) is verified, require_signatures and trust apply, the lock records
``signed_by``; and the hidden-Unicode gate honours --allow-hidden-unicode. Through the real command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import write_package


def _files(ws: Path) -> list[str]:
    """Everything in the workspace but the tool's own workspace lock file."""
    return sorted(p.relative_to(ws).as_posix() for p in ws.rglob("*")
                  if p.relative_to(ws).as_posix() not in (".agentops", ".agentops/lock"))


def _lock(ws: Path) -> dict:
    return json.loads((ws / "agentops.lock").read_text())


@pytest.fixture
def ws(tmp_path) -> Path:
    path = tmp_path / "ws"
    path.mkdir()
    return path


def test_signed_local_archive_installs_and_the_lock_records_the_signer(agentops, tmp_path, ws):
    alice = agentops.generate_key("alice")
    archive = agentops.build_folder(write_package(tmp_path / "src", "local-pkg", "1.0.0"), "--sign", "alice")
    assert Path(f"{archive}.sig").is_file()
    agentops("package", "install", archive, cwd=ws)  # signed, not required: the key need not be trusted
    entry = _lock(ws)["packages"]["local-pkg"]
    assert entry["signed_by"] == alice["fingerprint"] and entry["source"].startswith("file:")
    assert (ws / "agents" / "local-pkg" / "agent-0.md").is_file()

    agentops("trust", "add", alice["public_key"])
    lock_text = (ws / "agentops.lock").read_text()
    agentops("package", "install", archive, "--require-signed", cwd=ws)
    assert "Up to date" in agentops("package", "install", cwd=ws).out  # the fast path
    agentops("package", "install", "--require-signed", cwd=ws)  # the full path, lock kept
    agentops("package", "install", "--require-signed", "--frozen", cwd=ws)
    assert (ws / "agentops.lock").read_text() == lock_text


def test_a_signature_added_after_install_counts(agentops, tmp_path, ws):
    alice = agentops.generate_key("alice")
    agentops("trust", "add", alice["public_key"])
    folder = write_package(tmp_path / "src", "local-pkg", "1.0.0")
    archive = agentops.build_folder(folder)
    agentops("package", "install", archive, cwd=ws)
    assert "signed_by" not in (ws / "agentops.lock").read_text()
    run = agentops("package", "install", archive, "--require-signed", cwd=ws, expect=1)
    assert "is not signed" in run.err
    assert agentops.build_folder(folder, "--sign", "alice") == archive  # the same bytes, now with ARCHIVE.sig
    agentops("package", "install", archive, "--require-signed", cwd=ws)
    assert _lock(ws)["packages"]["local-pkg"]["signed_by"] == alice["fingerprint"]


def test_tampered_signature_is_refused_and_nothing_is_written(agentops, tmp_path, ws):
    agentops.generate_key("alice")
    first = agentops.build_folder(write_package(tmp_path / "src", "local-pkg", "1.0.0"), "--sign", "alice")
    agentops("package", "install", first, cwd=ws)
    before = {path: (ws / path).read_bytes() for path in _files(ws) if (ws / path).is_file()}

    second = agentops.build_folder(write_package(tmp_path / "src", "local-pkg", "1.1.0"), "--sign", "alice")
    sig = Path(f"{second}.sig")
    document = json.loads(sig.read_text())
    document["signature"] = ("A" if document["signature"][0] != "A" else "B") + document["signature"][1:]
    sig.write_text(json.dumps(document))
    run = agentops("package", "install", second, cwd=ws, expect=1)
    assert "does not verify" in run.err and str(sig) in run.err
    assert {path: (ws / path).read_bytes() for path in _files(ws) if (ws / path).is_file()} == before


def test_signature_of_another_archive_is_refused(agentops, tmp_path, ws):
    agentops.generate_key("alice")
    signed = agentops.build_folder(write_package(tmp_path / "src", "local-pkg", "1.0.0"), "--sign", "alice")
    # Same name and version, other content, beside the first archive's signature: wrong sha256.
    other = tmp_path / "other" / signed.name
    other.parent.mkdir()
    folder = write_package(tmp_path / "src2", "local-pkg", "1.0.0", body="Something else.")
    agentops("package", "build", folder, "-o", other.parent)
    Path(f"{other}.sig").write_bytes(Path(f"{signed}.sig").read_bytes())
    run = agentops("package", "install", other, cwd=ws, expect=1)
    assert f"{other}.sig" in run.err and "is for sha256" in run.err
    assert _files(ws) == []
    # Another package's signature: wrong name.
    other_pkg = agentops.build_folder(write_package(tmp_path / "src3", "other-pkg", "1.0.0"), "--sign", "alice")
    Path(f"{other}.sig").write_bytes(Path(f"{other_pkg}.sig").read_bytes())
    run = agentops("package", "install", other, cwd=ws, expect=1)
    assert "is for name 'other-pkg'" in run.err
    assert _files(ws) == []


def test_required_signatures_refuse_an_unsigned_local_archive(agentops, tmp_path, ws):
    archive = agentops.build_folder(write_package(tmp_path / "src", "local-pkg", "1.0.0"))
    manifest = "require_signatures: true\npackages: {}\n"
    (ws / "agentops.yaml").write_text(manifest)
    run = agentops("package", "install", archive, cwd=ws, expect=1)
    assert f"local-pkg@1.0.0 from the archive ../home/dist/{archive.name} is not signed" in run.err
    assert f"{archive.name}.sig" in run.err and "--sign" in run.err
    assert _files(ws) == ["agentops.yaml"] and (ws / "agentops.yaml").read_text() == manifest
    run = agentops("package", "install", archive, "--require-signed", "--json", cwd=ws, expect=1)
    assert json.loads(run.out)["error"] == "untrusted"


def test_required_signatures_refuse_an_untrusted_signer_until_trusted(agentops, tmp_path, ws):
    mallory = agentops.generate_key("mallory")
    archive = agentops.build_folder(write_package(tmp_path / "src", "local-pkg", "1.0.0"), "--sign", "mallory")
    (ws / "agentops.yaml").write_text("require_signatures: true\npackages: {}\n")
    run = agentops("package", "install", archive, cwd=ws, expect=1)
    assert f"signed by key {mallory['fingerprint']}, which is not trusted" in run.err
    assert _files(ws) == ["agentops.yaml"]
    agentops("trust", "add", mallory["public_key"], "--workspace", cwd=ws)
    agentops("package", "install", archive, cwd=ws)
    assert _lock(ws)["packages"]["local-pkg"]["signed_by"] == mallory["fingerprint"]
    assert "Up to date" in agentops("package", "install", cwd=ws).out


def _hidden_archive(path: Path, *, valid: bool = True) -> Path:
    """An archive with a U+200B in an agent file, written by hand because build refuses it."""
    from agentpack.adapters.archive import write_archive

    manifest = ("name: sneaky\nversion: 1.0.0\ndescription: Hidden text\nauthor: Tests\nlicense: MIT\n"
                "agents:\n  - agents/helper.md\ndocumentation:\n  getting_started: docs/getting-started.md\n")
    files = {
        "package.yaml": manifest.encode(),
        "README.md": b"# sneaky\n",
        "agents/helper.md": "---\nname: helper\ndescription: Helps\n---\n\nBe nice.\u200b\n".encode(),
    }
    if valid:
        files["docs/getting-started.md"] = b"# Getting started\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    return Path(write_archive(files, str(path)).path)


def test_hidden_unicode_in_a_local_archive_refused_unless_allowed(agentops, tmp_path, ws):
    archive = _hidden_archive(tmp_path / "dist" / "sneaky-1.0.0.tar.gz")
    run = agentops("package", "install", archive, cwd=ws, expect=1)
    assert "agents/helper.md:6: hidden zero-width character U+200B ZERO WIDTH SPACE" in run.err
    assert str(archive) in run.err and "--allow-hidden-unicode" in run.err
    assert _files(ws) == []

    agentops("package", "install", archive, "--allow-hidden-unicode", cwd=ws)
    assert "\u200b" in (ws / "agents" / "sneaky" / "helper.md").read_text(encoding="utf-8")
    assert "Up to date" in agentops("package", "install", cwd=ws).out
    # A re-resolve (another package added) reads the archive again: the one already installed
    # was accepted, so the flag is not needed again.
    agentops.publish_folder(write_package(tmp_path / "src", "plain-pkg", "1.0.0"))
    agentops("package", "install", "plain-pkg", cwd=ws)
    agentops("package", "update", cwd=ws)
    assert sorted(_lock(ws)["packages"]) == ["plain-pkg", "sneaky"]


def test_allow_hidden_unicode_does_not_excuse_other_errors(agentops, tmp_path, ws):
    archive = _hidden_archive(tmp_path / "dist" / "sneaky-1.0.0.tar.gz", valid=False)
    run = agentops("package", "install", archive, "--allow-hidden-unicode", cwd=ws, expect=1)
    assert "is not a valid package" in run.err and "getting-started" in run.err
    assert _files(ws) == []


def test_publish_still_refuses_hidden_unicode(agentops, tmp_path):
    archive = _hidden_archive(tmp_path / "dist" / "sneaky-1.0.0.tar.gz")
    run = agentops("package", "publish", archive, expect=1)
    assert "U+200B" in run.err and "--allow-hidden-unicode" not in run.err
    assert not (agentops.default_registry / "index" / "sneaky.json").exists()


def test_reinstall_with_no_arguments_after_files_were_deleted(agentops, tmp_path, ws):
    alice = agentops.generate_key("alice")
    archive = agentops.build_folder(write_package(tmp_path / "src", "local-pkg", "1.0.0"), "--sign", "alice")
    agentops("package", "install", archive, cwd=ws)
    lock_text = (ws / "agentops.lock").read_text()
    (ws / "agents" / "local-pkg" / "agent-0.md").unlink()
    agentops("package", "install", cwd=ws)
    assert (ws / "agents" / "local-pkg" / "agent-0.md").is_file()
    assert (ws / "agentops.lock").read_text() == lock_text
    assert _lock(ws)["packages"]["local-pkg"]["signed_by"] == alice["fingerprint"]

"""Bundle signatures mean something only for signers this machine trusts (its trust stores, or --trust)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import KEY_ENV, write_package


@pytest.fixture
def signed(agentops, tmp_path) -> dict:
    """A bundle of demo@1.0.0 whose manifest alice signed, and alice's public key."""
    agentops.generate_key("alice")
    agentops.publish_folder(write_package(tmp_path / "src", "demo", "1.0.0"))
    bundle = tmp_path / "demo.bundle"
    agentops("bundle", "collect", "demo", "-o", bundle, "--sign", "alice", env=KEY_ENV)
    pub = agentops.home / "data" / "agentpack" / "keys" / "alice.pub"
    fingerprint = json.loads(agentops("bundle", "verify", bundle, "--trust", pub, "--json").out)["signed_by"]
    return {"bundle": bundle, "pub": pub, "fingerprint": fingerprint}


def test_verify_refuses_a_signer_no_trust_store_holds_and_names_it(signed, far):
    run = far("bundle", "verify", signed["bundle"], expect=1)
    assert signed["fingerprint"] in run.err and "not trusted" in run.err
    assert "--allow-untrusted" in run.err
    assert "signatures match" not in run.out


def test_allow_untrusted_accepts_but_says_so(signed, far):
    run = far("bundle", "verify", signed["bundle"], "--allow-untrusted")
    assert "NOT trusted" in run.out and "does not trust" in run.out
    assert signed["fingerprint"] in run.out
    assert "signatures match" not in run.out
    report = json.loads(far("bundle", "verify", signed["bundle"], "--allow-untrusted", "--json").out)
    assert report["signed_by"] == signed["fingerprint"] and report["trusted"] is False


def test_a_signer_in_the_user_trust_store_is_trusted(signed, far):
    far("trust", "add", signed["pub"])
    run = far("bundle", "verify", signed["bundle"])
    assert "signatures match trusted keys" in run.out and "(trusted)" in run.out


def test_a_signer_in_the_workspace_trust_store_is_trusted_there_only(signed, far, tmp_path):
    ws = tmp_path / "far-ws"
    ws.mkdir()
    (ws / "agentops.yaml").write_text("packages: {}\n")
    far("trust", "add", signed["pub"], "--workspace", cwd=ws)
    assert "signatures match trusted keys" in far("bundle", "verify", signed["bundle"], cwd=ws).out
    far("bundle", "verify", signed["bundle"], cwd=tmp_path, expect=1)


def test_load_applies_the_same_trust_rule(signed, far, tmp_path):
    registry = tmp_path / "far-registry"
    run = far("bundle", "load", signed["bundle"], "--registry", registry, expect=1)
    assert signed["fingerprint"] in run.err
    assert not registry.exists()
    loaded = far("bundle", "load", signed["bundle"], "--registry", registry, "--allow-untrusted")
    assert "1 imported" in loaded.out and "does not trust" in loaded.out


def test_trust_and_allow_untrusted_together_are_misuse(signed, far):
    run = far("bundle", "verify", signed["bundle"], "--trust", signed["pub"], "--allow-untrusted", expect=2)
    assert "contradict" in run.err


def test_an_unsigned_bundle_verifies_but_is_not_called_signed(agentops, far, tmp_path):
    agentops.publish_folder(write_package(tmp_path / "src", "demo", "1.0.0"))
    bundle = tmp_path / "plain.bundle"
    agentops("bundle", "collect", "demo", "-o", bundle)
    run = far("bundle", "verify", bundle)
    assert "not signed, so of unproven origin: manifest, demo@1.0.0" in run.out
    assert "signatures match" not in run.out
    ws = tmp_path / "strict-ws"
    ws.mkdir()
    (ws / "agentops.yaml").write_text("require_signatures: true\npackages: {}\n")
    refused = far("bundle", "verify", bundle, cwd=ws, expect=1)
    assert "not signed, and agentops.yaml sets require_signatures" in refused.err
    far("bundle", "load", bundle, "--registry", tmp_path / "far-registry", cwd=ws, expect=1)
    assert not (tmp_path / "far-registry").exists()


def test_a_package_signed_by_an_untrusted_key_is_refused_even_under_a_trusted_manifest(agentops, far, tmp_path):
    agentops.generate_key("alice")
    agentops.generate_key("mallory")
    folder = write_package(tmp_path / "src", "demo", "1.0.0")
    agentops.publish_folder(folder, "--sign", "mallory")
    bundle = tmp_path / "mixed.bundle"
    agentops("bundle", "collect", "demo", "-o", bundle, "--sign", "alice", env=KEY_ENV)
    keys = agentops.home / "data" / "agentpack" / "keys"
    far("trust", "add", keys / "alice.pub")
    run = far("bundle", "verify", bundle, expect=1)
    assert "demo@1.0.0 is signed by key" in run.err and "not trusted" in run.err
    far("trust", "add", keys / "mallory.pub")
    assert "signatures match trusted keys" in far("bundle", "verify", bundle).out


def test_info_shows_signature_status_signer_and_classification(agentops, tmp_path):
    agentops.generate_key("alice")
    folder = write_package(tmp_path / "src", "demo", "1.0.0")
    with open(folder / "package.yaml", "a") as handle:
        handle.write("classification: cui\n")
    agentops.publish_folder(folder, "--sign", "alice")
    info = json.loads(agentops("package", "info", "demo", "--json").out)
    assert info["classification"] == "cui"
    assert info["signature"]["status"] == "untrusted" and info["signature"]["signed_by"]
    text = agentops("package", "info", "demo").out
    assert "cui" in text and "not trusted" in text and info["signature"]["signed_by"][:16] in text
    agentops("trust", "add", Path(agentops.home / "data" / "agentpack" / "keys" / "alice.pub"))
    assert json.loads(agentops("package", "info", "demo", "--json").out)["signature"]["status"] == "trusted"
    agentops.publish_folder(write_package(tmp_path / "src2", "plain", "1.0.0"))
    plain = json.loads(agentops("package", "info", "plain", "--json").out)
    assert plain["signature"] == {"status": "unsigned", "signed_by": None}
    assert plain["classification"] == "unclassified"

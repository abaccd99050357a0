"""`agentops trust add` with paths (missing, elsewhere, relative to -C) and `key generate`
without a passphrase."""

from __future__ import annotations

import json
from pathlib import Path


def test_trust_add_reports_a_missing_file_as_missing(agentops, tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    for typed in ("release.pub", "../keys/release.pub", str(tmp_path / "nowhere" / "release.pub"), "release"):
        run = agentops("trust", "add", typed, "--workspace", cwd=ws, expect=1)
        assert f"error: {typed}: no such file" in run.err, run.err
        assert "neither a PEM" not in run.err
    run = agentops("trust", "add", tmp_path, cwd=ws, expect=2)
    assert "is a folder, not a public key file" in run.err


def test_trust_add_takes_a_file_outside_the_current_folder_and_relative_to_C(agentops, tmp_path):
    key = agentops.generate_key("release")
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "release.pub").write_bytes(Path(key["public_key"]).read_bytes())
    ws = tmp_path / "ws"
    ws.mkdir()
    run = agentops("trust", "add", "../keys/release.pub", "--workspace", cwd=ws)
    assert "Trusted release" in run.out
    other = tmp_path / "other"
    other.mkdir()
    (other / "team.pub").write_bytes(Path(key["public_key"]).read_bytes())
    run = agentops("-C", other, "trust", "add", "team.pub", cwd=tmp_path)
    assert "Trusted team" in run.out
    bad = tmp_path / "bad.pub"
    bad.write_text("not a key\n")
    assert "neither a PEM public key" in agentops("trust", "add", bad, expect=1).err


def test_key_generate_without_a_passphrase_warns_that_the_key_is_unencrypted(agentops):
    run = agentops("key", "generate", "plain", env={"AGENTOPS_KEY_PASSPHRASE": ""})
    assert "warning:" in run.err and "plain.key is stored unencrypted" in run.err
    run = agentops("key", "generate", "plain2", "--json", env={"AGENTOPS_KEY_PASSPHRASE": ""})
    assert json.loads(run.out)["encrypted"] is False and "stored unencrypted" in run.err
    run = agentops("key", "generate", "locked", "--json", env={"AGENTOPS_KEY_PASSPHRASE": "pw"})
    assert json.loads(run.out)["encrypted"] is True and "unencrypted" not in run.err

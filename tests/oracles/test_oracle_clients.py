"""The oracle helpers find a client on PATH or in npm's global bin folder; a missing client skips its
tests with the install command, except under CI, where it fails them."""

from __future__ import annotations

import os
from pathlib import Path

import oracle_clients
import pytest
from oracle_clients import find_binary, require_client


def _executable(path: Path, text: str = "#!/bin/sh\nexit 0\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def test_a_client_on_path_is_found(tmp_path, monkeypatch):
    client = _executable(tmp_path / "bin" / "oracle-client")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert find_binary.__wrapped__("oracle-client") == str(client)


def test_a_client_off_path_is_found_in_npms_global_bin(tmp_path, monkeypatch):
    prefix = tmp_path / "npm-global"
    client = _executable(prefix / "bin" / "oracle-client")
    _executable(tmp_path / "tools" / "npm", f"#!/bin/sh\n[ \"$*\" = 'prefix -g' ] && echo '{prefix}'\n")
    monkeypatch.setenv("PATH", f"{tmp_path / 'tools'}{os.pathsep}/usr/bin{os.pathsep}/bin")
    assert find_binary.__wrapped__("oracle-client") == str(client)
    assert find_binary.__wrapped__("no-such-oracle-client") is None


def test_a_missing_client_skips_with_the_install_command_and_fails_under_ci(monkeypatch):
    monkeypatch.setitem(oracle_clients.CLIENTS, "oracle", ("no-such-oracle-client", "@example/oracle-cli"))
    monkeypatch.setattr(oracle_clients, "find_binary", lambda command: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="npm install -g @example/oracle-cli"):
        require_client("oracle")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        require_client("oracle")

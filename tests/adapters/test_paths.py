"""User directories (XDG honoured, platformdirs lazily) and atomic file replacement."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from agentpack.adapters import paths


def test_xdg_data_home_is_honoured(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert paths.user_data_dir() == str(tmp_path / "data" / "agentpack")
    assert paths.default_registry_dir() == str(tmp_path / "data" / "agentpack" / "registry")


def test_xdg_cache_home_is_honoured(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert paths.user_cache_dir() == str(tmp_path / "cache" / "agentpack")
    assert paths.cache_dir() == str(tmp_path / "cache" / "agentpack")


@pytest.mark.parametrize("variable", ["XDG_DATA_HOME", "XDG_CACHE_HOME"])
@pytest.mark.parametrize("value", [None, "", "relative/dir"])
def test_other_values_fall_back_to_platformdirs_and_stay_absolute(tmp_path, monkeypatch, variable, value):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    if value is None:
        monkeypatch.delenv(variable, raising=False)
    else:
        monkeypatch.setenv(variable, value)
    located = paths.user_data_dir() if variable == "XDG_DATA_HOME" else paths.user_cache_dir()
    assert os.path.isabs(located)
    assert os.path.basename(located) == "agentpack"
    assert located.startswith(str(tmp_path) + os.sep)  # under HOME (or the cwd, for a relative value)


def test_platformdirs_is_not_imported_at_import_time():
    code = "import sys, agentpack.adapters.paths; print('platformdirs' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert output.stdout.strip() == "False"


def test_write_atomic_creates_directories_and_replaces(tmp_path):
    target = str(tmp_path / "a" / "b" / "file.json")
    paths.write_atomic(target, b"one")
    paths.write_atomic(target, b"two")
    with open(target, "rb") as stream:
        assert stream.read() == b"two"
    assert os.listdir(os.path.dirname(target)) == ["file.json"]


def test_write_atomic_leaves_old_file_and_no_temp_on_failure(tmp_path):
    target = str(tmp_path / "file")
    paths.write_atomic(target, b"old")
    with pytest.raises(TypeError):
        paths.write_atomic(target, "not bytes")  # type: ignore[arg-type]
    with open(target, "rb") as stream:
        assert stream.read() == b"old"
    assert os.listdir(tmp_path) == ["file"]

"""User directories (XDG honoured, platformdirs lazily) and atomic file replacement."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from agentpack.adapters import paths
from agentpack.errors import LinkRefused


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


@pytest.mark.skipif(sys.platform != "linux", reason="the directories written out are Linux's")
@pytest.mark.parametrize("variable, function", [("XDG_DATA_HOME", "user_data_dir"), ("XDG_CACHE_HOME", "user_cache_dir"),
                                                ("XDG_STATE_HOME", "user_state_dir"),
                                                ("XDG_CONFIG_HOME", "user_config_dir")])
@pytest.mark.parametrize("value", [None, "", "  ", "relative/dir"])
def test_the_linux_directories_are_platformdirs_own_without_importing_it(tmp_path, monkeypatch, variable, function,
                                                                         value):
    import platformdirs

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    if value is None:
        monkeypatch.delenv(variable, raising=False)
    else:
        monkeypatch.setenv(variable, value)
    expected = os.path.abspath(getattr(platformdirs, function)("agentpack", appauthor=False))
    assert getattr(paths, function)() == expected
    code = (f"import sys, agentpack.adapters.paths as p; p.{function}(); "
            "print('platformdirs' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != variable} | {"HOME": str(tmp_path / "home")}
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert output.stdout.strip() == "False"  # unset: answered without it


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


# --- nothing is written through a symbolic link below the root -----------------------------------


@pytest.fixture
def outside(tmp_path):
    """A folder and a file outside the root that a planted link points to; must stay untouched."""
    folder = tmp_path / "outside"
    folder.mkdir()
    victim = folder / "victim"
    victim.write_bytes(b"precious")
    return folder


def _untouched(outside):
    assert sorted(os.listdir(outside)) == ["victim"] and (outside / "victim").read_bytes() == b"precious"


@pytest.mark.parametrize("link", ["sub", "sub/deeper", "sub/deeper/file.txt"])
def test_write_atomic_refuses_a_link_at_any_depth_below_the_root(tmp_path, outside, link):
    root = tmp_path / "root"
    (root / "sub" / "deeper").mkdir(parents=True)
    target = root / link
    if target.is_dir():
        shutil.rmtree(target)
    os.symlink(outside / "victim" if link.endswith(".txt") else outside, target)
    with pytest.raises(LinkRefused) as info:
        paths.write_atomic(str(root / "sub" / "deeper" / "file.txt"), b"new", root=str(root))
    assert info.value.path == str(target) and "symbolic link" in info.value.message
    assert f"remove the link {target}" in info.value.hint
    _untouched(outside)


def test_write_atomic_refuses_a_dangling_link_as_the_file(tmp_path, outside):
    os.symlink(outside / "not-yet", tmp_path / "file")
    with pytest.raises(LinkRefused):
        paths.write_atomic(str(tmp_path / "file"), b"new")
    _untouched(outside)


def test_links_at_or_above_the_root_are_followed(tmp_path):
    # The root is the user's choice (a home folder reached through a link is common).
    real = tmp_path / "real"
    real.mkdir()
    os.symlink(real, tmp_path / "alias")
    paths.write_atomic(str(tmp_path / "alias" / "a" / "f"), b"x", root=str(tmp_path / "alias"))
    assert (real / "a" / "f").read_bytes() == b"x"


def test_make_dirs_refuses_links_and_files(tmp_path, outside):
    os.symlink(outside, tmp_path / "link")
    with pytest.raises(LinkRefused):
        paths.make_dirs(str(tmp_path), str(tmp_path / "link" / "new"))
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError):
        paths.make_dirs(str(tmp_path), str(tmp_path / "file" / "new"))
    paths.make_dirs(str(tmp_path), str(tmp_path / "a" / "b"))
    assert (tmp_path / "a" / "b").is_dir()
    _untouched(outside)


def test_open_no_follow_never_truncates_a_link_target(tmp_path, outside):
    os.symlink(outside / "victim", tmp_path / "lock")
    with pytest.raises(LinkRefused):
        paths.open_no_follow(str(tmp_path / "lock"), os.O_RDWR | os.O_CREAT | os.O_TRUNC)
    _untouched(outside)


def test_a_path_outside_the_root_is_a_programming_error(tmp_path):
    with pytest.raises(ValueError):
        paths.refuse_links(str(tmp_path / "root"), str(tmp_path / "elsewhere"))


def test_make_dirs_gives_its_mode_to_the_folders_it_makes_not_to_the_root_above_them(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    paths.make_dirs(str(tmp_path / "data"), str(tmp_path / "data" / "keys"), mode=0o700)
    assert (tmp_path / "data").stat().st_mode & 0o777 == 0o777 & ~umask
    assert (tmp_path / "data" / "keys").stat().st_mode & 0o777 == 0o700
    paths.make_dirs(str(tmp_path / "out"), str(tmp_path / "out"), mode=0o700)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o700


# -- read_within: bounded reads ---------------------------------------------------------------------

def test_read_within_reads_a_file_whole_and_refuses_one_past_the_limit(tmp_path):
    from agentpack.adapters.paths import read_within

    path = tmp_path / "blob"
    path.write_bytes(b"x" * 1000)
    with open(path, "rb") as stream:
        assert read_within(stream, 1000) == b"x" * 1000
    with open(path, "rb") as stream:
        assert read_within(stream, 999) is None
    path.write_bytes(b"")
    with open(path, "rb") as stream:
        assert read_within(stream, 10) == b""


def test_read_within_bounds_streams_without_a_size_and_files_that_grow(tmp_path):
    import io

    from agentpack.adapters.paths import read_within

    assert read_within(io.BytesIO(b"y" * 50), 50) == b"y" * 50
    assert read_within(io.BytesIO(b"y" * 51), 50) is None

    class Growing(io.BytesIO):  # states 10 bytes, holds more: a file appended to meanwhile
        def fileno(self):
            return fd

    path = tmp_path / "small"
    path.write_bytes(b"z" * 10)
    with open(path, "rb") as small:
        fd = small.fileno()
        assert read_within(Growing(b"z" * 40), 100) == b"z" * 40
        assert read_within(Growing(b"z" * 400), 100) is None

"""Package names that cannot be folders on Windows are refused wherever a name is accepted."""

from __future__ import annotations

import pytest

from conftest import write_package
from tarcraft import package_files, package_tgz, write_with_sidecar

DEVICE_NAMES = ["con", "nul", "aux", "prn", "com1", "lpt9", "team/con", "com3/tools"]


@pytest.mark.parametrize("name", DEVICE_NAMES)
def test_validate_refuses_a_windows_device_name(agentops, tmp_path, name):
    folder = write_package(tmp_path / "src", name, "1.0.0")
    run = agentops("package", "validate", folder, expect=1)
    assert "device name on Windows" in run.out + run.err


@pytest.mark.parametrize("name", DEVICE_NAMES)
def test_publish_refuses_a_hand_made_archive_with_a_device_name(agentops, tmp_path, name):
    archive = write_with_sidecar(tmp_path / "dist" / "x-1.0.0.tar.gz", package_tgz(package_files(name)))
    run = agentops("package", "publish", archive, expect=1)
    assert "device name on Windows" in run.out + run.err
    assert not (agentops.default_registry / "index").exists()


def test_install_refuses_a_device_name_before_asking_any_registry(agentops, tmp_path):
    run = agentops("package", "install", "nul@1.0.0", cwd=tmp_path, expect=2)
    assert "device name on Windows" in run.err


@pytest.mark.parametrize("filename", ["con.md", "NUL", "aux.tar.gz", "com1 .md", "lpt\u00b9.md"])
def test_files_named_like_a_windows_device_are_refused_by_build_and_install(agentops, tmp_path, filename):
    folder = write_package(tmp_path / "src", "demo", "1.0.0")
    (folder / "docs" / filename).write_text("x\n")
    run = agentops("package", "build", folder, "-o", tmp_path / "dist", expect=None)
    assert run.code != 0 and "device name on Windows" in run.err, run.err
    archive = write_with_sidecar(tmp_path / "dist" / "demo-1.0.0.tar.gz",
                                 package_tgz({**package_files("demo"), f"docs/{filename}": b"x"}))
    ws = tmp_path / "ws"
    ws.mkdir()
    refused = agentops("package", "install", archive, cwd=ws, expect=1)
    assert "device name on Windows" in refused.err
    assert not (ws / "docs").exists() and not (ws / "agentops.lock").exists()

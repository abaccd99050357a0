"""kill -9 during install leaves the workspace old or new, and the next command says which;
two commands on one workspace serialise."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import time

from conftest import agentops_command, write_package


def _assert_consistent(ws):
    """Every file the lock records is on disk with its digest, and no package file is stray."""
    lock_path = ws / "agentops.lock"
    recorded = {}
    if lock_path.exists():
        for pkg in json.loads(lock_path.read_text())["packages"].values():
            recorded.update(pkg["files"])
    on_disk = {p.relative_to(ws).as_posix() for p in (ws / "agents").rglob("*") if p.is_file()} \
        if (ws / "agents").exists() else set()
    assert on_disk == {p for p in recorded if p.startswith("agents/")}
    for path, digest in recorded.items():
        assert hashlib.sha256((ws / path).read_bytes()).hexdigest() == digest, path


def test_kill_9_during_install_then_recover(agentops, tmp_path):
    src = tmp_path / "src"
    for version in ("1.0.0", "2.0.0"):
        folder = write_package(src, "big", version, agents=1500, body=f"Body of {version}. " * 40)
        agentops.publish_folder(folder)

    def prepare(ws):
        ws.mkdir()
        agentops("package", "install", "big@1.0.0", cwd=ws)
        (ws / "agentops.yaml").write_text("packages:\n  big: 2.0.0\n")

    # Time one uninterrupted upgrade, then spread the kills evenly over that duration so that
    # some land before, during and after the transaction whatever the machine's speed.
    prepare(tmp_path / "timed")
    start = time.perf_counter()
    agentops("package", "install", cwd=tmp_path / "timed")
    duration = time.perf_counter() - start
    attempts = 14
    outcomes = set()
    for attempt in range(attempts):
        ws = tmp_path / f"ws{attempt}"
        prepare(ws)
        proc = subprocess.Popen([*agentops_command(), "package", "install"], cwd=ws, env=agentops.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(duration * (0.3 + 0.7 * attempt / attempts))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        run = agentops("package", "install", cwd=ws)
        if "interrupted operation" in run.err:
            outcomes.add("recovered")
        _assert_consistent(ws)
        assert json.loads((ws / "agentops.lock").read_text())["packages"]["big"]["version"] == "2.0.0"
        assert "Body of 2.0.0" in (ws / "agents" / "big" / "agent-0.md").read_text()
    assert outcomes, "no kill landed inside a transaction; widen the delays"


def test_two_installs_on_one_workspace_serialise(agentops, tmp_path):
    src = tmp_path / "src"
    for name in ("one", "two"):
        folder = write_package(src, name, "1.0.0", agents=50)
        agentops.publish_folder(folder)
    ws = tmp_path / "ws"
    ws.mkdir()
    procs = [subprocess.Popen([*agentops_command(), "package", "install", name], cwd=ws, env=agentops.env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for name in ("one", "two")]
    for proc in procs:
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    lock = json.loads((ws / "agentops.lock").read_text())
    assert sorted(lock["packages"]) == ["one", "two"]
    _assert_consistent(ws)

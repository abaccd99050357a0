"""The first install in a folder: a failure leaves nothing behind, and a crash at any step of
its transaction is recovered by the next bare `agentops package install`, which `package list`
then agrees with."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write_package

CRASH_CLI = Path(__file__).with_name("crash_cli.py")


@pytest.fixture
def demo(agentops, tmp_path):
    agentops.publish_folder(write_package(tmp_path / "src", "demo", "1.0.0"))
    return agentops


FAILING = [
    ("package", "install", "no-such-package"),
    ("package", "install", "demo@9.9.9"),
    ("package", "install", "demo", "--frozen"),
    ("package", "install", "demo", "--registry", "nowhere"),
    ("package", "install", "./missing-1.0.0.tar.gz"),
    ("package", "install", "Not A Name"),
    ("package", "install"),
    ("package", "uninstall", "demo"),
    ("package", "update"),
    ("package", "update", "demo"),
    ("config", "show", "demo"),
    ("config", "apply"),
    ("trust", "add", "missing.pub", "--workspace"),
]


@pytest.mark.parametrize("args", FAILING, ids=" ".join)
def test_a_failed_command_in_a_folder_that_is_not_a_workspace_leaves_nothing(demo, tmp_path, args):
    folder = tmp_path / "empty"
    folder.mkdir()
    run = demo(*args, cwd=folder, expect=None)
    assert run.code in (1, 2), run
    assert sorted(p.name for p in folder.iterdir()) == []


def test_read_only_commands_in_a_folder_that_is_not_a_workspace_leave_nothing(demo, tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    for args in (("package", "list"), ("package", "list", "--json"), ("package", "tree"), ("trust", "list"),
                 ("package", "outdated"), ("check",)):
        demo(*args, cwd=folder, expect=None)
    assert list(folder.iterdir()) == []


def test_a_failure_in_a_workspace_keeps_its_state_folder(demo, tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    demo("package", "install", "demo", cwd=ws)
    demo("package", "install", "no-such-package", cwd=ws, expect=1)
    assert (ws / ".agentops" / "installed").is_file()


def _installed(ws: Path) -> dict[str, str]:
    """name -> version according to agentops.lock, after checking every file it records."""
    lock = ws / "agentops.lock"
    if not lock.exists():
        return {}
    packages = json.loads(lock.read_text())["packages"]
    for pkg in packages.values():
        for path, digest in pkg["files"].items():
            assert hashlib.sha256((ws / path).read_bytes()).hexdigest() == digest, path
    return {name: pkg["version"] for name, pkg in packages.items()}


def test_kill_9_at_every_step_of_the_first_install_is_recovered_by_a_bare_install(demo, tmp_path):
    outcomes = set()
    step = 0
    while True:
        step += 1
        assert step < 500, "the transaction never finished"
        ws = tmp_path / f"ws{step}"
        ws.mkdir()
        crashed = subprocess.run([sys.executable, str(CRASH_CLI), "package", "install", "demo"], cwd=ws,
                                 env={**demo.env, "CRASH_AT": str(step)}, capture_output=True, text=True,
                                 timeout=120)
        if crashed.returncode != -signal.SIGKILL:
            assert crashed.returncode == 0, crashed.stderr
            assert f"calls {step - 1}" in crashed.stderr  # it lived: every step has been tried
            break
        interrupted = (ws / ".agentops" / "txn").exists()  # else it died in the clean-up, or before
        pending = demo("package", "list", cwd=ws)
        assert ("interrupted install is pending" in pending.err) == interrupted, (step, pending.err)

        install = demo("package", "install", cwd=ws)
        listed = {p["name"]: p["version"] for p in json.loads(demo("package", "list", "--json", cwd=ws).out)}
        assert listed == _installed(ws), (step, install.err)
        assert not interrupted or "interrupted operation was found" in install.err, (step, install.err)
        if listed:
            outcomes.add("completed")
            assert listed == {"demo": "1.0.0"} and "Up to date: 1 package(s)" in install.out
        else:
            outcomes.add("rolled back")
            assert "interrupted operation was found and rolled back" in install.err, (step, install.err)
            assert "Up to date: 0 package(s)" in install.out
            assert list(ws.iterdir()) == []  # as before the first install
            demo("package", "install", "demo", cwd=ws)  # and the folder is as good as new
            assert _installed(ws) == {"demo": "1.0.0"}
    assert outcomes == {"completed", "rolled back"}
    assert step > 20  # the hooks did count the transaction's calls


_LOADED = ("import sys; from agentpack.cli.main import main; code = main(['package', 'install', 'demo']); "
           "print(code, 'agentpack.core.targets' in sys.modules)")


@pytest.mark.parametrize("present,loaded", [(None, False), (".claude", True), ("AGENTS.md", True)])
def test_a_workspace_without_agent_tools_loads_no_tool_rules(demo, tmp_path, present, loaded):
    """Installing where no agent tool is, nor was, costs no import of the tools' translation rules
    (start-up time); a tool's folder, or a shared document that may hold agentops's section, does."""
    ws = tmp_path / "ws"
    ws.mkdir()
    if present == ".claude":
        (ws / present).mkdir()
    elif present:
        (ws / present).write_text("# Our agents\n")
    proc = subprocess.run([sys.executable, "-c", _LOADED], cwd=ws, env=demo.env, capture_output=True, text=True,
                          timeout=120)
    assert proc.stdout.split()[-2:] == ["0", str(loaded)], proc.stdout + proc.stderr
    assert (ws / "agentops.lock").is_file()
    if present == ".claude":
        assert (ws / ".claude" / "agents").is_dir()


_SLOW_IMPORTS = ("typing", "dataclasses", "inspect")


def test_a_first_install_imports_none_of_the_slow_standard_modules(demo, tmp_path):
    """typing, dataclasses and inspect cost about 8 ms to import, with dataclasses' class creation
    more again (core.records, core.type_names): an install from a directory registry needs none."""
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "agentops.yaml").write_text("packages:\n  demo: ^1.0.0\n")
    script = ("import sys; from agentpack.cli.main import main; code = main(['package', 'install']); "
              f"print(code, *[name for name in {_SLOW_IMPORTS!r} if name in sys.modules])")
    proc = subprocess.run([sys.executable, "-c", script], cwd=ws, env=demo.env, capture_output=True, text=True,
                          timeout=120)
    assert proc.stdout.split("\n")[-2].split() == ["0"], proc.stdout + proc.stderr
    assert (ws / "agentops.lock").is_file()

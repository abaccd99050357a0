"""A reader that goes away is not an error: `agentops ... | head -1` exits quietly.

The pipe is closed before the command starts, so its very first write fails (the worst case of
`| head`, and deterministic): nothing may be reported, no traceback may appear, and the exit code
is 0, or the command's own failure code when it failed anyway.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from conftest import agentops_command


@pytest.fixture
def ws(agentops, tmp_path):
    agentops.publish_examples("core-workflow")  # it has configuration, for `config show`
    folder = tmp_path / "ws"
    folder.mkdir()
    agentops("package", "install", "core-workflow", cwd=folder)
    return folder


def run_with_closed(agentops, stream: str, *args, cwd) -> subprocess.CompletedProcess:
    """Run the real command with ``stream`` ("stdout", "stderr" or "both") a pipe nobody reads."""
    read, write = os.pipe()
    os.close(read)
    try:
        closed = {"stdout": write if stream in ("stdout", "both") else subprocess.PIPE,
                  "stderr": write if stream in ("stderr", "both") else subprocess.PIPE}
        return subprocess.run([*agentops_command(), *map(str, args)], cwd=cwd, env=agentops.env, timeout=120,
                              **closed)
    finally:
        os.close(write)


SUCCEEDING = [
    ("--version",),
    ("-V",),
    ("--help",),
    ("package", "--help"),
    ("package", "install", "--help"),
    ("package", "list"),
    ("package", "list", "--json"),
    ("package", "install"),  # the up-to-date fast path
    ("package", "install", "--json"),
    ("package", "tree"),
    ("package", "tree", "--json"),
    ("package", "info", "core-workflow"),
    ("package", "info", "core-workflow", "--json"),
    ("package", "search", "workflow"),
    ("config", "show", "core-workflow", "--explain"),
    ("config", "show", "core-workflow", "--json"),
    ("trust", "list", "--json"),
]


@pytest.mark.parametrize("args", SUCCEEDING, ids=" ".join)
def test_a_closed_stdout_ends_a_command_quietly(agentops, ws, args):
    proc = run_with_closed(agentops, "stdout", *args, cwd=ws)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == b"", proc.stderr


@pytest.mark.parametrize("args", [("package", "install", "no-such-package"), ("package", "info", "nope", "--json"),
                                  ("config", "show", "nope", "--json"), ("no-such-command",)], ids=" ".join)
@pytest.mark.parametrize("stream", ["stdout", "stderr", "both"])
def test_a_failing_command_keeps_its_exit_code_without_a_word_about_the_pipe(agentops, ws, args, stream):
    proc = run_with_closed(agentops, stream, *args, cwd=ws)
    assert proc.returncode in (1, 2)
    for output in (proc.stdout, proc.stderr):
        if output is not None:
            assert b"Broken pipe" not in output and b"Traceback" not in output and b"Exception" not in output

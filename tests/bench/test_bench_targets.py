"""bench/bench_targets.py keeps running: agentops alone on a small workload, and peers that cannot be
installed or that fail are reported as skipped instead of ending the run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import bench_targets  # noqa: E402


def test_a_run_without_peers_prints_every_row(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(BENCH / "bench_targets.py"), "--runs", "1", "--packages", "2",
                           "--no-peers", "--cache", str(tmp_path / "cache")],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    for row in bench_targets.ROWS:
        assert proc.stdout.count(row) == 2, proc.stdout  # one line in each workload's table
    assert "- APM: skipped: --no-peers" in proc.stdout
    assert "- skills: skipped: --no-peers" in proc.stdout
    assert not (tmp_path / "cache").exists()  # nothing installed


def test_a_peer_that_cannot_be_installed_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no node, no npm
    tool = bench_targets.tool_skills(tmp_path / "cache", {})
    assert tool.skipped == "node and npm are not on PATH"


def test_a_peer_that_fails_is_skipped_and_the_table_still_prints(tmp_path: Path, capsys) -> None:
    def command(code: str):
        return lambda workload, project: [sys.executable, "-c", code]

    reference = bench_targets.Tool("ref", install=command("pass"), restore=command("pass"), kinds=())
    broken = bench_targets.Tool("broken", install=command("raise SystemExit('no such package')"),
                                restore=command("pass"), kinds=())
    workload = bench_targets.Workload("A", "nothing", tmp_path / "A", 0, 0)
    samples = bench_targets.measure([reference, broken], workload, tmp_path, runs=2)
    assert broken.skipped == f"failed on A, {bench_targets.ROWS[0]}: no such package"
    assert len(samples["ref"][bench_targets.ROWS[0]]) == 2
    bench_targets.print_table([reference, broken], workload, samples, 2)
    assert "skipped" in capsys.readouterr().out

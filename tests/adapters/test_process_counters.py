"""adapters.process_counters: one file per process, never going back, runs cleaned up."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from agentpack.adapters.process_counters import ProcessCounters, end_run, run_folder, start_run


def test_a_later_snapshot_is_never_replaced_by_an_earlier_one(tmp_path):
    counters = ProcessCounters(str(tmp_path / "run"))
    counters.write(2, {"downloads": 5})
    counters.write(1, {"downloads": 3})  # finished after the newer one: dropped
    assert counters.gather() == [{"downloads": 5}]
    counters.write(3, {"downloads": 6})
    assert counters.gather() == [{"downloads": 6}]
    assert os.listdir(tmp_path / "run") == [f"{os.getpid()}.json"]  # no temporary file left


def test_gather_reads_every_process_and_skips_what_it_cannot_read(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "101.json").write_text(json.dumps({"downloads": 1}))
    (folder / "102.json").write_text('{"downloads": ')  # never happens (atomic replace), but must not break
    (folder / "103.json").write_text("[1, 2]")
    (folder / "104.json.55.tmp").write_text(json.dumps({"downloads": 9}))
    assert ProcessCounters(str(folder)).gather() == [{"downloads": 1}]
    assert ProcessCounters(str(tmp_path / "missing")).gather() == []


def test_a_run_starts_empty_and_removes_the_folders_of_runs_whose_server_is_gone(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True).stdout.strip()
    parent = tmp_path / "run" / "metrics"
    for pid in (gone, str(os.getppid()), str(os.getpid())):
        (parent / pid).mkdir(parents=True)
        (parent / pid / "1.json").write_text("{}")
    folder = start_run(str(tmp_path))
    assert folder == run_folder(str(tmp_path))
    assert sorted(os.listdir(parent)) == sorted([str(os.getppid()), str(os.getpid())])  # the live one is kept
    assert os.listdir(folder) == []  # this run's own folder starts empty
    end_run(folder)
    assert os.listdir(parent) == [str(os.getppid())]

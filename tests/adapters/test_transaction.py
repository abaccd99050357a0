"""Tests for agentpack.adapters.transaction: atomic multi-file changes and crash recovery.

Everything runs on real temporary directories. The crash tests run ``crash_worker.py`` in a
subprocess and SIGKILL it, either at each file-system call in turn or after a random delay.
"""

from __future__ import annotations

import concurrent.futures
import importlib.util
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from agentpack.adapters import transaction
from agentpack.adapters.transaction import Transaction, has_pending, recover
from agentpack.errors import LinkRefused, WorkspaceError

real_apply_and_finish = transaction._apply_and_finish

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "crash_worker.py")
_spec = importlib.util.spec_from_file_location("crash_worker", WORKER)
crash_worker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(crash_worker)


class Crash(BaseException):
    """Stands in for the process dying: nothing catches it and no clean-up runs after it."""


def crash(*args, **kwargs):
    raise Crash()


def populate(root, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)


def snapshot(root) -> tuple[dict[str, bytes], frozenset[str]]:
    """Every file (with its content) and every directory under ``root``."""
    files, dirs = {}, set()
    for top, dirnames, filenames in os.walk(root):
        rel_top = os.path.relpath(top, root).replace(os.sep, "/")
        prefix = "" if rel_top == "." else rel_top + "/"
        dirs.update(prefix + d for d in dirnames)
        for name in filenames:
            with open(os.path.join(top, name), "rb") as handle:
                files[prefix + name] = handle.read()
    return files, frozenset(dirs)


def txn_dirs(root) -> list[str]:
    return [n for n in ("txn", "txn.done") if os.path.lexists(os.path.join(root, ".agentops", n))]


@pytest.fixture
def ws(tmp_path):
    root = str(tmp_path / "ws")
    populate(root, {"a.txt": b"old-a", "sub/b.txt": b"old-b", "sub/deep/c.txt": b"old-c", "keep/k.txt": b"k"})
    return root


# --- committing ---------------------------------------------------------------------------------


def test_commit_writes_replaces_and_deletes(ws):
    with Transaction(ws) as tx:
        tx.write("a.txt", b"new-a")
        tx.write("new/dir/n.txt", b"new-n")
        tx.write(".agentops/state", b"state")
        tx.delete("sub/deep/c.txt")
        tx.delete("missing.txt")
    files, dirs = snapshot(ws)
    assert files == {
        "a.txt": b"new-a",
        "new/dir/n.txt": b"new-n",
        ".agentops/state": b"state",
        "sub/b.txt": b"old-b",
        "keep/k.txt": b"k",
    }
    assert "sub/deep" not in dirs and "sub" in dirs
    assert txn_dirs(ws) == [] and not has_pending(ws)


def test_delete_prunes_only_the_directories_it_emptied(ws):
    os.makedirs(os.path.join(ws, "empty-before"))
    with Transaction(ws) as tx:
        tx.delete("sub/deep/c.txt")
        tx.delete("sub/b.txt")
        tx.delete("a.txt")
        tx.delete("keep/k.txt")
    files, dirs = snapshot(ws)
    assert files == {}
    assert dirs == {"empty-before", ".agentops"}
    assert os.path.isdir(ws)


def test_last_operation_on_a_path_wins(ws):
    with Transaction(ws) as tx:
        tx.write("a.txt", b"first")
        tx.write("a.txt", b"second")
        tx.write("sub/b.txt", b"written")
        tx.delete("sub/b.txt")
        tx.delete("keep/k.txt")
        tx.write("keep/k.txt", b"rewritten")
    files, _ = snapshot(ws)
    assert files["a.txt"] == b"second"
    assert "sub/b.txt" not in files
    assert files["keep/k.txt"] == b"rewritten"
    assert os.listdir(os.path.join(ws, ".agentops")) == []


def test_a_file_becomes_a_directory_and_a_directory_a_file(ws):
    with Transaction(ws) as tx:
        tx.delete("a.txt")
        tx.write("a.txt/inside.txt", b"inside")
        tx.delete("sub/deep/c.txt")
        tx.write("sub/deep", b"now a file")
    files, _ = snapshot(ws)
    assert files["a.txt/inside.txt"] == b"inside"
    assert files["sub/deep"] == b"now a file"


def test_mode_sets_permission_bits(ws):
    with Transaction(ws) as tx:
        tx.write("run.sh", b"#!/bin/sh\n", mode=0o755)
    assert os.stat(os.path.join(ws, "run.sh")).st_mode & 0o777 == 0o755


def test_empty_transaction_touches_nothing(ws):
    before = snapshot(ws)
    with Transaction(ws):
        pass
    assert snapshot(ws) == before


def test_large_binary_content_survives(ws):
    data = os.urandom(3 * 1024 * 1024)
    with Transaction(ws) as tx:
        tx.write("big.bin", data)
    with open(os.path.join(ws, "big.bin"), "rb") as handle:
        assert handle.read() == data


def test_deleting_under_a_missing_directory_is_a_no_op(ws):
    before = snapshot(ws)
    with Transaction(ws) as tx:
        tx.delete("no/such/dir/file.txt")
    assert snapshot(ws) == (before[0], before[1] | {".agentops"})


def test_a_directory_that_does_not_empty_cannot_become_a_file(ws):
    os.makedirs(os.path.join(ws, "sub", "deep", "empty"))
    tx = Transaction(ws)
    tx.delete("sub/deep/c.txt")
    tx.write("sub/deep", b"file")
    with pytest.raises(WorkspaceError) as info:
        tx.commit()
    assert [p.path for p in info.value.problems] == ["sub/deep"]
    assert snapshot(ws)[0]["sub/deep/c.txt"] == b"old-c"


def test_fsync_mode_commits_and_recovers(ws, monkeypatch):
    monkeypatch.setattr(transaction, "FSYNC", True)
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    with Transaction(ws) as tx:
        tx.write("a.txt", b"durable")
        tx.delete("sub/deep/c.txt")
    assert snapshot(ws)[0]["a.txt"] == b"durable"
    assert len(synced) >= 4  # the staged file, the journal and the directories
    monkeypatch.setattr(transaction, "_apply_and_finish", crash)
    with pytest.raises(Crash):
        start(ws).commit()
    monkeypatch.setattr(transaction, "_apply_and_finish", real_apply_and_finish)
    assert recover(ws) == "completed"


# --- aborting and misuse ------------------------------------------------------------------------


def test_abort_leaves_nothing(ws):
    before = snapshot(ws)
    tx = Transaction(ws)
    tx.write("a.txt", b"new")
    tx.delete("sub/b.txt")
    tx.abort()
    tx.abort()
    files, dirs = snapshot(ws)
    assert files == before[0] and dirs == before[1] | {".agentops"}
    assert txn_dirs(ws) == []


def test_exception_in_with_block_aborts(ws):
    before = snapshot(ws)[0]
    with pytest.raises(RuntimeError), Transaction(ws) as tx:
        tx.write("a.txt", b"new")
        raise RuntimeError("boom")
    assert snapshot(ws)[0] == before and txn_dirs(ws) == []


def test_a_finished_transaction_cannot_be_reused(ws):
    tx = Transaction(ws)
    tx.write("a.txt", b"new")
    tx.commit()
    for call in (lambda: tx.write("x", b""), lambda: tx.delete("x"), tx.commit, tx.abort):
        with pytest.raises(WorkspaceError):
            call()


def test_a_pending_transaction_blocks_a_new_one(ws):
    first = Transaction(ws)
    first.write("a.txt", b"one")
    assert has_pending(ws)
    with pytest.raises(WorkspaceError, match="pending"):
        Transaction(ws).write("a.txt", b"two")
    first.abort()
    assert not has_pending(ws)


def test_missing_workspace_is_an_error(tmp_path):
    with pytest.raises(WorkspaceError, match="does not exist"):
        Transaction(str(tmp_path / "nope")).write("a", b"")


# --- path validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "relpath",
    [
        "",
        "/etc/passwd",
        "../outside",
        "a/../../outside",
        "a/./b",
        ".",
        "a//b",
        "a/",
        "a\\b",
        "a\0b",
        ".agentops/txn",
        ".agentops/txn/journal.json",
        ".agentops/txn/new/0",
        ".agentops/txn.done",
        ".AGENTOPS/Txn/new/0",
    ],
)
def test_unsafe_paths_are_refused(ws, relpath):
    tx = Transaction(ws)
    with pytest.raises(WorkspaceError):
        tx.write(relpath, b"x")
    with pytest.raises(WorkspaceError):
        tx.delete(relpath)
    tx.abort()


@pytest.mark.parametrize("relpath", [".agentops/state", ".agentops/txnlog", "a..b", "..a/b.", "sp ace/ü.md"])
def test_unusual_but_safe_paths_are_accepted(ws, relpath):
    with Transaction(ws) as tx:
        tx.write(relpath, b"ok")
    with open(os.path.join(ws, relpath), "rb") as handle:
        assert handle.read() == b"ok"


def test_conflicts_with_the_workspace_are_collected_and_abort(ws, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, os.path.join(ws, "link"))
    before = snapshot(ws)
    tx = Transaction(ws)
    tx.write("sub", b"replaces a directory")
    tx.write("a.txt/x", b"under a file")
    tx.write("link/escape.txt", b"through a link")
    tx.write("both", b"file")
    tx.write("both/child", b"and directory")
    tx.delete("keep")
    tx.delete("link/thing")
    with pytest.raises(LinkRefused) as info:  # a link among the conflicts is what the error names
        tx.commit()
    assert info.value.path == os.path.join(ws, "link")
    assert sorted(p.path for p in info.value.problems) == ["a.txt", "both", "keep", "link", "sub"]
    assert all(p.code == "path-conflict" for p in info.value.problems)
    assert snapshot(ws) == (before[0], before[1] | {".agentops"})
    assert list(outside.iterdir()) == [] and txn_dirs(ws) == []


def test_staging_through_a_linked_state_folder_is_refused(ws, tmp_path):
    # A linked .agentops (here to another file system, where staged files could not even be
    # renamed into place) is refused before anything is staged in the folder it points to.
    other = "/dev/shm" if os.path.isdir("/dev/shm") else str(tmp_path)
    state = tempfile.mkdtemp(dir=other)
    try:
        os.symlink(state, os.path.join(ws, ".agentops"))
        tx = Transaction(ws)
        with pytest.raises(LinkRefused) as info:
            tx.write("a.txt", b"new")
        assert info.value.path == os.path.join(ws, ".agentops")
        assert snapshot(ws)[0]["a.txt"] == b"old-a" and os.listdir(state) == []
        with pytest.raises(LinkRefused):
            recover(ws)
    finally:
        shutil.rmtree(state)


def test_a_journal_whose_staging_folder_is_a_link_is_not_replayed(ws, tmp_path):
    # A workspace from elsewhere (a clone, an archive) may hold a journal whose staged files are a
    # link away: replaying it would move files out of the folder the link points to.
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "0").write_bytes(b"theirs")
    txn = os.path.join(ws, ".agentops", "txn")
    os.makedirs(txn)
    with open(os.path.join(txn, "journal.json"), "w") as handle:
        handle.write('{"format": 1, "ops": [["write", "a.txt", 0]]}')
    os.symlink(outside, os.path.join(txn, "new"))
    with pytest.raises(LinkRefused) as info:
        recover(ws)
    assert info.value.path == os.path.join(txn, "new")
    assert (outside / "0").read_bytes() == b"theirs" and snapshot(ws)[0]["a.txt"] == b"old-a"


# --- recovery after a simulated crash at each step ----------------------------------------------


def start(ws) -> Transaction:
    tx = Transaction(ws)
    tx.write("a.txt", b"new-a")
    tx.write("sub/b.txt", b"new-b")
    tx.write("added/n.txt", b"new-n")
    tx.delete("sub/deep/c.txt")
    return tx


NEW = {"a.txt": b"new-a", "sub/b.txt": b"new-b", "added/n.txt": b"new-n", "keep/k.txt": b"k"}


def test_recover_with_nothing_pending(ws):
    assert recover(ws) is None
    assert not has_pending(ws)


def test_crash_during_staging_rolls_back(ws):
    before = snapshot(ws)[0]
    start(ws)  # the process "dies" before commit
    assert has_pending(ws)
    assert recover(ws) == "rolled back"
    assert snapshot(ws)[0] == before and txn_dirs(ws) == []
    assert recover(ws) is None


def test_an_error_before_the_commit_point_aborts(ws, monkeypatch):
    before = snapshot(ws)[0]
    tx = start(ws)

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError):
        tx.commit()
    monkeypatch.undo()
    assert snapshot(ws)[0] == before and txn_dirs(ws) == []
    assert recover(ws) is None


def test_crash_before_the_journal_is_in_place_rolls_back(ws, monkeypatch):
    before = snapshot(ws)[0]
    tx = start(ws)
    monkeypatch.setattr(os, "replace", crash)
    monkeypatch.setattr(Transaction, "abort", lambda self: None)  # a dead process cleans nothing up
    with pytest.raises(Crash):
        tx.commit()
    monkeypatch.undo()
    assert os.path.exists(os.path.join(ws, ".agentops", "txn", "journal.json.tmp"))
    assert recover(ws) == "rolled back"
    assert snapshot(ws)[0] == before and txn_dirs(ws) == []


def test_crash_after_the_commit_point_completes(ws, monkeypatch):
    monkeypatch.setattr(transaction, "_apply_and_finish", crash)
    tx = start(ws)
    with pytest.raises(Crash):
        tx.commit()
    monkeypatch.undo()
    assert snapshot(ws)[0]["a.txt"] == b"old-a"  # nothing applied yet
    assert has_pending(ws)
    assert recover(ws) == "completed"
    assert snapshot(ws)[0] == NEW and txn_dirs(ws) == []
    assert recover(ws) is None


def crash_after_renames(monkeypatch, applied: int) -> None:
    """Make the process "die" at the rename after the journal's own and ``applied`` more."""
    real_replace = os.replace
    calls = []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) > applied + 1:  # the first call is the journal's own rename
            raise Crash()
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)


@pytest.mark.parametrize("applied", [0, 1, 2])
def test_crash_half_way_through_applying_completes(ws, monkeypatch, applied):
    crash_after_renames(monkeypatch, applied)
    with pytest.raises(Crash):
        start(ws).commit()
    monkeypatch.undo()
    assert recover(ws) == "completed"
    assert snapshot(ws)[0] == NEW and txn_dirs(ws) == []


def test_crash_during_recovery_is_recovered_again(ws, monkeypatch):
    monkeypatch.setattr(transaction, "_apply_and_finish", crash)
    with pytest.raises(Crash):
        start(ws).commit()
    monkeypatch.undo()
    real_replace = os.replace
    calls = []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise Crash()
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(Crash):
        recover(ws)
    monkeypatch.undo()
    assert recover(ws) == "completed"
    assert snapshot(ws)[0] == NEW


def test_crash_during_clean_up_reports_completed(ws, monkeypatch):
    real_rmtree = transaction._rmtree

    def rmtree(path):
        if path.endswith("txn.done"):
            raise Crash()
        real_rmtree(path)

    monkeypatch.setattr(transaction, "_rmtree", rmtree)
    with pytest.raises(Crash):
        start(ws).commit()
    monkeypatch.undo()
    assert txn_dirs(ws) == ["txn.done"] and not has_pending(ws)
    assert snapshot(ws)[0]["a.txt"] == b"new-a"
    assert recover(ws) == "completed"
    assert txn_dirs(ws) == [] and recover(ws) is None


def test_leftover_clean_up_does_not_block_the_next_transaction(ws, monkeypatch):
    real_rmtree = transaction._rmtree
    monkeypatch.setattr(transaction, "_rmtree", lambda p: crash() if p.endswith("done") else real_rmtree(p))
    with pytest.raises(Crash):
        start(ws).commit()
    monkeypatch.undo()
    with Transaction(ws) as tx:
        tx.write("a.txt", b"newer")
    assert snapshot(ws)[0]["a.txt"] == b"newer" and txn_dirs(ws) == []


def test_unreadable_journal_is_an_error_and_stays(ws):
    os.makedirs(os.path.join(ws, ".agentops", "txn", "new"))
    journal = os.path.join(ws, ".agentops", "txn", "journal.json")
    with open(journal, "w") as handle:
        handle.write("{not json")
    with pytest.raises(WorkspaceError, match="journal"):
        recover(ws)
    assert os.path.exists(journal) and has_pending(ws)


@pytest.mark.parametrize(
    "ops",
    [[["write", "../escape", 0]], [["delete", "/etc/passwd"]], [["write", "a.txt", "0"]], [["chmod", "a"]]],
)
def test_a_tampered_journal_is_refused(ws, ops):
    import json

    os.makedirs(os.path.join(ws, ".agentops", "txn", "new"))
    populate(ws, {".agentops/txn/new/0": b"evil"})
    with open(os.path.join(ws, ".agentops", "txn", "journal.json"), "w") as handle:
        json.dump({"format": 1, "ops": ops}, handle)
    with pytest.raises(WorkspaceError):
        recover(ws)
    assert snapshot(ws)[0]["a.txt"] == b"old-a"


def test_replay_refuses_to_write_through_a_symbolic_link(ws, tmp_path, monkeypatch):
    monkeypatch.setattr(transaction, "_apply_and_finish", crash)
    with pytest.raises(Crash):
        start(ws).commit()
    monkeypatch.undo()
    outside = tmp_path / "outside"
    outside.mkdir()
    assert not os.path.exists(os.path.join(ws, "added"))  # the commit died before applying anything
    os.symlink(outside, os.path.join(ws, "added"))
    with pytest.raises(WorkspaceError, match="symbolic link"):
        recover(ws)
    assert list(outside.iterdir()) == [] and has_pending(ws)


# --- real crashes: kill -9 of a subprocess ------------------------------------------------------


def expected_states(tmp_path, n):
    """The old and the new snapshot of the crash worker's workspace, built without crashing."""
    old_root, new_root = str(tmp_path / "expect-old"), str(tmp_path / "expect-new")
    populate(old_root, crash_worker.old_state(n))
    populate(new_root, crash_worker.old_state(n))
    with Transaction(new_root) as tx:
        crash_worker.change(tx, n)
    return snapshot(old_root), snapshot(new_root)


def run_worker(root, n, action="commit", crash_at=0, delay=0.0, kill_after=None):
    """Run crash_worker.py; returns the number of hooked calls it made, or None if it was killed."""
    env = dict(os.environ, CRASH_AT=str(crash_at), CRASH_DELAY=str(delay))
    proc = subprocess.Popen(
        [sys.executable, "-I", "-S", WORKER, root, str(n), action], stdout=subprocess.PIPE, env=env, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        if kill_after is not None:
            time.sleep(kill_after)
            if proc.poll() is None:
                proc.kill()  # SIGKILL
    finally:
        out = proc.communicate(timeout=60)[0]
    if proc.returncode == -signal.SIGKILL:
        return None
    assert proc.returncode == 0, out
    return int(out.split()[-1])


def check_recovered(root, old, new):
    """Recover, then insist on exactly the old or exactly the new state, as recover() reports."""
    committed = os.path.exists(os.path.join(root, ".agentops", "txn", "journal.json"))
    outcome = recover(root)
    state = snapshot(root)
    assert txn_dirs(root) == [] and not has_pending(root)
    assert state in (old, new), f"mixed state after recover() -> {outcome!r}"
    if committed:
        assert outcome == "completed"
    if outcome == "rolled back":
        assert state == old
    elif outcome == "completed":
        assert state == new
    return outcome, state == new


def fresh(tmp_path, name, n):
    root = str(tmp_path / name)
    populate(root, crash_worker.old_state(n))
    return root


def in_parallel(function, items):
    """``function`` over ``items`` four at a time: the sweeps below spawn one process per item."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(function, items))


def test_kill_at_every_file_system_call(tmp_path):
    n = 3
    old, new = expected_states(tmp_path, n)
    probe = fresh(tmp_path, "probe", n)
    calls = run_worker(probe, n)
    assert snapshot(probe) == new

    def crash(crash_at):
        root = fresh(tmp_path, f"ws{crash_at}", n)
        assert run_worker(root, n, crash_at=crash_at) is None
        return check_recovered(root, old, new)

    outcomes = set(in_parallel(crash, range(1, calls + 1)))
    assert outcomes >= {(None, False), ("rolled back", False), ("completed", True)}


def test_kill_during_recovery_at_every_call(tmp_path):
    n = 3
    old, new = expected_states(tmp_path, n)
    total = run_worker(fresh(tmp_path, "probe", n), n)
    # A commit killed half-way through applying (its last calls are the final rename and the
    # clean-up), copied once per run; each recovery of a copy is killed at another of its calls.
    crashed = fresh(tmp_path, "crashed", n)
    assert run_worker(crashed, n, crash_at=total - 8) is None
    assert os.path.exists(os.path.join(crashed, ".agentops", "txn", "journal.json"))
    shutil.copytree(crashed, str(tmp_path / "probe-recover"), symlinks=True)
    calls = run_worker(str(tmp_path / "probe-recover"), n, "recover")
    assert snapshot(str(tmp_path / "probe-recover")) == new

    def crash(crash_at):
        root = str(tmp_path / f"ws{crash_at}")
        shutil.copytree(crashed, root, symlinks=True)
        assert run_worker(root, n, "recover", crash_at=crash_at) is None
        return check_recovered(root, old, new)

    assert set(in_parallel(crash, range(1, calls + 1))) == {("completed", True)}


def test_kill_after_random_delays(tmp_path):
    n = 12
    delay = 0.001
    old, new = expected_states(tmp_path, n)
    window = run_worker(fresh(tmp_path, "probe", n), n, delay=delay) * delay * 1.3
    rng = random.Random(20240611)
    for i in range(30):
        root = fresh(tmp_path, f"ws{i}", n)
        run_worker(root, n, delay=delay, kill_after=rng.uniform(0, window))
        check_recovered(root, old, new)


# --- directories that do not exist yet: staged as trees, moved in whole ---------------------------


def _counting_replace(monkeypatch) -> list[str]:
    real_replace, moved = os.replace, []

    def replace(src, dst):
        moved.append(os.path.relpath(dst, os.path.dirname(os.path.dirname(os.path.dirname(src)))))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    return moved


def test_files_in_a_missing_directory_are_moved_in_one_rename(ws, monkeypatch):
    moved = _counting_replace(monkeypatch)
    with Transaction(ws) as tx:
        for i in range(30):
            tx.write(f"pkgs/p{i % 3}/agents/a{i}.md", f"agent {i}".encode(), mode=0o640 if i == 7 else None)
        tx.write("sub/b.txt", b"new-b")  # an existing directory: the file is moved alone
        tx.write("sub/fresh/x.txt", b"x")  # a missing directory inside an existing one
    files = snapshot(ws)[0]
    assert all(files[f"pkgs/p{i % 3}/agents/a{i}.md"] == f"agent {i}".encode() for i in range(30))
    assert files["sub/b.txt"] == b"new-b" and files["sub/fresh/x.txt"] == b"x"
    assert os.stat(os.path.join(ws, "pkgs/p1/agents/a7.md")).st_mode & 0o777 == 0o640
    # The journal, one file, two trees, and the end of the transaction: 5 renames, not 33.
    assert len(moved) == 5 and txn_dirs(ws) == []


def test_a_file_written_then_deleted_in_a_missing_directory_leaves_nothing(ws):
    before = snapshot(ws)
    with Transaction(ws) as tx:
        tx.write("gone/deep/x.txt", b"x")
        tx.delete("gone/deep/x.txt")
        tx.write("gone/deep/y.txt", b"y")
        tx.write("gone/deep/y.txt", b"y2")  # the last write wins
        tx.delete("never/there.txt")
        tx.write("empty/only.txt", b"o")
        tx.delete("empty/only.txt")
    files, dirs = snapshot(ws)
    assert files == {**before[0], "gone/deep/y.txt": b"y2"}
    assert dirs - {".agentops"} == before[1] | {"gone", "gone/deep"}  # no empty "empty/" moved in


def test_a_missing_directory_made_meanwhile_gets_its_files_one_by_one(ws):
    tx = Transaction(ws)
    tx.write("late/a.txt", b"a")
    tx.write("late/inner/b.txt", b"b")
    os.makedirs(os.path.join(ws, "late"))  # by something else, between staging and commit
    populate(ws, {"late/theirs.txt": b"t"})
    tx.commit()
    files = snapshot(ws)[0]
    assert (files["late/a.txt"], files["late/inner/b.txt"], files["late/theirs.txt"]) == (b"a", b"b", b"t")


def test_a_path_written_as_a_file_and_as_a_directory_in_a_missing_directory_is_refused(ws):
    before = snapshot(ws)
    tx = Transaction(ws)
    tx.write("both/x", b"file")
    tx.write("both/x/y", b"inside")
    with pytest.raises(WorkspaceError) as raised:
        tx.commit()
    assert any("both/x" in problem.message for problem in raised.value.problems)
    assert snapshot(ws)[0] == before[0] and snapshot(ws)[1] - {".agentops"} == before[1] and txn_dirs(ws) == []


@pytest.mark.parametrize("applied", [0, 1, 2, 3])
def test_a_crash_before_or_after_a_tree_is_moved_is_completed(ws, monkeypatch, applied):
    crash_after_renames(monkeypatch, applied)
    tx = Transaction(ws)
    tx.write("t1/a.txt", b"a")
    tx.write("t2/b/c.txt", b"c")
    tx.write("sub/b.txt", b"new-b")
    with pytest.raises(Crash):
        tx.commit()
    monkeypatch.undo()
    assert recover(ws) == "completed"
    files = snapshot(ws)[0]
    assert (files["t1/a.txt"], files["t2/b/c.txt"], files["sub/b.txt"]) == (b"a", b"c", b"new-b")
    assert txn_dirs(ws) == []


def test_a_journal_without_trees_keeps_the_first_format(ws, monkeypatch):
    import json

    formats = []
    real_write = transaction._write_file

    def write(path, data, mode=None):
        if path.endswith("journal.json.tmp"):
            formats.append(json.loads(data)["format"])
        real_write(path, data, mode)

    monkeypatch.setattr(transaction, "_write_file", write)
    with Transaction(ws) as tx:
        tx.write("a.txt", b"only existing folders")
    with Transaction(ws) as tx:
        tx.write("new-folder/a.txt", b"a tree")
    assert formats == [1, 2]  # what an earlier agentops can replay, whenever it can

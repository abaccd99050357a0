"""FileLock: exclusive between processes, times out with Busy naming the holder, survives crashes."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading
import time

import pytest

from agentpack.adapters.locking import FileLock
from agentpack.errors import Busy, LinkRefused

_SPAWN = multiprocessing.get_context("spawn")


def _hold_lock(path: str, acquired, release) -> None:
    with FileLock(path, timeout=10):
        acquired.set()
        release.wait(30)


def _hold_lock_until_killed(path: str, acquired) -> None:
    with FileLock(path, timeout=10):
        acquired.set()
        time.sleep(60)  # not waiting on a shared Event: killing a waiter would break the Event


def _append_under_lock(path: str, log: str, start) -> None:
    start.wait(30)
    for _ in range(20):
        with FileLock(path, timeout=30):
            # A read-modify-write that loses updates unless the lock really excludes.
            with open(log) as stream:
                count = int(stream.read() or "0")
            time.sleep(0.001)
            with open(log, "w") as stream:
                stream.write(str(count + 1))


@pytest.fixture
def holder(tmp_path):
    """A child process holding the lock on tmp_path/.lock until the test ends."""
    path = str(tmp_path / ".lock")
    acquired, release = _SPAWN.Event(), _SPAWN.Event()
    process = _SPAWN.Process(target=_hold_lock, args=(path, acquired, release))
    process.start()
    assert acquired.wait(30), "child never took the lock"
    yield path, process
    release.set()
    process.join(30)
    if process.is_alive():
        process.kill()


def test_acquire_writes_pid_and_release_empties(tmp_path):
    path = str(tmp_path / "lockfile")
    with FileLock(path) as lock:
        assert lock.is_held
        with open(path) as stream:
            assert stream.read().strip() == str(os.getpid())
    assert not lock.is_held
    assert os.path.exists(path)  # never deleted: see the module docstring
    with open(path) as stream:
        assert stream.read() == ""


def test_timeout_raises_busy_naming_holder_pid_and_file(holder):
    path, process = holder
    started = time.monotonic()
    with pytest.raises(Busy) as caught:
        with FileLock(path, timeout=0.3, what="registry"):
            pass
    assert time.monotonic() - started >= 0.3
    error = caught.value
    assert str(process.pid) in error.message
    assert path in error.message
    assert "registry" in error.message
    assert error.path == path
    assert error.hint


def test_zero_timeout_tries_once(holder):
    path, _ = holder
    started = time.monotonic()
    with pytest.raises(Busy):
        FileLock(path, timeout=0).acquire()
    assert time.monotonic() - started < 0.5


def test_a_crashed_holder_leaves_no_stale_lock(tmp_path):
    path = str(tmp_path / ".lock")
    acquired = _SPAWN.Event()
    process = _SPAWN.Process(target=_hold_lock_until_killed, args=(path, acquired))
    process.start()
    try:
        assert acquired.wait(30)
        with pytest.raises(Busy):
            FileLock(path, timeout=0).acquire()
    finally:
        process.kill()  # SIGKILL: no clean-up code runs in the holder
        process.join(30)
    with FileLock(path, timeout=5):
        pass


def test_waits_for_holder_then_acquires(tmp_path):
    path = str(tmp_path / ".lock")
    acquired, release = _SPAWN.Event(), _SPAWN.Event()
    process = _SPAWN.Process(target=_hold_lock, args=(path, acquired, release))
    process.start()
    try:
        assert acquired.wait(30)
        started = time.monotonic()
        threading.Timer(0.3, release.set).start()  # the holder lets go while we are waiting
        with FileLock(path, timeout=10):
            waited = time.monotonic() - started
        assert waited >= 0.3
    finally:
        release.set()
        process.join(30)


def test_two_locks_in_one_process_exclude_each_other(tmp_path):
    path = str(tmp_path / ".lock")
    with FileLock(path):
        with pytest.raises(Busy):
            FileLock(path, timeout=0).acquire()


def test_not_reentrant(tmp_path):
    lock = FileLock(str(tmp_path / ".lock"))
    with lock:
        with pytest.raises(RuntimeError):
            lock.acquire()


def test_mutual_exclusion_across_processes(tmp_path):
    path, log = str(tmp_path / ".lock"), str(tmp_path / "count")
    open(log, "w").close()
    start = _SPAWN.Event()
    processes = [_SPAWN.Process(target=_append_under_lock, args=(path, log, start)) for _ in range(4)]
    for process in processes:
        process.start()
    start.set()
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    with open(log) as stream:
        assert int(stream.read()) == 80


def test_import_stays_light():
    code = (
        "import sys, agentpack.adapters.locking; "
        "print(sorted(m for m in ('pathlib', 'filelock', 'tempfile') if m in sys.modules))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert output.stdout.strip() == "[]"


# --- never through a link; a lone lock folder can be taken away --------------------------------


def test_a_linked_lock_file_is_refused_and_its_target_kept(tmp_path):
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    os.symlink(victim, tmp_path / "lock")
    with pytest.raises(LinkRefused) as info:
        FileLock(str(tmp_path / "lock"), timeout=0).acquire()
    assert info.value.path == str(tmp_path / "lock")
    assert victim.read_bytes() == b"precious"


def test_a_lock_file_that_is_not_a_regular_file_is_refused(tmp_path):
    os.mkfifo(tmp_path / "lock")
    with pytest.raises(LinkRefused, match="not a regular file"):
        FileLock(str(tmp_path / "lock"), timeout=0).acquire()


def test_a_hard_linked_lock_file_is_refused_and_its_other_name_kept(tmp_path):
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    os.link(victim, tmp_path / "lock")
    with pytest.raises(LinkRefused, match="other hard links"):
        FileLock(str(tmp_path / "lock"), timeout=0).acquire()
    assert victim.read_bytes() == b"precious"


def test_root_creates_the_folder_but_not_through_a_link(tmp_path):
    with FileLock(str(tmp_path / "ws" / ".state" / "lock"), timeout=0, root=str(tmp_path / "ws")):
        assert (tmp_path / "ws" / ".state" / "lock").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "root").mkdir()
    os.symlink(elsewhere, tmp_path / "root" / ".state")
    with pytest.raises(LinkRefused):
        FileLock(str(tmp_path / "root" / ".state" / "lock"), timeout=0, root=str(tmp_path / "root")).acquire()
    assert os.listdir(elsewhere) == []


def test_release_can_take_a_lone_folder_away(tmp_path):
    folder = tmp_path / ".state"
    lock = FileLock(str(folder / "lock"), timeout=0, root=str(tmp_path))
    lock.acquire()
    lock.release(remove_lone_folder=True)
    assert not folder.exists()
    lock.acquire()
    (folder / "other").write_text("kept")
    lock.release(remove_lone_folder=True)
    assert sorted(os.listdir(folder)) == ["lock", "other"]


def test_a_waiter_on_a_removed_lock_file_locks_the_new_one(tmp_path):
    # The holder removes the file while another process waits on it: the waiter must notice and
    # lock the file at the path, or two processes could hold "the" lock at once.
    path = str(tmp_path / ".state" / "lock")
    holder = FileLock(path, timeout=0, root=str(tmp_path))
    holder.acquire()
    waiter = FileLock(path, timeout=10, root=str(tmp_path))
    done = threading.Event()
    thread = threading.Thread(target=lambda: (waiter.acquire(), done.set()))
    thread.start()
    time.sleep(0.2)  # let the waiter open the old file (ordering only, not a timed assertion)
    holder.release(remove_lone_folder=True)
    thread.join(10)
    assert done.is_set() and waiter.is_held
    held = os.fstat(waiter._fd)
    assert (held.st_dev, held.st_ino) == (os.stat(path).st_dev, os.stat(path).st_ino)
    with pytest.raises(Busy):
        FileLock(path, timeout=0).acquire()
    waiter.release()

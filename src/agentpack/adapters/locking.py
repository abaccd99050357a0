"""An exclusive inter-process lock on a file, for the workspace and for directory registries.

Why not the ``filelock`` package: importing it costs about 45 ms here, more than the whole start-up
budget of ``agentops``. The few lines below cover what we need (POSIX ``flock``, a timeout, a clear
message naming the holder).

Why ``flock`` rather than creating a marker file: the kernel drops a ``flock`` lock when its holder
exits, even after ``kill -9``, so a crashed process can never leave a stale lock behind. For the same
reason the lock file is never deleted: unlinking it while another process waits on the old inode
would let two processes "hold" the lock at once.

This module deliberately avoids ``pathlib`` and other heavy imports; it sits on the path of every
command that touches the workspace.
"""

from __future__ import annotations

import fcntl
import os
import time

from agentpack.errors import Busy

_POLL_INTERVAL = 0.05  # seconds between attempts: short enough to feel instant, long enough to be idle


class FileLock:
    """An exclusive lock held on ``path`` while the ``with`` block runs.

    ``FileLock(path, timeout=60.0, what="workspace")``: entering the block creates ``path`` if
    needed (its directory must exist) and waits until no other process holds the lock, polling every
    few milliseconds. After ``timeout`` seconds (0 = try once) it raises ``Busy`` naming ``what``,
    the lock file and the process id of the holder. While held, the lock file contains the holder's
    pid. Locks are exclusive between processes and between separate ``FileLock`` objects of one
    process; a single object is not re-entrant.
    """

    def __init__(self, path: str, timeout: float = 60.0, what: str = "workspace") -> None:
        self.path = os.fspath(path)
        self.timeout = timeout
        self.what = what
        self._fd: int | None = None

    @property
    def is_held(self) -> bool:
        """Whether this object currently holds the lock."""
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock, waiting up to ``timeout`` seconds; raise ``Busy`` if it is still held."""
        if self._fd is not None:
            raise RuntimeError(f"lock {self.path} is already held by this object (not re-entrant)")
        # No O_TRUNC: the file may hold the current holder's pid, which we want to report.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise self._busy(fd) from None
                    time.sleep(_POLL_INTERVAL)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        """Give the lock up (a no-op when not held). The lock file stays, emptied."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            # Empty it first so that nobody reads our pid as the holder once we are gone.
            os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # closing the descriptor releases the flock

    def _busy(self, fd: int) -> Busy:
        holder = _read_pid(fd)
        who = f"process {holder}" if holder else "another process"
        return Busy(
            f"the {self.what} is locked by {who} (lock file {self.path}); gave up after {self.timeout:g} s",
            path=self.path,
            hint=f"wait for {who} to finish (or stop it), then try again",
        )

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    """The pid recorded in the lock file, or None if it is empty or unreadable (mid-write)."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None

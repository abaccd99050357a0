"""An exclusive inter-process lock on a file, for the workspace and for directory registries.

Why not the ``filelock`` package: importing it costs about 45 ms here, more than the whole start-up
budget of ``agentops``. The few lines below cover what we need (POSIX ``flock``, a timeout, a clear
message naming the holder).

Why ``flock`` rather than creating a marker file: the kernel drops a ``flock`` lock when its holder
exits, even after ``kill -9``, so a crashed process can never leave a stale lock behind. For the same
reason a lock file is deleted only by its holder, and a process that has just taken a lock checks
that the file is still the one at the path (else it starts again): unlinking it while another
process waits on the old inode would otherwise let two processes "hold" the lock at once.

The lock file is opened with ``O_NOFOLLOW`` and must be a regular file with no other hard link: a
link (symbolic or hard) or a special file planted in its place is refused (``LinkRefused``), never
followed to truncate whatever it points to.

This module deliberately avoids ``pathlib`` and other heavy imports; it sits on the path of every
command that touches the workspace.
"""

from __future__ import annotations

import fcntl
import os
import stat
import time

from agentpack.adapters.paths import make_dirs, open_no_follow
from agentpack.errors import Busy, LinkRefused

_POLL_INTERVAL = 0.05  # seconds between attempts: short enough to feel instant, long enough to be idle


class FileLock:
    """An exclusive lock held on ``path`` while the ``with`` block runs.

    ``FileLock(path, timeout=60.0, what="workspace", root=None)``: entering the block creates
    ``path`` if needed and waits until no other process holds the lock, polling every few
    milliseconds. The lock file's folder must exist, unless ``root`` is given: then it is created,
    and no folder below ``root`` on the way may be a symbolic link (``LinkRefused``); nor may the
    lock file itself be one. After ``timeout`` seconds (0 = try once) it raises ``Busy`` naming
    ``what``, the lock file and the process id of the holder. While held, the lock file contains
    the holder's pid. Locks are exclusive between processes and between separate ``FileLock``
    objects of one process; a single object is not re-entrant.
    """

    def __init__(self, path: str, timeout: float = 60.0, what: str = "workspace", root: str | None = None) -> None:
        self.path = os.fspath(path)
        self.timeout = timeout
        self.what = what
        self.root = root
        self._fd: int | None = None

    @property
    def is_held(self) -> bool:
        """Whether this object currently holds the lock."""
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock, waiting up to ``timeout`` seconds; raise ``Busy`` if it is still held."""
        if self._fd is not None:
            raise RuntimeError(f"lock {self.path} is already held by this object (not re-entrant)")
        deadline = time.monotonic() + self.timeout
        while True:
            fd = self._open()
            try:
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() >= deadline:
                            raise self._busy(fd) from None
                        time.sleep(_POLL_INTERVAL)
                if not _still_at(fd, self.path):
                    os.close(fd)  # its holder removed it before letting go: lock the new one
                    continue
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            except BaseException:
                os.close(fd)
                raise
            self._fd = fd
            return

    def _open(self) -> int:
        if self.root is not None:
            make_dirs(self.root, os.path.dirname(self.path))
        # No O_TRUNC: the file may hold the current holder's pid, which we want to report.
        fd = open_no_follow(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode) or found.st_nlink > 1:
            os.close(fd)
            # A hard link would have us write our pid into (and empty) another name for the file.
            what = "has other hard links" if stat.S_ISREG(found.st_mode) else "is not a regular file"
            raise LinkRefused(f"lock file {self.path} {what}; agentops does not write through it",
                              path=self.path, hint=f"remove {self.path}, then try again")
        return fd

    def release(self, *, remove_lone_folder: bool = False) -> None:
        """Give the lock up (a no-op when not held). The lock file stays, emptied; except with
        ``remove_lone_folder`` when its folder holds nothing else: then both are removed first,
        so that a command which wrote nothing leaves nothing behind."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if remove_lone_folder and _remove_lone_folder(self.path):
                return
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


def _still_at(fd: int, path: str) -> bool:
    """Whether the open lock file ``fd`` is still the file at ``path`` (not removed or replaced)."""
    try:
        found = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (found.st_dev, found.st_ino) == (held.st_dev, held.st_ino)


def _remove_lone_folder(path: str) -> bool:
    """Remove the lock file ``path`` and its folder when that folder holds nothing else."""
    folder = os.path.dirname(path)
    try:
        if os.listdir(folder) != [os.path.basename(path)]:
            return False
        os.unlink(path)
        os.rmdir(folder)
    except OSError:
        return False  # something appeared meanwhile (it is not empty) or was never ours to remove
    return True

"""Downloads a front web server sent from the public tree, read from its access log
(`agentops registry serve --front-log FILE`).

A blob that nginx sends from the public tree never reaches the server, so the server cannot count
it as it counts its own answers. Asking nginx to report each one (a subrequest per download)
would cost the server a request per download, which is what the tree is there to save. Instead
nginx writes one line per blob it sent from the tree (deploy/nginx/agentpack-front.conf:
``log_format agentpack_downloads '$request_method $status $uri'``, only in the blobs' location, so
a request passed on to the server is not in it), and the server reads what was added to the file
since it last looked, with the batch of downloads it writes anyway.

Where the reading stopped is kept beside the server's data (``DATA/run/front-log.json``: the
file's inode and offset), under a lock, so that of several worker processes exactly one reads each
line. A rotated file (another inode, or shorter than the offset) is read from its start. The log
is the front server's, written by a program the operator runs: still, a line that is not exactly
``GET 200 /blobs/sha256/<hex>`` is not counted, lines are bounded, and a blob counts only when an
anonymous reader may read it.
"""

from __future__ import annotations

import fcntl
import json
import os

from agentpack.core.digests import is_sha256

MAX_READ = 8 * 1024 * 1024  # bytes read per look; the rest waits for the next one
MAX_LINE = 512
_PREFIX = "GET 200 /blobs/sha256/"


def downloads_in(text: bytes) -> tuple[dict[str, int], int]:
    """``({sha256: count}, bytes consumed)`` of the complete lines in ``text`` (a last line
    without its newline is left for the next read, unless it is too long to be one)."""
    counts: dict[str, int] = {}
    consumed = 0
    for line in text.splitlines(keepends=True):
        if not line.endswith(b"\n") and len(line) <= MAX_LINE:
            break
        consumed += len(line)
        words = line.strip().decode("ascii", "replace")
        if words.startswith(_PREFIX) and is_sha256(words[len(_PREFIX):]):
            digest = words[len(_PREFIX):]
            counts[digest] = counts.get(digest, 0) + 1
    return counts, consumed


class FrontLog:
    """The access log at ``path`` and where reading it stopped (``state_path``)."""

    def __init__(self, path: str, state_path: str) -> None:
        self.path = path
        self.state_path = state_path

    def read_new(self) -> dict[str, int]:
        """The downloads logged since the last call of any process sharing ``state_path``."""
        os.makedirs(os.path.dirname(self.state_path), exist_ok=True)
        descriptor = os.open(self.state_path + ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            return self._read_locked()
        finally:
            os.close(descriptor)

    def _read_locked(self) -> dict[str, int]:
        try:
            log = open(self.path, "rb")  # noqa: SIM115 (closed below)
        except FileNotFoundError:
            return {}
        with log:
            stat = os.fstat(log.fileno())
            inode, offset = self._position()
            if inode != stat.st_ino or offset > stat.st_size:
                offset = 0  # a new or rotated file
            log.seek(offset)
            counts, consumed = downloads_in(log.read(MAX_READ))
        self._remember(stat.st_ino, offset + consumed)
        return counts

    def _position(self) -> tuple[int | None, int]:
        try:
            with open(self.state_path, "rb") as held:
                kept = json.loads(held.read(4096))
            inode, offset = kept["inode"], kept["offset"]
            if isinstance(inode, int) and isinstance(offset, int) and offset >= 0:
                return inode, offset
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return None, 0

    def _remember(self, inode: int, offset: int) -> None:
        from agentpack.adapters.paths import write_atomic

        write_atomic(self.state_path, json.dumps({"inode": inode, "offset": offset}).encode(), durable=False)

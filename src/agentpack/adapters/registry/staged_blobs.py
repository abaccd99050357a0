"""Blobs written into a directory registry before the import that needs them is decided.

A bundle load checks every archive in forked children while this process waits; writing the
archives meanwhile, as temporary files of the blob folder (``.<sha256>.<pid>.<random>.tmp``, what
``paths.write_atomic`` would leave), takes that work out of the import that follows. The import
renames each into place instead of writing it (``DirectoryRegistry.import_versions(staged=...)``),
and records the digest and size taken here as the file was written: what it stores is that file;
whatever it does not take is removed by ``discard``, along with the folders staging made, so a
load that is refused leaves the registry as it found it. A process killed in between leaves only
temporary files, which readers ignore and ``registry verify`` reports.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from agentpack.adapters.paths import make_dirs, open_no_follow, refuse_links, write_fully


class StagedBlobs:
    """Temporary blob files by sha256, ready to be renamed into ``root/blobs/sha256/``."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.folder = os.path.join(root, "blobs", "sha256")
        self.paths: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        self._made: list[str] = []  # folders this staging created, deepest last

    @classmethod
    def write(cls, root: str, blobs: Iterable[tuple[str, Sequence[bytes]]], *, checked: bool = False) -> StagedBlobs:
        """Write each ``(sha256, pieces)`` as a temporary file and flush them all to disk; on any
        error what was written is removed and the error propagates. With ``checked``, the caller
        verifies that each blob's pieces hash to its sha256 before the import may use it, and
        discards everything otherwise (a bundle load: its archives are checked against the
        bundle's manifest in child processes meanwhile, the same bytes): the digest is not taken
        a second time here, which would cost this process a pass over the whole bundle while the
        children need the CPUs."""
        staged = cls(root)
        try:
            staged._made = [p for p in (root, os.path.dirname(staged.folder), staged.folder) if not os.path.lexists(p)]
            make_dirs(root, staged.folder)
            refuse_links(root, staged.folder)
            for sha256, pieces in blobs:
                if sha256 not in staged.paths:
                    staged._write(sha256, pieces, checked)
            if hasattr(os, "sync"):
                os.sync()  # so the import's own flush, after the renames, has only names to write
        except BaseException:
            staged.discard()
            raise
        return staged

    def digest(self, sha256: object) -> tuple[str, int] | None:
        """``(sha256, size)`` of the staged file holding ``sha256`` (its digest taken here, as it
        was written), or None when none does."""
        return (sha256, self.sizes[sha256]) if sha256 in self.paths else None

    def take(self, sha256: str) -> str | None:
        """The temporary file holding ``sha256`` (now the caller's to rename), or None."""
        return self.paths.pop(sha256, None)

    def discard(self) -> None:
        """Remove every temporary file not taken, then each folder staging made if it is empty."""
        for path in self.paths.values():
            try:
                os.unlink(path)
            except OSError:
                pass
        self.paths = {}
        for folder in reversed(self._made):
            try:
                os.rmdir(folder)  # only when empty: an import or another process may have used it
            except OSError:
                break
        self._made = []

    def _write(self, sha256: str, pieces: Sequence[bytes], checked: bool = False) -> None:
        """Write ``pieces`` as a temporary file, hashing them as they go unless ``checked`` (see
        ``write``); it is kept only when they hash to ``sha256`` (bytes that do not are the
        caller's to refuse, not to store)."""
        import hashlib

        path = os.path.join(self.folder, f".{sha256}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        fd = open_no_follow(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        digest, size = _Unhashed(sha256) if checked else hashlib.sha256(), 0
        try:
            for piece in pieces:
                digest.update(piece)
                size += len(piece)
                write_fully(fd, piece)
        except BaseException:
            os.close(fd)
            os.unlink(path)
            raise
        os.close(fd)
        if digest.hexdigest() != sha256:
            os.unlink(path)
            return
        self.paths[sha256], self.sizes[sha256] = path, size


class _Unhashed:
    """Stands for the digest of blobs whose caller checks them (``StagedBlobs.write(checked=True)``)."""

    def __init__(self, sha256: str) -> None:
        self._sha256 = sha256

    def update(self, piece: bytes) -> None:
        pass

    def hexdigest(self) -> str:
        return self._sha256

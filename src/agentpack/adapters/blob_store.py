"""Where a registry server keeps archives: a small interface and its default, a folder.

Blobs are content-addressed (named by the SHA-256 of their bytes), so writing one twice is
harmless and a blob never changes. The folder layout is the directory registry's
(``ROOT/blobs/sha256/<hex>``), each blob written atomically: a server killed mid-write leaves at
most a temporary file, never a partial blob under its final name. An object store (S3, OCI) is
another class with the same methods.
"""

from __future__ import annotations

import os
from typing import BinaryIO, Protocol

from agentpack.adapters.cache import blob_path
from agentpack.adapters.paths import write_atomic


class BlobStore(Protocol):
    """Content-addressed archive storage."""

    def put(self, sha256: str, data: bytes) -> None:
        """Store ``data`` under ``sha256`` (the caller has hashed it), atomically; a no-op when a
        blob of that size is already there."""
        ...

    def open(self, sha256: str) -> BinaryIO | None:
        """The blob's bytes as an open binary file (the caller closes it), or None when absent."""
        ...

    def exists(self, sha256: str) -> bool:
        """Whether a blob is stored under ``sha256``."""
        ...

    def local_path(self, sha256: str) -> str | None:
        """A file on this machine holding the blob, which may be hard-linked (None: the store has
        no such file, as an object store has not, or the blob is absent)."""
        ...


class FolderBlobStore:
    """Blobs in ``root/blobs/sha256/<hex>`` (see the module docstring), or in ``root/sha256/<hex>``
    when ``shared`` (a folder given to the server on its own, e.g. one that replicas share)."""

    def __init__(self, root: str, *, shared: bool = False) -> None:
        self.root = os.path.abspath(root)
        self.shared = shared

    def _path(self, sha256: str) -> str:
        path = blob_path(self.root, sha256)  # checks the digest first
        return os.path.join(self.root, "sha256", sha256) if self.shared else path

    def put(self, sha256: str, data: bytes) -> None:
        path = self._path(sha256)
        try:
            if os.path.getsize(path) == len(data):
                return
        except OSError:
            pass
        write_atomic(path, data, root=self.root)

    def open(self, sha256: str) -> BinaryIO | None:
        try:
            return open(self._path(sha256), "rb")  # noqa: SIM115 (the caller closes it)
        except FileNotFoundError:
            return None

    def exists(self, sha256: str) -> bool:
        return os.path.isfile(self._path(sha256))

    def local_path(self, sha256: str) -> str | None:
        path = self._path(sha256)
        return path if os.path.isfile(path) else None

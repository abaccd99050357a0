"""Where a registry server keeps archives: a small interface and its default, a folder.

Blobs are content-addressed (named by the SHA-256 of their bytes), so writing one twice is
harmless and a blob never changes. The folder layout is the directory registry's
(``ROOT/blobs/sha256/<hex>``), each blob written atomically: a server killed mid-write leaves at
most a temporary file, never a partial blob under its final name. An object store is another class
with the same methods: adapters.oci.blob_store keeps them in an OCI registry.

``open_blob_store`` chooses the store for ``registry serve --blobs LOCATION`` from ``_STORES`` by
the location's URL scheme (a plain path is a folder); adding a store is a row there.
"""

from __future__ import annotations

import os
import re
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

    def check(self) -> None:
        """Raise ``StorageUnavailable`` when the store cannot be used now (for ``/readyz``)."""
        ...


def open_blob_store(location: str, options=None) -> BlobStore:
    """The store at ``location``: a folder path (blobs in ``LOCATION/sha256/<hex>``, created when
    missing; replicas on one machine or a shared filesystem share it) or a URL whose scheme
    ``_STORES`` has (``oci://HOST[:PORT]/REPOSITORY``). ``options`` (RegistryOptions) say how to
    reach a store across a network. ``UsageError`` for another scheme. Opening does no I/O beyond
    creating a folder: an unreachable store is reported by its first use."""
    from agentpack.errors import UsageError

    scheme, has_scheme, _rest = location.partition("://")
    scheme = scheme.lower() if has_scheme and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme) else ""
    if scheme not in _STORES:
        known = ", ".join("a folder path" if s == "" else f"{s}://" for s in sorted(_STORES))
        raise UsageError(f"--blobs {location}: unsupported scheme '{scheme}://' for the archives' store",
                         hint=f"give {known}")
    return _STORES[scheme](location, options)


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

    def check(self) -> None:
        if not (os.path.isdir(self.root) and os.access(self.root, os.W_OK | os.X_OK)):
            from agentpack.errors import StorageUnavailable

            raise StorageUnavailable(f"the blob folder {self.root} is not a folder this server may write to",
                                     path=self.root, hint="whoever runs the server: create it, or fix its owner")


def _folder(location: str, options) -> FolderBlobStore:
    from agentpack.adapters.paths import make_dirs

    root = os.path.abspath(os.path.expanduser(location))
    make_dirs(root, root)
    return FolderBlobStore(root, shared=True)


def _oci(location: str, options) -> BlobStore:
    from agentpack.adapters.oci.blob_store import OciBlobStore
    from agentpack.adapters.registry.base import RegistryOptions

    return OciBlobStore(location, options or RegistryOptions())


# scheme of --blobs -> the store's factory, called as factory(location, options); "" is a plain path.
_STORES = {"": _folder, "oci": _oci}

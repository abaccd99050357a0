"""The download cache: archives stored by the SHA-256 of their bytes.

Layout: ``ROOT/blobs/sha256/<64 hex digits>`` (the same layout as a directory registry's blobs, so
either can be copied into the other). Content addressing makes writes idempotent and lets concurrent
processes share the cache without a lock: two writers of one digest write identical bytes, and each
write is an atomic rename.

Every read is verified. A cache entry that no longer matches its name means the disk or a person
changed it; the user is told which file, rather than agentpack quietly fetching it again and hiding
the problem (in an air-gapped enclave the cache may be the only copy there is).
"""

from __future__ import annotations

import os

from agentpack.adapters.paths import write_atomic
from agentpack.core.digests import is_sha256  # noqa: F401  (re-exported)
from agentpack.errors import IntegrityError


def sha256_hex(data: bytes) -> str:
    """The lowercase hex SHA-256 digest of ``data``."""
    import hashlib  # only commands that move archives pay for it

    return hashlib.sha256(data).hexdigest()


def blob_path(root: str, sha256: str) -> str:
    """Where the blob with digest ``sha256`` lives below ``root`` (``root/blobs/sha256/<hex>``).

    Raises ``IntegrityError`` if ``sha256`` is not a digest, so that a malformed value read from a
    lockfile or an index can never turn into a path outside ``root``.
    """
    if not is_sha256(sha256):
        raise IntegrityError(f"not a sha256 digest (64 lowercase hex digits): {sha256!r}")
    return os.path.join(root, "blobs", "sha256", sha256)


class BlobCache:
    """A content-addressed store of archives under ``root`` (created on first ``put``)."""

    def __init__(self, root: str) -> None:
        self.root = os.fspath(root)

    def path(self, sha256: str) -> str:
        """The file that holds (or would hold) the blob with this digest."""
        return blob_path(self.root, sha256)

    def has(self, sha256: str) -> bool:
        """Whether a blob with this digest is present (not verified; ``get`` verifies)."""
        return os.path.isfile(self.path(sha256))

    def get(self, sha256: str) -> bytes | None:
        """The cached bytes for ``sha256``, or None when not cached.

        The bytes are hashed before they are returned; if they do not match ``sha256``,
        ``IntegrityError`` names the cache file and tells the user to delete it (or use a fresh
        cache). Nothing is re-fetched or deleted behind the user's back.
        """
        path = self.path(sha256)
        try:
            with open(path, "rb") as stream:
                data = stream.read()
        except FileNotFoundError:
            return None
        actual = sha256_hex(data)
        if actual != sha256:
            raise IntegrityError(
                f"cache file {path} is corrupted: its content hashes to sha256 {actual}, "
                f"not the {sha256} it is stored under",
                path=path,
                hint=f"delete {path} (or the whole cache at {self.root}) or run with a fresh cache, "
                "then try again",
            )
        return data

    def put(self, data: bytes) -> str:
        """Store ``data`` atomically and return its sha256 digest (storing it again is harmless)."""
        digest = sha256_hex(data)
        write_atomic(self.path(digest), data, durable=False, root=self.root)  # verified on every read
        return digest

    def save_index(self, name: str, index: dict) -> None:
        """Keep a copy of a package's registry index, for `--offline` resolution later.

        Failing to keep it never fails the caller: the copy is a convenience, not a source of truth
        (archives stay verified against the digests the lockfile or index names).
        """
        import json

        data = json.dumps(index, sort_keys=True).encode("utf-8")
        path = self._index_path(name)
        try:
            with open(path, "rb") as handle:
                if handle.read() == data:
                    return  # reading is several times cheaper than replacing the file
        except OSError:
            pass
        try:
            write_atomic(path, data, durable=False, root=self.root)
        except OSError:
            pass

    def load_index(self, name: str) -> dict | None:
        """The last index copy kept for ``name`` (None when there is none, it is unreadable, or it
        is not an index of well-formed records)."""
        from agentpack.core.bounded_json import parse_json
        from agentpack.core.limits import MAX_JSON_BYTES
        from agentpack.core.registry_documents import index_problem
        from agentpack.errors import AgentpackError

        path = self._index_path(name)
        try:
            with open(path, "rb") as handle:
                data = parse_json(handle.read(MAX_JSON_BYTES + 1), source=path)
        except (OSError, AgentpackError):
            return None
        return data if index_problem(data) is None else None

    def _index_path(self, name: str) -> str:
        segments = name.split("/")
        if not all(s and all(c.isascii() and (c.isalnum() or c == "-") for c in s) for s in segments):
            raise IntegrityError(f"not a package name that can be cached: {name!r}")
        return os.path.join(self.root, "index", *segments) + ".json"

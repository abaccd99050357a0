"""A blob of an OCI registry read as a file while it streams in, verified as it goes.

A registry is trusted for nothing: the stream is refused as soon as more bytes arrive than the
descriptor's size (so a lying registry cannot fill memory or disk), and at its end unless it had
exactly that size and its SHA-256 is the descriptor's digest. The check at the end is raised from
the ``read`` that reaches it, so a reader that reads to the end never takes damaged bytes for
good ones; one that stops early has verified nothing, and must not use what it read.
"""

from __future__ import annotations

import hashlib
import io

from agentpack.errors import IntegrityError, RegistryError

_CHUNK = 256 * 1024


class VerifiedBlob(io.RawIOBase):
    """The open streamed ``response`` to GET ``url`` (adapters.http_wire), read through ``http``
    (adapters.http_client.HttpClient, for its error mapping); ``size`` the bytes it must have,
    stated as ``.size`` for callers that send a Content-Length; see ``OciClient.open_blob``."""

    def __init__(self, response, http, url: str, *, digest: str, size: int, what: str, hint: str,
                 failure=None) -> None:
        super().__init__()
        self.size = size
        self._response = response
        self._http = http
        self._url = url
        self._digest = digest
        self._what = what
        self._hint = hint
        self._failure = failure
        self._chunks = response.iter_bytes(_CHUNK)
        self._hash = hashlib.sha256()
        self._received = 0
        self._pending = memoryview(b"")
        self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if not self._pending:
            self._pending = memoryview(self._next())
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        if not self._pending:
            self._pending = memoryview(self._next())
        piece = bytes(self._pending[:size])
        self._pending = self._pending[len(piece):]
        return piece

    def readall(self) -> bytes:
        parts = [bytes(self._pending)]
        self._pending = memoryview(b"")
        while chunk := self._next():
            parts.append(chunk)
        return b"".join(parts)

    def close(self) -> None:
        if not self.closed:
            self._response.close()
        super().close()

    def _next(self) -> bytes:
        """The next non-empty chunk, counted and hashed; ``b""`` once the body ended and checked out."""
        if self._ended:
            return b""
        if self.closed:
            raise ValueError("I/O operation on a closed blob stream")
        chunk = b""
        try:
            with self._http.reading(self._url):
                while not chunk:
                    chunk = next(self._chunks, None)
                    if chunk is None:
                        self._end()
                        return b""
        except RegistryError as error:
            self.close()
            raise (self._failure(error) if self._failure else error) from None
        self._received += len(chunk)
        if self._received > self.size:
            self.close()
            raise IntegrityError(f"{self._what} failed verification: its descriptor names {self.size:,} bytes with "
                                 f"digest {self._digest}, but the registry sent more; the download was stopped",
                                 path=self._url, hint=self._hint)
        self._hash.update(chunk)
        return chunk

    def _end(self) -> None:
        self._ended = True
        self.close()
        actual = "sha256:" + self._hash.hexdigest()
        if actual != self._digest or self._received != self.size:
            raise IntegrityError(f"{self._what} failed verification: expected {self.size:,} bytes with digest "
                                 f"{self._digest}, got {self._received:,} bytes with digest {actual}",
                                 path=self._url, hint=self._hint)

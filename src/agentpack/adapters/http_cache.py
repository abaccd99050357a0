"""Documents fetched over HTTP, kept with their ETag so that the next read can be revalidated.

Layout: ``ROOT/http/<sha256 of the URL>``, one file a document: one line of JSON
(``{"url": ..., "etag": ...}``) then the body exactly as the server sent it. Keeping the ETag and
the body in one file, replaced atomically, means they can never disagree. The next GET of the URL
sends ``If-None-Match`` with the ETag and, on ``304 Not Modified``, uses the body kept here.

The cache is a convenience, not a source of truth: a body read from it is parsed and checked like
a fresh one (bounds, shape, the index serials of ``seen_serials``), and a file that is damaged,
oversized or about another URL is ignored as if it were absent. Failing to keep a copy never
fails a command.
"""

from __future__ import annotations

import hashlib
import json
import os

from agentpack.adapters.paths import read_within, write_atomic
from agentpack.core.limits import MAX_JSON_BYTES

MAX_HEADER_BYTES = 16_384  # the URL and the ETag; a longer ETag is not kept
_LIMIT = MAX_HEADER_BYTES + MAX_JSON_BYTES


class DocumentCache:
    """ETag-validated copies of documents below ``root`` (the download cache directory)."""

    def __init__(self, root: str) -> None:
        self.root = os.fspath(root)

    def path(self, url: str) -> str:
        """The file that keeps (or would keep) the copy of ``url``."""
        return os.path.join(self.root, "http", hashlib.sha256(url.encode("utf-8")).hexdigest())

    def load(self, url: str) -> tuple[str, bytes] | None:
        """``(etag, body)`` kept for ``url``, or None when there is no usable copy."""
        try:
            with open(self.path(url), "rb") as stream:
                data = read_within(stream, _LIMIT)
        except OSError:
            return None
        if data is None:
            return None
        header, newline, body = data.partition(b"\n")
        try:
            meta = json.loads(header) if newline and len(header) <= MAX_HEADER_BYTES else None
        except ValueError:
            return None
        if not isinstance(meta, dict) or meta.get("url") != url or not isinstance(meta.get("etag"), str):
            return None
        return meta["etag"], body

    def store(self, url: str, etag: str, body: bytes) -> None:
        """Keep ``body`` as the copy of ``url`` whose server ETag is ``etag`` (quietly skipped when it
        cannot be kept)."""
        header = json.dumps({"url": url, "etag": etag}, ensure_ascii=True).encode("ascii")
        if len(header) > MAX_HEADER_BYTES or len(body) > MAX_JSON_BYTES:
            return
        try:
            write_atomic(self.path(url), header + b"\n" + body, durable=False, root=self.root)
        except OSError:
            pass

"""The read path's memory: a snapshot of the metadata the read protocol serves, the documents
rendered from it per kind of caller, and the bytes of small blobs.

Reading `catalog.json`, `index/<name>.json` or a blob asks the database nothing while the snapshot
is current. It is current until this server writes (every write route calls ``invalidate``), and
is checked against the database's *stamp* (the sum of the packages' serials, which grows with
every publish, yank or deprecation; the number of packages; the number of teams and the sum of
their revisions, which grows with every change of a team) at most once per
``ttl`` seconds, so that what another process wrote (an administration command on the data
directory, another server over the same database) is served within ``ttl`` seconds. ``ttl`` 0
checks the stamp on every request. Tokens are never cached: a revoked token is refused at once.

What a caller may see is still decided per request by core.access, over the snapshot's teams and
records; rendered documents are kept per ``(document, caller)`` with their ETag, so a document is
rendered once per change, not once per request. Blobs are content-addressed and never change:
those of at most ``BLOB_ITEM_LIMIT`` bytes are kept, up to ``BLOB_MEMORY`` bytes in all (least
recently used first out).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict

from agentpack.core.access import Team
from agentpack.core.records import dataclass, field

BLOB_ITEM_LIMIT = 1024 * 1024
BLOB_MEMORY = 64 * 1024 * 1024
DOCUMENT_LIMIT = 4096  # rendered documents kept; past it the oldest go


@dataclass
class Rendered:
    """A JSON document's bytes and its strong ETag."""

    body: bytes
    etag: str

    @classmethod
    def of(cls, value: dict) -> Rendered:
        body = (json.dumps(value, ensure_ascii=False, default=str) + "\n").encode()
        return cls(body, '"' + hashlib.sha256(body).hexdigest()[:40] + '"')


@dataclass
class Snapshot:
    """What the read path serves, read from the store in one go: every package's index (versions
    by precedence), every team, and which versions each blob belongs to."""

    stamp: tuple
    indexes: dict[str, dict]
    teams: dict[str, Team]
    blobs: dict[str, list[tuple[str, dict]]]
    rendered: OrderedDict = field(default_factory=OrderedDict)

    def team(self, name: str) -> Team:
        return self.teams.get(name) or Team(name, exists=False)


class ReadCache:
    """The snapshot of ``registry`` (adapters.registry.stored.StoredRegistry) and its renderings."""

    def __init__(self, registry, store, ttl: float) -> None:
        self._registry = registry
        self._store = store
        self._ttl = ttl
        self._snapshot: Snapshot | None = None
        self._checked = 0.0
        self._generation = 0  # raised by every write of this server
        self._lock = threading.Lock()
        self._blobs: OrderedDict[str, bytes] = OrderedDict()
        self._blob_bytes = 0
        self.listeners: list = []  # called (no arguments, on the event loop) by every invalidate

    def invalidate(self) -> None:
        """Forget the snapshot: this server has just written. Takes no lock (it runs on the event
        loop): a ``load`` under way when it is called does not keep what it read."""
        self._generation += 1
        self._snapshot = None
        for listener in self.listeners:
            listener()

    def fresh(self) -> Snapshot | None:
        """The snapshot when it may be served without asking the database (None: call ``load``)."""
        snapshot = self._snapshot
        if snapshot is not None and time.monotonic() - self._checked < self._ttl:
            return snapshot
        return None

    def load(self) -> Snapshot:
        """The current snapshot, after checking the stamp (blocking: run it in a worker thread)."""
        with self._lock:
            generation = self._generation
            stamp = self._store.read_stamp()
            snapshot = self._snapshot
            if snapshot is None or snapshot.stamp != stamp:
                snapshot = Snapshot(stamp, *self._read())
            if generation == self._generation:
                self._snapshot, self._checked = snapshot, time.monotonic()
            return snapshot

    def _read(self):
        indexes = {index["name"]: index for index in self._registry.indexes()}
        from agentpack.server.state import team_of_row

        teams = {row["name"]: team_of_row(row) for row in self._store.teams()}
        blobs: dict[str, list] = {}
        for name, index in indexes.items():
            for record in index["versions"].values():
                blobs.setdefault(record["sha256"], []).append((name, record))
        return indexes, teams, blobs

    @staticmethod
    def rendered(snapshot: Snapshot, key: tuple, make) -> Rendered | None:
        """The rendering of ``key`` from ``snapshot``, made by ``make()`` (a dict, or None) once."""
        try:
            return snapshot.rendered[key]
        except KeyError:
            pass
        value = make()
        result = None if value is None else Rendered.of(value)
        snapshot.rendered[key] = result
        while len(snapshot.rendered) > DOCUMENT_LIMIT:
            snapshot.rendered.popitem(last=False)
        return result

    def blob(self, sha256: str) -> bytes | None:
        """The kept bytes of blob ``sha256`` (None: not kept)."""
        data = self._blobs.get(sha256)
        if data is not None:
            self._blobs.move_to_end(sha256)
        return data

    def keep_blob(self, sha256: str, data: bytes) -> None:
        """Keep a small blob's bytes, dropping the least recently used past ``BLOB_MEMORY``."""
        if len(data) > BLOB_ITEM_LIMIT or sha256 in self._blobs:
            return
        self._blobs[sha256] = data
        self._blob_bytes += len(data)
        while self._blob_bytes > BLOB_MEMORY:
            _digest, dropped = self._blobs.popitem(last=False)
            self._blob_bytes -= len(dropped)

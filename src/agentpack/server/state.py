"""The state one server app holds: its data, the download counter, the metrics' counters."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter

from agentpack.core.access import Caller, Team, decide, team_of
from agentpack.core.classification import record_level
from agentpack.server.metrics import ProcessMetrics
from agentpack.server.read_cache import ReadCache


class DownloadCounter:
    """Downloads per archive digest, counted in memory and written in batches (never one database
    write per request): ``drain`` hands over what was counted since the last drain."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: Counter = Counter()

    def add(self, sha256: str) -> None:
        with self._lock:
            self._pending[sha256] += 1

    def drain(self) -> dict[str, int]:
        with self._lock:
            pending, self._pending = dict(self._pending), Counter()
        return pending


class ServerState:
    """Everything a request needs, hung on ``app.state.server``."""

    def __init__(self, settings, data) -> None:
        self.settings = settings
        self.data = data
        self.downloads = DownloadCounter()
        self.metrics = ProcessMetrics(settings.metrics_dir)  # requests, downloads, publishes (server.metrics)
        self._log_lock = threading.Lock()
        self.read_cache = ReadCache(data.registry, data.store, settings.read_cache_seconds)

    @property
    def registry(self):
        return self.data.registry

    def log(self, event: str, **fields) -> None:
        """Write one JSON object on one line to the server's log."""
        entry = {"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "event": event, **fields}
        line = json.dumps(entry, ensure_ascii=False, default=str)
        with self._log_lock:
            self.settings.log.write(line + "\n")
            self.settings.log.flush()

    def flush_downloads(self) -> None:
        """Write the downloads counted since the last flush, in one transaction."""
        pending = self.downloads.drain()
        if pending:
            self.data.store.add_downloads(pending)

    # -- who sees what -------------------------------------------------------------------------

    def team(self, name: str) -> Team:
        row = self.data.store.team(name)
        if row is None:
            return Team(name, exists=False)
        return team_of_row(row)

    def may_read(self, caller: Caller, team: Team):
        """``visible(record) -> bool``: whether ``caller`` may read a version record of ``team``."""
        levels = self.data.levels
        return lambda record: decide(levels, caller, "read", team, _level(record)).allowed

    def readable_index(self, caller: Caller, index: dict, teams: dict | None = None) -> dict | None:
        """``index`` with only the versions ``caller`` may read (None: none, or the team is hidden);
        ``teams``: team name -> Team, where known (else the store is asked)."""
        name = index["name"]
        team_name = team_of(name)
        team = (teams or {}).get(team_name) or self.team(team_name)
        levels = self.data.levels
        versions = {text: record for text, record in index["versions"].items()
                    if decide(levels, caller, "read", team, _level(record)).allowed}
        if not versions:
            return None
        return {"name": name, "serial": index["serial"], "versions": versions}

    def visible_catalog(self, caller: Caller, snapshot=None) -> dict:
        """The catalog document as ``caller`` may see it: only the packages and versions it may
        read; from ``snapshot`` (server.read_cache.Snapshot) when given, else from the store."""
        from agentpack.adapters.registry.directory import catalog_entry

        indexes = [snapshot.indexes[n] for n in sorted(snapshot.indexes)] if snapshot else self.registry.indexes()
        teams: dict = {}
        packages = {}
        for index in indexes:
            team = team_of(index["name"])
            if team not in teams:
                teams[team] = snapshot.team(team) if snapshot else self.team(team)
            visible = self.readable_index(caller, index, teams)
            if visible is not None:
                packages[index["name"]] = catalog_entry(visible)
        return {"packages": packages}

    def search(self, caller: Caller, query: str, keyword: str | None = None, category: str | None = None,
               limit: int = 20, offset: int = 0) -> dict:
        """``{"results", "total"}`` of the database's search (MetadataStore.search) over only the
        versions ``caller`` may read: each (team, level) the search table holds is decided by
        core.access exactly as ``readable_index`` decides a version."""
        teams: dict[str, Team] = {}

        def may_read(team_name: str, level: str | None) -> bool:
            if not teams:  # every team in one query, the first time one is asked about
                teams.update({row["name"]: Team(row["name"], private=row["private"], level=row["classification"])
                              for row in self.data.store.teams()})
            team = teams.get(team_name) or Team(team_name, exists=False)
            return decide(self.data.levels, caller, "read", team, level).allowed

        return self.data.store.search(query, keyword, category, limit, offset, may_read=may_read)

    def may_read_blob(self, caller: Caller, sha256: str, snapshot=None) -> bool:
        """Whether ``caller`` may read some version whose archive is ``sha256``."""
        holders = snapshot.blobs.get(sha256, []) if snapshot else self.data.store.versions_with_blob(sha256)
        for package, record in holders:
            team = snapshot.team(team_of(package)) if snapshot else self.team(team_of(package))
            if decide(self.data.levels, caller, "read", team, _level(record)).allowed:
                return True
        return False


def team_of_row(row: dict) -> Team:
    """The ``Team`` core.access decides over, from a row of the metadata store's teams."""
    return Team(row["name"], private=row["private"], level=row["classification"], owners=frozenset(row["owners"]))


def _level(record: dict) -> str | None:
    return record_level(record)


def level_of_record(record: dict) -> str | None:
    """The classification a version record declares (None: the lowest)."""
    return _level(record)

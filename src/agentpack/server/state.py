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

# Characters json.dumps leaves raw that line-oriented readers (Python's splitlines, some log
# shippers, terminals) take as a line break or control: C1 controls (NEL among them) and the Unicode
# line and paragraph separators. A logged request path may hold any of them; escaped, each log
# entry stays one line to every reader. They can occur only inside JSON strings, where \uXXXX is valid.
_LINE_BREAKING = {code: f"\\u{code:04x}" for code in [*range(0x7F, 0xA0), 0x2028, 0x2029]}


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
        self._validators: dict | None = None  # request schema validators, made on first use

    @property
    def registry(self):
        return self.data.registry

    def body_problems(self, operation: str, body: dict) -> list:
        """Every way ``body`` breaks the request schema of ``operation`` in the OpenAPI document
        (server.openapi.request_schemas, for this server's levels), as core Problems, each naming
        the field; empty when it conforms."""
        from agentpack.errors import Problem

        if self._validators is None:
            from jsonschema import Draft202012Validator

            from agentpack.server.openapi import request_schemas

            self._validators = {name: Draft202012Validator(schema)
                                for name, schema in request_schemas(self.data.levels.names).items()}
        problems = []
        for error in sorted(self._validators[operation].iter_errors(body), key=lambda e: list(e.absolute_path)):
            field = ".".join(str(part) for part in error.absolute_path) or None
            problems.append(Problem("error", "invalid-field", f"'{field}': {_short(error)}" if field else _short(error),
                                    field=field))
        return problems

    def log(self, event: str, **fields) -> None:
        """Write one JSON object on one line to the server's log."""
        entry = {"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "event": event, **fields}
        line = json.dumps(entry, ensure_ascii=False, default=str).translate(_LINE_BREAKING)
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


_SAID = {"type": "must be of type {}", "enum": "must be one of {}", "const": "must be {}",
         "pattern": "does not match {}", "minLength": "must be at least {} characters long",
         "maxLength": "must be at most {} characters long", "minimum": "must be at least {}",
         "maximum": "must be at most {}", "minItems": "must hold at least {} items",
         "maxItems": "must hold at most {} items"}


def _short(error) -> str:
    """What ``error`` (a jsonschema ValidationError) says is wrong, without repeating the offending
    value, which may be large or hold characters a log line should not."""
    said = _SAID.get(error.validator)
    if said is not None:
        expected = error.validator_value
        if error.validator == "type" and isinstance(expected, list):
            expected = " or ".join(expected)
        return said.format(expected if isinstance(expected, (str, int)) else json.dumps(expected))
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = list(error.schema.get("properties", {}))
        extra = sorted(str(key)[:64] for key in set(error.instance) - set(known))
        return f"unknown field(s) {', '.join(extra)} (fields: {', '.join(known)})"
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    if error.validator == "anyOf" and error.schema_path and not error.path:
        return "needs one of: " + "; ".join(", ".join(option.get("required", [])) for option in error.validator_value)
    return f"is none of the forms the schema allows ({error.validator})"


def _level(record: dict) -> str | None:
    return record_level(record)


def level_of_record(record: dict) -> str | None:
    """The classification a version record declares (None: the lowest)."""
    return _level(record)

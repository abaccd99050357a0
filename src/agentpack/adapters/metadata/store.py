"""The metadata store: teams, tokens, packages and their version records, in SQL.

Every method is one transaction. Writes on SQLite begin ``IMMEDIATE`` (the write lock is taken
first, so two writers queue instead of one failing on upgrade) and wait up to 30 s for it;
readers never wait (WAL). On every backend, "exactly one of two racing publishers of a version
wins" rests on the unique constraint over (package, precedence): the loser's insert fails and
is reported as ``VersionExists``. The quota is checked in the transaction that inserts, which on
SQLite is serialised by its write lock; on PostgreSQL (read committed) the transaction first locks
the team's row (``SELECT ... FOR UPDATE``), so publishers of one team with a quota take turns and
none of them counts before the one ahead has committed. Writes that touch a package lock its row
before its versions (team, then package, then versions), so two replicas never deadlock on them;
the download batch, which locks versions only, is retried when PostgreSQL picks it as a deadlock's
victim. Migrations on PostgreSQL run under an advisory lock: replicas started at once upgrade one
after another, and the later ones find nothing left to do.
"""

from __future__ import annotations

import json
import os

from agentpack.core.index_serial import next_serial
from agentpack.errors import QuotaExceeded, RegistryConflict, RegistryError, VersionExists

MIGRATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")
MIGRATION_LOCK = 0x61677063_6B6D6967 & 0x7FFFFFFFFFFFFFFF  # pg_advisory_xact_lock key ("agpckmig")
RETRIED_SQLSTATES = ("40P01", "40001")  # deadlock detected, serialization failure
DRIVER_PREFIXES = ("postgresql://", "postgres://")  # the spelling: psycopg 3 is the driver


def engine_url(url: str) -> str:
    """``url`` with PostgreSQL's driver made explicit (``postgresql://`` means psycopg 3 here, not
    SQLAlchemy's default psycopg2); every other URL as given."""
    for prefix in DRIVER_PREFIXES:
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class MetadataStore:
    """The store at the SQLAlchemy URL ``url`` (``sqlite:///PATH`` for the embedded default)."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine, event

        self.url = url = engine_url(url)
        self.sqlite = url.startswith("sqlite")
        if not self.sqlite:
            self._read = self._write = create_engine(url, pool_pre_ping=True)
            return
        self._read = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        self._write = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        for engine, begin in ((self._read, "BEGIN"), (self._write, "BEGIN IMMEDIATE")):
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", lambda conn, sql=begin: conn.exec_driver_sql(sql))

    @classmethod
    def open(cls, url: str) -> MetadataStore:
        """The store at ``url``, its schema brought up to date by the migrations."""
        store = cls(url)
        store.migrate()
        return store

    def migrate(self) -> None:
        """Run every Alembic migration the database has not had yet."""
        from alembic import command
        from alembic.config import Config
        from sqlalchemy import text

        config = Config()
        config.set_main_option("script_location", MIGRATIONS)
        with self._write.begin() as connection:
            if connection.dialect.name == "postgresql":  # one replica at a time; held until commit
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def close(self) -> None:
        """Release every pooled connection."""
        self._read.dispose()
        self._write.dispose()

    def ping(self) -> None:
        """Raise unless the database answers a query (for readiness)."""
        from sqlalchemy import text

        with self._read.connect() as connection:
            connection.execute(text("SELECT 1"))

    # -- teams ---------------------------------------------------------------------------------

    def create_team(self, team: dict) -> dict:
        """Add ``team`` (a row of the teams table, owners a list); ``RegistryConflict`` if it exists."""
        from sqlalchemy.exc import IntegrityError

        from agentpack.adapters.metadata.tables import teams

        row = dict(team, owners=json.dumps(list(team.get("owners") or [])))
        try:
            with self._write.begin() as connection:
                connection.execute(teams.insert().values(**row))
        except IntegrityError:
            raise RegistryConflict(f"team {team['name']} already exists") from None
        return self.team(team["name"])

    def team(self, name: str) -> dict | None:
        """The team called ``name`` (owners as a list), or None."""
        from agentpack.adapters.metadata.tables import teams

        with self._read.begin() as connection:
            row = connection.execute(teams.select().where(teams.c.name == name)).mappings().first()
        return _team(row) if row else None

    def update_team(self, name: str, change) -> dict:
        """In one transaction, with the team's row locked: ``change(team, held_levels)`` (the team
        as ``team`` gives it; ``held_levels()`` the set of classification levels its versions
        declare, None for none) gives the columns to set (owners a list); they are stored and the
        team's revision raised. Whatever ``change`` raises leaves the team as it was; a team that
        does not exist is ``PackageNotFound``. Returns the team as stored now."""
        from sqlalchemy import select

        from agentpack.adapters.metadata.tables import teams, versions
        from agentpack.errors import PackageNotFound

        with self._write.begin() as connection:
            row = connection.execute(teams.select().where(teams.c.name == name).with_for_update()).mappings().first()
            if row is None:
                raise PackageNotFound(f"team {name} not found")

            def held_levels() -> set:
                records = connection.execute(select(versions.c.record).where(versions.c.team == name)).scalars()
                return {_declared_level(text) for text in records}

            values = dict(change(_team(row), held_levels))
            if "owners" in values:
                values["owners"] = json.dumps(list(values["owners"]))
            connection.execute(teams.update().where(teams.c.name == name)
                               .values(**values, revision=teams.c.revision + 1))
        return self.team(name)

    def teams(self) -> list[dict]:
        """Every team, by name."""
        from agentpack.adapters.metadata.tables import teams

        with self._read.begin() as connection:
            rows = connection.execute(teams.select().order_by(teams.c.name)).mappings().all()
        return [_team(row) for row in rows]

    def usage(self, team: str) -> tuple[int, int]:
        """(bytes, versions) the team's published versions take."""
        from sqlalchemy import func, select

        from agentpack.adapters.metadata.tables import versions

        with self._read.begin() as connection:
            size, count = connection.execute(select(func.coalesce(func.sum(versions.c.size), 0),
                                                    func.count(versions.c.id)).where(versions.c.team == team)).one()
        return int(size), int(count)

    # -- tokens --------------------------------------------------------------------------------

    def add_token(self, token: dict) -> None:
        """Store a token row (``teams`` a list; the secret is never stored, only its hash)."""
        from agentpack.adapters.metadata.tables import tokens

        with self._write.begin() as connection:
            row = {key: value for key, value in token.items() if key != "user"}
            row.update(holder=token.get("user"), teams=json.dumps(sorted(token["teams"])))
            connection.execute(tokens.insert().values(**row))

    def token_by_hash(self, digest: str) -> dict | None:
        """The token whose secret hashes to ``digest``, or None."""
        from agentpack.adapters.metadata.tables import tokens

        with self._read.begin() as connection:
            row = connection.execute(tokens.select().where(tokens.c.hash == digest)).mappings().first()
        return _token(row) if row else None

    def tokens(self) -> list[dict]:
        """Every token (without secrets), oldest first."""
        from agentpack.adapters.metadata.tables import tokens

        with self._read.begin() as connection:
            rows = connection.execute(tokens.select().order_by(tokens.c.created_at, tokens.c.id)).mappings().all()
        return [_token(row) for row in rows]

    def revoke_token(self, token_id: str, now: int) -> bool:
        """Revoke the token ``token_id``; False when there is no such token or it was revoked already."""
        from agentpack.adapters.metadata.tables import tokens

        with self._write.begin() as connection:
            result = connection.execute(tokens.update().where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None))
                                        .values(revoked_at=now))
        return result.rowcount == 1

    # -- packages ------------------------------------------------------------------------------

    def package(self, name: str) -> dict | None:
        """``{"name", "team", "serial", "versions": {version: record}}`` (versions unordered), or None."""
        from agentpack.adapters.metadata.tables import packages, versions

        with self._read.begin() as connection:
            row = connection.execute(packages.select().where(packages.c.name == name)).mappings().first()
            if row is None:
                return None
            records = connection.execute(versions.select().where(versions.c.package == name)
                                         .order_by(versions.c.id)).mappings().all()
        return _package(row, records)

    def all_packages(self) -> list[dict]:
        """Every package as ``package`` gives it, by name (for the catalog)."""
        from agentpack.adapters.metadata.tables import packages, versions

        with self._read.begin() as connection:
            rows = connection.execute(packages.select().order_by(packages.c.name)).mappings().all()
            records = connection.execute(versions.select().order_by(versions.c.id)).mappings().all()
        by_package: dict[str, list] = {}
        for record in records:
            by_package.setdefault(record["package"], []).append(record)
        return [_package(row, by_package.get(row["name"], [])) for row in rows]

    def add_version(self, name: str, team: str, precedence: str, record: dict, now_ms: int,
                    quota: tuple[int | None, int | None] = (None, None)) -> None:
        """Insert ``record`` as a new version of ``name`` (of ``team``) and raise the package's serial.

        ``VersionExists`` when a version of equal ``precedence`` is there (whoever inserted it
        first, even a moment ago); ``QuotaExceeded`` when the team would pass ``quota`` (bytes,
        versions; None: no limit). Nothing is written in either case.
        """
        from sqlalchemy import func, select
        from sqlalchemy.exc import IntegrityError

        from agentpack.adapters.metadata import search_query
        from agentpack.adapters.metadata.tables import teams, versions

        try:
            with self._write.begin() as connection:
                max_bytes, max_versions = quota
                if max_bytes is not None or max_versions is not None:
                    # Publishers of this team take turns from here to commit (a no-op on SQLite,
                    # whose BEGIN IMMEDIATE already serialises every writer).
                    connection.execute(select(teams.c.name).where(teams.c.name == team).with_for_update())
                self._claim_package(connection, name, team)
                if max_bytes is not None or max_versions is not None:
                    size, count = connection.execute(
                        select(func.coalesce(func.sum(versions.c.size), 0), func.count(versions.c.id))
                        .where(versions.c.team == team)).one()
                    _check_quota(team, int(size) + record["size"], int(count) + 1, quota)
                inserted = connection.execute(versions.insert().values(
                    package=name, version=record["version"], precedence=precedence, team=team,
                    sha256=record["sha256"], size=record["size"], record=_dump(record), downloads=0))
                search_query.index_version(connection, inserted.inserted_primary_key[0], name, team, record)
                self._bump_serial(connection, name, team, now_ms)
        except IntegrityError:
            held = self._held_version(name, precedence)
            raise VersionExists(f"{name}@{held or record['version']} already exists",
                                hint="published versions never change; bump the version in package.yaml") from None

    def remark(self, name: str, choose, now_ms: int) -> dict[str, bool]:
        """In one transaction, with ``name``'s row locked: ``choose({version: record})`` (every
        version of ``name`` as stored now) gives new records for some of them (marks); those that
        differ are stored and the package's serial raised. ``{version: whether it changed}``.
        Whatever ``choose`` raises leaves everything as it was. Reading under the lock is what keeps
        a yank and a deprecation sent to two replicas at once from undoing one another."""
        from agentpack.adapters.metadata import search_rows
        from agentpack.adapters.metadata.tables import packages, search_entries, versions

        with self._write.begin() as connection:
            team = connection.execute(packages.select().where(packages.c.name == name).with_for_update()
                                      ).mappings().one()["team"]
            rows = connection.execute(versions.select().where(versions.c.package == name)
                                      .order_by(versions.c.id)).mappings().all()
            current = {row["version"]: json.loads(row["record"]) for row in rows}
            updated = choose(current)
            changed = {version: record != current[version] for version, record in updated.items()}
            for version, record in updated.items():
                if changed[version]:
                    connection.execute(versions.update().where(versions.c.package == name,
                                                               versions.c.version == version)
                                       .values(record=_dump(record)))
                    connection.execute(search_entries.update().where(search_entries.c.package == name,
                                                                     search_entries.c.version == version)
                                       .values(**search_rows.marks(record)))
            if any(changed.values()):
                self._bump_serial(connection, name, team, now_ms)
        return changed

    def add_downloads(self, counts: dict[str, int]) -> None:
        """Add ``counts`` (sha256 -> downloads) to the versions with those archives, in one transaction."""
        from agentpack.adapters.metadata.tables import versions

        if not counts:
            return

        def write() -> None:
            with self._write.begin() as connection:
                for sha256, count in sorted(counts.items()):
                    connection.execute(versions.update().where(versions.c.sha256 == sha256)
                                       .values(downloads=versions.c.downloads + count))

        _retried(write)

    def search(self, query: str, keyword: str | None = None, category: str | None = None, limit: int = 20,
               offset: int = 0, *, may_read) -> dict:
        """``{"results": [row], "total": N}``: the packages matching ``query``, ``keyword`` and
        ``category`` as core.search_text defines it, ranked as it says, ``limit`` rows from
        ``offset``; only the versions for which ``may_read(team, level)`` is true count (see
        search_query.search, which says what a row holds). Parameters are checked by the caller
        (core.search_text.check_search)."""
        from agentpack.adapters.metadata import search_query

        with self._read.begin() as connection:
            return search_query.search(connection, self.sqlite, query, keyword, category, limit, offset, may_read)

    def read_stamp(self) -> tuple[int, int, int, int]:
        """``(sum of the packages' serials, packages, teams, sum of the teams' revisions)``:
        changes with every write that changes what the read protocol serves (a publish, yank or
        deprecation raises one package's serial; a team's change, its revision)."""
        from sqlalchemy import func, select

        from agentpack.adapters.metadata.tables import packages, teams

        with self._read.begin() as connection:
            total, count = connection.execute(
                select(func.coalesce(func.sum(packages.c.serial), 0), func.count())).one()
            team_count, revisions = connection.execute(
                select(func.count(), func.coalesce(func.sum(teams.c.revision), 0))).one()
        return int(total), int(count), int(team_count), int(revisions)

    def versions_with_blob(self, sha256: str) -> list[tuple[str, dict]]:
        """``[(package, record)]`` of every version whose archive is ``sha256``."""
        from agentpack.adapters.metadata.tables import versions

        with self._read.begin() as connection:
            rows = connection.execute(versions.select().where(versions.c.sha256 == sha256)).mappings().all()
        return [(row["package"], json.loads(row["record"])) for row in rows]

    def downloads(self) -> dict[tuple[str, str], int]:
        """(package, version) -> downloads counted so far (flushed batches only)."""
        from sqlalchemy import select

        from agentpack.adapters.metadata.tables import versions

        with self._read.begin() as connection:
            rows = connection.execute(select(versions.c.package, versions.c.version, versions.c.downloads)).all()
        return {(package, version): int(count) for package, version, count in rows}

    # -- internals -----------------------------------------------------------------------------

    def _claim_package(self, connection, name: str, team: str) -> None:
        """On PostgreSQL, make sure ``name`` has a row and lock it until commit, so that two first
        publishes of a package (or a publish and a yank) queue on it instead of racing to insert
        it or to raise its serial. On SQLite the write lock already does this."""
        if self.sqlite:
            return
        from sqlalchemy import select
        from sqlalchemy.dialects.postgresql import insert

        from agentpack.adapters.metadata.tables import packages

        connection.execute(insert(packages).values(name=name, team=team, serial=0)
                           .on_conflict_do_nothing(index_elements=["name"]))
        connection.execute(select(packages.c.name).where(packages.c.name == name).with_for_update())

    def _bump_serial(self, connection, name: str, team: str, now_ms: int) -> None:
        from agentpack.adapters.metadata.tables import packages

        row = connection.execute(packages.select().where(packages.c.name == name)).mappings().first()
        if row is None:
            connection.execute(packages.insert().values(name=name, team=team, serial=next_serial({}, now_ms)))
        else:
            connection.execute(packages.update().where(packages.c.name == name)
                               .values(serial=next_serial({"serial": row["serial"]}, now_ms)))

    def _held_version(self, name: str, precedence: str) -> str | None:
        from sqlalchemy import select

        from agentpack.adapters.metadata.tables import versions

        with self._read.begin() as connection:
            return connection.execute(select(versions.c.version).where(
                versions.c.package == name, versions.c.precedence == precedence)).scalar()


def _retried(transaction, attempts: int = 5) -> None:
    """Run ``transaction`` (a function that opens and commits its own), again when PostgreSQL
    aborted it as a deadlock's victim or a serialisation failure (it then wrote nothing)."""
    import random
    import time

    from sqlalchemy.exc import OperationalError

    for attempt in range(attempts):
        try:
            transaction()
            return
        except OperationalError as error:
            state = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
            if state not in RETRIED_SQLSTATES or attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))


def _check_quota(team: str, size: int, count: int, quota: tuple[int | None, int | None]) -> None:
    from agentpack.core.quantities import describe_size

    max_bytes, max_versions = quota
    if max_bytes is not None and size > max_bytes:
        raise QuotaExceeded(f"team {team} is over its quota: {describe_size(size)} with this version, "
                            f"of {describe_size(max_bytes)} allowed; nothing was published",
                            hint="ask an administrator of the registry to raise the team's quota")
    if max_versions is not None and count > max_versions:
        raise QuotaExceeded(f"team {team} is over its quota: {count} versions with this one, of "
                            f"{max_versions} allowed; nothing was published",
                            hint="ask an administrator of the registry to raise the team's quota")


def _sqlite_connect(dbapi_connection, _record) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN (IMMEDIATE) itself, and readers not block writers.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _team(row) -> dict:
    team = dict(row, private=bool(row["private"]), owners=json.loads(row["owners"]))
    team.pop("revision", None)  # the store's bookkeeping, not a fact about the team
    return team


def _token(row) -> dict:
    token = {key: value for key, value in row.items() if key != "holder"}
    return dict(token, teams=json.loads(row["teams"]), user=row["holder"])


def _declared_level(record_text: str) -> str | None:
    """The classification a stored version record declares (None: none, the lowest level)."""
    manifest = json.loads(record_text).get("manifest") or {}
    level = manifest.get("classification")
    return level if isinstance(level, str) else None


def _package(row, records) -> dict:
    try:
        parsed = {record["version"]: json.loads(record["record"]) for record in records}
    except ValueError as error:
        raise RegistryError(f"the metadata store holds a malformed record of {row['name']}: {error}") from None
    return {"name": row["name"], "team": row["team"], "serial": int(row["serial"]), "versions": parsed}


def _dump(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, default=str)

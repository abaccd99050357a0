"""The tables of the metadata store (SQLAlchemy Core), written to stay portable SQL.

SQLite is the embedded default; PostgreSQL (``postgresql+psycopg://...``) is the target for a
server that scales out. Hence: no JSON column types (records are JSON text), no booleans compared
as integers by hand, times as whole epoch seconds, and "exactly one of two racing publishers wins"
enforced by a unique constraint, not by a lock only SQLite would have. The schema is created and
changed only by the Alembic migrations beside this module (migrations/versions); this file must
describe what they make.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Integer, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()

teams = Table(
    "teams", metadata,
    Column("name", String(64), primary_key=True),
    Column("private", Boolean, nullable=False, default=False),
    Column("classification", String(64), nullable=True),  # the highest level the team may hold
    Column("quota_bytes", BigInteger, nullable=True),  # None: no limit
    Column("quota_versions", Integer, nullable=True),
    Column("owners", Text, nullable=False, default="[]"),  # JSON list of user names
    Column("created_at", BigInteger, nullable=False),
    Column("revision", Integer, nullable=False, default=0),  # raised by every change of the team
)

tokens = Table(
    "tokens", metadata,
    Column("id", String(32), primary_key=True),  # public: shown in lists, used to revoke
    Column("hash", String(64), nullable=False, unique=True),  # sha256 of the secret token
    Column("role", String(16), nullable=False),
    Column("teams", Text, nullable=False),  # JSON list of team names, or ["*"]
    Column("clearance", String(64), nullable=True),
    Column("note", Text, nullable=False, default=""),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=True),  # None: never
    Column("revoked_at", BigInteger, nullable=True),
    Column("holder", String(64), nullable=True),  # the user holding it (None: no one in particular)
)

packages = Table(
    "packages", metadata,
    Column("name", String(130), primary_key=True),
    Column("team", String(64), nullable=False, index=True),
    Column("serial", BigInteger, nullable=False),
)

versions = Table(
    "versions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("package", String(130), nullable=False, index=True),
    Column("version", String(256), nullable=False),
    Column("precedence", String(256), nullable=False),  # the version without build metadata
    Column("team", String(64), nullable=False, index=True),
    Column("sha256", String(64), nullable=False, index=True),
    Column("size", BigInteger, nullable=False),
    Column("record", Text, nullable=False),  # the version record, JSON
    Column("downloads", BigInteger, nullable=False, default=0),
    UniqueConstraint("package", "precedence", name="uq_versions_package_precedence"),
)

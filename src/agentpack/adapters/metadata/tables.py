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

# Search (migration 0002): one row per version, kept by the store on publish, yank and deprecate
# (adapters.metadata.search_rows). The words columns hold core.search_text's words, space-separated;
# the full-text index over them is backend-specific DDL, made only by migration 0002 and left out
# of these tables: on SQLite the FTS5 table ``search_fts`` (external content: search_entries,
# rowid = version_id, the ``ascii`` tokenizer, which splits only where core.search_text already
# did) kept by triggers; on PostgreSQL the generated tsvector column ``search_entries.document``
# (array_to_tsvector of the words) with a GIN index. Only store.MetadataStore.search names them.
search_entries = Table(
    "search_entries", metadata,
    Column("version_id", Integer, primary_key=True),  # versions.id
    Column("package", String(130), nullable=False, index=True),
    Column("team", String(64), nullable=False),
    Column("level", String(64), nullable=True),  # the record's classification (None: the lowest)
    Column("version", String(256), nullable=False),
    Column("ord", Integer, nullable=False),  # position by SemVer precedence within the package
    Column("release", Boolean, nullable=False),  # not a pre-release
    Column("yanked", Boolean, nullable=False),
    Column("deprecated", Text, nullable=True),  # the deprecation message shown (None: not deprecated)
    Column("category", Text, nullable=True, index=True),
    Column("description", Text, nullable=False),
    Column("keywords", Text, nullable=False),  # JSON list, as published
    Column("components", Text, nullable=False),  # JSON object of counts
    Column("name_words", Text, nullable=False),
    Column("keyword_words", Text, nullable=False),
    Column("description_words", Text, nullable=False),
)

search_keywords = Table(
    "search_keywords", metadata,
    Column("version_id", Integer, primary_key=True),
    Column("keyword", Text, primary_key=True, index=True),  # core.search_text.normal_keyword
)

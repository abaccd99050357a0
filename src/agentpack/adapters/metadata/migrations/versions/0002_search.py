"""Search: one row per version with the words of its name, keywords and description, the
keywords for exact filtering, and a full-text index over the words (SQLite: an FTS5 table kept
by triggers; PostgreSQL: a generated tsvector column with a GIN index). Versions published
before this migration are indexed by it. pg_trgm (shipped with Debian's postgresql) is not used:
trigrams match substrings, which FTS5's word index cannot match alike, and both backends must
answer every query with the same rows.

Revision ID: 0002
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQLITE_INDEX = [
    # ``ascii`` splits only at ASCII punctuation and blanks: the words are core.search_text's
    # already (letters and digits only), so FTS5 indexes exactly them.
    "CREATE VIRTUAL TABLE search_fts USING fts5(name_words, keyword_words, description_words, "
    "content='search_entries', content_rowid='version_id', tokenize='ascii')",
    # The FTS5 documentation's triggers for an external-content table.
    "CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN "
    "INSERT INTO search_fts(rowid, name_words, keyword_words, description_words) "
    "VALUES (new.version_id, new.name_words, new.keyword_words, new.description_words); END",
    "CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, name_words, keyword_words, description_words) "
    "VALUES ('delete', old.version_id, old.name_words, old.keyword_words, old.description_words); END",
    # Only the words are indexed: a yank, a deprecation or a new precedence order leaves them be.
    "CREATE TRIGGER search_entries_au AFTER UPDATE OF name_words, keyword_words, description_words "
    "ON search_entries BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, name_words, keyword_words, description_words) "
    "VALUES ('delete', old.version_id, old.name_words, old.keyword_words, old.description_words); "
    "INSERT INTO search_fts(rowid, name_words, keyword_words, description_words) "
    "VALUES (new.version_id, new.name_words, new.keyword_words, new.description_words); END",
]
POSTGRESQL_INDEX = [
    # array_to_tsvector takes the words as they are: PostgreSQL's parser and dictionaries never
    # see them, so it matches exactly what SQLite and a client-side filter match.
    "ALTER TABLE search_entries ADD COLUMN document tsvector GENERATED ALWAYS AS ("
    "array_to_tsvector(string_to_array(name_words, ' ')) || "
    "array_to_tsvector(string_to_array(keyword_words, ' ')) || "
    "array_to_tsvector(string_to_array(description_words, ' '))) STORED",
    "CREATE INDEX ix_search_entries_document ON search_entries USING gin (document)",
]


def upgrade() -> None:
    entries = op.create_table(
        "search_entries",
        sa.Column("version_id", sa.Integer, primary_key=True),
        sa.Column("package", sa.String(130), nullable=False, index=True),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("level", sa.String(64), nullable=True),
        sa.Column("version", sa.String(256), nullable=False),
        sa.Column("ord", sa.Integer, nullable=False),
        sa.Column("release", sa.Boolean, nullable=False),
        sa.Column("yanked", sa.Boolean, nullable=False),
        sa.Column("deprecated", sa.Text, nullable=True),
        sa.Column("category", sa.Text, nullable=True, index=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("keywords", sa.Text, nullable=False),
        sa.Column("components", sa.Text, nullable=False),
        sa.Column("name_words", sa.Text, nullable=False),
        sa.Column("keyword_words", sa.Text, nullable=False),
        sa.Column("description_words", sa.Text, nullable=False),
    )
    keywords = op.create_table(
        "search_keywords",
        sa.Column("version_id", sa.Integer, primary_key=True),
        sa.Column("keyword", sa.Text, primary_key=True, index=True),
    )
    bind = op.get_bind()
    for statement in SQLITE_INDEX if bind.dialect.name == "sqlite" else POSTGRESQL_INDEX:
        op.execute(statement)
    _backfill(bind, entries, keywords)


def _backfill(bind, entries, keywords) -> None:
    """Index every version already published (the FTS5 triggers, or the generated column, index
    the rows as they are inserted)."""
    from agentpack.adapters.metadata import search_rows

    rows = bind.execute(sa.text("SELECT id, package, team, version, record FROM versions ORDER BY id")).all()
    by_package: dict[str, dict[int, str]] = {}
    made, words = [], []
    for version_id, package, team, version, record_text in rows:
        record = json.loads(record_text)
        made.append(search_rows.entry(version_id, package, team, record))
        words += search_rows.keyword_rows(version_id, record)
        by_package.setdefault(package, {})[version_id] = version
    order = {version_id: position for versions in by_package.values()
             for version_id, position in search_rows.orders(versions).items()}
    for row in made:
        row["ord"] = order[row["version_id"]]
    if made:
        op.bulk_insert(entries, made)
    if words:
        op.bulk_insert(keywords, words)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("search_entries_ai", "search_entries_ad", "search_entries_au"):
            op.execute(f"DROP TRIGGER {trigger}")
        op.execute("DROP TABLE search_fts")
    op.drop_table("search_keywords")
    op.drop_table("search_entries")

"""The first schema: teams, tokens, packages, versions; and the built-in public team.

Revision ID: 0001
"""

import time

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    teams = op.create_table(
        "teams",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("private", sa.Boolean, nullable=False),
        sa.Column("classification", sa.String(64), nullable=True),
        sa.Column("quota_bytes", sa.BigInteger, nullable=True),
        sa.Column("quota_versions", sa.Integer, nullable=True),
        sa.Column("owners", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("teams", sa.Text, nullable=False),
        sa.Column("clearance", sa.String(64), nullable=True),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=True),
        sa.Column("revoked_at", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "packages",
        sa.Column("name", sa.String(130), primary_key=True),
        sa.Column("team", sa.String(64), nullable=False, index=True),
        sa.Column("serial", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("package", sa.String(130), nullable=False, index=True),
        sa.Column("version", sa.String(256), nullable=False),
        sa.Column("precedence", sa.String(256), nullable=False),
        sa.Column("team", sa.String(64), nullable=False, index=True),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("downloads", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("package", "precedence", name="uq_versions_package_precedence"),
    )
    # Unscoped names (``triage``) belong to the built-in public team: readable by anyone, at the
    # lowest classification level, without a quota.
    op.bulk_insert(teams, [{"name": "public", "private": False, "classification": None, "quota_bytes": None,
                            "quota_versions": None, "owners": "[]", "created_at": int(time.time())}])


def downgrade() -> None:
    for table in ("versions", "packages", "tokens", "teams"):
        op.drop_table(table)

"""Owners mean something: a token names its holder, and a team counts its changes.

``tokens.holder`` is the user a token is held by (None: no one in particular); a token held by
one of a team's owners may administer that team (core.access). ``teams.revision`` is raised by
every change of a team, so that the read path's stamp notices one made by another process (a
team turned private must stop being served at once everywhere).

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tokens", sa.Column("holder", sa.String(64), nullable=True))
    op.add_column("teams", sa.Column("revision", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("teams") as batch:
        batch.drop_column("revision")
    with op.batch_alter_table("tokens") as batch:
        batch.drop_column("holder")

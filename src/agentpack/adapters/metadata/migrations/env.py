"""Alembic's environment for the metadata store: always run from code (MetadataStore.migrate),
on the connection it passes in ``config.attributes["connection"]``."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()

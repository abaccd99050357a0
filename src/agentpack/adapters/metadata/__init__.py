"""A registry server's metadata (teams, tokens, packages, versions) in SQL, through SQLAlchemy 2.

Only the registry server and its local administration commands import this package; SQLAlchemy
and Alembic are the ``server`` extra (``pip install 'agentpack[server]'``).
"""

"""Alembic environment: migrations run on the connection RiskScreen passes in, never from a URL.

The database is encrypted, so Alembic cannot open it by itself; :func:`riskscreen.store.schema.
upgrade` hands over an already keyed connection in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("RiskScreen migrations run only through riskscreen.store.schema.upgrade")

context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

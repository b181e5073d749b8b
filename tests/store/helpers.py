"""Helpers shared by the storage tests."""

from __future__ import annotations

from typing import Any

from alembic import command

from riskscreen.store.schema import _config, current_revision, head_revision


def migrate(conn: Any, revision: str) -> None:
    """Move the database on ``conn`` up to ``"head"`` or down to ``revision``, and check it
    arrived there."""
    config = _config()
    config.attributes["connection"] = conn
    if revision == "head":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)
    assert current_revision(conn) == (head_revision() if revision == "head" else revision)

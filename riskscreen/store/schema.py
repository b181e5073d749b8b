"""Bringing a database's schema up to date with the Alembic migrations shipped in the package.

Migrations run programmatically on the caller's keyed connection; no ``alembic.ini`` and no
database URL exist on disk.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine

from riskscreen.store.db import StorageError, translate_errors

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

__all__ = ["current_revision", "head_revision", "upgrade"]

_SCRIPT_LOCATION = "riskscreen.store:migrations"


def _config() -> Config:
    # Alembic is imported when a schema is first read or migrated, not with the storage
    # layer: a process that opens no database (help, validate, scoring files) never needs it.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", _SCRIPT_LOCATION)
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    """The shipped migrations, read once per process: every sign-in compares the database's
    revision with the head, and reading the scripts means compiling every one of them."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    """The newest revision this version of RiskScreen knows."""
    head = _scripts().get_current_head()
    assert head is not None  # the package always ships at least the first revision
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision a database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (the newest by default), in one transaction."""
    config = _config()
    with translate_errors(), engine.begin() as connection:
        current = current_revision(connection)
        if current is not None and current != head_revision() and revision == "head":
            known = {s.revision for s in _scripts().walk_revisions()}
            if current not in known:
                raise StorageError(
                    "This database was written by a newer version of RiskScreen; "
                    "install that version to open it.")
        config.attributes["connection"] = connection
        from alembic import command

        command.upgrade(config, revision)

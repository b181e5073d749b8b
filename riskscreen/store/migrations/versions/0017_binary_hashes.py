"""The form and scoring-model hashes as their 32 bytes; an index of amendments.

Revision ID: 0017
Revises: 0016

Every screening names the stored form version and the published scoring model it was made
under by their SHA-256, each kept as 64 characters of hex text: 128 bytes a screening. This
revision keeps each hash as its 32 bytes, in ``forms``, ``scoring_models`` and the columns
that refer to them (``screenings``, ``instruments``, ``agreement_exercises``); the
application reads and writes them as the same hex text
(:class:`riskscreen.store.models.Sha256`), so everything shown, exported or hashed is
unchanged. A value that is not a lowercase SHA-256 in hex is left as it was.

``ix_screenings_amendment`` indexes the screenings that amend another (a partial index: the
others, nearly all, take no room), so "which screenings were replaced" is a look-up.

On SQLite each table is rebuilt (SQLite cannot change a column's type), its triggers and
indexes made again with the same text, and the freed pages are compacted at the next sign-in
that finds nobody else connected; on PostgreSQL the columns are altered in place, their
foreign keys dropped for the change and made again under the same names.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

#: The ``meta`` key that asks for the file to be compacted (the same text as the store's).
COMPACT_PENDING = "compact_pending"
#: The hash columns converted, by table (parents first).
HASHES: dict[str, tuple[str, ...]] = {
    "forms": ("sha256",),
    "scoring_models": ("sha256",),
    "screenings": ("model_sha256", "form_sha256"),
    "instruments": ("form_sha256",),
    "agreement_exercises": ("model_sha256",),
}
_TEXT_TYPE = "VARCHAR(64)"
_BYTES_TYPE = "BLOB"
_COPY = "_rebuild_copy"
_AMENDMENTS = "ix_screenings_amendment"


def _sqlite_bytes(column: str) -> str:
    return (f"CASE WHEN typeof({column}) = 'text' AND length({column}) = 64 AND "
            f"{column} NOT GLOB '*[^0-9a-f]*' THEN unhex({column}) ELSE {column} END")


def _sqlite_text(column: str) -> str:
    return (f"CASE WHEN typeof({column}) = 'blob' AND length({column}) = 32 THEN "
            f"lower(hex({column})) ELSE {column} END")


def _rebuild_sqlite(table: str, *, to_bytes: bool) -> None:
    """Make ``table`` again with its hash columns of the other type, its rows converted.

    The rows are copied aside, the table dropped and made again under its own name, and the
    rows put back: with foreign keys deferred, putting a parent row back settles the children
    that the drop left without one, so nothing else is touched or renamed.
    """
    bind = op.get_bind()
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND "
                               "name = ?", (table,)).scalar_one()
    indexes = [str(r[0]) for r in bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND "
        "sql IS NOT NULL", (table,))]
    names = [str(r[1]) for r in bind.exec_driver_sql(f'PRAGMA table_info("{table}")')]
    old_type, new_type = (_TEXT_TYPE, _BYTES_TYPE) if to_bytes else (_BYTES_TYPE, _TEXT_TYPE)
    convert = _sqlite_bytes if to_bytes else _sqlite_text
    hashes = HASHES[table]
    for column in hashes:
        sql, found = re.subn(rf"(?<![\w\"]){column}(\s+){re.escape(old_type)}",
                             rf"{column}\g<1>{new_type}", sql, count=1)
        if not found:
            raise RuntimeError(f"{table}.{column} is not a {old_type} column")
    quoted = ", ".join(f'"{n}"' for n in names)
    values = ", ".join(convert(f'"{n}"') if n in hashes else f'"{n}"' for n in names)
    op.execute(f'CREATE TABLE {_COPY} AS SELECT * FROM "{table}"')  # noqa: S608 - fixed text
    op.execute(f'DROP TABLE "{table}"')
    op.execute(sql)
    op.execute(f'INSERT INTO "{table}" ({quoted}) SELECT {values} FROM {_COPY}')  # noqa: S608 - fixed text
    op.execute(f"DROP TABLE {_COPY}")
    for index in indexes:
        op.execute(index)


def _sqlite(*, to_bytes: bool) -> None:
    bind = op.get_bind()
    # Every trigger is dropped while the tables are made again (some name other tables),
    # then made again with exactly its text (``verify`` compares it).
    triggers = [(str(n), str(s)) for n, s in bind.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")]
    for name, _ in triggers:
        op.execute(f'DROP TRIGGER "{name}"')
    op.execute("PRAGMA defer_foreign_keys = ON")
    for table in HASHES:
        _rebuild_sqlite(table, to_bytes=to_bytes)
    for _, trigger in triggers:
        op.execute(trigger)
    for table in HASHES:
        broken = bind.exec_driver_sql(f'PRAGMA foreign_key_check("{table}")').first()
        if broken is not None:
            raise RuntimeError(f"{table} row {broken[1]} names a missing {broken[2]} row")
    if bind.exec_driver_sql("SELECT count(*) FROM screenings").scalar():
        # The old tables' pages are now free inside the file: the next sign-in with nobody
        # else connected gives them back (riskscreen.store.backup.compact_database).
        bind.execute(sa.text("DELETE FROM meta WHERE key = :k"), {"k": COMPACT_PENDING})
        bind.execute(sa.text("INSERT INTO meta (key, value) VALUES (:k, '1')"),
                     {"k": COMPACT_PENDING})


def _postgresql(*, to_bytes: bool) -> None:
    bind = op.get_bind()
    # The foreign keys to the hashes (their names as the database has them).
    keys = [tuple(str(v) for v in r) for r in bind.execute(sa.text(
        "SELECT c.conname, t.relname, a.attname, p.relname FROM pg_constraint c "
        "JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class p ON p.oid = c.confrelid "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
        "WHERE c.contype = 'f' AND p.relname IN ('forms', 'scoring_models') "
        "AND t.relnamespace = current_schema()::regnamespace ORDER BY c.conname"))]
    for name, table, _, _ in keys:
        op.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for table, columns in HASHES.items():
        for column in columns:
            if to_bytes:
                op.execute(
                    f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE bytea USING '
                    f"CASE WHEN \"{column}\" ~ '^[0-9a-f]{{64}}$' THEN decode(\"{column}\", "
                    f"'hex') ELSE convert_to(\"{column}\", 'UTF8') END")
            else:
                op.execute(
                    f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE varchar(64) USING '
                    f"CASE WHEN length(\"{column}\") = 32 THEN encode(\"{column}\", 'hex') "
                    f"ELSE convert_from(\"{column}\", 'UTF8') END")
    for name, table, column, parent in keys:
        op.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" FOREIGN KEY ("{column}") '
                   f'REFERENCES "{parent}" (sha256)')


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite(to_bytes=True)
    else:
        _postgresql(to_bytes=True)
    op.create_index(_AMENDMENTS, "screenings", ["amendment_of"],
                    sqlite_where=sa.text("amendment_of IS NOT NULL"),
                    postgresql_where=sa.text("amendment_of IS NOT NULL"))


def downgrade() -> None:
    """Back to revision 0016: the hashes as hex text again, no index of amendments."""
    op.drop_index(_AMENDMENTS, "screenings")
    if op.get_bind().dialect.name == "sqlite":
        _sqlite(to_bytes=False)
    else:
        _postgresql(to_bytes=False)

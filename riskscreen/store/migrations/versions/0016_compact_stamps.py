"""Timestamps of the tables that grow with every screening as integer microseconds; carried
answers keyed by their own primary key; the indexes the lists and checks use.

Revision ID: 0016
Revises: 0015

A timestamp stored as fixed-width ISO text (``2026-03-01T09:30:00.000000Z``) takes 27 bytes,
and a finalised screening has about thirty of them across its child, screening, answers,
assessment, referral and steps, and audit entries, some again in indexes. This revision
stores those columns as integer microseconds since 1970 (8 bytes), which sort as the text
did; the application reads and writes them as the same text
(:class:`riskscreen.store.models.UtcStamp`), so the audit chain hashes exactly what it hashed
before. A value that is not a fixed-width time is left as it was (SQLite keeps it as text).

``carried_answers`` becomes a WITHOUT ROWID table: its primary key was a second copy of every
row. ``ix_screenings_form`` goes (only ``verify`` asks for screenings without a stored form,
and it reads every screening anyway); the practitioner index also holds the child, so "the
children a practitioner screened" is read from the index alone; and ``ix_screenings_child``
also holds the practitioner, so "did this practitioner screen this child" is one look-up.

On SQLite each table is rebuilt (SQLite cannot change a column's type), its triggers and
indexes made again with the same text, and the freed pages are compacted at the next sign-in
that finds nobody else connected; on PostgreSQL the columns are altered in place.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

#: The ``meta`` key that asks for the file to be compacted (the same text as the store's).
COMPACT_PENDING = "compact_pending"
#: The timestamp columns converted, by table.
STAMPS: dict[str, tuple[str, ...]] = {
    "children": ("created_at",),
    "screenings": ("created_at", "updated_at"),
    "answers": ("saved_at",),
    "assessments": ("finalised_at",),
    "referrals": ("created_at", "updated_at", "sent_at", "decided_at", "closed_at"),
    "referral_steps": ("at", "recorded_at"),
    "audit_log": ("at",),
}
_TEXT_TYPE = "VARCHAR(27)"
_INT_TYPE = "BIGINT"
_D = "[0-9]"
_FIXED = (f"{_D * 4}-{_D * 2}-{_D * 2}T{_D * 2}:{_D * 2}:{_D * 2}.{_D * 6}Z")
_COPY = "_rebuild_copy"
#: (name, columns) of the indexes before and after this revision.
_INDEXES_BEFORE = {"ix_screenings_child": ["child_id", "screening_date"],
                   "ix_screenings_practitioner": ["practitioner_id", "updated_at"],
                   "ix_screenings_form": ["form_sha256"]}
_INDEXES_AFTER = {"ix_screenings_child": ["child_id", "practitioner_id", "screening_date"],
                  "ix_screenings_practitioner": ["practitioner_id", "updated_at", "child_id"]}


def _sqlite_micros(column: str) -> str:
    return (f"CASE WHEN {column} GLOB '{_FIXED}' THEN "
            f"CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER) * 1000000 + "
            f"CAST(substr({column}, 21, 6) AS INTEGER) ELSE {column} END")


def _sqlite_text(column: str) -> str:
    return (f"CASE WHEN typeof({column}) = 'integer' THEN "
            f"strftime('%Y-%m-%dT%H:%M:%S', {column} / 1000000, 'unixepoch') || "
            f"printf('.%06dZ', {column} % 1000000) ELSE {column} END")


def _rebuild_sqlite(table: str, *, to_int: bool, without_rowid: bool | None = None) -> None:
    """Make ``table`` again with its timestamp columns of the other type, its rows converted.

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
    old_type, new_type = (_TEXT_TYPE, _INT_TYPE) if to_int else (_INT_TYPE, _TEXT_TYPE)
    convert = _sqlite_micros if to_int else _sqlite_text
    stamps = STAMPS.get(table, ())
    for column in stamps:
        sql, found = re.subn(rf"(?<![\w\"]){column}(\s+){re.escape(old_type)}",
                             rf"{column}\g<1>{new_type}", sql, count=1)
        if not found:
            raise RuntimeError(f"{table}.{column} is not a {old_type} column")
    if without_rowid is True and not sql.rstrip().endswith("WITHOUT ROWID"):
        sql = sql.rstrip() + " WITHOUT ROWID"
    elif without_rowid is False:
        sql = re.sub(r"\s*WITHOUT ROWID\s*$", "", sql)
    quoted = ", ".join(f'"{n}"' for n in names)
    values = ", ".join(convert(f'"{n}"') if n in stamps else f'"{n}"' for n in names)
    op.execute(f'CREATE TABLE {_COPY} AS SELECT * FROM "{table}"')  # noqa: S608 - fixed text
    op.execute(f'DROP TABLE "{table}"')
    op.execute(sql)
    op.execute(f'INSERT INTO "{table}" ({quoted}) SELECT {values} FROM {_COPY}')  # noqa: S608 - fixed text
    op.execute(f"DROP TABLE {_COPY}")
    for index in indexes:
        op.execute(index)


def _sqlite(*, to_int: bool) -> None:
    bind = op.get_bind()
    # Every trigger is dropped while the tables are made again (some name other tables),
    # then made again with exactly its text (``verify`` compares it).
    triggers = [(str(n), str(s)) for n, s in bind.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")]
    for name, _ in triggers:
        op.execute(f'DROP TRIGGER "{name}"')
    op.execute("PRAGMA defer_foreign_keys = ON")
    for table in STAMPS:
        _rebuild_sqlite(table, to_int=to_int)
    _rebuild_sqlite("carried_answers", to_int=to_int, without_rowid=to_int)
    for _, trigger in triggers:
        op.execute(trigger)
    for table in (*STAMPS, "carried_answers"):
        broken = bind.exec_driver_sql(f'PRAGMA foreign_key_check("{table}")').first()
        if broken is not None:
            raise RuntimeError(f"{table} row {broken[1]} names a missing {broken[2]} row")
    if bind.exec_driver_sql("SELECT count(*) FROM screenings").scalar():
        # The old tables' pages are now free inside the file: the next sign-in with nobody
        # else connected gives them back (riskscreen.store.backup.compact_database).
        bind.execute(sa.text("DELETE FROM meta WHERE key = :k"), {"k": COMPACT_PENDING})
        bind.execute(sa.text("INSERT INTO meta (key, value) VALUES (:k, '1')"),
                     {"k": COMPACT_PENDING})


def _indexes(before: dict[str, list[str]], after: dict[str, list[str]]) -> None:
    for name in before:
        op.drop_index(name, "screenings")
    for name, columns in after.items():
        op.create_index(name, "screenings", columns)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite(to_int=True)
    else:
        for table, columns in STAMPS.items():
            for column in columns:
                op.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE bigint USING '
                           f'(extract(epoch from "{column}"::timestamptz) * 1000000)::bigint')
    _indexes(_INDEXES_BEFORE, _INDEXES_AFTER)


def downgrade() -> None:
    """Back to revision 0015: the timestamps as text again, the indexes as they were."""
    _indexes(_INDEXES_AFTER, _INDEXES_BEFORE)
    if op.get_bind().dialect.name == "sqlite":
        _sqlite(to_int=False)
        return
    for table, columns in STAMPS.items():
        for column in columns:
            op.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE varchar(27) USING '
                       f"to_char(timestamp 'epoch' + \"{column}\" * interval '1 microsecond', "
                       "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")

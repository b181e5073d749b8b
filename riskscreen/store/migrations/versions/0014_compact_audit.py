"""The audit log without its second copy of each hash, and hashes as bytes.

Revision ID: 0014
Revises: 0013

Every entry stored its own hash and the previous entry's, both as 64 hex characters: about
130 of the 250 bytes an entry takes, and there are about nine entries per finalised
screening. The previous hash is the row before's own hash, so this revision drops the
``prev_hash`` column and stores each hash as its 32 bytes. Nothing hashed changes: the chain
is checked over the same hex text (:mod:`riskscreen.store.audit`), so every entry written
before this revision still verifies, and the recorded head beside the database still matches.
On SQLite the table is rebuilt (with its append-only triggers) and the freed pages are
compacted at the next sign-in that finds nobody else connected; on PostgreSQL the columns are
altered in place.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

#: The ``meta`` key that asks for the file to be compacted (the same text as the store's).
COMPACT_PENDING = "compact_pending"
_GENESIS = "0" * 64
_TRIGGERS = (
    """CREATE TRIGGER audit_log_immutable_u BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER audit_log_immutable_d BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
)


def _columns(*, binary: bool) -> list[sa.Column[object]]:
    columns: list[sa.Column[object]] = [
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(27), nullable=False),
        sa.Column("user", sa.String(100), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("object", sa.String(100), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    ]
    if binary:
        columns.append(sa.Column("hash", sa.LargeBinary, nullable=False))
    else:
        columns += [sa.Column("prev_hash", sa.String(64), nullable=False),
                    sa.Column("hash", sa.String(64), nullable=False)]
    return columns


def _rebuild_sqlite(select_hashes: str, *, binary: bool) -> None:
    """Copy ``audit_log`` into a new table whose hash columns ``select_hashes`` makes."""
    for name in ("audit_log_immutable_u", "audit_log_immutable_d"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    # Renaming the old table (not the new one) keeps the new table's schema text exactly
    # what creating it makes.
    op.rename_table("audit_log", "audit_log_old")
    op.create_table("audit_log", *_columns(binary=binary))
    names = "seq, at, \"user\", action, object, detail, " + (
        "hash" if binary else "prev_hash, hash")
    op.execute(f"INSERT INTO audit_log ({names}) "  # noqa: S608 - fixed text
               f"SELECT seq, at, \"user\", action, object, detail, {select_hashes} "
               "FROM audit_log_old ORDER BY seq")
    op.drop_table("audit_log_old")
    for trigger in _TRIGGERS:
        op.execute(trigger)
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM audit_log")).scalar():
        # The old table's pages are now free inside the file: the next sign-in with nobody
        # else connected gives them back (riskscreen.store.backup.compact_database).
        bind.execute(sa.text("DELETE FROM meta WHERE key = :k"), {"k": COMPACT_PENDING})
        bind.execute(sa.text("INSERT INTO meta (key, value) VALUES (:k, '1')"),
                     {"k": COMPACT_PENDING})


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite("unhex(hash)", binary=True)
        return
    op.drop_column("audit_log", "prev_hash")
    op.execute("ALTER TABLE audit_log ALTER COLUMN hash TYPE bytea USING decode(hash, 'hex')")


def downgrade() -> None:
    """Back to revision 0013: each entry names the previous hash again, both as hex."""
    previous = f"COALESCE(LAG(lower(hex(hash))) OVER (ORDER BY seq), '{_GENESIS}')"
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(f"{previous}, lower(hex(hash))", binary=False)
        return
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(64)))
    # The append-only trigger (revision 0013) would refuse the one update that fills it in.
    op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_immutable")
    op.execute("UPDATE audit_log SET prev_hash = p.prev FROM (SELECT seq, COALESCE(LAG("  # noqa: S608 - fixed text
               f"encode(hash, 'hex')) OVER (ORDER BY seq), '{_GENESIS}') AS prev "
               "FROM audit_log) AS p WHERE audit_log.seq = p.seq")
    op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_immutable")
    op.alter_column("audit_log", "prev_hash", nullable=False)
    op.execute("ALTER TABLE audit_log ALTER COLUMN hash TYPE varchar(64) "
               "USING encode(hash, 'hex')")

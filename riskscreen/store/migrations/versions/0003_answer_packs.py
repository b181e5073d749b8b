"""A compact, compressed copy of each finalised answer set, for bulk re-scoring.

Revision ID: 0003
Revises: 0002

``answer_packs`` holds, per finalised screening, the model hash and ``zlib`` of exactly the
bytes of ``assessments.answer_set`` (about 40 % of the size). It is a table of its own, not a
column: a column added to ``assessments`` would sit after the 11 KB snapshot, so reading it
would walk the whole row's overflow pages, and one on ``screenings`` would bloat the table the
list counts scan. Packs are immutable like snapshots; ``verify`` checks that each pack
decompresses to its snapshot's answer set. Existing rows are back-filled here.
"""

from __future__ import annotations

import zlib

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_CHUNK = 5000

TRIGGERS = [
    """CREATE TRIGGER answer_packs_immutable_u BEFORE UPDATE ON answer_packs
       BEGIN SELECT RAISE(ABORT, 'assessment snapshots are immutable'); END""",
    """CREATE TRIGGER answer_packs_immutable_d BEFORE DELETE ON answer_packs
       BEGIN SELECT RAISE(ABORT, 'assessment snapshots are immutable'); END""",
]


def _pack(answer_set_json: str) -> bytes:
    # The same as riskscreen.store.models.pack_answer_set (a migration keeps its own copy).
    return zlib.compress(answer_set_json.encode("utf-8"), 6)


def upgrade() -> None:
    op.create_table(
        "answer_packs",
        sa.Column("screening_id", sa.Integer, sa.ForeignKey("screenings.id"),
                  primary_key=True),
        sa.Column("model_sha256", sa.String(64), nullable=False),
        sa.Column("packed", sa.LargeBinary, nullable=False),
    )
    if op.get_bind().dialect.name != "sqlite":
        # A PostgreSQL database is made by 'riskscreen server init', which runs every
        # revision on an empty database: there is nothing to rewrite, and revision 0013
        # makes its triggers.
        return
    bind = op.get_bind()
    last = -1
    while True:
        rows = bind.exec_driver_sql(
            "SELECT screening_id, model_sha256, answer_set FROM assessments "
            "WHERE screening_id > ? ORDER BY screening_id LIMIT ?", (last, _CHUNK)).all()
        if not rows:
            break
        bind.exec_driver_sql(
            "INSERT INTO answer_packs (screening_id, model_sha256, packed) VALUES (?, ?, ?)",
            [(sid, sha, _pack(data)) for sid, sha, data in rows])
        last = rows[-1][0]
    for trigger in TRIGGERS:
        op.execute(trigger)

"""Answer packs without repeated question ids: the ids live once per set in a table.

Revision ID: 0004
Revises: 0003

Revision 0003 packed each finalised answer set as ``zlib`` of its JSON. This one adds
``answer_keysets`` (the question ids of each distinct set of answered questions) and
re-encodes every pack as ``zlib`` of ``[form, form_version, screening_date, keyset,
[values], evidence]`` (:mod:`riskscreen.store.packs`): about a third of the size of the
answer set, and half the work to decode. A pack whose answer set is not well formed is
left as it was (the reader accepts both; ``verify`` reports it). The trigger that forbids
updating packs is dropped for the re-encoding and recreated unchanged at once.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_CHUNK = 5000

TRIGGERS = [
    """CREATE TRIGGER answer_keysets_immutable_u BEFORE UPDATE ON answer_keysets
       BEGIN SELECT RAISE(ABORT, 'assessment snapshots are immutable'); END""",
    """CREATE TRIGGER answer_keysets_immutable_d BEFORE DELETE ON answer_keysets
       BEGIN SELECT RAISE(ABORT, 'assessment snapshots are immutable'); END""",
]
_PACKS_U = """CREATE TRIGGER answer_packs_immutable_u BEFORE UPDATE ON answer_packs
       BEGIN SELECT RAISE(ABORT, 'assessment snapshots are immutable'); END"""


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _pack(raw: dict[str, Any], keyset: int) -> bytes:
    # The same as riskscreen.store.packs.encode_pack (a migration keeps its own copy).
    return zlib.compress(_compact([
        raw["form"], raw["form_version"], raw["screening_date"], keyset,
        list(raw["answers"].values()), raw.get("evidence") or {}]).encode("utf-8"), 6)


def upgrade() -> None:
    op.create_table(
        "answer_keysets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("keys", sa.Text, nullable=False, unique=True),
    )
    op.execute("DROP TRIGGER answer_packs_immutable_u")
    bind = op.get_bind()
    keysets: dict[str, int] = {}
    last = -1
    while True:
        rows = bind.exec_driver_sql(
            "SELECT screening_id, packed FROM answer_packs "
            "WHERE screening_id > ? ORDER BY screening_id LIMIT ?", (last, _CHUNK)).all()
        if not rows:
            break
        updates = []
        for sid, packed in rows:
            try:
                raw = json.loads(zlib.decompress(packed))
                keys = _compact(list(raw["answers"]))
                if keys not in keysets:
                    bind.exec_driver_sql("INSERT INTO answer_keysets (keys) VALUES (?)",
                                         (keys,))
                    keysets[keys] = bind.exec_driver_sql(
                        "SELECT id FROM answer_keysets WHERE keys = ?", (keys,)).scalar_one()
                updates.append((_pack(raw, keysets[keys]), sid))
            except (ValueError, KeyError, TypeError, AttributeError, zlib.error):
                continue  # not a well-formed answer set: left as it is
        if updates:
            bind.exec_driver_sql("UPDATE answer_packs SET packed = ? WHERE screening_id = ?",
                                 updates)
        last = rows[-1][0]
    op.execute(_PACKS_U)
    for trigger in TRIGGERS:
        op.execute(trigger)

"""Answer packs without repeated question ids: the ids live once per set in a table.

Revision ID: 0004
Revises: 0003

Revision 0003 packed each finalised answer set as ``zlib`` of its JSON. This one adds
``answer_keysets`` (ordered lists of question ids; here one, of every question answered in
any pack) and re-encodes every pack as ``zlib`` of ``[form, form_version, screening_date,
keyset, [positions], [values], evidence]`` (:mod:`riskscreen.store.packs`): about a third
of the size of the answer set, and half the work to decode. A pack whose answer set is not
well formed is left as it was (the reader accepts both; ``verify`` reports it). The trigger
that forbids updating packs is dropped for the re-encoding and recreated unchanged at once.
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


def _pack(raw: dict[str, Any], keyset: int, keys: tuple[str, ...]) -> bytes:
    # The same as riskscreen.store.packs.encode_pack (a migration keeps its own copy).
    index = {k: i for i, k in enumerate(keys)}
    answers = raw["answers"]
    positions = sorted(index[q] for q in answers)
    return zlib.compress(_compact([
        raw["form"], raw["form_version"], raw["screening_date"], keyset, positions,
        [answers[keys[i]] for i in positions], raw.get("evidence") or {}]).encode("utf-8"), 6)


def _questions(rows: Any) -> tuple[str, ...]:
    """Every question id answered in the packs (one key set for all of them)."""
    found: set[str] = set()
    for _, packed in rows:
        try:
            found.update(json.loads(zlib.decompress(packed))["answers"])
        except (ValueError, KeyError, TypeError, zlib.error):
            continue
    return tuple(sorted(found))


def upgrade() -> None:
    op.create_table(
        "answer_keysets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("keys", sa.Text, nullable=False, unique=True),
    )
    if op.get_bind().dialect.name != "sqlite":
        # A PostgreSQL database is made by 'riskscreen server init', which runs every
        # revision on an empty database: there is nothing to rewrite, and revision 0013
        # makes its triggers.
        return
    op.execute("DROP TRIGGER answer_packs_immutable_u")
    bind = op.get_bind()
    # One key set with every question answered anywhere (a first pass over the packs).
    keys = _questions(bind.exec_driver_sql(
        "SELECT screening_id, packed FROM answer_packs"))
    if not keys:
        op.execute(_PACKS_U)
        for trigger in TRIGGERS:
            op.execute(trigger)
        return
    bind.exec_driver_sql("INSERT INTO answer_keysets (id, keys) VALUES (1, ?)",
                         (_compact(list(keys)),))
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
                updates.append((_pack(json.loads(zlib.decompress(packed)), 1, keys), sid))
            except (ValueError, KeyError, TypeError, AttributeError, zlib.error):
                continue  # not a well-formed answer set: left as it is
        if updates:
            bind.exec_driver_sql("UPDATE answer_packs SET packed = ? WHERE screening_id = ?",
                                 updates)
        last = rows[-1][0]
    op.execute(_PACKS_U)
    for trigger in TRIGGERS:
        op.execute(trigger)

"""Finalised answers as columns instead of one pack per screening.

Revision ID: 0010
Revises: 0009

Bulk reads (impact analysis, the live impact, reports, ``verify``) decoded one answer pack
per screening, about 30 microseconds each before any scoring. This revision adds
``answer_columns`` (:mod:`riskscreen.store.columns`): chunks of up to 4,096 finalised
screenings of one form version, one array of answer codes per question, about 50 bytes a
screening. They are made from each finalised record's answer set (the exact copy), and the
packs and their key sets, a third copy of the answers, are dropped with their triggers.
An answer set for a form version this RiskScreen does not have is stored under the form it
has (the readers then list it as not scorable, as impact analysis always has). The dropped
tables' pages stay free inside the file until the next sign-in that finds nobody else
connected compacts it (``meta`` key ``compact_pending``).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_CHUNK = 4096
#: The ``meta`` key that asks for the file to be compacted (the same text as the store's).
COMPACT_PENDING = "compact_pending"


def upgrade() -> None:
    from riskscreen.forms.answers import AnswerSet
    from riskscreen.forms.loader import load_form
    from riskscreen.store.columns import add_screenings
    from riskscreen.store.records import decompress_record, split_record

    bind = op.get_bind()
    op.create_table(
        "answer_columns",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("form_id", sa.String(100), nullable=False),
        sa.Column("form_version", sa.String(30), nullable=False),
        sa.Column("first_id", sa.Integer, nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    dictionaries = {int(i): bytes(d) for i, d in bind.execute(
        sa.text("SELECT id, data FROM record_dictionaries"))}
    forms: dict[str, Any] = {}
    pending: dict[str, list[tuple[int, Any, str | None]]] = {}

    def flush(form_id: str) -> None:
        form = forms[form_id]
        add_screenings(bind, form, pending.pop(form_id, []))

    last = -1
    while True:
        rows = bind.execute(sa.text(
            "SELECT screening_id, dictionary_id, record FROM assessments "
            "WHERE screening_id > :last ORDER BY screening_id LIMIT :n"),
            {"last": last, "n": _CHUNK}).all()
        if not rows:
            break
        for sid, did, record in rows:
            snapshot, answers = split_record(decompress_record(bytes(record),
                                                               dictionaries[int(did)]))
            try:
                raw = json.loads(answers)
                form_id = str(raw["form"])
                version = str(raw["form_version"])
                day = date.fromisoformat(raw["screening_date"])
                override = json.loads(snapshot).get("override")
            except (ValueError, TypeError, KeyError, AttributeError):
                continue  # not a well-formed answer set: verify reports it, nothing scores it
            if form_id not in forms:
                try:
                    forms[form_id] = load_form(form_id)
                except (LookupError, OSError, ValueError):
                    forms[form_id] = None
            if forms[form_id] is None:
                continue  # a form this RiskScreen does not ship: nothing could score it
            answer_set = AnswerSet.model_construct(
                form=form_id, form_version=version, screening_date=day,
                answers=raw.get("answers") or {}, evidence={})
            group = pending.setdefault(form_id, [])
            group.append((int(sid), answer_set,
                          override.get("direction") if isinstance(override, dict) else None))
            if len(group) >= _CHUNK:
                flush(form_id)
        last = rows[-1][0]
    for form_id in list(pending):
        flush(form_id)
    op.drop_table("answer_packs")  # their triggers go with them
    op.drop_table("answer_keysets")
    if last != -1:
        # Their pages are now free inside the file: the next sign-in with nobody else
        # connected gives them back (riskscreen.store.backup.compact_database).
        bind.execute(sa.text("INSERT INTO meta (key, value) VALUES (:k, '1')"),
                     {"k": COMPACT_PENDING})




_SNAPSHOTS = "BEGIN SELECT RAISE(ABORT, 'assessment snapshots are immutable'); END"
#: The tables and triggers as revisions 0004 and 0005 left them, text for text.
_KEYSET_TRIGGERS = [
    """CREATE TRIGGER answer_keysets_immutable_u BEFORE UPDATE ON answer_keysets
       BEGIN SELECT RAISE(ABORT, 'assessment snapshots are immutable'); END""",
    """CREATE TRIGGER answer_keysets_immutable_d BEFORE DELETE ON answer_keysets
       BEGIN SELECT RAISE(ABORT, 'assessment snapshots are immutable'); END""",
]
_PACK_TRIGGERS = [
    f"CREATE TRIGGER answer_packs_immutable_u BEFORE UPDATE ON answer_packs {_SNAPSHOTS}",
    f"CREATE TRIGGER answer_packs_immutable_d BEFORE DELETE ON answer_packs {_SNAPSHOTS}",
]


def downgrade() -> None:
    """Packs again, each the answer set itself compressed (a format revision 0005 reads)."""
    import zlib

    from riskscreen.store.records import decompress_record, split_record

    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    op.create_table(
        "answer_keysets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("keys", sa.Text, nullable=False, unique=True),
    )
    if sqlite:
        op.execute("CREATE TABLE answer_packs_v5 (screening_id INTEGER NOT NULL REFERENCES "
                   "screenings (id), packed BLOB NOT NULL, PRIMARY KEY (screening_id))")
        op.execute("ALTER TABLE answer_packs_v5 RENAME TO answer_packs")
    else:
        op.create_table(
            "answer_packs",
            sa.Column("screening_id", sa.Integer, sa.ForeignKey("screenings.id"),
                      primary_key=True),
            sa.Column("packed", sa.LargeBinary, nullable=False))
    dictionaries = {int(i): bytes(d) for i, d in bind.execute(
        sa.text("SELECT id, data FROM record_dictionaries"))}
    last = -1
    while True:
        rows = bind.execute(sa.text(
            "SELECT screening_id, dictionary_id, record FROM assessments "
            "WHERE screening_id > :last ORDER BY screening_id LIMIT :n"),
            {"last": last, "n": _CHUNK}).all()
        if not rows:
            break
        packs = [{"s": int(sid), "p": zlib.compress(split_record(decompress_record(
            bytes(record), dictionaries[int(did)]))[1].encode("utf-8"), 6)}
            for sid, did, record in rows]
        bind.execute(sa.text("INSERT INTO answer_packs (screening_id, packed) VALUES (:s, :p)"),
                     packs)
        last = rows[-1][0]
    op.drop_table("answer_columns")
    bind.execute(sa.text("DELETE FROM meta WHERE key = :k"), {"k": COMPACT_PENDING})
    if sqlite:
        for trigger in (*_KEYSET_TRIGGERS, *_PACK_TRIGGERS):
            op.execute(trigger)

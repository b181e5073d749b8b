"""Finalised records kept compactly, and a finalised screening's answers kept once.

Revision ID: 0005
Revises: 0004

Each assessment's snapshot and answer set (about 13 KB of JSON) become one ``record``: the
exact text the finalise audit entry digests, compressed with a dictionary per scoring model
(``record_dictionaries``, made from synthetic screenings; :mod:`riskscreen.store.records`),
about 500 bytes. The ``answers`` rows of finalised screenings, a third copy of their answers,
are removed (the record holds them exactly, the pack for bulk reads), and ``answers``, which
now holds drafts only, is rebuilt WITHOUT ROWID so its key is the table, not a second index.
Records and packs no longer repeat the model hash the screening already names.
Both rebuilt tables get their triggers back unchanged; the record of every row is checked to
decompress to the texts it replaces before the old table is dropped.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from riskscreen.store.records import (
    compress_record,
    decompress_record,
    record_text,
    synthetic_dictionary,
)

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_CHUNK = 2000
_SNAPSHOTS = "BEGIN SELECT RAISE(ABORT, 'assessment snapshots are immutable'); END"
_FINAL = "BEGIN SELECT RAISE(ABORT, 'a finalised screening cannot be edited'); END"

TRIGGERS = [
    f"CREATE TRIGGER answer_packs_immutable_u BEFORE UPDATE ON answer_packs {_SNAPSHOTS}",
    f"CREATE TRIGGER answer_packs_immutable_d BEFORE DELETE ON answer_packs {_SNAPSHOTS}",
    f"CREATE TRIGGER assessments_immutable_u BEFORE UPDATE ON assessments {_SNAPSHOTS}",
    f"CREATE TRIGGER assessments_immutable_d BEFORE DELETE ON assessments {_SNAPSHOTS}",
    f"CREATE TRIGGER record_dictionaries_immutable_u BEFORE UPDATE ON record_dictionaries "
    f"{_SNAPSHOTS}",
    f"CREATE TRIGGER record_dictionaries_immutable_d BEFORE DELETE ON record_dictionaries "
    f"{_SNAPSHOTS}",
    *(f"CREATE TRIGGER answers_final_{e[0].lower()} BEFORE {e} ON answers WHEN (SELECT "  # noqa: S608 - fixed text
      f"status FROM screenings WHERE id = {row}.screening_id) = 'final' {_FINAL}"
      for e, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD"))),
]


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        "record_dictionaries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("model_sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    if bind.dialect.name != "sqlite":
        _upgrade_empty()
        return
    op.create_table(
        "assessments_v5",
        sa.Column("screening_id", sa.Integer, sa.ForeignKey("screenings.id"),
                  primary_key=True),
        sa.Column("previous_id", sa.Integer, sa.ForeignKey("screenings.id")),
        sa.Column("final_level", sa.String(50), nullable=False),
        sa.Column("finalised_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("finalised_at", sa.String(27), nullable=False),
        sa.Column("dictionary_id", sa.Integer, sa.ForeignKey("record_dictionaries.id"),
                  nullable=False),
        sa.Column("record", sa.LargeBinary, nullable=False),
    )
    dictionaries: dict[str, tuple[int, bytes]] = {}
    for (sha,) in bind.exec_driver_sql(
            "SELECT DISTINCT model_sha256 FROM assessments ORDER BY model_sha256").all():
        found = bind.exec_driver_sql("SELECT canonical_json FROM scoring_models "
                                     "WHERE sha256 = ?", (sha,)).first()
        data = synthetic_dictionary(found[0] if found is not None else str(sha))
        bind.exec_driver_sql("INSERT INTO record_dictionaries (model_sha256, data) "
                             "VALUES (?, ?)", (sha, data))
        new = bind.exec_driver_sql("SELECT max(id) FROM record_dictionaries").scalar_one()
        dictionaries[sha] = (int(new), data)
    last = -1
    while True:
        rows = bind.exec_driver_sql(
            "SELECT screening_id, model_sha256, answer_set, previous_id, snapshot, "
            "final_level, finalised_by, finalised_at FROM assessments "
            "WHERE screening_id > ? ORDER BY screening_id LIMIT ?", (last, _CHUNK)).all()
        if not rows:
            break
        out = []
        for sid, sha, answer_set, previous, snapshot, level, by, at in rows:
            did, data = dictionaries[sha]
            text = record_text(snapshot, answer_set)
            record = compress_record(text, data)
            if decompress_record(record, data) != text:  # pragma: no cover - zlib's promise
                raise RuntimeError(f"screening {sid}: its record did not round-trip")
            out.append((sid, previous, level, by, at, did, record))
        bind.exec_driver_sql(
            "INSERT INTO assessments_v5 (screening_id, previous_id, final_level, "
            "finalised_by, finalised_at, dictionary_id, record) VALUES (?, ?, ?, ?, ?, ?, ?)",
            out)
        last = rows[-1][0]
    op.execute("DROP TABLE assessments")  # its triggers go with it
    op.execute("ALTER TABLE assessments_v5 RENAME TO assessments")

    op.execute("CREATE TABLE answers_v5 (screening_id INTEGER NOT NULL REFERENCES "
               "screenings (id), question_id VARCHAR(100) NOT NULL, value TEXT NOT NULL, "
               "evidence TEXT, saved_at VARCHAR(27) NOT NULL, "
               "PRIMARY KEY (screening_id, question_id)) WITHOUT ROWID")
    op.execute("INSERT INTO answers_v5 SELECT a.screening_id, a.question_id, a.value, "
               "a.evidence, a.saved_at FROM answers a JOIN screenings s ON s.id = "
               "a.screening_id WHERE s.status != 'final'")
    op.execute("DROP TABLE answers")
    op.execute("ALTER TABLE answers_v5 RENAME TO answers")

    # The packs without their copy of the model hash (the screening names it).
    op.execute("CREATE TABLE answer_packs_v5 (screening_id INTEGER NOT NULL REFERENCES "
               "screenings (id), packed BLOB NOT NULL, PRIMARY KEY (screening_id))")
    op.execute("INSERT INTO answer_packs_v5 SELECT screening_id, packed FROM answer_packs")
    op.execute("DROP TABLE answer_packs")
    op.execute("ALTER TABLE answer_packs_v5 RENAME TO answer_packs")
    for trigger in TRIGGERS:
        op.execute(trigger)


def _upgrade_empty() -> None:
    """The same end schema on an empty PostgreSQL database (made by 'riskscreen server
    init', which runs every revision on it): the columns change in place, no rows move,
    and revision 0013 makes its triggers."""
    for column in ("model_sha256", "answer_set", "snapshot"):
        op.drop_column("assessments", column)
    op.add_column("assessments", sa.Column(
        "dictionary_id", sa.Integer, sa.ForeignKey("record_dictionaries.id"), nullable=False))
    op.add_column("assessments", sa.Column("record", sa.LargeBinary, nullable=False))
    op.drop_column("answer_packs", "model_sha256")

"""After the screening: review dates, re-screens carrying answers over, missing episodes.

Revision ID: 0009
Revises: 0008

New tables only, and one new nullable column, so nothing already stored changes:

- ``screening_reviews``: when each finalised screening falls due for review. Filled in here
  for every screening finalised before, from its snapshot's review date and level and its
  scoring model's review intervals; a snapshot or model that cannot be read is left out (no
  review date is shown for it, and ``riskscreen verify`` reports the record).
- ``carried_answers``: answers a re-screen took over from the previous screening, each to be
  confirmed before the re-screen is finalised.
- ``missing_episodes``: each time a child was missing, and the Return Home Interview.
- ``screenings.rescreen_of``: the earlier screening a re-screen started from.

Plain portable SQL: it runs on SQLite (SQLCipher) and PostgreSQL alike.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

from riskscreen.scoring.model import Interval
from riskscreen.scoring.review import review_due_from_snapshot
from riskscreen.store.integrity import stored_record

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_CHUNK = 2000


def upgrade() -> None:
    op.create_table(
        "screening_reviews",
        sa.Column("screening_id", sa.Integer, sa.ForeignKey("screenings.id"),
                  primary_key=True),
        sa.Column("review_date", sa.String(10), nullable=False),
        sa.Column("previous_id", sa.Integer),
        sa.Column("previous_level", sa.String(50)),
        sa.Column("step_down_reason", sa.Text),
    )
    op.create_index("ix_screening_reviews_date", "screening_reviews", ["review_date"])
    op.create_table(
        "carried_answers",
        sa.Column("screening_id", sa.Integer, sa.ForeignKey("screenings.id"),
                  primary_key=True),
        sa.Column("question_id", sa.String(100), primary_key=True),
        sa.Column("previous", sa.Text, nullable=False),
        sa.Column("confirmed", sa.Boolean, nullable=False),
    )
    op.create_table(
        "missing_episodes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("child_id", sa.Integer, sa.ForeignKey("children.id"), nullable=False),
        sa.Column("missing_from", sa.String(16), nullable=False),
        sa.Column("returned_at", sa.String(16)),
        sa.Column("where_found", sa.Text, nullable=False),
        sa.Column("reported_by", sa.Text, nullable=False),
        sa.Column("rhi_status", sa.String(20)),
        sa.Column("rhi_at", sa.String(16)),
        sa.Column("rhi_note", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.String(27), nullable=False),
        sa.Column("updated_at", sa.String(27), nullable=False),
    )
    op.create_index("ix_missing_episodes_child", "missing_episodes",
                    ["child_id", "missing_from"])
    op.add_column("screenings", sa.Column("rescreen_of", sa.Integer))
    _fill_review_dates()


def _intervals(canonical: str) -> dict[str, Interval] | None:
    try:
        raw = json.loads(canonical)["review"]["intervals"]
        return {str(k): Interval.model_validate(v) for k, v in raw.items()}
    except (ValueError, KeyError, TypeError):
        return None


def _fill_review_dates() -> None:
    bind = op.get_bind()
    intervals = {sha: _intervals(text) for sha, text in bind.execute(
        sa.text("SELECT sha256, canonical_json FROM scoring_models"))}
    dictionaries = {int(i): bytes(d) for i, d in bind.execute(
        sa.text("SELECT id, data FROM record_dictionaries"))}
    reviews = sa.table("screening_reviews", sa.column("screening_id"),
                       sa.column("review_date"))
    last = -1
    while True:
        rows = bind.execute(sa.text(
            "SELECT a.screening_id, s.model_sha256, a.dictionary_id, a.record "
            "FROM assessments a JOIN screenings s ON s.id = a.screening_id "
            "WHERE a.screening_id > :last ORDER BY a.screening_id LIMIT :n"),
            {"last": last, "n": _CHUNK}).all()
        if not rows:
            break
        out: list[dict[str, Any]] = []
        for sid, sha, dictionary_id, record in rows:
            model_intervals = intervals.get(sha)
            if model_intervals is None:
                continue
            try:
                snapshot = json.loads(stored_record(dictionaries, dictionary_id, record)[0])
                due = review_due_from_snapshot(snapshot, model_intervals)
            except (ValueError, KeyError, TypeError, AttributeError):
                continue
            out.append({"screening_id": sid, "review_date": due.isoformat()})
        if out:
            bind.execute(reviews.insert(), out)
        last = rows[-1][0]


def downgrade() -> None:
    """Back to revision 0008: the new tables and column go (with what they held)."""
    op.drop_index("ix_missing_episodes_child", "missing_episodes")
    op.drop_table("missing_episodes")
    op.drop_table("carried_answers")
    op.drop_index("ix_screening_reviews_date", "screening_reviews")
    op.drop_table("screening_reviews")
    if op.get_bind().dialect.name == "sqlite":
        # A plain ALTER: the batch mode Alembic would use rebuilds the table, and with it
        # would drop the triggers that keep finalised screenings unchanged.
        op.execute("ALTER TABLE screenings DROP COLUMN rescreen_of")
    else:
        op.drop_column("screenings", "rescreen_of")

"""Referrals as records: what finalising sent where, each step after it, and its outcomes.

Revision ID: 0006
Revises: 0005

Two new tables, nothing else changes: ``referrals`` (one per finalised screening, made when
it is finalised: the route, its deadlines and the latest status) and ``referral_steps`` (sent,
received, accepted or declined, outcomes, "exploitation confirmed?" answers, closed). Screenings
finalised before this revision get no referral here: nobody knows today what happened to them,
so the referral page lets their practitioner record one from the route when they wish.
Plain tables and indexes only, so the revision runs on PostgreSQL as on SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("screening_id", sa.Integer, sa.ForeignKey("screenings.id"), nullable=False,
                  unique=True),
        sa.Column("child_id", sa.Integer, sa.ForeignKey("children.id"), nullable=False),
        sa.Column("practitioner_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("level", sa.String(50), nullable=False),
        sa.Column("pathway", sa.String(200), nullable=False),
        sa.Column("destination_id", sa.String(100), nullable=False),
        sa.Column("destination_name", sa.String(200), nullable=False),
        sa.Column("deadline", sa.Text, nullable=False),
        sa.Column("send_within_days", sa.Integer),
        sa.Column("decision_within_days", sa.Integer),
        sa.Column("send_due", sa.String(10)),
        sa.Column("decision_due", sa.String(10)),
        sa.Column("created_at", sa.String(27), nullable=False),
        sa.Column("updated_at", sa.String(27), nullable=False),
        sa.Column("sent_at", sa.String(27)),
        sa.Column("decided_at", sa.String(27)),
        sa.Column("closed_at", sa.String(27)),
    )
    op.create_index("ix_referrals_status", "referrals", ["status", "id"])
    op.create_index("ix_referrals_child", "referrals", ["child_id", "id"])
    op.create_index("ix_referrals_practitioner", "referrals", ["practitioner_id", "id"])
    op.create_table(
        "referral_steps",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("referral_id", sa.Integer, sa.ForeignKey("referrals.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("at", sa.String(27), nullable=False),
        sa.Column("recorded_at", sa.String(27), nullable=False),
        sa.Column("recorded_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("method", sa.String(30)),
        sa.Column("reason", sa.Text),
        sa.Column("outcome_id", sa.String(60)),
        sa.Column("detail", sa.Text),
        sa.Column("answer", sa.String(20)),
        sa.Column("source_id", sa.String(60)),
    )
    op.create_index("ix_referral_steps_referral", "referral_steps", ["referral_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_referral_steps_referral", "referral_steps")
    op.drop_table("referral_steps")
    for name in ("ix_referrals_practitioner", "ix_referrals_child", "ix_referrals_status"):
        op.drop_index(name, "referrals")
    op.drop_table("referrals")

"""Closing a received referral: when the team closed it and why.

Revision ID: 0015
Revises: 0014

A received referral's ``status`` keeps the team's decision (accepted or declined); closing
it, once an outcome is recorded, adds ``closed_at`` and ``close_reason`` beside it, so the
decision is never overwritten by the closing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("received_packages", sa.Column("closed_at", sa.String(27), nullable=True))
    op.add_column("received_packages", sa.Column("close_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35 and later) keeps the table's immutability triggers,
    # which a rebuilt table would lose.
    op.drop_column("received_packages", "close_reason")
    op.drop_column("received_packages", "closed_at")

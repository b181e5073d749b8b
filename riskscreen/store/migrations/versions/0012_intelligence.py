"""Intelligence items linked to children, their matching keys, and submissions.

Revision ID: 0012
Revises: 0011

New tables only, so nothing already stored changes:

- ``intel_items``: persons of concern, places, vehicles and online accounts, each graded
  (3x5x2, or 5x5x5 for older records) with its retention review date;
- ``intel_keys``: each item's normalised phone numbers, registrations, handles, addresses and
  names, which link items across children;
- ``intel_links``: which children an item concerns, with the source and the date seen;
- ``intel_submissions`` and ``intel_submission_items``: what was sent to the police analyst.

Roles are stored as text without a constraint, so the new ``analyst`` role needs no change.
Plain portable SQL: it runs on SQLite (SQLCipher) and PostgreSQL alike.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intel_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("grading_scheme", sa.String(5), nullable=False),
        sa.Column("source_evaluation", sa.String(1), nullable=False),
        sa.Column("intelligence_assessment", sa.String(1), nullable=False),
        sa.Column("handling_code", sa.String(1), nullable=False),
        sa.Column("handling_conditions", sa.Text, nullable=False),
        sa.Column("restricted", sa.Boolean, nullable=False),
        sa.Column("entered_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.String(27), nullable=False),
        sa.Column("updated_at", sa.String(27), nullable=False),
        sa.Column("review_due", sa.String(10), nullable=False),
        sa.Column("reviewed_at", sa.String(27)),
    )
    op.create_index("ix_intel_items_kind", "intel_items", ["kind", "id"])
    op.create_index("ix_intel_items_entered_by", "intel_items", ["entered_by", "id"])
    op.create_index("ix_intel_items_review_due", "intel_items", ["review_due"])
    op.create_table(
        "intel_keys",
        sa.Column("item_id", sa.Integer, sa.ForeignKey("intel_items.id"), primary_key=True),
        sa.Column("key_kind", sa.String(20), primary_key=True),
        sa.Column("value", sa.String(200), primary_key=True),
    )
    op.create_index("ix_intel_keys_value", "intel_keys", ["key_kind", "value"])
    op.create_table(
        "intel_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("intel_items.id"), nullable=False),
        sa.Column("child_id", sa.Integer, sa.ForeignKey("children.id"), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("seen_on", sa.String(10), nullable=False),
        sa.Column("linked_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("linked_at", sa.String(27), nullable=False),
        sa.UniqueConstraint("item_id", "child_id", "seen_on", name="uq_intel_link"),
    )
    op.create_index("ix_intel_links_child", "intel_links", ["child_id", "item_id"])
    op.create_index("ix_intel_links_seen", "intel_links", ["seen_on"])
    op.create_table(
        "intel_submissions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reference", sa.String(60), nullable=False, unique=True),
        sa.Column("form", sa.String(10), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("package_id", sa.String(36)),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("made_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("sent_at", sa.String(27), nullable=False),
    )
    op.create_table(
        "intel_submission_items",
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("intel_submissions.id"),
                  primary_key=True),
        sa.Column("item_id", sa.Integer, primary_key=True),
        sa.Column("grade", sa.String(12), nullable=False),
    )


def downgrade() -> None:
    """Back to revision 0011: the intelligence tables go (with what they held)."""
    op.drop_table("intel_submission_items")
    op.drop_table("intel_submissions")
    op.drop_index("ix_intel_links_seen", "intel_links")
    op.drop_index("ix_intel_links_child", "intel_links")
    op.drop_table("intel_links")
    op.drop_index("ix_intel_keys_value", "intel_keys")
    op.drop_table("intel_keys")
    op.drop_index("ix_intel_items_review_due", "intel_items")
    op.drop_index("ix_intel_items_entered_by", "intel_items")
    op.drop_index("ix_intel_items_kind", "intel_items")
    op.drop_table("intel_items")

"""Agreement exercises: vignettes, who is asked to screen them, and practice screenings.

Revision ID: 0011
Revises: 0010

New tables only, so nothing already stored changes. Practice screenings are kept in a table
of their own, apart from ``screenings``: they have no child, no referral and no answer
columns, so nothing that reads real screenings can meet one.

Plain portable SQL: it runs on SQLite (SQLCipher) and PostgreSQL alike.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agreement_exercises",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("form_id", sa.String(100), nullable=False),
        sa.Column("form_version", sa.String(30), nullable=False),
        sa.Column("model_sha256", sa.String(64), sa.ForeignKey("scoring_models.sha256"),
                  nullable=False),
        sa.Column("screening_date", sa.String(10), nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.String(27), nullable=False),
    )
    op.create_table(
        "vignettes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("exercise_id", sa.Integer, sa.ForeignKey("agreement_exercises.id"),
                  nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("date_of_birth", sa.String(10)),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.String(27), nullable=False),
    )
    op.create_index("ix_vignettes_exercise", "vignettes", ["exercise_id", "position"])
    op.create_table(
        "exercise_assignments",
        sa.Column("exercise_id", sa.Integer, sa.ForeignKey("agreement_exercises.id"),
                  primary_key=True),
        sa.Column("practitioner_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("assigned_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("assigned_at", sa.String(27), nullable=False),
    )
    op.create_table(
        "practice_screenings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("vignette_id", sa.Integer, sa.ForeignKey("vignettes.id"), nullable=False),
        sa.Column("practitioner_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("answers", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("level", sa.String(50)),
        sa.Column("points", sa.Integer),
        sa.Column("created_at", sa.String(27), nullable=False),
        sa.Column("updated_at", sa.String(27), nullable=False),
        sa.Column("submitted_at", sa.String(27)),
        sa.UniqueConstraint("vignette_id", "practitioner_id",
                            name="uq_practice_vignette_practitioner"),
    )


def downgrade() -> None:
    op.drop_table("practice_screenings")
    op.drop_table("exercise_assignments")
    op.drop_index("ix_vignettes_exercise", table_name="vignettes")
    op.drop_table("vignettes")
    op.drop_table("agreement_exercises")

"""The first schema: accounts, children, screenings, answers, models, snapshots, audit.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TS = sa.String(27)

#: Published models, snapshots and audit entries never change; nor do a final screening's
#: answers. The triggers hold whatever code path tries.
_TRIGGERS = [
    """CREATE TRIGGER scoring_models_immutable_u BEFORE UPDATE ON scoring_models
       BEGIN SELECT RAISE(ABORT, 'published scoring models are immutable'); END""",
    """CREATE TRIGGER scoring_models_immutable_d BEFORE DELETE ON scoring_models
       BEGIN SELECT RAISE(ABORT, 'published scoring models are immutable'); END""",
    """CREATE TRIGGER assessments_immutable_u BEFORE UPDATE ON assessments
       BEGIN SELECT RAISE(ABORT, 'assessment snapshots are immutable'); END""",
    """CREATE TRIGGER assessments_immutable_d BEFORE DELETE ON assessments
       BEGIN SELECT RAISE(ABORT, 'assessment snapshots are immutable'); END""",
    """CREATE TRIGGER audit_log_immutable_u BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER audit_log_immutable_d BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER answers_final_i BEFORE INSERT ON answers
       WHEN (SELECT status FROM screenings WHERE id = NEW.screening_id) = 'final'
       BEGIN SELECT RAISE(ABORT, 'a finalised screening cannot be edited'); END""",
    """CREATE TRIGGER answers_final_u BEFORE UPDATE ON answers
       WHEN (SELECT status FROM screenings WHERE id = OLD.screening_id) = 'final'
       BEGIN SELECT RAISE(ABORT, 'a finalised screening cannot be edited'); END""",
    """CREATE TRIGGER answers_final_d BEFORE DELETE ON answers
       WHEN (SELECT status FROM screenings WHERE id = OLD.screening_id) = 'final'
       BEGIN SELECT RAISE(ABORT, 'a finalised screening cannot be edited'); END""",
    """CREATE TRIGGER screenings_final_u BEFORE UPDATE ON screenings
       WHEN OLD.status = 'final'
       BEGIN SELECT RAISE(ABORT, 'a finalised screening cannot be edited'); END""",
]


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_table(
        "children",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("date_of_birth", sa.String(10)),
        sa.Column("identifiers", sa.Text, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_index("ix_children_name", "children", ["name"])
    op.create_table(
        "scoring_models",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("model_id", sa.String(100), nullable=False),
        sa.Column("version", sa.String(30), nullable=False),
        sa.Column("canonical_json", sa.Text, nullable=False),
        sa.Column("published_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("published_at", _TS, nullable=False),
        sa.Column("change_note", sa.Text, nullable=False),
        sa.UniqueConstraint("model_id", "version", name="uq_model_version"),
    )
    op.create_table(
        "screenings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("child_id", sa.Integer, sa.ForeignKey("children.id"), nullable=False),
        sa.Column("practitioner_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("form_id", sa.String(100), nullable=False),
        sa.Column("form_version", sa.String(30), nullable=False),
        sa.Column("model_id", sa.String(100), nullable=False),
        sa.Column("model_version", sa.String(30), nullable=False),
        sa.Column("model_sha256", sa.String(64), sa.ForeignKey("scoring_models.sha256"),
                  nullable=False),
        sa.Column("screening_date", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("amendment_of", sa.Integer, sa.ForeignKey("screenings.id")),
        sa.Column("amendment_reason", sa.Text),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_index("ix_screenings_updated", "screenings", ["updated_at", "id"])
    op.create_index("ix_screenings_status_updated", "screenings",
                    ["status", "updated_at", "id"])
    op.create_index("ix_screenings_child", "screenings", ["child_id", "screening_date"])
    op.create_index("ix_screenings_practitioner", "screenings",
                    ["practitioner_id", "updated_at"])
    op.create_table(
        "answers",
        sa.Column("screening_id", sa.Integer, sa.ForeignKey("screenings.id"),
                  primary_key=True),
        sa.Column("question_id", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("evidence", sa.Text),
        sa.Column("saved_at", _TS, nullable=False),
    )
    op.create_table(
        "assessments",
        sa.Column("screening_id", sa.Integer, sa.ForeignKey("screenings.id"),
                  primary_key=True),
        sa.Column("model_sha256", sa.String(64), sa.ForeignKey("scoring_models.sha256"),
                  nullable=False),
        sa.Column("answer_set", sa.Text, nullable=False),
        sa.Column("previous_id", sa.Integer, sa.ForeignKey("screenings.id")),
        sa.Column("snapshot", sa.Text, nullable=False),
        sa.Column("final_level", sa.String(50), nullable=False),
        sa.Column("finalised_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("finalised_at", _TS, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("user", sa.String(100), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("object", sa.String(100), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    # PostgreSQL gets its own triggers in revision 0013 (these are SQLite's syntax).
    if op.get_bind().dialect.name == "sqlite":
        for trigger in _TRIGGERS:
            op.execute(trigger)

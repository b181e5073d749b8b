"""The final level on each screening, so the list can filter by level through an index.

Revision ID: 0002
Revises: 0001

Back-fills the level of every finalised screening from its snapshot. The trigger that forbids
updating a final screening is dropped for the back-fill and recreated unchanged at once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("screenings", sa.Column("final_level", sa.String(50)))
    if op.get_bind().dialect.name != "sqlite":
        # A PostgreSQL database starts empty at the head (revision 0013 adds its triggers).
        op.create_index("ix_screenings_level_updated", "screenings",
                        ["final_level", "updated_at", "id"])
        return
    op.execute("DROP TRIGGER screenings_final_u")
    op.execute(
        "UPDATE screenings SET final_level = "
        "(SELECT a.final_level FROM assessments a WHERE a.screening_id = screenings.id)")
    op.execute(
        """CREATE TRIGGER screenings_final_u BEFORE UPDATE ON screenings
           WHEN OLD.status = 'final'
           BEGIN SELECT RAISE(ABORT, 'a finalised screening cannot be edited'); END""")
    op.create_index("ix_screenings_level_updated", "screenings",
                    ["final_level", "updated_at", "id"])

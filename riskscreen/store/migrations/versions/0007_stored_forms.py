"""Form versions stored by hash, installed instruments, and each screening's form pinned.

Revision ID: 0007
Revises: 0006

``forms`` keeps each form version once, by the SHA-256 of its canonical JSON, as
``scoring_models`` keeps models; ``instruments`` lists the installed instruments (a form with
its models and routing) and which are offered for new screenings. Every screening gets
``form_sha256``: the form version it was made under. Existing screenings get the hash of the
shipped form version they name (a version no release shipped is left empty, for ``verify`` to
report), and the default shipped instrument's form is stored and installed (other shipped
instruments are installed with ``riskscreen instrument add``).

Plain SQL with named parameters runs on SQLite and PostgreSQL; the triggers, which differ,
are made per dialect.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from riskscreen.definitions import DEFAULT_INSTRUMENT
from riskscreen.store.forms import shipped_forms, store_form
from riskscreen.store.models import utc_now

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_FORMS = "stored forms are immutable"

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER forms_immutable_u BEFORE UPDATE ON forms "
    f"BEGIN SELECT RAISE(ABORT, '{_FORMS}'); END",
    f"CREATE TRIGGER forms_immutable_d BEFORE DELETE ON forms "
    f"BEGIN SELECT RAISE(ABORT, '{_FORMS}'); END",
]
POSTGRESQL_TRIGGERS = [
    "CREATE FUNCTION forms_immutable() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{_FORMS}'; END $$",
    "CREATE TRIGGER forms_immutable BEFORE UPDATE OR DELETE ON forms "
    "FOR EACH ROW EXECUTE FUNCTION forms_immutable()",
]


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    op.create_table(
        "forms",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("form_id", sa.String(100), nullable=False),
        sa.Column("version", sa.String(30), nullable=False),
        sa.Column("canonical_json", sa.Text, nullable=False),
        sa.Column("installed_by", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("installed_at", sa.String(27), nullable=False),
        sa.UniqueConstraint("form_id", "version", name="uq_form_version"),
    )
    op.create_table(
        "instruments",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("form_sha256", sa.String(64), sa.ForeignKey("forms.sha256"),
                  nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("approved_by", sa.String(200), nullable=False),
        sa.Column("routing_yaml", sa.Text, nullable=False),
        sa.Column("readme", sa.Text, nullable=False),
        sa.Column("in_force", sa.Boolean, nullable=False),
        sa.Column("installed_by", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("installed_at", sa.String(27), nullable=False),
    )
    # A column with an inline reference, which both dialects add in place (batch mode would
    # rebuild the table on SQLite and lose its trigger).
    op.execute("ALTER TABLE screenings ADD COLUMN form_sha256 VARCHAR(64) "
               "REFERENCES forms (sha256)")

    # The trigger is put back exactly as it was written (verify compares its text).
    final_trigger = bind.execute(sa.text(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = "
        "'screenings_final_u'")).scalar() if sqlite else None
    now = utc_now()
    # The default instrument is put in force; other shipped instruments are installed by an
    # administrator or manager (riskscreen instrument add), so the app asks nothing new.
    for form in [f for f in shipped_forms() if f.id == DEFAULT_INSTRUMENT]:
        sha = store_form(bind, form, None, hex_keys=True)
        bind.execute(sa.text(
            "INSERT INTO instruments (id, title, form_sha256, owner, approved_by, routing_yaml, "
            "readme, in_force, installed_by, installed_at) VALUES (:id, :title, :sha, '', '', "
            "'', '', :yes, NULL, :at)"),
            {"id": form.id, "title": form.title, "sha": sha, "yes": True, "at": now})
        # Pinning finalised screenings too: their trigger is lifted for this one statement.
        if final_trigger is not None:
            op.execute("DROP TRIGGER screenings_final_u")
        bind.execute(sa.text("UPDATE screenings SET form_sha256 = :sha WHERE form_id = :id "
                             "AND form_version = :version"),
                     {"sha": sha, "id": form.id, "version": form.version})
        if final_trigger is not None:
            op.execute(str(final_trigger))
    op.create_index("ix_screenings_form", "screenings", ["form_sha256"])
    for trigger in SQLITE_TRIGGERS if sqlite else POSTGRESQL_TRIGGERS:
        op.execute(trigger)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER forms_immutable_u")
        op.execute("DROP TRIGGER forms_immutable_d")
    else:
        op.execute("DROP TRIGGER forms_immutable ON forms")
        op.execute("DROP FUNCTION forms_immutable()")
    op.drop_index("ix_screenings_form", "screenings")
    op.execute("ALTER TABLE screenings DROP COLUMN form_sha256")
    op.drop_table("instruments")
    op.drop_table("forms")

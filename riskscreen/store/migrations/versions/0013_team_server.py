"""The team server: immutability triggers on PostgreSQL, draft versions, server passphrases.

Revision ID: 0013
Revises: 0012

On PostgreSQL the database itself refuses, as SQLite's triggers do on a laptop, any UPDATE or
DELETE of published scoring models, finalised snapshots, their compression dictionaries and
the audit log, any change to a finalised screening or its answers, and any change to a
received package's content (revision 0007 already made the stored forms' trigger). Each is a
PL/pgSQL function raising the same message as the SQLite trigger.

On both backends: ``screenings.version`` counts the saves of a draft, so that an edit made
from an out-of-date copy is refused instead of overwriting another person's, and
``server_passphrases`` holds, for a database on a server (which has no key file), each
account's passphrase verifier (Argon2id; never the passphrase). A laptop's database keeps
that table empty: there the key file's slots check passphrases.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_SNAPSHOTS = "assessment snapshots are immutable"
_FINAL = "a finalised screening cannot be edited"
_RECEIVED = "a received package is kept as it arrived"

#: (function, its body's condition or None for always, message)
_FUNCTIONS = {
    "riskscreen_models_immutable": (None, "published scoring models are immutable"),
    "riskscreen_snapshots_immutable": (None, _SNAPSHOTS),
    "riskscreen_audit_append_only": (None, "the audit log is append-only"),
    "riskscreen_final_screening": ("OLD.status = 'final'", _FINAL),
    "riskscreen_final_answers": (
        "(SELECT status FROM screenings WHERE id = "
        "(CASE TG_OP WHEN 'INSERT' THEN NEW.screening_id ELSE OLD.screening_id END)) "
        "= 'final'", _FINAL),
    "riskscreen_received_immutable": (None, _RECEIVED),
}

#: (trigger, events, table, function)
POSTGRESQL_TRIGGERS = [
    ("scoring_models_immutable", "UPDATE OR DELETE", "scoring_models",
     "riskscreen_models_immutable"),
    ("assessments_immutable", "UPDATE OR DELETE", "assessments",
     "riskscreen_snapshots_immutable"),
    ("record_dictionaries_immutable", "UPDATE OR DELETE", "record_dictionaries",
     "riskscreen_snapshots_immutable"),
    ("audit_log_immutable", "UPDATE OR DELETE", "audit_log", "riskscreen_audit_append_only"),
    ("screenings_final", "UPDATE", "screenings", "riskscreen_final_screening"),
    ("answers_final", "INSERT OR UPDATE OR DELETE", "answers", "riskscreen_final_answers"),
    ("received_packages_content", "UPDATE OF content, sha256, package_id, sender_fingerprint, "
     "kind, reference", "received_packages", "riskscreen_received_immutable"),
    ("received_packages_d", "DELETE", "received_packages", "riskscreen_received_immutable"),
]
#: Row triggers do not see TRUNCATE: these tables refuse it with a statement trigger.
TRUNCATE_TRIGGERS = [
    ("scoring_models_truncate", "scoring_models", "riskscreen_models_immutable"),
    ("assessments_truncate", "assessments", "riskscreen_snapshots_immutable"),
    ("record_dictionaries_truncate", "record_dictionaries", "riskscreen_snapshots_immutable"),
    ("audit_log_truncate", "audit_log", "riskscreen_audit_append_only"),
    ("received_packages_truncate", "received_packages", "riskscreen_received_immutable"),
]


def _function_sql(name: str, condition: str | None, message: str) -> str:
    check = (f"RAISE EXCEPTION '{message}';" if condition is None
             else f"IF {condition} THEN RAISE EXCEPTION '{message}'; END IF;")
    # A BEFORE trigger that returns NEW (or OLD for a DELETE) lets the statement go ahead.
    return (f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {check} "
            "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$")


def upgrade() -> None:
    op.add_column("screenings", sa.Column("version", sa.Integer, nullable=False,
                                          server_default="1"))
    op.create_table(
        "server_passphrases",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("kdf", sa.Text, nullable=False),
        sa.Column("verifier", sa.LargeBinary, nullable=False),
        sa.Column("changed_at", sa.String(27), nullable=False),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, (condition, message) in _FUNCTIONS.items():
        op.execute(_function_sql(name, condition, message))
    for trigger, events, table, function in POSTGRESQL_TRIGGERS:
        op.execute(f"CREATE TRIGGER {trigger} BEFORE {events} ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {function}()")
    for trigger, table, function in TRUNCATE_TRIGGERS:
        op.execute(f"CREATE TRIGGER {trigger} BEFORE TRUNCATE ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for trigger, _, table, _ in POSTGRESQL_TRIGGERS:
            op.execute(f"DROP TRIGGER {trigger} ON {table}")
        for trigger, table, _ in TRUNCATE_TRIGGERS:
            op.execute(f"DROP TRIGGER {trigger} ON {table}")
        for name in _FUNCTIONS:
            op.execute(f"DROP FUNCTION {name}()")
    op.drop_table("server_passphrases")
    # A column added in place; dropping it in place keeps SQLite's triggers on the table.
    op.execute("ALTER TABLE screenings DROP COLUMN version")

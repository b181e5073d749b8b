"""Exchange packages: this database's key pair, trusted senders, packages sent and received.

Revision ID: 0008
Revises: 0007

New tables only; nothing existing changes. The content of a received package (the verified
archive: the sender's assessment as it was sent) can never be changed or deleted; SQLite
triggers refuse it, as for finalised snapshots.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_IMMUTABLE = "BEGIN SELECT RAISE(ABORT, 'a received package is kept as it arrived'); END"
TRIGGERS = [
    "CREATE TRIGGER received_packages_content_u BEFORE UPDATE OF content, sha256, package_id, "
    f"sender_fingerprint, kind, reference ON received_packages {_IMMUTABLE}",
    f"CREATE TRIGGER received_packages_d BEFORE DELETE ON received_packages {_IMMUTABLE}",
]


def upgrade() -> None:
    op.create_table(
        "exchange_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("fingerprint", sa.String(95), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("certificate", sa.Text, nullable=False),
        sa.Column("private_key", sa.LargeBinary, nullable=False),
        sa.Column("not_after", sa.String(27), nullable=False),
        sa.Column("installed_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("installed_at", sa.String(27), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_table(
        "trusted_senders",
        sa.Column("fingerprint", sa.String(95), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("certificate", sa.Text, nullable=False),
        sa.Column("not_after", sa.String(27), nullable=False),
        sa.Column("installed_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("installed_at", sa.String(27), nullable=False),
    )
    op.create_table(
        "sent_packages",
        sa.Column("package_id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("reference", sa.String(60), nullable=False),
        sa.Column("subject_id", sa.Integer, nullable=False),
        sa.Column("recipient_fingerprint", sa.String(95), nullable=False),
        sa.Column("recipient_name", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("made_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("made_at", sa.String(27), nullable=False),
    )
    op.create_index("ix_sent_packages_reference", "sent_packages", ["reference", "kind"])
    op.create_table(
        "received_packages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("package_id", sa.String(36), nullable=False, unique=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("reference", sa.String(60), nullable=False),
        sa.Column("sender_fingerprint", sa.String(95), nullable=False),
        sa.Column("sender_name", sa.String(200), nullable=False),
        sa.Column("signed_at", sa.String(27)),
        sa.Column("received_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("received_at", sa.String(27), nullable=False),
        sa.Column("child_id", sa.Integer, sa.ForeignKey("children.id")),
        sa.Column("referral_id", sa.Integer),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("decision_reason", sa.Text),
        sa.Column("decided_at", sa.String(27)),
        sa.Column("outcomes", sa.Text, nullable=False),
        sa.Column("confirmed", sa.String(20)),
        sa.Column("confirmed_source", sa.String(60)),
    )
    op.create_index("ix_received_packages_child", "received_packages", ["child_id", "id"])
    if op.get_bind().dialect.name == "sqlite":
        for trigger in TRIGGERS:
            op.execute(trigger)


def downgrade() -> None:
    for table in ("received_packages", "sent_packages", "trusted_senders", "exchange_keys"):
        op.drop_table(table)

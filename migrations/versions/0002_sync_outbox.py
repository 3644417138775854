"""sync outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 22:40:00

The outbox and sync state tables, and on SQLite (the counter) the triggers that queue every
change of a synced table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hall_app.db.outbox import create_triggers, drop_triggers

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The synced tables as of this revision (fixed here: later tables bring their own triggers).
TABLES = (
    "halls", "pretty_tiers", "service_types", "vat_categories", "counters", "customers",
    "products", "sim_cards", "devices", "invoice_segments", "number_pool", "promotions",
    "staff", "subscriptions", "audit_log", "cash_sessions", "queue_tickets", "service_tickets",
    "subscription_addons", "orders", "approvals", "install_appointments",
    "installment_contracts", "invoices", "order_lines", "payments", "print_records",
    "instalments", "invoice_lines",
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "sync_outbox",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("table_name", sa.String(length=48), nullable=False),
        sa.Column("row_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_sync_outbox")),
        sa.UniqueConstraint(
            "table_name", "row_id", name=op.f("uq_sync_outbox_table_name_row_id")
        ),
    )
    with op.batch_alter_table("sync_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_outbox_status"), ["status"], unique=False)
    op.create_table(
        "sync_state",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sync_state")),
    )
    create_triggers(op.get_bind(), TABLES)


def downgrade() -> None:
    drop_triggers(op.get_bind(), TABLES)
    with op.batch_alter_table("sync_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_outbox_status"))
    op.drop_table("sync_state")
    op.drop_table("sync_outbox")

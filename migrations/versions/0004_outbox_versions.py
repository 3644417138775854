"""outbox versions, triggers silent during pulls

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 23:20:00

An outbox entry keeps its sequence number and gains a version bumped by each change, so a push
marks it sent only when it sent the latest version (0002/0003 reused sequence numbers, and a
change made during a push could be marked sent unseen). The triggers stay silent inside a
pull's own transaction instead of the pull deleting entries afterwards (which could delete a
clerk's change committed meanwhile).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hall_app.db.outbox import create_triggers, drop_triggers

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "halls", "pretty_tiers", "service_types", "vat_categories", "counters", "customers",
    "products", "sim_cards", "devices", "invoice_segments", "number_pool", "promotions",
    "staff", "subscriptions", "audit_log", "cash_sessions", "queue_tickets", "service_tickets",
    "subscription_addons", "orders", "approvals", "install_appointments",
    "installment_contracts", "invoices", "order_lines", "payments", "print_records",
    "instalments", "invoice_lines",
)  # fmt: skip


def upgrade() -> None:
    drop_triggers(op.get_bind(), TABLES)  # SQLite checks them when the table changes
    with op.batch_alter_table("sync_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
    create_triggers(op.get_bind(), TABLES)


def downgrade() -> None:
    drop_triggers(op.get_bind(), TABLES)
    with op.batch_alter_table("sync_outbox", schema=None) as batch_op:
        batch_op.drop_column("version")

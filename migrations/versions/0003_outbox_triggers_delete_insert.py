"""outbox triggers: delete then insert

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 23:00:00

The triggers of 0002 used INSERT OR REPLACE, whose conflict policy an outer UPSERT overrides
(SQLite runs trigger statements under the outer statement's policy), so pulling a row that
was already queued failed. They are recreated to delete the old entry, then insert.
"""

from collections.abc import Sequence

from alembic import op

from hall_app.db.outbox import create_triggers, drop_triggers

revision: str = "0003"
down_revision: str | None = "0002"
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
    drop_triggers(op.get_bind(), TABLES)
    create_triggers(op.get_bind(), TABLES)


def downgrade() -> None:
    pass  # the new triggers do what the old ones did, and more safely

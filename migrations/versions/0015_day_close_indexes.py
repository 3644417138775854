"""day close indexes

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 17:30:00

The hall's day close and the Z reports read a day's payments and invoices by time; without
these indexes both tables were scanned whole (a year of history: hundreds of thousands of
rows).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_payments_paid_at", "payments", ["paid_at"], unique=False)
    op.create_index("ix_invoices_issued_at", "invoices", ["issued_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_invoices_issued_at", table_name="invoices")
    op.drop_index("ix_payments_paid_at", table_name="payments")

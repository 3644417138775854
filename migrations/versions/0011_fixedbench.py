"""index equipment.order_id

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 12:20:00

A work order lists the modems and routers of its order (WorkOrderService, the 装机工单): by
``equipment.order_id``, which had no index, so each work order shown scanned the whole stock
(700 ms on the 1M benchmark database, where the customer record lists a customer's work
orders).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_equipment_order_id", "equipment", ["order_id"])


def downgrade() -> None:
    op.drop_index("ix_equipment_order_id", table_name="equipment")

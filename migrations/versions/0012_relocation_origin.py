"""a relocation's original address

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 13:15:00

The address a relocation moves from, kept on its work order: once the install is reported done
the subscription's address is the new one, and a reprint of the 装机工单 must still say 原址.
Plain ALTER TABLE ADD COLUMN (a nullable column with no constraint: no table rebuild on SQLite,
so the outbox triggers stay as they are).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("work_orders", sa.Column("from_address", sa.String(length=200), nullable=True))


def downgrade() -> None:
    from hall_app.db.outbox import create_triggers, drop_triggers

    drop_triggers(op.get_bind(), ("work_orders",))  # batch mode rebuilds the table on SQLite
    with op.batch_alter_table("work_orders") as batch_op:
        batch_op.drop_column("from_address")
    create_triggers(op.get_bind(), ("work_orders",))

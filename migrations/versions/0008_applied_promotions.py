"""promotions applied to orders and subscriptions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 09:30:00

A plan's promotion is priced into the order as its own discount line: the line names the
promotion. The subscription records the promotion it was opened with and the last day of its
discounted months, for the bills that follow.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hall_app.db.outbox import create_triggers, drop_triggers

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALTERED = ("order_lines", "subscriptions")


def _promotion_fk(table: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "promotion_id",
        sa.Uuid(),
        sa.ForeignKey("promotions.id", name=f"fk_{table}_promotion_id_promotions"),
        nullable=True,
    )


def upgrade() -> None:
    drop_triggers(op.get_bind(), ALTERED)  # batch mode may rebuild these tables on SQLite
    with op.batch_alter_table("order_lines") as batch_op:
        batch_op.add_column(_promotion_fk("order_lines"))
    with op.batch_alter_table("subscriptions") as batch_op:
        batch_op.add_column(_promotion_fk("subscriptions"))
        batch_op.add_column(sa.Column("promotion_until", sa.Date(), nullable=True))
    create_triggers(op.get_bind(), ALTERED)


def downgrade() -> None:
    drop_triggers(op.get_bind(), ALTERED)
    with op.batch_alter_table("subscriptions") as batch_op:
        batch_op.drop_column("promotion_until")
        batch_op.drop_column("promotion_id")
    with op.batch_alter_table("order_lines") as batch_op:
        batch_op.drop_column("promotion_id")
    create_triggers(op.get_bind(), ALTERED)

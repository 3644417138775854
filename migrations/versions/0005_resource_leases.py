"""number and SIM leases, resource clashes, longer ticket numbers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 00:30:00

Numbers and SIMs can be leased to one counter (to sell while its link is down); a SIM records
the counter that sold it; a clash between two counters over one number or SIM is recorded for
a supervisor; ticket numbers grow to 16 characters for a counter's offline walk-ins (A01-001).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hall_app.db.types
from hall_app.db.outbox import create_triggers, drop_triggers

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALTERED = ("number_pool", "sim_cards", "queue_tickets")
TS = hall_app.db.types.UTCDateTime(timezone=True)


def _counter_fk(table: str, column: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        column,
        sa.Uuid(),
        sa.ForeignKey("counters.id", name=f"fk_{table}_{column}_counters"),
        nullable=True,
    )


def upgrade() -> None:
    drop_triggers(op.get_bind(), ALTERED)  # batch mode may rebuild these tables on SQLite
    with op.batch_alter_table("number_pool") as batch_op:
        batch_op.add_column(_counter_fk("number_pool", "lease_counter_id"))
        batch_op.add_column(sa.Column("lease_until", TS, nullable=True))
    with op.batch_alter_table("sim_cards") as batch_op:
        batch_op.add_column(_counter_fk("sim_cards", "lease_counter_id"))
        batch_op.add_column(sa.Column("lease_until", TS, nullable=True))
        batch_op.add_column(_counter_fk("sim_cards", "taken_by_counter_id"))
    with op.batch_alter_table("queue_tickets") as batch_op:
        batch_op.alter_column(
            "ticket_no", existing_type=sa.String(length=8), type_=sa.String(length=16)
        )
    op.create_table(
        "resource_clashes",
        sa.Column("hall_id", sa.Uuid(), nullable=False),
        sa.Column("counter_id", sa.Uuid(), nullable=True),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("resource", sa.String(length=16), nullable=False),
        sa.Column("resource_key", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("detected_at", TS, nullable=False),
        sa.Column("resolved_at", TS, nullable=True),
        sa.Column("resolved_by_id", sa.Uuid(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["counter_id"], ["counters.id"], name="fk_resource_clashes_counter_id_counters"
        ),
        sa.ForeignKeyConstraint(["hall_id"], ["halls.id"], name="fk_resource_clashes_hall_id_halls"),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name="fk_resource_clashes_order_id_orders"
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["staff.id"], name="fk_resource_clashes_resolved_by_id_staff"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_resource_clashes"),
    )
    create_triggers(op.get_bind(), (*ALTERED, "resource_clashes"))


def downgrade() -> None:
    drop_triggers(op.get_bind(), (*ALTERED, "resource_clashes"))
    op.drop_table("resource_clashes")
    with op.batch_alter_table("queue_tickets") as batch_op:
        batch_op.alter_column(
            "ticket_no", existing_type=sa.String(length=16), type_=sa.String(length=8)
        )
    with op.batch_alter_table("sim_cards") as batch_op:
        batch_op.drop_column("taken_by_counter_id")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_counter_id")
    with op.batch_alter_table("number_pool") as batch_op:
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_counter_id")
    create_triggers(op.get_bind(), ALTERED)

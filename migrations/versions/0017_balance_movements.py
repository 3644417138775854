"""balance movements

Every change of a number's balances as an append-only row of deltas, synced like any other;
the central database adds each arriving movement to its subscription's balances (a trigger),
and a pushed subscription no longer overwrites them: top-ups of one number at two windows
both reach the balance of record.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 20:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hall_app.db.types
from hall_app.db.outbox import create_triggers, drop_triggers

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW = ("balance_movements",)

# Central only: a movement's deltas land on the subscription once, when it is inserted (a
# pushed movement again is an upsert's UPDATE, which does not fire this).
APPLY = """
CREATE OR REPLACE FUNCTION hall_apply_balance_movement() RETURNS trigger AS $$
BEGIN
    UPDATE subscriptions
       SET balance_fen = balance_fen + NEW.balance_fen,
           bonus_fen = bonus_fen + NEW.bonus_fen
     WHERE id = NEW.subscription_id;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table(
        "balance_movements",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "opening",
                "top_up",
                "bill_top_up",
                "cancellation",
                "work_order_credit",
                name="balancemovementkind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("balance_fen", sa.BigInteger(), nullable=False),
        sa.Column("bonus_fen", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_balance_movements_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_balance_movements_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_balance_movements")),
    )
    with op.batch_alter_table("balance_movements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_balance_movements_subscription_id"), ["subscription_id"], unique=False
        )
    create_triggers(op.get_bind(), NEW)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPLY)
        op.execute(
            "CREATE TRIGGER trg_apply_balance_movement AFTER INSERT ON balance_movements "
            "FOR EACH ROW EXECUTE FUNCTION hall_apply_balance_movement()"
        )


def downgrade() -> None:
    drop_triggers(op.get_bind(), NEW)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS trg_apply_balance_movement ON balance_movements")
        op.execute("DROP FUNCTION IF EXISTS hall_apply_balance_movement()")
    with op.batch_alter_table("balance_movements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_balance_movements_subscription_id"))
    op.drop_table("balance_movements")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DELETE FROM sync_outbox WHERE table_name = 'balance_movements'")

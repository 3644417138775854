"""handsets

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 13:48:05

Handset stock by IMEI (where a unit is, its lease for offline sale, its sale and warranty), a
model's colour and storage, the contract and installment offers (central), the credit
assessments, contract-phone commitments, and the installment contracts' offer, rate, payoff fee
and instalments split into principal and fee with the order that paid each.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hall_app.db.types
from hall_app.db.outbox import create_triggers, drop_triggers

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW = ("handset_offers", "credit_assessments", "handset_commitments")
CENTRAL = ("handset_offers",)  # pulled
ALTERED = ("devices", "installment_contracts", "instalments", "products")


def upgrade() -> None:
    op.create_table(
        "handset_offers",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("contract", "installment", name="offerkind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("subsidy_fen", sa.BigInteger(), nullable=False),
        sa.Column("min_plan_fen", sa.BigInteger(), nullable=False),
        sa.Column("fee_fen", sa.BigInteger(), nullable=False),
        sa.Column("monthly_rate", sa.Numeric(precision=7, scale=5), nullable=False),
        sa.Column("min_down_payment_pct", sa.Integer(), nullable=False),
        sa.Column("payoff_fee_fen", sa.BigInteger(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("central_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_handset_offers_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handset_offers")),
        sa.UniqueConstraint("code", name=op.f("uq_handset_offers_code")),
    )
    with op.batch_alter_table("handset_offers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_handset_offers_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "credit_assessments",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("assessed_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("monthly_fen", sa.BigInteger(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "approved",
                "refused",
                "supervisor",
                name="creditoutcome",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("rules_json", sa.Text(), nullable=False),
        sa.Column("approver_id", sa.Uuid(), nullable=True),
        sa.Column("approved_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["approver_id"], ["staff.id"], name=op.f("fk_credit_assessments_approver_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_credit_assessments_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_credit_assessments_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_credit_assessments_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_credit_assessments_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_assessments")),
    )
    with op.batch_alter_table("credit_assessments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_assessments_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_credit_assessments_order_id"), ["order_id"], unique=False
        )

    op.create_table(
        "handset_commitments",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=True),
        sa.Column("subsidy_fen", sa.BigInteger(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("min_plan_fen", sa.BigInteger(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "completed",
                "paid_off",
                "terminated",
                "returned",
                name="contractstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("ended_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("clawback_fen", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_handset_commitments_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_handset_commitments_device_id_devices")
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["handset_offers.id"],
            name=op.f("fk_handset_commitments_offer_id_handset_offers"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_handset_commitments_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_handset_commitments_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handset_commitments")),
    )
    with op.batch_alter_table("handset_commitments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_handset_commitments_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_handset_commitments_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_handset_commitments_subscription_id"), ["subscription_id"], unique=False
        )

    drop_triggers(op.get_bind(), ALTERED)  # batch mode rebuilds these tables on SQLite
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("location", sa.String(length=32), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("received_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("lease_counter_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column("lease_until", hall_app.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("taken_by_counter_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("order_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("customer_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("subscription_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column("sold_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("warranty_from", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_devices_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_devices_order_id"), ["order_id"], unique=False)
        batch_op.create_index("ix_devices_product_status", ["product_id", "status"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_devices_customer_id_customers"), "customers", ["customer_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_devices_subscription_id_subscriptions"),
            "subscriptions",
            ["subscription_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_devices_order_id_orders"), "orders", ["order_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_devices_lease_counter_id_counters"),
            "counters",
            ["lease_counter_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_devices_taken_by_counter_id_counters"),
            "counters",
            ["taken_by_counter_id"],
            ["id"],
        )

    with op.batch_alter_table("installment_contracts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("offer_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("credit_assessment_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column("monthly_rate", sa.Numeric(precision=7, scale=5), nullable=True)
        )
        batch_op.add_column(
            sa.Column("payoff_fee_fen", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("signed_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("ended_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_installment_contracts_offer_id_handset_offers"),
            "handset_offers",
            ["offer_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_installment_contracts_credit_assessment_id_credit_assessments"),
            "credit_assessments",
            ["credit_assessment_id"],
            ["id"],
        )

    with op.batch_alter_table("instalments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("principal_fen", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("fee_fen", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("paid_order_id", sa.Uuid(), nullable=True))
        batch_op.create_index("ix_instalments_due_unpaid", ["due_date", "paid_at"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_instalments_paid_order_id_orders"), "orders", ["paid_order_id"], ["id"]
        )

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("colour", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("storage", sa.String(length=16), nullable=True))
    create_triggers(op.get_bind(), ALTERED)
    create_triggers(op.get_bind(), NEW)
    if op.get_bind().dialect.name == "postgresql":
        for table in CENTRAL:
            op.execute(
                f"CREATE TRIGGER trg_central_at_{table} BEFORE INSERT OR UPDATE ON "
                f"{table} FOR EACH ROW EXECUTE FUNCTION hall_central_stamp()"
            )


def downgrade() -> None:
    drop_triggers(op.get_bind(), NEW)
    drop_triggers(op.get_bind(), ALTERED)
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("storage")
        batch_op.drop_column("colour")

    with op.batch_alter_table("instalments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_instalments_paid_order_id_orders"), type_="foreignkey"
        )
        batch_op.drop_index("ix_instalments_due_unpaid")
        batch_op.drop_column("paid_order_id")
        batch_op.drop_column("fee_fen")
        batch_op.drop_column("principal_fen")

    with op.batch_alter_table("installment_contracts", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_installment_contracts_credit_assessment_id_credit_assessments"),
            type_="foreignkey",
        )
        batch_op.drop_constraint(
            batch_op.f("fk_installment_contracts_offer_id_handset_offers"), type_="foreignkey"
        )
        batch_op.drop_column("ended_at")
        batch_op.drop_column("signed_at")
        batch_op.drop_column("payoff_fee_fen")
        batch_op.drop_column("monthly_rate")
        batch_op.drop_column("credit_assessment_id")
        batch_op.drop_column("offer_id")

    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_devices_taken_by_counter_id_counters"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_devices_lease_counter_id_counters"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_devices_order_id_orders"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_devices_subscription_id_subscriptions"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_devices_customer_id_customers"), type_="foreignkey")
        batch_op.drop_index("ix_devices_product_status")
        batch_op.drop_index(batch_op.f("ix_devices_order_id"))
        batch_op.drop_index(batch_op.f("ix_devices_customer_id"))
        batch_op.drop_column("warranty_from")
        batch_op.drop_column("sold_at")
        batch_op.drop_column("subscription_id")
        batch_op.drop_column("customer_id")
        batch_op.drop_column("order_id")
        batch_op.drop_column("taken_by_counter_id")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_counter_id")
        batch_op.drop_column("received_at")
        batch_op.drop_column("location")

    with op.batch_alter_table("handset_commitments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handset_commitments_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_handset_commitments_order_id"))
        batch_op.drop_index(batch_op.f("ix_handset_commitments_customer_id"))

    op.drop_table("handset_commitments")
    with op.batch_alter_table("credit_assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_assessments_order_id"))
        batch_op.drop_index(batch_op.f("ix_credit_assessments_customer_id"))

    op.drop_table("credit_assessments")
    with op.batch_alter_table("handset_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handset_offers_product_id"))

    op.drop_table("handset_offers")
    create_triggers(op.get_bind(), ALTERED)
    if op.get_bind().dialect.name == "sqlite":
        dropped = ", ".join(f"'{t}'" for t in NEW)
        op.execute(f"DELETE FROM sync_outbox WHERE table_name IN ({dropped})")

"""fixed line: broadband and landline

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 11:27:06

The landline number pool, modem and router stock, installer teams and the communities they
serve, bookable install slots, install work orders (replacing the never-used
install_appointments), fusion bundles and the demand recorded for uncovered addresses; a
product's equipment deposit; a subscription's community, technology and fusion bundle.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hall_app.db.types
from hall_app.db.outbox import create_triggers, drop_triggers

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW = (
    "installer_teams",
    "fusion_bundles",
    "install_slots",
    "landline_numbers",
    "team_areas",
    "demand_registrations",
    "equipment",
    "work_orders",
)
CENTRAL = ("installer_teams", "team_areas", "fusion_bundles", "install_slots")  # pulled
ALTERED = ("products", "subscriptions")
TS = hall_app.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "installer_teams",
        sa.Column("hall_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("leader", sa.String(length=32), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("central_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["halls.id"], name=op.f("fk_installer_teams_hall_id_halls")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installer_teams")),
        sa.UniqueConstraint("code", name=op.f("uq_installer_teams_code")),
    )
    op.create_table(
        "fusion_bundles",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("broadband_product_id", sa.Uuid(), nullable=False),
        sa.Column("mobile_product_id", sa.Uuid(), nullable=False),
        sa.Column("monthly_fen", sa.BigInteger(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("central_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["broadband_product_id"],
            ["products.id"],
            name=op.f("fk_fusion_bundles_broadband_product_id_products"),
        ),
        sa.ForeignKeyConstraint(
            ["mobile_product_id"],
            ["products.id"],
            name=op.f("fk_fusion_bundles_mobile_product_id_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fusion_bundles")),
        sa.UniqueConstraint("code", name=op.f("uq_fusion_bundles_code")),
    )
    op.create_table(
        "install_slots",
        sa.Column("hall_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("community", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("window", sa.String(length=16), nullable=False),
        sa.Column("starts_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("lease_counter_id", sa.Uuid(), nullable=True),
        sa.Column("lease_until", hall_app.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("central_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["halls.id"], name=op.f("fk_install_slots_hall_id_halls")
        ),
        sa.ForeignKeyConstraint(
            ["lease_counter_id"],
            ["counters.id"],
            name=op.f("fk_install_slots_lease_counter_id_counters"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["installer_teams.id"],
            name=op.f("fk_install_slots_team_id_installer_teams"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_install_slots")),
        sa.UniqueConstraint(
            "team_id",
            "community",
            "day",
            "window",
            name=op.f("uq_install_slots_team_id_community_day_window"),
        ),
    )
    with op.batch_alter_table("install_slots", schema=None) as batch_op:
        batch_op.create_index(
            "ix_install_slots_hall_community_day", ["hall_id", "community", "day"], unique=False
        )

    op.create_table(
        "landline_numbers",
        sa.Column("number", sa.String(length=12), nullable=False),
        sa.Column("area_code", sa.String(length=4), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "available",
                "reserved",
                "assigned",
                "quarantined",
                name="numberstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("pretty_tier_id", sa.Uuid(), nullable=True),
        sa.Column("hall_id", sa.Uuid(), nullable=True),
        sa.Column("reserved_until", hall_app.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reserved_by_counter_id", sa.Uuid(), nullable=True),
        sa.Column("quarantined_until", hall_app.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lease_counter_id", sa.Uuid(), nullable=True),
        sa.Column("lease_until", hall_app.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["halls.id"], name=op.f("fk_landline_numbers_hall_id_halls")
        ),
        sa.ForeignKeyConstraint(
            ["lease_counter_id"],
            ["counters.id"],
            name=op.f("fk_landline_numbers_lease_counter_id_counters"),
        ),
        sa.ForeignKeyConstraint(
            ["pretty_tier_id"],
            ["pretty_tiers.id"],
            name=op.f("fk_landline_numbers_pretty_tier_id_pretty_tiers"),
        ),
        sa.ForeignKeyConstraint(
            ["reserved_by_counter_id"],
            ["counters.id"],
            name=op.f("fk_landline_numbers_reserved_by_counter_id_counters"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_landline_numbers")),
        sa.UniqueConstraint("number", name=op.f("uq_landline_numbers_number")),
    )
    with op.batch_alter_table("landline_numbers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_landline_numbers_status_tier", ["status", "pretty_tier_id"], unique=False
        )

    op.create_table(
        "team_areas",
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("community", sa.String(length=64), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("central_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["installer_teams.id"], name=op.f("fk_team_areas_team_id_installer_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_areas")),
        sa.UniqueConstraint("team_id", "community", name=op.f("uq_team_areas_team_id_community")),
    )
    with op.batch_alter_table("team_areas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_areas_community"), ["community"], unique=False)

    op.create_table(
        "demand_registrations",
        sa.Column("hall_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("contact_name", sa.String(length=32), nullable=False),
        sa.Column("contact_phone", sa.String(length=20), nullable=False),
        sa.Column("wanted", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "notified", "closed", name="demandstatus", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_demand_registrations_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["halls.id"], name=op.f("fk_demand_registrations_hall_id_halls")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_demand_registrations_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand_registrations")),
    )
    with op.batch_alter_table("demand_registrations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_demand_registrations_hall_status", ["hall_id", "status"], unique=False
        )

    op.create_table(
        "equipment",
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("serial", sa.String(length=32), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "in_stock",
                "lent",
                "sold",
                "returned",
                "defective",
                name="equipmentstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("hall_id", sa.Uuid(), nullable=True),
        sa.Column("lease_counter_id", sa.Uuid(), nullable=True),
        sa.Column("lease_until", hall_app.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("taken_by_counter_id", sa.Uuid(), nullable=True),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("subscription_id", sa.Uuid(), nullable=True),
        sa.Column(
            "mode",
            sa.Enum(
                "deposit", "free", "bought", name="equipmentmode", native_enum=False, length=24
            ),
            nullable=True,
        ),
        sa.Column("deposit_fen", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["hall_id"], ["halls.id"], name=op.f("fk_equipment_hall_id_halls")),
        sa.ForeignKeyConstraint(
            ["lease_counter_id"],
            ["counters.id"],
            name=op.f("fk_equipment_lease_counter_id_counters"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_equipment_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_equipment_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_equipment_subscription_id_subscriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["taken_by_counter_id"],
            ["counters.id"],
            name=op.f("fk_equipment_taken_by_counter_id_counters"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment")),
        sa.UniqueConstraint("serial", name=op.f("uq_equipment_serial")),
    )
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_equipment_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_equipment_subscription_id"), ["subscription_id"], unique=False
        )

    op.create_table(
        "work_orders",
        sa.Column("work_order_no", sa.String(length=24), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("install", "relocate", name="workorderkind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("hall_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("broadband_subscription_id", sa.Uuid(), nullable=True),
        sa.Column("landline_subscription_id", sa.Uuid(), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("community", sa.String(length=64), nullable=False),
        sa.Column("technology", sa.String(length=16), nullable=False),
        sa.Column("contact_name", sa.String(length=32), nullable=False),
        sa.Column("contact_phone", sa.String(length=20), nullable=False),
        sa.Column("slot_id", sa.Uuid(), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("window_start", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("window_end", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("promised_date", sa.Date(), nullable=False),
        sa.Column("promised_provisional", sa.Boolean(), nullable=False),
        sa.Column("installation_fee_fen", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "dispatched",
                "installed",
                "failed",
                "cancelled",
                name="workorderstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("status_reason", sa.String(length=200), nullable=False),
        sa.Column("reschedules", sa.Integer(), nullable=False),
        sa.Column("dispatched_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("installed_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failed_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("late_days", sa.Integer(), nullable=False),
        sa.Column("credit_fen", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["broadband_subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_work_orders_broadband_subscription_id_subscriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_work_orders_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["halls.id"], name=op.f("fk_work_orders_hall_id_halls")
        ),
        sa.ForeignKeyConstraint(
            ["landline_subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_work_orders_landline_subscription_id_subscriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_work_orders_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"], ["install_slots.id"], name=op.f("fk_work_orders_slot_id_install_slots")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["installer_teams.id"], name=op.f("fk_work_orders_team_id_installer_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_orders")),
        sa.UniqueConstraint("work_order_no", name=op.f("uq_work_orders_work_order_no")),
    )
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_work_orders_customer_status", ["customer_id", "status"], unique=False
        )
        batch_op.create_index("ix_work_orders_hall_status", ["hall_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_orders_order_id"), ["order_id"], unique=False)

    drop_triggers(op.get_bind(), ("install_appointments",))
    op.drop_index("ix_install_appointments_order_id", table_name="install_appointments")
    op.drop_table("install_appointments")
    drop_triggers(op.get_bind(), ALTERED)  # batch mode may rebuild these tables on SQLite
    with op.batch_alter_table("products") as batch_op:
        batch_op.add_column(
            sa.Column("deposit_fen", sa.BigInteger(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("subscriptions") as batch_op:
        batch_op.add_column(
            sa.Column("community", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("technology", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column(
                "bundle_id",
                sa.Uuid(),
                sa.ForeignKey(
                    "fusion_bundles.id", name="fk_subscriptions_bundle_id_fusion_bundles"
                ),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "bundled_with_id",
                sa.Uuid(),
                sa.ForeignKey(
                    "subscriptions.id", name="fk_subscriptions_bundled_with_id_subscriptions"
                ),
                nullable=True,
            )
        )
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
    with op.batch_alter_table("subscriptions") as batch_op:
        batch_op.drop_column("bundled_with_id")
        batch_op.drop_column("bundle_id")
        batch_op.drop_column("technology")
        batch_op.drop_column("community")
    with op.batch_alter_table("products") as batch_op:
        batch_op.drop_column("deposit_fen")
    create_triggers(op.get_bind(), ALTERED)
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_orders_order_id"))
        batch_op.drop_index("ix_work_orders_hall_status")
        batch_op.drop_index("ix_work_orders_customer_status")

    op.drop_table("work_orders")
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_equipment_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_equipment_status"))

    op.drop_table("equipment")
    with op.batch_alter_table("demand_registrations", schema=None) as batch_op:
        batch_op.drop_index("ix_demand_registrations_hall_status")

    op.drop_table("demand_registrations")
    with op.batch_alter_table("team_areas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_areas_community"))

    op.drop_table("team_areas")
    with op.batch_alter_table("landline_numbers", schema=None) as batch_op:
        batch_op.drop_index("ix_landline_numbers_status_tier")

    op.drop_table("landline_numbers")
    with op.batch_alter_table("install_slots", schema=None) as batch_op:
        batch_op.drop_index("ix_install_slots_hall_community_day")

    op.drop_table("install_slots")
    op.drop_table("fusion_bundles")
    op.drop_table("installer_teams")
    op.create_table(
        "install_appointments",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("slot_start", TS, nullable=False),
        sa.Column("slot_end", TS, nullable=False),
        sa.Column("technician", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("installation_fee_fen", sa.BigInteger(), nullable=False),
        sa.Column("completed_at", TS, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_install_appointments_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_install_appointments_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_install_appointments")),
    )
    with op.batch_alter_table("install_appointments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_install_appointments_order_id"), ["order_id"], unique=False
        )

    create_triggers(op.get_bind(), ("install_appointments",))
    # What the 0009 code can not read: products of the kind this revision added (the order
    # lines that sold or lent them keep their text and amounts), and the outbox entries of the
    # tables dropped here.
    op.execute(
        "UPDATE order_lines SET product_id = NULL WHERE product_id IN "
        "(SELECT id FROM products WHERE kind = 'equipment')"
    )
    op.execute(
        "DELETE FROM promotions WHERE product_id IN (SELECT id FROM products WHERE kind = 'equipment')"
    )
    op.execute("DELETE FROM products WHERE kind = 'equipment'")
    if op.get_bind().dialect.name == "sqlite":
        dropped = ", ".join(f"'{t}'" for t in NEW)
        op.execute(f"DELETE FROM sync_outbox WHERE table_name IN ({dropped})")

"""supervisor desk

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 16:35:52

The supervisor's desk: approvals requested remotely (who, where, why, how much, for what, until
when, redeemed once), the customer's evaluation on each ticket, the blind count and card/QR
settlement of a till with its variance sign-off, cash in and out, Z reports numbered per hall,
the hall's day close, and a password that must be changed at the next login.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hall_app.db.types
from hall_app.db.outbox import create_triggers, drop_triggers

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


NEW = ("hall_day_closes", "cash_movements", "z_reports")
ALTERED = ("approvals", "cash_sessions", "queue_tickets", "staff")


def upgrade() -> None:
    drop_triggers(op.get_bind(), ALTERED)  # batch mode rebuilds these tables on SQLite
    op.create_table(
        "hall_day_closes",
        sa.Column("hall_id", sa.Uuid(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("closed_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_by_id", sa.Uuid(), nullable=False),
        sa.Column("summary_json", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["staff.id"], name=op.f("fk_hall_day_closes_closed_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["halls.id"], name=op.f("fk_hall_day_closes_hall_id_halls")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hall_day_closes")),
        sa.UniqueConstraint(
            "hall_id", "business_date", name=op.f("uq_hall_day_closes_hall_id_business_date")
        ),
    )
    op.create_table(
        "cash_movements",
        sa.Column("cash_session_id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("in", "out", name="cashmovementkind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("moved_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cash_session_id"],
            ["cash_sessions.id"],
            name=op.f("fk_cash_movements_cash_session_id_cash_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_cash_movements_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_movements")),
    )
    with op.batch_alter_table("cash_movements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cash_movements_cash_session_id"), ["cash_session_id"], unique=False
        )

    op.create_table(
        "z_reports",
        sa.Column("hall_id", sa.Uuid(), nullable=False),
        sa.Column("z_no", sa.Integer(), nullable=False),
        sa.Column("cash_session_id", sa.Uuid(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("made_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("content_json", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cash_session_id"],
            ["cash_sessions.id"],
            name=op.f("fk_z_reports_cash_session_id_cash_sessions"),
        ),
        sa.ForeignKeyConstraint(["hall_id"], ["halls.id"], name=op.f("fk_z_reports_hall_id_halls")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_z_reports")),
        sa.UniqueConstraint("cash_session_id", name=op.f("uq_z_reports_cash_session_id")),
        sa.UniqueConstraint("hall_id", "z_no", name=op.f("uq_z_reports_hall_id_z_no")),
    )
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hall_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("counter_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column("inline", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("requested_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("expires_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("request_reason", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("summary", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("customer_label", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("subject_ref", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("amount_fen", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("used_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            "ix_approvals_hall_state", ["hall_id", "state", "requested_at"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_approvals_hall_id_halls"), "halls", ["hall_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_approvals_counter_id_counters"), "counters", ["counter_id"], ["id"]
        )

    with op.batch_alter_table("cash_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("counts_json", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("counted_card_fen", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("counted_qr_fen", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("difference_reason", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("approval_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_cash_sessions_approval_id_approvals"),
            "approvals",
            ["approval_id"],
            ["id"],
        )

    with op.batch_alter_table("queue_tickets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "rating",
                sa.Enum(
                    "very_satisfied",
                    "satisfied",
                    "neutral",
                    "dissatisfied",
                    "no_answer",
                    name="rating",
                    native_enum=False,
                    length=24,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column("rated_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("rating_note", sa.String(length=200), server_default="", nullable=False)
        )

    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )

    create_triggers(op.get_bind(), ALTERED)
    create_triggers(op.get_bind(), NEW)


def downgrade() -> None:
    drop_triggers(op.get_bind(), NEW)
    drop_triggers(op.get_bind(), ALTERED)
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")

    with op.batch_alter_table("queue_tickets", schema=None) as batch_op:
        batch_op.drop_column("rating_note")
        batch_op.drop_column("rated_at")
        batch_op.drop_column("rating")

    with op.batch_alter_table("cash_sessions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_cash_sessions_approval_id_approvals"), type_="foreignkey"
        )
        batch_op.drop_column("approval_id")
        batch_op.drop_column("difference_reason")
        batch_op.drop_column("counted_qr_fen")
        batch_op.drop_column("counted_card_fen")
        batch_op.drop_column("counts_json")

    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_approvals_counter_id_counters"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_approvals_hall_id_halls"), type_="foreignkey")
        batch_op.drop_index("ix_approvals_hall_state")
        batch_op.drop_column("used_at")
        batch_op.drop_column("amount_fen")
        batch_op.drop_column("subject_ref")
        batch_op.drop_column("customer_label")
        batch_op.drop_column("summary")
        batch_op.drop_column("request_reason")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("requested_at")
        batch_op.drop_column("inline")
        batch_op.drop_column("counter_id")
        batch_op.drop_column("hall_id")

    op.drop_table("z_reports")
    with op.batch_alter_table("cash_movements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cash_movements_cash_session_id"))

    op.drop_table("cash_movements")
    op.drop_table("hall_day_closes")
    create_triggers(op.get_bind(), ALTERED)

"""calendar days

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 10:50:00

The holiday calendar as data (working days, public holidays, make-up working days), one row a
day for each year it covers; maintained centrally and pulled by the counters like coverage.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hall_app.db.types
from hall_app.db.outbox import create_triggers, drop_triggers

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = hall_app.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("is_working_day", sa.Boolean(), nullable=False),
        sa.Column("holiday_name", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("central_at", TS, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_calendar_days"),
        sa.UniqueConstraint("day", name="uq_calendar_days_day"),
    )
    create_triggers(op.get_bind(), ("calendar_days",))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER trg_central_at_calendar_days BEFORE INSERT OR UPDATE ON "
            "calendar_days FOR EACH ROW EXECUTE FUNCTION hall_central_stamp()"
        )


def downgrade() -> None:
    drop_triggers(op.get_bind(), ("calendar_days",))
    op.drop_table("calendar_days")

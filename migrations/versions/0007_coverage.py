"""coverage areas

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 01:30:00

Broadband and landline coverage by residential community, maintained centrally and pulled by
the counters (stamped by the central clock like the rest of what they pull).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hall_app.db.types
from hall_app.db.outbox import create_triggers, drop_triggers

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = hall_app.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "coverage_areas",
        sa.Column("hall_id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("community", sa.String(length=64), nullable=False),
        sa.Column("technology", sa.String(length=16), nullable=False),
        sa.Column("max_down_mbps", sa.Integer(), nullable=False),
        sa.Column("landline", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("central_at", TS, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["hall_id"], ["halls.id"], name="fk_coverage_areas_hall_id_halls"),
        sa.PrimaryKeyConstraint("id", name="pk_coverage_areas"),
    )
    op.create_index(
        "ix_coverage_areas_hall_id_community", "coverage_areas", ["hall_id", "community"]
    )
    create_triggers(op.get_bind(), ("coverage_areas",))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER trg_central_at_coverage_areas BEFORE INSERT OR UPDATE ON "
            "coverage_areas FOR EACH ROW EXECUTE FUNCTION hall_central_stamp()"
        )


def downgrade() -> None:
    drop_triggers(op.get_bind(), ("coverage_areas",))
    op.drop_index("ix_coverage_areas_hall_id_community", table_name="coverage_areas")
    op.drop_table("coverage_areas")

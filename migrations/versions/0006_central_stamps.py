"""central clock stamps on the rows counters pull

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 01:00:00

The rows counters pull (what the central database owns, invoice segments, resource clashes)
get ``central_at``, stamped by a trigger on the central PostgreSQL with its own clock on every
insert and update. A pull's watermark reads it instead of ``updated_at``, which a counter's
clock may have written: a counter clock far behind can no longer hide a change from a pull.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hall_app.db.types
from hall_app.db.outbox import create_triggers, drop_triggers

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "halls", "counters", "service_types", "vat_categories", "products", "promotions",
    "pretty_tiers", "staff", "invoice_segments", "resource_clashes",
)  # fmt: skip
STAMP = """
CREATE OR REPLACE FUNCTION hall_central_stamp() RETURNS trigger AS $$
BEGIN
    NEW.central_at := clock_timestamp();
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    bind = op.get_bind()
    drop_triggers(bind, TABLES)  # batch mode may rebuild the tables on SQLite
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(
                sa.Column("central_at", hall_app.db.types.UTCDateTime(timezone=True))
            )
    create_triggers(bind, TABLES)
    if bind.dialect.name == "postgresql":
        op.execute(STAMP)
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER trg_central_at_{table} BEFORE INSERT OR UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION hall_central_stamp()"
            )
            op.execute(f"UPDATE {table} SET central_at = clock_timestamp()")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS trg_central_at_{table} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS hall_central_stamp()")
    drop_triggers(bind, TABLES)
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("central_at")
    create_triggers(bind, TABLES)

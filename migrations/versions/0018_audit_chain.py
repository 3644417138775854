"""audit chain

Each audit entry carries its counter's sequence number, the previous entry's hash and its own
SHA-256 (hall_app/services/audit_chain.py), so an entry altered, deleted, inserted or
reordered is found by ``hall-app audit verify``.

The audit log is append-only from here on:

- a counter queues a new audit entry for the push, never a change of one (its outbox
  trigger on UPDATE goes);
- the central database refuses every UPDATE and DELETE of audit_log (a trigger skips it) and
  records the attempt in ``audit_alerts`` for a supervisor, as it records there a counter
  pushing an entry it holds otherwise (hall_app/sync/push.py).

Entries recorded before this migration stay as they were (no seq, no hash): the chain begins
with the first entry recorded after it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 23:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hall_app.db.types
from hall_app.db.outbox import _trigger_sql

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION hall_audit_append_only() RETURNS trigger AS $$
BEGIN
    INSERT INTO audit_alerts (id, detected_at, kind, counter_id, entry_id, seq, detail)
    VALUES (
        gen_random_uuid(), now(),
        CASE TG_OP WHEN 'DELETE' THEN 'central_delete' ELSE 'central_update' END,
        OLD.counter_id, OLD.id, OLD.seq,
        CASE TG_OP WHEN 'DELETE'
            THEN '有人试图删除中心数据库中的审计记录（第 ' || coalesce(OLD.seq::text, '?')
                 || ' 条，' || OLD.action || '），已拒绝'
            ELSE '有人试图修改中心数据库中的审计记录（第 ' || coalesce(OLD.seq::text, '?')
                 || ' 条，' || OLD.action || '），已拒绝'
        END
    );
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("seq", sa.Integer(), nullable=True))
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_log", sa.Column("entry_hash", sa.String(length=64), nullable=True))
    op.create_index("ix_audit_log_chain", "audit_log", ["counter_id", "seq"], unique=False)
    op.create_table(
        "audit_alerts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("detected_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("counter_id", sa.Uuid(), nullable=True),
        sa.Column("entry_id", sa.Uuid(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("acknowledged_at", hall_app.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["staff.id"],
            name=op.f("fk_audit_alerts_acknowledged_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_alerts")),
    )
    op.create_index("ix_audit_alerts_open", "audit_alerts", ["acknowledged_at"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS trg_outbox_update_audit_log")
    elif bind.dialect.name == "postgresql":
        op.execute(APPEND_ONLY)
        op.execute(
            "CREATE TRIGGER trg_audit_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION hall_audit_append_only()"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(_trigger_sql("audit_log", "UPDATE"))
    elif bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS trg_audit_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS hall_audit_append_only()")
    op.drop_index("ix_audit_alerts_open", table_name="audit_alerts")
    op.drop_table("audit_alerts")
    op.drop_index("ix_audit_log_chain", table_name="audit_log")
    op.drop_column("audit_log", "entry_hash")
    op.drop_column("audit_log", "prev_hash")
    op.drop_column("audit_log", "seq")

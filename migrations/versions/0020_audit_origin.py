"""audit entries without a window keep the counter that pushed them

Each counter's database numbers its entries without a window (the system's, a sign-in with
no window) in a chain of its own. The central database received every counter's such entries
into one "no window" chain, where two windows' entries of the same number looked like an
insertion to ``hall-app audit verify --central``. ``origin_counter_id`` is filled by the push
(the pushing counter, for entries with no window; NULL at the counters and for entries the
central database writes itself) and is not hashed; the chains are keyed by (counter_id,
origin_counter_id). Counters started from a copy of another's file share the start of its
chain: verify follows such a branch from the entry it continues.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("origin_counter_id", sa.Uuid(), nullable=True))
    op.drop_index("ix_audit_log_chain", table_name="audit_log")
    op.create_index(
        "ix_audit_log_chain", "audit_log", ["counter_id", "origin_counter_id", "seq"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_audit_log_chain", table_name="audit_log")
    op.create_index("ix_audit_log_chain", "audit_log", ["counter_id", "seq"], unique=False)
    op.drop_column("audit_log", "origin_counter_id")

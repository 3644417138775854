"""audit chain

Each audit entry carries its counter's sequence number, the previous entry's hash and its own
SHA-256 (hall_app/services/audit_chain.py), so an entry altered, deleted, inserted or
reordered is found by ``hall-app audit verify``.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 23:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("seq", sa.Integer(), nullable=True))
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_log", sa.Column("entry_hash", sa.String(length=64), nullable=True))
    op.create_index("ix_audit_log_chain", "audit_log", ["counter_id", "seq"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_log_chain", table_name="audit_log")
    op.drop_column("audit_log", "entry_hash")
    op.drop_column("audit_log", "prev_hash")
    op.drop_column("audit_log", "seq")

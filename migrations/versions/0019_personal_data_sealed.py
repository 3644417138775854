"""personal data sealed

Names, ID numbers, phones and addresses of customers, proxies, install contacts, install
addresses and invoice buyers are sealed
with AES-GCM bound to their row (hall_app/db/crypto.py); the customers' lookups go through
blind indexes (hall_app/db/blind.py) and the plaintext ``name_initials`` goes. Existing rows
are sealed in place in batches (hall_app/db/sealing.py), each committed, so a run killed in
the middle goes on where it stopped. Needs the hall's data keys installed.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 23:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hall_app.db import blind, sealing
from hall_app.db.crypto import sealed_length
from hall_app.db.outbox import create_triggers, drop_triggers

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each sealed column's plaintext length (as before this revision) and whether it is nullable.
LENGTHS: dict[str, dict[str, tuple[int, bool]]] = {
    "customers": {
        "name": (64, False),
        "id_number": (32, True),
        "address": (200, False),
        "contact_phone": (20, True),
        "alt_phone": (20, True),
        "contact_person": (32, True),
    },
    "orders": {"proxy_name": (32, True), "proxy_id_number": (32, True)},
    "work_orders": {
        "address": (200, False),
        "from_address": (200, True),
        "contact_name": (32, False),
        "contact_phone": (20, False),
    },
    "demand_registrations": {
        "address": (200, False),
        "contact_name": (32, False),
        "contact_phone": (20, False),
    },
    "subscriptions": {"address": (200, False)},
    "invoices": {"buyer_name": (100, False)},
}
TABLES = tuple(LENGTHS)
_SEARCH_TEXT = sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql")
_LOOKUP_INDEXES = (
    ("ix_customers_contact_phone_bidx", "contact_phone_bidx"),
    ("ix_customers_alt_phone_bidx", "alt_phone_bidx"),
    *((f"ix_customers_{c}", c) for c in (*blind.NAME_COLUMNS, *blind.INITIALS_COLUMNS)),
)


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def _indexes(table: str) -> set[str]:
    return {str(i["name"]) for i in sa.inspect(op.get_bind()).get_indexes(table)}


def upgrade() -> None:
    bind = op.get_bind()
    drop_triggers(bind, TABLES)  # batch mode rebuilds these tables on SQLite
    # The schema first, unless a run killed while sealing has already changed it.
    if "name_p1" not in _columns("customers"):
        with op.batch_alter_table("customers", schema=None) as batch_op:
            batch_op.drop_index("ix_customers_name_search")
            batch_op.drop_index("ix_customers_name_initials")
            batch_op.drop_index("ix_customers_contact_phone")
            batch_op.drop_index("ix_customers_alt_phone")
            batch_op.drop_constraint("uq_customers_id_number_id_doc_type", type_="unique")
            batch_op.drop_column("name_initials")
            for column in blind.INDEX_COLUMNS:
                batch_op.add_column(sa.Column(column, sa.String(length=32), nullable=True))
            for column, (length, nullable) in LENGTHS["customers"].items():
                batch_op.alter_column(
                    column,
                    existing_type=_SEARCH_TEXT if column == "name" else sa.String(length=length),
                    type_=sa.String(length=sealed_length(length)),
                    existing_nullable=nullable,
                )
            batch_op.create_unique_constraint(
                "uq_customers_id_number_bidx_id_doc_type", ["id_number_bidx", "id_doc_type"]
            )
        for table in TABLES[1:]:
            with op.batch_alter_table(table, schema=None) as batch_op:
                for column, (length, nullable) in LENGTHS[table].items():
                    batch_op.alter_column(
                        column,
                        existing_type=sa.String(length=length),
                        type_=sa.String(length=sealed_length(length)),
                        existing_nullable=nullable,
                    )
    # Then the data, batch by batch, each committed (resumable), then the lookup indexes
    # (built once over the filled columns, faster than kept through every batch).
    sealing.commit_and_run(op.get_context(), sealing.seal_all)
    existing = _indexes("customers")
    with op.batch_alter_table("customers", schema=None, recreate="never") as batch_op:
        for index, column in _LOOKUP_INDEXES:
            if index not in existing:
                batch_op.create_index(index, [column], unique=False)
    create_triggers(bind, TABLES)


def downgrade() -> None:
    bind = op.get_bind()
    drop_triggers(bind, TABLES)
    if "name_initials" not in _columns("customers"):
        with op.batch_alter_table("customers", schema=None, recreate="never") as batch_op:
            batch_op.add_column(sa.Column("name_initials", _SEARCH_TEXT, nullable=True))
    sealing.commit_and_run(op.get_context(), sealing.open_all)
    with op.batch_alter_table("customers", schema=None) as batch_op:
        for index, _column in _LOOKUP_INDEXES:
            batch_op.drop_index(index)
        batch_op.drop_constraint("uq_customers_id_number_bidx_id_doc_type", type_="unique")
        for column in blind.INDEX_COLUMNS:
            batch_op.drop_column(column)
        for column, (length, nullable) in LENGTHS["customers"].items():
            batch_op.alter_column(
                column,
                existing_type=sa.String(length=sealed_length(length)),
                type_=_SEARCH_TEXT if column == "name" else sa.String(length=length),
                existing_nullable=nullable,
            )
        batch_op.alter_column("name_initials", existing_type=_SEARCH_TEXT, nullable=False)
        batch_op.create_unique_constraint(
            "uq_customers_id_number_id_doc_type", ["id_number", "id_doc_type"]
        )
        batch_op.create_index("ix_customers_alt_phone", ["alt_phone"], unique=False)
        batch_op.create_index("ix_customers_contact_phone", ["contact_phone"], unique=False)
        batch_op.create_index("ix_customers_name_initials", ["name_initials"], unique=False)
        batch_op.create_index("ix_customers_name_search", ["name"], unique=False)
    for table in TABLES[1:]:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, (length, nullable) in LENGTHS[table].items():
                batch_op.alter_column(
                    column,
                    existing_type=sa.String(length=sealed_length(length)),
                    type_=sa.String(length=length),
                    existing_nullable=nullable,
                )
    create_triggers(bind, TABLES)

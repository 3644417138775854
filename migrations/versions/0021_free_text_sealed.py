"""free text sealed

The text a clerk types (a customer's or an order's notes, an approval's reasons, a till's
difference reason and cash movements' reasons, a reprint's reason, an invoice's remarks, a
work order's status reason, a demand's note, a service ticket's description and resolution, a
sync clash's resolution, a rating's note) is sealed like the personal data of 0019
(hall_app/db/crypto.py): a phone, an ID number or a name written into a note is never in the
database file's plaintext. An empty value stays empty. Existing rows are sealed in place in
batches (hall_app/db/sealing.py ``FREE_TEXT``), each committed, so a run killed in the middle
goes on where it stopped. Needs the hall's data keys installed.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 18:40:00.000000
"""

from collections.abc import Sequence
from functools import partial

import sqlalchemy as sa
from alembic import op

from hall_app.db import sealing
from hall_app.db.crypto import sealed_length
from hall_app.db.outbox import create_triggers, drop_triggers, synced_tables

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each column's type before this revision, the longest plaintext it takes from now on, and
# whether it is nullable.
COLUMNS: dict[str, dict[str, tuple[sa.types.TypeEngine[str], int, bool]]] = {
    "customers": {"notes": (sa.String(500), 500, False)},
    "orders": {"notes": (sa.String(500), 500, False)},
    "approvals": {
        "reason": (sa.String(500), 500, False),
        "request_reason": (sa.String(200), 200, False),
    },
    "cash_sessions": {"difference_reason": (sa.String(200), 200, False)},
    "cash_movements": {"reason": (sa.String(200), 200, False)},
    "print_records": {"reason": (sa.String(200), 200, False)},
    "invoices": {"remarks": (sa.String(200), 200, False)},
    "work_orders": {"status_reason": (sa.String(200), 200, False)},
    "demand_registrations": {"note": (sa.String(200), 200, False)},
    "service_tickets": {
        "description": (sa.Text(), 1000, False),
        "resolution": (sa.Text(), 1000, False),
    },
    "resource_clashes": {"resolution": (sa.Text(), 500, True)},
    "queue_tickets": {"rating_note": (sa.String(200), 200, False)},
}
assert {t: tuple(c) for t, c in COLUMNS.items()} == sealing.FREE_TEXT


def _triggered(bind: sa.Connection) -> list[str]:
    """The tables among ours whose changes a counter's outbox queues (SQLite only). A fixed
    list, not the triggers found: a run killed while sealing has dropped them already, and
    the run after it must put them back."""
    if bind.dialect.name != "sqlite":
        return []
    synced = set(synced_tables())
    return [t for t in COLUMNS if t in synced]


def _too_long(bind: sa.Connection) -> None:
    """A value longer than its column's new plaintext limit (the service tickets' texts had
    none) would not fit the sealed width on PostgreSQL: refused before anything changes."""
    for table, columns in COLUMNS.items():
        for name, (_old, plain, _nullable) in columns.items():
            longest = bind.execute(
                sa.text(f"SELECT max(length({name})) FROM {table} WHERE {name} NOT LIKE 'e1.%'")
            ).scalar()
            if longest is not None and longest > plain:
                raise RuntimeError(
                    f"{table}.{name} 有超过 {plain} 字的内容（最长 {longest} 字），加密后放不下："
                    "请先缩短这些记录再升级"
                )


def _widths(table: str) -> dict[str, int | None]:
    return {
        c["name"]: getattr(c["type"], "length", None)
        for c in sa.inspect(op.get_bind()).get_columns(table)
    }


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # What the rebuilt tables and the sealed cells leave free is zeroed, so the old
        # plaintext does not linger in the file's free pages.
        bind.exec_driver_sql("PRAGMA secure_delete=ON")
    _too_long(bind)
    triggered = _triggered(bind)
    drop_triggers(bind, triggered)  # batch mode rebuilds these tables on SQLite
    for table, columns in COLUMNS.items():
        widths = _widths(table)
        todo = {  # a run killed while sealing has widened these already
            name: spec
            for name, spec in columns.items()
            if widths.get(name) != sealed_length(spec[1])
        }
        if not todo:
            continue
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, (old, plain, nullable) in todo.items():
                batch_op.alter_column(
                    name,
                    existing_type=old,
                    type_=sa.String(length=sealed_length(plain)),
                    existing_nullable=nullable,
                )
    seal = partial(sealing.seal_all, tables=sealing.FREE_TEXT, customer_indexes=False)
    sealing.commit_and_run(op.get_context(), seal)
    create_triggers(bind, triggered)


def downgrade() -> None:
    bind = op.get_bind()
    triggered = _triggered(bind)
    drop_triggers(bind, triggered)
    plain = partial(sealing.open_all, tables=sealing.FREE_TEXT, customer_initials=False)
    sealing.commit_and_run(op.get_context(), plain)
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, (old, length, nullable) in columns.items():
                batch_op.alter_column(
                    name,
                    existing_type=sa.String(length=sealed_length(length)),
                    type_=old,
                    existing_nullable=nullable,
                )
    create_triggers(bind, triggered)

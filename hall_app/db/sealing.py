"""Seal (or open) a database's personal data in place, in batches: migrations 0019 (``SEALED``)
and 0021 (``FREE_TEXT``) and their downgrades.

Each batch is its own transaction, so a run killed in the middle keeps what it sealed and the
next run goes on: a value already in the ``e1.`` form is recognised and left alone, a
customer whose blind indexes are filled is skipped. A tqdm bar shows the progress.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from tqdm import tqdm

from hall_app.db import blind, crypto
from hall_app.domain.pinyin import name_initials

# The sealed columns of each table (migration 0019), as the models declare them.
SEALED: dict[str, tuple[str, ...]] = {
    "customers": ("name", "id_number", "address", "contact_phone", "alt_phone", "contact_person"),
    "orders": ("proxy_name", "proxy_id_number"),
    "work_orders": ("address", "from_address", "contact_name", "contact_phone"),
    "demand_registrations": ("address", "contact_name", "contact_phone"),
    "subscriptions": ("address",),
    "invoices": ("buyer_name",),
}
# The free text a clerk types, sealed too (migration 0021): a phone, an ID number or a name
# written into a note stays out of the database file's plaintext.
FREE_TEXT: dict[str, tuple[str, ...]] = {
    "customers": ("notes",),
    "orders": ("notes",),
    "approvals": ("reason", "request_reason"),
    "cash_sessions": ("difference_reason",),
    "cash_movements": ("reason",),
    "print_records": ("reason",),
    "invoices": ("remarks",),
    "work_orders": ("status_reason",),
    "demand_registrations": ("note",),
    "service_tickets": ("description", "resolution"),
    "resource_clashes": ("resolution",),
    "queue_tickets": ("rating_note",),
}
BATCH = 5000
# Called after each committed batch with the table and the rows done so far (a test stops a
# run there, as a kill would).
on_batch: Callable[[str, int], None] | None = None


def _sealed(value: str | None) -> bool:
    """Sealed already, or nothing to seal (empty is stored empty). Typed text that merely
    starts with "e1." is not sealed."""
    return value is not None and (value == "" or crypto.looks_sealed(value))


def _table(name: str, columns: Sequence[str]) -> sa.TableClause:
    return sa.table(name, sa.column("id", sa.Uuid()), *(sa.column(c, sa.String()) for c in columns))


def _batches(conn: Connection, name: str, columns: Sequence[str], desc: str) -> Any:
    """Yield batches of rows (id first) in id order, each in its own transaction, committed
    once the caller has handled it. In autocommit mode (alembic's ``autocommit_block``) the
    transactions are begun and committed here explicitly."""
    explicit = conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
    table = _table(name, columns)
    total = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    done = 0
    last: uuid.UUID | None = None
    with tqdm(total=total, desc=desc, unit="行", disable=total < BATCH) as bar:
        while True:
            query = sa.select(table).order_by(table.c.id).limit(BATCH)
            if last is not None:
                query = query.where(table.c.id > last)
            if explicit:
                conn.exec_driver_sql("BEGIN")
            rows = conn.execute(query).all()
            if not rows:
                _commit(conn, explicit)
                return
            yield table, rows
            _commit(conn, explicit)
            done += len(rows)
            bar.update(len(rows))
            last = rows[-1][0]
            if on_batch is not None:
                on_batch(name, done)


def _commit(conn: Connection, explicit: bool) -> None:
    if explicit:
        conn.exec_driver_sql("COMMIT")
    else:
        conn.commit()


def commit_and_run(context: Any, work: Callable[[Connection], None]) -> None:
    """Run ``work`` from a migration with the migration's changes so far committed, and each
    batch its own transaction: alembic's own transaction (PostgreSQL) is left for an
    autocommit block; the connection's (SQLite, begun by env.py) is committed."""
    if getattr(context, "_transaction", None) is not None:
        with context.autocommit_block():
            work(context.connection)
    else:
        context.connection.commit()
        work(context.connection)


def seal_all(
    conn: Connection,
    tables: dict[str, tuple[str, ...]] = SEALED,
    *,
    customer_indexes: bool = True,
) -> None:
    """Seal every value of ``tables`` still in plaintext and (``customer_indexes``) fill the
    customers' blind indexes. ``conn`` is outside any migration transaction (each batch
    commits)."""
    for name, columns in tables.items():
        extra = (*blind.INDEX_COLUMNS,) if name == "customers" and customer_indexes else ()
        for table, rows in _batches(conn, name, (*columns, *extra), f"加密 {name}"):
            updates = []
            for row in rows:
                values = row._mapping
                if all(values[c] is None or _sealed(values[c]) for c in columns) and not (
                    extra and values["name_p1"] is None
                ):
                    continue  # sealed and indexed already (a run killed before went past it)
                row_id = values["id"]
                change: dict[str, Any] = {}
                plain: dict[str, str | None] = {}
                for column in columns:
                    value = values[column]
                    aad = crypto.aad_for(name, column, row_id)
                    if value is None or _sealed(value):
                        plain[column] = None if value is None else crypto.active().open(value, aad)
                    else:
                        plain[column] = value
                        change[column] = crypto.active().seal(value, aad)
                if extra and (change or values["name_p1"] is None):
                    change.update(
                        blind.customer_indexes(
                            plain["name"],
                            plain["id_number"],
                            plain["contact_phone"],
                            plain["alt_phone"],
                        )
                    )
                if change:
                    updates.append({"row_id": row_id, **{f"v_{k}": v for k, v in change.items()}})
            _update(conn, table, updates)


def open_all(
    conn: Connection,
    tables: dict[str, tuple[str, ...]] = SEALED,
    *,
    customer_initials: bool = True,
) -> None:
    """The reverse (the downgrade): every sealed value of ``tables`` back to plaintext, and
    (``customer_initials``) the customers' plaintext ``name_initials`` (a column the downgrade
    has just added) filled."""
    for name, columns in tables.items():
        extra = ("name_initials",) if name == "customers" and customer_initials else ()
        for table, rows in _batches(conn, name, (*columns, *extra), f"解密 {name}"):
            updates = []
            for row in rows:
                values = row._mapping
                change: dict[str, Any] = {}
                for column in columns:
                    value = values[column]
                    if value and _sealed(value):
                        change[column] = crypto.active().open(
                            value, crypto.aad_for(name, column, values["id"])
                        )
                if extra and (change or not values["name_initials"]):
                    opened = change.get("name", values["name"])
                    change["name_initials"] = name_initials(opened or "")
                if change:
                    updates.append(
                        {"row_id": values["id"], **{f"v_{k}": v for k, v in change.items()}}
                    )
            _update(conn, table, updates)


def _update(conn: Connection, table: sa.TableClause, updates: list[dict[str, Any]]) -> None:
    """Each row's changed columns (grouped by which columns change, for executemany)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for update in updates:
        groups.setdefault(tuple(sorted(k for k in update if k != "row_id")), []).append(update)
    for keys, rows in groups.items():
        stmt = (
            sa.update(table)
            .where(table.c.id == sa.bindparam("row_id"))
            .values({k[2:]: sa.bindparam(k) for k in keys})
        )
        conn.execute(stmt, rows)

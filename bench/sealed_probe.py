"""Probes of sealed personal data (issue 15 §1): exact phone / ID lookups through the blind
indexes, name and pinyin-initials search, and opening a customer record (decryption included).

Each runs the service as the counter does and, beside it, the same blind-index SQL on a raw
sqlite3 connection (the baseline: what the lookup costs without the app around it).
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from hall_app.db import blind, crypto

# The same lookups as CustomerService.search_customers, by hand, on raw sqlite3.
_COLUMNS = "id, kind, name, id_doc_type, id_number, uscc, contact_phone, address, is_vip"
RAW_SQL = {
    "phone": (
        f"SELECT {_COLUMNS} FROM customers WHERE contact_phone_bidx = ?1 OR alt_phone_bidx = ?1 "
        "OR id IN (SELECT customer_id FROM subscriptions WHERE service_number = ?2) LIMIT 51"
    ),
    "id": f"SELECT {_COLUMNS} FROM customers WHERE id_number_bidx = ?1 OR uscc = ?2 LIMIT 51",
}


def install_keys() -> None:
    """The hall's data keys in this process: as the app installs them (``HALL_KEY_FILE``),
    unless some are installed already."""
    if crypto.installed() is not None:
        return
    path = os.environ.get("HALL_KEY_FILE")
    if not path:
        raise SystemExit("HALL_KEY_FILE is not set: the probes need the database's data keys")
    from hall_app import keyfile

    crypto.install(keyfile.load_keys(Path(path), create=False))


def _stats(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return {"median_ms": round(ordered[len(ordered) // 2], 3), "p95_ms": round(p95, 3)}


def sealed_queries(db: str, n: int) -> dict[str, list[Any]]:
    """Queries a clerk would type, spread over the whole table (deterministic), read opened
    through the ORM: the customers' columns are sealed."""
    from sqlalchemy import literal_column, select
    from sqlalchemy.orm import Session

    from hall_app.db.engine import make_engine
    from hall_app.db.models import Customer, Subscription
    from hall_app.domain.enums import CustomerKind, SubscriptionKind
    from hall_app.domain.pinyin import name_initials

    engine = make_engine(db)
    rowid = literal_column("customers.rowid")
    with Session(engine) as s:
        total = s.scalar(select(literal_column("max(rowid)")).select_from(Customer)) or 1
        step = max(1, total // n)
        people = list(
            s.scalars(
                select(Customer)
                .where(Customer.kind == CustomerKind.INDIVIDUAL, rowid % step == 0)
                .limit(n)
            )
        )
        phones = list(
            s.scalars(
                select(Subscription.service_number)
                .where(
                    Subscription.kind == SubscriptionKind.MOBILE,
                    literal_column("subscriptions.rowid") % step == 0,
                )
                .limit(n)
            )
        )
    engine.dispose()
    return {
        "phone": phones,
        "id": [c.id_number for c in people if c.id_number],
        "name": [c.name[:2] for c in people],
        "pinyin": [name_initials(c.name)[:3] for c in people],
        "record": [c.id for c in people],
    }


def probe_sealed(db: str, n: int) -> dict[str, Any]:
    from hall_app.app import build_app
    from hall_app.config import Settings

    install_keys()
    queries = sealed_queries(db, n)
    hall = build_app(Settings.load(db_url=db))
    clerk = hall.auth.log_in("clerk1", "hall1234")
    supervisor = hall.auth.log_in("super1", "hall1234")
    raw = sqlite3.connect(db.removeprefix("sqlite:///"))
    out: dict[str, Any] = {}
    try:
        for kind in ("phone", "id", "name", "pinyin"):
            app_ms: list[float] = []
            raw_ms: list[float] = []
            qs = queries[kind]
            hall.customers.search_customers(clerk, qs[0])  # warm
            for q in qs:
                t = time.perf_counter()
                result = hall.customers.search_customers(clerk, q)
                app_ms.append((time.perf_counter() - t) * 1000)
                if not result.rows:
                    raise SystemExit(f"no result for {kind} {q!r}")
                if kind in RAW_SQL:
                    index = (blind.phone_index if kind == "phone" else blind.id_index)(q)
                    t = time.perf_counter()
                    for row in raw.execute(RAW_SQL[kind], (index, q)).fetchall():
                        _open_raw(row)
                    raw_ms.append((time.perf_counter() - t) * 1000)
            out[kind] = {
                "app": _stats(app_ms),
                "raw": _stats(raw_ms) if raw_ms else None,
                "n": len(qs),
            }
        # Opening a record: the clerk's (masked) and the supervisor's (unmasked, audited).
        for who, actor in (("record", clerk), ("record_unmasked", supervisor)):
            ms: list[float] = []
            hall.customers.get_customer_record(actor, queries["record"][0])
            for cid in queries["record"]:
                t = time.perf_counter()
                hall.customers.get_customer_record(actor, cid)
                ms.append((time.perf_counter() - t) * 1000)
            out[who] = {"app": _stats(ms), "raw": None, "n": len(ms)}
    finally:
        raw.close()
        hall.close()
    return {"kinds": out}


def _open_raw(row: tuple[Any, ...]) -> None:
    """Open a raw row's sealed columns as the service does (the baseline includes it)."""
    import uuid

    row_id = uuid.UUID(row[0])
    for column, value in (("name", row[2]), ("id_number", row[4]), ("contact_phone", row[6])):
        if value is not None:
            crypto.open_value(crypto.Stored(value), "customers", column, row_id)
    if row[7] is not None:
        crypto.open_value(crypto.Stored(row[7]), "customers", "address", row_id)

"""No ID number or phone of a customer in plaintext: not in a fresh demo database's file (nor
its WAL), not in the log (SQL included), not in an exported report. The phones the carrier
gave its own subscribers are service numbers (its resources, stored as such) and are left out
of the check; every other phone is one."""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from hall_app.app import build_app
from hall_app.cli import main
from hall_app.config import Settings
from hall_app.db.engine import make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import Invoice, PhoneNumber, Staff, Subscription
from hall_app.demo.builder import DemoBuilder
from hall_app.demo.reference import DEMO_PASSWORD
from tests.conftest import DEMO_TODAY, FakeClock
from tests.people import people


@pytest.fixture
def logged(tmp_path: Path) -> Iterator[Path]:
    """Everything logged meanwhile, SQL statements included, into a file."""
    path = tmp_path / "hall.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    root, sql = logging.getLogger(), logging.getLogger("sqlalchemy.engine")
    levels = root.level, sql.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    sql.setLevel(logging.INFO)
    yield path
    root.removeHandler(handler)
    handler.close()
    root.setLevel(levels[0])
    sql.setLevel(levels[1])


def _bytes(path: Path) -> bytes:
    return b"".join(
        p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists()
    )


def test_no_id_number_or_phone_in_plaintext_anywhere(
    tmp_path: Path, logged: Path, clock: FakeClock
) -> None:
    db = tmp_path / "hall.sqlite3"
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    DemoBuilder(engine, seed=7, today=DEMO_TODAY, chunk=200, workers=1).build(300, 2)
    engine.dispose()
    hall = build_app(Settings.load(env={}, db_url=url), clock=clock)
    try:
        everyone = people(hall)
        with hall.db.read() as s:
            carrier = set(s.scalars(select(Subscription.service_number))) | set(
                s.scalars(select(PhoneNumber.number))
            )
            buyers = s.scalar(select(Invoice.buyer_name).limit(1))
            staff = set(s.scalars(select(Staff.full_name)))
        numbers = {c.id_number for c in everyone if c.id_number}
        phones = {p for c in everyone for p in (c.contact_phone, c.alt_phone) if p} - carrier
        names = {c.name for c in everyone if len(c.name) >= 2}
        assert len(numbers) > 200 and len(phones) > 20 and len(names) > 200
        assert buyers is not None and buyers.startswith("e1.")  # Core reads the sealed form
        # The clerk's everyday work, logged: searches, a record opened unmasked.
        supervisor = hall.auth.log_in("super1", DEMO_PASSWORD)
        someone = next(c for c in everyone if c.id_number and c.contact_phone not in carrier)
        assert hall.customers.search_customers(supervisor, someone.id_number or "").rows
        assert hall.customers.search_customers(supervisor, someone.contact_phone or "").rows
        assert hall.customers.search_customers(supervisor, someone.name[:2]).rows
        assert hall.customers.get_customer_record(supervisor, someone.id).sensitive_shown
    finally:
        hall.close()
    report = tmp_path / "daily.xlsx"
    argv = ["--db", url, "report", "daily", "--date", "2026-11-23", "--out", str(report)]
    assert main(argv) == 0
    with zipfile.ZipFile(report) as xlsx:
        exported = b"".join(xlsx.read(name) for name in xlsx.namelist())
    stored, log = _bytes(db), logged.read_bytes()
    assert b"SELECT" in log  # SQL was logged, with its parameters hidden
    for where, data in (("database", stored), ("log", log), ("report", exported)):
        leaked = [v for v in (*numbers, *phones) if v.encode() in data]
        assert leaked == [], f"{where}: {len(leaked)} in plaintext, e.g. {leaked[:1]}"
    # Names too, in the database (a member of staff may share a customer's name).
    leaked = [n for n in names - staff if n.encode() in stored]
    assert leaked == []

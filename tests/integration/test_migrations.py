"""Alembic owns the schema: it upgrades an empty database, matches the models (alembic check),
and downgrades cleanly, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from hall_app.db.engine import make_engine
from hall_app.db.migrate import (
    HEAD_REVISION,
    alembic_config,
    current_revision,
    head_revision,
    upgrade_to_head,
)
from hall_app.db.models import AuditEntry, Base

EXPECTED_TABLES = {
    "halls",
    "counters",
    "service_types",
    "counter_service_types",
    "staff",
    "queue_tickets",
    "customers",
    "vat_categories",
    "products",
    "promotions",
    "pretty_tiers",
    "number_pool",
    "resource_clashes",
    "coverage_areas",
    "calendar_days",
    "sim_cards",
    "devices",
    "handset_offers",
    "credit_assessments",
    "handset_commitments",
    "subscriptions",
    "sync_outbox",
    "sync_state",
    "subscription_addons",
    "orders",
    "order_lines",
    "approvals",
    "cash_movements",
    "z_reports",
    "hall_day_closes",
    "work_orders",
    "install_slots",
    "installer_teams",
    "team_areas",
    "landline_numbers",
    "equipment",
    "fusion_bundles",
    "demand_registrations",
    "installment_contracts",
    "instalments",
    "cash_sessions",
    "payments",
    "invoice_segments",
    "invoices",
    "invoice_lines",
    "print_records",
    "service_tickets",
    "audit_log",
    "audit_alerts",
    "bills",
    "balance_movements",
    "bill_items",
    "bill_settlements",
    "top_up_offers",
    "port_auth_codes",
    "ownership_transfers",
}


def _roundtrip(url: str) -> None:
    engine = make_engine(url)
    try:
        assert upgrade_to_head(engine) is True
        assert current_revision(engine) == head_revision()
        assert upgrade_to_head(engine) is False  # already current: nothing to do at start
        tables = set(inspect(engine).get_table_names())
        assert tables >= EXPECTED_TABLES
        assert set(Base.metadata.tables) == EXPECTED_TABLES
        command.check(alembic_config(engine))  # raises if models and migrations drift
        # Timestamps come back timezone-aware and equal, whatever zone they went in with.
        shanghai = timezone(timedelta(hours=8))
        at = datetime(2026, 11, 24, 9, 30, 15, 123456, tzinfo=shanghai)
        with Session(engine) as s:
            entry = AuditEntry(at=at, actor_name="t", action="test", entity="x", entity_id="1")
            s.add(entry)
            s.commit()
            key = entry.id
        with Session(engine) as s:
            loaded = s.scalars(select(AuditEntry).where(AuditEntry.id == key)).one()
            assert isinstance(loaded.id, uuid.UUID)
            assert loaded.at.tzinfo is not None
            assert loaded.at == at
            assert loaded.at.utcoffset() == timedelta(0)
            assert loaded.created_at.tzinfo is not None
        command.downgrade(alembic_config(engine), "base")
        assert not (EXPECTED_TABLES & set(inspect(engine).get_table_names()))
        command.upgrade(alembic_config(engine), "head")
        assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES
    finally:
        engine.dispose()


def test_migrations_on_sqlite(tmp_path: Path) -> None:
    _roundtrip(f"sqlite:///{tmp_path / 'm.sqlite3'}")


@pytest.mark.postgres
def test_migrations_on_postgres(pg_url: str) -> None:
    _roundtrip(pg_url)


def test_head_constant_matches_alembic() -> None:
    # The app skips importing Alembic when the database is at HEAD_REVISION: a new migration
    # must move this constant too.
    assert head_revision() == HEAD_REVISION


def test_naive_timestamps_are_refused(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'n.sqlite3'}")
    upgrade_to_head(engine)
    with Session(engine) as s:
        s.add(AuditEntry(at=datetime(2026, 1, 1), actor_name="t", action="a", entity="x"))
        with pytest.raises(Exception, match="naive datetime"):
            s.commit()
    engine.dispose()


def test_naming_convention_names_constraints() -> None:
    customers = Base.metadata.tables["customers"]
    names = {c.name for c in customers.constraints}
    assert "pk_customers" in names
    assert "fk_customers_guardian_id_customers" in names
    assert "uq_number_pool_number" in {
        c.name for c in Base.metadata.tables["number_pool"].constraints
    }
    assert "uq_customers_id_number_bidx_id_doc_type" in names  # one customer per ID document


def test_the_counter_queues_every_change_of_a_synced_table(tmp_path: Path) -> None:
    """Migration 0002's triggers: an insert and an update of a synced table are queued once,
    in the same transaction; a rolled-back change queues nothing."""
    from sqlalchemy import select, update

    from hall_app.db.engine import Database
    from hall_app.db.models import ServiceType, SyncOutbox
    from hall_app.db.outbox import synced_tables

    engine = make_engine(f"sqlite:///{tmp_path / 'q.sqlite3'}")
    upgrade_to_head(engine)
    db = Database(engine)
    try:
        with db.unit_of_work() as s:
            kind = ServiceType(code="x", name="测试", letter="X", sort_order=9, target_minutes=5)
            s.add(kind)
        with db.unit_of_work() as s:
            s.execute(update(ServiceType).where(ServiceType.code == "x").values(name="改"))
        try:
            with db.unit_of_work() as s:
                s.execute(update(ServiceType).values(name="不会保存"))
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        with db.read() as s:
            queued = s.execute(select(SyncOutbox.table_name, SyncOutbox.row_id)).all()
        assert queued == [("service_types", kind.id)]
        with engine.connect() as conn:
            triggers = set(
                conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='trigger'")
                .scalars()
                .all()
            )
        # Every synced table queues its inserts and updates; the audit log only its inserts.
        assert len(triggers) == 2 * len(synced_tables()) - 1
        assert "trg_outbox_insert_audit_log" in triggers
        assert "trg_outbox_update_audit_log" not in triggers
    finally:
        db.dispose()


def test_downgrade_and_upgrade_a_counter_database_with_data(
    demo_template: Path, tmp_path: Path
) -> None:
    """Rebuilding tables that other rows refer to (batch mode on SQLite) works on a database
    full of data, and the outbox triggers come back with the tables."""
    path = tmp_path / "counter.sqlite3"
    shutil.copyfile(demo_template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:

        def triggers() -> int:
            with engine.connect() as conn:
                return conn.execute(
                    text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
                ).scalar_one()

        def customers() -> int:
            with engine.connect() as conn:
                return conn.execute(text("SELECT count(*) FROM customers")).scalar_one()

        before, people = triggers(), customers()
        command.downgrade(alembic_config(engine), "0004")
        assert current_revision(engine) == "0004"
        command.upgrade(alembic_config(engine), "head")
        assert current_revision(engine) == head_revision()
        assert triggers() == before and customers() == people
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    finally:
        engine.dispose()


def test_a_downgrade_below_the_fixed_line_revision_leaves_rows_the_older_code_reads(
    demo_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "counter.sqlite3"
    shutil.copyfile(demo_template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert conn.execute(
                text("SELECT count(*) FROM products WHERE kind = 'equipment'")
            ).scalar_one()
        command.downgrade(alembic_config(engine), "0009")
        with engine.connect() as conn:
            kinds = set(conn.execute(text("SELECT DISTINCT kind FROM products")).scalars())
            assert "equipment" not in kinds
            assert (
                conn.execute(
                    text(
                        "SELECT count(*) FROM sync_outbox WHERE table_name IN "
                        "('work_orders', 'equipment', 'install_slots', 'landline_numbers')"
                    )
                ).scalar_one()
                == 0
            )
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        command.upgrade(alembic_config(engine), "head")
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()

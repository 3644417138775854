"""Migration 0021 seals the free text a clerk types (notes, reasons, descriptions): a phone, an
ID number or a name written into one is not in the database file afterwards, the app reads it
back as typed, and a run killed in the middle goes on where it stopped."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from hall_app.db import crypto, sealing
from hall_app.db.engine import make_engine
from hall_app.db.migrate import HEAD_REVISION, alembic_config, current_revision
from hall_app.db.models import Base

PHONE = "19988887777"
ID_NUMBER = "110101199003074514"
NAME = "欧阳测试"
NOTE = f"客户另留联系人{NAME}，电话 {PHONE}，证件 {ID_NUMBER}"


def _table(name: str) -> sa.Table:
    return Base.metadata.tables[name]


def _file_holds(path: Path, text: str) -> bool:
    raw = text.encode("utf-8")
    return any(
        raw in p.read_bytes() for p in (path, *path.parent.glob(path.name + "-*")) if p.is_file()
    )


def _stored(engine: sa.Engine, marked: dict[str, uuid.UUID]) -> dict[str, str | None]:
    """Each marked row's free-text values as stored (no decryption)."""
    out: dict[str, str | None] = {}
    with engine.connect() as conn:
        for table, row_id in marked.items():
            t = _table(table)
            for column in sealing.FREE_TEXT[table]:
                value = conn.execute(
                    sa.select(sa.type_coerce(t.c[column], sa.String)).where(t.c.id == row_id)
                ).scalar_one()
                out[f"{table}.{column}"] = value
    return out


@pytest.fixture
def marked(demo_url: str) -> tuple[sa.Engine, Path, dict[str, uuid.UUID]]:
    """The demo database with one row of every free-text table given the note (sealed, as
    the app writes it), then taken back to 0020 (every value opened)."""
    engine = make_engine(demo_url)
    path = Path(demo_url.removeprefix("sqlite:///"))
    rows: dict[str, uuid.UUID] = {}
    with engine.begin() as conn:
        for table, columns in sealing.FREE_TEXT.items():
            t = _table(table)
            row_id = conn.execute(sa.select(t.c.id).order_by(t.c.id).limit(1)).scalar()
            if row_id is None:
                continue
            rows[table] = row_id
            conn.execute(
                sa.update(t)
                .where(t.c.id == row_id)
                .values({c: crypto.plain_for(table, c, row_id, NOTE) for c in columns})
            )
    # Most tables of the demo hold rows; these are the ones a clerk fills most.
    assert {"customers", "orders", "queue_tickets", "work_orders", "service_tickets"} <= set(rows)
    command.downgrade(alembic_config(engine), "0020")
    engine.dispose()
    assert all(v == NOTE for v in _stored(engine, rows).values())
    assert _file_holds(path, PHONE)  # the check below can see plaintext where it is
    return engine, path, rows


def _triggers(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.exec_driver_sql(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
            ).scalar_one()
        )


def test_the_upgrade_seals_the_free_text_and_leaves_no_plaintext_in_the_file(
    marked: tuple[sa.Engine, Path, dict[str, uuid.UUID]],
) -> None:
    engine, path, rows = marked
    triggers = _triggers(engine)
    command.upgrade(alembic_config(engine), "head")
    assert current_revision(engine) == HEAD_REVISION
    stored = _stored(engine, rows)
    assert all(v is not None and v.startswith("e1.") for v in stored.values()), stored
    for key, value in stored.items():
        table, column = key.split(".")
        assert crypto.open_value(value, table, column, rows[table]) == NOTE
    assert _triggers(engine) == triggers  # the outbox triggers came back with the tables
    engine.dispose()
    for text in (PHONE, ID_NUMBER, NAME):
        assert not _file_holds(path, text), text


def test_a_run_killed_after_the_first_batch_goes_on_where_it_stopped(
    marked: tuple[sa.Engine, Path, dict[str, uuid.UUID]], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _path, rows = marked
    triggers = _triggers(engine)

    class Killed(Exception):
        pass

    def kill(table: str, done: int) -> None:
        raise Killed(f"{table} {done}")

    monkeypatch.setattr(sealing, "BATCH", 2)
    monkeypatch.setattr(sealing, "on_batch", kill)
    with pytest.raises(Killed):
        command.upgrade(alembic_config(engine), "head")
    assert current_revision(engine) == "0020"  # not stamped: the next start runs it again
    stored = _stored(engine, rows)
    first = stored["customers.notes"]  # the first table, its first rows: sealed and committed
    assert first is not None and first.startswith("e1.")
    assert stored["queue_tickets.rating_note"] == NOTE  # the last table: not reached yet
    monkeypatch.setattr(sealing, "on_batch", None)
    command.upgrade(alembic_config(engine), "head")
    assert current_revision(engine) == HEAD_REVISION
    assert _triggers(engine) == triggers  # put back by the run after the kill too
    for key, value in _stored(engine, rows).items():  # none sealed twice
        table, column = key.split(".")
        assert value is not None and value.count(".") == 3, key
        assert crypto.open_value(value, table, column, rows[table]) == NOTE
    engine.dispose()


def test_an_empty_value_stays_empty(demo_url: str) -> None:
    """An empty note is stored empty and reads back empty, also through a Core insert that
    leaves the column to its default."""
    engine = make_engine(demo_url)
    try:
        with engine.connect() as conn:
            empty = conn.execute(
                sa.select(sa.func.count()).where(_table("queue_tickets").c.rating_note == "")
            ).scalar_one()
        assert empty > 0
        assert (
            crypto.open_value(crypto.Stored(""), "queue_tickets", "rating_note", uuid.uuid4()) == ""
        )
    finally:
        engine.dispose()


def test_typed_text_that_starts_like_a_sealed_value_is_sealed(
    marked: tuple[sa.Engine, Path, dict[str, uuid.UUID]],
) -> None:
    engine, _path, rows = marked
    typed = "e1.客户说明：下周再来"
    with engine.begin() as conn:  # as it stood at 0020: plaintext
        conn.exec_driver_sql(
            "UPDATE orders SET notes = ? WHERE id = ?", (typed, rows["orders"].hex)
        )
    command.upgrade(alembic_config(engine), "head")
    stored = _stored(engine, rows)["orders.notes"]
    assert stored is not None and stored != typed and crypto.looks_sealed(stored)
    assert crypto.open_value(stored, "orders", "notes", rows["orders"]) == typed
    engine.dispose()


def test_a_text_too_long_for_its_new_limit_stops_it_before_anything_changes(
    marked: tuple[sa.Engine, Path, dict[str, uuid.UUID]],
) -> None:
    """The service tickets' texts had no limit before; one over the new limit would not fit
    the sealed width on PostgreSQL."""
    engine, _path, rows = marked
    triggers = _triggers(engine)
    with engine.begin() as conn:  # as it stood at 0020: plaintext, unlimited
        conn.exec_driver_sql(
            "UPDATE service_tickets SET description = ? WHERE id = ?",
            ("长" * 1001, rows["service_tickets"].hex),
        )
    with pytest.raises(RuntimeError, match=r"service_tickets\.description .*1000"):
        command.upgrade(alembic_config(engine), "head")
    assert current_revision(engine) == "0020"
    assert _stored(engine, rows)["customers.notes"] == NOTE  # nothing sealed
    assert _triggers(engine) == triggers
    engine.dispose()

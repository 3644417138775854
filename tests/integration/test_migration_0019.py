"""Migration 0019 seals a database's personal data in place, batch by batch, and a run killed
in the middle goes on where it stopped."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.orm import Session

from hall_app.db import blind, sealing
from hall_app.db.engine import make_engine
from hall_app.db.migrate import HEAD_REVISION, alembic_config, current_revision
from hall_app.db.models import Customer
from hall_app.db.types import UTCDateTime
from hall_app.domain.enums import CustomerKind, IdDocType
from hall_app.domain.pinyin import name_initials

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
PEOPLE = [
    ("张三", "350102199005171234", "13905910001", "福州市鼓楼区五四路 1 号"),
    ("李四", "35010219851201002X", "13905910002", "福州市台江区八一七路 2 号"),
    ("王小五", "350102197001010011", "13905910003", "福州市仓山区首山路 3 号"),
    ("欧阳娜娜", "350102200002020022", "13905910004", "福州市晋安区福新路 4 号"),
    ("陈思远", "350102199912120033", "13905910005", "福州市马尾区罗星路 5 号"),
]
OLD_CUSTOMERS = sa.table(
    "customers",
    sa.column("id", sa.Uuid()),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
    sa.column("kind", sa.String()),
    sa.column("name", sa.String()),
    sa.column("name_initials", sa.String()),
    sa.column("id_doc_type", sa.String()),
    sa.column("id_number", sa.String()),
    sa.column("address", sa.String()),
    sa.column("contact_phone", sa.String()),
    sa.column("is_vip", sa.Boolean()),
    sa.column("notes", sa.String()),
)


@pytest.fixture
def at_0018(tmp_path: Path) -> Iterator[sa.Engine]:
    """A counter database at 0018 holding customers in plaintext."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    command.upgrade(alembic_config(engine), "0018")
    with engine.begin() as conn:
        conn.execute(
            OLD_CUSTOMERS.insert(),
            [
                {
                    "id": uuid.uuid4(),
                    "created_at": NOW,
                    "updated_at": NOW,
                    "kind": CustomerKind.INDIVIDUAL.value,
                    "name": name,
                    "name_initials": name_initials(name),
                    "id_doc_type": IdDocType.RESIDENT_ID.value,
                    "id_number": number,
                    "address": address,
                    "contact_phone": phone,
                    "is_vip": False,
                    "notes": "",
                }
                for name, number, phone, address in PEOPLE
            ],
        )
    yield engine
    engine.dispose()


def _raw(engine: sa.Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.exec_driver_sql("SELECT name, id_number, contact_phone FROM customers")
        ]


def _opened(engine: sa.Engine) -> dict[str, Customer]:
    with Session(engine) as s:
        found = {c.id_number or "": c for c in s.scalars(sa.select(Customer))}
        s.expunge_all()
    return found


def test_the_upgrade_seals_every_row_and_fills_the_blind_indexes(at_0018: sa.Engine) -> None:
    command.upgrade(alembic_config(at_0018), "head")
    assert current_revision(at_0018) == HEAD_REVISION
    for row in _raw(at_0018):
        assert all(value.startswith("e1.") for value in row)
    opened = _opened(at_0018)
    assert sorted(opened) == sorted(p[1] for p in PEOPLE)
    for name, number, phone, address in PEOPLE:
        c = opened[number]
        assert (c.name, c.contact_phone, c.address) == (name, phone, address)
        assert c.id_number_bidx == blind.id_index(number)
        assert c.contact_phone_bidx == blind.phone_index(phone)
        assert [c.name_p1, c.name_p2, c.name_p3, c.name_p4] == blind.name_prefix_indexes(name)
    with at_0018.connect() as conn:
        triggers = conn.exec_driver_sql(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'customers'"
        ).scalar_one()
    assert triggers == 2  # the outbox triggers came back with the rebuilt table


def test_a_run_killed_after_the_first_batch_goes_on_where_it_stopped(
    at_0018: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Killed(Exception):
        pass

    def kill(table: str, done: int) -> None:
        raise Killed(f"{table} {done}")

    monkeypatch.setattr(sealing, "BATCH", 2)
    monkeypatch.setattr(sealing, "on_batch", kill)
    with pytest.raises(Killed):
        command.upgrade(alembic_config(at_0018), "head")
    assert current_revision(at_0018) == "0018"  # not stamped: the next start runs it again
    sealed = [row[0].startswith("e1.") for row in _raw(at_0018)]
    assert sealed.count(True) == 2  # the first batch was committed, the rest not yet
    monkeypatch.setattr(sealing, "on_batch", None)
    command.upgrade(alembic_config(at_0018), "head")
    assert current_revision(at_0018) == HEAD_REVISION
    opened = _opened(at_0018)
    assert {c.name for c in opened.values()} == {p[0] for p in PEOPLE}
    for row in _raw(at_0018):  # none sealed twice: each opens with its row's key
        assert all(value.startswith("e1.") and value.count(".") == 3 for value in row)


def test_the_downgrade_opens_the_rows_again(at_0018: sa.Engine) -> None:
    command.upgrade(alembic_config(at_0018), "head")
    command.downgrade(alembic_config(at_0018), "0018")
    with at_0018.connect() as conn:
        rows = set(
            conn.exec_driver_sql("SELECT name, name_initials, id_number FROM customers").all()
        )
    assert rows == {(name, name_initials(name), number) for name, number, _p, _a in PEOPLE}

"""The sealing of personal data: bound to its row, opened only with the right key."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from hall_app.db import crypto
from hall_app.db.crypto import DataKeyError, DataKeys, EncryptedText, Stored


class _Base(DeclarativeBase):
    pass


class _Person(_Base):
    __tablename__ = "people"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(EncryptedText(32))
    note: Mapped[str | None] = mapped_column(String(20))


crypto.bind_rows(_Base)


@pytest.fixture
def keys() -> Iterator[DataKeys]:
    before = crypto._installed
    made = DataKeys.generate()
    crypto.install(made)
    yield made
    crypto.install(before)


def test_a_value_opens_only_in_its_own_row_and_column(keys: DataKeys) -> None:
    sealed = keys.seal("张三", "customers.name.1")
    assert "张三" not in sealed and sealed.startswith("e1.k1.")
    assert keys.open(sealed, "customers.name.1") == "张三"
    with pytest.raises(DataKeyError):
        keys.open(sealed, "customers.name.2")
    with pytest.raises(DataKeyError):
        keys.open(sealed, "customers.address.1")


def test_a_wrong_key_is_a_clear_error_never_garbage(keys: DataKeys) -> None:
    sealed = keys.seal("13800000000", "a.b.c")
    other = DataKeys.generate()
    with pytest.raises(DataKeyError, match="数据密钥"):
        other.open(sealed, "a.b.c")


def test_rotation_keeps_old_values_readable(keys: DataKeys) -> None:
    old = keys.seal("李四", "t.c.1")
    rotated = keys.with_new_key("k2")
    assert rotated.open(old, "t.c.1") == "李四"
    assert DataKeys.key_id_of(rotated.seal("李四", "t.c.1")) == "k2"
    assert DataKeys.from_json(rotated.to_json()) == rotated


def test_blind_index_is_stable_and_kind_separated(keys: DataKeys) -> None:
    assert keys.blind("phone", "13800000000") == keys.blind("phone", "13800000000")
    assert keys.blind("phone", "13800000000") != keys.blind("id", "13800000000")
    assert keys.blind("phone", "1") != DataKeys.generate().blind("phone", "1")


def test_orm_seals_on_flush_and_opens_on_load(keys: DataKeys) -> None:
    engine = create_engine("sqlite://")
    _Base.metadata.create_all(engine)
    with Session(engine) as session:
        person = _Person(name="王五", note="x")
        session.add(person)
        session.commit()
        pid = person.id
        assert person.name == "王五"  # reloaded after the commit's expiry
    with engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT name FROM people").scalar_one()
        assert "王五" not in raw
        stored = conn.execute(select(_Person.__table__.c.name)).scalar_one()
        assert isinstance(stored, Stored)
        assert crypto.open_value(stored, "people", "name", pid) == "王五"
    with Session(engine) as session:
        loaded = session.get(_Person, pid)
        assert loaded is not None and loaded.name == "王五"
        loaded.name = "王五一"
        session.commit()
    with Session(engine) as session:
        assert session.scalars(select(_Person.name)).one() != "王五一"  # Core column: sealed
        assert session.get(_Person, pid).name == "王五一"  # type: ignore[union-attr]


def test_a_bare_string_in_core_is_refused(keys: DataKeys) -> None:
    engine = create_engine("sqlite://")
    _Base.metadata.create_all(engine)
    with engine.begin() as conn, pytest.raises(Exception, match="Plain"):
        conn.execute(_Person.__table__.insert().values(id=uuid.uuid4(), name="赵六"))


def test_no_keys_installed_is_a_clear_error() -> None:
    before = crypto._installed
    crypto.install(None)
    try:
        with pytest.raises(DataKeyError, match="未加载数据密钥"):
            crypto.active()
    finally:
        crypto.install(before)

"""The key file: created once, owner-only, refused when others may read it or when it is wrong."""

from __future__ import annotations

import os
import stat
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, create_engine, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hall_app.config import Settings
from hall_app.db import crypto
from hall_app.db.crypto import DataKeyError, DataKeys, EncryptedText
from hall_app.keyfile import keys_at_start, load_keys, read_keys, save_keys

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


class _Base(DeclarativeBase):
    pass


class _Person(_Base):
    __tablename__ = "people"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str | None] = mapped_column(EncryptedText(32))


METADATA: MetaData = _Base.metadata


@pytest.fixture
def no_keys() -> Iterator[None]:
    """No keys installed (what a fresh process has); the tests' keys come back after."""
    before = crypto.installed()
    crypto.install(None)
    yield
    crypto.install(before)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    made = create_engine(f"sqlite:///{tmp_path / 'people.sqlite3'}")
    METADATA.create_all(made)
    yield made
    made.dispose()


def _add_person(engine: Engine, keys: DataKeys, name: str) -> uuid.UUID:
    pid = uuid.uuid4()
    sealed = crypto.Stored(keys.seal(name, crypto.aad_for("people", "name", pid)))
    with engine.begin() as conn:
        conn.execute(insert(_Person).values(id=pid, name=sealed))
    return pid


def test_the_key_file_setting(tmp_path: Path) -> None:
    assert Settings.load(env={}).key_file.name == "hall-data.key"
    assert Settings.load(env={"HALL_KEY_FILE": "/srv/k.json"}).key_file == Path("/srv/k.json")
    toml = tmp_path / "hall.toml"
    toml.write_text('key_file = "keys/hall.key"\n', encoding="utf-8")
    assert Settings.load(env={"HALL_CONFIG": str(toml)}).key_file == tmp_path / "keys/hall.key"


@posix_only
def test_created_once_owner_only_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "data" / "hall-data.key"
    made = load_keys(path, create=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_keys(path, create=True) == made  # not made again
    assert load_keys(path, create=False) == made
    assert [p.name for p in path.parent.iterdir()] == ["hall-data.key"]  # no temporary left


def test_processes_starting_at_once_share_one_key(tmp_path: Path) -> None:
    path = tmp_path / "hall-data.key"
    got: list[DataKeys] = []
    threads = [
        threading.Thread(target=lambda: got.append(load_keys(path, create=True))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and all(k == got[0] for k in got)
    assert read_keys(path) == got[0]


def test_a_missing_file_is_named_when_it_may_not_be_created(tmp_path: Path) -> None:
    path = tmp_path / "gone.key"
    with pytest.raises(DataKeyError, match="找不到数据密钥文件") as err:
        load_keys(path, create=False)
    assert str(path) in err.value.text and "keys import" in err.value.text
    assert not path.exists()


@posix_only
def test_a_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hall-data.key"
    save_keys(path, DataKeys.generate())
    path.chmod(0o640)
    with pytest.raises(DataKeyError, match="权限过宽") as err:
        load_keys(path, create=False)
    assert str(path) in err.value.text and "chmod 600" in err.value.text
    path.chmod(0o600)
    assert load_keys(path, create=False)


def test_a_damaged_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "hall-data.key"
    save_keys(path, DataKeys.generate())
    path.write_text('{"format": 1, "current": "k1"', encoding="utf-8")
    with pytest.raises(DataKeyError, match="已损坏") as err:
        load_keys(path, create=False)
    assert str(path) in err.value.text


def test_save_replaces_atomically(tmp_path: Path) -> None:
    path = tmp_path / "hall-data.key"
    first = DataKeys.generate()
    save_keys(path, first)
    second = first.with_new_key("k2")
    save_keys(path, second)
    assert read_keys(path) == second
    assert len(list(tmp_path.iterdir())) == 1


def test_first_start_of_a_single_counter_creates_and_installs(
    tmp_path: Path, engine: Engine, no_keys: None
) -> None:
    path = tmp_path / "hall-data.key"
    keys = keys_at_start(path, engine, METADATA, synced=False)
    assert crypto.installed() is keys and path.exists()
    assert keys_at_start(path, engine, METADATA, synced=False) == keys


def test_a_synced_counter_without_the_halls_key_is_told_to_import(
    tmp_path: Path, engine: Engine, no_keys: None
) -> None:
    path = tmp_path / "hall-data.key"
    with pytest.raises(DataKeyError, match="keys import") as err:
        keys_at_start(path, engine, METADATA, synced=True)
    assert "中心数据库" in err.value.text and str(path) in err.value.text
    assert not path.exists() and crypto.installed() is None


def test_sealed_data_without_its_key_file_makes_no_new_key(
    tmp_path: Path, engine: Engine, no_keys: None
) -> None:
    _add_person(engine, DataKeys.generate(), "张三")
    path = tmp_path / "hall-data.key"
    with pytest.raises(DataKeyError, match="已有加密的客户资料"):
        keys_at_start(path, engine, METADATA, synced=False)
    assert not path.exists() and crypto.installed() is None


def test_a_wrong_key_stops_the_start_never_garbage(
    tmp_path: Path, engine: Engine, no_keys: None
) -> None:
    right = DataKeys.generate()
    pid = _add_person(engine, right, "李四")
    path = tmp_path / "hall-data.key"
    save_keys(path, DataKeys.generate())  # another hall's
    with pytest.raises(DataKeyError, match="与本数据库不符") as err:
        keys_at_start(path, engine, METADATA, synced=False)
    assert "people.name" in err.value.text and str(path) in err.value.text
    assert crypto.installed() is None
    save_keys(path, right)
    keys_at_start(path, engine, METADATA, synced=False)
    with engine.connect() as conn:
        stored = conn.execute(select(METADATA.tables["people"].c.name)).scalar_one()
    assert crypto.open_value(stored, "people", "name", pid) == "李四"

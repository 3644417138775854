"""build_app and the data keys: created at a single counter's first start, required (imported)
on a synced counter, and never replacing keys a caller installed."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from hall_app.app import build_app
from hall_app.config import Settings
from hall_app.db import crypto
from hall_app.db.crypto import DataKeyError
from hall_app.keyfile import read_keys


@pytest.fixture
def fresh_process() -> Iterator[None]:
    before = crypto.installed()
    crypto.install(None)
    yield
    crypto.install(before)


def test_a_single_counter_makes_its_key_file_at_first_start(
    tmp_path: Path, fresh_process: None
) -> None:
    key_file = tmp_path / "data" / "hall-data.key"
    settings = Settings.load(
        env={"HALL_KEY_FILE": str(key_file)}, db_url=f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    )
    hall = build_app(settings)
    hall.close()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert crypto.installed() == read_keys(key_file)


def test_a_synced_counter_without_the_halls_key_does_not_start(
    tmp_path: Path, fresh_process: None
) -> None:
    key_file = tmp_path / "hall-data.key"
    env = {
        "HALL_KEY_FILE": str(key_file),
        "HALL_CENTRAL_URL": "postgresql://nobody@127.0.0.1:1/none",
        "HALL_COUNTER": "01",
    }
    settings = Settings.load(env=env, db_url=f"sqlite:///{tmp_path / 'hall.sqlite3'}")
    with pytest.raises(DataKeyError, match="hall-app keys import") as err:
        build_app(settings)
    assert err.value.field == "数据密钥" and str(key_file) in err.value.text
    assert not key_file.exists() and crypto.installed() is None


def test_keys_a_caller_installed_are_kept(demo_url: str, tmp_path: Path) -> None:
    key_file = tmp_path / "never-made.key"
    before = crypto.installed()
    hall = build_app(Settings.load(env={"HALL_KEY_FILE": str(key_file)}, db_url=demo_url))
    hall.close()
    assert crypto.installed() is before and not key_file.exists()

"""The demo ID-card reader is used only where the settings ask for it."""

from __future__ import annotations

import pytest

from hall_app.app import build_app
from hall_app.config import Settings
from hall_app.demo.reader import NEW_PERSON_EVERY, DemoIdCardReader
from hall_app.services.customers import QueryKind


def test_no_reader_unless_configured(demo_url: str) -> None:
    hall = build_app(Settings.load(env={}, db_url=demo_url))
    try:
        assert hall.id_reader is None
    finally:
        hall.close()


def test_demo_reader_hands_out_demo_customers_and_new_people(demo_url: str) -> None:
    hall = build_app(Settings.load(env={"HALL_ID_READER": "demo"}, db_url=demo_url))
    try:
        assert isinstance(hall.id_reader, DemoIdCardReader)
        clerk = hall.auth.log_in("clerk1", "hall1234")
        found = []
        for _ in range(NEW_PERSON_EVERY):
            card = hall.id_reader.read()
            result = hall.customers.search_customers(clerk, card.id_number)
            assert result.kind is QueryKind.ID_OR_USCC
            found.append(len(result.rows))
        assert found == [1] * (NEW_PERSON_EVERY - 1) + [0]  # the fourth is not registered
    finally:
        hall.close()


def test_an_unknown_reader_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="HALL_ID_READER"):
        Settings.load(env={"HALL_ID_READER": "vendor-x"})

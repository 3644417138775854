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


def test_demo_reader_places_the_owners_card_when_a_read_checks_the_owner(demo_url: str) -> None:
    """A page checking the owner (解挂, 补换卡, 资料变更) says whose card it expects: the demo
    reader places that customer's card, without taking the turn of the other reads."""
    hall = build_app(Settings.load(env={"HALL_ID_READER": "demo"}, db_url=demo_url))
    try:
        assert isinstance(hall.id_reader, DemoIdCardReader)
        clerk = hall.auth.log_in("clerk1", "hall1234")
        first = hall.id_reader.read()
        [owner] = hall.customers.search_customers(clerk, first.id_number).rows
        again = DemoIdCardReader(hall.db, hall.clock)
        card = again.read(expect_customer_id=owner.id)
        record = hall.customers.get_customer_record(clerk, owner.id)
        assert (card.name, card.id_number[-4:]) == (record.name, record.id_display[-4:])
        assert card.id_number == first.id_number
        assert again.read() == first  # the usual sequence, unchanged by the owner's read
        enterprise = next(
            r.id for r in hall.customers.search_customers(clerk, "江苏华联贸易有限公司").rows
        )
        assert again.read(expect_customer_id=enterprise).id_number != ""  # no card: any card
    finally:
        hall.close()

"""Nothing a counter accepts is refused centrally (defects 14 and 15): every text column's
length comes from the models, and a value too long, or with a lone surrogate, is a
ValidationError naming the field before anything is saved."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hall_app.app import HallApp
from hall_app.db.models import Customer, PhoneNumber, Product
from hall_app.db.text_limits import LABELS, text_columns
from hall_app.domain.enums import NumberStatus
from hall_app.domain.errors import ValidationError
from hall_app.services.actor import Actor
from tests.integration.test_open_mobile import _counts, _request
from tests.integration.test_register_customer import CARD, _from_card


def _customers(hall: HallApp) -> int:
    with hall.db.read() as s:
        return s.scalar(select(func.count()).select_from(Customer)) or 0


def test_every_text_column_of_every_model_has_a_chinese_label() -> None:
    names = {f"{c.table.name}.{c.name}" for c in text_columns()}
    assert names, "no text columns found"
    assert sorted(names - set(LABELS)) == []  # a new column needs its label
    assert sorted(set(LABELS) - names) == []  # and a label names a real column
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in v) or v.isupper() for v in LABELS.values())


def test_a_252_character_address_is_refused_at_registration(hall: HallApp, clerk: Actor) -> None:
    before = _customers(hall)
    address = "福建省福州市鼓楼区五四路" + "八" * 240
    assert len(address) == 252
    with pytest.raises(ValidationError) as err:
        hall.customers.register_individual(clerk, _from_card(CARD, address=address))
    assert err.value.text == "地址：最多 200 个字，现在 252 个字"
    assert _customers(hall) == before
    # 200 characters fit.
    hall.customers.register_individual(clerk, _from_card(CARD, address=address[:200]))
    assert _customers(hall) == before + 1


def test_a_long_face_check_device_is_refused_at_registration(hall: HallApp, clerk: Actor) -> None:
    with pytest.raises(ValidationError) as err:
        hall.customers.register_individual(clerk, _from_card(CARD, face_checked_by="D" * 80))
    assert err.value.text == "人像比对：最多 64 个字，现在 80 个字"


def test_an_80_character_face_check_device_is_refused_when_opening_a_number(
    hall: HallApp, clerk: Actor
) -> None:
    req = _request(hall, clerk, face_checked_by="HK-FR-" + "9" * 74)
    before = _counts(hall)
    with pytest.raises(ValidationError) as err:
        hall.orders.open_mobile_number(clerk, req)
    assert err.value.text == "人像比对：最多 64 个字，现在 80 个字"
    assert _counts(hall) == before  # no order, payment, invoice or subscription
    with hall.db.read() as s:
        status = s.scalar(select(PhoneNumber.status).where(PhoneNumber.number == req.number))
    assert status is NumberStatus.RESERVED  # still held for the customer


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "陈\ud800远"}, "姓名"),
        ({"address": "福建省福州市\udfff鼓楼区五四路 88 号"}, "地址"),
    ],
)
def test_a_lone_surrogate_is_a_validation_error_naming_the_field(
    hall: HallApp, clerk: Actor, change: dict[str, str], field: str
) -> None:
    before = _customers(hall)
    with pytest.raises(ValidationError) as err:
        hall.customers.register_individual(clerk, _from_card(CARD, **change))
    assert err.value.field == field and "无法保存的字符" in err.value.message
    assert _customers(hall) == before


def test_every_row_written_through_the_orm_is_checked_before_the_flush(hall: HallApp) -> None:
    with hall.db.read() as s:
        customer = s.scalars(select(Customer).limit(1)).one()
        customer_id, address = customer.id, customer.address  # opened (sealed)
    with pytest.raises(ValidationError) as err, hall.db.unit_of_work() as s:
        s.get_one(Customer, customer_id).address = "地" * 252  # an edit, not a registration
    assert err.value.text == "地址：最多 200 个字，现在 252 个字"
    with pytest.raises(ValidationError) as err, hall.db.unit_of_work() as s:
        s.get_one(Customer, customer_id).notes = "备注\ud83d"
    assert err.value.field == "备注" and "U+D83D" in err.value.message
    with hall.db.read() as s:
        assert s.get_one(Customer, customer_id).address == address  # nothing was written


def test_text_without_a_limit_is_still_checked_for_surrogates(hall: HallApp) -> None:
    with hall.db.read() as s:
        product_id = s.scalars(select(Product.id).limit(1)).one()
    with hall.db.unit_of_work() as s:
        s.get_one(Product, product_id).description = "说" * 5000  # no length limit
    with pytest.raises(ValidationError) as err, hall.db.unit_of_work() as s:
        s.get_one(Product, product_id).description = "说明\ud800"
    assert err.value.field == "产品说明"

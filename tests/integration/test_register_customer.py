"""Registering a new customer from the ID-card reader, under the real-name rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db import blind
from hall_app.db.models import AuditEntry, Customer
from hall_app.devices.id_reader import DeviceError, IdCardData, SimulatedIdCardReader
from hall_app.domain.enums import CustomerKind, FaceCheckMethod
from hall_app.domain.errors import ValidationError
from hall_app.domain.resident_id import resident_id_check_char
from hall_app.services.actor import Actor
from hall_app.services.customers import RegisterIndividual
from tests.people import person


def _id(birth: str, seq: str = "123") -> str:
    first17 = f"350102{birth}{seq}"
    return first17 + resident_id_check_char(first17)


CARD = IdCardData(
    name="陈思远",
    gender="M",
    ethnicity="汉",
    birth_date=date(1990, 5, 17),
    address="福建省福州市鼓楼区五四路 88 号 3 栋 1201 室",
    id_number=_id("19900517", "135"),
    issuer="福州市公安局鼓楼分局",
    valid_from=date(2020, 1, 1),
    valid_to=date(2040, 1, 1),
)


def _from_card(card: IdCardData, **changes: object) -> RegisterIndividual:
    req = RegisterIndividual(
        name=card.name,
        id_number=card.id_number,
        address=card.address,
        contact_phone="13905910000",
        face_check=FaceCheckMethod.DEVICE,
        face_checked_by="HK-FR-200",
        card_valid_to=card.valid_to,
    )
    return replace(req, **changes)  # type: ignore[arg-type]


def test_register_from_the_simulated_reader(hall: HallApp, clerk: Actor) -> None:
    reader = SimulatedIdCardReader([CARD])
    card = reader.read()
    cid = hall.customers.register_individual(clerk, _from_card(card))
    with hall.db.read() as s:
        c = s.get_one(Customer, cid)
        assert (c.name, c.gender, c.birth_date) == ("陈思远", "M", date(1990, 5, 17))
        # Found by its blind indexes (the name and ID sealed in their columns).
        assert (c.initials_p3, c.name_p3) == (
            blind.initials_prefix_indexes("陈思远")[2],
            blind.name_prefix_indexes("陈思远")[2],
        )
        assert c.id_number_bidx == blind.id_index(CARD.id_number)
        assert c.real_name_verified_at is not None and c.face_check_by == "HK-FR-200"
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "customer.register")).one()
        assert CARD.id_number not in repr(entry.after)  # the audit keeps it masked
    found = hall.customers.search_customers(clerk, "13905910000")
    assert [r.id for r in found.rows] == [cid]
    with pytest.raises(ValidationError, match="已登记为客户"):
        hall.customers.register_individual(clerk, _from_card(card))


def test_an_empty_reader_says_so() -> None:
    reader = SimulatedIdCardReader([CARD])
    reader.present(None)
    with pytest.raises(DeviceError) as err:
        reader.read()
    assert err.value.field == "读卡器" and "未检测到身份证" in err.value.text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id_number": CARD.id_number[:-1] + "0"}, "证件号码"),
        ({"card_valid_to": date(2020, 1, 1)}, "证件有效期"),
        ({"contact_phone": "1234"}, "手机号码"),
        ({"name": "王"}, "姓名"),
        ({"face_checked_by": ""}, "人像比对"),
        ({"address": "福州"}, "地址"),
    ],
)
def test_bad_registrations_name_the_field(
    hall: HallApp, clerk: Actor, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as err:
        hall.customers.register_individual(clerk, _from_card(CARD, **changes))
    assert err.value.field == field


def test_minors_need_an_adult_guardian_and_children_are_refused(
    hall: HallApp, clerk: Actor
) -> None:
    teen = _from_card(CARD, name="陈小雨", id_number=_id("20120301", "246"))
    with pytest.raises(ValidationError) as err:
        hall.customers.register_individual(clerk, teen)
    assert err.value.field == "监护人"
    with hall.db.read() as s:
        adult = s.scalars(
            select(Customer.id).where(
                Customer.kind == CustomerKind.INDIVIDUAL, Customer.birth_date < date(1990, 1, 1)
            )
        ).first()
    cid = hall.customers.register_individual(clerk, replace(teen, guardian_id=adult))
    with hall.db.read() as s:
        assert s.get_one(Customer, cid).guardian_id == adult
    child = _from_card(CARD, name="陈小小", id_number=_id("20200301", "248"))
    with pytest.raises(ValidationError, match="未满 10 周岁"):
        hall.customers.register_individual(clerk, replace(child, guardian_id=adult))


def test_the_guardian_is_found_by_their_id_number_in_the_service(
    hall: HallApp, clerk: Actor
) -> None:
    """The rule lived in the registration screen: the service now finds the guardian itself,
    in the registering transaction, and refuses an unknown or malformed number."""
    teen = _from_card(CARD, name="陈小雨", id_number=_id("20120301", "246"))
    adult = person(
        hall,
        lambda c: True,
        Customer.kind == CustomerKind.INDIVIDUAL,
        Customer.birth_date < date(1990, 1, 1),
        Customer.id_number.is_not(None),
    )
    adult_id, adult_number = adult.id, adult.id_number or ""
    with pytest.raises(ValidationError) as err:
        hall.customers.register_individual(
            clerk, replace(teen, guardian_id_number=_id("19800101", "017"))
        )
    assert (err.value.field, err.value.message) == (
        "监护人",
        "没有找到这位监护人，请先为监护人登记",
    )
    with pytest.raises(ValidationError) as bad:
        hall.customers.register_individual(clerk, replace(teen, guardian_id_number="12345"))
    assert bad.value.field == "监护人" and bad.value.message.startswith("监护人证件号码")
    with hall.db.read() as s:
        assert (
            s.scalar(
                select(Customer.id).where(
                    Customer.name_p3 == blind.name_prefix_indexes("陈小雨")[2]
                )
            )
            is None
        )
    cid = hall.customers.register_individual(
        clerk, replace(teen, guardian_id_number=adult_number.lower())
    )
    with hall.db.read() as s:
        assert s.get_one(Customer, cid).guardian_id == adult_id

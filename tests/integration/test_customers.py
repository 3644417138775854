"""Finding customers by every key a clerk uses, masking, and the full record."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from hall_app.app import HallApp
from hall_app.db.models import AuditEntry, Customer, Order, ServiceTicket, Subscription
from hall_app.domain.enums import (
    CustomerKind,
    ServiceTicketStatus,
    SubscriptionKind,
    SubscriptionStatus,
)
from hall_app.domain.errors import NotFound, PermissionDenied, ValidationError
from hall_app.domain.masking import mask_id_number, mask_phone
from hall_app.domain.pinyin import name_initials
from hall_app.services.actor import Actor
from hall_app.services.customers import QueryKind
from tests.people import people, person


def _one(hall: HallApp, stmt):  # type: ignore[no-untyped-def]
    with hall.db.read() as s:
        return s.execute(stmt).first()


def test_search_by_mobile_number_finds_the_holder(hall: HallApp, clerk: Actor) -> None:
    number, customer_id = _one(
        hall,
        select(Subscription.service_number, Subscription.customer_id).where(
            Subscription.kind == SubscriptionKind.MOBILE
        ),
    )
    result = hall.customers.search_customers(clerk, f"{number[:3]} {number[3:7]} {number[7:]}")
    assert result.kind is QueryKind.PHONE
    assert [r.id for r in result.rows] == [customer_id]
    row = result.rows[0]
    assert "*" in row.id_display and "*" in row.phone_display  # a clerk sees masked values


def test_search_by_contact_phone_of_other_operator(hall: HallApp, clerk: Actor) -> None:
    found = person(hall, lambda c: True, ~Customer.id.in_(select(Subscription.customer_id)))
    phone, cid = found.contact_phone, found.id
    assert phone
    assert [r.id for r in hall.customers.search_customers(clerk, phone).rows] == [cid]


def test_search_by_id_number_lower_case_x(hall: HallApp, supervisor: Actor) -> None:
    found = person(hall, lambda c: (c.id_number or "").endswith("X"))
    number, cid = found.id_number, found.id
    assert number
    result = hall.customers.search_customers(supervisor, number.lower())
    assert result.kind is QueryKind.ID_OR_USCC
    assert [r.id for r in result.rows] == [cid]
    # Result lists are masked for every role; only the audited record view unmasks.
    assert result.rows[0].id_display == mask_id_number(number)


def test_search_by_uscc_finds_enterprise(hall: HallApp, clerk: Actor) -> None:
    uscc, cid = _one(
        hall, select(Customer.uscc, Customer.id).where(Customer.kind == CustomerKind.ENTERPRISE)
    )
    rows = hall.customers.search_customers(clerk, uscc).rows
    assert [r.id for r in rows] == [cid]
    assert rows[0].id_label == "统一社会信用代码"


def test_search_by_broadband_account(hall: HallApp, clerk: Actor) -> None:
    account, cid = _one(
        hall,
        select(Subscription.service_number, Subscription.customer_id).where(
            Subscription.kind == SubscriptionKind.BROADBAND
        ),
    )
    result = hall.customers.search_customers(clerk, account)
    assert result.kind is QueryKind.SERVICE_NUMBER
    assert cid in [r.id for r in result.rows]


def test_search_by_name_prefix(hall: HallApp, clerk: Actor) -> None:
    everyone = people(hall)
    name = person(hall, lambda c: True, Customer.kind == CustomerKind.INDIVIDUAL).name
    result = hall.customers.search_customers(clerk, name)
    assert result.kind is QueryKind.NAME
    assert result.rows and all(r.name.startswith(name) for r in result.rows)
    surname = hall.customers.search_customers(clerk, name[0])
    assert all(r.name.startswith(name[0]) for r in surname.rows)
    expected = sum(c.name.startswith(name[0]) for c in everyone)
    assert len(surname.rows) == min(expected, 50)
    assert surname.truncated == (expected > 50)


def test_search_by_pinyin_initials(hall: HallApp, clerk: Actor) -> None:
    name = person(hall, lambda c: len(c.name) == 3, Customer.kind == CustomerKind.INDIVIDUAL).name
    initials = name_initials(name)
    result = hall.customers.search_customers(clerk, initials.upper())
    assert result.kind is QueryKind.INITIALS
    assert name in [r.name for r in result.rows]
    assert all(r.name for r in result.rows)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("", "请输入"), ("   ", "请输入"), ("12345", "不是完整的号码"), ("张三!", "无法识别")],
)
def test_bad_queries_name_the_field(hall: HallApp, clerk: Actor, text: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as err:
        hall.customers.search_customers(clerk, text)
    assert err.value.field == "查询条件"
    assert fragment in err.value.text


def test_an_id_number_short_of_a_digit_says_so(hall: HallApp, clerk: Actor) -> None:
    numbers = [c.id_number for c in people(hall) if c.id_number]
    digits = next(n for n in numbers if not n.endswith("X"))
    with_x = next(n for n in numbers if n.endswith("X"))
    for typed, length in ((digits[:17], 17), (digits[:16], 16), (digits + "1", 19)):
        with pytest.raises(ValidationError) as err:
            hall.customers.search_customers(clerk, typed)
        assert err.value.text == f"查询条件：身份证号码应为 18 位，现在 {length} 位"
    # 16 digits and the X: a digit left out in the region code (the birth date still there).
    with pytest.raises(ValidationError, match="身份证号码应为 18 位，现在 17 位"):
        hall.customers.search_customers(clerk, with_x[:5] + with_x[6:])


@pytest.mark.parametrize(("typed", "length"), [("1390591000", 10), ("139059100001", 12)])
def test_a_mobile_number_short_or_over_by_a_digit_says_so(
    hall: HallApp, clerk: Actor, typed: str, length: int
) -> None:
    with pytest.raises(ValidationError) as err:
        hall.customers.search_customers(clerk, typed)
    assert err.value.text == f"查询条件：手机号码应为 11 位，现在 {length} 位"


def test_an_account_that_looks_like_a_near_miss_is_still_found(hall: HallApp, clerk: Actor) -> None:
    """A 17-digit broadband account is an account: the hint comes only when nothing matches."""
    customer_id = _one(hall, select(Customer.id).where(Customer.id_number.is_not(None)))[0]
    account = "35010219900517123"  # region + a birth date, 17 digits
    product_id = _one(
        hall, select(Subscription.product_id).where(Subscription.kind == SubscriptionKind.BROADBAND)
    )[0]
    with hall.db.unit_of_work() as s:
        s.add(
            Subscription(
                customer_id=customer_id,
                product_id=product_id,
                kind=SubscriptionKind.BROADBAND,
                service_number=account,
                status=SubscriptionStatus.ACTIVE,
                address="福建省福州市鼓楼区五四路 88 号",
                hall_id=s.get_one(Customer, customer_id).registered_hall_id,
            )
        )
    result = hall.customers.search_customers(clerk, account)
    assert [r.id for r in result.rows] == [customer_id]


def test_more_hits_than_shown_are_counted(hall: HallApp, clerk: Actor) -> None:
    everyone = people(hall)
    surname, count = Counter(
        c.name[0] for c in everyone if c.kind is CustomerKind.INDIVIDUAL
    ).most_common(1)[0]
    expected = sum(c.name.startswith(surname) for c in everyone)
    assert count > 50
    result = hall.customers.search_customers(clerk, surname)
    assert result.truncated and len(result.rows) == 50
    assert result.total == expected and not result.total_capped
    few = hall.customers.search_customers(clerk, result.rows[0].name)
    assert few.total == len(few.rows) and not few.truncated


def test_search_requires_permission(hall: HallApp, clerk: Actor) -> None:
    nobody = replace(clerk, permissions=frozenset())
    with pytest.raises(PermissionDenied, match="查询客户"):
        hall.customers.search_customers(nobody, "张")
    with pytest.raises(PermissionDenied, match="查看客户资料"):
        hall.customers.get_customer_record(nobody, uuid.uuid4())


def test_record_has_services_history_and_open_tickets(hall: HallApp, clerk: Actor) -> None:
    cid = _one(
        hall,
        select(ServiceTicket.customer_id)
        .join(Customer, Customer.id == ServiceTicket.customer_id)
        .where(ServiceTicket.status == ServiceTicketStatus.OPEN, Customer.id_number.is_not(None))
        .where(ServiceTicket.customer_id.in_(select(Order.customer_id))),
    )[0]
    record = hall.customers.get_customer_record(clerk, cid)
    with hall.db.read() as s:
        c = s.get_one(Customer, cid)
        subs = s.scalar(select(func.count()).where(Subscription.customer_id == cid))
        orders = s.scalar(select(func.count()).where(Order.customer_id == cid))
        open_tickets = s.scalar(
            select(func.count()).where(
                ServiceTicket.customer_id == cid,
                ServiceTicket.status.in_(["open", "in_progress"]),
            )
        )
        assert record.name == c.name
        assert c.id_number is not None and c.birth_date is not None
        assert record.id_display == mask_id_number(c.id_number)
        # With the birth date the masked ID digits could be rebuilt: only the year shows.
        assert record.birth_display == f"{c.birth_date.year}-**-**"
        assert record.contact_phone_display == mask_phone(c.contact_phone or "")
    assert len(record.subscriptions) == subs
    assert len(record.orders) == min(orders, 20) and orders >= 1
    assert len(record.open_tickets) == open_tickets >= 1
    assert record.sensitive_shown is False
    for sub in record.subscriptions:
        if sub.kind is SubscriptionKind.MOBILE:
            assert "****" in sub.number_display


def test_supervisor_sees_full_record_and_it_is_audited(hall: HallApp, supervisor: Actor) -> None:
    found = person(hall, lambda c: True, Customer.id_number.is_not(None))
    cid, number = found.id, found.id_number
    assert number
    record = hall.customers.get_customer_record(supervisor, cid)
    assert record.id_display == number
    assert record.birth_display == f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
    assert record.sensitive_shown
    with hall.db.read() as s:
        entry = s.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "customer.view_sensitive", AuditEntry.entity_id == str(cid)
            )
        ).one()
        assert entry.actor_name == "super1"
        assert entry.staff_id == supervisor.staff_id


def test_unknown_customer_is_not_found(hall: HallApp, clerk: Actor) -> None:
    with pytest.raises(NotFound):
        hall.customers.get_customer_record(clerk, uuid.uuid4())


def test_legacy_15_digit_id_finds_the_upgraded_number(hall: HallApp, clerk: Actor) -> None:
    found = person(
        hall,
        lambda c: (c.id_number or "")[6:8] == "19",
        Customer.kind == CustomerKind.INDIVIDUAL,
    )
    number, cid = found.id_number, found.id
    assert number
    if number[6:8] != "19":
        pytest.skip("no customer born in the 1900s")
    legacy = number[:6] + number[8:17]  # drop "19" and the check character
    result = hall.customers.search_customers(clerk, legacy)
    assert result.kind is QueryKind.ID_OR_USCC
    assert cid in [r.id for r in result.rows]


def test_audit_entries_hold_no_identity_numbers(hall: HallApp, supervisor: Actor) -> None:
    cid = _one(hall, select(Customer.id).where(Customer.id_number.is_not(None)))[0]
    hall.customers.get_customer_record(supervisor, cid)
    with hall.db.read() as s:
        numbers = {c.id_number for c in people(hall) if c.id_number}
        phones = {c.contact_phone for c in people(hall)}
        assert numbers and all(n[:1].isdigit() for n in numbers)  # opened, not sealed
        for entry in s.scalars(select(AuditEntry)):
            text = repr((entry.actor_name, entry.before, entry.after, entry.entity_id))
            assert not any(n in text for n in numbers)
            assert not any(p and p in text for p in phones)


def test_a_name_longer_than_the_indexed_prefix_is_matched_once_opened(
    hall: HallApp, clerk: Actor
) -> None:
    """Blind indexes cover four characters; the rest of a longer query is checked opened."""
    company = person(hall, lambda c: len(c.name) >= 8, Customer.kind == CustomerKind.ENTERPRISE)
    sharing = [c.name for c in people(hall) if c.name.startswith(company.name[:4])]
    result = hall.customers.search_customers(clerk, company.name[:6])
    assert result.kind is QueryKind.NAME
    assert company.id in [r.id for r in result.rows]
    assert all(r.name.startswith(company.name[:6]) for r in result.rows)
    assert result.total == sum(n.startswith(company.name[:6]) for n in sharing)
    assert [r.name for r in result.rows] == sorted(r.name for r in result.rows)

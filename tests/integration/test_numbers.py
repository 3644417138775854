"""Choosing a number: filters, pretty-number terms, reservations that never double up and
that expire, and the eligibility checks before opening a number."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import AuditEntry, Counter, Customer, PhoneNumber, Subscription
from hall_app.domain.enums import CustomerKind, NumberStatus, SubscriptionKind, SubscriptionStatus
from hall_app.domain.errors import NotFound, ValidationError
from hall_app.services.actor import Actor
from hall_app.services.numbers import NumberFilter
from tests.conftest import FakeClock


def _at(hall: HallApp, actor: Actor, code: str) -> Actor:
    with hall.db.read() as s:
        c = s.scalars(select(Counter).where(Counter.code == code)).one()
        return replace(actor, counter_id=c.id, counter_name=c.name)


def test_filters_and_pretty_terms(hall: HallApp, clerk: Actor) -> None:
    found = hall.numbers.find_numbers(clerk, NumberFilter(ends_with="8888"))
    assert found and all(n.number.endswith("8888") for n in found)
    top = max(found, key=lambda n: n.prepayment_fen)
    assert top.tier_code == "T1" and top.prepayment_fen == 500_000
    assert top.min_monthly_fen == 29_900 and top.lock_in_months == 36
    plain = hall.numbers.find_numbers(clerk, NumberFilter(tier_code="", no_four=True, prefix="19"))
    assert plain and all(
        n.tier_code is None and "4" not in n.number[3:] and n.number.startswith("19") for n in plain
    )
    assert all(n.tier_name == "普通号码" and n.prepayment_fen == 0 for n in plain)
    tier3 = hall.numbers.find_numbers(clerk, NumberFilter(tier_code="T3"))
    assert tier3 and {n.tier_name for n in tier3} == {"三级靓号"}
    with pytest.raises(ValidationError) as err:
        hall.numbers.find_numbers(clerk, NumberFilter(contains="8a"))
    assert err.value.field == "包含"


def test_ordinary_numbers_come_first_then_by_rising_prepayment(hall: HallApp, clerk: Actor) -> None:
    found = hall.numbers.find_numbers(clerk, NumberFilter())
    assert found[0].tier_code is None  # not a ¥5,000 first-tier number
    kinds = [n.tier_code is not None for n in found]
    assert kinds == sorted(kinds)  # no ordinary number after a pretty one
    pretty = hall.numbers.find_numbers(clerk, NumberFilter(ends_with="888"))
    keys = [(n.tier_code is not None, n.prepayment_fen) for n in pretty]
    assert keys == sorted(keys) and len({n.tier_code for n in pretty}) > 1


def test_reserve_is_exclusive_and_expires(hall: HallApp, clerk: Actor, clock: FakeClock) -> None:
    number = hall.numbers.find_numbers(clerk, NumberFilter())[0].number
    held = hall.numbers.reserve_number(clerk, number)
    assert held.reserved_until == clock.now + timedelta(minutes=30)
    other = _at(hall, clerk, "02")
    with pytest.raises(ValidationError, match="已被其他窗口预占"):
        hall.numbers.reserve_number(other, number)
    assert number not in [n.number for n in hall.numbers.find_numbers(other, NumberFilter())]
    with pytest.raises(ValidationError, match="不是本窗口预占"):
        hall.numbers.release_number(other, number)
    clock.now += timedelta(minutes=31)  # the wizard was abandoned: the hold runs out
    assert hall.numbers.reserve_number(other, number).number.number == number
    clock.now += timedelta(minutes=31)
    assert hall.numbers.release_expired() == 1
    with hall.db.read() as s:
        row = s.scalars(select(PhoneNumber).where(PhoneNumber.number == number)).one()
        assert row.status is NumberStatus.AVAILABLE and row.reserved_until is None
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.entity == "phone_number"))
        assert sorted(actions) == ["number.reservation_expired", "number.reserve", "number.reserve"]


def test_release_returns_the_number(hall: HallApp, clerk: Actor) -> None:
    number = hall.numbers.find_numbers(clerk, NumberFilter())[0].number
    hall.numbers.reserve_number(clerk, number)
    hall.numbers.release_number(clerk, number)
    assert hall.numbers.reserve_number(_at(hall, clerk, "02"), number)


def _status(hall: HallApp, number: str) -> tuple[NumberStatus, uuid.UUID | None]:
    with hall.db.read() as s:
        row = s.scalars(select(PhoneNumber).where(PhoneNumber.number == number)).one()
        return row.status, row.reserved_by_counter_id


def test_reserve_replacing_gives_the_old_number_back_in_one_go(hall: HallApp, clerk: Actor) -> None:
    first, second = (n.number for n in hall.numbers.find_numbers(clerk, NumberFilter())[:2])
    hall.numbers.reserve_number(clerk, first)
    got = hall.numbers.reserve_number(clerk, second, replacing=first)
    assert got.number.number == second
    assert _status(hall, second) == (NumberStatus.RESERVED, clerk.counter_id)
    assert _status(hall, first) == (NumberStatus.AVAILABLE, None)
    with hall.db.read() as s:
        actions = s.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity == "phone_number")
            .order_by(AuditEntry.at, AuditEntry.action)
        ).all()
    assert sorted(actions) == ["number.release", "number.reserve", "number.reserve"]


def test_reserve_replacing_keeps_the_old_number_when_the_new_is_taken(
    hall: HallApp, clerk: Actor
) -> None:
    first, taken = (n.number for n in hall.numbers.find_numbers(clerk, NumberFilter())[:2])
    hall.numbers.reserve_number(clerk, first)
    hall.numbers.reserve_number(_at(hall, clerk, "02"), taken)  # another window has it
    with pytest.raises(ValidationError, match="已被其他窗口预占"):
        hall.numbers.reserve_number(clerk, taken, replacing=first)
    assert _status(hall, first) == (NumberStatus.RESERVED, clerk.counter_id)  # still ours
    with pytest.raises(NotFound):
        hall.numbers.reserve_number(clerk, "19900000000", replacing=first)
    assert _status(hall, first) == (NumberStatus.RESERVED, clerk.counter_id)


def test_reserve_replacing_a_lapsed_reservation_taken_elsewhere(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    first, second = (n.number for n in hall.numbers.find_numbers(clerk, NumberFilter())[:2])
    hall.numbers.reserve_number(clerk, first)
    clock.now += timedelta(minutes=31)
    other = _at(hall, clerk, "02")
    hall.numbers.reserve_number(other, first)  # ours ran out; window 2 took it
    hall.numbers.reserve_number(clerk, second, replacing=first)
    assert _status(hall, first) == (NumberStatus.RESERVED, other.counter_id)  # not ours to free
    # The same number again after its reservation ran out is simply reserved again.
    clock.now += timedelta(minutes=31)
    again = hall.numbers.reserve_number(clerk, second, replacing=second)
    assert again.number.number == second
    assert _status(hall, second) == (NumberStatus.RESERVED, clerk.counter_id)


def test_unknown_number(hall: HallApp, clerk: Actor) -> None:
    with pytest.raises(NotFound):
        hall.numbers.reserve_number(clerk, "19900000000")


def test_many_counters_race_for_one_number(hall: HallApp, clerk: Actor) -> None:
    number = hall.numbers.find_numbers(clerk, NumberFilter())[0].number
    counters = [_at(hall, clerk, code) for code in ("01", "02", "03", "04", "05", "06")]
    wins: list[str] = []
    lock = threading.Lock()

    def attempt(actor: Actor) -> None:
        try:
            hall.numbers.reserve_number(actor, number)
        except ValidationError:
            return
        with lock:
            wins.append(actor.counter_name)

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(attempt, counters * 3))
    assert len(wins) == 1


def _adult_with_no_mobile(hall: HallApp) -> uuid.UUID:
    with hall.db.read() as s:
        return s.scalars(
            select(Customer.id).where(
                Customer.kind == CustomerKind.INDIVIDUAL,
                Customer.guardian_id.is_(None),
                ~Customer.id.in_(
                    select(Subscription.customer_id).where(
                        Subscription.kind == SubscriptionKind.MOBILE
                    )
                ),
            )
        ).first()


def _plan_id(hall: HallApp) -> uuid.UUID:
    from hall_app.db.models import Product
    from hall_app.domain.enums import ProductKind

    with hall.db.read() as s:
        plan = s.scalars(select(Product.id).where(Product.kind == ProductKind.MOBILE_PLAN)).first()
    assert plan is not None
    return plan


def test_eligibility_counts_numbers_and_recent_opens(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    cid = _adult_with_no_mobile(hall)
    assert hall.numbers.check_eligibility(clerk, cid).reasons == ()
    plan = _plan_id(hall)
    with hall.db.unit_of_work() as s:
        for i in range(5):
            days = 3 if i == 0 else 100
            s.add(
                Subscription(
                    customer_id=cid,
                    kind=SubscriptionKind.MOBILE,
                    service_number=f"1330000000{i}",
                    product_id=plan,
                    status=SubscriptionStatus.ACTIVE,
                    activated_at=clock.now - timedelta(days=days),
                )
            )
    refused = hall.numbers.check_eligibility(clerk, cid)
    assert not refused.allowed and "达到上限 5 个" in refused.reasons[0]
    with hall.db.unit_of_work() as s:
        for sub in s.scalars(select(Subscription).where(Subscription.customer_id == cid)):
            if sub.service_number != "13300000000":
                sub.status = SubscriptionStatus.CANCELLED
    e = hall.numbers.check_eligibility(clerk, cid)
    assert e.allowed and e.needs_supervisor and "30 天内已新开 1 个号码" in e.reasons[0]


def test_minors_need_a_guardian(hall: HallApp, clerk: Actor) -> None:
    with hall.db.read() as s:
        minor = s.scalars(
            select(Customer.id).where(
                Customer.guardian_id.is_not(None), Customer.birth_date > date(2011, 1, 1)
            )
        ).first()
    if minor is None:
        pytest.skip("no minor in this demo data")
    e = hall.numbers.check_eligibility(clerk, minor)
    assert e.needs_guardian and "监护人" in " ".join(e.reasons)

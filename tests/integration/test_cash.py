"""The clerk's till: payments belong to the day's cash session; closing counts the drawer."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hall_app.app import HallApp
from hall_app.clock import business_date
from hall_app.db.models import AuditEntry, CashSession, Payment
from hall_app.domain.enums import CashSessionStatus, PaymentMethod
from hall_app.domain.errors import PermissionDenied, ValidationError
from hall_app.domain.payments import PaymentInput
from hall_app.services.actor import Actor
from tests.conftest import FakeClock
from tests.integration.test_open_mobile import _request


def test_payments_count_in_the_till_and_closing_records_the_difference(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    assert hall.cash.current_session(clerk) is None
    opened = hall.cash.open_session(clerk, 20_000)  # a 200 yuan float
    with pytest.raises(ValidationError, match="尚未日结，请先日结再开班"):
        hall.cash.open_session(clerk, 0)
    req = _request(hall, clerk)  # 69.50 yuan in cash (NEW5G half price), 200 handed over
    hall.orders.open_mobile_number(clerk, req)
    mixed = _request(hall, clerk, skip=1)
    mixed = replace(
        mixed,
        payments=(
            PaymentInput(PaymentMethod.BANK_CARD, 5_000, reference="POS778899"),
            PaymentInput(PaymentMethod.QR_WALLET, 1_950, reference="WX20261124001"),
        ),
    )
    hall.orders.open_mobile_number(clerk, mixed)
    now = hall.cash.current_session(clerk)
    assert now is not None and now.id == opened.id
    assert (now.cash_fen, now.card_fen, now.qr_fen, now.payments) == (6_950, 5_000, 1_950, 3)
    assert now.expected_cash_fen == 20_000 + 6_950  # the change went back to the customer

    with pytest.raises(ValidationError) as err:
        hall.cash.close_session(clerk, -1)
    assert err.value.field == "实点现金"
    closed = hall.cash.close_session(clerk, 26_550)  # 4 yuan short of 269.50
    assert closed.status is CashSessionStatus.CLOSED and closed.difference_fen == -400
    with pytest.raises(ValidationError, match="没有未日结"):
        hall.cash.close_session(clerk, 0)
    with pytest.raises(PermissionDenied):
        hall.cash.day_sessions(clerk, closed.business_date)
    day = hall.cash.day_sessions(supervisor, closed.business_date)
    assert [(t.id, t.difference_fen) for t in day if t.id == closed.id] == [(closed.id, -400)]
    with hall.db.read() as s:
        linked = s.scalar(select(func.count()).where(Payment.cash_session_id == closed.id))
        assert linked == 3
        actions = set(
            s.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == str(closed.id)))
        )
        assert actions == {"cash_session.open", "cash_session.close"}


def test_the_first_payment_opens_a_till_if_the_clerk_did_not(hall: HallApp, clerk: Actor) -> None:
    hall.orders.open_mobile_number(clerk, _request(hall, clerk))
    till = hall.cash.current_session(clerk)
    assert till is not None and till.opening_float_fen == 0 and till.cash_fen == 6_950
    assert till.business_date == business_date(hall.clock())


def test_a_failed_order_opens_no_till(hall: HallApp, clerk: Actor) -> None:
    req = replace(_request(hall, clerk), plan_code="NOPE")
    with pytest.raises(ValidationError):
        hall.orders.open_mobile_number(clerk, req)
    with hall.db.read() as s:
        assert (
            s.scalar(
                select(func.count()).where(
                    CashSession.staff_id == clerk.staff_id,
                    CashSession.status == CashSessionStatus.OPEN,
                )
            )
            == 0
        )


def test_a_till_left_open_yesterday_is_closed_first(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    hall.orders.open_mobile_number(clerk, _request(hall, clerk))  # opens the till
    first = hall.cash.current_session(clerk)
    assert first is not None
    clock.now += timedelta(days=1)  # the clerk forgot 日结
    with pytest.raises(ValidationError, match=f"{first.business_date} 的收款尚未日结"):
        hall.cash.open_session(clerk, 10_000)
    hall.orders.open_mobile_number(clerk, _request(hall, clerk, skip=1))  # today's own till
    still = hall.cash.current_session(clerk)
    assert still is not None and still.id == first.id  # the old one comes up to be closed
    closed = hall.cash.close_session(clerk, first.expected_cash_fen)
    assert closed.difference_fen == 0 and closed.business_date == first.business_date
    today = hall.cash.current_session(clerk)
    assert today is not None and today.business_date == first.business_date + timedelta(days=1)
    assert today.cash_fen == 6_950


def test_payment_after_closing_opens_a_new_till(hall: HallApp, clerk: Actor) -> None:
    hall.cash.open_session(clerk, 0)
    hall.orders.open_mobile_number(clerk, _request(hall, clerk))
    closed = hall.cash.close_session(clerk, 6_950)
    hall.orders.open_mobile_number(clerk, _request(hall, clerk, skip=1))
    again = hall.cash.current_session(clerk)
    assert again is not None and again.id != closed.id and again.cash_fen == 6_950

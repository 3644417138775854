"""The clerk's till: payments belong to the day's cash session; closing counts the drawer."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hall_app.app import HallApp, build_app
from hall_app.clock import business_date
from hall_app.config import Settings
from hall_app.db.models import AuditEntry, CashSession, Payment
from hall_app.demo.reference import DEMO_PASSWORD
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
    closed = hall.cash.close_session(clerk, 26_550, "找零多付")  # 4 yuan short of 269.50
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


def test_payment_after_closing_opens_a_new_till_and_says_so(hall: HallApp, clerk: Actor) -> None:
    hall.cash.open_session(clerk, 0)
    first = hall.orders.open_mobile_number(clerk, _request(hall, clerk))
    assert not first.till_reopened  # the till the clerk opened
    closed = hall.cash.close_session(clerk, 6_950)
    after = hall.orders.open_mobile_number(clerk, _request(hall, clerk, skip=1))
    assert after.till_reopened  # the day was closed: this payment opened a new till
    again = hall.cash.current_session(clerk)
    assert again is not None and again.id != closed.id and again.cash_fen == 6_950
    assert again.opening_float_fen == 0
    later = hall.orders.open_mobile_number(clerk, _request(hall, clerk, skip=2))
    assert not later.till_reopened  # said once, for the payment that opened it
    with hall.db.read() as s:
        opened_by = s.scalars(
            select(AuditEntry.after).where(
                AuditEntry.action == "cash_session.open", AuditEntry.entity_id == str(again.id)
            )
        ).one()
    assert opened_by["opened_by"] == "payment after close"


def test_the_first_payment_of_the_day_is_not_flagged(hall: HallApp, clerk: Actor) -> None:
    assert not hall.orders.open_mobile_number(clerk, _request(hall, clerk)).till_reopened


def test_a_float_over_the_configured_maximum_is_refused(
    hall: HallApp, clerk: Actor, demo_url: str, clock: FakeClock
) -> None:
    with pytest.raises(ValidationError) as err:
        hall.cash.open_session(clerk, 9_999_999_900)  # ¥99,999,999
    assert err.value.text == "备用金：最多 ¥20,000.00，现在 ¥99,999,999.00，请核对金额"
    assert hall.cash.current_session(clerk) is None
    with pytest.raises(ValidationError, match=r"备用金：最多 ¥20,000\.00"):
        hall.cash.open_session(clerk, 2_000_001)
    assert hall.cash.open_session(clerk, 2_000_000).opening_float_fen == 2_000_000


def test_the_float_maximum_is_configurable(tmp_path: Path, demo_url: str, clock: FakeClock) -> None:
    config = tmp_path / "hall.toml"
    config.write_text("[rules]\ncash_float_max_fen = 50000\n", encoding="utf-8")
    app = build_app(Settings.load(env={"HALL_CONFIG": str(config)}, db_url=demo_url), clock=clock)
    try:
        clerk = app.auth.log_in("clerk1", DEMO_PASSWORD)
        with pytest.raises(ValidationError, match=r"最多 ¥500\.00"):
            app.cash.open_session(clerk, 50_001)
        assert app.cash.open_session(clerk, 50_000).opening_float_fen == 50_000
    finally:
        app.close()


@pytest.mark.parametrize(("counted", "verdict"), [(6_550, "短款 ¥4.00"), (7_050, "长款 ¥1.00")])
def test_a_difference_needs_a_reason(
    hall: HallApp, clerk: Actor, counted: int, verdict: str
) -> None:
    hall.cash.open_session(clerk, 0)
    hall.orders.open_mobile_number(clerk, _request(hall, clerk))  # 69.50 yuan in cash
    for reason in ("", "   "):
        with pytest.raises(ValidationError) as err:
            hall.cash.close_session(clerk, counted, reason)
        assert err.value.text == f"差异原因：{verdict}，请填写原因后再日结"
    still = hall.cash.current_session(clerk)
    assert still is not None and still.status is CashSessionStatus.OPEN
    with pytest.raises(ValidationError, match="差异原因：最多 200 个字"):
        hall.cash.close_session(clerk, counted, "多" * 201)
    closed = hall.cash.close_session(clerk, counted, " 顾客退回零钱 ")
    assert closed.status is CashSessionStatus.CLOSED
    with hall.db.read() as s:
        after = s.scalars(
            select(AuditEntry.after).where(
                AuditEntry.action == "cash_session.close", AuditEntry.entity_id == str(closed.id)
            )
        ).one()
    assert after["reason"] == "顾客退回零钱"


def test_a_close_against_an_amount_that_has_changed_is_refused(hall: HallApp, clerk: Actor) -> None:
    hall.cash.open_session(clerk, 10_000)
    shown = hall.cash.current_session(clerk)
    assert shown is not None
    hall.orders.open_mobile_number(clerk, _request(hall, clerk))  # a payment meanwhile
    with pytest.raises(ValidationError, match=r"钱箱应有现金已变为 ¥169\.50"):
        hall.cash.close_session(clerk, 10_000, expected_fen=shown.expected_cash_fen)
    assert hall.cash.close_session(clerk, 16_950, expected_fen=16_950).difference_fen == 0

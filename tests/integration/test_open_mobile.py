"""Opening a mobile number end to end in the service layer: one transaction, nothing
half-saved, gap-free invoice numbers, the real-name rules enforced."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Select, func, select

from hall_app.app import HallApp
from hall_app.db.models import (
    Approval,
    AuditEntry,
    Customer,
    Invoice,
    InvoiceLine,
    Order,
    Payment,
    PhoneNumber,
    SimCard,
    Subscription,
)
from hall_app.demo.picks import customers_without_mobile, sims_in_stock
from hall_app.domain.enums import (
    FaceCheckMethod,
    NumberStatus,
    PaymentMethod,
    SimStatus,
    SubscriptionStatus,
)
from hall_app.domain.errors import PermissionDenied, StorageError, ValidationError
from hall_app.domain.money import split_tax
from hall_app.domain.payments import PaymentInput
from hall_app.domain.permissions import Permission
from hall_app.services.actor import Actor
from hall_app.services.numbers import NumberFilter
from hall_app.services.orders import OpenMobileRequest, OrderService
from tests.conftest import FakeClock

PLAN_FEN = 12_900  # 5G 畅享 129 元套餐
NEW5G_DISCOUNT_FEN = 6_450  # 新入网 5G 套餐前 6 个月半价: the first month is charged at ¥64.50
RING_FEN = 500  # 视频彩铃
CHARGED_FEN = PLAN_FEN - NEW5G_DISCOUNT_FEN + RING_FEN  # 6_950, what _request pays


def _customer_without_mobile(hall: HallApp, skip: int = 0) -> uuid.UUID:
    return customers_without_mobile(hall.db, 1, skip)[0]


def _sim(hall: HallApp, skip: int = 0, clerk: Actor | None = None) -> str:
    """A SIM in stock; at a synced counter, one leased to it (or nobody's)."""
    counter_id = clerk.counter_id if clerk is not None and hall.link.configured else None
    return sims_in_stock(hall.db, 1, skip, counter_id)[0]


def _request(
    hall: HallApp, clerk: Actor, *, pretty: bool = False, skip: int = 0, **changes: object
) -> OpenMobileRequest:
    f = NumberFilter(tier_code="T3") if pretty else NumberFilter(tier_code="")
    number = hall.numbers.find_numbers(clerk, f)[skip].number
    hall.numbers.reserve_number(clerk, number)
    req = OpenMobileRequest(
        customer_id=_customer_without_mobile(hall, skip),
        number=number,
        plan_code="5G129",
        iccid=_sim(hall, skip, clerk),
        addon_codes=("VAS_RING",),
        payments=(PaymentInput(PaymentMethod.CASH, CHARGED_FEN, tendered_fen=20_000),),
        face_check=FaceCheckMethod.DEVICE,
        face_checked_by="HK-FR-200",
    )
    return replace(req, **changes)  # type: ignore[arg-type]


def _counts(hall: HallApp) -> tuple[int, int, int, int]:
    with hall.db.read() as s:
        return (
            s.scalar(select(func.count()).select_from(Order)) or 0,
            s.scalar(select(func.count()).select_from(Payment)) or 0,
            s.scalar(select(func.count()).select_from(Invoice)) or 0,
            s.scalar(select(func.count()).select_from(Subscription)) or 0,
        )


def test_open_with_cash_and_change(hall: HallApp, clerk: Actor) -> None:
    req = _request(hall, clerk)
    done = hall.orders.open_mobile_number(clerk, req)
    # plan first month, its promotion's discount, video ring-back tone
    assert done.total_fen == 12_900 - 6_450 + 500 == CHARGED_FEN
    assert done.payments[0].change_fen == 20_000 - 6_950
    assert [(line.description, line.amount_fen) for line in done.lines] == [
        ("5G 畅享 129 元套餐 首月月租", 12_900),
        ("优惠：新入网 5G 套餐前 6 个月半价", -6_450),
        ("视频彩铃 首月", 500),
    ]
    with hall.db.read() as s:
        sub = s.get_one(Subscription, done.subscription_id)
        assert (sub.status, sub.service_number) == (SubscriptionStatus.ACTIVE, req.number)
        number = s.scalars(select(PhoneNumber).where(PhoneNumber.number == req.number)).one()
        assert number.status is NumberStatus.ASSIGNED
        sim = s.scalars(select(SimCard).where(SimCard.iccid == req.iccid)).one()
        assert sim.status is SimStatus.ASSIGNED and sub.sim_id == sim.id
        invoice = s.scalars(select(Invoice).where(Invoice.invoice_no == done.invoice_no)).one()
        lines = s.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)).all()
        plan_split = split_tax(12_900 - 6_450, Decimal("0.09"))  # VAT on what is charged
        ring_split = split_tax(500, Decimal("0.06"))
        assert sorted(line.tax_fen for line in lines) == sorted(
            [plan_split.tax_fen, ring_split.tax_fen]
        )
        assert {line.item_name for line in lines} == {
            "*电信服务*基础电信服务",
            "*电信服务*增值电信服务",
        }
        assert invoice.total_fen == CHARGED_FEN == invoice.amount_fen + invoice.tax_fen
        assert sorted(line.amount_fen + line.tax_fen for line in lines) == [500, 6_450]
        assert s.scalar(select(func.count()).where(AuditEntry.action == "order.open_mobile")) == 1
        order = s.scalars(select(Order).where(Order.order_no == done.order_no)).one()
        assert order.notes == "人像比对：人像比对设备（HK-FR-200）"


def test_pretty_number_prepayment_is_on_the_receipt_not_the_invoice(
    hall: HallApp, clerk: Actor
) -> None:
    req = _request(hall, clerk, pretty=True)
    req = replace(
        req,
        payments=(
            PaymentInput(PaymentMethod.CASH, 10_000, 10_000),
            PaymentInput(
                PaymentMethod.QR_WALLET, 50_000 + CHARGED_FEN - 10_000, None, "WX20261124001"
            ),
        ),
    )
    done = hall.orders.open_mobile_number(clerk, req)
    prepay = [line for line in done.lines if not line.invoiceable]
    assert [(line.description, line.amount_fen) for line in prepay] == [
        ("三级靓号预存话费", 50_000)
    ]
    assert done.total_fen == 50_000 + CHARGED_FEN and done.invoice_total_fen == CHARGED_FEN
    with hall.db.read() as s:
        sub = s.get_one(Subscription, done.subscription_id)
        assert sub.balance_fen == 50_000
        assert sub.lock_in_until is not None  # the tier's 24-month term


def test_invoice_numbers_follow_each_other(hall: HallApp, clerk: Actor) -> None:
    first = hall.orders.open_mobile_number(clerk, _request(hall, clerk))
    second = hall.orders.open_mobile_number(clerk, _request(hall, clerk, skip=1))
    assert first.invoice_no and second.invoice_no
    assert int(second.invoice_no[5:]) == int(first.invoice_no[5:]) + 1
    assert second.order_no > first.order_no


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"iccid": "89860090012421234560"}, "ICCID"),  # Luhn fails
        ({"plan_code": "NOPE"}, "套餐"),
        # the full ¥134.00 without the promotion's discount is not what is due
        ({"payments": (PaymentInput(PaymentMethod.CASH, 13_400, 20_000),)}, "支付金额"),
        ({"payments": (PaymentInput(PaymentMethod.BANK_CARD, 6_950, None, ""),)}, "交易参考号"),
        ({"face_checked_by": " "}, "人像比对"),
    ],
)
def test_bad_input_changes_nothing(
    hall: HallApp, clerk: Actor, changes: dict[str, object], field: str
) -> None:
    req = replace(_request(hall, clerk), **changes)  # type: ignore[arg-type]
    before = _counts(hall)
    with pytest.raises(ValidationError) as err:
        hall.orders.open_mobile_number(clerk, req)
    assert err.value.field == field
    assert _counts(hall) == before
    with hall.db.read() as s:
        number = s.scalars(select(PhoneNumber).where(PhoneNumber.number == req.number)).one()
        assert number.status is NumberStatus.RESERVED  # still held for this counter


def test_used_sim_and_expired_reservation(hall: HallApp, clerk: Actor, clock: FakeClock) -> None:
    first = _request(hall, clerk)
    hall.orders.open_mobile_number(clerk, first)
    with pytest.raises(ValidationError, match="不能再用于开户"):
        hall.orders.check_sim(clerk, first.iccid)
    second = _request(hall, clerk, skip=1, iccid=first.iccid)
    with pytest.raises(ValidationError, match="不在库存或已被使用"):
        hall.orders.open_mobile_number(clerk, second)
    third = _request(hall, clerk, skip=2)
    clock.now += timedelta(minutes=31)
    with pytest.raises(ValidationError, match="预占已过期"):
        hall.orders.open_mobile_number(clerk, third)


def test_a_database_error_mid_order_leaves_nothing_behind(
    hall: HallApp, clerk: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    req = _request(hall, clerk)
    before = _counts(hall)
    with hall.db.read() as s:
        next_invoice = s.scalar(select(func.max(Invoice.invoice_no)))

    def broken(*args: object, **kwargs: object) -> object:
        raise StorageError("数据库无法访问或繁忙，本次操作未保存，请稍后重试", "数据库")

    monkeypatch.setattr(OrderService, "_invoice", broken)
    with pytest.raises(StorageError):
        hall.orders.open_mobile_number(clerk, req)
    monkeypatch.undo()
    assert _counts(hall) == before
    with hall.db.read() as s:
        assert s.scalars(select(SimCard.status).where(SimCard.iccid == req.iccid)).one() is (
            SimStatus.IN_STOCK
        )
        assert (
            s.scalars(select(PhoneNumber.status).where(PhoneNumber.number == req.number)).one()
            is NumberStatus.RESERVED
        )
    done = hall.orders.open_mobile_number(clerk, req)  # the same order goes through afterwards
    assert next_invoice is not None and done.invoice_no is not None
    assert int(done.invoice_no[5:]) == int(next_invoice[5:]) + 1  # no number was lost


def test_second_number_in_30_days_needs_a_supervisor(hall: HallApp, clerk: Actor) -> None:
    first = _request(hall, clerk)
    hall.orders.open_mobile_number(clerk, first)
    again = replace(_request(hall, clerk, skip=1), customer_id=first.customer_id)
    with pytest.raises(ValidationError) as err:
        hall.orders.open_mobile_number(clerk, again)
    assert err.value.field == "主管授权" and "30 天内" in err.value.text
    with pytest.raises(PermissionDenied, match="无权授权"):
        hall.auth.authorize("clerk2", "hall1234", Permission.APPROVE)
    boss = hall.auth.authorize("super1", "hall1234", Permission.APPROVE)
    done = hall.orders.open_mobile_number(clerk, replace(again, supervisor=boss))
    with hall.db.read() as s:
        approval = s.scalars(select(Approval).where(Approval.order_id == done.order_id)).one()
        assert approval.approver_id == boss.staff_id


def _opened_lately(hall: HallApp) -> Select[tuple[uuid.UUID]]:
    """Customers with a number opened within the window that makes a supervisor decide."""
    since = hall.clock() - timedelta(days=hall.settings.rules.recent_open_window_days)
    return select(Subscription.customer_id).where(Subscription.activated_at >= since)


def test_minor_needs_a_guardian(hall: HallApp, clerk: Actor) -> None:
    with hall.db.read() as s:
        minor = s.scalars(  # one with no number opened lately: a guardian is all it needs
            select(Customer)
            .where(Customer.guardian_id.is_not(None), Customer.id.not_in(_opened_lately(hall)))
            .order_by(Customer.id)
        ).first()
        if minor is None:
            pytest.skip("no minor in this demo data")
        minor_id, guardian_id = minor.id, minor.guardian_id
    req = replace(_request(hall, clerk), customer_id=minor_id)
    with pytest.raises(ValidationError) as err:
        hall.orders.open_mobile_number(clerk, req)
    assert err.value.field == "监护人"
    assert hall.orders.open_mobile_number(clerk, replace(req, guardian_id=guardian_id))

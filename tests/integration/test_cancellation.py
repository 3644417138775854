"""销户: each condition refusing alone (nothing saved), then a clean cancellation: the balance
refunded from the clerk's till with a 退款小票, the bonus forfeited, add-ons ended, the SIM
deactivated and the number quarantined for ``number_quarantine_days``."""

from __future__ import annotations

import json
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from hall_app.app import HallApp
from hall_app.clock import business_date
from hall_app.db.models import (
    AuditEntry,
    HandsetCommitment,
    Order,
    OrderLine,
    Payment,
    PhoneNumber,
    Product,
    SimCard,
    Subscription,
    SubscriptionAddon,
)
from hall_app.domain.enums import (
    ContractStatus,
    NumberStatus,
    OrderType,
    PaymentMethod,
    ProductKind,
    SimStatus,
    SubscriptionStatus,
)
from hall_app.domain.errors import ValidationError
from hall_app.services.actor import Actor
from hall_app.services.cancellation import CancelRequest
from hall_app.services.documents import DocumentKind
from tests.conftest import FakeClock
from tests.sim_cancel_helpers import (
    SIGNED,
    Mobile,
    dispute,
    mobile,
    open_work_order_on,
    running_contract,
    unpaid_bill,
)


def _failed(hall: HallApp, clerk: Actor, sub: Mobile) -> dict[str, str]:
    check = hall.cancellations.check_cancellation(clerk, sub.id)
    assert not check.allowed
    return {c.name: c.reason for c in check.checks if not c.passed}


def _refused(hall: HallApp, clerk: Actor, sub: Mobile, text: str) -> None:
    with hall.db.read() as s:
        before = s.scalar(select(func.count()).select_from(Order))
    check = hall.cancellations.check_cancellation(clerk, sub.id)
    req = CancelRequest(sub.id, signature_png=SIGNED, terms_text=check.terms)
    with pytest.raises(ValidationError) as err:
        hall.cancellations.cancel(clerk, req)
    assert text in err.value.text and err.value.field == "业务号码"
    with hall.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == before
        after = s.get_one(Subscription, sub.id)
        assert after.status is SubscriptionStatus.ACTIVE and after.balance_fen == 8_850
        number = s.scalars(select(PhoneNumber).where(PhoneNumber.number == sub.service_number))
        assert number.one().status is NumberStatus.ASSIGNED


def _today(hall: HallApp) -> date:
    return business_date(hall.clock())


def test_unpaid_bills_refuse_with_the_amount(hall: HallApp, clerk: Actor) -> None:
    sub = mobile(hall, clerk)
    unpaid_bill(hall, sub, 12_345, _today(hall) - timedelta(days=3))
    assert _failed(hall, clerk, sub) == {"账单已结清": "有未缴话费 ¥123.45，请先办理缴费"}
    _refused(hall, clerk, sub, "有未缴话费 ¥123.45")


def test_a_lock_in_refuses(hall: HallApp, clerk: Actor) -> None:
    sub = mobile(hall, clerk)
    until = _today(hall) + timedelta(days=40)
    with hall.db.unit_of_work() as s:
        s.execute(update(Subscription).where(Subscription.id == sub.id).values(lock_in_until=until))
    assert list(_failed(hall, clerk, sub)) == ["合约期"]
    _refused(hall, clerk, sub, f"套餐合约期至 {until:%Y-%m-%d}")


def test_a_contract_phone_refuses_quoting_the_clawback(hall: HallApp, clerk: Actor) -> None:
    today = _today(hall)
    with hall.db.read() as s:
        c = s.scalars(
            select(HandsetCommitment).where(
                HandsetCommitment.status == ContractStatus.ACTIVE,
                HandsetCommitment.ends_on >= today,
            )
        ).first()
        assert c is not None, "the demo has running contract phones"
        sub_row = s.get_one(Subscription, c.subscription_id)
        sub = Mobile(sub_row.id, sub_row.customer_id, sub_row.service_number, None, None)
    quote = hall.handsets.contract_clawback(clerk, sub.id, today)
    assert quote is not None and quote.amount_fen > 0
    check = hall.cancellations.check_cancellation(clerk, sub.id)
    assert check.clawback_fen == quote.amount_fen and not check.allowed
    reason = {c.name: c.reason for c in check.checks}["合约机"]
    money = f"¥{quote.amount_fen // 100:,}.{quote.amount_fen % 100:02d}"
    assert money in reason and "合约期内不能销户" in reason


def test_an_installment_contract_refuses(hall: HallApp, clerk: Actor) -> None:
    sub = mobile(hall, clerk)
    running_contract(hall, sub)
    failed = _failed(hall, clerk, sub)
    assert list(failed) == ["分期合同"] and "未还" in failed["分期合同"]
    _refused(hall, clerk, sub, "购机分期尚有")


def test_an_open_work_order_refuses(hall: HallApp, clerk: Actor) -> None:
    sub = mobile(hall, clerk)
    work = open_work_order_on(hall, sub)
    assert work is not None, "the demo has scheduled work orders"
    assert _failed(hall, clerk, sub) == {"在途工单": f"装机工单 {work} 尚未完成"}
    _refused(hall, clerk, sub, work)


def test_a_balance_in_dispute_refuses(hall: HallApp, clerk: Actor, clock: FakeClock) -> None:
    sub = mobile(hall, clerk)
    dispute(hall, sub, clock(), category="网络质量")  # a complaint, but no dispute
    assert hall.cancellations.check_cancellation(clerk, sub.id).allowed
    dispute(hall, sub, clock())
    failed = _failed(hall, clerk, sub)
    assert list(failed) == ["余额争议"] and "费用争议尚未处理完毕" in failed["余额争议"]
    _refused(hall, clerk, sub, "余额有争议时不能销户")


def _text(pdf: bytes, tmp_path: Path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_a_cancellation_refunds_forfeits_and_quarantines(
    hall: HallApp, clerk: Actor, clock: FakeClock, tmp_path: Path
) -> None:
    sub = mobile(hall, clerk)
    with hall.db.unit_of_work() as s:
        product = s.scalar(select(Product.id).where(Product.kind == ProductKind.VALUE_ADDED))
        s.add(
            SubscriptionAddon(
                subscription_id=sub.id, product_id=product, active_from=date(2026, 1, 1)
            )
        )
    check = hall.cancellations.check_cancellation(clerk, sub.id)
    assert check.allowed and check.refund_fen == 8_850 and check.bonus_forfeit_fen == 2_000
    assert "¥88.50" in check.terms and "¥20.00 不予退还" in check.terms
    with pytest.raises(ValidationError) as err:  # what is signed must be what is done
        hall.cancellations.cancel(clerk, CancelRequest(sub.id, terms_text="别的"))
    assert err.value.field == "客户确认"
    done = hall.cancellations.cancel(
        clerk, CancelRequest(sub.id, signature_png=SIGNED, terms_text=check.terms)
    )
    assert done.refund_fen == 8_850 and done.bonus_forfeit_fen == 2_000
    assert done.quarantined_until == clock() + timedelta(days=90)
    assert done.number_masked == sub.service_number[:3] + "****" + sub.service_number[-4:]
    with hall.db.read() as s:
        after = s.get_one(Subscription, sub.id)
        assert after.status is SubscriptionStatus.CANCELLED and after.cancelled_at is not None
        assert (after.balance_fen, after.bonus_fen) == (0, 0)
        number = s.scalars(
            select(PhoneNumber).where(PhoneNumber.number == sub.service_number)
        ).one()
        assert number.status is NumberStatus.QUARANTINED
        assert number.quarantined_until is not None
        assert s.scalar(select(SimCard.status).where(SimCard.id == sub.sim_id)) == (
            SimStatus.DEACTIVATED
        )
        addon = s.scalars(
            select(SubscriptionAddon).where(SubscriptionAddon.subscription_id == sub.id)
        ).one()
        assert addon.active_to == _today(hall)
        order = s.get_one(Order, done.order_id)
        assert order.order_type is OrderType.CANCEL and order.total_fen == -8_850
        assert order.subscription_id == sub.id
        pay = s.scalars(select(Payment).where(Payment.order_id == done.order_id)).one()
        assert pay.method is PaymentMethod.CASH and pay.amount_fen == -8_850
        assert pay.cash_session_id is not None
        line = s.scalars(select(OrderLine).where(OrderLine.order_id == done.order_id)).one()
        assert line.amount_fen == -8_850 and not line.invoiceable
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "order.cancel")).one()
        text = json.dumps(entry.after, ensure_ascii=False)
        assert sub.service_number not in text
        assert entry.after is not None and entry.after["after"]["status"] == "cancelled"
    receipt = _text(
        hall.documents.print_document(clerk, done.order_id, DocumentKind.RECEIPT).pdf, tmp_path, "r"
    )
    assert "退款小票" in receipt and "88.50" in receipt and "退还账户预存余额" in receipt
    # the money going back is positive under 退款: no 负 in 大写, no prepayment footer, the
    # number once (业务号码/号码), not again as 销户号码
    assert "负" not in receipt and "-¥" not in receipt and "捌拾捌元伍角" in receipt
    assert "随消费开具" not in receipt and "销户号码" not in receipt
    form = _text(
        hall.documents.print_document(clerk, done.order_id, DocumentKind.ACCEPTANCE_FORM).pdf,
        tmp_path,
        "f",
    ).replace(" ", "")
    assert "号码冷冻至" in form and "赠送金额作废" in form
    # Cancelled is final: a second cancellation is refused.
    with pytest.raises(ValidationError) as err:
        hall.cancellations.check_cancellation(clerk, sub.id)
    assert "不能办理销户" in err.value.text


def test_a_card_refund_needs_its_reference(hall: HallApp, clerk: Actor) -> None:
    sub = mobile(hall, clerk)
    with pytest.raises(ValidationError) as err:
        hall.cancellations.cancel(clerk, CancelRequest(sub.id, PaymentMethod.BANK_CARD))
    assert err.value.field == "交易参考号"

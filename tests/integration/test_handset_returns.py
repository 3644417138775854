"""Handset returns: an outright sale returned undamaged within the period, with a supervisor —
refunds by the sale's own methods in the clerk's till, the sale's invoice red-lettered in the
same transaction, the unit back in stock as 退货入库; refused (nothing saved) when damaged,
past the period, a contract or installment handset, already returned, or without a
supervisor."""

from __future__ import annotations

import subprocess
import threading
import uuid
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hall_app.app import HallApp
from hall_app.db.models import (
    AuditEntry,
    Customer,
    Device,
    HandsetCommitment,
    Invoice,
    InvoiceLine,
    Order,
    Payment,
)
from hall_app.domain.enums import (
    CreditOutcome,
    DeviceStatus,
    InvoiceKind,
    InvoiceStatus,
    OrderType,
    PaymentMethod,
    SaleMode,
)
from hall_app.domain.errors import HallError, PermissionDenied, ValidationError
from hall_app.domain.payments import PaymentInput
from hall_app.services.actor import Actor
from hall_app.services.documents import DocumentKind
from hall_app.services.handset_returns import ReturnRequest
from tests.conftest import FakeClock
from tests.handset_fixtures import HandsetSetup, prepare_handsets, sale_request, signed
from tests.return_fixtures import sell_outright, stock_unit


@pytest.fixture
def st(hall: HallApp) -> HandsetSetup:
    return prepare_handsets(hall)


def _other_adult(hall: HallApp, st: HandsetSetup) -> uuid.UUID:
    with hall.db.read() as s:
        return s.scalars(
            select(Customer.id).where(
                Customer.guardian_id.is_(None), Customer.id.not_in([st.customer_id, st.minor_id]),
                Customer.birth_date < date(2000, 1, 1),
            ).order_by(Customer.id).limit(1)
        ).one()  # fmt: skip


def _counts(hall: HallApp) -> tuple[int, int, int, int]:
    with hall.db.read() as s:
        return (
            s.scalar(select(func.count()).select_from(Order)) or 0,
            s.scalar(select(func.count()).select_from(Payment)) or 0,
            s.scalar(select(func.count()).select_from(Invoice)) or 0,
            s.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        )


def test_an_outright_sale_is_returned_refunded_and_red_lettered(
    hall: HallApp, clerk: Actor, supervisor: Actor, clock: FakeClock, st: HandsetSetup
) -> None:
    customer = st.customer_id
    imei = stock_unit(hall, clerk, st, 1)
    price = _price(hall, imei)
    cash_part = 100_000
    sold = sell_outright(
        hall, clerk, st, imei,
        (
            PaymentInput(PaymentMethod.CASH, cash_part, tendered_fen=cash_part + 5_000),
            PaymentInput(PaymentMethod.BANK_CARD, price - cash_part, reference="POS000007"),
        ),
    )  # fmt: skip
    till_before = hall.cash.current_session(clerk)
    assert till_before is not None and till_before.cash_fen >= cash_part

    clock.now += timedelta(days=3)  # within the period
    listed = hall.handset_returns.returnable(clerk, customer)
    view = next(v for v in listed if v.order_id == sold.order_id)
    assert view.allowed and view.reason == "" and view.imei == imei
    assert view.deadline == view.sold_on + timedelta(days=7)
    assert dict(view.payments) == {"现金": cash_part, "银行卡": price - cash_part}
    assert view.invoice_no == sold.invoice_no

    done = hall.handset_returns.return_handset(
        clerk, ReturnRequest(sold.order_id, undamaged=True, reason="七天无理由退货",
                             supervisor=supervisor),
    )  # fmt: skip
    assert done.imei == imei and done.total_fen == -price
    assert {(r.method, r.amount_fen) for r in done.refunds} == {
        (PaymentMethod.CASH, cash_part),
        (PaymentMethod.BANK_CARD, price - cash_part),
    }
    with hall.db.read() as s:
        ret = s.scalars(select(Order).where(Order.order_no == done.order_no)).one()
        assert ret.order_type is OrderType.HANDSET_RETURN and ret.total_fen == -price
        assert sold.order_no in ret.notes and imei in ret.notes
        refunds = s.scalars(select(Payment).where(Payment.order_id == ret.id)).all()
        assert sorted(p.amount_fen for p in refunds) == sorted([-cash_part, cash_part - price])
        assert all(p.staff_id == clerk.staff_id and p.cash_session_id for p in refunds)
        # The card refund names the sale's own POS reference (the refund receipt's 参考号).
        card = next(p for p in refunds if p.method is PaymentMethod.BANK_CARD)
        assert card.reference == "原交易 POS000007"
        refund_till = refunds[0].cash_session_id
        blue = s.scalars(select(Invoice).where(Invoice.invoice_no == sold.invoice_no)).one()
        red = s.scalars(select(Invoice).where(Invoice.invoice_no == done.red_invoice_no)).one()
        assert blue.status is InvoiceStatus.RED_LETTERED
        assert red.kind is InvoiceKind.RED and red.original_invoice_id == blue.id
        assert red.total_fen == -blue.total_fen == -price and red.order_id == ret.id
        assert "手机退货：七天无理由退货" in red.remarks
        red_lines = s.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == red.id)).all()
        assert [line.amount_fen + line.tax_fen for line in red_lines] == [-price]
        unit = s.scalars(select(Device).where(Device.imei == imei)).one()
        assert unit.status is DeviceStatus.RETURNED and unit.location == "营业厅库房"
        assert unit.order_id is None and unit.customer_id is None and unit.sold_at is None
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "order.handset_return")
        ).one()
        assert entry.before is not None and entry.before["order_no"] == sold.order_no
        assert entry.before["customer_id"] == str(customer)  # the history stays in the audit
        assert entry.after is not None and entry.after["approved_by"] == "super1"
        red_audit = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "invoice.red_letter")
        ).one()
        assert red_audit.after is not None and red_audit.after["approved_by"] == "super1"
    # The till: the cash refund comes out of the drawer's expected cash (today's till: the
    # sale's was three days ago).
    tills = {t.id: t for t in hall.cash.day_sessions(supervisor, clock.now.date())}
    till = tills[refund_till]
    assert till.id != till_before.id and till.cash_fen == -cash_part
    assert till.expected_cash_fen == till.opening_float_fen - cash_part
    assert till.card_fen == -(price - cash_part)
    # Listed now as returned, and refused a second time.
    again = next(v for v in hall.handset_returns.returnable(clerk, customer)
                 if v.order_id == sold.order_id)  # fmt: skip
    assert not again.allowed and done.order_no in again.reason and again.imei == imei
    before = _counts(hall)
    with pytest.raises(ValidationError) as err:
        hall.handset_returns.return_handset(
            clerk, ReturnRequest(sold.order_id, True, "再退一次", supervisor)
        )
    assert err.value.field == "退货订单" and "已于受理单" in err.value.text
    assert _counts(hall) == before
    # The returned unit is sellable again.
    resold = sell_outright(hall, clerk, st, imei, customer_id=_other_adult(hall, st))
    assert resold.imei == imei


def _price(hall: HallApp, imei: str) -> int:
    from hall_app.db.models import Product

    with hall.db.read() as s:
        return int(
            s.scalar(
                select(Product.price_fen).join(Device, Device.product_id == Product.id)
                .where(Device.imei == imei)
            ) or 0
        )  # fmt: skip


def _refused(hall: HallApp, clerk: Actor, req: ReturnRequest, field: str, words: str) -> HallError:
    before = _counts(hall)
    with hall.db.read() as s:
        unit = s.scalars(select(Device).where(Device.order_id == req.order_id)).one_or_none()
        status = unit.status if unit else None
    with pytest.raises(HallError) as err:
        hall.handset_returns.return_handset(clerk, req)
    assert err.value.field == field and words in err.value.text, err.value.text
    assert _counts(hall) == before  # nothing saved, not even an audit entry
    with hall.db.read() as s:
        unit = s.scalars(select(Device).where(Device.order_id == req.order_id)).one_or_none()
        assert (unit.status if unit else None) == status
    return err.value


def test_refusals_save_nothing(
    hall: HallApp, clerk: Actor, supervisor: Actor, clock: FakeClock, st: HandsetSetup
) -> None:
    customer = st.customer_id
    sold = sell_outright(hall, clerk, st, stock_unit(hall, clerk, st, 2))
    damaged = ReturnRequest(
        sold.order_id, undamaged=False, reason="屏幕划伤", supervisor=supervisor
    )
    _refused(hall, clerk, damaged, "外观完好", "不能退货")
    no_reason = ReturnRequest(sold.order_id, True, " ", supervisor)
    _refused(hall, clerk, no_reason, "退货原因", "请填写退货原因")
    clerk2 = hall.auth.log_in("clerk2", "hall1234")
    by_clerk = ReturnRequest(sold.order_id, True, "不想要了", clerk2)
    assert isinstance(_refused(hall, clerk, by_clerk, "主管授权", "无权授权退货"), PermissionDenied)
    unknown = ReturnRequest(uuid.uuid4(), True, "不想要了", supervisor)
    _refused(hall, clerk, unknown, "退货订单", "没有这笔手机销售")
    # Day 7 after the sale is the last day; day 8 is too late.
    clock.now += timedelta(days=8)
    view = next(
        v for v in hall.handset_returns.returnable(clerk, customer) if v.order_id == sold.order_id
    )
    assert not view.allowed and "已超过 7 天退货期限" in view.reason
    late = ReturnRequest(sold.order_id, True, "不想要了", supervisor)
    _refused(hall, clerk, late, "退货订单", "已超过 7 天退货期限")
    clock.now -= timedelta(days=1)
    assert hall.handset_returns.return_handset(clerk, late).imei == sold.imei


def test_the_refund_receipt_names_the_original_card_reference(
    hall: HallApp, clerk: Actor, supervisor: Actor, st: HandsetSetup, tmp_path: Path
) -> None:
    """Walk-through: the refund receipt's card 参考号 read 退款 SL2026… instead of the POS
    reference of the sale the acquirer refunds against."""
    imei = stock_unit(hall, clerk, st, 5)
    price = _price(hall, imei)
    sold = sell_outright(
        hall, clerk, st, imei,
        (PaymentInput(PaymentMethod.BANK_CARD, price, reference="POS123456"),),
    )  # fmt: skip
    done = hall.handset_returns.return_handset(
        clerk, ReturnRequest(sold.order_id, True, "七天无理由退货", supervisor)
    )
    pdf = hall.documents.print_document(clerk, done.order_id, DocumentKind.RECEIPT).pdf
    path = tmp_path / "refund.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "参考号：原交易 POS123456" in text
    assert f"退款 {sold.order_no}" not in text


def test_a_contract_handset_is_not_returned_here(
    hall: HallApp, clerk: Actor, supervisor: Actor, st: HandsetSetup
) -> None:
    customer = st.customer_id
    req = signed(hall, clerk, sale_request(st, SaleMode.CONTRACT))
    sold = hall.handsets.sell(clerk, req)
    assert sold.commitment_id is not None
    view = next(
        v for v in hall.handset_returns.returnable(clerk, customer) if v.order_id == sold.order_id
    )
    assert not view.allowed and "仅限裸机购买" in view.reason
    # No return period to show, and the handset's price (what was paid plus the subsidy).
    assert view.deadline is None and view.bound
    with hall.db.read() as s:
        subsidy = s.scalars(
            select(HandsetCommitment.subsidy_fen).where(HandsetCommitment.order_id == sold.order_id)
        ).one()
    assert subsidy > 0 and view.price_fen == view.total_fen + subsidy
    req = ReturnRequest(sold.order_id, True, "不想要了", supervisor)
    _refused(hall, clerk, req, "退货订单", "合约机")


def test_an_installment_sale_shows_its_price_and_no_deadline(
    hall: HallApp, clerk: Actor, supervisor: Actor, st: HandsetSetup
) -> None:
    """Walk-through: the list showed ¥1,500.00 (the down payment) for a ¥5,999 handset and a
    退货截止 date although it can never be returned."""
    req = sale_request(st, SaleMode.INSTALLMENT)
    assert req.offer_id is not None
    credit = hall.handsets.assess_credit(
        clerk, req.customer_id, req.product_id, req.offer_id, req.down_payment_fen
    )
    assert credit.outcome is CreditOutcome.APPROVED, credit.reasons
    req = replace(req, credit_assessment_id=credit.assessment_id)
    sold = hall.handsets.sell(clerk, signed(hall, clerk, req))
    assert sold.contract_id is not None
    view = next(
        v
        for v in hall.handset_returns.returnable(clerk, st.customer_id)
        if v.order_id == sold.order_id
    )
    assert not view.allowed and "分期购机不能退货" in view.reason
    assert view.deadline is None
    assert view.total_fen == sold.total_fen < st.price_fen  # the down payment
    assert view.price_fen == st.price_fen
    _refused(
        hall, clerk, ReturnRequest(sold.order_id, True, "不想要了", supervisor), "退货订单", "分期"
    )


def test_two_clerks_returning_the_same_sale_at_once_return_it_once(
    hall: HallApp, clerk: Actor, supervisor: Actor, st: HandsetSetup
) -> None:
    sold = sell_outright(hall, clerk, st, stock_unit(hall, clerk, st, 4))
    clerk2 = hall.auth.log_in("clerk2", "hall1234")
    with hall.db.read() as s:  # the demo data's own returns
        returns = s.scalar(select(func.count()).where(Order.order_type == OrderType.HANDSET_RETURN))
        reds = s.scalar(select(func.count()).where(Invoice.kind == InvoiceKind.RED))
    results: list[str] = []
    start = threading.Barrier(2)

    def work(actor: Actor) -> None:
        start.wait()
        try:
            hall.handset_returns.return_handset(
                actor, ReturnRequest(sold.order_id, True, "不想要了", supervisor)
            )
            results.append("ok")
        except ValidationError as exc:
            results.append(exc.text)

    threads = [threading.Thread(target=work, args=(a,)) for a in (clerk, clerk2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results.count("ok") == 1 and len(results) == 2, results
    lost = next(r for r in results if r != "ok")
    assert lost.startswith("退货订单：") and "退货" in lost[5:], lost
    with hall.db.read() as s:
        assert (
            s.scalar(select(func.count()).where(Order.order_type == OrderType.HANDSET_RETURN))
            == (returns or 0) + 1
        )
        assert (
            s.scalar(select(func.count()).where(Invoice.kind == InvoiceKind.RED)) == (reds or 0) + 1
        )

"""Tills closed with a blind count by denomination, card/QR settlement, the variance signed off
beyond the tolerance, cash in/out, X and Z reports, reprints, the hall's day close."""

from __future__ import annotations

import json
import subprocess
import uuid
from dataclasses import fields, replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hall_app.app import HallApp
from hall_app.clock import business_date
from hall_app.db.models import Approval, AuditEntry, Order, PrintRecord, ZReport
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.enums import ApprovalState, CashMovementKind, PaymentMethod
from hall_app.domain.errors import PermissionDenied, ValidationError
from hall_app.domain.payments import PaymentInput
from hall_app.services.actor import Actor
from hall_app.services.approvals import ApprovalRequest
from hall_app.services.cash import TillCount
from tests.conftest import FakeClock
from tests.integration.test_open_mobile import CHARGED_FEN, _request

# 200 yuan float + 69.50 cash: 2×100, 1×50, 1×10, 1×5, 4×1, 1×0.5 = 269.50
EXACT = {10_000: 2, 5_000: 1, 1_000: 1, 500: 1, 100: 4, 50: 1}


def _sale(hall: HallApp, clerk: Actor, skip: int = 0, card: int = 0, qr: int = 0) -> None:
    req = _request(hall, clerk, skip=skip)
    if card or qr:
        pays = []
        if card:
            pays.append(PaymentInput(PaymentMethod.BANK_CARD, card, reference="POS778899"))
        if qr:
            pays.append(PaymentInput(PaymentMethod.QR_WALLET, qr, reference="WX20261124001"))
        req = replace(req, payments=tuple(pays))
    hall.orders.open_mobile_number(clerk, req)


def _z_numbers(hall: HallApp) -> list[int]:
    with hall.db.read() as s:
        return list(s.scalars(select(ZReport.z_no).order_by(ZReport.z_no)))


def test_a_blind_count_by_denomination_closes_the_till_with_its_z_report(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    hall.cash.open_session(clerk, 20_000)
    _sale(hall, clerk)  # 69.50 cash (200 handed over, 130.50 change)
    _sale(hall, clerk, skip=1, card=5_000, qr=1_950)
    blind = hall.cash.till_to_count(clerk)
    assert blind is not None and not blind.counted
    shown = {f.name for f in fields(blind)}
    assert not any("expected" in f or "cash_fen" in f for f in shown)  # nothing to copy from

    counted = hall.cash.record_count(clerk, TillCount(EXACT, card_fen=5_000, qr_fen=1_950))
    assert counted.counted and counted.counted_cash_fen == 26_950
    assert counted.expected_cash_fen == 26_950 and counted.variance_fen == 0
    assert [(c.code, c.expected_fen, c.counted_fen) for c in counted.checks] == [
        ("cash", 26_950, 26_950),
        ("bank_card", 5_000, 5_000),
        ("qr_wallet", 1_950, 1_950),
    ]
    closed = hall.cash.close_session(clerk)
    assert closed.z_no is not None and closed.difference_fen == 0
    z = hall.cash.z_report(supervisor, closed.id)
    assert z.z_ref == f"Z{closed.z_no:08d}"
    content = z.content
    assert content["float_fen"] == 20_000 and content["payments"] == 3
    assert content["change_fen"] == 13_050 and content["cash_tendered_fen"] == 20_000
    assert content["takings"] == {
        "cash": 6_950,
        "bank_card": 5_000,
        "qr_wallet": 1_950,
        "prepaid_card": 0,
    }
    assert [(d["label"], d["pieces"]) for d in content["counts"] if d["pieces"]] == [
        ("100元", 2),
        ("50元", 1),
        ("10元", 1),
        ("5元", 1),
        ("1元", 4),
        ("5角", 1),
    ]
    assert content["verdict"] == "账实相符" and content["counts_made"] == 1


def test_a_negative_or_unknown_denomination_is_refused(hall: HallApp, clerk: Actor) -> None:
    hall.cash.open_session(clerk, 0)
    with pytest.raises(ValidationError) as err:
        hall.cash.record_count(clerk, TillCount({10_000: 1, 50: -2}))
    assert err.value.text == "点钞：5角的张数不能为负数（现在 -2）"
    with pytest.raises(ValidationError, match=r"没有 ¥3\.00 面额"):
        hall.cash.record_count(clerk, TillCount({300: 1}))
    with pytest.raises(ValidationError, match="银行卡结算：结算金额不能为负数"):
        hall.cash.record_count(clerk, TillCount({}, card_fen=-1))
    blind = hall.cash.till_to_count(clerk)
    assert blind is not None and not blind.counted  # nothing kept
    with pytest.raises(ValidationError, match="请先点钞"):
        hall.cash.close_session(clerk)


def test_a_variance_is_recorded_and_beyond_the_tolerance_a_supervisor_signs_it_off(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    tolerance = hall.settings.rules.cash_variance_tolerance_fen
    assert tolerance == 1_000
    hall.cash.open_session(clerk, 20_000)
    _sale(hall, clerk, card=6_950)
    view = hall.cash.record_count(clerk, TillCount({10_000: 1}, card_fen=7_050))
    assert view.variance_fen == 10_000 + 100  # 100 yuan of the 200 float; card 1 yuan over
    short = {10_000: 1, 5_000: 1, 2_000: 2}  # a recount: 190, ten yuan short
    view = hall.cash.record_count(clerk, TillCount(short, card_fen=7_050))
    assert [c.difference_fen for c in view.checks] == [-1_000, 100, 0]
    assert view.variance_fen == 1_100  # over the tolerance of 10 yuan, by the card's one
    with pytest.raises(ValidationError, match=r"差异原因：现金短款 .*银行卡长款 ¥1\.00"):
        hall.cash.close_session(clerk)
    with pytest.raises(ValidationError) as err:
        hall.cash.close_session(clerk, reason="待查")
    assert err.value.field == "主管签认" and "超过 ¥10.00" in err.value.message
    with pytest.raises(ValidationError, match="不能签认自己钱箱的差异"):
        hall.cash.close_session(clerk, reason="待查", supervisor=clerk)
    other = hall.auth.log_in("clerk2", DEMO_PASSWORD)
    with pytest.raises(ValidationError, match="无权签认现金差异"):
        hall.cash.close_session(clerk, reason="待查", supervisor=other)
    closed = hall.cash.close_session(clerk, reason="待查", supervisor=supervisor)
    assert closed.signed_off_by == supervisor.full_name
    assert closed.difference_fen == -1_000 and closed.variance_fen == 1_100
    with hall.db.read() as s:
        row = s.scalars(select(Approval).where(Approval.subject_ref == str(closed.id))).one()
        assert (row.kind, row.state, row.inline, row.approver_id) == (
            "cash_variance",
            ApprovalState.APPROVED,
            True,
            supervisor.staff_id,
        )
    z = hall.cash.z_report(supervisor, closed.id).content
    assert z["signed_off_by"] == supervisor.full_name and z["approval"] == "现场授权"
    assert z["counts_made"] == 2 and z["reason"] == "待查"


def test_within_the_tolerance_a_reason_is_enough(hall: HallApp, clerk: Actor) -> None:
    hall.cash.open_session(clerk, 20_000)
    _sale(hall, clerk)
    hall.cash.record_count(clerk, TillCount({**EXACT, 100: 0}))  # 4 yuan short
    closed = hall.cash.close_session(clerk, reason="找零多付")
    assert closed.difference_fen == -400 and closed.signed_off_by is None


def test_a_remote_approval_is_redeemed_once_for_its_till(
    hall: HallApp, clerk: Actor, supervisor: Actor, clock: FakeClock
) -> None:
    hall.cash.open_session(clerk, 20_000)
    hall.cash.record_count(clerk, TillCount({10_000: 1}))  # 100 yuan short
    till = hall.cash.till_to_count(clerk)
    assert till is not None

    def ask(subject: str) -> uuid.UUID:
        asked = hall.approvals.request(
            clerk,
            ApprovalRequest(
                kind="cash_variance",
                subject_ref=subject,
                request_reason="点钞短款 100 元",
                summary="现金差异 短款 ¥100.00",
                amount_fen=10_000,
            ),
        )
        return asked.id

    pending = ask(str(till.id))
    with pytest.raises(ValidationError, match="审批"):
        hall.cash.close_session(clerk, reason="少了一百", approval_id=pending)  # not decided
    hall.approvals.decide(supervisor, pending, True, "已核实")
    wrong = ask("another till")
    hall.approvals.decide(supervisor, wrong, True, "已核实")
    with pytest.raises(ValidationError, match="不是本笔业务"):
        hall.cash.close_session(clerk, reason="少了一百", approval_id=wrong)
    closed = hall.cash.close_session(clerk, reason="少了一百", approval_id=pending)
    assert closed.signed_off_by == supervisor.full_name
    assert hall.cash.z_report(supervisor, closed.id).content["approval"] == "远程审批"
    with hall.db.read() as s:
        assert s.get_one(Approval, pending).used_at is not None
        assert s.get_one(Approval, wrong).used_at is None  # the refused close used nothing


def test_cash_in_and_out_count_in_the_drawer_and_the_z_report(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    with pytest.raises(ValidationError, match="尚未开班"):
        hall.cash.move_cash(clerk, CashMovementKind.IN, 5_000, "找零备用")
    hall.cash.open_session(clerk, 10_000)
    with pytest.raises(ValidationError, match="须填写原因"):
        hall.cash.move_cash(clerk, CashMovementKind.IN, 5_000, " ")
    with pytest.raises(ValidationError, match="金额须大于 0"):
        hall.cash.move_cash(clerk, CashMovementKind.OUT, 0, "上缴")
    with pytest.raises(ValidationError, match="钱箱现金不足"):
        hall.cash.move_cash(clerk, CashMovementKind.OUT, 10_001, "上缴")
    hall.cash.move_cash(clerk, CashMovementKind.IN, 5_000, "从保险柜领零钱")
    view = hall.cash.move_cash(clerk, CashMovementKind.OUT, 12_000, "大额现金上缴保险柜")
    assert view.expected_cash_fen == 3_000 and (view.cash_in_fen, view.cash_out_fen) == (
        5_000,
        12_000,
    )
    hall.cash.record_count(clerk, TillCount({1_000: 3}))
    closed = hall.cash.close_session(clerk)
    z = hall.cash.z_report(supervisor, closed.id).content
    assert [(m["label"], m["amount_fen"], m["reason"]) for m in z["movements"]] == [
        ("现金存入", 5_000, "从保险柜领零钱"),
        ("现金支出", 12_000, "大额现金上缴保险柜"),
    ]


def test_x_reports_change_nothing_and_the_hall_x_needs_reconcile(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    hall.cash.open_session(clerk, 10_000)
    _sale(hall, clerk)
    still = hall.cash.till_to_count(clerk)
    assert still is not None and not still.counted
    with pytest.raises(PermissionDenied):
        hall.cash.hall_x_report(clerk, still.business_date)
    other = hall.auth.log_in("clerk2", DEMO_PASSWORD)
    with pytest.raises(PermissionDenied):
        hall.cash.x_report(other, still.id)  # someone else's till
    whole = hall.cash.hall_x_report(supervisor, still.business_date)
    assert still.id in {t.id for t in whole.tills}
    assert whole.cash_fen == sum(t.cash_fen for t in whole.tills) >= 6_950
    assert hall.cash.x_report(supervisor, still.id).expected_cash_fen == 16_950
    hall.cash.record_count(clerk, TillCount({1_000: 16, 500: 1, 100: 4, 50: 1}))
    mine = hall.cash.x_report(clerk)  # the clerk's own, once counted (blind before)
    assert mine.id == still.id
    assert mine.expected_cash_fen == 16_950 and mine.payments == 1
    closed = hall.cash.close_session(clerk)
    assert hall.cash.z_report(clerk, closed.id).content["x_reports"] == 2


def test_a_clerk_takes_no_x_report_of_their_own_till_before_counting_it(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    """The count is blind: an X report shows what the drawer should hold, so a clerk without
    CASH_RECONCILE gets one of their own till only once it is counted; a supervisor any."""
    hall.cash.open_session(clerk, 10_000)
    _sale(hall, clerk)
    till = hall.cash.till_to_count(clerk)
    assert till is not None and not till.counted
    for asked in (None, till.id):
        with pytest.raises(ValidationError, match="请先点钞") as refused:
            hall.cash.x_report(clerk, asked)
        assert refused.value.field == "X报表"
    with hall.db.read() as s:  # nothing shown, nothing audited
        assert not s.scalar(
            select(func.count()).where(
                AuditEntry.action == "cash_session.x_report",
                AuditEntry.entity_id == str(till.id),
            )
        )
    assert hall.cash.x_report(supervisor, till.id).expected_cash_fen == 16_950
    hall.cash.record_count(clerk, TillCount({10_000: 1}))  # a short count is still a count
    assert hall.cash.x_report(clerk).difference_fen == 10_000 - 16_950
    assert hall.cash.x_report(clerk, till.id).expected_cash_fen == 16_950


def test_z_reports_are_numbered_without_gaps_and_frozen(
    hall: HallApp, clerk: Actor, supervisor: Actor, clock: FakeClock
) -> None:
    before = _z_numbers(hall)
    other = hall.auth.log_in("clerk2", DEMO_PASSWORD)
    hall.cash.open_session(clerk, 0)
    hall.cash.open_session(other, 0)
    _sale(hall, clerk)
    first = hall.cash.close_session(clerk, 6_950)
    second = hall.cash.close_session(other, 0)
    hall.cash.open_session(clerk, 0)
    third = hall.cash.close_session(clerk, 0)
    numbers = _z_numbers(hall)
    start = (before[-1] if before else 0) + 1
    assert numbers == [*before, start, start + 1, start + 2]
    assert [first.z_no, second.z_no, third.z_no] == [start, start + 1, start + 2]
    with pytest.raises(ValidationError, match="没有未日结"):
        hall.cash.close_session(clerk, 0)  # closed twice: refused, no number taken
    assert _z_numbers(hall) == numbers

    frozen = hall.cash.z_report(supervisor, first.id).content
    clock.now += timedelta(minutes=5)
    _sale(hall, clerk, skip=1)  # a payment after the close goes to a new till
    assert hall.cash.z_report(supervisor, first.id).content == frozen
    with hall.db.read() as s:
        stored = s.scalars(select(ZReport.content_json).where(ZReport.z_no == start)).one()
    assert json.loads(stored) == frozen and frozen["takings"]["cash"] == 6_950


def test_the_z_report_prints_once_and_reprints_are_stamped(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    hall.cash.open_session(clerk, 0)
    _sale(hall, clerk)
    closed = hall.cash.close_session(clerk, 6_950)
    preview = hall.cash.preview_z_report(clerk, closed.id)
    assert preview.copy_no == 1
    first = hall.cash.print_z_report(clerk, closed.id)
    assert first.copy_no == 1 and first.pdf.startswith(b"%PDF")
    with pytest.raises(ValidationError, match="重打须填写原因"):
        hall.cash.print_z_report(supervisor, closed.id)
    again = hall.cash.print_z_report(supervisor, closed.id, "卡纸")
    assert again.copy_no == 2
    z = hall.cash.z_report(supervisor, closed.id)
    assert [(p.copy_no, p.reason) for p in z.prints] == [(1, ""), (2, "卡纸")]
    with hall.db.read() as s:
        rows = s.scalar(
            select(func.count()).where(
                PrintRecord.document_type == "z_report", PrintRecord.document_ref == z.print_ref
            )
        )
        assert z.print_ref.endswith(f"-{z.z_ref}")  # the hall's code and the number
        assert rows == s.scalar(
            select(func.count()).where(
                PrintRecord.document_type == "z_report",
                PrintRecord.document_ref.like(f"%{z.z_ref}"),
            )
        )
        assert rows == 2
        actions = list(
            s.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.entity_id == str(closed.id))
                .order_by(AuditEntry.at)
            )
        )
    assert actions.count("document.reprint") == 1
    text = _pdf_text(again.pdf)
    assert "重打 第1次" in text and z.z_ref in text and "卡纸" in text  # the first reprint
    assert "重打" not in _pdf_text(first.pdf).replace("重打原因", "")


def test_the_z_report_prints_the_reasons_typed_with_an_id_or_phone_masked(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    """A cash movement's, the variance's and a reprint's reason are free text: the printed
    Z report shows a customer's ID or phone in them masked, and so does its frozen content (the
    rows keep them as typed, sealed)."""
    phone, id_number = "13905917731", "11010519491231002X"
    hall.cash.open_session(clerk, 10_000)
    hall.cash.move_cash(clerk, CashMovementKind.OUT, 1_000, f"退客户{phone}")
    hall.cash.record_count(clerk, TillCount({1_000: 8, 100: 6}))  # 4 yuan short
    closed = hall.cash.close_session(clerk, reason=f"找零多付 {id_number}")
    z = hall.cash.z_report(supervisor, closed.id).content
    assert z["movements"][0]["reason"] == "退客户139****7731"
    assert z["reason"] == "找零多付 1101**********002X"
    hall.cash.print_z_report(clerk, closed.id)
    again = hall.cash.print_z_report(supervisor, closed.id, f"客户{phone}要一份")
    preview = hall.cash.preview_z_report(supervisor, closed.id)  # lists the reprint
    for pdf in (again.pdf, preview.pdf):
        text = _pdf_text(pdf)
        assert "退客户139****7731" in text and "找零多付 1101**********002X" in text
        assert "客户139****7731要一份" in text
        assert phone not in text and id_number not in text


def _pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def test_the_hall_day_close_names_the_differences(
    hall: HallApp, clerk: Actor, supervisor: Actor, clock: FakeClock
) -> None:
    day = business_date(clock())
    for t in hall.cash.day_sessions(supervisor, day):  # the demo's tills of today, if any
        assert t.status.value in ("open", "closed")
    other = hall.auth.log_in("clerk2", DEMO_PASSWORD)
    hall.cash.open_session(clerk, 10_000)
    hall.cash.open_session(other, 0)
    _sale(hall, clerk)
    _sale(hall, other, skip=1, card=6_950)
    hall.cash.close_session(clerk, 16_550, "找零多付")  # 4 yuan short
    with pytest.raises(ValidationError, match=r"还有钱箱未日结：.*陈志强"):
        hall.cash.close_hall_day(supervisor, day)
    hall.cash.close_session(other, 0)
    with pytest.raises(PermissionDenied):
        hall.cash.close_hall_day(clerk, day)
    for t in hall.cash.day_sessions(supervisor, day):  # the demo's, if any were open
        assert t.status.value == "closed" or t.staff_name not in ("林晓燕", "陈志强")
    preview = hall.cash.hall_day(supervisor, day)
    if preview.open_tills:
        pytest.skip("the demo left another clerk's till open today")
    card = {m.code: m for m in preview.methods}["bank_card"]
    assert card.z_fen >= 6_950 and card.difference_fen == 0
    assert any("短款 ¥4.00（找零多付）" in d for d in preview.differences)
    done = hall.cash.close_hall_day(supervisor, day)
    assert done.closed and done.differences == preview.differences
    with pytest.raises(ValidationError, match="该营业日已日结"):
        hall.cash.close_hall_day(supervisor, day)
    assert hall.cash.hall_day(supervisor, day).closed_by == supervisor.full_name


def test_no_payment_opens_a_till_on_a_day_the_hall_has_closed(
    hall: HallApp, clerk: Actor, supervisor: Actor, clock: FakeClock
) -> None:
    """After 营业厅日结 a payment would open a new till by itself (open_session_for_payment):
    refused with its order, so the closed day's summary still holds."""
    day = business_date(clock())
    hall.cash.open_session(clerk, 0)
    _sale(hall, clerk)
    hall.cash.close_session(clerk, 6_950)
    if hall.cash.hall_day(supervisor, day).open_tills:
        pytest.skip("the demo left another clerk's till open today")
    closed = hall.cash.close_hall_day(supervisor, day)
    with hall.db.read() as s:
        orders = s.scalar(select(func.count()).select_from(Order))
    with pytest.raises(ValidationError, match="已日结") as refused:
        _sale(hall, clerk, skip=1)
    assert refused.value.field == "收款"
    with hall.db.read() as s:  # nothing half-saved: no order, no till
        assert s.scalar(select(func.count()).select_from(Order)) == orders
    after = hall.cash.hall_day(supervisor, day)
    assert [t.id for t in after.tills] == [t.id for t in closed.tills]
    assert after.differences == closed.differences


def test_a_payment_in_no_z_report_is_named(
    hall: HallApp, clerk: Actor, supervisor: Actor, clock: FakeClock
) -> None:
    day = business_date(clock())
    _sale(hall, clerk)  # opens a till
    with hall.db.unit_of_work() as s:  # a payment the till never saw (an old client's)
        from hall_app.db.models import Payment

        paid = s.scalars(
            select(Payment)
            .where(Payment.staff_id == clerk.staff_id)
            .order_by(Payment.paid_at.desc())
        ).first()
        assert paid is not None
        paid.cash_session_id = None
    hall.cash.close_session(clerk, 0)
    view = hall.cash.hall_day(supervisor, day)
    assert any("不在当日日结单中" in d and "¥69.50" in d for d in view.differences)
    cash = {m.code: m for m in view.methods}["cash"]
    assert cash.difference_fen == cash.z_fen - cash.payments_fen != 0


def test_a_clerk_is_refused_the_supervisors_methods(hall: HallApp, clerk: Actor) -> None:
    day = business_date(hall.clock())
    for call in (
        lambda: hall.cash.day_sessions(clerk, day),
        lambda: hall.cash.hall_x_report(clerk, day),
        lambda: hall.cash.hall_day(clerk, day),
        lambda: hall.cash.close_hall_day(clerk, day),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_the_invoices_are_held_against_what_is_invoiceable(
    hall: HallApp, clerk: Actor, supervisor: Actor, clock: FakeClock
) -> None:
    """A top-up (or an installment's principal) is paid but not invoiced: the day close holds
    the invoices against the invoiceable part of the day's paid orders, so a normal day
    shows no invoice difference; an order left without its invoice is named."""
    from hall_app.db.models import Invoice, InvoiceLine, OrderLine

    day = business_date(clock())
    before = hall.cash.hall_day(supervisor, day)
    hall.cash.open_session(clerk, 0)
    req = _request(hall, clerk, pretty=True)  # a pretty number: 500 yuan prepaid, no invoice
    qr = PaymentInput(PaymentMethod.QR_WALLET, 50_000 + CHARGED_FEN, None, "WX20261124002")
    hall.orders.open_mobile_number(clerk, replace(req, payments=(qr,)))
    hall.cash.record_count(clerk, TillCount({}, card_fen=0, qr_fen=50_000 + CHARGED_FEN))
    hall.cash.close_session(clerk, 0)
    with hall.db.read() as s:
        order = s.scalars(
            select(Order).where(Order.staff_id == clerk.staff_id).order_by(Order.created_at.desc())
        ).first()
        assert order is not None
        order_id, order_no = order.id, order.order_no
        lines = s.execute(
            select(OrderLine.amount_fen, OrderLine.invoiceable).where(
                OrderLine.order_id == order_id
            )
        ).all()
        invoiced = s.scalar(select(func.sum(Invoice.total_fen)).where(Invoice.order_id == order_id))
    due = sum(fen for fen, invoiceable in lines if invoiceable)
    assert any(not invoiceable for _, invoiceable in lines) and due > 0  # a top-up in the sale
    assert invoiced == due
    view = hall.cash.hall_day(supervisor, day)
    assert view.invoiceable_fen - before.invoiceable_fen == due
    assert not any("开票" in d or d.startswith("发票") for d in view.differences)
    assert view.payments_total_fen != view.invoiced_fen  # the old comparison's false alarm

    with hall.db.unit_of_work() as s:  # the invoice lost (an old client's order)
        for inv in s.scalars(select(Invoice).where(Invoice.order_id == order_id)):
            s.execute(InvoiceLine.__table__.delete().where(InvoiceLine.invoice_id == inv.id))
            s.delete(inv)
    named = hall.cash.hall_day(supervisor, day).differences
    assert f"受理单 {order_no} 应开票 ¥{due / 100:,.2f}，当日开具 ¥0.00" in named
    assert any(d.startswith("发票：1 张受理单应开票") for d in named)


def test_the_hall_close_is_checked_before_it_is_asked(
    hall: HallApp, clerk: Actor, supervisor: Actor, clock: FakeClock
) -> None:
    """check_hall_close refuses as close_hall_day does, and writes nothing: the desk asks
    是/否 only for a close that can be made."""
    day = business_date(clock())
    empty = day - timedelta(days=40)  # before the test demo's history: no till
    with pytest.raises(ValidationError, match="没有钱箱，无需日结"):
        hall.cash.check_hall_close(supervisor, empty)
    with pytest.raises(PermissionDenied):
        hall.cash.check_hall_close(clerk, day)
    hall.cash.open_session(clerk, 0)
    with pytest.raises(ValidationError, match=r"还有钱箱未日结：.*林晓燕"):
        hall.cash.check_hall_close(supervisor, day)
    hall.cash.close_session(clerk, 0)
    if hall.cash.hall_day(supervisor, day).open_tills:
        pytest.skip("the demo left another clerk's till open today")
    view = hall.cash.check_hall_close(supervisor, day)
    assert view.tills and not view.closed
    assert not hall.cash.hall_day(supervisor, day).closed  # nothing written
    hall.cash.close_hall_day(supervisor, day)
    with pytest.raises(ValidationError, match="该营业日已日结"):
        hall.cash.check_hall_close(supervisor, day)

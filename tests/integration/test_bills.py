"""缴费 through BillService: the unpaid bills with today's late fee, oldest first; paying them
(allocation, part payment, picked bills, waiver with four-eyes, a rest refused or topped up,
resumption after arrears, the invoice policy, two windows at once, a dead link)."""

from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hall_app.app import HallApp, build_app
from hall_app.config import Settings
from hall_app.db.central import CentralLink
from hall_app.db.models import (
    Approval,
    AuditEntry,
    Bill,
    BillSettlement,
    Invoice,
    Order,
    OrderLine,
    QueueTicket,
    Subscription,
)
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.enums import BillItemKind, BillStatus, OrderType, SubscriptionStatus
from hall_app.domain.errors import HallError, ValidationError
from hall_app.services.actor import Actor
from hall_app.services.bills import BillPaymentRequest, BillService
from tests.bill_fixtures import OCT_FEE, OCT_FEN, SEP_FEE, SEP_FEN, billed_customer, cash
from tests.conftest import FakeClock

ALL = SEP_FEN + SEP_FEE + OCT_FEN + OCT_FEE


def _orders(hall: HallApp) -> int:
    with hall.db.read() as s:
        return s.scalar(select(func.count()).select_from(Order)) or 0


def _bill(hall: HallApp, bill_id: object) -> Bill:
    with hall.db.read() as s:
        bill = s.get_one(Bill, bill_id)
        s.expunge(bill)
        return bill


def test_unpaid_bills_oldest_first_with_todays_late_fee(hall: HallApp, clerk: Actor) -> None:
    b = billed_customer(hall)
    got = hall.bills.unpaid_bills(clerk, b.customer_id)
    assert [x.period for x in got.bills] == ["2026-09", "2026-10"]
    sep, oct_ = got.bills
    assert (sep.overdue_days, sep.late_fee_fen, sep.outstanding_fen) == (40, SEP_FEE, SEP_FEN)
    assert (oct_.overdue_days, oct_.late_fee_fen) == (9, OCT_FEE)
    assert [(i.kind, i.amount_fen) for i in sep.items] == [
        (BillItemKind.PLAN, 12_900),
        (BillItemKind.USAGE, 7_100),
    ]
    assert "****" in sep.number and sep.number != b.number
    assert got.total_fen == ALL and got.owed_fen == SEP_FEN + OCT_FEN
    assert [n.subscription_id for n in got.numbers] == [b.subscription_id]


def test_paying_everything_settles_both_with_late_fees_and_an_invoice(
    hall: HallApp, clerk: Actor
) -> None:
    b = billed_customer(hall)
    req = BillPaymentRequest(b.customer_id, cash(ALL))
    quote = hall.bills.quote_bill_payment(clerk, req)
    assert quote.total_fen == ALL and quote.late_fee_fen == SEP_FEE + OCT_FEE
    assert [(x.period, x.applied_fen, x.late_fee_fen) for x in quote.settles] == [
        ("2026-09", SEP_FEN, SEP_FEE),
        ("2026-10", OCT_FEN, OCT_FEE),
    ]
    done = hall.bills.pay_bills(clerk, req)
    assert done.total_fen == ALL and done.invoice_no is not None
    assert [r.status for r in done.settled] == [BillStatus.PAID, BillStatus.PAID]
    assert _bill(hall, b.sep).status is BillStatus.PAID and _bill(hall, b.sep).paid_at
    assert hall.bills.unpaid_bills(clerk, b.customer_id).bills == ()
    with hall.db.read() as s:
        lines = s.scalars(
            select(OrderLine).where(OrderLine.order_id == done.order_id).order_by(OrderLine.id)
        ).all()
        texts = sorted(line.description for line in lines)
        assert any(t.startswith("话费 2026-09") and "基础电信服务" in t for t in texts)
        assert any(t.startswith("话费 2026-09") and "增值电信服务" in t for t in texts)
        assert any(t.startswith("违约金 2026-09") and "逾期 40 天" in t for t in texts)
        assert sum(line.amount_fen for line in lines) == ALL
        assert all(line.invoiceable for line in lines)
        invoice = s.scalars(select(Invoice).where(Invoice.order_id == done.order_id)).one()
        assert invoice.total_fen == ALL
        settled = s.scalars(
            select(BillSettlement).where(BillSettlement.order_id == done.order_id)
        ).all()
        assert sorted((x.amount_fen, x.late_fee_fen, x.overdue_days) for x in settled) == [
            (OCT_FEN, OCT_FEE, 9),
            (SEP_FEN, SEP_FEE, 40),
        ]
        order = s.get_one(Order, done.order_id)
        assert order.details_json and "2026-09" in order.details_json


def test_a_part_payment_pays_the_oldest_first_and_its_late_fee_before_it(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    b = billed_customer(hall)
    pay = SEP_FEN + SEP_FEE + OCT_FEE + 5_000
    done = hall.bills.pay_bills(clerk, BillPaymentRequest(b.customer_id, cash(pay), pay_fen=pay))
    assert [(r.period, r.applied_fen, r.late_fee_fen, r.status) for r in done.settled] == [
        ("2026-09", SEP_FEN, SEP_FEE, BillStatus.PAID),
        ("2026-10", 5_000, OCT_FEE, BillStatus.PARTLY_PAID),
    ]
    [left] = hall.bills.unpaid_bills(clerk, b.customer_id).bills
    assert left.outstanding_fen == OCT_FEN - 5_000 and left.late_fee_fen == 0  # paid up to today
    clock.now += timedelta(days=10)  # the fee runs again from the part payment's day
    [left] = hall.bills.unpaid_bills(clerk, b.customer_id).bills
    assert left.late_fee_fen == round((OCT_FEN - 5_000) * 3 * 10 / 1000)


def test_a_payment_short_of_a_late_fee_or_zero_is_refused_with_nothing_saved(
    hall: HallApp, clerk: Actor
) -> None:
    b = billed_customer(hall)
    before = _orders(hall)
    with pytest.raises(ValidationError, match="违约金须先缴清") as e:
        hall.bills.pay_bills(clerk, BillPaymentRequest(b.customer_id, cash(1_000), pay_fen=1_000))
    assert e.value.field == "缴费金额"
    with pytest.raises(ValidationError, match="必须大于 0"):
        hall.bills.pay_bills(clerk, BillPaymentRequest(b.customer_id, (), pay_fen=0))
    assert _orders(hall) == before and _bill(hall, b.sep).paid_fen == 0


def test_picked_bills_only(hall: HallApp, clerk: Actor) -> None:
    b = billed_customer(hall)
    done = hall.bills.pay_bills(
        clerk, BillPaymentRequest(b.customer_id, cash(OCT_FEN + OCT_FEE), bill_ids=(b.oct,))
    )
    assert [r.period for r in done.settled] == ["2026-10"]
    assert _bill(hall, b.sep).status is BillStatus.UNPAID
    assert _bill(hall, b.oct).status is BillStatus.PAID


def test_paying_more_is_refused_without_a_number_and_topped_up_with_one(
    hall: HallApp, clerk: Actor
) -> None:
    b = billed_customer(hall)
    with pytest.raises(ValidationError, match="缴费金额超过应缴"):
        hall.bills.pay_bills(
            clerk, BillPaymentRequest(b.customer_id, cash(ALL + 5_000), pay_fen=ALL + 5_000)
        )
    with hall.db.read() as s:
        balance = s.get_one(Subscription, b.subscription_id).balance_fen
    done = hall.bills.pay_bills(
        clerk,
        BillPaymentRequest(
            b.customer_id, cash(ALL + 5_000), pay_fen=ALL + 5_000, top_up_to=b.subscription_id
        ),
    )
    assert done.topped_up_fen == 5_000 and done.total_fen == ALL + 5_000
    with hall.db.read() as s:
        assert s.get_one(Subscription, b.subscription_id).balance_fen == balance + 5_000
        invoice = s.scalars(select(Invoice).where(Invoice.order_id == done.order_id)).one()
        assert invoice.total_fen == ALL  # the top-up: receipt only
        pre = s.scalars(
            select(OrderLine).where(
                OrderLine.order_id == done.order_id, OrderLine.description.startswith("预存")
            )
        ).one()
        assert pre.amount_fen == 5_000 and not pre.invoiceable


def test_a_late_fee_waiver_needs_another_staff_member_who_may_approve(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    b = billed_customer(hall)
    owed = SEP_FEN + OCT_FEN
    with pytest.raises(ValidationError, match="主管授权"):
        hall.bills.pay_bills(
            clerk, BillPaymentRequest(b.customer_id, cash(owed), waive_late_fee=True)
        )
    with pytest.raises(HallError):  # four-eyes: the clerk can not approve their own waiver
        hall.bills.pay_bills(
            supervisor,
            BillPaymentRequest(
                b.customer_id, cash(owed), waive_late_fee=True, supervisor=supervisor
            ),
        )
    with pytest.raises(ValidationError, match="审批权限"):
        hall.bills.pay_bills(
            clerk,
            BillPaymentRequest(b.customer_id, cash(owed), waive_late_fee=True, supervisor=clerk),
        )
    assert _bill(hall, b.sep).paid_fen == 0
    req = BillPaymentRequest(b.customer_id, cash(owed), waive_late_fee=True, supervisor=supervisor)
    assert hall.bills.quote_bill_payment(clerk, req).waived_fen == SEP_FEE + OCT_FEE
    done = hall.bills.pay_bills(clerk, req)
    assert done.total_fen == owed and done.waived_fen == SEP_FEE + OCT_FEE
    with hall.db.read() as s:
        [approval] = s.scalars(select(Approval).where(Approval.order_id == done.order_id)).all()
        assert approval.kind == "late_fee_waiver"
        waived = s.scalars(
            select(BillSettlement).where(BillSettlement.order_id == done.order_id)
        ).all()
        assert {x.approval_id for x in waived} == {approval.id}
        assert sum(x.late_fee_waived_fen for x in waived) == SEP_FEE + OCT_FEE


def test_a_number_suspended_for_arrears_resumes_once_paid_up(hall: HallApp, clerk: Actor) -> None:
    b = billed_customer(hall, arrears_suspended=True)
    assert hall.bills.unpaid_bills(clerk, b.customer_id).arrears_suspended != ()
    # paying only October leaves September 40 days overdue: still suspended
    hall.bills.pay_bills(
        clerk, BillPaymentRequest(b.customer_id, cash(OCT_FEN + OCT_FEE), bill_ids=(b.oct,))
    )
    with hall.db.read() as s:
        assert s.get_one(Subscription, b.subscription_id).status is SubscriptionStatus.SUSPENDED
    done = hall.bills.pay_bills(clerk, BillPaymentRequest(b.customer_id, cash(SEP_FEN + SEP_FEE)))
    assert len(done.resumed) == 1 and "****" in done.resumed[0]
    with hall.db.read() as s:
        sub = s.get_one(Subscription, b.subscription_id)
        assert sub.status is SubscriptionStatus.ACTIVE and sub.suspend_reason is None
        entry = s.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "subscription.resumed_paid",
                AuditEntry.entity_id == str(b.subscription_id),
            )
        ).one()
        assert b.number not in str(entry.after) and entry.after["status"] == "active"


def test_the_invoice_policy_off_gives_a_receipt_only(hall: HallApp, clerk: Actor) -> None:
    b = billed_customer(hall)
    rules = dataclasses.replace(hall.settings.rules, bill_invoice_at_counter=False)
    service = BillService(hall.db, rules, hall.clock)
    done = service.pay_bills(clerk, BillPaymentRequest(b.customer_id, cash(ALL)))
    assert done.invoice_no is None
    with hall.db.read() as s:
        assert not s.scalars(select(Invoice).where(Invoice.order_id == done.order_id)).all()


def test_a_stale_screen_is_refused_after_another_window_paid(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    b = billed_customer(hall)
    # both screens show the bills unpaid
    seen = tuple((x.id, x.paid_fen) for x in hall.bills.unpaid_bills(clerk, b.customer_id).bills)
    pay = SEP_FEN + SEP_FEE
    hall.bills.pay_bills(
        clerk, BillPaymentRequest(b.customer_id, cash(5_000 + SEP_FEE), pay_fen=5_000 + SEP_FEE)
    )
    before = _orders(hall)
    with pytest.raises(ValidationError, match="已由其他窗口缴费"):
        hall.bills.pay_bills(
            supervisor,
            BillPaymentRequest(b.customer_id, cash(pay), bill_ids=(b.sep,), seen_paid=seen),
        )
    assert _orders(hall) == before
    assert _bill(hall, b.sep).paid_fen == 5_000


def test_two_windows_paying_the_same_bills_at_once_exactly_one_succeeds(
    hall: HallApp, demo_url: str, clock: FakeClock
) -> None:
    b = billed_customer(hall)
    apps = [build_app(Settings.load(env={}, db_url=demo_url), clock=clock) for _ in range(2)]
    actors = [
        apps[0].auth.log_in("clerk1", DEMO_PASSWORD),
        apps[1].auth.log_in("clerk2", DEMO_PASSWORD),
    ]
    gate = threading.Barrier(2)
    results: list[object] = [None, None]

    def pay(i: int) -> None:
        gate.wait()
        try:
            results[i] = apps[i].bills.pay_bills(
                actors[i], BillPaymentRequest(b.customer_id, cash(ALL))
            )
        except ValidationError as exc:
            results[i] = exc

    threads = [threading.Thread(target=pay, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a in apps:
        a.close()
    errors = [r for r in results if isinstance(r, ValidationError)]
    assert len(errors) == 1, results
    assert "其他窗口缴费" in str(errors[0]) or "已缴清" in str(errors[0])
    with hall.db.read() as s:
        assert s.scalar(select(func.count()).select_from(BillSettlement)) == 2
        assert (
            s.scalar(
                select(func.count())
                .select_from(Order)
                .where(
                    Order.order_type == OrderType.BILL_PAYMENT, Order.customer_id == b.customer_id
                )
            )
            == 1
        )
    assert _bill(hall, b.sep).paid_fen == SEP_FEN


def test_a_dead_link_mid_payment_saves_nothing_then_pays_offline(
    hall: HallApp, clerk: Actor
) -> None:
    b = billed_customer(hall)
    link = CentralLink("postgresql+psycopg://nobody@127.0.0.1:1/central")
    service = BillService(hall.db, hall.settings.rules, hall.clock, link=link)
    before = _orders(hall)
    with pytest.raises(ValidationError, match="连接在缴费过程中中断") as e:
        service.pay_bills(clerk, BillPaymentRequest(b.customer_id, cash(ALL)))
    assert e.value.field == "中心连接"
    assert _orders(hall) == before and _bill(hall, b.sep).paid_fen == 0
    assert not link.online  # the clerk tries again: taken offline
    done = service.pay_bills(clerk, BillPaymentRequest(b.customer_id, cash(ALL)))
    assert [r.status for r in done.settled] == [BillStatus.PAID, BillStatus.PAID]


def test_the_bill_history_newest_first_paid_and_unpaid(hall: HallApp, clerk: Actor) -> None:
    b = billed_customer(hall)
    hall.bills.pay_bills(
        clerk, BillPaymentRequest(b.customer_id, cash(SEP_FEN + SEP_FEE), bill_ids=(b.sep,))
    )
    history = hall.bills.bill_history(clerk, b.customer_id)
    assert [(x.period, x.status) for x in history] == [
        ("2026-10", BillStatus.UNPAID),
        ("2026-09", BillStatus.PAID),
    ]
    oct_, sep = history
    assert (oct_.late_fee_fen, oct_.overdue_days) == (OCT_FEE, 9)
    assert (sep.outstanding_fen, sep.late_fee_fen, sep.overdue_days) == (0, 0, 0)
    assert [i.amount_fen for i in sep.items] == [12_900, 7_100]
    assert len(hall.bills.bill_history(clerk, b.customer_id, limit=1)) == 1


def test_the_payment_belongs_to_the_b_ticket_served(hall: HallApp, clerk: Actor) -> None:
    b = billed_customer(hall)
    hall.queue.issue_ticket(clerk, "billing")
    called = hall.queue.call_next(clerk)
    assert called is not None and called.ticket_no.startswith("B")
    done = hall.bills.pay_bills(
        clerk, BillPaymentRequest(b.customer_id, cash(ALL), ticket_id=called.id)
    )
    with hall.db.read() as s:
        order = s.get_one(Order, done.order_id)
        assert order.ticket_id == called.id and order.order_type is OrderType.BILL_PAYMENT
        ticket = s.get_one(QueueTicket, called.id)
        assert ticket.customer_id == b.customer_id


def test_a_payment_without_the_central_link_reads_the_bills_once(
    hall: HallApp, clerk: Actor
) -> None:
    """No central question to ask: the payment's own transaction plans it, with no read of
    the bills before it (the bench's S20 profile: that read was a sixth of a payment)."""
    import re

    from sqlalchemy import event

    b = billed_customer(hall)
    reads: list[str] = []

    def seen(_c: object, _cur: object, statement: str, *_rest: object) -> None:
        if statement.lstrip().startswith("SELECT") and re.search(r"\sFROM bills\s", statement):
            reads.append(statement)

    event.listen(hall.db.engine, "before_cursor_execute", seen)
    try:
        done = hall.bills.pay_bills(clerk, BillPaymentRequest(b.customer_id, cash(ALL)))
    finally:
        event.remove(hall.db.engine, "before_cursor_execute", seen)
    assert len(reads) == 1, reads
    assert done.late_fee_fen == SEP_FEE + OCT_FEE and done.total_fen == ALL
    assert [r.status for r in done.settled] == [BillStatus.PAID, BillStatus.PAID]

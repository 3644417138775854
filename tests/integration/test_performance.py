"""Staff performance: a hand-checked day for two clerks (tickets, service time, within target,
orders by type, revenue, evaluations, reprints, red-letter invoices), the hall's figures, the
monthly appraisal's score and rank, and a clerk refused others' figures."""

from __future__ import annotations

import subprocess
import uuid
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from hall_app.app import HallApp
from hall_app.db.models import Invoice, Order, Payment, PrintRecord
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.documents.appraisal import render_appraisal_pdf, write_appraisal_xlsx
from hall_app.domain.appraisal import kpis
from hall_app.domain.enums import (
    InvoiceKind,
    InvoiceStatus,
    OrderState,
    OrderType,
    PaymentMethod,
    Rating,
)
from hall_app.domain.errors import PermissionDenied, ValidationError
from hall_app.services.actor import Actor
from hall_app.services.performance import PerformanceService, kpi_value, period_days
from tests.conftest import DEMO_TODAY, FakeClock

TODAY = DEMO_TODAY  # the demo has history before it, and nothing yet on it


def visit(
    hall: HallApp, clock: FakeClock, clerk: Actor, wait_min: int, service_min: int
) -> uuid.UUID:
    """A ticket issued now, called after ``wait_min``, finished ``service_min`` later."""
    hall.queue.issue_ticket(clerk, "general")
    clock.now += timedelta(minutes=wait_min)
    called = hall.queue.call_next(clerk)
    assert called is not None
    clock.now += timedelta(minutes=service_min)
    return hall.queue.finish(clerk, called.id).id


def business(hall: HallApp, clock: FakeClock, clerk: Actor, supervisor: Actor) -> None:
    """Orders, payments, a reprint and a red-letter invoice, written as the services would."""
    now = clock()
    with hall.db.unit_of_work() as s:
        orders = []
        for i, (otype, state, paid) in enumerate(
            (
                (OrderType.OPEN_MOBILE, OrderState.COMPLETED, 10_000),
                (OrderType.BILL_PAYMENT, OrderState.COMPLETED, 5_000),
                (OrderType.BILL_PAYMENT, OrderState.COMPLETED, 2_550),
                (OrderType.TOP_UP, OrderState.CANCELLED, 0),  # no business done
            )
        ):
            order = Order(
                id=uuid.uuid4(),
                order_no=f"T{i:06d}",
                order_type=otype,
                state=state,
                hall_id=clerk.hall_id,
                counter_id=clerk.counter_id,
                staff_id=clerk.staff_id,
                total_fen=paid,
                created_at=now,
                updated_at=now,
            )
            s.add(order)
            orders.append(order)
            s.flush()
            if paid:
                s.add(
                    Payment(
                        order_id=order.id,
                        staff_id=clerk.staff_id,
                        method=PaymentMethod.CASH,
                        amount_fen=paid,
                        paid_at=now,
                    )
                )
        s.add(
            PrintRecord(
                document_type="receipt",
                document_ref="T000000",
                order_id=orders[0].id,
                staff_id=clerk.staff_id,
                copy_no=1,
                printed_at=now,
            )
        )
        s.add(
            PrintRecord(
                document_type="receipt",
                document_ref="T000000",
                order_id=orders[0].id,
                staff_id=clerk.staff_id,
                copy_no=2,
                reason="卡纸",
                printed_at=now,
            )
        )
        blue = Invoice(
            id=uuid.uuid4(),
            invoice_no="PERF0001",
            kind=InvoiceKind.BLUE,
            status=InvoiceStatus.RED_LETTERED,
            order_id=orders[0].id,
            issued_at=now,
            buyer_name="顾客",
            seller_name="营业厅",
            seller_tax_id="X",
            total_fen=10_000,
            amount_fen=9_434,
            tax_fen=566,
            issuer_id=clerk.staff_id,
        )
        s.add(blue)
        s.flush()
        s.add(
            Invoice(
                invoice_no="PERF0002",
                kind=InvoiceKind.RED,
                status=InvoiceStatus.ISSUED,
                order_id=orders[0].id,
                original_invoice_id=blue.id,
                issued_at=now,
                buyer_name="顾客",
                seller_name="营业厅",
                seller_tax_id="X",
                total_fen=-10_000,
                amount_fen=-9_434,
                tax_fen=-566,
                issuer_id=supervisor.staff_id,
            )
        )


@pytest.fixture
def day(hall: HallApp, clerk: Actor, supervisor: Actor, clock: FakeClock) -> dict[str, uuid.UUID]:
    other = hall.auth.log_in("clerk2", DEMO_PASSWORD)
    t1 = visit(hall, clock, clerk, wait_min=6, service_min=10)
    hall.evaluations.rate(clerk, t1, Rating.VERY_SATISFIED)
    t2 = visit(hall, clock, clerk, wait_min=20, service_min=4)  # beyond the 15-minute target
    hall.evaluations.rate(clerk, t2, Rating.DISSATISFIED, "等候时间太长")
    t3 = visit(hall, clock, clerk, wait_min=1, service_min=6)  # never rated: 未评价
    t4 = visit(hall, clock, other, wait_min=2, service_min=5)
    hall.evaluations.rate(other, t4, Rating.SATISFIED)
    business(hall, clock, clerk, supervisor)
    return {"t1": t1, "t2": t2, "t3": t3, "t4": t4, "other": other.staff_id}


def test_a_clerks_day_hand_checked(hall: HallApp, clerk: Actor, day: dict[str, uuid.UUID]) -> None:
    p = hall.performance.clerk(clerk, clerk.staff_id, TODAY, TODAY)
    assert (p.staff_name, p.tickets.served, p.tickets.arrivals) == ("林晓燕", 3, 3)
    assert p.tickets.service_avg_s == pytest.approx((10 + 4 + 6) * 60 / 3)
    assert p.tickets.within_target == 2 and p.tickets.within_target_pct == pytest.approx(200 / 3)
    assert [(o.order_type, o.orders) for o in p.orders] == [
        (OrderType.BILL_PAYMENT, 2),
        (OrderType.OPEN_MOBILE, 1),
    ]
    assert p.orders_total == 3 and p.revenue_fen == 17_550
    assert dict(p.ratings) == {
        Rating.VERY_SATISFIED: 1,
        Rating.SATISFIED: 0,
        Rating.NEUTRAL: 0,
        Rating.DISSATISFIED: 1,
        Rating.NO_ANSWER: 1,
    }
    assert p.answered == 2 and p.satisfied_pct == pytest.approx(50.0)
    assert [(c.ticket_id, c.note) for c in p.dissatisfied] == [(day["t2"], "等候时间太长")]
    assert (p.reprints, p.red_letters) == (1, 1)


def test_the_hall_lists_every_clerk_and_its_complaints(
    hall: HallApp, supervisor: Actor, day: dict[str, uuid.UUID]
) -> None:
    h = hall.performance.hall(supervisor, TODAY, TODAY)
    assert h.total.served == 4 and h.total.arrivals == 4
    by_name = {c.staff_name: c for c in h.clerks}
    assert by_name["陈志强"].tickets.served == 1 and by_name["陈志强"].satisfied_pct == 100.0
    assert by_name["陈志强"].revenue_fen == 0 and by_name["陈志强"].orders == ()
    assert by_name["林晓燕"].tickets.served == 3
    assert "黄丽华" not in by_name  # a supervisor with nothing done that day
    assert [c.ticket_id for c in h.dissatisfied] == [day["t2"]]


def test_a_clerk_sees_only_their_own(
    hall: HallApp, clerk: Actor, day: dict[str, uuid.UUID]
) -> None:
    with pytest.raises(PermissionDenied, match="只能查看本人的业绩"):
        hall.performance.clerk(clerk, day["other"], TODAY, TODAY)
    with pytest.raises(PermissionDenied):
        hall.performance.hall(clerk, TODAY, TODAY)
    sheet = hall.performance.appraisal(clerk, 2026, 11)
    assert [r.staff_id for r in sheet.rows] == [clerk.staff_id]  # own row, with the hall rank
    assert sheet.hall_size >= 2 and 1 <= sheet.rows[0].rank <= sheet.hall_size


def test_bad_periods_are_refused(hall: HallApp, supervisor: Actor) -> None:
    with pytest.raises(ValidationError, match="不能查询未来的日期"):
        hall.performance.hall(supervisor, TODAY, TODAY + timedelta(days=1))
    with pytest.raises(ValidationError, match="开始日期不能晚于结束日期"):
        hall.performance.hall(supervisor, TODAY, TODAY - timedelta(days=1))
    with pytest.raises(ValidationError, match="起才有记录"):
        hall.performance.hall(supervisor, date(2024, 12, 31), TODAY)
    with pytest.raises(ValidationError, match="未来的月份"):
        hall.performance.appraisal(supervisor, 2026, 12)
    assert period_days("week", date(2026, 11, 26)) == (date(2026, 11, 23), date(2026, 11, 29))
    assert period_days("month", date(2026, 2, 10)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert period_days("day", TODAY) == (TODAY, TODAY)


def test_the_appraisal_scores_and_ranks_the_hall(
    hall: HallApp, supervisor: Actor, clock: FakeClock, day: dict[str, uuid.UUID]
) -> None:
    sheet = hall.performance.appraisal(supervisor, 2026, 11)
    assert sheet.title == "2026年11月 员工月度考核表" and sheet.rows
    assert [k.code for k in sheet.kpis] == [c for c, _w, _t in hall.settings.rules.appraisal_kpis]
    ranks = [r.rank for r in sheet.rows]
    assert ranks == sorted(ranks) and ranks[0] == 1
    scores = [r.score for r in sheet.rows]
    assert scores == sorted(scores, reverse=True)
    first, last = date(2026, 11, 1), date(2026, 11, 30)
    for row in sheet.rows:  # each score is the weighted achievement of the clerk's month
        month = hall.performance.clerk(supervisor, row.staff_id, first, min(last, TODAY))
        expected = 0.0
        for code, weight, target in hall.settings.rules.appraisal_kpis:
            value = kpi_value(code, month)
            if value is None:
                got = 0.0
            elif code == "avg_service_minutes":
                got = min(1.0, target / value) if value else 1.0
            else:
                got = min(1.0, value / target)
            expected += weight * got * 100
        assert row.score == pytest.approx(expected)
    # weights and targets are configured: one KPI alone, a target met, every clerk at 100
    rules = replace(hall.settings.rules, appraisal_kpis=(("served", 1.0, 1.0),))
    easy = PerformanceService(hall.db, clock, rules).appraisal(supervisor, 2026, 11)
    assert kpis(rules.appraisal_kpis)[0].label == "服务人数"
    served = {r.staff_name: r for r in easy.rows}
    assert served["林晓燕"].score == pytest.approx(100.0) and served["林晓燕"].rank == 1


def test_the_appraisal_pdf_and_workbook_read_back(
    hall: HallApp, supervisor: Actor, tmp_path: Path, day: dict[str, uuid.UUID]
) -> None:
    sheet = hall.performance.appraisal(supervisor, 2026, 11)
    pdf = tmp_path / "appraisal.pdf"
    pdf.write_bytes(render_appraisal_pdf(sheet))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "2026年11月 员工月度考核表" in text and "考核期间：2026-11-01 至 2026-11-30" in text
    assert "服务人数 权重 25% 目标 600 人" in text and "被考核人签字" in text
    top = sheet.rows[0]
    assert top.staff_name in text and f"{top.score:.1f}" in text
    out = tmp_path / "appraisal.xlsx"
    write_appraisal_xlsx(sheet, out)
    ws = load_workbook(out).active
    assert ws is not None and ws.title == "月度考核"
    assert ws["A1"].value == sheet.title
    rows = list(ws.iter_rows(min_row=6, values_only=True))
    assert [(r[0], r[2]) for r in rows] == [(r.rank, r.staff_name) for r in sheet.rows]
    assert rows[0][-1] == pytest.approx(round(top.score, 2))

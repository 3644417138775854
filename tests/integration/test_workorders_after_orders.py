"""Work orders made by the real fixed-line orders (FixedLineService), reported to the end: the
install starts billing and is credited when late; a relocation moves the account."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.clock import business_date
from hall_app.db.models import AuditEntry, Equipment, LandlineNumber, Subscription, WorkOrder
from hall_app.domain.enums import (
    EquipmentStatus,
    NumberStatus,
    PaymentMethod,
    SubscriptionStatus,
    WorkOrderStatus,
)
from hall_app.domain.payments import PaymentInput
from hall_app.domain.pricing import add_months
from hall_app.services.actor import Actor
from hall_app.services.documents import DocumentKind
from hall_app.services.fixed_line import RelocateRequest
from hall_app.services.numbers import landline_display
from tests.conftest import FakeClock
from tests.integration.test_fixed_line import (
    INSTALL_FEE,
    LANDLINES,
    SERIALS,
    _active_broadband,
    _bookable,
    _paid,
    _prepare,
    _request,
)


def test_an_install_reported_two_days_late_starts_billing_and_credits_the_broadband(
    hall: HallApp, clerk: Actor, clock: FakeClock, tmp_path: Path
) -> None:
    st = _prepare(hall)
    hall.fixed_line.reserve_landline(clerk, LANDLINES[0])
    req = _request(hall, clerk, st, landline_plan_code="LL20", landline_number=LANDLINES[0])
    done = hall.fixed_line.install(clerk, _paid(hall, clerk, req))
    [view] = [v for v in hall.work_orders.for_customer(clerk, st.customer_id) if v.is_open]
    assert view.id == done.work_order_id and view.order_no == done.order_no
    assert view.landline_number == "0591-87650001" and view.broadband_account is not None
    assert not view.overdue

    pdf = hall.documents.print_document(clerk, done.order_id, DocumentKind.WORK_ORDER).pdf
    path = tmp_path / "wo.pdf"
    path.write_bytes(pdf)
    text = "".join(
        subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert f"工单号：{done.work_order_no}" in text and "0591-87650001" in text
    assert "押金借用" in text and "ZTEGT0000001" in text and "139****5678" in text

    hall.work_orders.dispatch(clerk, done.work_order_id)
    late = done.promised_date + timedelta(days=2)
    clock.now = datetime(late.year, late.month, late.day, 6, 0, tzinfo=UTC)
    assert hall.work_orders.get(clerk, done.work_order_id).overdue
    report = hall.work_orders.report_installed(clerk, done.work_order_id)
    fee = 2 * INSTALL_FEE  # the broadband's and the landline's installation fees
    assert (report.late_days, report.credit_fen) == (2, fee * 2 // 100)
    with hall.db.read() as s:
        wo = s.get_one(WorkOrder, done.work_order_id)
        subs = {
            sub.service_number: (sub.status, sub.activated_at, sub.balance_fen)
            for sub in s.scalars(
                select(Subscription).where(
                    Subscription.id.in_([wo.broadband_subscription_id, wo.landline_subscription_id])
                )
            )
        }
    assert sorted(report.activated) == sorted(
        landline_display(n) if n == LANDLINES[0] else n for n in subs
    )
    assert subs[done.broadband_account or ""] == (SubscriptionStatus.ACTIVE, clock.now, 400)
    assert subs[LANDLINES[0]] == (SubscriptionStatus.ACTIVE, clock.now, 0)


def test_a_relocation_reported_done_moves_the_account(hall: HallApp, clerk: Actor) -> None:
    st = _prepare(hall)
    sub = _active_broadband(hall)
    req = RelocateRequest(
        subscription_id=sub.id,
        new_address=f"福州市鼓楼区{st.community}8号楼1201",
        slot_id=_bookable(hall, clerk, st.community),
        contact_name="李女士",
        contact_phone="13912345678",
        payments=(),
    )
    quote = hall.fixed_line.quote_relocation(clerk, req)
    cash = PaymentInput(PaymentMethod.CASH, quote.total_fen, quote.total_fen)
    done = hall.fixed_line.relocate(
        clerk, replace(req, payments=(cash,), terms_text=quote.terms, signature_png=b"signed")
    )
    office = hall.work_orders.back_office_actor(done.order_no)
    hall.work_orders.dispatch(office, done.work_order_id)
    report = hall.work_orders.report_installed(office, done.work_order_id)
    assert report.activated == [] and report.relocated == (sub.service_number,)
    with hall.db.read() as s:
        moved = s.get_one(Subscription, sub.id)
        assert (moved.address, moved.community) == (req.new_address, st.community)
        assert moved.status is SubscriptionStatus.ACTIVE
        assert s.get_one(WorkOrder, done.work_order_id).status is WorkOrderStatus.INSTALLED


def test_the_contract_runs_from_the_installation_day(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    st = _prepare(hall)
    done = hall.fixed_line.install(clerk, _paid(hall, clerk, _request(hall, clerk, st)))
    hall.work_orders.dispatch(clerk, done.work_order_id)
    on = done.window_start.astimezone(UTC)
    clock.now = on
    hall.work_orders.report_installed(clerk, done.work_order_id)
    with hall.db.read() as s:
        wo = s.get_one(WorkOrder, done.work_order_id)
        sub = s.get_one(Subscription, wo.broadband_subscription_id)
        day = business_date(on)
        assert sub.lock_in_until == add_months(day, sub.product.lock_in_months)


def test_a_reschedule_the_customer_asked_for_moves_the_promise(hall: HallApp, clerk: Actor) -> None:
    st = _prepare(hall)
    done = hall.fixed_line.install(clerk, _paid(hall, clerk, _request(hall, clerk, st)))
    later = max(hall.slots.free_slots(clerk, st.community), key=lambda v: v.starts_at)
    assert later.day > done.promised_date
    ours = hall.work_orders.reschedule(clerk, done.work_order_id, later.slot_id, "装维人员临时请假")
    assert ours.promised_date == done.promised_date  # the operator's delay: still credited
    earlier = hall.work_orders.reschedule(
        clerk, done.work_order_id, _bookable(hall, clerk, st.community), "改回原来的时间"
    )
    asked = hall.work_orders.reschedule(
        clerk, done.work_order_id, later.slot_id, "客户出差，要求改到下周", customer_asked=True
    )
    assert earlier.promised_date == done.promised_date
    assert asked.promised_date == later.day  # the customer's wait is not a late install


def test_a_cancelled_install_gives_back_the_number_the_devices_and_the_subscriptions(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    st = _prepare(hall)
    hall.fixed_line.reserve_landline(clerk, LANDLINES[1])
    req = _request(hall, clerk, st, landline_plan_code="LL20", landline_number=LANDLINES[1])
    done = hall.fixed_line.install(clerk, _paid(hall, clerk, req))
    hall.work_orders.cancel(supervisor, done.work_order_id, "客户撤单")
    with hall.db.read() as s:
        wo = s.get_one(WorkOrder, done.work_order_id)
        subs = [
            s.get_one(Subscription, i)
            for i in (wo.broadband_subscription_id, wo.landline_subscription_id)
        ]
        assert {x.status for x in subs} == {SubscriptionStatus.CANCELLED}
        number = s.scalars(
            select(LandlineNumber).where(LandlineNumber.number == LANDLINES[1])
        ).one()
        assert number.status is NumberStatus.AVAILABLE
        gear = s.scalars(select(Equipment).where(Equipment.serial == SERIALS[0])).one()
        assert (gear.status, gear.subscription_id) == (EquipmentStatus.IN_STOCK, None)
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "work_order.cancelled")
        ).one()
        assert entry.after is not None and entry.after["refund_due_fen"] == done.total_fen

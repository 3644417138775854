"""Install work orders after the order: dispatch, installed (activation, relocation, the late
credit), failed, rescheduled, cancelled, and the refusals."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.central import Claim, Offline
from hall_app.db.models import AuditEntry, InstallSlot, Subscription, WorkOrder
from hall_app.domain.enums import SubscriptionStatus, WorkOrderStatus
from hall_app.domain.errors import NotFound, PermissionDenied, ValidationError
from hall_app.services.actor import Actor
from hall_app.services.ports import MirrorRows
from hall_app.services.workorders import WorkOrderService
from tests.conftest import FakeClock
from tests.fixed_line_fixtures import ADDRESS, COMMUNITY, make_work_order

T = TypeVar("T")


@pytest.fixture
def service(hall: HallApp) -> WorkOrderService:
    return WorkOrderService(hall.db, hall.clock, hall.settings.rules, hall.calendar)


def _audits(hall: HallApp, action: str) -> list[AuditEntry]:
    with hall.db.read() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)).all())
        s.expunge_all()
        return rows


def _row(hall: HallApp, model: type[T], row_id: object) -> T:
    """The row as it is now, detached (a read session expires what it loaded when it ends)."""
    with hall.db.read() as s:
        row = s.get_one(model, row_id)
        s.expunge(row)
        return row


def _on(clock: FakeClock, day: date) -> None:
    clock.now = datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC)  # 11:00 in the hall


def test_dispatch_then_installed_activates_the_pending_subscriptions(
    hall: HallApp, clerk: Actor, service: WorkOrderService, clock: FakeClock
) -> None:
    built = make_work_order(hall, clerk, landline=True)
    view = service.dispatch(clerk, built.work_order_id)
    assert view.status is WorkOrderStatus.DISPATCHED and view.status_label == "已派单"
    _on(clock, date(2026, 11, 26))
    report = service.report_installed(clerk, built.work_order_id)
    assert report.late_days == 0 and report.credit_fen == 0
    bb = _row(hall, Subscription, built.broadband_id)
    ll = _row(hall, Subscription, built.landline_id)
    wo = _row(hall, WorkOrder, built.work_order_id)
    assert bb.status is SubscriptionStatus.ACTIVE and ll.status is SubscriptionStatus.ACTIVE
    assert bb.activated_at == clock.now and ll.activated_at == clock.now  # billing starts
    shown = f"{ll.service_number[:4]}-{ll.service_number[4:]}"  # a landline as written
    assert sorted(report.activated) == sorted([bb.service_number, shown])
    assert wo.status is WorkOrderStatus.INSTALLED and wo.installed_at == clock.now
    assert bb.balance_fen == 0
    [entry] = _audits(hall, "work_order.installed")
    assert entry.staff_id == clerk.staff_id
    assert entry.after is not None and entry.after["credit_fen"] == 0
    assert _audits(hall, "work_order.dispatched")


@pytest.mark.parametrize(
    ("installed_on", "late_days", "credit_fen"),
    [
        (date(2026, 11, 27), 0, 0),  # on the promised date
        (date(2026, 11, 28), 1, 100),
        (date(2026, 11, 30), 3, 300),  # domain rules: fee 100.00, 3 days late, 3.00
    ],
)
def test_a_late_install_credits_one_percent_a_day_to_the_balance(
    hall: HallApp,
    clerk: Actor,
    service: WorkOrderService,
    clock: FakeClock,
    installed_on: date,
    late_days: int,
    credit_fen: int,
) -> None:
    built = make_work_order(hall, clerk, promised=date(2026, 11, 27), fee_fen=10_000)
    service.dispatch(clerk, built.work_order_id)
    _on(clock, installed_on)
    report = service.report_installed(clerk, built.work_order_id)
    assert (report.late_days, report.credit_fen) == (late_days, credit_fen)
    bb = _row(hall, Subscription, built.broadband_id)
    wo = _row(hall, WorkOrder, built.work_order_id)
    assert bb.balance_fen == credit_fen
    assert (wo.late_days, wo.credit_fen) == (late_days, credit_fen)
    credits = _audits(hall, "subscription.late_install_credit")
    if credit_fen:
        [entry] = credits
        assert entry.entity_id == str(built.broadband_id)
        assert entry.after is not None
        assert entry.after["credit_fen"] == credit_fen and entry.after["late_days"] == late_days
    else:
        assert credits == []


def test_an_open_work_order_past_its_promised_date_is_overdue(
    hall: HallApp, clerk: Actor, supervisor: Actor, service: WorkOrderService, clock: FakeClock
) -> None:
    late = make_work_order(hall, clerk, promised=date(2026, 11, 25))
    on_time = make_work_order(hall, clerk, promised=date(2026, 11, 30))
    _on(clock, date(2026, 11, 26))
    views = {v.id: v for v in service.for_customer(clerk, late.customer_id)}
    assert views[late.work_order_id].overdue
    assert not service.find(clerk, on_time.work_order_no).overdue
    overdue = service.open_work_orders(supervisor, overdue_only=True)
    assert late.work_order_id in {v.id for v in overdue}
    assert on_time.work_order_id not in {v.id for v in overdue}
    with pytest.raises(PermissionDenied):
        service.open_work_orders(clerk)


def test_a_relocation_moves_the_subscription_and_activates_nothing(
    hall: HallApp, clerk: Actor, service: WorkOrderService
) -> None:
    built = make_work_order(hall, clerk, relocate=True)
    service.dispatch(clerk, built.work_order_id)
    report = service.report_installed(clerk, built.work_order_id)
    bb = _row(hall, Subscription, built.broadband_id)
    assert report.activated == [] and report.relocated == (bb.service_number,)
    assert bb.status is SubscriptionStatus.ACTIVE
    assert (bb.address, bb.community) == (ADDRESS, COMMUNITY)


def test_failed_needs_a_reason_and_cannot_then_be_installed(
    hall: HallApp, clerk: Actor, service: WorkOrderService
) -> None:
    built = make_work_order(hall, clerk)
    service.dispatch(clerk, built.work_order_id)
    with pytest.raises(ValidationError) as blank:
        service.report_failed(clerk, built.work_order_id, "  ")
    assert blank.value.field == "原因" and "原因" in blank.value.text
    view = service.report_failed(clerk, built.work_order_id, "客户不在家，电话无人接听")
    assert view.status is WorkOrderStatus.FAILED
    assert view.status_reason == "客户不在家，电话无人接听"
    with pytest.raises(ValidationError) as refused:
        service.report_installed(clerk, built.work_order_id)
    assert refused.value.field == "工单状态"
    assert "装机失败" in refused.value.text and "改约" in refused.value.text
    assert _row(hall, Subscription, built.broadband_id).status is SubscriptionStatus.PENDING
    [entry] = _audits(hall, "work_order.failed")
    assert entry.after is not None and entry.after["reason"] == "客户不在家，电话无人接听"


def test_installing_before_dispatch_and_dispatching_twice_are_refused(
    hall: HallApp, clerk: Actor, service: WorkOrderService
) -> None:
    built = make_work_order(hall, clerk)
    with pytest.raises(ValidationError, match="须先派单"):
        service.report_installed(clerk, built.work_order_id)
    service.dispatch(clerk, built.work_order_id)
    with pytest.raises(ValidationError, match="已派单"):
        service.dispatch(clerk, built.work_order_id)
    service.report_installed(clerk, built.work_order_id)
    with pytest.raises(ValidationError, match="已结束"):
        service.report_failed(clerk, built.work_order_id, "重复上报")


def test_reschedule_takes_the_new_slot_and_gives_the_old_one_back(
    hall: HallApp, clerk: Actor, service: WorkOrderService
) -> None:
    built = make_work_order(hall, clerk)
    new_slot = built.free_slot_ids[2]
    view = service.reschedule(clerk, built.work_order_id, new_slot, "客户周四上午不在家")
    old = _row(hall, InstallSlot, built.slot_id)
    new = _row(hall, InstallSlot, new_slot)
    wo = _row(hall, WorkOrder, built.work_order_id)
    assert (old.booked, new.booked) == (0, 1)
    assert wo.slot_id == new_slot and wo.reschedules == 1
    assert (wo.window_start, wo.window_end) == (new.starts_at, new.ends_at)
    assert view.status is WorkOrderStatus.SCHEDULED and view.window_start == new.starts_at
    assert view.window_label == "上午" and view.team_name == "鼓楼装维一班"
    [entry] = _audits(hall, "work_order.rescheduled")
    assert entry.before is not None and entry.before["slot_id"] == str(built.slot_id)


def test_reschedule_refuses_a_full_slot_and_a_failed_one_keeps_its_old_slot(
    hall: HallApp, clerk: Actor, service: WorkOrderService
) -> None:
    built = make_work_order(hall, clerk, capacity=1)
    full = built.free_slot_ids[0]
    with hall.db.unit_of_work() as s:
        s.get_one(InstallSlot, full).booked = 1
    with pytest.raises(ValidationError) as refused:
        service.reschedule(clerk, built.work_order_id, full, "改到下午")
    assert refused.value.field == "预约时段"
    assert _row(hall, WorkOrder, built.work_order_id).slot_id == built.slot_id  # unchanged
    with pytest.raises(ValidationError, match="原因"):
        service.reschedule(clerk, built.work_order_id, built.free_slot_ids[1], "")
    service.dispatch(clerk, built.work_order_id)
    service.report_failed(clerk, built.work_order_id, "楼道无光纤")
    service.reschedule(clerk, built.work_order_id, built.free_slot_ids[1], "光纤已布放，重新预约")
    assert _row(hall, InstallSlot, built.slot_id).booked == 1  # the team went: still used
    assert _row(hall, InstallSlot, built.free_slot_ids[1]).booked == 1


def test_cancel_gives_the_slot_back_and_needs_a_supervisor(
    hall: HallApp, clerk: Actor, supervisor: Actor, service: WorkOrderService
) -> None:
    built = make_work_order(hall, clerk)
    with pytest.raises(PermissionDenied):
        service.cancel(clerk, built.work_order_id, "客户撤单")
    view = service.cancel(supervisor, built.work_order_id, "客户撤单")
    assert view.status is WorkOrderStatus.CANCELLED
    assert _row(hall, InstallSlot, built.slot_id).booked == 0
    assert _audits(hall, "work_order.cancelled")


def test_find_by_order_or_work_order_number(
    hall: HallApp, clerk: Actor, service: WorkOrderService
) -> None:
    built = make_work_order(hall, clerk, landline=True)
    by_order = service.find(clerk, built.order_no.lower())
    by_own = service.find(clerk, f" {built.work_order_no} ")
    assert by_order.id == by_own.id == built.work_order_id
    assert by_own.order_no == built.order_no
    assert by_own.contact_phone_masked == "133****1234"
    assert by_own.landline_number is not None and by_own.landline_number.startswith("0591-")
    assert len(by_own.equipment_serials) == 2
    with pytest.raises(NotFound) as missing:
        service.find(clerk, "SL20990101000000")
    assert missing.value.field == "单号"


def test_the_back_office_actor_is_audited_by_name(
    hall: HallApp, clerk: Actor, service: WorkOrderService
) -> None:
    built = make_work_order(hall, clerk)
    office = service.back_office_actor(built.order_no)
    assert office.hall_id == clerk.hall_id and office.is_system
    service.dispatch(office, built.work_order_id)
    [entry] = _audits(hall, "work_order.dispatched")
    assert entry.staff_id is None and entry.actor_name == "backoffice"


class FakeCentral:
    """The central port for slots: books in a dict of its own and says which rows to mirror;
    ``down`` raises Offline as the live link would."""

    def __init__(self, hall: HallApp, down: bool = False) -> None:
        self._hall = hall
        self.down = down
        self.claimed: list[uuid.UUID] = []
        self.released: list[uuid.UUID] = []

    @property
    def online(self) -> bool:
        return not self.down

    def claim_number_and_sim(self, *_: object) -> MirrorRows:
        raise AssertionError("not used by work orders")

    def release_claim(self, claim: Claim) -> None:
        raise AssertionError("not used by work orders")

    def claim_slot(
        self, slot_id: uuid.UUID, counter_id: uuid.UUID, now: datetime, *, lead_hours: int = 4
    ) -> MirrorRows:
        if self.down:
            raise Offline
        self.claimed.append(slot_id)
        table = InstallSlot.__table__
        with self._hall.db.read() as s:
            row = dict(s.execute(select(table).where(table.c.id == slot_id)).mappings().one())
        row["booked"] += 1
        row["updated_at"] = now
        return [(table, row)]  # type: ignore[list-item]

    def release_slot(self, slot_id: uuid.UUID, counter_id: uuid.UUID, now: datetime) -> None:
        if self.down:
            raise Offline
        self.released.append(slot_id)


def test_online_a_reschedule_books_at_the_central_database(hall: HallApp, clerk: Actor) -> None:
    central = FakeCentral(hall)
    service = WorkOrderService(
        hall.db, hall.clock, hall.settings.rules, hall.calendar, central=central
    )
    built = make_work_order(hall, clerk)
    new_slot = built.free_slot_ids[1]
    service.reschedule(clerk, built.work_order_id, new_slot, "客户要求改到下午")
    assert central.claimed == [new_slot] and central.released == [built.slot_id]
    assert _row(hall, InstallSlot, new_slot).booked == 1  # mirrored from the central answer
    assert _row(hall, WorkOrder, built.work_order_id).slot_id == new_slot


def test_offline_a_reschedule_books_only_a_slot_leased_here(hall: HallApp, clerk: Actor) -> None:
    central = FakeCentral(hall, down=True)
    service = WorkOrderService(
        hall.db, hall.clock, hall.settings.rules, hall.calendar, central=central
    )
    built = make_work_order(hall, clerk)
    unleased, leased = built.free_slot_ids[1], built.free_slot_ids[2]
    with pytest.raises(ValidationError, match="租用"):
        service.reschedule(clerk, built.work_order_id, unleased, "改约")
    with hall.db.unit_of_work() as s:
        slot = s.get_one(InstallSlot, leased)
        slot.lease_counter_id = clerk.counter_id
        slot.lease_until = hall.clock() + timedelta(days=3)
    service.reschedule(clerk, built.work_order_id, leased, "改约")
    assert _row(hall, InstallSlot, leased).booked == 1
    assert _row(hall, InstallSlot, built.slot_id).booked == 0  # given back locally

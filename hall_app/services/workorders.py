"""Install work orders (装机工单) after the order: dispatch, installed, failed, rescheduled.

Reported by a clerk from the customer record or by the installers' back office
(``hall-app workorder done``). "Installed" starts the service: the order's pending broadband
and landline subscriptions become active (billing starts) or, for a relocation, the
subscription moves to the new address; an install after the promised date credits 1 % of the
installation fee per day late to the subscription's balance, on that day."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date, local
from hall_app.config import BusinessRules
from hall_app.db.central import Offline, mirror
from hall_app.db.engine import Database
from hall_app.db.models import Hall, Order, Product, Promotion, Subscription
from hall_app.db.models.fixed_line import (
    Equipment,
    InstallerTeam,
    InstallSlot,
    LandlineNumber,
    WorkOrder,
)
from hall_app.db.text_limits import check_value
from hall_app.domain.enums import (
    BalanceMovementKind,
    EquipmentStatus,
    NumberStatus,
    SubscriptionKind,
    SubscriptionStatus,
    WorkOrderKind,
    WorkOrderStatus,
)
from hall_app.domain.errors import NotFound, ValidationError
from hall_app.domain.masking import mask_phone
from hall_app.domain.permissions import Permission
from hall_app.domain.pricing import add_months, promotion_last_day
from hall_app.domain.workdays import late_install_credit_fen
from hall_app.domain.workorders import OPEN, check_step
from hall_app.services import audit
from hall_app.services.actor import Actor, system_actor
from hall_app.services.balances import record_movement
from hall_app.services.calendar import CalendarService
from hall_app.services.installs import SLOT_FIELD, give_back_slot, take_slot
from hall_app.services.numbers import landline_display
from hall_app.services.ports import CentralClaims, MirrorRows

log = logging.getLogger("hall.workorders")

REF_FIELD = "单号"
REASON_FIELD = "原因"
REASON_MAX = 200
CLOSED_SHOWN = 20  # past work orders listed after the open ones
# What the installers' back office may do (hall-app workorder …).
BACK_OFFICE_PERMISSIONS = frozenset({Permission.ORDER_CREATE, Permission.CUSTOMER_VIEW})


@dataclass(frozen=True)
class WorkOrderView:
    id: uuid.UUID
    work_order_no: str
    order_id: uuid.UUID
    order_no: str
    kind: WorkOrderKind
    status: WorkOrderStatus
    status_label: str
    address: str
    community: str
    technology: str
    contact_name: str
    contact_phone_masked: str
    window_start: datetime
    window_end: datetime
    window_label: str  # 上午, from the rules' install windows
    promised_date: date
    promised_provisional: bool
    overdue: bool  # still open after the promised date
    team_name: str
    installation_fee_fen: int
    late_days: int
    credit_fen: int
    broadband_account: str | None
    landline_number: str | None
    equipment_serials: tuple[str, ...]
    status_reason: str
    customer_id: uuid.UUID | None = None
    reschedules: int = 0
    slot_id: uuid.UUID | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


@dataclass(frozen=True)
class InstallReport:
    late_days: int
    credit_fen: int
    activated: list[str]  # the service numbers (accounts) whose billing starts now
    relocated: tuple[str, ...] = ()  # a relocation: the service numbers moved
    work_order_no: str = ""


def window_label(rules: BusinessRules, code: str | None, starts_at: datetime) -> str:
    """上午 / 下午 / 晚间: by the slot's window code, or (a work order without a slot) by its
    start time."""
    for window, label, _, _ in rules.install_windows:
        if window == code:
            return label
    start = f"{local(starts_at):%H:%M}"
    return next((label for _, label, begins, _ in rules.install_windows if begins == start), "")


class WorkOrderService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        rules: BusinessRules,
        calendar: CalendarService,
        central: CentralClaims | None = None,
    ) -> None:
        """``central``: the hall's central database, where a reschedule books its new slot
        while online (None: a standalone counter or the central database itself)."""
        self._central = central
        self._db = db
        self._clock = clock
        self._rules = rules
        self._calendar = calendar

    # -- reading ---------------------------------------------------------------------------
    def for_customer(self, actor: Actor, customer_id: uuid.UUID) -> list[WorkOrderView]:
        """The customer's work orders: the open ones first (earliest window first), then the
        last closed ones."""
        actor.require(Permission.CUSTOMER_VIEW)
        with self._db.read() as session:
            rows = session.scalars(
                select(WorkOrder)
                .where(WorkOrder.customer_id == customer_id)
                .order_by(WorkOrder.window_start.desc())
            ).all()
            open_ = sorted((w for w in rows if w.status in OPEN), key=lambda w: w.window_start)
            closed = [w for w in rows if w.status not in OPEN][:CLOSED_SHOWN]
            return [self._view(session, w) for w in (*open_, *closed)]

    def open_work_orders(self, actor: Actor, overdue_only: bool = False) -> list[WorkOrderView]:
        """The hall's open work orders for the supervisor, earliest promised date first."""
        actor.require(Permission.REPORTS_VIEW)
        today = business_date(self._clock())
        with self._db.read() as session:
            stmt = select(WorkOrder).where(
                WorkOrder.hall_id == actor.hall_id, WorkOrder.status.in_(OPEN)
            )
            if overdue_only:
                stmt = stmt.where(WorkOrder.promised_date < today)
            rows = session.scalars(
                stmt.order_by(WorkOrder.promised_date, WorkOrder.window_start)
            ).all()
            return [self._view(session, w) for w in rows]

    def get(self, actor: Actor, work_order_id: uuid.UUID) -> WorkOrderView:
        actor.require(Permission.CUSTOMER_VIEW)
        with self._db.read() as session:
            return self._view(session, self._load(session, work_order_id))

    def find(self, actor: Actor, ref: str) -> WorkOrderView:
        """A work order by its own number or by its order's number (SL…): of an order's work
        orders, the open one, else the latest."""
        actor.require(Permission.CUSTOMER_VIEW)
        with self._db.read() as session:
            return self._view(session, self._by_ref(session, ref))

    def back_office_actor(self, ref: str) -> Actor:
        """The installers' back office, acting in the hall of the work order ``ref`` names."""
        with self._db.read() as session:
            wo = self._by_ref(session, ref)
            hall = session.get_one(Hall, wo.hall_id)
            return system_actor(
                "backoffice", "装维后台", hall.id, hall.name, BACK_OFFICE_PERMISSIONS
            )

    # -- the steps -------------------------------------------------------------------------
    def dispatch(self, actor: Actor, work_order_id: uuid.UUID) -> WorkOrderView:
        """派单: the installer team has the work order."""
        actor.require(Permission.ORDER_CREATE)
        now = self._clock()
        with self._db.unit_of_work() as session:
            wo = self._load(session, work_order_id, lock=True)
            check_step("dispatch", wo.status, wo.work_order_no)
            before = {"status": wo.status.value}
            wo.status = WorkOrderStatus.DISPATCHED
            wo.dispatched_at = now
            wo.updated_at = now
            self._audit(session, actor, now, "work_order.dispatched", wo, before)
            session.flush()
            return self._view(session, wo)

    def report_installed(self, actor: Actor, work_order_id: uuid.UUID) -> InstallReport:
        """装机完成: the pending subscriptions start (billing from now) or, for a relocation, move
        to the work order's address; installed after the promised date, 1 % of the installation
        fee per day late is credited to the subscription's balance today."""
        actor.require(Permission.ORDER_CREATE)
        now = self._clock()
        today = business_date(now)
        with self._db.unit_of_work() as session:
            wo = self._load(session, work_order_id, lock=True)
            check_step("install", wo.status, wo.work_order_no)
            subs = self._subscriptions(session, wo)
            if not subs:
                raise ValidationError(
                    f"工单 {wo.work_order_no} 没有对应的宽带或固话业务，无法报竣工", REF_FIELD
                )
            activated: list[str] = []
            relocated: list[str] = []
            for sub in subs:
                if wo.kind is WorkOrderKind.RELOCATE:
                    if sub.status is not SubscriptionStatus.ACTIVE:
                        raise ValidationError(
                            f"{sub.kind.label} {sub.service_number} 当前为“{sub.status.label}”，"
                            "不能移机",
                            REF_FIELD,
                        )
                    sub.address = wo.address
                    sub.community = wo.community
                    sub.technology = wo.technology
                    relocated.append(_shown(sub))
                elif sub.status is SubscriptionStatus.PENDING:
                    sub.status = SubscriptionStatus.ACTIVE
                    sub.activated_at = now
                    # The contract and a promotion run from the installation (the terms say
                    # 自装机完成之日起), not from the order.
                    months = session.scalar(
                        select(Product.lock_in_months).where(Product.id == sub.product_id)
                    )
                    if sub.lock_in_until is not None and months:
                        sub.lock_in_until = add_months(today, months)
                    if sub.promotion_id is not None:
                        promo_months = session.scalar(
                            select(Promotion.discount_months).where(
                                Promotion.id == sub.promotion_id
                            )
                        )
                        if promo_months:
                            sub.promotion_until = promotion_last_day(today, promo_months)
                    activated.append(_shown(sub))
                sub.updated_at = now
            late_days = max((today - wo.promised_date).days, 0)
            credit = late_install_credit_fen(wo.installation_fee_fen, wo.promised_date, today)
            credited = subs[0]  # the broadband one when there is one (it bears the fee)
            if credit:
                credited.balance_fen += credit
                record_movement(
                    session,
                    credited.id,
                    BalanceMovementKind.WORK_ORDER_CREDIT,
                    credit,
                    at=now,
                    order_id=wo.order_id,
                )
            before = {"status": wo.status.value}
            wo.status = WorkOrderStatus.INSTALLED
            wo.installed_at = now
            wo.late_days = late_days
            wo.credit_fen = credit
            wo.updated_at = now
            self._audit(
                session,
                actor,
                now,
                "work_order.installed",
                wo,
                before,
                activated=activated,
                relocated=relocated,
                late_days=late_days,
                credit_fen=credit,
            )
            if credit:
                audit.record(
                    session,
                    at=now,
                    actor=actor,
                    action="subscription.late_install_credit",
                    entity="subscription",
                    entity_id=credited.id,
                    before={"balance_fen": credited.balance_fen - credit},
                    after={
                        "balance_fen": credited.balance_fen,
                        "credit_fen": credit,
                        "late_days": late_days,
                        "promised_date": wo.promised_date.isoformat(),
                        "installed_on": today.isoformat(),
                        "installation_fee_fen": wo.installation_fee_fen,
                        "work_order_no": wo.work_order_no,
                    },
                )
            return InstallReport(late_days, credit, activated, tuple(relocated), wo.work_order_no)

    def report_failed(self, actor: Actor, work_order_id: uuid.UUID, reason: str) -> WorkOrderView:
        """装机失败, with the reason (the customer was out, no fibre to the flat …). The slot
        stays used: the team went."""
        actor.require(Permission.ORDER_CREATE)
        why = _reason(reason, "装机失败")
        now = self._clock()
        with self._db.unit_of_work() as session:
            wo = self._load(session, work_order_id, lock=True)
            check_step("fail", wo.status, wo.work_order_no)
            before = {"status": wo.status.value, "status_reason": wo.status_reason}
            wo.status = WorkOrderStatus.FAILED
            wo.failed_at = now
            wo.status_reason = why
            wo.updated_at = now
            self._audit(session, actor, now, "work_order.failed", wo, before, reason=why)
            session.flush()
            return self._view(session, wo)

    def reschedule(
        self,
        actor: Actor,
        work_order_id: uuid.UUID,
        slot_id: uuid.UUID,
        reason: str,
        *,
        customer_asked: bool = False,
    ) -> WorkOrderView:
        """改约: the work order moves to a new slot of its community (taken at once, so it is
        never double-booked: at the central database when online, else locally, offline only
        a slot leased here) and the old slot's place is given back, unless the install was
        tried there and failed. The promised date stays (a late install is still credited),
        unless the customer asked for a later day (``customer_asked``): then the new day is the
        promise, as when the customer chose a later day at the counter."""
        actor.require(Permission.ORDER_CREATE)
        why = _reason(reason, "改约")
        now = self._clock()
        with self._db.read() as session:  # refused before anything is claimed centrally
            self._check_new_slot(session, self._load(session, work_order_id), slot_id)
        rows, claimed = self._claim(actor, slot_id, now)
        try:
            with self._db.unit_of_work() as session:
                wo = self._load(session, work_order_id, lock=True)
                self._check_new_slot(session, wo, slot_id)
                old_slot_id = wo.slot_id if wo.status is not WorkOrderStatus.FAILED else None
                if claimed:
                    mirror(session, rows)  # the slot as the central database booked it
                    slot = session.get_one(InstallSlot, slot_id, populate_existing=True)
                else:
                    slot = take_slot(
                        session,
                        slot_id,
                        actor,
                        now,
                        offline=self._central is not None,
                        lead_hours=self._rules.install_lead_hours,
                    )
                    if old_slot_id is not None:
                        give_back_slot(session, old_slot_id, now)
                before = {
                    "status": wo.status.value,
                    "slot_id": str(wo.slot_id) if wo.slot_id else None,
                    "window_start": wo.window_start.isoformat(),
                    "reschedules": wo.reschedules,
                }
                wo.status = WorkOrderStatus.SCHEDULED
                wo.slot_id = slot.id
                wo.team_id = slot.team_id
                wo.window_start = slot.starts_at
                wo.window_end = slot.ends_at
                wo.dispatched_at = None
                if customer_asked and slot.day > wo.promised_date:
                    wo.promised_date = slot.day
                    wo.promised_provisional = slot.provisional
                wo.reschedules += 1
                wo.status_reason = why
                wo.updated_at = now
                self._audit(
                    session,
                    actor,
                    now,
                    "work_order.rescheduled",
                    wo,
                    before,
                    slot_id=str(slot.id),
                    window_start=slot.starts_at.isoformat(),
                    reason=why,
                    booked_centrally=claimed,
                    customer_asked=customer_asked,
                    promised_date=wo.promised_date.isoformat(),
                )
                session.flush()
                view = self._view(session, wo)
        except BaseException:
            if claimed:
                self._release(actor, slot_id, now)
            raise
        if claimed and old_slot_id is not None:
            self._release(actor, old_slot_id, now)
        return view

    def _claim(self, actor: Actor, slot_id: uuid.UUID, now: datetime) -> tuple[MirrorRows, bool]:
        """Online: book the place at the central database first. ([], False) offline or
        without a central database."""
        if self._central is None or actor.counter_id is None:
            return [], False
        try:
            rows = self._central.claim_slot(
                slot_id, actor.counter_id, now, lead_hours=self._rules.install_lead_hours
            )
        except Offline:
            return [], False
        return rows, True

    def _release(self, actor: Actor, slot_id: uuid.UUID, now: datetime) -> None:
        """Give a place back at the central database; with the link down, in this database
        (the push carries it; the central database takes it while the slot is leased here)."""
        assert self._central is not None and actor.counter_id is not None
        try:
            self._central.release_slot(slot_id, actor.counter_id, now)
        except Offline:
            log.warning("slot %s given back locally: the central link is down", slot_id)
            with self._db.unit_of_work() as session:
                give_back_slot(session, slot_id, now)

    @staticmethod
    def _check_new_slot(session: Session, wo: WorkOrder, slot_id: uuid.UUID) -> None:
        check_step("reschedule", wo.status, wo.work_order_no)
        if slot_id == wo.slot_id:
            raise ValidationError("新时段与原预约时段相同，请另选一个时段", SLOT_FIELD)
        slot = session.get(InstallSlot, slot_id)
        if slot is None:
            raise NotFound("所选预约时段不存在，请刷新后重选", SLOT_FIELD)
        if slot.community != wo.community:
            raise ValidationError(
                f"所选时段属于“{slot.community}”，不是工单所在的“{wo.community}”", SLOT_FIELD
            )

    def cancel(self, actor: Actor, work_order_id: uuid.UUID, reason: str) -> WorkOrderView:
        """取消工单 (the customer withdrew; a supervisor's decision): the slot's place is given
        back; a new install's pending subscriptions are cancelled, its modems and routers go
        back to stock and its landline number becomes available again. The order's payment
        stands: the amount to refund is recorded in the audit entry (refunds are taken at the
        till)."""
        actor.require(Permission.APPROVE)
        why = _reason(reason, "取消工单")
        now = self._clock()
        with self._db.unit_of_work() as session:
            wo = self._load(session, work_order_id, lock=True)
            check_step("cancel", wo.status, wo.work_order_no)
            freed = wo.slot_id
            central = self._central is not None and actor.counter_id is not None
            if freed is not None and not central:
                give_back_slot(session, freed, now)
            before = {"status": wo.status.value}
            released = self._release_install(session, wo, now)
            wo.status = WorkOrderStatus.CANCELLED
            wo.status_reason = why
            wo.updated_at = now
            self._audit(
                session, actor, now, "work_order.cancelled", wo, before, reason=why, **released
            )
            session.flush()
            view = self._view(session, wo)
        if freed is not None and central:
            self._release(actor, freed, now)
        return view

    @staticmethod
    def _release_install(session: Session, wo: WorkOrder, now: datetime) -> dict[str, object]:
        """What a cancelled new install gives back (a relocation holds nothing new)."""
        if wo.kind is not WorkOrderKind.INSTALL:
            return {}
        subs = [
            s
            for s in WorkOrderService._subscriptions(session, wo)
            if s.status is SubscriptionStatus.PENDING
        ]
        for sub in subs:
            sub.status = SubscriptionStatus.CANCELLED
            sub.cancelled_at = now
            sub.updated_at = now
            if sub.kind is SubscriptionKind.LANDLINE:
                session.execute(
                    update(LandlineNumber)
                    .where(
                        LandlineNumber.number == sub.service_number,
                        LandlineNumber.status == NumberStatus.ASSIGNED,
                    )
                    .values(
                        status=NumberStatus.AVAILABLE,
                        reserved_until=None,
                        reserved_by_counter_id=None,
                        updated_at=now,
                    )
                )
        gear = session.scalars(
            select(Equipment).where(
                Equipment.order_id == wo.order_id,
                Equipment.status.in_([EquipmentStatus.LENT, EquipmentStatus.SOLD]),
            )
        ).all()
        for device in gear:
            device.status = EquipmentStatus.IN_STOCK
            device.subscription_id = None
            device.order_id = None
            device.mode = None
            device.deposit_fen = 0
            device.taken_by_counter_id = None
            device.updated_at = now
        paid = session.scalar(select(Order.total_fen).where(Order.id == wo.order_id)) or 0
        return {
            "cancelled": [s.service_number for s in subs],
            "equipment_returned": [d.serial for d in gear],
            "refund_due_fen": paid,
        }

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _load(session: Session, work_order_id: uuid.UUID, lock: bool = False) -> WorkOrder:
        stmt = select(WorkOrder).where(WorkOrder.id == work_order_id)
        if lock:
            stmt = stmt.with_for_update()
        wo = session.scalars(stmt).one_or_none()
        if wo is None:
            raise NotFound("没有这张装机工单", REF_FIELD)
        return wo

    @staticmethod
    def _by_ref(session: Session, ref: str) -> WorkOrder:
        text = ref.strip().upper()
        if not text:
            raise ValidationError("请输入受理单号或装机工单号", REF_FIELD)
        check_value(REF_FIELD, None, text)  # a lone surrogate cannot be bound to a query
        rows = session.scalars(
            select(WorkOrder)
            .outerjoin(Order, Order.id == WorkOrder.order_id)
            .where(or_(WorkOrder.work_order_no == text, Order.order_no == text))
            .order_by(WorkOrder.created_at.desc())
        ).all()
        if not rows:
            raise NotFound(f"没有单号为 {text} 的装机工单或受理单", REF_FIELD)
        return next((w for w in rows if w.status in OPEN), rows[0])

    @staticmethod
    def _subscriptions(session: Session, wo: WorkOrder) -> list[Subscription]:
        """The work order's subscriptions, the broadband one first."""
        ids = [i for i in (wo.broadband_subscription_id, wo.landline_subscription_id) if i]
        subs = session.scalars(
            select(Subscription).where(Subscription.id.in_(ids)).with_for_update()
        ).all()
        return sorted(subs, key=lambda s: s.kind is not SubscriptionKind.BROADBAND)

    def _view(self, session: Session, wo: WorkOrder) -> WorkOrderView:
        order_no = session.scalar(select(Order.order_no).where(Order.id == wo.order_id)) or ""
        numbers = dict(
            session.execute(
                select(Subscription.id, Subscription.service_number).where(
                    Subscription.id.in_(
                        [
                            i
                            for i in (wo.broadband_subscription_id, wo.landline_subscription_id)
                            if i
                        ]
                    )
                )
            ).all()
        )
        serials = session.scalars(
            select(Equipment.serial)
            .where(Equipment.order_id == wo.order_id)
            .order_by(Equipment.serial)
        ).all()
        team = session.get(InstallerTeam, wo.team_id) if wo.team_id else None
        slot = session.get(InstallSlot, wo.slot_id) if wo.slot_id else None
        today = business_date(self._clock())
        landline = numbers.get(wo.landline_subscription_id) if wo.landline_subscription_id else None
        return WorkOrderView(
            id=wo.id,
            work_order_no=wo.work_order_no,
            order_id=wo.order_id,
            order_no=order_no,
            kind=wo.kind,
            status=wo.status,
            status_label=wo.status.label,
            address=wo.address,
            community=wo.community,
            technology=wo.technology,
            contact_name=wo.contact_name,
            contact_phone_masked=mask_phone(wo.contact_phone),
            window_start=wo.window_start,
            window_end=wo.window_end,
            window_label=window_label(self._rules, slot.window if slot else None, wo.window_start),
            promised_date=wo.promised_date,
            promised_provisional=wo.promised_provisional,
            overdue=wo.status in OPEN and today > wo.promised_date,
            team_name=team.name if team else "",
            installation_fee_fen=wo.installation_fee_fen,
            late_days=wo.late_days,
            credit_fen=wo.credit_fen,
            broadband_account=numbers.get(wo.broadband_subscription_id)
            if wo.broadband_subscription_id
            else None,
            landline_number=landline_display(landline) if landline else None,
            equipment_serials=tuple(serials),
            status_reason=wo.status_reason,
            customer_id=wo.customer_id,
            reschedules=wo.reschedules,
            slot_id=wo.slot_id,
        )

    @staticmethod
    def _audit(
        session: Session,
        actor: Actor,
        now: datetime,
        action: str,
        wo: WorkOrder,
        before: Mapping[str, object],
        **after: object,
    ) -> None:
        audit.record(
            session,
            at=now,
            actor=actor,
            action=action,
            entity="work_order",
            entity_id=wo.id,
            before=dict(before),
            after={"work_order_no": wo.work_order_no, "status": wo.status.value, **after},
        )


def _shown(sub: Subscription) -> str:
    """A service number as written for the clerk: 0591-87650001 for a landline."""
    if sub.kind is SubscriptionKind.LANDLINE:
        return landline_display(sub.service_number)
    return sub.service_number


def _reason(reason: str, doing: str) -> str:
    why = " ".join(reason.split())
    if not why:
        raise ValidationError(f"请填写{doing}的原因", REASON_FIELD)
    if len(why) > REASON_MAX:
        raise ValidationError(
            f"{doing}原因最多 {REASON_MAX} 个字，现有 {len(why)} 个字", REASON_FIELD
        )
    return why

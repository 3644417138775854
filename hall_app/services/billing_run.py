"""The monthly billing run (出账) and the arrears suspension (欠费停机), as the central database
runs them; counters receive the bills with the pull.

``run_billing`` makes each billable subscription's bill for a period, once (a subscription
already billed for the period is skipped, so a second run adds nothing):

- mobile, broadband and landline subscriptions that are active or suspended and were activated
  by the period's last day (a full month's fee: no proration);
- the plan in force: a plan change waiting for next month (``next_product_id`` from
  ``next_product_from``) switches on its date: the run applies it (audited) and bills the new
  plan;
- a voluntarily suspended number (停机保号) pays the keep-number fee instead of its plan, and
  no add-ons or usage;
- the add-ons active on at least one day of the period, each at its monthly fee;
- usage beyond the allowance, when the caller passes it (``usage``: fen by subscription);
- a running promotion's monthly discount (never more than the plan fee);
- the handset instalments due in the period and not yet paid or billed: the principal as a
  receipt-only item (the handset was invoiced whole at its sale) and the fee as an invoiceable
  one; on the subscription of the order that sold the handset, else the customer's first
  billed mobile number.

``suspend_for_arrears`` suspends (``suspended``/``arrears``) each active number with a bill
unpaid more than ``arrears_suspend_days`` after its due date; paying it resumes the number (the
bill payment does that).

A person running either needs the catalog administrator's permission; the CLI runs them as the
system (``actor`` None). Each run writes one audit entry, and each changed subscription one.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date
from hall_app.config import BusinessRules
from hall_app.db.engine import Database
from hall_app.db.models import (
    Bill,
    BillItem,
    InstallmentContract,
    Instalment,
    Order,
    Product,
    Promotion,
    Subscription,
    SubscriptionAddon,
    VatCategory,
)
from hall_app.domain.billing import (
    active_in,
    bill_status,
    billable,
    discount_applies,
    due_date,
    in_force_from,
    is_arrears,
    period_bounds,
)
from hall_app.domain.enums import (
    BillItemKind,
    BillStatus,
    ContractStatus,
    SubscriptionKind,
    SubscriptionStatus,
    SuspendReason,
)
from hall_app.domain.permissions import Permission
from hall_app.domain.repayment import FEE_VAT_CODE
from hall_app.services import audit
from hall_app.services.actor import Actor
from hall_app.services.subscriptions import audit_state

BILLED_KINDS = (SubscriptionKind.MOBILE, SubscriptionKind.BROADBAND, SubscriptionKind.LANDLINE)
BILLED_STATUSES = (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)
UNPAID = (BillStatus.UNPAID, BillStatus.PARTLY_PAID)


@dataclass(frozen=True)
class BillingRunReport:
    period: str
    bills: int  # made by this run
    items: int
    total_fen: int
    skipped: int  # already billed for the period
    plan_switches: int  # next-month plan changes that took effect
    seconds: float


@dataclass(frozen=True)
class _Item:
    kind: BillItemKind
    description: str
    amount_fen: int
    product_id: uuid.UUID | None
    vat_category_id: uuid.UUID | None
    invoiceable: bool = True
    instalment_id: uuid.UUID | None = None


class BillingRunService:
    def __init__(self, db: Database, rules: BusinessRules, clock: Clock) -> None:
        self._db = db
        self._rules = rules
        self._clock = clock

    def run_billing(
        self,
        actor: Actor | None,
        period: str,
        usage: Mapping[uuid.UUID, int] | None = None,
    ) -> BillingRunReport:
        """Make the period's bills (see the module docstring); idempotent."""
        if actor is not None:  # None: the central database's scheduled run
            actor.require(Permission.CATALOG_ADMIN)
        started = time.perf_counter()
        first, last = period_bounds(period)
        now = self._clock()
        with self._db.unit_of_work() as session:
            candidates = session.scalars(
                select(Subscription)
                .where(
                    Subscription.kind.in_(BILLED_KINDS),
                    Subscription.status.in_(BILLED_STATUSES),
                    Subscription.activated_at.is_not(None),
                )
                .order_by(Subscription.activated_at, Subscription.id)
            ).all()
            subs = [
                s
                for s in candidates
                if billable(period, business_date(s.activated_at) if s.activated_at else None)
            ]
            done = set(
                session.scalars(select(Bill.subscription_id).where(Bill.period == period)).all()
            )
            todo = [s for s in subs if s.id not in done]
            switches = sum(self._switch_plan(session, actor, s, period, now) for s in todo)
            products = {p.id: p for p in session.scalars(select(Product)).all()}
            addons = self._addons(session, [s.id for s in todo], period)
            discounts = {
                p.id: p.monthly_discount_fen for p in session.scalars(select(Promotion)).all()
            }
            instalments = self._instalments(session, todo, first, last)
            due = due_date(period, self._rules.bill_due_day)
            bills = items = total = 0
            for sub in todo:
                lines = self._items(
                    sub,
                    period,
                    products,
                    addons.get(sub.id, ()),
                    discounts,
                    (usage or {}).get(sub.id, 0),
                )
                lines += instalments.get(sub.id, [])
                amount = sum(i.amount_fen for i in lines)
                status = bill_status(amount, 0)
                bill = Bill(
                    subscription_id=sub.id,
                    customer_id=sub.customer_id,
                    hall_id=sub.hall_id,
                    period=period,
                    period_start=first,
                    period_end=last,
                    issued_at=now,
                    due_date=due,
                    amount_fen=amount,
                    paid_fen=0,
                    status=status,
                    paid_at=now if status is BillStatus.PAID else None,
                )
                bill.items = [
                    BillItem(
                        seq=n,
                        kind=i.kind,
                        description=i.description,
                        amount_fen=i.amount_fen,
                        product_id=i.product_id,
                        vat_category_id=i.vat_category_id,
                        invoiceable=i.invoiceable,
                        instalment_id=i.instalment_id,
                    )
                    for n, i in enumerate(lines, start=1)
                ]
                session.add(bill)
                bills += 1
                items += len(lines)
                total += amount
            report = BillingRunReport(
                period=period,
                bills=bills,
                items=items,
                total_fen=total,
                skipped=len(done),
                plan_switches=switches,
                seconds=time.perf_counter() - started,
            )
            audit.record(
                session,
                at=now,
                actor=actor,
                action="billing.run",
                entity="bills",
                entity_id=period,
                after={
                    "period": period,
                    "bills": bills,
                    "items": items,
                    "total_fen": total,
                    "skipped": len(done),
                    "plan_switches": switches,
                },
                actor_name="billing-run",
            )
        return report

    def suspend_for_arrears(self, actor: Actor | None, today: date | None = None) -> int:
        """Suspend each active number with a bill unpaid past the grace days; returns how many."""
        if actor is not None:
            actor.require(Permission.CATALOG_ADMIN)
        now = self._clock()
        on = today or business_date(now)
        grace = self._rules.arrears_suspend_days
        with self._db.unit_of_work() as session:
            rows = session.execute(
                select(Bill.subscription_id, Bill.due_date)
                .join(Subscription, Subscription.id == Bill.subscription_id)
                .where(
                    Bill.status.in_(UNPAID),
                    Subscription.status == SubscriptionStatus.ACTIVE,
                )
            ).all()
            ids = {sid for sid, due in rows if is_arrears(due, on, grace)}
            subs = session.scalars(
                select(Subscription).where(Subscription.id.in_(ids)).order_by(Subscription.id)
            ).all()
            for sub in subs:
                before = audit_state(sub)
                sub.status = SubscriptionStatus.SUSPENDED
                sub.suspend_reason = SuspendReason.ARREARS
                sub.suspended_at = now
                audit.record(
                    session,
                    at=now,
                    actor=actor,
                    action="subscription.suspend_arrears",
                    entity="subscription",
                    entity_id=sub.id,
                    before=before,
                    after=audit_state(sub),
                    actor_name="billing-run",
                )
            audit.record(
                session,
                at=now,
                actor=actor,
                action="billing.arrears",
                entity="subscriptions",
                entity_id=on.isoformat(),
                after={"on": on.isoformat(), "grace_days": grace, "suspended": len(subs)},
                actor_name="billing-run",
            )
        return len(subs)

    # -- pieces ------------------------------------------------------------------------------
    @staticmethod
    def _switch_plan(
        session: Session, actor: Actor | None, sub: Subscription, period: str, now: datetime
    ) -> bool:
        if sub.next_product_id is None or not in_force_from(period, sub.next_product_from):
            return False
        before = audit_state(sub)
        sub.product_id = sub.next_product_id
        sub.next_product_id = None
        sub.next_product_from = None
        audit.record(
            session,
            at=now,
            actor=actor,
            action="subscription.plan_switch",
            entity="subscription",
            entity_id=sub.id,
            before=before,
            after=audit_state(sub),
            actor_name="billing-run",
        )
        return True

    @staticmethod
    def _addons(
        session: Session, sub_ids: list[uuid.UUID], period: str
    ) -> dict[uuid.UUID, list[SubscriptionAddon]]:
        first, last = period_bounds(period)
        found: dict[uuid.UUID, list[SubscriptionAddon]] = {}
        rows = session.scalars(
            select(SubscriptionAddon)
            .where(
                SubscriptionAddon.active_from <= last,
                or_(SubscriptionAddon.active_to.is_(None), SubscriptionAddon.active_to >= first),
            )
            .order_by(SubscriptionAddon.active_from, SubscriptionAddon.id)
        ).all()
        wanted = set(sub_ids)
        for addon in rows:
            if addon.subscription_id in wanted:
                found.setdefault(addon.subscription_id, []).append(addon)
        return found

    def _items(
        self,
        sub: Subscription,
        period: str,
        products: Mapping[uuid.UUID, Product],
        addons: list[SubscriptionAddon] | tuple[()],
        discounts: Mapping[uuid.UUID, int],
        usage_fen: int,
    ) -> list[_Item]:
        plan = products[sub.product_id]
        if sub.status is SubscriptionStatus.SUSPENDED and (
            sub.suspend_reason is SuspendReason.VOLUNTARY
        ):
            fee = self._rules.keep_number_fee_fen
            return [_Item(BillItemKind.KEEP_NUMBER, "停机保号费", fee, None, plan.vat_category_id)]
        items = [_Item(BillItemKind.PLAN, plan.name, plan.price_fen, plan.id, plan.vat_category_id)]
        for addon in addons:
            if active_in(period, addon.active_from, addon.active_to):
                vas = products[addon.product_id]
                items.append(
                    _Item(BillItemKind.ADDON, vas.name, vas.price_fen, vas.id, vas.vat_category_id)
                )
        if usage_fen > 0:
            items.append(
                _Item(BillItemKind.USAGE, "套餐外费用", usage_fen, None, plan.vat_category_id)
            )
        discount = discounts.get(sub.promotion_id, 0) if sub.promotion_id else 0
        if discount > 0 and discount_applies(period, sub.promotion_until):
            items.append(
                _Item(
                    BillItemKind.DISCOUNT,
                    "优惠活动月费减免",
                    -min(discount, plan.price_fen),
                    None,
                    plan.vat_category_id,
                )
            )
        return items

    @staticmethod
    def _instalments(
        session: Session, subs: list[Subscription], first: date, last: date
    ) -> dict[uuid.UUID, list[_Item]]:
        """The unpaid, unbilled instalments due in the period, by the subscription billed."""
        billed = exists().where(BillItem.instalment_id == Instalment.id)
        rows = session.execute(
            select(Instalment, InstallmentContract.customer_id, Order.subscription_id)
            .join(InstallmentContract, InstallmentContract.id == Instalment.contract_id)
            .join(Order, Order.id == InstallmentContract.order_id)
            .where(
                and_(Instalment.due_date >= first, Instalment.due_date <= last),
                Instalment.paid_at.is_(None),
                InstallmentContract.status == ContractStatus.ACTIVE.value,
                ~billed,
            )
            .order_by(Instalment.due_date, Instalment.seq, Instalment.id)
        ).all()
        if not rows:
            return {}
        in_run = {s.id for s in subs}
        first_mobile: dict[uuid.UUID, uuid.UUID] = {}
        for s in subs:
            if s.kind is SubscriptionKind.MOBILE:
                first_mobile.setdefault(s.customer_id, s.id)
        fee_vat = session.scalars(select(VatCategory.id).where(VatCategory.code == FEE_VAT_CODE))
        fee_vat_id = fee_vat.first()
        found: dict[uuid.UUID, list[_Item]] = {}
        for inst, customer_id, order_sub in rows:
            target = order_sub if order_sub in in_run else first_mobile.get(customer_id)
            if target is None:  # no bill this period to carry it: paid at the counter
                continue
            text = f"终端分期第 {inst.seq} 期"
            items = found.setdefault(target, [])
            principal = inst.principal_fen or (inst.amount_fen - inst.fee_fen)
            items.append(
                _Item(
                    BillItemKind.INSTALMENT,
                    f"{text}（本金）",
                    principal,
                    None,
                    None,
                    invoiceable=False,
                    instalment_id=inst.id,
                )
            )
            if inst.fee_fen:
                items.append(
                    _Item(
                        BillItemKind.INSTALMENT,
                        f"{text}（手续费）",
                        inst.fee_fen,
                        None,
                        fee_vat_id,
                        instalment_id=inst.id,
                    )
                )
        return found

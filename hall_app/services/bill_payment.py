"""缴费 as an order on the one pipeline (the plan: ``hall_app.services.bill_plan``): each
bill taken by one conditional UPDATE on what was found paid on it, then the settlements, the
late-fee waiver's approval, a top-up of the rest, an instalment billed on a bill now paid, and a
number suspended for arrears resumed once paid up."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hall_app.clock import business_date
from hall_app.config import BusinessRules
from hall_app.db.central import BillClaim, Offline, Undoable
from hall_app.db.central_claims import take_bill
from hall_app.db.models import (
    Approval,
    Bill,
    BillSettlement,
    Customer,
    InstallmentContract,
    Instalment,
    Order,
    Staff,
    Subscription,
)
from hall_app.domain.approvals import LATE_FEE_WAIVER
from hall_app.domain.billing import BillTake, overdue_days
from hall_app.domain.enums import (
    BalanceMovementKind,
    BillStatus,
    ContractStatus,
    OrderType,
    SubscriptionStatus,
    SuspendReason,
)
from hall_app.domain.errors import ValidationError
from hall_app.domain.money import format_yuan
from hall_app.domain.pricing import Pricing
from hall_app.services import audit
from hall_app.services.actor import Actor
from hall_app.services.approvals import record_inline, redeem
from hall_app.services.balances import record_movement
from hall_app.services.bill_plan import (
    BILL_FIELD,
    LINK_DROPPED,
    UNPAID,
    WAIVER_FIELD,
    BillPaymentRequest,
    Plan,
    SettledRow,
    paid_meanwhile,
    plan_payment,
    settled_rows,
    waiver_subject,
)
from hall_app.services.pipeline import OrderKind, Priced, Taken
from hall_app.services.ports import CentralClaims, MirrorRows
from hall_app.services.subscriptions import audit_state, shown_number, subscription_of


@dataclass(frozen=True)
class Settled:
    rows: tuple[SettledRow, ...]
    resumed: tuple[str, ...]
    approver: str  # who waived the late fee ('' when none was waived)


class BillPayment(OrderKind[Plan, Settled]):
    order_type = OrderType.BILL_PAYMENT
    action = "order.bill_payment"

    def __init__(
        self, rules: BusinessRules, req: BillPaymentRequest, takes: tuple[BillTake, ...] = ()
    ) -> None:
        """``takes``: the bills as the payment was planned (claimed at the central database
        online, then taken alike here)."""
        self._rules = rules
        self._req = req
        self._takes = takes
        self._dropped = False  # the link dropped during the central claim

    def claims(self, central: CentralClaims, counter_id: uuid.UUID, now: datetime) -> MirrorRows:
        if not self._takes:
            return []
        was_online = central.online
        try:
            return central.claim_bills(self._takes, counter_id, now)
        except Offline:
            self._dropped = was_online
            raise

    def claimed(self, counter_id: uuid.UUID, stamp: datetime, now: datetime) -> Undoable:
        bills = tuple(
            (t.bill_id, t.paid_fen, t.new_paid_fen, t.was_status.value) for t in self._takes
        )
        return BillClaim(bills, counter_id, stamp)

    def take(self, session: Session, actor: Actor, now: datetime, offline: bool) -> Taken[Plan]:
        if self._dropped:
            # The claim's answer was lost: it is given back (now or next round), nothing kept.
            raise ValidationError(LINK_DROPPED, "中心连接")
        plan = plan_payment(session, self._rules, self._req, now)
        if self._takes and tuple(x.take() for x in plan.settles) != self._takes:
            # Paid here meanwhile (or the day turned): not what was claimed centrally.
            first = plan.settles[0].bill if plan.settles else None
            raise paid_meanwhile(first.period if first else "", first.number if first else "")
        for x in plan.settles:
            # The one decision between two windows paying the same bill: only from what this
            # payment found paid on it (and, a late fee paid alone changing no amount, found
            # last changed).
            stamp = Bill.updated_at == x.bill.updated_at
            hit = session.execute(take_bill(x.take(), now).where(stamp)).all()
            if len(hit) != 1:
                raise paid_meanwhile(x.bill.period, x.bill.number)
        return Taken(session.get_one(Customer, plan.customer_id), plan)

    def lines(self, context: Plan, today: date) -> Priced:
        return Priced(context.pricing, "")

    def fulfil(
        self, session: Session, actor: Actor, order: Order, context: Plan, pricing: Pricing
    ) -> Settled:
        now = context.at
        approval_id, approver = self._waiver(session, actor, order, context)
        for x in context.settles:
            session.add(
                BillSettlement(
                    bill_id=x.bill.id,
                    order_id=order.id,
                    amount_fen=x.applied_fen,
                    late_fee_fen=x.late_fee_fen,
                    late_fee_waived_fen=x.waived_fen,
                    overdue_days=x.bill.overdue_days,
                    approval_id=approval_id if x.waived_fen else None,
                    settled_at=now,
                )
            )
        paid_off = [x.bill for x in context.settles if x.status is BillStatus.PAID]
        _instalments_paid(session, order, [i for b in paid_off for i in b.instalment_ids], now)
        if context.top_up_sub is not None:
            sub = subscription_of(session, context.top_up_sub, lock=True)
            sub.balance_fen += context.top_up_fen
            sub.updated_at = now
            record_movement(
                session,
                sub.id,
                BalanceMovementKind.BILL_TOP_UP,
                context.top_up_fen,
                at=now,
                order_id=order.id,
            )
        resumed = _resume_paid_up(
            session,
            actor,
            self._rules,
            {x.bill.subscription_id for x in context.settles},
            now,
        )
        rows = settled_rows(context)
        return Settled(rows, resumed, approver)

    def _waiver(
        self, s: Session, actor: Actor, order: Order, plan: Plan
    ) -> tuple[uuid.UUID | None, str]:
        if not plan.waived_fen:
            return None, ""
        req = self._req
        subject = waiver_subject(plan.customer_id, plan.bill_ids)
        if req.approval_id is not None:
            approver_id = redeem(
                s,
                actor,
                req.approval_id,
                kind=LATE_FEE_WAIVER.code,
                subject_ref=subject,
                now=plan.at,
            )
            s.get_one(Approval, req.approval_id).order_id = order.id
            return req.approval_id, s.get_one(Staff, approver_id).username
        if req.supervisor is None:
            raise ValidationError("减免违约金须值班主管授权（现场授权或远程审批）", WAIVER_FIELD)
        approval_id = record_inline(
            s,
            actor,
            req.supervisor,
            kind=LATE_FEE_WAIVER.code,
            subject_ref=subject,
            customer_id=plan.customer_id,
            order_id=order.id,
            reason="违约金减免，主管现场授权",
            now=plan.at,
            amount_fen=plan.waived_fen,
        )
        return approval_id, req.supervisor.username

    def audit_after(self, context: Plan) -> dict[str, object]:
        return {
            "bills": [
                {
                    "period": x.bill.period,
                    "number": x.bill.number,
                    "applied_fen": x.applied_fen,
                    "late_fee_fen": x.late_fee_fen,
                    "waived_fen": x.waived_fen,
                    "status": x.status.value,
                }
                for x in context.settles
            ],
            "top_up_fen": context.top_up_fen,
            "top_up_number": context.top_up_number or None,
        }

    def document_details(self, context: Plan, fulfilled: Settled) -> tuple[tuple[str, str], ...]:
        rows = [
            ("缴费账期", "、".join(f"{r.period}（{r.number}）" for r in fulfilled.rows)),
            ("本次销账", format_yuan(sum(r.applied_fen for r in fulfilled.rows))),
        ]
        if context.late_fee_fen:
            rows.append(("违约金", format_yuan(context.late_fee_fen)))
        if context.waived_fen:
            rows.append(
                ("违约金减免", f"{format_yuan(context.waived_fen)}（{fulfilled.approver}）")
            )
        if context.top_up_fen:
            rows.append(
                ("预存话费", f"{format_yuan(context.top_up_fen)} → {context.top_up_number}")
            )
        if fulfilled.resumed:
            rows.append(("恢复开机", "、".join(fulfilled.resumed)))
        return tuple(rows)


def _instalments_paid(s: Session, order: Order, ids: Sequence[uuid.UUID], now: datetime) -> None:
    """The instalments billed on bills now paid: paid by this order (one conditional UPDATE;
    one paid otherwise meanwhile refuses the payment rather than charge it twice)."""
    if not ids:
        return
    hit = s.execute(
        update(Instalment)
        .where(Instalment.id.in_(ids), Instalment.paid_at.is_(None))
        .values(paid_at=now, paid_order_id=order.id, updated_at=now)
        .returning(Instalment.contract_id)
        .execution_options(synchronize_session=False)
    ).all()
    if len(hit) != len(set(ids)):
        raise ValidationError(
            "账单中的分期已另行还款，本次未收费。请刷新后重试或联系管理员核对账单", BILL_FIELD
        )
    for contract_id in {c for (c,) in hit}:
        left = s.scalar(
            select(func.count())
            .select_from(Instalment)
            .where(Instalment.contract_id == contract_id, Instalment.paid_at.is_(None))
        )
        if not left:
            s.execute(
                update(InstallmentContract)
                .where(
                    InstallmentContract.id == contract_id,
                    InstallmentContract.status == ContractStatus.ACTIVE.value,
                )
                .values(status=ContractStatus.COMPLETED.value, ended_at=now, updated_at=now)
                .execution_options(synchronize_session=False)
            )


def _resume_paid_up(
    s: Session,
    actor: Actor,
    rules: BusinessRules,
    subscription_ids: set[uuid.UUID],
    now: datetime,
) -> tuple[str, ...]:
    """Numbers suspended for arrears with no bill left unpaid past the grace days: resumed now,
    each audited."""
    today = business_date(now)
    out = []
    subs = s.scalars(
        select(Subscription)
        .where(
            Subscription.id.in_(subscription_ids),
            Subscription.status == SubscriptionStatus.SUSPENDED,
            Subscription.suspend_reason == SuspendReason.ARREARS,
        )
        .order_by(Subscription.service_number)
    ).all()
    for sub in subs:
        dues = s.scalars(
            select(Bill.due_date).where(Bill.subscription_id == sub.id, Bill.status.in_(UNPAID))
        ).all()
        if any(overdue_days(d, today) > rules.arrears_suspend_days for d in dues):
            continue
        before = audit_state(sub)
        sub.status = SubscriptionStatus.ACTIVE
        sub.suspend_reason = None
        sub.suspended_at = None
        sub.updated_at = now
        s.flush()
        audit.record(
            s,
            at=now,
            actor=actor,
            action="subscription.resumed_paid",
            entity="subscription",
            entity_id=sub.id,
            before=before,
            after=audit_state(sub),
        )
        out.append(shown_number(sub))
    return tuple(out)

"""Which bills a 缴费 pays and how: the rule, the bills as a payment finds them, and the
order's lines (read only; ``hall_app.services.bill_payment`` takes and settles them).

The rule of a payment (``domain.billing.allocate``): the bills the clerk picked (all unpaid,
when none were picked) oldest first; each takes its late fee (违约金) first, then its amount.
A payment must cover the late fee of every bill it touches in full (a late fee paid in part
would be charged again for the same days). What is paid beyond every chosen bill and its fee is
refused, or, when the clerk chose a number, put on that number's balance (预存, receipt only).

A late fee runs from the day after the due date, or for a bill paid in part before, from the
day of its last settlement (that payment took the fee up to then). Waived, it is charged 0 and
recorded as waived on the settlement with the supervisor's approval.

Lines: one per bill and VAT category of its items (invoiced per the item and the counter's
policy ``bill_invoice_at_counter``; an instalment's principal never), filled in the items'
order (what an earlier part payment paid comes off the first), a 违约金 line per bill under the
basic-telecom category, and the top-up rest as a PREPAYMENT line.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hall_app.clock import business_date
from hall_app.config import BusinessRules
from hall_app.db.models import (
    Bill,
    BillItem,
    BillSettlement,
    Customer,
    Subscription,
    VatCategory,
)
from hall_app.domain.billing import (
    BillTake,
    Owed,
    allocate,
    bill_status,
    late_fee_fen,
    overdue_days,
)
from hall_app.domain.enums import (
    BillItemKind,
    BillStatus,
    SubscriptionStatus,
)
from hall_app.domain.errors import NotFound, ValidationError
from hall_app.domain.money import format_yuan
from hall_app.domain.payments import PaymentInput
from hall_app.domain.pricing import Line, LineKind, Pricing, VatClass, itemised
from hall_app.domain.top_up import check_top_up_amount
from hall_app.services.actor import Actor
from hall_app.services.subscriptions import shown_number, subscription_of

BILL_FIELD = "账单"
AMOUNT_FIELD = "缴费金额"
TOP_UP_FIELD = "预存号码"
WAIVER_FIELD = "违约金减免"
BASIC_VAT_CODE = "basic"  # the late fee's category, and an item's without one
UNPAID = (BillStatus.UNPAID, BillStatus.PARTLY_PAID)
LINK_DROPPED = (
    "与中心数据库的连接在缴费过程中中断，本次未收费，也未保存任何内容。请重新缴费"
    "（连接恢复前按离线缴费办理，联网后自动上传）"
)


@dataclass(frozen=True)
class BillPaymentRequest:
    customer_id: uuid.UUID
    payments: tuple[PaymentInput, ...] = ()
    bill_ids: tuple[uuid.UUID, ...] = ()  # empty: every unpaid bill, oldest first
    pay_fen: int | None = None  # None: exactly the chosen bills and their late fees
    top_up_to: uuid.UUID | None = None  # the number credited with what is paid beyond
    waive_late_fee: bool = False
    supervisor: Actor | None = None  # from auth.authorize(user, password, Permission.APPROVE)
    approval_id: uuid.UUID | None = None  # a remote approval of kind LATE_FEE_WAIVER
    ticket_id: uuid.UUID | None = None
    # What the clerk's screen showed paid on each bill: when another window paid one
    # meanwhile the payment is refused, never moved on to other bills.
    seen_paid: tuple[tuple[uuid.UUID, int], ...] = ()


def waiver_subject(customer_id: uuid.UUID, bill_ids: Sequence[uuid.UUID]) -> str:
    """What a late-fee waiver approves: the customer and the bills (64 characters)."""
    digest = hashlib.sha256(",".join(sorted(str(b) for b in bill_ids)).encode()).hexdigest()
    return f"{customer_id}:{digest[:27]}"


@dataclass(frozen=True)
class BillItemView:
    kind: BillItemKind
    description: str
    amount_fen: int


@dataclass(frozen=True)
class _Group:
    vat: VatClass
    invoiceable: bool
    name: str  # 基础电信服务 / 分期本金
    total_fen: int


@dataclass(frozen=True)
class DueBill:
    """A bill as a payment finds it, today."""

    id: uuid.UUID
    subscription_id: uuid.UUID
    number: str  # masked
    period: str
    due_date: date
    amount_fen: int
    paid_fen: int
    overdue_days: int
    late_fee_fen: int  # before any waiver
    late_fee_days: int  # the days the late fee is charged for (from its last settlement)
    updated_at: datetime  # as found: the local take's condition with the paid amount
    groups: tuple[_Group, ...]  # () when not priced (a screen's list)
    instalment_ids: tuple[uuid.UUID, ...]
    items: tuple[BillItemView, ...]

    @property
    def outstanding_fen(self) -> int:
        return self.amount_fen - self.paid_fen


@dataclass(frozen=True)
class Settle:
    bill: DueBill
    applied_fen: int
    late_fee_fen: int  # charged
    waived_fen: int

    @property
    def new_paid_fen(self) -> int:
        return self.bill.paid_fen + self.applied_fen

    @property
    def status(self) -> BillStatus:
        return bill_status(self.bill.amount_fen, self.new_paid_fen)

    def take(self) -> BillTake:
        before = bill_status(self.bill.amount_fen, self.bill.paid_fen)
        return BillTake(
            self.bill.id,
            self.bill.paid_fen,
            self.new_paid_fen,
            self.status,
            before,
            self.bill.period,
            self.bill.number,
        )


@dataclass(frozen=True)
class Plan:
    customer_id: uuid.UUID
    settles: tuple[Settle, ...]
    owed_fen: int  # the chosen bills' outstanding amounts
    late_fee_fen: int  # charged
    waived_fen: int
    top_up_fen: int
    top_up_sub: uuid.UUID | None
    top_up_number: str
    pricing: Pricing
    at: datetime

    @property
    def bill_ids(self) -> tuple[uuid.UUID, ...]:
        return tuple(s.bill.id for s in self.settles)


def late_fee_since(due: date, last_settled: datetime | None) -> date:
    """The day a bill's late fee runs from: its due date, or its last part payment's day."""
    return max(due, business_date(last_settled)) if last_settled is not None else due


def due_bills(
    s: Session,
    rules: BusinessRules,
    customer_id: uuid.UUID,
    today: date,
    bill_ids: Sequence[uuid.UUID] = (),
    *,
    priced: bool = True,
) -> list[DueBill]:
    """The customer's unpaid bills (or those of ``bill_ids``, refused when one is not theirs or
    not unpaid), oldest first, with their late fee today; ``priced``: with their invoice
    groups too (a payment's lines)."""
    stmt = (
        select(Bill, Subscription)
        .join(Subscription, Subscription.id == Bill.subscription_id)
        .where(Bill.customer_id == customer_id, Bill.status.in_(UNPAID))
        .order_by(Bill.due_date, Bill.period, Subscription.service_number)
    )
    if bill_ids:
        stmt = stmt.where(Bill.id.in_(bill_ids))
    rows = s.execute(stmt).all()
    if bill_ids and len(rows) != len(set(bill_ids)):
        gone = s.execute(
            select(Bill.period, Subscription)
            .join(Subscription, Subscription.id == Bill.subscription_id)
            .where(
                Bill.id.in_(set(bill_ids) - {b.id for b, _ in rows}),
                Bill.customer_id == customer_id,
            )
            .order_by(Bill.period)
        ).first()
        if gone is not None:  # the clerk's screen showed it unpaid: paid since
            raise paid_meanwhile(gone[0], shown_number(gone[1]))
        raise ValidationError("所选账单不存在或不属于当前客户，请刷新后重选", BILL_FIELD)
    if not rows:
        return []
    ids = [b.id for b, _ in rows]
    items = s.scalars(
        select(BillItem).where(BillItem.bill_id.in_(ids)).order_by(BillItem.bill_id, BillItem.seq)
    ).all()
    # Every settlement took the late fee up to its day (a payment covers the fee in full),
    # one that paid the fee alone (nothing applied to the amount) too.
    last = dict(
        s.execute(
            select(BillSettlement.bill_id, func.max(BillSettlement.settled_at))
            .where(BillSettlement.bill_id.in_(ids))
            .group_by(BillSettlement.bill_id)
        ).all()
    )
    vats = (
        _vat_classes(s, {i.vat_category_id for i in items if i.vat_category_id}) if priced else {}
    )
    by_bill: dict[uuid.UUID, list[BillItem]] = {}
    for item in items:
        by_bill.setdefault(item.bill_id, []).append(item)
    out = []
    for bill, sub in rows:
        mine = by_bill.get(bill.id, [])
        outstanding = bill.amount_fen - bill.paid_fen
        since = late_fee_since(bill.due_date, last.get(bill.id))
        out.append(
            DueBill(
                id=bill.id,
                subscription_id=sub.id,
                number=shown_number(sub),
                period=bill.period,
                due_date=bill.due_date,
                amount_fen=bill.amount_fen,
                paid_fen=bill.paid_fen,
                overdue_days=overdue_days(bill.due_date, today),
                late_fee_fen=late_fee_fen(
                    outstanding, since, today, rules.late_fee_per_mille_per_day
                ),
                late_fee_days=overdue_days(since, today),
                updated_at=bill.updated_at,
                groups=_groups(mine, vats, rules, bill.amount_fen) if priced else (),
                instalment_ids=tuple(i.instalment_id for i in mine if i.instalment_id),
                items=tuple(BillItemView(i.kind, i.description, i.amount_fen) for i in mine),
            )
        )
    return out


def _vat_classes(s: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID | None, VatClass]:
    found: dict[uuid.UUID | None, VatClass] = {
        v.id: VatClass(v.id, v.invoice_label, Decimal(v.rate))
        for v in s.scalars(select(VatCategory).where(VatCategory.id.in_(ids)))
    }
    found[None] = basic_vat(s)
    return found


def basic_vat(s: Session) -> VatClass:
    vat = s.scalars(select(VatCategory).where(VatCategory.code == BASIC_VAT_CODE)).first()
    if vat is None:
        raise ValidationError(
            f"商品目录中没有基础电信服务的发票类目（{BASIC_VAT_CODE}），无法收取话费。"
            "请管理员同步商品目录后再收款",
            "发票类目",
        )
    return VatClass(vat.id, vat.invoice_label, Decimal(vat.rate))


def _groups(
    items: Sequence[BillItem],
    vats: dict[uuid.UUID | None, VatClass],
    rules: BusinessRules,
    amount_fen: int,
) -> tuple[_Group, ...]:
    """The bill's items by VAT category and invoiceability, in the items' order. A category
    that nets to nothing or less (a discount of its own) is folded into the first one."""
    totals: dict[tuple[uuid.UUID | None, bool], int] = {}
    for item in items:
        key = (item.vat_category_id, item.invoiceable)
        totals[key] = totals.get(key, 0) + item.amount_fen
    if not totals:  # a bill without items: its amount as basic telecom
        totals[(None, True)] = amount_fen
    keys = list(totals)
    first = next((k for k in keys if totals[k] > 0), keys[0])
    for k in keys:
        if k != first and totals[k] <= 0:
            totals[first] += totals.pop(k)
    out = []
    for (vat_id, invoiceable), total in totals.items():
        vat = vats.get(vat_id) or vats[None]
        name = vat.label.rsplit("*", 1)[-1] if invoiceable else "分期本金"
        out.append(_Group(vat, invoiceable and rules.bill_invoice_at_counter, name, total))
    return tuple(out)


def _bill_lines(settle: Settle) -> list[Line]:
    """What this payment puts on each of the bill's groups: the window from what was paid
    before to what is paid now, over the groups' running totals."""
    bill = settle.bill
    start, end = bill.paid_fen, bill.paid_fen + settle.applied_fen
    lines = []
    run = 0
    for g in bill.groups:
        lo, hi = run, run + max(0, g.total_fen)
        run = hi
        part = max(0, min(hi, end) - max(lo, start))
        if part:
            lines.append(
                Line(
                    LineKind.CHARGE,
                    f"话费 {bill.period} {bill.number} {g.name}",
                    part,
                    g.invoiceable,
                    None,
                    g.vat,
                )
            )
    short = settle.applied_fen - sum(line.amount_fen for line in lines)
    if short and lines:  # groups that do not add up to the bill's amount: the last takes it
        last = lines[-1]
        lines[-1] = Line(
            last.kind, last.description, last.amount_fen + short, last.invoiceable, None, last.vat
        )
    return lines


def plan_payment(s: Session, rules: BusinessRules, req: BillPaymentRequest, now: datetime) -> Plan:
    """What the request pays, or a refusal in Chinese. Reads only."""
    today = business_date(now)
    if s.get(Customer, req.customer_id) is None:
        raise NotFound("客户不存在", "客户")
    bills = due_bills(s, rules, req.customer_id, today, req.bill_ids)
    if not bills:
        raise ValidationError("该客户没有待缴的账单", BILL_FIELD)
    seen = dict(req.seen_paid)
    for b in bills:
        if b.id in seen and seen[b.id] != b.paid_fen:
            raise paid_meanwhile(b.period, b.number)
    waive = req.waive_late_fee
    owed = [Owed(b.id, b.outstanding_fen, 0 if waive else b.late_fee_fen) for b in bills]
    owed_fen = sum(b.outstanding_fen for b in bills)
    fees_fen = sum(o.late_fee_fen for o in owed)
    pay = owed_fen + fees_fen if req.pay_fen is None else req.pay_fen
    if pay <= 0:
        raise ValidationError("缴费金额必须大于 0", AMOUNT_FIELD)
    got, rest = allocate(pay, owed)
    if rest and req.top_up_to is None:
        raise ValidationError(
            f"缴费金额超过应缴金额 {format_yuan(owed_fen + fees_fen)}，"
            "多缴部分请选择预存到的号码，或改缴应缴金额",
            AMOUNT_FIELD,
        )
    by_id = {b.id: b for b in bills}
    settles = []
    for a in got:
        b = by_id[a.bill_id]
        fee = 0 if waive else b.late_fee_fen
        if a.late_fee_fen < fee:
            raise ValidationError(
                f"缴费金额不足以支付 {b.period} 账单（{b.number}）的违约金 "
                f"{format_yuan(fee)}：违约金须先缴清，请增加缴费金额",
                AMOUNT_FIELD,
            )
        settles.append(Settle(b, a.applied_fen, fee, b.late_fee_fen if waive else 0))
    top_up_number = ""
    if rest:
        assert req.top_up_to is not None
        sub = subscription_of(s, req.top_up_to, req.customer_id)
        if sub.status is SubscriptionStatus.CANCELLED:
            raise ValidationError(f"号码 {shown_number(sub)} 已拆机，不能预存", TOP_UP_FIELD)
        top_up_number = shown_number(sub)
        # The rest is a top-up (预存) like any: within the top-up limits.
        check_top_up_amount(rest, rules.top_up_min_fen, rules.top_up_max_fen)
    lines: list[Line] = []
    fee_vat = basic_vat(s) if any(x.late_fee_fen for x in settles) else None
    for x in settles:
        lines += _bill_lines(x)
        if x.late_fee_fen:
            assert fee_vat is not None
            lines.append(
                Line(
                    LineKind.CHARGE,
                    f"违约金 {x.bill.period} {x.bill.number}{_fee_days(x.bill)}",
                    x.late_fee_fen,
                    rules.bill_invoice_at_counter,
                    None,
                    fee_vat,
                )
            )
    if rest:
        lines.append(Line(LineKind.PREPAYMENT, f"预存话费 {top_up_number}", rest, False))
    return Plan(
        customer_id=req.customer_id,
        settles=tuple(settles),
        owed_fen=owed_fen,
        late_fee_fen=sum(x.late_fee_fen for x in settles),
        waived_fen=sum(x.waived_fen for x in settles),
        top_up_fen=rest,
        top_up_sub=req.top_up_to if rest else None,
        top_up_number=top_up_number,
        pricing=itemised(lines),
        at=now,
    )


def _fee_days(bill: DueBill) -> str:
    """The days the late fee is charged for, as its line says them."""
    if bill.late_fee_days == bill.overdue_days:
        return f"（逾期 {bill.overdue_days} 天）"
    return f"（逾期 {bill.overdue_days} 天，上次缴费后计 {bill.late_fee_days} 天）"


def paid_meanwhile(period: str, number: str) -> ValidationError:
    return ValidationError(
        f"{period} 账单（{number}）已由其他窗口缴费，本次未收费。请刷新后重新确认", BILL_FIELD
    )


@dataclass(frozen=True)
class SettledRow:
    bill_id: uuid.UUID
    period: str
    number: str
    applied_fen: int
    late_fee_fen: int
    waived_fen: int
    status: BillStatus


def settled_rows(plan: Plan) -> tuple[SettledRow, ...]:
    return tuple(
        SettledRow(
            x.bill.id,
            x.bill.period,
            x.bill.number,
            x.applied_fen,
            x.late_fee_fen,
            x.waived_fen,
            x.status,
        )
        for x in plan.settles
    )

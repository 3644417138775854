"""Handset returns (退货): a handset sold outright may be returned undamaged within
``BusinessRules.handset_return_days`` of the sale (the day of sale is day 0), with a
supervisor's authorisation. One transaction does it all: an order 手机退货 with the sale's
lines negated, refunds by the sale's own payment methods (negative payments in the clerk's
till, so the drawer's expected cash drops by a cash refund), the red-letter invoice of the
sale's invoice (the red-letter flow of ``invoicing.red_letter``), and the unit back in stock
as 退货入库 (location 营业厅库房, its order and customer cleared: the audit entry keeps who had
it). Contract and installment handsets are not returned here."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date
from hall_app.config import BusinessRules
from hall_app.db.engine import Database
from hall_app.db.models import (
    Approval,
    Device,
    HandsetCommitment,
    InstallmentContract,
    Invoice,
    Order,
    OrderLine,
    Payment,
    Product,
    Staff,
)
from hall_app.db.text_limits import check_value
from hall_app.domain.approvals import HANDSET_RETURN
from hall_app.domain.enums import (
    DeviceStatus,
    InvoiceKind,
    InvoiceStatus,
    OrderState,
    OrderType,
    PaymentMethod,
)
from hall_app.domain.errors import NotFound, PermissionDenied, ValidationError
from hall_app.domain.handsets import may_return, return_deadline
from hall_app.domain.money import format_yuan
from hall_app.domain.permissions import Permission
from hall_app.services import audit
from hall_app.services.actor import Actor
from hall_app.services.approvals import record_inline, redeem
from hall_app.services.cash import open_session_for_payment
from hall_app.services.invoicing import check_red_reason, red_letter
from hall_app.services.pipeline import order_no

ORDER_FIELD = "退货订单"
REASON_FIELD = "退货原因"
DAMAGE_FIELD = "外观完好"
SUPERVISOR_FIELD = "主管授权"
STOCKROOM = "营业厅库房"
RETURN_PREFIX = "退货："
NOTES_LIMIT: int = Order.__table__.c.notes.type.plain_length  # type: ignore[attr-defined]
LINE_LIMIT: int = OrderLine.__table__.c.description.type.length  # type: ignore[attr-defined]
LOOKBACK_DAYS = 90  # sales listed on the 退货 dialog: the recent ones (older never returnable)


@dataclass(frozen=True)
class ReturnableView:
    order_id: uuid.UUID
    order_no: str
    imei: str
    handset_name: str
    sold_on: date
    # The last day of the return period; None for a contract or installment sale, which is
    # never returned here.
    deadline: date | None
    total_fen: int  # what the sale took at the counter (an installment sale: the down payment)
    payments: tuple[tuple[str, int], ...]  # (method label, amount), as paid
    invoice_no: str | None
    allowed: bool
    reason: str  # why not, in Chinese ("" when allowed)
    # The handset's full price: the total for an outright sale, the contract's price for an
    # installment sale, the total plus the subsidy for a contract phone.
    price_fen: int = 0

    @property
    def bound(self) -> bool:
        """A contract or installment sale (no return period)."""
        return self.deadline is None


@dataclass(frozen=True)
class ReturnRequest:
    order_id: uuid.UUID
    undamaged: bool
    reason: str
    supervisor: Actor | None = None  # from auth.authorize(user, password, Permission.APPROVE)
    ticket_id: uuid.UUID | None = None
    # … or a remote approval (审批) of kind handset_return for this sale (``str(order_id)``).
    approval_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Refund:
    method: PaymentMethod
    label: str
    amount_fen: int  # what goes back to the customer (positive)


@dataclass(frozen=True)
class ReturnDone:
    order_id: uuid.UUID
    order_no: str
    refunds: tuple[Refund, ...]
    red_invoice_no: str | None
    imei: str
    total_fen: int  # negative: what the hall paid back
    completed_at: datetime
    till_reopened: bool


def _notes(sale_no: str, imei: str, reason: str) -> str:
    return f"{RETURN_PREFIX}原受理单 {sale_no}，IMEI {imei}；原因：{reason}"


class HandsetReturnService:
    def __init__(
        self,
        db: Database,
        rules: BusinessRules,
        clock: Clock,
        *,
        shared_segments: bool = True,
    ) -> None:
        self._db = db
        self._rules = rules
        self._clock = clock
        self._shared = shared_segments

    # -- reading ----------------------------------------------------------------------------
    def returnable(self, actor: Actor, customer_id: uuid.UUID) -> list[ReturnableView]:
        """The customer's recent handset sales, newest first, each with whether it may be
        returned now and, if not, why (past the period, a contract or installment handset,
        already returned)."""
        actor.require(Permission.ORDER_CREATE)
        today = business_date(self._clock())
        with self._db.read() as s:
            sales = s.scalars(
                select(Order)
                .where(
                    Order.customer_id == customer_id,
                    Order.hall_id == actor.hall_id,
                    Order.order_type == OrderType.HANDSET_SALE,
                    Order.state == OrderState.COMPLETED,
                    Order.completed_at.is_not(None),
                )
                .order_by(Order.completed_at.desc(), Order.order_no.desc())
                .limit(50)
            ).all()
            sales = [
                o
                for o in sales
                if o.completed_at is not None
                and (today - business_date(o.completed_at)).days <= LOOKBACK_DAYS
            ]
            return [self._view(s, o, today) for o in sales]

    def _view(self, s: Session, sale: Order, today: date) -> ReturnableView:
        assert sale.completed_at is not None
        sold_on = business_date(sale.completed_at)
        deadline = return_deadline(sold_on, self._rules.handset_return_days)
        unit = s.execute(
            select(Device.imei, Device.status, Product.name)
            .join(Product, Product.id == Device.product_id)
            .where(Device.order_id == sale.id)
        ).first()
        returned = self._return_of(s, sale)
        imei, name = (unit[0], unit[2]) if unit else self._from_lines(s, sale)
        invoice = s.scalar(
            select(Invoice.invoice_no).where(
                Invoice.order_id == sale.id, Invoice.kind == InvoiceKind.BLUE
            )
        )
        price = self._bound_price(s, sale)
        reason = ""
        if returned is not None:
            reason = f"已于受理单 {returned} 退货"
        elif price is not None:
            reason = f"{price[1]}不能退货（仅限裸机购买）"
        elif unit is None or unit[1] != DeviceStatus.SOLD:
            reason = "找不到这笔销售的手机串号，不能退货"
        elif not may_return(sold_on, today, self._rules.handset_return_days):
            reason = (
                f"已超过 {self._rules.handset_return_days} 天退货期限（截止 {deadline:%Y-%m-%d}）"
            )
        return ReturnableView(
            order_id=sale.id,
            order_no=sale.order_no,
            imei=imei,
            handset_name=name,
            sold_on=sold_on,
            deadline=None if price is not None else deadline,
            total_fen=sale.total_fen,
            payments=tuple((m.label, amount) for m, amount in _paid(s, sale.id).items()),
            invoice_no=invoice,
            allowed=not reason,
            reason=reason,
            price_fen=sale.total_fen if price is None else price[0],
        )

    @staticmethod
    def _bound_price(s: Session, sale: Order) -> tuple[int, str] | None:
        """The handset's full price and the kind of a contract or installment sale (not
        returnable here); None for an outright sale."""
        financed = s.scalar(
            select(InstallmentContract.price_fen).where(InstallmentContract.order_id == sale.id)
        )
        if financed is not None:
            return financed, "分期购机"
        subsidy = s.scalar(
            select(HandsetCommitment.subsidy_fen).where(HandsetCommitment.order_id == sale.id)
        )
        return None if subsidy is None else (sale.total_fen + subsidy, "合约机")

    @staticmethod
    def _return_of(s: Session, sale: Order) -> str | None:
        """The order number of this sale's return, if it was returned."""
        # The notes are sealed, so they are matched opened: the customer's returns are few.
        mark = f"{RETURN_PREFIX}原受理单 {sale.order_no}，"
        returns = s.scalars(
            select(Order).where(
                Order.customer_id == sale.customer_id,
                Order.order_type == OrderType.HANDSET_RETURN,
            )
        )
        return next((r.order_no for r in returns if r.notes.startswith(mark)), None)

    @staticmethod
    def _from_lines(s: Session, sale: Order) -> tuple[str, str]:
        """IMEI and name of a sale whose unit is no longer bound to it (returned): from the
        sale's handset line, ``名称（IMEI 86…）`` (domain.handsets.handset_line_text)."""
        line = s.scalar(
            select(OrderLine.description)
            .where(OrderLine.order_id == sale.id, OrderLine.amount_fen > 0)
            .order_by(OrderLine.amount_fen.desc())
            .limit(1)
        )
        name, _, rest = (line or "").partition("（IMEI ")
        return rest.rstrip("）"), name

    # -- the return ----------------------------------------------------------------------------
    def return_handset(self, actor: Actor, req: ReturnRequest) -> ReturnDone:
        actor.require(Permission.ORDER_CREATE)
        actor.require(Permission.PAYMENT_TAKE)
        if (req.supervisor is None) == (req.approval_id is None):
            raise ValidationError("退货须值班主管现场授权或远程审批（二者选一）", SUPERVISOR_FIELD)
        if req.supervisor is not None and not req.supervisor.can(Permission.APPROVE):
            raise PermissionDenied(
                f"{req.supervisor.full_name}（{req.supervisor.role.label}）无权授权退货",
                SUPERVISOR_FIELD,
            )
        if not req.undamaged:
            raise ValidationError(
                "手机有损坏或配件不全，不能退货（仅限外观完好的裸机在退货期内退货）", DAMAGE_FIELD
            )
        reason = req.reason.strip()
        if len(reason) < 2:
            raise ValidationError("请填写退货原因", REASON_FIELD)
        check_value(REASON_FIELD, 60, reason)
        red_reason = check_red_reason(f"手机退货：{reason}")
        now = self._clock()
        today = business_date(now)
        return self._db.write_numbered(
            lambda s: self._return(s, actor, req, reason, red_reason, now, today)
        )

    @staticmethod
    def _approved(
        s: Session,
        actor: Actor,
        req: ReturnRequest,
        sale: Order,
        return_id: uuid.UUID,
        now: datetime,
    ) -> str:
        """The supervisor's approval, in the return's transaction: the remote one redeemed for
        this sale, or the one given at the counter recorded. Returns the approver's username."""
        subject = handset_return_subject(sale.id)
        if req.approval_id is not None:
            approver_id = redeem(
                s, actor, req.approval_id, kind=HANDSET_RETURN.code, subject_ref=subject, now=now
            )
            s.get_one(Approval, req.approval_id).order_id = return_id
            return s.get_one(Staff, approver_id).username
        assert req.supervisor is not None
        record_inline(
            s,
            actor,
            req.supervisor,
            kind=HANDSET_RETURN.code,
            subject_ref=subject,
            customer_id=sale.customer_id,
            order_id=return_id,
            reason="手机退货，主管现场授权",
            now=now,
            amount_fen=sale.total_fen,
        )
        return req.supervisor.username

    def _return(
        self,
        s: Session,
        actor: Actor,
        req: ReturnRequest,
        reason: str,
        red_reason: str,
        now: datetime,
        today: date,
    ) -> ReturnDone:
        sale = s.get(Order, req.order_id)
        if (
            sale is None
            or sale.hall_id != actor.hall_id
            or sale.order_type is not OrderType.HANDSET_SALE
            or sale.state is not OrderState.COMPLETED
            or sale.completed_at is None
        ):
            raise NotFound("没有这笔手机销售", ORDER_FIELD)
        view = self._view(s, sale, today)
        if not view.allowed:
            raise ValidationError(view.reason, ORDER_FIELD)
        unit = s.scalars(select(Device).where(Device.order_id == sale.id)).one()
        history = {
            "status": unit.status.value,
            "order_no": sale.order_no,
            "customer_id": str(unit.customer_id) if unit.customer_id else None,
            "sold_at": unit.sold_at.isoformat() if unit.sold_at else None,
            "warranty_from": unit.warranty_from.isoformat() if unit.warranty_from else None,
            "location": unit.location,
        }
        # Back in stock by one conditional UPDATE: a second clerk returning the same sale at
        # the same moment waits on the write lock, then finds it returned.
        back = s.execute(
            update(Device)
            .where(Device.id == unit.id, Device.status == DeviceStatus.SOLD)
            .where(Device.order_id == sale.id)
            .values(
                status=DeviceStatus.RETURNED,
                location=STOCKROOM,
                order_id=None,
                customer_id=None,
                subscription_id=None,
                sold_at=None,
                warranty_from=None,
                taken_by_counter_id=None,
                updated_at=now,
            )
            .returning(Device.id)
        ).scalar_one_or_none()
        if back is None:
            raise ValidationError("这台手机已退货", ORDER_FIELD)
        return_id = uuid.uuid4()
        ret = Order(
            id=return_id,
            order_no=order_no(s, actor, now),
            order_type=OrderType.HANDSET_RETURN,
            state=OrderState.COMPLETED,
            hall_id=actor.hall_id,
            counter_id=actor.counter_id,
            staff_id=actor.staff_id,
            customer_id=sale.customer_id,
            ticket_id=req.ticket_id,
            total_fen=-sale.total_fen,
            submitted_at=now,
            completed_at=now,
            notes=_notes(sale.order_no, unit.imei, reason)[:NOTES_LIMIT],
        )
        s.add(ret)
        s.flush()
        approver = self._approved(s, actor, req, sale, return_id, now)
        for line in s.scalars(select(OrderLine).where(OrderLine.order_id == sale.id)):
            s.add(
                OrderLine(
                    order_id=return_id,
                    product_id=line.product_id,
                    description=f"{RETURN_PREFIX}{line.description}"[:LINE_LIMIT],
                    quantity=-line.quantity,
                    unit_price_fen=line.unit_price_fen,
                    amount_fen=-line.amount_fen,
                    vat_category_id=line.vat_category_id,
                    vat_rate=line.vat_rate,
                    invoiceable=False,  # the red-letter invoice below cancels the sale's
                    promotion_id=line.promotion_id,
                )
            )
        refunds = tuple(
            Refund(method, method.label, amount)
            for method, amount in _paid(s, sale.id).items()
            if amount > 0
        )
        till = open_session_for_payment(s, actor, now) if refunds else None
        for r in refunds:
            s.add(
                Payment(
                    order_id=return_id,
                    cash_session_id=till.id if till else None,
                    customer_id=sale.customer_id,
                    staff_id=actor.staff_id,
                    method=r.method,
                    amount_fen=-r.amount_fen,
                    tendered_fen=None,
                    change_fen=0,
                    reference=_refund_reference(s, sale, r.method),
                    paid_at=now,
                )
            )
        red_no: str | None = None
        blue = s.scalar(
            select(Invoice.invoice_no).where(
                Invoice.order_id == sale.id,
                Invoice.kind == InvoiceKind.BLUE,
                Invoice.status == InvoiceStatus.ISSUED,
            )
        )
        if blue is not None:
            red = red_letter(
                s,
                actor,
                blue,
                red_reason,
                now,
                shared=self._shared,
                order_id=return_id,
                approved_by=approver,
            )
            red_no = red.red_invoice_no
        audit.record(
            s,
            at=now,
            actor=actor,
            action="order.handset_return",
            entity="order",
            entity_id=return_id,
            before={"device_id": str(unit.id), "imei": unit.imei, **history},
            after={
                "order_no": ret.order_no,
                "status": DeviceStatus.RETURNED.value,
                "location": STOCKROOM,
                "refunds": {r.method.value: r.amount_fen for r in refunds},
                "red_invoice_no": red_no,
                "approved_by": approver,
                "reason": reason,
            },
        )
        return ReturnDone(
            order_id=return_id,
            order_no=ret.order_no,
            refunds=refunds,
            red_invoice_no=red_no,
            imei=unit.imei,
            total_fen=ret.total_fen,
            completed_at=now,
            till_reopened=till is not None and till.reopened_after_close,
        )


def _paid(s: Session, order_id: uuid.UUID) -> dict[PaymentMethod, int]:
    """What the order was paid by, per method (cash kept: the change already given back)."""
    totals: dict[PaymentMethod, int] = defaultdict(int)
    for method, amount in s.execute(
        select(Payment.method, func.sum(Payment.amount_fen))
        .where(Payment.order_id == order_id)
        .group_by(Payment.method)
        .order_by(Payment.method)
    ).all():
        totals[PaymentMethod(method)] += int(amount or 0)
    return dict(totals)


def _refund_reference(s: Session, sale: Order, method: PaymentMethod) -> str:
    """A card or QR refund names the sale's own payment reference (the POS or QR trade
    number the acquirer refunds against): 原交易 123456. Cash, which has none: the sale."""
    refs = [
        ref
        for ref in s.scalars(
            select(Payment.reference)
            .where(
                Payment.order_id == sale.id,
                Payment.method == method,
                Payment.amount_fen > 0,
                Payment.reference.is_not(None),
            )
            .order_by(Payment.paid_at)
        )
        if ref and ref.strip()
    ]
    if not refs:
        return f"退款 {sale.order_no}"[:64]
    return f"原交易 {'、'.join(refs)}"[:64]


def refund_text(refunds: tuple[Refund, ...]) -> str:
    """退款：现金 100.00，银行卡 5,899.00 — for the clerk's message."""
    return "，".join(f"{r.label} {format_yuan(r.amount_fen)}" for r in refunds) or "无"


def handset_return_subject(sale_order_id: uuid.UUID) -> str:
    """What a handset-return approval approves: the return of this sale."""
    return str(sale_order_id)

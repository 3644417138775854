"""补卡/换卡: a new SIM for an existing mobile number (a lost, broken or resized card).

The owner is there with the ID card and the face check; the new card is scanned and checked
against the stock (``hall_app.services.sim_stock``, the same check as 开户). It is one order
(``OrderType.SIM_REPLACEMENT``) on the one pipeline: online the new card is claimed at the
central database first (``CentralClaims.claim_sim``, one conditional UPDATE there: of two
windows giving the same card to two numbers at once, one wins and the other is told
"已被其他窗口使用"); offline only a card leased to this window. In the order's transaction the
new card is taken locally (one conditional UPDATE, ``status = in_stock``), the old card is set
DEACTIVATED (作废, never used again), the subscription's ``sim_id`` moves to the new card and
the fee ``rules.sim_replacement_fee_fen`` is a CHARGE line (basic telecom service, invoiced).

Decision: a 补卡 after 挂失 (suspended, reason LOST) resumes the number: the owner proved who
they are and holds a working card again. It becomes ACTIVE, or SUSPENDED for arrears when a
bill is unpaid more than ``rules.arrears_suspend_days`` after its due date. A number suspended
voluntarily (停机保号) or for arrears keeps its state: the swap changes only the card.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date
from hall_app.config import BusinessRules
from hall_app.db.central import SimClaim, Undoable
from hall_app.db.central_claims import LinkedCentral
from hall_app.db.engine import Database
from hall_app.db.models import Bill, Customer, Order, SimCard, Subscription, VatCategory
from hall_app.db.text_limits import check_text
from hall_app.devices.id_reader import IdCardData
from hall_app.domain.enums import (
    BillStatus,
    OrderType,
    SimStatus,
    SubscriptionKind,
    SubscriptionStatus,
    SuspendReason,
)
from hall_app.domain.errors import ValidationError
from hall_app.domain.masking import mask_iccid, mask_name
from hall_app.domain.money import format_yuan
from hall_app.domain.payments import PaymentInput, SettledPayment
from hall_app.domain.permissions import Permission
from hall_app.domain.pricing import Pricing, VatClass, price_fee
from hall_app.domain.telecom import parse_iccid
from hall_app.services.actor import Actor
from hall_app.services.handsets import check_signature
from hall_app.services.invoicing import issue_invoice
from hall_app.services.number_changes import owner_checked
from hall_app.services.pipeline import (
    LineView,
    OrderKind,
    OrderPipeline,
    Priced,
    Taken,
    Visit,
    line_views,
    take_here,
    terms_clauses,
)
from hall_app.services.ports import CentralClaims, MirrorRows
from hall_app.services.sim_stock import ICCID_FIELD, SimView, check_scanned_sim
from hall_app.services.subscriptions import (
    audit_state,
    require_status,
    shown_number,
    status_text,
    subscription_of,
)

SIMS: Table = SimCard.__table__  # type: ignore[assignment]
FEE_VAT_CODE = "basic"  # 基础电信服务: the card fee is invoiced like the service
FEE_LABEL = "补换卡费"
WHAT = "补换卡"
SWAPPABLE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)


@dataclass(frozen=True)
class SimSwapRequest:
    subscription_id: uuid.UUID
    iccid: str  # the new card, as scanned
    face_checked_by: str  # the face-check device or the person who checked
    id_verified: bool  # the owner's ID card was read and matched
    payments: tuple[PaymentInput, ...] = ()
    signature_png: bytes | None = None
    terms_text: str = ""
    ticket_id: uuid.UUID | None = None
    id_card: IdCardData | None = None  # the owner's card as read: checked against the owner
    id_number: str = ""  # the owner's ID number typed (no reader): checked against the owner


@dataclass(frozen=True)
class SimSwapQuote:
    number_masked: str
    old_iccid_masked: str
    new_iccid_masked: str
    lines: tuple[LineView, ...]
    total_fen: int
    resumes: bool  # a lost number: the swap lifts the loss report
    terms: str


@dataclass(frozen=True)
class SimSwapDone:
    order_id: uuid.UUID
    order_no: str
    old_iccid_masked: str
    new_iccid_masked: str
    total_fen: int
    payments: tuple[SettledPayment, ...]
    invoice_no: str | None
    till_reopened: bool
    status_text: str = ""  # the number's state after the swap (正常 …)


@dataclass(frozen=True)
class _Swap:
    sub: Subscription
    number_masked: str
    old_iccid: str
    new_iccid: str
    new_sim_id: uuid.UUID
    vat: VatClass | None
    resume_to: SubscriptionStatus | None  # a lost number's state after the swap
    at: datetime
    before: dict[str, object]
    after: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class _Swapped:
    old_iccid_masked: str
    new_iccid_masked: str
    status_text: str


def swap_terms(
    number_masked: str,
    old_iccid_masked: str,
    new_iccid_masked: str,
    fee_fen: int,
    resume_to: SubscriptionStatus | None,
) -> str:
    """What the owner signs: the same text for the quote and the order."""
    c = terms_clauses("sim_cancel")
    parts = [
        c["swap"].format(
            number=number_masked,
            old=old_iccid_masked or "（无）",
            new=new_iccid_masked,
            fee=format_yuan(fee_fen),
        )
    ]
    if resume_to is not None:
        status = "正常" if resume_to is SubscriptionStatus.ACTIVE else "停机（欠费停机）"
        parts.append(c["swap_lost"].format(status=status))
    parts.append(c["swap_pledge"])
    return "\n".join(f"{i}. {p}" for i, p in enumerate(parts, 1))


def in_arrears(session: Session, subscription_id: uuid.UUID, today: date, days: int) -> bool:
    """A bill of the number unpaid more than ``days`` after its due date."""
    return (
        session.scalar(
            select(Bill.id)
            .where(
                Bill.subscription_id == subscription_id,
                Bill.status.in_((BillStatus.UNPAID, BillStatus.PARTLY_PAID)),
                Bill.due_date < today - timedelta(days=days),
            )
            .limit(1)
        )
        is not None
    )


def _fee_vat(session: Session) -> VatClass:
    vat = session.scalars(select(VatCategory).where(VatCategory.code == FEE_VAT_CODE)).first()
    if vat is None:
        raise ValidationError(
            f"商品目录中没有基础电信服务的发票类目（{FEE_VAT_CODE}），无法为补换卡费开票",
            "发票类目",
        )
    return VatClass(vat.id, vat.invoice_label, Decimal(vat.rate))


def _swappable(
    session: Session, rules: BusinessRules, subscription_id: uuid.UUID, today: date, lock: bool
) -> tuple[Subscription, str, SubscriptionStatus | None]:
    """The mobile subscription, its current card's ICCID and, for a lost one, its state after."""
    sub = subscription_of(session, subscription_id, lock=lock)
    if sub.kind is not SubscriptionKind.MOBILE:
        raise ValidationError("只有移动号码可以补换 SIM 卡", "业务号码")
    require_status(sub, SWAPPABLE, WHAT)
    old = session.get(SimCard, sub.sim_id) if sub.sim_id else None
    resume_to = None
    if sub.status is SubscriptionStatus.SUSPENDED and sub.suspend_reason is SuspendReason.LOST:
        arrears = in_arrears(session, sub.id, today, rules.arrears_suspend_days)
        resume_to = SubscriptionStatus.SUSPENDED if arrears else SubscriptionStatus.ACTIVE
    return sub, old.iccid if old else "", resume_to


class SimSwap(OrderKind[_Swap, _Swapped]):
    order_type = OrderType.SIM_REPLACEMENT
    action = "order.sim_replacement"
    signed = True

    def __init__(self, req: SimSwapRequest, iccid: str, rules: BusinessRules) -> None:
        self._req = req
        self._iccid = iccid
        self._rules = rules

    def claims(self, central: CentralClaims, counter_id: uuid.UUID, now: datetime) -> MirrorRows:
        return central.claim_sim(self._iccid, counter_id, now)

    def claimed(self, counter_id: uuid.UUID, stamp: datetime, now: datetime) -> Undoable:
        return SimClaim(self._iccid, counter_id, stamp)

    def take(self, session: Session, actor: Actor, now: datetime, offline: bool) -> Taken[_Swap]:
        sub, old_iccid, resume_to = _swappable(
            session, self._rules, self._req.subscription_id, business_date(now), True
        )
        if old_iccid == self._iccid:
            raise ValidationError("扫描的是该号码正在使用的卡，请扫描新卡", ICCID_FIELD)
        vat = _fee_vat(session) if self._rules.sim_replacement_fee_fen else None
        taken = take_here(
            session,
            update(SimCard)
            .where(SimCard.iccid == self._iccid, SimCard.status == SimStatus.IN_STOCK)
            .values(status=SimStatus.ASSIGNED, taken_by_counter_id=actor.counter_id, updated_at=now)
            .returning(SimCard.id),
            SIMS,
            actor,
            now,
            offline,
            (
                f"这张卡已使用或不在库存（ICCID {self._iccid}），请换一张",
                "；离线时只能使用本窗口租用的卡",
                ICCID_FIELD,
            ),
        )
        customer = session.get_one(Customer, sub.customer_id)
        if resume_to is not None or self._req.id_number.strip():
            # lifting a loss report is a 解挂: the owner's ID (read or typed) as 解挂 needs it
            owner_checked(
                customer, self._req.id_card, self._req.id_number, business_date(now), "挂失补卡"
            )
        return Taken(
            customer,
            _Swap(
                sub,
                shown_number(sub),
                old_iccid,
                self._iccid,
                taken[0],
                vat,
                resume_to,
                now,
                audit_state(sub),
            ),
        )

    def lines(self, context: _Swap, today: date) -> Priced:
        fee = self._rules.sim_replacement_fee_fen
        return Priced(
            price_fee(FEE_LABEL, fee, context.vat, context.sub.product_id),
            swap_terms(
                context.number_masked,
                mask_iccid(context.old_iccid),
                mask_iccid(context.new_iccid),
                fee,
                context.resume_to,
            ),
        )

    def fulfil(
        self, session: Session, actor: Actor, order: Order, context: _Swap, pricing: Pricing
    ) -> _Swapped:
        sub, now = context.sub, context.at
        order.subscription_id = sub.id  # the number's history lists the swap
        if sub.sim_id is not None:
            session.execute(
                update(SimCard)
                .where(SimCard.id == sub.sim_id)
                .values(status=SimStatus.DEACTIVATED, updated_at=now)
            )
        sub.sim_id = context.new_sim_id
        if context.resume_to is SubscriptionStatus.ACTIVE:
            sub.status, sub.suspend_reason, sub.suspended_at = context.resume_to, None, None
        elif context.resume_to is SubscriptionStatus.SUSPENDED:
            sub.suspend_reason, sub.suspended_at = SuspendReason.ARREARS, now
        sub.updated_at = now
        session.flush()
        context.after.update(audit_state(sub))
        return _Swapped(
            mask_iccid(context.old_iccid), mask_iccid(context.new_iccid), status_text(sub)
        )

    def audit_after(self, context: _Swap) -> dict[str, object]:
        return {
            "subscription_id": str(context.sub.id),
            "old_iccid": mask_iccid(context.old_iccid),
            "new_iccid": mask_iccid(context.new_iccid),
            "face_checked_by": self._req.face_checked_by.strip(),
            "before": context.before,
            "after": context.after,
        }

    def document_details(self, context: _Swap, fulfilled: _Swapped) -> tuple[tuple[str, str], ...]:
        rows = [
            ("业务号码", context.number_masked),
            ("原卡 ICCID", mask_iccid(context.old_iccid) or "（无）"),
            ("新卡 ICCID", mask_iccid(context.new_iccid)),
            ("身份核验", f"已核验机主身份证件，人像比对：{self._req.face_checked_by.strip()}"),
        ]
        if context.resume_to is not None:
            rows.append(("挂失", "补卡后已解除挂失"))
        return tuple(rows)


class SimSwapService:
    def __init__(
        self,
        db: Database,
        rules: BusinessRules,
        clock: Clock,
        central: LinkedCentral | None,
        *,
        shared_segments: bool = True,
    ) -> None:
        """``central``: the claims over the live link (None: a standalone counter)."""
        self._db = db
        self._rules = rules
        self._clock = clock
        self._central = central
        self._pipeline = OrderPipeline(
            db, clock, central, lambda *step: issue_invoice(*step, shared=shared_segments)
        )

    def check_new_sim(self, actor: Actor, scanned: str) -> SimView:
        """The scanned new card: valid, in stock and usable here (offline: leased here)."""
        actor.require(Permission.ORDER_CREATE)
        link = self._central.link if self._central is not None else None
        return check_scanned_sim(self._db, link, actor.counter_id, self._clock(), scanned, WHAT)

    def verify_owner(self, actor: Actor, subscription_id: uuid.UUID, card: IdCardData) -> str:
        """The card read is the number's owner's (same ID number and name): their masked name;
        refused (field 身份证) otherwise: only the owner may have a new card."""
        actor.require(Permission.ORDER_CREATE)
        with self._db.read() as s:
            owner = s.get_one(Customer, subscription_of(s, subscription_id).customer_id)
            same = (owner.id_number or "").upper() == card.id_number.strip().upper()
            if not same or owner.name != card.name.strip():
                raise ValidationError(
                    "读取的身份证不是该号码机主的证件，补换卡须机主本人持证办理", "身份证"
                )
            return mask_name(owner.name)

    def quote_sim_swap(self, actor: Actor, subscription_id: uuid.UUID, iccid: str) -> SimSwapQuote:
        """The fee and the terms the owner signs, as ``replace_sim`` will make them."""
        actor.require(Permission.ORDER_CREATE)
        new = parse_iccid(iccid).value
        now = self._clock()
        fee = self._rules.sim_replacement_fee_fen
        with self._db.read() as s:
            sub, old, resume_to = _swappable(
                s, self._rules, subscription_id, business_date(now), False
            )
            pricing = price_fee(FEE_LABEL, fee, _fee_vat(s) if fee else None, sub.product_id)
            number = shown_number(sub)
        return SimSwapQuote(
            number_masked=number,
            old_iccid_masked=mask_iccid(old),
            new_iccid_masked=mask_iccid(new),
            lines=line_views(pricing),
            total_fen=pricing.total_fen,
            resumes=resume_to is not None,
            terms=swap_terms(number, mask_iccid(old), mask_iccid(new), fee, resume_to),
        )

    def replace_sim(self, actor: Actor, req: SimSwapRequest) -> SimSwapDone:
        actor.require(Permission.ORDER_CREATE)
        if self._rules.sim_replacement_fee_fen:
            actor.require(Permission.PAYMENT_TAKE)
        check_signature(req.signature_png)
        if not req.id_verified:
            raise ValidationError("补换卡须核验机主本人的有效身份证件", "身份证")
        if not req.face_checked_by.strip():
            raise ValidationError("请登记人像比对的设备编号或核验人", "人像比对")
        check_text(Customer.face_check_by, req.face_checked_by.strip())
        iccid = parse_iccid(req.iccid).value
        if req.id_card is not None:
            self.verify_owner(actor, req.subscription_id, req.id_card)
        with self._db.read() as s:
            customer_id = subscription_of(s, req.subscription_id).customer_id
        visit = Visit(customer_id, req.payments, req.ticket_id, req.signature_png, req.terms_text)
        done = self._pipeline.run(actor, SimSwap(req, iccid, self._rules), visit)
        swapped = done.fulfilled
        return SimSwapDone(
            order_id=done.order_id,
            order_no=done.order_no,
            old_iccid_masked=swapped.old_iccid_masked,
            new_iccid_masked=swapped.new_iccid_masked,
            total_fen=done.pricing.total_fen,
            payments=done.payments,
            invoice_no=done.invoice.invoice_no if done.invoice else None,
            till_reopened=done.till_reopened,
            status_text=swapped.status_text,
        )

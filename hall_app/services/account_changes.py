"""Changes to an existing customer and number that take no money: 资料变更 (contact numbers,
address, a renewed ID card), 挂失 / 解挂 and 停机保号 / 复机.

Each is a zero-fee order on the one pipeline (``CHANGE_CUSTOMER``, ``LOSS_REPORT``,
``REINSTATE``, ``SUSPEND``, ``RESUME``) with the acceptance form (业务受理单) the customer signs:
the terms are built by one function for the quote the customer reads and for the order, so the
pipeline refuses a signature given for something else. The order's audit entry holds the
masked before and after.

Decisions (domain-rules.md leaves them open):
- 挂失 is immediate and needs no ID: whoever has lost the phone may report it at the counter
  (the reporter's name, masked, is kept when not the owner); the signature is optional.
  From ``active`` or a suspension for arrears (解挂 recomputes the arrears from the bills).
- 解挂 needs the owner's ID: the card read on the reader (same number and name, not expired) or
  the ID number typed. It resumes to ``active``, or to the arrears suspension when a bill is
  unpaid more than ``arrears_suspend_days`` after its due date; 复机 from 停机保号 likewise.
- 停机保号 only from ``active``; its monthly fee (``keep_number_fee_fen``) is billed by the
  billing run, the terms say so. A suspension for arrears ends by paying (缴费), never by 复机.
- The customer has no column for the ID card's validity: a renewed card's validity is kept in
  the order's details (printed on its form) and its audit entry.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date
from hall_app.config import BusinessRules
from hall_app.db.engine import Database
from hall_app.db.models import Bill, Customer, Order, Product, Subscription
from hall_app.db.text_limits import check_text, max_length
from hall_app.devices.id_reader import IdCardData, IdCardReader
from hall_app.domain.enums import (
    BillStatus,
    CustomerKind,
    OrderType,
    SubscriptionStatus,
    SuspendReason,
)
from hall_app.domain.errors import NotFound, ValidationError
from hall_app.domain.masking import mask_id_number, mask_name, mask_phone
from hall_app.domain.money import format_yuan
from hall_app.domain.permissions import Permission
from hall_app.domain.pricing import Pricing
from hall_app.domain.resident_id import parse_resident_id
from hall_app.domain.telecom import parse_mobile_number
from hall_app.services.actor import Actor
from hall_app.services.invoicing import issue_invoice
from hall_app.services.pipeline import (
    Completed,
    OrderKind,
    OrderPipeline,
    Priced,
    Taken,
    Visit,
    terms_clauses,
)
from hall_app.services.subscriptions import (
    NUMBER_FIELD,
    audit_state,
    require_status,
    shown_number,
    status_text,
    subscription_of,
)

CARD_FIELD = "身份证"
PHONE_FIELD = "联系电话"
ALT_FIELD = "备用电话"
ADDRESS_FIELD = "地址"
CHANGES_FIELD = "资料变更"
RENAME_REFUSED = "姓名或证件号码变更须重新办理实名登记"
ADDRESS_MAX = max_length(Customer.address) or 200
_UNPAID = (BillStatus.UNPAID, BillStatus.PARTLY_PAID)
_NO_PRICING = Pricing(
    lines=(), invoice_items=(), lock_in_months=0, min_monthly_fen=0, promotion=None
)


# -- requests and results ------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerDataChange:
    """资料变更. None leaves a field as it is; ``alt_phone=""`` removes the second number.
    ``id_card``: a renewed card read on the reader (same name and number); its address is taken
    unless ``address`` is given."""

    customer_id: uuid.UUID
    contact_phone: str | None = None
    alt_phone: str | None = None
    address: str | None = None
    id_card: IdCardData | None = None
    signature_png: bytes | None = None
    terms_text: str = ""
    ticket_id: uuid.UUID | None = None


@dataclass(frozen=True)
class LossRequest:
    """挂失: immediate, no ID. ``reported_by``: who reported it when not the owner ("" : 本人)."""

    subscription_id: uuid.UUID
    ticket_id: uuid.UUID | None = None
    reported_by: str = ""
    signature_png: bytes | None = None
    terms_text: str = ""


@dataclass(frozen=True)
class ReinstateRequest:
    """解挂: the owner's card read on the reader, or their ID number typed."""

    subscription_id: uuid.UUID
    id_card_read: IdCardData | None = None
    id_number: str = ""
    ticket_id: uuid.UUID | None = None
    signature_png: bytes | None = None
    terms_text: str = ""


@dataclass(frozen=True)
class SuspendRequest:
    """停机保号."""

    subscription_id: uuid.UUID
    ticket_id: uuid.UUID | None = None
    signature_png: bytes | None = None
    terms_text: str = ""


@dataclass(frozen=True)
class ResumeRequest(SuspendRequest):
    """复机 after 停机保号 (the same fields as 停机保号)."""


NumberChange = LossRequest | ReinstateRequest | SuspendRequest | ResumeRequest


@dataclass(frozen=True)
class ChangeQuote:
    """What the customer reads and signs before the change: the rows the form prints (masked)
    and the terms."""

    what: str  # 资料变更 / 挂失 / 解挂 / 停机保号 / 复机
    number_masked: str  # "" for 资料变更
    status_before: str
    status_after: str
    rows: tuple[tuple[str, str], ...]
    terms: str


@dataclass(frozen=True)
class ChangeDone:
    order_id: uuid.UUID
    order_no: str
    what: str
    number_masked: str
    status_text: str  # the number's status now ("" for 资料变更)
    rows: tuple[tuple[str, str], ...]


# -- the number changes --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Move:
    """A number change: where it goes, prepared alike for the quote and inside the order."""

    what: str
    order_type: OrderType
    sub: Subscription
    customer: Customer
    from_status: SubscriptionStatus
    from_reason: SuspendReason | None
    to_status: SubscriptionStatus
    to_reason: SuspendReason | None
    before: dict[str, object]
    rows: tuple[tuple[str, str], ...]
    terms: str
    now: datetime


def _target_text(status: SubscriptionStatus, reason: SuspendReason | None) -> str:
    return f"{status.label}（{reason.label}）" if reason is not None else status.label


def _in_arrears(session: Session, rules: BusinessRules, sub_id: uuid.UUID, today: date) -> bool:
    """A bill of the number unpaid more than ``arrears_suspend_days`` after its due date."""
    limit = today - timedelta(days=rules.arrears_suspend_days)
    return bool(
        session.scalar(
            select(
                exists().where(
                    Bill.subscription_id == sub_id,
                    Bill.status.in_(_UNPAID),
                    Bill.due_date < limit,
                )
            )
        )
    )


def _restored(
    session: Session, rules: BusinessRules, sub: Subscription, today: date
) -> tuple[SubscriptionStatus, SuspendReason | None]:
    if _in_arrears(session, rules, sub.id, today):
        return SubscriptionStatus.SUSPENDED, SuspendReason.ARREARS
    return SubscriptionStatus.ACTIVE, None


def _owner_checked(customer: Customer, req: ReinstateRequest, today: date) -> str:
    """The owner's ID, checked: refused unless it is the customer's. Returns how it was seen."""
    card = req.id_card_read
    typed = card.id_number if card is not None else req.id_number
    if not typed.strip():
        raise ValidationError(
            "解挂须核验机主本人身份证：请读取身份证（F9）或输入证件号码", CARD_FIELD
        )
    try:
        number = parse_resident_id(typed, today=today).number
    except ValidationError as exc:
        raise ValidationError(f"证件号码{exc.message}", CARD_FIELD) from exc
    if number != customer.id_number or (card is not None and card.name != customer.name):
        raise ValidationError("证件与机主登记资料不符：解挂须机主本人的有效身份证件", CARD_FIELD)
    if card is not None and card.valid_to is not None and card.valid_to < today:
        raise ValidationError(f"身份证已于 {card.valid_to} 过期，请持有效证件办理", CARD_FIELD)
    return "读取身份证" if card is not None else "输入证件号码"


def _prepare_move(
    session: Session, rules: BusinessRules, req: NumberChange, now: datetime, *, final: bool
) -> _Move:
    """``final``: inside the order (a 解挂 then needs the owner's ID; a quote checks it when
    given)."""
    today = business_date(now)
    sub = subscription_of(session, req.subscription_id)
    customer = session.get_one(Customer, sub.customer_id)
    clauses = terms_clauses("account_changes")
    number = shown_number(sub)
    values: dict[str, str] = {"number": number, "day": f"{today:%Y-%m-%d}"}
    rows: list[tuple[str, str]] = []
    reason = sub.suspend_reason if sub.status is SubscriptionStatus.SUSPENDED else None
    if isinstance(req, LossRequest):
        what, order_type = "挂失", OrderType.LOSS_REPORT
        require_status(
            sub,
            (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED),
            what,
            reasons=(SuspendReason.ARREARS,),
        )
        check_text(Customer.name, req.reported_by.strip())
        who = req.reported_by.strip()
        rows.append(("挂失人", f"代办人 {mask_name(who)}" if who else "机主本人"))
        to: tuple[SubscriptionStatus, SuspendReason | None] = (
            SubscriptionStatus.SUSPENDED,
            SuspendReason.LOST,
        )
        key = "loss"
    elif isinstance(req, ReinstateRequest):
        what, order_type = "解挂", OrderType.REINSTATE
        require_status(sub, (SubscriptionStatus.SUSPENDED,), what, reasons=(SuspendReason.LOST,))
        if final or req.id_card_read is not None or req.id_number.strip():
            rows.append(("机主证件核验", _owner_checked(customer, req, today)))
        to = _restored(session, rules, sub, today)
        key = "reinstate_arrears" if to[1] is SuspendReason.ARREARS else "reinstate"
    elif isinstance(req, SuspendRequest) and not isinstance(req, ResumeRequest):
        what, order_type = "停机保号", OrderType.SUSPEND
        require_status(sub, (SubscriptionStatus.ACTIVE,), what)
        values["fee"] = format_yuan(rules.keep_number_fee_fen) + "/月"
        rows.append(("停机保号费", values["fee"] + "（计入账单）"))
        to, key = (SubscriptionStatus.SUSPENDED, SuspendReason.VOLUNTARY), "suspend"
    else:
        what, order_type = "复机", OrderType.RESUME
        if sub.status is SubscriptionStatus.SUSPENDED and reason is SuspendReason.ARREARS:
            raise ValidationError(
                f"号码 {number} 为欠费停机：缴清欠费后自动复机，请办理缴费（Ctrl+J）", NUMBER_FIELD
            )
        if sub.status is SubscriptionStatus.SUSPENDED and reason is SuspendReason.LOST:
            raise ValidationError(f"号码 {number} 为挂失停机：请办理解挂", NUMBER_FIELD)
        require_status(
            sub, (SubscriptionStatus.SUSPENDED,), what, reasons=(SuspendReason.VOLUNTARY,)
        )
        to = _restored(session, rules, sub, today)
        values["plan"] = session.get_one(Product, sub.product_id).name
        key = "resume_arrears" if to[1] is SuspendReason.ARREARS else "resume"
    after = _target_text(*to)
    rows[:0] = [("业务号码", number), ("原状态", status_text(sub)), ("办理后状态", after)]
    values["status"] = after
    return _Move(
        what=what,
        order_type=order_type,
        sub=sub,
        customer=customer,
        from_status=sub.status,
        from_reason=reason,
        to_status=to[0],
        to_reason=to[1],
        before=audit_state(sub),
        rows=tuple(rows),
        terms=clauses[key].format(**values),
        now=now,
    )


@dataclass(frozen=True)
class _Done:
    what: str
    number_masked: str
    status_text: str
    rows: tuple[tuple[str, str], ...]


class _NumberChangeKind(OrderKind[_Move, _Done]):
    action = "order.account_change"

    def __init__(self, rules: BusinessRules, req: NumberChange) -> None:
        self._rules = rules
        self._req = req
        self.order_type = OrderType.LOSS_REPORT  # set per change in take

    def take(self, session: Session, actor: Actor, now: datetime, offline: bool) -> Taken[_Move]:
        move = _prepare_move(session, self._rules, self._req, now, final=True)
        self.order_type = move.order_type
        return Taken(move.customer, move)

    def lines(self, context: _Move, today: date) -> Priced:
        return Priced(_NO_PRICING, context.terms)

    def fulfil(
        self, session: Session, actor: Actor, order: Order, context: _Move, pricing: Pricing
    ) -> _Done:
        now = context.now
        reason = Subscription.suspend_reason
        moved = session.execute(
            update(Subscription)
            .where(
                Subscription.id == context.sub.id,
                Subscription.status == context.from_status,
                reason.is_(None) if context.from_reason is None else reason == context.from_reason,
            )
            .values(
                status=context.to_status,
                suspend_reason=context.to_reason,
                suspended_at=now if context.to_reason is not None else None,
                updated_at=now,
            )
            .returning(Subscription.id)
            .execution_options(synchronize_session=False)
        ).all()
        if len(moved) != 1:  # another window changed the number meanwhile
            raise ValidationError("号码状态已由其他窗口变更，请刷新客户资料后重试", NUMBER_FIELD)
        order.subscription_id = context.sub.id
        session.refresh(context.sub)
        sub = context.sub
        return _Done(context.what, shown_number(sub), status_text(sub), context.rows)

    def audit_after(self, context: _Move) -> dict[str, object]:
        return {"change": context.what, "before": context.before, "after": audit_state(context.sub)}

    def document_details(self, context: _Move, fulfilled: _Done) -> tuple[tuple[str, str], ...]:
        # the form prints the business (受理业务) and the number (业务号码) of the order itself
        return tuple(row for row in context.rows if row[0] != "业务号码")


# -- the customer's data -------------------------------------------------------------------------


@dataclass(frozen=True)
class _DataChange:
    customer: Customer
    contact_phone: str | None
    alt_phone: str | None  # "" : removed
    address: str | None
    card: IdCardData | None
    before: dict[str, object]
    rows: tuple[tuple[str, str], ...]
    terms: str
    now: datetime


def _masked(phone: str | None) -> str:
    return mask_phone(phone) if phone else "（无）"


def _customer_audit(c: Customer) -> dict[str, object]:
    return {
        "contact_phone": mask_phone(c.contact_phone) if c.contact_phone else None,
        "alt_phone": mask_phone(c.alt_phone) if c.alt_phone else None,
        "address_chars": len(c.address or ""),
        "id_number": mask_id_number(c.id_number) if c.id_number else None,
    }


def _validity(card: IdCardData) -> str:
    ends = "长期" if card.valid_to is None else f"{card.valid_to:%Y-%m-%d}"
    return f"{card.valid_from:%Y-%m-%d} 至 {ends}"


def _phone(text: str, field: str) -> str:
    try:
        return parse_mobile_number(text).number
    except ValidationError as exc:
        raise ValidationError(f"{field}{exc.message}", field) from exc


def _prepare_data(session: Session, change: CustomerDataChange, now: datetime) -> _DataChange:
    today = business_date(now)
    customer = session.get(Customer, change.customer_id)
    if customer is None:
        raise NotFound("该客户不存在或已被删除", "客户")
    rows: list[tuple[str, str]] = []
    said: list[str] = []
    phone = alt = address = None
    if change.contact_phone is not None:
        phone = _phone(change.contact_phone, PHONE_FIELD)
        if phone != customer.contact_phone:
            rows.append((PHONE_FIELD, f"{_masked(customer.contact_phone)} → {_masked(phone)}"))
            said.append(f"联系电话改为 {mask_phone(phone)}")
        else:
            phone = None
    if change.alt_phone is not None:
        alt = _phone(change.alt_phone, ALT_FIELD) if change.alt_phone.strip() else ""
        if alt != (customer.alt_phone or ""):
            rows.append((ALT_FIELD, f"{_masked(customer.alt_phone)} → {_masked(alt)}"))
            said.append(f"备用电话改为 {mask_phone(alt)}" if alt else "取消备用电话")
        else:
            alt = None
    card = change.id_card
    if card is not None:
        if customer.kind is not CustomerKind.INDIVIDUAL or customer.id_number is None:
            raise ValidationError("只有个人客户可以登记换领的身份证", CARD_FIELD)
        try:
            number = parse_resident_id(card.id_number, today=today).number
        except ValidationError as exc:
            raise ValidationError(f"证件号码{exc.message}", CARD_FIELD) from exc
        if number != customer.id_number or card.name.strip() != customer.name:
            raise ValidationError(RENAME_REFUSED, CARD_FIELD)
        if card.valid_to is not None and card.valid_to < today:
            raise ValidationError(f"身份证已于 {card.valid_to} 过期，请持有效证件办理", CARD_FIELD)
        rows.append(("证件有效期", _validity(card)))
    wanted = change.address if change.address is not None else card.address if card else None
    if wanted is not None:
        address = wanted.strip()
        check_text(Customer.address, address)
        if not 6 <= len(address) <= ADDRESS_MAX:
            raise ValidationError(f"请填写完整地址（6 至 {ADDRESS_MAX} 个字）", ADDRESS_FIELD)
        if address != customer.address:
            rows.append((ADDRESS_FIELD, address))
            said.append("地址改为 " + address)
        else:
            address = None
    if not rows:
        raise ValidationError("资料与登记的一致，没有需要变更的内容", CHANGES_FIELD)
    clauses = terms_clauses("account_changes")
    terms = clauses["customer_data"].format(changes="；".join(said) or "登记换领的身份证")
    if card is not None:
        terms += "\n" + clauses["id_card"].format(validity=_validity(card))
    return _DataChange(
        customer, phone, alt, address, card, _customer_audit(customer), tuple(rows), terms, now
    )


class _CustomerDataKind(OrderKind[_DataChange, _Done]):
    order_type = OrderType.CHANGE_CUSTOMER
    action = "order.change_customer"

    def __init__(self, change: CustomerDataChange) -> None:
        self._change = change

    def take(
        self, session: Session, actor: Actor, now: datetime, offline: bool
    ) -> Taken[_DataChange]:
        context = _prepare_data(session, self._change, now)
        return Taken(context.customer, context)

    def lines(self, context: _DataChange, today: date) -> Priced:
        return Priced(_NO_PRICING, context.terms)

    def fulfil(
        self, session: Session, actor: Actor, order: Order, context: _DataChange, pricing: Pricing
    ) -> _Done:
        c = context.customer
        if context.contact_phone is not None:
            c.contact_phone = context.contact_phone
        if context.alt_phone is not None:
            c.alt_phone = context.alt_phone or None
        if context.address is not None:
            c.address = context.address
        c.updated_at = context.now
        session.flush()
        return _Done("资料变更", "", "", context.rows)

    def audit_after(self, context: _DataChange) -> dict[str, object]:
        after = _customer_audit(context.customer)
        if context.card is not None:
            after["card_valid_from"] = f"{context.card.valid_from:%Y-%m-%d}"
            after["card_valid_to"] = (
                f"{context.card.valid_to:%Y-%m-%d}" if context.card.valid_to else "长期"
            )
        return {"change": "资料变更", "before": context.before, "after": after}

    def document_details(
        self, context: _DataChange, fulfilled: _Done
    ) -> tuple[tuple[str, str], ...]:
        return context.rows


# -- the service ---------------------------------------------------------------------------------


class AccountChangeService:
    def __init__(
        self,
        db: Database,
        rules: BusinessRules,
        clock: Clock,
        id_reader: IdCardReader | None,
        *,
        shared_segments: bool = True,
    ) -> None:
        """No central claim: the number's state changes by one conditional UPDATE in the
        counter's database (the sync round takes it to the central one)."""
        self._db = db
        self._rules = rules
        self._clock = clock
        self._reader = id_reader
        self._pipeline = OrderPipeline(
            db, clock, None, lambda *step: issue_invoice(*step, shared=shared_segments)
        )

    def read_id_card(self, actor: Actor) -> IdCardData:
        """The card on this counter's reader (DeviceError without one or without a card)."""
        actor.require(Permission.ORDER_CREATE)
        if self._reader is None:
            raise ValidationError("本窗口未连接身份证读卡器，请输入证件号码", CARD_FIELD)
        return self._reader.read()

    # -- quotes (what the customer signs) -------------------------------------------------------
    def quote_customer_data(self, actor: Actor, change: CustomerDataChange) -> ChangeQuote:
        actor.require(Permission.CUSTOMER_EDIT)
        with self._db.read() as s:
            c = _prepare_data(s, change, self._clock())
        return ChangeQuote("资料变更", "", "", "", c.rows, c.terms)

    def quote_number_change(self, actor: Actor, req: NumberChange) -> ChangeQuote:
        """挂失 / 解挂 / 停机保号 / 复机 as it would be done now, refused as the change would be
        (the owner's ID of a 解挂 is checked when given)."""
        actor.require(Permission.ORDER_CREATE)
        with self._db.read() as s:
            m = _prepare_move(s, self._rules, req, self._clock(), final=False)
            return ChangeQuote(
                m.what,
                shown_number(m.sub),
                status_text(m.sub),
                _target_text(m.to_status, m.to_reason),
                m.rows,
                m.terms,
            )

    # -- the changes ---------------------------------------------------------------------------
    def change_customer_data(self, actor: Actor, change: CustomerDataChange) -> ChangeDone:
        """资料变更: contact numbers (any operator's valid mobile number), the address, a renewed
        ID card (same name and number; another is refused: a new real-name registration)."""
        actor.require(Permission.CUSTOMER_EDIT)
        actor.require(Permission.ORDER_CREATE)
        visit = Visit(
            change.customer_id, (), change.ticket_id, change.signature_png, change.terms_text
        )
        return _done(self._pipeline.run(actor, _CustomerDataKind(change), visit))

    def report_loss(self, actor: Actor, req: LossRequest) -> ChangeDone:
        """挂失: at once, no ID needed; the number is 停机（挂失停机）."""
        return self._move(actor, req)

    def reinstate(self, actor: Actor, req: ReinstateRequest) -> ChangeDone:
        """解挂 with the owner's ID: 正常, or 欠费停机 while a bill is overdue."""
        return self._move(actor, req)

    def suspend(self, actor: Actor, req: SuspendRequest) -> ChangeDone:
        """停机保号 from 正常; the monthly keep-number fee is billed."""
        return self._move(actor, req)

    def resume(self, actor: Actor, req: ResumeRequest) -> ChangeDone:
        """复机 from 停机保号 (a suspension for arrears ends by paying)."""
        return self._move(actor, req)

    def _move(self, actor: Actor, req: NumberChange) -> ChangeDone:
        actor.require(Permission.ORDER_CREATE)
        with self._db.read() as s:
            customer_id = subscription_of(s, req.subscription_id).customer_id
        visit = Visit(customer_id, (), req.ticket_id, req.signature_png, req.terms_text)
        return _done(self._pipeline.run(actor, _NumberChangeKind(self._rules, req), visit))


def _done(done: Completed[_Done]) -> ChangeDone:
    f = done.fulfilled
    return ChangeDone(done.order_id, done.order_no, f.what, f.number_masked, f.status_text, f.rows)


__all__ = [
    "AccountChangeService",
    "ChangeDone",
    "ChangeQuote",
    "CustomerDataChange",
    "LossRequest",
    "NumberChange",
    "ReinstateRequest",
    "ResumeRequest",
    "SuspendRequest",
]

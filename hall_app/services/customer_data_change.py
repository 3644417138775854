"""资料变更 as an order kind: the checked new contact numbers, address and renewed card, prepared
alike for the quote the customer signs and inside the order (hall_app.services.account_changes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from hall_app.clock import business_date
from hall_app.db.models import Customer, Order
from hall_app.db.text_limits import check_text
from hall_app.devices.id_reader import IdCardData
from hall_app.domain.enums import (
    CustomerKind,
    OrderType,
)
from hall_app.domain.errors import NotFound, ValidationError
from hall_app.domain.masking import mask_address, mask_id_number, mask_phone
from hall_app.domain.pricing import Pricing
from hall_app.domain.resident_id import parse_resident_id
from hall_app.domain.telecom import parse_mobile_number
from hall_app.services.account_requests import (
    ADDRESS_FIELD,
    ADDRESS_MAX,
    ALT_FIELD,
    CARD_FIELD,
    CHANGES_FIELD,
    PHONE_FIELD,
    RENAME_REFUSED,
    Changed,
    CustomerDataChange,
    ZeroFeeChange,
)
from hall_app.services.actor import Actor
from hall_app.services.pipeline import (
    terms_clauses,
)

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


def prepare_data(session: Session, change: CustomerDataChange, now: datetime) -> _DataChange:
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
            # Masked: the order's rows and terms are kept unsealed (the address is sealed).
            rows.append((ADDRESS_FIELD, mask_address(address)))
            said.append("地址改为 " + mask_address(address))
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


class CustomerDataKind(ZeroFeeChange[_DataChange]):
    order_type = OrderType.CHANGE_CUSTOMER
    action = "order.change_customer"
    signed = True

    def __init__(self, change: CustomerDataChange) -> None:
        self._change = change

    def prepare(self, session: Session, now: datetime) -> _DataChange:
        return prepare_data(session, self._change, now)

    def fulfil(
        self, session: Session, actor: Actor, order: Order, context: _DataChange, pricing: Pricing
    ) -> Changed:
        c = context.customer
        if context.contact_phone is not None:
            c.contact_phone = context.contact_phone
        if context.alt_phone is not None:
            c.alt_phone = context.alt_phone or None
        if context.address is not None:
            c.address = context.address
        c.updated_at = context.now
        session.flush()
        return Changed("资料变更", "", "", context.rows)

    def audit_after(self, context: _DataChange) -> dict[str, object]:
        after = _customer_audit(context.customer)
        if context.card is not None:
            after["card_valid_from"] = f"{context.card.valid_from:%Y-%m-%d}"
            after["card_valid_to"] = (
                f"{context.card.valid_to:%Y-%m-%d}" if context.card.valid_to else "长期"
            )
        return {"change": "资料变更", "before": context.before, "after": after}

    def document_details(
        self, context: _DataChange, fulfilled: Changed
    ) -> tuple[tuple[str, str], ...]:
        return context.rows

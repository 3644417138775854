"""The requests and results of the account changes (hall_app.services.account_changes), and
what their order kinds share."""

from __future__ import annotations

import uuid
from abc import abstractmethod
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from hall_app.db.models import Customer
from hall_app.db.text_limits import max_length
from hall_app.devices.id_reader import IdCardData
from hall_app.domain.enums import (
    BillStatus,
)
from hall_app.domain.pricing import Pricing
from hall_app.services.actor import Actor
from hall_app.services.pipeline import OrderKind, Priced, Taken

CARD_FIELD = "身份证"
PHONE_FIELD = "联系电话"
ALT_FIELD = "备用电话"
ADDRESS_FIELD = "地址"
CHANGES_FIELD = "资料变更"
RENAME_REFUSED = "姓名或证件号码变更须重新办理实名登记"
ADDRESS_MAX = max_length(Customer.address) or 200
UNPAID = (BillStatus.UNPAID, BillStatus.PARTLY_PAID)
NO_PRICING = Pricing(
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


@dataclass(frozen=True)
class Changed:
    what: str
    number_masked: str
    status_text: str
    rows: tuple[tuple[str, str], ...]


class Prepared(Protocol):
    """An account change checked and worked out (for the quote, and again inside the order)."""

    @property
    def customer(self) -> Customer: ...

    @property
    def terms(self) -> str: ...


P = TypeVar("P", bound=Prepared)


class ZeroFeeChange(OrderKind[P, Changed]):
    """What the account changes' order kinds share: the change is prepared by one function
    for the quote and inside the order; it has no lines, only the terms the customer signs."""

    @abstractmethod
    def prepare(self, session: Session, now: datetime) -> P:
        """Check and work out the change (raises the clerk's refusal)."""

    def take(self, session: Session, actor: Actor, now: datetime, offline: bool) -> Taken[P]:
        context = self.prepare(session, now)
        return Taken(context.customer, context)

    def lines(self, context: P, today: date) -> Priced:
        return Priced(NO_PRICING, context.terms)

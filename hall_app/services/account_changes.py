"""Changes to an existing customer and number that take no money: 资料变更 (contact numbers,
address, a renewed ID card), 挂失 / 解挂 and 停机保号 / 复机.

Each is a zero-fee order on the one pipeline (``CHANGE_CUSTOMER``, ``LOSS_REPORT``,
``REINSTATE``, ``SUSPEND``, ``RESUME``) with the acceptance form (业务受理单) the customer signs:
the terms are built by one function for the quote the customer reads and for the order, so the
pipeline refuses a signature given for something else. The order's audit entry holds the
masked before and after.

Decisions (domain-rules.md leaves them open):
- 挂失 is immediate and needs no ID: whoever has lost the phone may report it at the counter
  (the reporter's name, masked, is kept when not the owner); the signature is optional:
  an unsigned 挂失 is recorded as such (no signature on the order, ``"signed": false`` in its
  audit entry, 客户签字 未签字 on its form). Every other change here refuses to complete
  without the customer's signature and the terms they signed.
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

from hall_app.clock import Clock
from hall_app.config import BusinessRules
from hall_app.db.engine import Database
from hall_app.devices.id_reader import IdCardData, IdCardReader
from hall_app.domain.errors import ValidationError
from hall_app.domain.permissions import Permission
from hall_app.services.account_requests import (
    ADDRESS_MAX,
    CARD_FIELD,
    RENAME_REFUSED,
    Changed,
    ChangeDone,
    ChangeQuote,
    CustomerDataChange,
    LossRequest,
    NumberChange,
    ReinstateRequest,
    ResumeRequest,
    SuspendRequest,
)
from hall_app.services.actor import Actor
from hall_app.services.customer_data_change import CustomerDataKind, prepare_data
from hall_app.services.handsets import check_signature
from hall_app.services.invoicing import issue_invoice
from hall_app.services.number_changes import NumberChangeKind, prepare_move, target_text
from hall_app.services.pipeline import (
    Completed,
    OrderPipeline,
    Visit,
)
from hall_app.services.subscriptions import (
    shown_number,
    status_text,
    subscription_of,
)

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

    def read_id_card(self, actor: Actor, expect_customer_id: uuid.UUID | None = None) -> IdCardData:
        """The card on this counter's reader (DeviceError without one or without a card);
        ``expect_customer_id``: the customer whose own card the page checks (a demo reader's
        hint, ``IdCardReader.read``)."""
        actor.require(Permission.ORDER_CREATE)
        if self._reader is None:
            raise ValidationError("本窗口未连接身份证读卡器，请输入证件号码", CARD_FIELD)
        return self._reader.read(expect_customer_id)

    # -- quotes (what the customer signs) -------------------------------------------------------
    def quote_customer_data(self, actor: Actor, change: CustomerDataChange) -> ChangeQuote:
        actor.require(Permission.CUSTOMER_EDIT)
        with self._db.read() as s:
            c = prepare_data(s, change, self._clock())
        return ChangeQuote("资料变更", "", "", "", c.rows, c.terms)

    def quote_number_change(self, actor: Actor, req: NumberChange) -> ChangeQuote:
        """挂失 / 解挂 / 停机保号 / 复机 as it would be done now, refused as the change would be
        (the owner's ID of a 解挂 is checked when given)."""
        actor.require(Permission.ORDER_CREATE)
        with self._db.read() as s:
            m = prepare_move(s, self._rules, req, self._clock(), final=False)
            return ChangeQuote(
                m.what,
                shown_number(m.sub),
                status_text(m.sub),
                target_text(m.to_status, m.to_reason),
                m.rows,
                m.terms,
            )

    # -- the changes ---------------------------------------------------------------------------
    def change_customer_data(self, actor: Actor, change: CustomerDataChange) -> ChangeDone:
        """资料变更: contact numbers (any operator's valid mobile number), the address, a renewed
        ID card (same name and number; another is refused: a new real-name registration)."""
        actor.require(Permission.CUSTOMER_EDIT)
        actor.require(Permission.ORDER_CREATE)
        check_signature(change.signature_png)
        visit = Visit(
            change.customer_id, (), change.ticket_id, change.signature_png, change.terms_text
        )
        return _done(self._pipeline.run(actor, CustomerDataKind(change), visit))

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
        check_signature(req.signature_png)
        with self._db.read() as s:
            customer_id = subscription_of(s, req.subscription_id).customer_id
        visit = Visit(customer_id, (), req.ticket_id, req.signature_png, req.terms_text)
        return _done(self._pipeline.run(actor, NumberChangeKind(self._rules, req), visit))


def _done(done: Completed[Changed]) -> ChangeDone:
    f = done.fulfilled
    return ChangeDone(done.order_id, done.order_no, f.what, f.number_masked, f.status_text, f.rows)


__all__ = [
    "ADDRESS_MAX",
    "CARD_FIELD",
    "RENAME_REFUSED",
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

"""The bill payment being built: the bills loaded, the clerk's choices, the quote, the result."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from hall_app.app import HallApp
from hall_app.domain.payments import PaymentInput
from hall_app.domain.permissions import Permission
from hall_app.services.actor import Actor
from hall_app.services.bills import (
    BillPaymentDone,
    BillPaymentQuote,
    BillPaymentRequest,
    UnpaidBills,
)
from ui.wizard.base import DraftBase, WizardEnv

AMOUNT_FIELD = "缴费金额"


@dataclass
class BillDraft(DraftBase):
    unpaid: UnpaidBills | None = None
    bill_ids: tuple[uuid.UUID, ...] = ()
    pay_fen: int | None = None
    top_up_to: uuid.UUID | None = None
    waive: bool = False
    supervisor: tuple[str, str] = ("", "")  # user name and password typed at the counter
    approval_id: uuid.UUID | None = None  # a remote approval of the waiver
    quote: BillPaymentQuote | None = None
    done: BillPaymentDone | None = None

    def request(
        self, payments: tuple[PaymentInput, ...], supervisor: Actor | None = None
    ) -> BillPaymentRequest:
        seen = tuple(
            (b.id, b.paid_fen)
            for b in (self.unpaid.bills if self.unpaid else ())
            if b.id in self.bill_ids
        )
        return BillPaymentRequest(
            customer_id=self.customer_id,
            payments=payments,
            bill_ids=self.bill_ids,
            pay_fen=self.pay_fen,
            top_up_to=self.top_up_to,
            waive_late_fee=self.waive,
            supervisor=supervisor,
            approval_id=self.approval_id if self.waive else None,
            ticket_id=self.ticket_id,
            seen_paid=seen,
        )

    def pay(
        self, app: HallApp, actor: Actor, payments: tuple[PaymentInput, ...]
    ) -> BillPaymentDone:
        """On the writer thread: the supervisor's credentials checked, then the payment."""
        supervisor = None
        if self.waive and self.approval_id is None:
            user, password = self.supervisor
            supervisor = app.auth.authorize(user, password, Permission.APPROVE)
        return app.bills.pay_bills(actor, self.request(payments, supervisor))


def bill_draft(env: WizardEnv) -> BillDraft:
    d = env.draft
    assert isinstance(d, BillDraft)
    return d

"""Step 6: take the money and open the number in one transaction (the payment page every
wizard shares: ui/wizard/payment.py)."""

from __future__ import annotations

from collections.abc import Callable

from hall_app.domain.errors import HallError
from hall_app.domain.payments import PaymentInput
from hall_app.services.orders import OpenedNumber, OpenMobileRequest
from ui import messages
from ui.open_mobile.base import OrderDraft, WizardEnv
from ui.ops import Changes
from ui.wizard import payment


class PaymentPage(payment.PaymentPage):
    def __init__(self, env: WizardEnv, back_to_number: Callable[[], None]) -> None:
        super().__init__(env)
        self._back_to_number = back_to_number

    @property
    def draft(self) -> OrderDraft:
        draft = self.env.draft
        assert isinstance(draft, OrderDraft)
        return draft

    def total_fen(self) -> int:
        assert self.draft.quote is not None
        return self.draft.quote.total_fen

    def finished(self) -> bool:
        return self.draft.opened is not None

    def complete(
        self,
        payments: tuple[PaymentInput, ...],
        done: Callable[[], None],
        refused: Callable[[HallError], bool],
    ) -> None:
        d = self.draft
        assert d.reservation and d.sim and d.quote
        req = OpenMobileRequest(
            customer_id=d.customer_id,
            number=d.reservation.number.number,
            plan_code=d.plan_code,
            iccid=d.sim.iccid,
            payments=payments,
            face_check=d.face_check,
            face_checked_by=d.face_checked_by,
            addon_codes=d.addon_codes,
            ticket_id=d.ticket_id,
            guardian_id=d.guardian_id,
            supervisor=d.supervisor,
            approval_id=d.approval_id,
            signature_png=d.signature_png,
            terms_text=d.quote.terms,
        )
        orders, actor = self.env.app.orders, self.env.actor

        def opened(result: OpenedNumber) -> None:
            d.opened = result
            done()

        self.mutate(
            lambda: orders.open_mobile_number(actor, req),
            opened,
            refused,
            changes=Changes.ORDERS
            | Changes.CASH
            | Changes.STOCK
            | Changes.QUEUE
            | (Changes.APPROVALS if d.approval_id else Changes.NONE),
            label="正在办理开户…",
        )

    def refused(self, exc: HallError) -> None:
        if exc.field == "号码":
            self.draft.reservation = None
            messages.warning(self, f"{exc.text}\n本次未收费，请重新选号后再办理。")
            self._back_to_number()

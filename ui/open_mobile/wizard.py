"""The 开户 wizard: eligibility → number → plan → SIM → customer confirmation → payment → done.

The frame (steps, keys, abandoning) is every wizard's (ui/wizard/dialog.py). Abandoning the
wizard gives the reserved number back at once (an abandoned reservation would also expire by
itself)."""

from __future__ import annotations

import logging
import uuid

from PySide6.QtWidgets import QWidget

from hall_app.app import HallApp
from hall_app.services.actor import Actor
from hall_app.services.orders import OpenedNumber
from ui.open_mobile.base import OrderDraft, WizardEnv
from ui.open_mobile.page_confirm import ConfirmPage
from ui.open_mobile.page_done import DonePage
from ui.open_mobile.page_eligibility import EligibilityPage
from ui.open_mobile.page_number import NumberPage
from ui.open_mobile.page_payment import PaymentPage
from ui.open_mobile.page_plan import PlanPage
from ui.open_mobile.page_sim import SimPage
from ui.ops import Changes, Operations
from ui.wizard.dialog import WizardDialog

log = logging.getLogger("hall.ui.open_mobile")


class OpenMobileWizard(WizardDialog):
    def __init__(
        self,
        app: HallApp,
        actor: Actor,
        ops: Operations,
        customer_id: uuid.UUID,
        ticket_id: uuid.UUID | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(WizardEnv(app, actor, ops, OrderDraft(customer_id, ticket_id)), parent)
        self.setObjectName("openMobileWizard")
        self.setWindowTitle("新开移动号码（开户）")
        self.eligibility = EligibilityPage(self.env)
        self.number = NumberPage(self.env)
        self.plan = PlanPage(self.env)
        self.sim = SimPage(self.env)
        self.confirm = ConfirmPage(self.env)
        self.payment = PaymentPage(self.env, lambda: self.go_to(self.number))
        self.payment.on_enter_pressed = self.next
        self.done_page = DonePage(self.env)
        self.set_pages(
            [
                self.eligibility,
                self.number,
                self.plan,
                self.sim,
                self.confirm,
                self.payment,
                self.done_page,
            ],
            self.payment,
            self.done_page,
        )

    @property
    def draft(self) -> OrderDraft:
        draft = self.env.draft
        assert isinstance(draft, OrderDraft)
        return draft

    def outcome(self) -> OpenedNumber | None:
        return self.draft.opened

    def abandon_question(self) -> str | None:
        if self.draft.reservation is None:
            return None
        number = self.draft.reservation.number.number
        return f"放弃本次开户？已预占的号码 {number} 将立即释放。"

    def release(self) -> None:
        self.confirm.close_customer_view()
        r = self.draft.reservation
        if r is None or self.draft.opened is not None:
            return
        self.draft.reservation = None
        numbers, actor, number = self.env.app.numbers, self.env.actor, r.number.number
        self.env.ops.mutate(
            lambda: numbers.release_number(actor, number),
            lambda _r: log.info("wizard abandoned; reserved number released"),
            # the number is not logged: it may be a customer's from now on; a typed refusal
            # (e.g. offline) leaves it to lapse by itself
            lambda exc: log.warning("could not release a reserved number: %s", exc.message),
            changes=Changes.STOCK,
        )

"""The 购机 wizard: model and way to sell → IMEI → contract number or installment terms and
credit check (skipped outright) → customer confirmation → payment → done. The frame and the
last three pages are every wizard's (ui/wizard/). Nothing is held while the wizard is open
(the unit is claimed when the sale completes), so abandoning gives nothing back; it asks
first once a unit is scanned, the credit approved or the customer signed."""

from __future__ import annotations

import uuid

from PySide6.QtWidgets import QWidget

from hall_app.app import HallApp
from hall_app.domain.telecom import IMEI_FIELD
from hall_app.services.actor import Actor
from hall_app.services.handsets import CONFIRM_FIELD, HandsetSold
from ui import messages
from ui.handsets.draft import HandsetDraft
from ui.handsets.page_imei import ImeiPage
from ui.handsets.page_model import ModelPage
from ui.handsets.page_terms import TermsPage
from ui.handsets.pages_finish import (
    MODEL_FIELDS,
    TERMS_FIELDS,
    HandsetConfirmPage,
    HandsetDonePage,
    HandsetPaymentPage,
)
from ui.ops import Operations
from ui.wizard.base import WizardEnv, WizardPage
from ui.wizard.dialog import WizardDialog


class HandsetWizard(WizardDialog):
    def __init__(
        self,
        app: HallApp,
        actor: Actor,
        ops: Operations,
        customer_id: uuid.UUID,
        ticket_id: uuid.UUID | None = None,
        customer_name: str = "",
        parent: QWidget | None = None,
    ) -> None:
        draft = HandsetDraft(customer_id, ticket_id, customer_name=customer_name)
        super().__init__(WizardEnv(app, actor, ops, draft), parent)
        self.setObjectName("handsetWizard")
        self.setWindowTitle(f"购机 — {customer_name}" if customer_name else "购机")
        self.model = ModelPage(self.env)
        self.imei = ImeiPage(self.env)
        self.terms = TermsPage(self.env)
        self.confirm = HandsetConfirmPage(self.env, self._declined)
        self.payment = HandsetPaymentPage(self.env, self._refused_at)
        self.payment.on_enter_pressed = self.next
        self.finish = HandsetDonePage(self.env)
        self.set_pages(
            [self.model, self.imei, self.terms, self.confirm, self.payment, self.finish],
            self.payment,
            self.finish,
        )

    @property
    def draft(self) -> HandsetDraft:
        draft = self.env.draft
        assert isinstance(draft, HandsetDraft)
        return draft

    def go_to(self, page: WizardPage) -> None:
        """A sale outright has no contract or installment terms: that step is passed over,
        forwards and back."""
        if page is self.terms and self.terms.skipped():
            forwards = self.stack.currentWidget() is not self.confirm
            page = self.confirm if forwards else self.imei
        super().go_to(page)

    def _declined(self) -> None:
        """The customer rejected what they read: back to the terms (the model, outright)."""
        outright = self.terms.skipped()
        self.go_to(self.model if outright else self.terms)
        change = "机型或购买方式" if outright else "首付、期数或方案"
        messages.info(
            self,
            f"客户不同意本次购机的内容，未签名，未收取任何费用。请与客户调整{change}后，"
            "再请客户确认签名；客户放弃则取消办理。",
        )

    def _refused_at(self, field: str, message: str) -> bool:
        if field == IMEI_FIELD:
            self.go_to(self.imei)
            self.imei.unit_lost(message)
            return True
        if field in TERMS_FIELDS and not self.terms.skipped():
            self.go_to(self.terms)
            self.terms.credit_lost(message)
            return True
        if field in MODEL_FIELDS:  # the model or its offer withdrawn meanwhile
            self.draft.quote = None
            self.go_to(self.model)
            return True
        if field == CONFIRM_FIELD:  # what was signed is not what is sold: sign again
            self.draft.signature_png = None
            self.go_to(self.confirm)
            return True
        return False

    def outcome(self) -> HandsetSold | None:
        return self.draft.sold

    def abandon_question(self) -> str | None:
        """Once real work is done (a unit scanned, a supervisor's credit approval, the
        customer's signature) 取消 asks first, defaulting to 否; before it, it just closes."""
        d = self.draft
        done = []
        if d.device is not None:
            done.append(f"已扫描的终端 {d.device.imei}")
        if d.credit is not None and d.credit.approved_by:
            done.append("主管的信用审批")
        if d.signature_png is not None:
            done.append("客户的签名")
        if not done:
            return None
        return f"放弃本次购机？{'、'.join(done)}将作废，未收取任何费用。"

    def release(self) -> None:
        self.confirm.close_customer_view()

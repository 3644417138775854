"""The broadband/landline wizards: a new install (宽带/固话新装: address and coverage → plan
→ equipment → appointment → confirmation → payment → done) and a relocation (移机: the
subscription and its new address → appointment → confirmation → payment → done). The frame
and the last three pages are every wizard's (ui/wizard/). Abandoning gives the reserved
landline number back at once."""

from __future__ import annotations

import logging
import uuid

from PySide6.QtWidgets import QWidget

from hall_app.app import HallApp
from hall_app.services.actor import Actor
from hall_app.services.fixed_line import FixedInstalled
from ui.fixed_line.draft import FixedDraft
from ui.fixed_line.page_address import AddressPage
from ui.fixed_line.page_appointment import AppointmentPage
from ui.fixed_line.page_equipment import EquipmentPage
from ui.fixed_line.page_plan import PlanPage
from ui.fixed_line.page_relocation import RelocationPage
from ui.fixed_line.pages_finish import FixedConfirmPage, FixedDonePage, FixedPaymentPage
from ui.ops import Operations
from ui.wizard.base import WizardEnv
from ui.wizard.dialog import WizardDialog

log = logging.getLogger("hall.ui.fixed_line")


class _FixedWizard(WizardDialog):
    def __init__(
        self,
        app: HallApp,
        actor: Actor,
        ops: Operations,
        customer_id: uuid.UUID,
        ticket_id: uuid.UUID | None,
        customer_name: str,
        parent: QWidget | None,
    ) -> None:
        draft = FixedDraft(customer_id, ticket_id, customer_name=customer_name)
        super().__init__(WizardEnv(app, actor, ops, draft), parent)
        self.appointment = AppointmentPage(self.env)
        self.confirm = FixedConfirmPage(self.env)
        self.payment = FixedPaymentPage(self.env, self._slot_filled)
        self.payment.on_enter_pressed = self.next
        self.finish = FixedDonePage(self.env)

    @property
    def draft(self) -> FixedDraft:
        draft = self.env.draft
        assert isinstance(draft, FixedDraft)
        return draft

    def _slot_filled(self, message: str) -> None:
        self.go_to(self.appointment)
        self.appointment.offer_again(message)

    def outcome(self) -> FixedInstalled | None:
        return self.draft.installed

    def release(self) -> None:
        self.confirm.close_customer_view()


class FixedLineWizard(_FixedWizard):
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
        super().__init__(app, actor, ops, customer_id, ticket_id, customer_name, parent)
        self.setObjectName("fixedLineWizard")
        self.setWindowTitle("宽带/固话新装")
        self.address = AddressPage(self.env)
        self.plan = PlanPage(self.env)
        self.equipment = EquipmentPage(self.env)
        self.set_pages(
            [
                self.address,
                self.plan,
                self.equipment,
                self.appointment,
                self.confirm,
                self.payment,
                self.finish,
            ],
            self.payment,
            self.finish,
        )

    def abandon_question(self) -> str | None:
        if self.draft.landline is None:
            return None
        return f"放弃本次新装？已预占的固话号码 {self.draft.landline.display} 将立即释放。"

    def release(self) -> None:
        super().release()
        self.plan.release_number()


class RelocationWizard(_FixedWizard):
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
        super().__init__(app, actor, ops, customer_id, ticket_id, customer_name, parent)
        self.setObjectName("relocationWizard")
        self.setWindowTitle("宽带/固话移机")
        self.relocation = RelocationPage(self.env)
        self.set_pages(
            [self.relocation, self.appointment, self.confirm, self.payment, self.finish],
            self.payment,
            self.finish,
        )

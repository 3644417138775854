"""The broadband/landline wizards: a new install (宽带/固话新装: address and coverage → plan
→ equipment → appointment → confirmation → payment → done) and a relocation (移机: the
subscription and its new address → appointment → confirmation → payment → done). The frame
and the last three pages are every wizard's (ui/wizard/). Abandoning gives the reserved
landline number back at once."""

from __future__ import annotations

import uuid

from PySide6.QtWidgets import QWidget

from hall_app.app import HallApp
from hall_app.domain.slots import SLOT_FIELD
from hall_app.services.actor import Actor
from hall_app.services.fixed_line import SERIAL_FIELD, FixedInstalled
from ui.fixed_line.draft import FixedDraft
from ui.fixed_line.page_address import AddressPage
from ui.fixed_line.page_appointment import AppointmentPage
from ui.fixed_line.page_equipment import EquipmentPage
from ui.fixed_line.page_plan import PlanPage
from ui.fixed_line.page_relocation import RelocationPage
from ui.fixed_line.pages_finish import (
    LANDLINE_FIELD,
    FixedConfirmPage,
    FixedDonePage,
    FixedPaymentPage,
)
from ui.ops import Operations
from ui.wizard.base import WizardEnv
from ui.wizard.dialog import WizardDialog

# The queue's service type whose tickets (C, 宽带固话) lead to these wizards.
FIXED_SERVICE = "fixed"


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
        contact_name: str,
    ) -> None:
        draft = FixedDraft(
            customer_id,
            ticket_id,
            customer_name=customer_name,
            contact_name=contact_name or customer_name,
        )
        super().__init__(WizardEnv(app, actor, ops, draft), parent)
        self.appointment = AppointmentPage(self.env)
        self.confirm = FixedConfirmPage(self.env)
        self.payment = FixedPaymentPage(self.env, self._refused_at)
        self.payment.on_enter_pressed = self.next
        self.finish = FixedDonePage(self.env)

    @property
    def draft(self) -> FixedDraft:
        draft = self.env.draft
        assert isinstance(draft, FixedDraft)
        return draft

    def _refused_at(self, field: str, message: str) -> bool:
        """The order was refused for a choice made on an earlier page: back to it (whether
        this wizard has that page)."""
        if field == SLOT_FIELD:
            self.go_to(self.appointment)
            self.appointment.offer_again(message)
            return True
        return False

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
        contact_name: str = "",
    ) -> None:
        super().__init__(
            app, actor, ops, customer_id, ticket_id, customer_name, parent, contact_name
        )
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

    def _refused_at(self, field: str, message: str) -> bool:
        if field == LANDLINE_FIELD:
            self.draft.landline = None  # lapsed or taken: it is no longer this order's
            self.go_to(self.plan)
            self.plan.number_lost(message)
            return True
        if field == SERIAL_FIELD:
            self.go_to(self.equipment)
            self.equipment.gear_lost(message)
            return True
        return super()._refused_at(field, message)


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
        contact_name: str = "",
    ) -> None:
        super().__init__(
            app, actor, ops, customer_id, ticket_id, customer_name, parent, contact_name
        )
        self.setObjectName("relocationWizard")
        self.setWindowTitle("宽带/固话移机")
        self.relocation = RelocationPage(self.env)
        self.set_pages(
            [self.relocation, self.appointment, self.confirm, self.payment, self.finish],
            self.payment,
            self.finish,
        )

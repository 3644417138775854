"""The broadband/landline order being built (a new install or a relocation), and the pages'
base class that knows it."""

from __future__ import annotations

from dataclasses import dataclass, field

from hall_app.app import HallApp
from hall_app.domain.enums import EquipmentMode
from hall_app.domain.payments import PaymentInput
from hall_app.services.actor import Actor
from hall_app.services.fixed_line import (
    BundleView,
    CoverageAnswer,
    EquipmentChoice,
    EquipmentView,
    FixedInstalled,
    FixedInstallRequest,
    FixedPlanView,
    FixedQuote,
    LandlineView,
    RelocatableView,
    RelocateRequest,
)
from hall_app.services.installs import SlotView
from ui.wizard import base
from ui.wizard.base import DraftBase

WEEKDAYS = "一二三四五六日"
PROVISIONAL = "（暂按周一至周五计算）"


@dataclass
class Gear:
    """A scanned modem or router and how it goes to the customer."""

    view: EquipmentView
    mode: EquipmentMode


@dataclass
class FixedDraft(DraftBase):
    customer_name: str = ""
    coverage: CoverageAnswer | None = None
    broadband: FixedPlanView | None = None
    bundle: BundleView | None = None
    landline_plan: FixedPlanView | None = None
    landline: LandlineView | None = None  # the reserved number
    gear: dict[str, Gear] = field(default_factory=dict)  # "modem" / "router"
    slot: SlotView | None = None
    contact_name: str = ""  # who the installer calls: the customer's contact person at first
    contact_phone: str = ""
    quote: FixedQuote | None = None
    installed: FixedInstalled | None = None
    relocating: RelocatableView | None = None  # a relocation (移机) of this subscription

    @property
    def address(self) -> str:
        return self.coverage.address if self.coverage else ""

    def install_request(self, payments: tuple[PaymentInput, ...] = ()) -> FixedInstallRequest:
        assert self.slot is not None
        return FixedInstallRequest(
            customer_id=self.customer_id,
            address=self.address,
            slot_id=self.slot.slot_id,
            contact_name=self.contact_name,
            contact_phone=self.contact_phone,
            payments=payments,
            broadband_plan_code=self.broadband.code if self.broadband else None,
            bundle_code=self.bundle.code if self.bundle else None,
            bundled_with_id=self.bundle.mobile_subscription_id if self.bundle else None,
            landline_plan_code=self.landline_plan.code if self.landline_plan else None,
            landline_number=self.landline.number if self.landline_plan and self.landline else None,
            equipment=tuple(EquipmentChoice(g.view.serial, g.mode) for g in self.gear.values()),
            ticket_id=self.ticket_id,
            signature_png=self.signature_png,
            terms_text=self.quote.terms if self.quote else "",
        )

    def relocate_request(self, payments: tuple[PaymentInput, ...] = ()) -> RelocateRequest:
        assert self.slot is not None and self.relocating is not None
        return RelocateRequest(
            subscription_id=self.relocating.subscription_id,
            new_address=self.address,
            slot_id=self.slot.slot_id,
            contact_name=self.contact_name,
            contact_phone=self.contact_phone,
            payments=payments,
            ticket_id=self.ticket_id,
            signature_png=self.signature_png,
            terms_text=self.quote.terms if self.quote else "",
        )

    def price(self, app: HallApp, actor: Actor) -> FixedQuote:
        """The quote (a read): the relocation's or the new install's."""
        if self.relocating is not None:
            return app.fixed_line.quote_relocation(actor, self.relocate_request())
        return app.fixed_line.quote(actor, self.install_request())

    def complete(
        self, app: HallApp, actor: Actor, payments: tuple[PaymentInput, ...]
    ) -> FixedInstalled:
        """The order (a write): relocate or install."""
        if self.relocating is not None:
            return app.fixed_line.relocate(actor, self.relocate_request(payments))
        return app.fixed_line.install(actor, self.install_request(payments))


class FixedPage(base.WizardPage):
    @property
    def draft(self) -> FixedDraft:
        draft = self.env.draft
        assert isinstance(draft, FixedDraft)
        return draft

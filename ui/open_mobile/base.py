"""What the 开户 wizard's pages share: the order being built. The page contract and the
environment are every wizard's (ui/wizard/base.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from hall_app.domain.enums import FaceCheckMethod
from hall_app.services.actor import Actor
from hall_app.services.numbers import Reservation
from hall_app.services.orders import OpenContext, OpenedNumber, Quote, SimView
from ui.wizard import base
from ui.wizard.base import DraftBase, WizardEnv, error_label

__all__ = ["OrderDraft", "WizardEnv", "WizardPage", "error_label"]


@dataclass
class OrderDraft(DraftBase):
    """Everything chosen so far; the wizard turns it into an ``OpenMobileRequest``."""

    context: OpenContext | None = None
    face_check: FaceCheckMethod = FaceCheckMethod.DEVICE
    face_checked_by: str = ""
    guardian_id: uuid.UUID | None = None
    supervisor: Actor | None = None
    approval_id: uuid.UUID | None = None  # a remote approval (审批) instead of the supervisor
    reservation: Reservation | None = None
    plan_code: str = ""
    plan_name: str = ""
    addon_codes: tuple[str, ...] = ()
    quote: Quote | None = None
    sim: SimView | None = None
    opened: OpenedNumber | None = None
    scanned: list[str] = field(default_factory=list)


class WizardPage(base.WizardPage):
    """A page of the 开户 wizard: its draft is the mobile order's."""

    @property
    def draft(self) -> OrderDraft:
        draft = self.env.draft
        assert isinstance(draft, OrderDraft)
        return draft

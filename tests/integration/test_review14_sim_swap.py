"""Review of issue 14: a 补卡 lifts a loss report without the owner's ID.

Issue 14: "reinstatement (解挂) needs the owner's ID" — AccountChangeService.reinstate checks
the ID number against the owner (_owner_checked). sim_swap.py lifts the same loss report
(LOST -> ACTIVE) on a bare ``id_verified=True`` flag (a checkbox on the screen), with no card
read and no ID number checked: the 解挂 rule is bypassed through 补卡."""

from __future__ import annotations

import pytest

from hall_app.app import HallApp
from hall_app.db.models import Subscription
from hall_app.domain.enums import PaymentMethod, SubscriptionStatus, SuspendReason
from hall_app.domain.errors import ValidationError
from hall_app.domain.payments import PaymentInput
from hall_app.services.actor import Actor
from hall_app.services.sim_swap import SimSwapRequest
from tests.sim_cancel_helpers import SIGNED, mobile, new_sim, set_state


def test_review14_a_swap_lifting_a_loss_report_needs_the_owners_id(
    hall: HallApp, clerk: Actor
) -> None:
    sub = mobile(hall, clerk)
    set_state(hall, sub.id, SuspendReason.LOST)
    card = new_sim(hall, 41)
    quote = hall.sim_swaps.quote_sim_swap(clerk, sub.id, card)
    req = SimSwapRequest(
        subscription_id=sub.id,
        iccid=card,
        face_checked_by="HK-FR-200",
        id_verified=True,  # ticked; no card read, no ID number
        payments=(PaymentInput(PaymentMethod.CASH, quote.total_fen, tendered_fen=quote.total_fen),),
        signature_png=SIGNED,
        terms_text=quote.terms,
    )
    with pytest.raises(ValidationError):
        hall.sim_swaps.replace_sim(clerk, req)
    with hall.db.read() as s:
        assert s.get_one(Subscription, sub.id).status is SubscriptionStatus.SUSPENDED

"""补卡/换卡 at a standalone counter: the new card checked and taken, the old one DEACTIVATED in
the same order, the fee invoiced, a lost number resumed; refusals leave nothing half-saved."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from hall_app.app import HallApp
from hall_app.db.models import AuditEntry, Customer, Invoice, Order, Payment, SimCard, Subscription
from hall_app.domain.enums import (
    OrderType,
    PaymentMethod,
    SimStatus,
    SubscriptionStatus,
    SuspendReason,
)
from hall_app.domain.errors import NotFound, ValidationError
from hall_app.domain.payments import PaymentInput
from hall_app.services.actor import Actor
from hall_app.services.sim_swap import SimSwapRequest
from tests.sim_cancel_helpers import SIGNED, mobile, new_sim, set_state, sim_of, unpaid_bill

FEE = 1_000


def _request(
    hall: HallApp, clerk: Actor, sub_id, iccid: str, id_number: str = ""
) -> SimSwapRequest:  # type: ignore[no-untyped-def]
    quote = hall.sim_swaps.quote_sim_swap(clerk, sub_id, iccid)
    return SimSwapRequest(
        subscription_id=sub_id,
        iccid=iccid,
        face_checked_by="HK-FR-200",
        id_verified=True,
        payments=(PaymentInput(PaymentMethod.CASH, quote.total_fen, tendered_fen=5_000),),
        signature_png=SIGNED,
        terms_text=quote.terms,
        id_number=id_number,
    )


def _owner_id(hall: HallApp, sub_id) -> str:  # type: ignore[no-untyped-def]
    """The owner's ID number, as the clerk types it from the card shown (a 补卡 lifting a
    loss report needs it, like 解挂)."""
    with hall.db.read() as s:
        sub = s.get_one(Subscription, sub_id)
        return s.get_one(Customer, sub.customer_id).id_number or ""


def _orders(hall: HallApp) -> int:
    with hall.db.read() as s:
        return s.scalar(select(func.count()).select_from(Order)) or 0


def test_a_swap_moves_the_number_to_the_new_card(hall: HallApp, clerk: Actor) -> None:
    sub = mobile(hall, clerk)
    with hall.db.read() as s:
        old = s.get_one(SimCard, sub.sim_id).iccid
    new = new_sim(hall, 1)
    assert hall.sim_swaps.check_new_sim(clerk, new).iccid == new
    quote = hall.sim_swaps.quote_sim_swap(clerk, sub.id, new)
    assert quote.total_fen == FEE and [li.description for li in quote.lines] == ["补换卡费"]
    assert quote.old_iccid_masked == old[:6] + "*" * 10 + old[-4:] and not quote.resumes
    done = hall.sim_swaps.replace_sim(clerk, _request(hall, clerk, sub.id, new))
    assert done.total_fen == FEE and done.invoice_no is not None
    assert done.payments[0].change_fen == 4_000
    assert done.new_iccid_masked == new[:6] + "*" * 10 + new[-4:]
    assert sim_of(hall, old) is SimStatus.DEACTIVATED
    assert sim_of(hall, new) is SimStatus.ASSIGNED
    with hall.db.read() as s:
        after = s.get_one(Subscription, sub.id)
        new_id = s.scalar(select(SimCard.id).where(SimCard.iccid == new))
        assert after.sim_id == new_id and after.status is SubscriptionStatus.ACTIVE
        order = s.get_one(Order, done.order_id)
        assert order.order_type is OrderType.SIM_REPLACEMENT and order.total_fen == FEE
        assert order.customer_id == sub.customer_id
        details = dict(json.loads(order.details_json or "[]"))
        assert details["新卡 ICCID"] == done.new_iccid_masked
        invoice = s.scalars(select(Invoice).where(Invoice.order_id == done.order_id)).one()
        assert invoice.total_fen == FEE
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "order.sim_replacement")
        ).one()
        text = json.dumps(entry.after, ensure_ascii=False)
        assert new not in text and old not in text and sub.service_number not in text
        assert entry.after is not None and entry.after["after"]["sim_id"] == str(new_id)
        assert entry.after["before"]["sim_id"] == str(sub.sim_id)
    # The old card can never be used again, nor the new one for another number.
    with pytest.raises(ValidationError) as err:
        hall.sim_swaps.check_new_sim(clerk, old)
    assert err.value.field == "ICCID" and "已作废" in err.value.text
    with pytest.raises(ValidationError) as err:
        hall.sim_swaps.check_new_sim(clerk, new)
    assert "这张卡已使用" in err.value.text


def test_a_used_card_is_refused_and_nothing_is_saved(hall: HallApp, clerk: Actor) -> None:
    sub, other = mobile(hall, clerk), mobile(hall, clerk, skip=1)
    with hall.db.read() as s:
        used = s.get_one(SimCard, other.sim_id).iccid
    before = _orders(hall)
    req = _request(hall, clerk, sub.id, new_sim(hall, 2))
    with pytest.raises(ValidationError) as err:
        hall.sim_swaps.replace_sim(clerk, replace(req, iccid=used))
    assert err.value.field == "ICCID" and "这张卡已使用" in err.value.text
    assert _orders(hall) == before
    with hall.db.read() as s:
        assert s.get_one(Subscription, sub.id).sim_id == sub.sim_id
        assert (
            s.scalar(select(func.count()).select_from(Payment).where(Payment.order_id.is_(None)))
            == 0
        )
    assert sim_of(hall, used) is SimStatus.ASSIGNED


def test_the_owner_id_and_face_check_are_required(hall: HallApp, clerk: Actor) -> None:
    sub = mobile(hall, clerk)
    req = _request(hall, clerk, sub.id, new_sim(hall, 3))
    with pytest.raises(ValidationError) as err:
        hall.sim_swaps.replace_sim(clerk, replace(req, id_verified=False))
    assert err.value.field == "身份证"
    with pytest.raises(ValidationError) as err:
        hall.sim_swaps.replace_sim(clerk, replace(req, face_checked_by="  "))
    assert err.value.field == "人像比对"
    with pytest.raises(ValidationError) as err:  # signed terms must be what is sold
        hall.sim_swaps.replace_sim(clerk, replace(req, terms_text="别的条款"))
    assert err.value.field == "客户确认"
    with pytest.raises(NotFound):
        import uuid

        hall.sim_swaps.quote_sim_swap(clerk, uuid.uuid4(), req.iccid)


def test_a_swap_after_a_loss_report_resumes_the_number(hall: HallApp, clerk: Actor) -> None:
    sub = mobile(hall, clerk)
    set_state(hall, sub.id, SuspendReason.LOST)
    new = new_sim(hall, 4)
    quote = hall.sim_swaps.quote_sim_swap(clerk, sub.id, new)
    assert quote.resumes and "自动解除挂失" in quote.terms
    req = _request(hall, clerk, sub.id, new, _owner_id(hall, sub.id))
    done = hall.sim_swaps.replace_sim(clerk, req)
    assert done.status_text == "正常"
    with hall.db.read() as s:
        after = s.get_one(Subscription, sub.id)
        assert after.status is SubscriptionStatus.ACTIVE and after.suspend_reason is None


def test_a_lost_number_in_arrears_stays_suspended_for_arrears(hall: HallApp, clerk: Actor) -> None:
    sub = mobile(hall, clerk)
    set_state(hall, sub.id, SuspendReason.LOST)
    from datetime import timedelta

    from hall_app.clock import business_date

    unpaid_bill(hall, sub, 5_900, business_date(hall.clock()) - timedelta(days=20))
    new = new_sim(hall, 5)
    req = _request(hall, clerk, sub.id, new, _owner_id(hall, sub.id))
    done = hall.sim_swaps.replace_sim(clerk, req)
    assert done.status_text == "停机（欠费停机）"
    with hall.db.read() as s:
        after = s.get_one(Subscription, sub.id)
        assert after.status is SubscriptionStatus.SUSPENDED
        assert after.suspend_reason is SuspendReason.ARREARS


def test_a_cancelled_number_gets_no_card(hall: HallApp, clerk: Actor) -> None:
    sub = mobile(hall, clerk)
    new = new_sim(hall, 6)
    req = _request(hall, clerk, sub.id, new)
    from sqlalchemy import update

    with hall.db.unit_of_work() as s:
        s.execute(
            update(Subscription)
            .where(Subscription.id == sub.id)
            .values(status=SubscriptionStatus.CANCELLED)
        )
    with pytest.raises(ValidationError) as err:
        hall.sim_swaps.replace_sim(clerk, req)
    assert "不能办理补换卡" in err.value.text
    assert sim_of(hall, new) is SimStatus.IN_STOCK


def test_the_card_read_must_be_the_owners(hall: HallApp, clerk: Actor) -> None:
    from tests.gui.test_open_mobile_wizard import card_of

    sub, other = mobile(hall, clerk), mobile(hall, clerk, skip=1)
    own = card_of(hall, sub.customer_id)
    assert hall.sim_swaps.verify_owner(clerk, sub.id, own).startswith(own.name[0])
    if other.customer_id != sub.customer_id:
        stranger = card_of(hall, other.customer_id)
        with pytest.raises(ValidationError) as err:
            hall.sim_swaps.verify_owner(clerk, sub.id, stranger)
        assert err.value.field == "身份证" and "不是该号码机主" in err.value.text
        req = replace(_request(hall, clerk, sub.id, new_sim(hall, 7)), id_card=stranger)
        before = _orders(hall)
        with pytest.raises(ValidationError):
            hall.sim_swaps.replace_sim(clerk, req)
        assert _orders(hall) == before
    done = hall.sim_swaps.replace_sim(
        clerk, replace(_request(hall, clerk, sub.id, new_sim(hall, 8)), id_card=own)
    )
    assert done.order_no

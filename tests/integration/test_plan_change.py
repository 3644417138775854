"""套餐变更 and 增值业务 on the order pipeline: an upgrade at once or next month, a downgrade next
month only, a downgrade inside a lock-in (refused; with a contract phone's clawback; with the
penalty), a pending change replaced, and value-added services subscribed and ended."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from hall_app.app import HallApp
from hall_app.db.models import (
    AuditEntry,
    HandsetCommitment,
    Order,
    OrderLine,
    Payment,
    QueueTicket,
    Subscription,
    SubscriptionAddon,
)
from hall_app.domain.enums import ContractStatus, OrderType, PaymentMethod, SubscriptionStatus
from hall_app.domain.errors import HallError, ValidationError
from hall_app.domain.handsets import clawback
from hall_app.domain.payments import PaymentInput
from hall_app.services.actor import Actor
from hall_app.services.plan_change import ChangeDone, PlanChangeRequest, VasRequest
from tests.handset_fixtures import SIGNED
from tests.plan_helpers import TODAY, contract_number, mobile_number, plan_id, set_upgrade_effect

NEXT_MONTH = date(2026, 12, 1)


def _sub(hall: HallApp, sub_id: uuid.UUID) -> Subscription:
    with hall.db.read() as s:
        sub = s.get_one(Subscription, sub_id)
        s.expunge(sub)
        return sub


def _change(
    hall: HallApp,
    clerk: Actor,
    sub_id: uuid.UUID,
    code: str,
    *,
    pay: bool = False,
    ticket_id: uuid.UUID | None = None,
) -> ChangeDone:
    product = plan_id(hall, code)
    quote = hall.plan_changes.quote_plan_change(clerk, sub_id, product, pay_penalty=pay)
    payments = (
        (PaymentInput(PaymentMethod.CASH, quote.total_fen, tendered_fen=quote.total_fen),)
        if quote.total_fen
        else ()
    )
    return hall.plan_changes.change_plan(
        clerk,
        PlanChangeRequest(
            sub_id,
            product,
            payments,
            pay,
            SIGNED,
            quote.terms_text,
            ticket_id,
        ),
    )


def _orders(hall: HallApp, order_type: OrderType) -> int:
    with hall.db.read() as s:
        return s.scalar(select(func.count()).where(Order.order_type == order_type)) or 0


def test_an_immediate_upgrade_changes_the_plan_today_with_no_fee(
    hall: HallApp, clerk: Actor
) -> None:
    n = mobile_number(hall, "5G059")
    options = hall.plan_changes.plan_options(clerk, n.subscription_id)
    up = next(o for o in options.plans if o.code == "5G129")
    assert (up.direction, up.effect, up.effective_on, up.penalty_fen, up.allowed) == (
        "upgrade",
        "immediate",
        TODAY,
        0,
        True,
    )
    assert options.current.name.startswith("5G 畅享 59")
    done = _change(hall, clerk, n.subscription_id, "5G129")
    sub = _sub(hall, n.subscription_id)
    assert sub.product_id == plan_id(hall, "5G129") and sub.next_product_id is None
    assert done.effective_on == TODAY and done.total_fen == 0
    with hall.db.read() as s:
        order = s.get_one(Order, done.order_id)
        assert order.order_type is OrderType.PLAN_CHANGE
        assert s.scalar(select(func.count()).where(Payment.order_id == order.id)) == 0
        assert "自 2026-11-24 起生效" in order.terms_text
        details = dict(json.loads(order.details_json or "[]"))
        assert details["生效日期"] == "2026-11-24" and "升档" in details["变更类型"]
        audit = s.scalars(select(AuditEntry).where(AuditEntry.entity_id == str(order.id))).one()
        text = json.dumps(audit.after, ensure_ascii=False)
        assert "****" in text and str(plan_id(hall, "5G129")) in text


def test_an_upgrade_to_a_next_month_plan_waits_and_a_newer_change_replaces_it(
    hall: HallApp, clerk: Actor
) -> None:
    set_upgrade_effect(hall, "5G199", "next_month")
    n = mobile_number(hall, "5G059")
    _change(hall, clerk, n.subscription_id, "5G199")
    sub = _sub(hall, n.subscription_id)
    assert sub.product_id == plan_id(hall, "5G059")
    assert (sub.next_product_id, sub.next_product_from) == (plan_id(hall, "5G199"), NEXT_MONTH)
    # the same pending change again is refused; another one replaces it
    with pytest.raises(ValidationError, match="已预约"):
        _change(hall, clerk, n.subscription_id, "5G199")
    _change(hall, clerk, n.subscription_id, "5G029")  # a downgrade: next month too
    sub = _sub(hall, n.subscription_id)
    assert sub.next_product_id == plan_id(hall, "5G029")
    # an immediate upgrade clears a pending one
    _change(hall, clerk, n.subscription_id, "5G129")
    sub = _sub(hall, n.subscription_id)
    assert sub.product_id == plan_id(hall, "5G129") and sub.next_product_id is None


def test_a_downgrade_outside_a_lock_in_takes_effect_next_month(hall: HallApp, clerk: Actor) -> None:
    n = mobile_number(hall, "5G129", lock_in_until=date(2026, 11, 23))  # ended yesterday
    _change(hall, clerk, n.subscription_id, "5G029")
    sub = _sub(hall, n.subscription_id)
    assert sub.product_id == plan_id(hall, "5G129")
    assert (sub.next_product_id, sub.next_product_from) == (plan_id(hall, "5G029"), NEXT_MONTH)


def test_the_heading_names_a_lock_in_only_while_it_runs(hall: HallApp, clerk: Actor) -> None:
    ended = mobile_number(hall, "5G129", lock_in_until=date(2020, 11, 3))
    running = mobile_number(hall, "5G129", lock_in_until=date(2027, 5, 31), skip=1)
    options = hall.plan_changes.plan_options(clerk, ended.subscription_id)
    assert options.current.lock_in_until is None and options.refusal == ""
    current = hall.plan_changes.plan_options(clerk, running.subscription_id).current
    assert current.lock_in_until == date(2027, 5, 31)


def test_a_downgrade_inside_a_lock_in_is_refused_unless_the_penalty_is_paid(
    hall: HallApp, clerk: Actor
) -> None:
    n = mobile_number(hall, "5G129", lock_in_until=date(2027, 5, 31))
    option = next(
        o
        for o in hall.plan_changes.plan_options(clerk, n.subscription_id).plans
        if o.code == "5G029"
    )
    penalty = hall.settings.rules.downgrade_penalty_fen
    assert (option.direction, option.penalty_fen, option.clawback_fen) == ("downgrade", penalty, 0)
    assert "违约金" in option.reason and "2027-05-31" in option.reason
    before = _orders(hall, OrderType.PLAN_CHANGE)
    with pytest.raises(ValidationError, match="须支付违约金") as refused:
        _change(hall, clerk, n.subscription_id, "5G029")
    assert refused.value.field == "违约金"
    assert _orders(hall, OrderType.PLAN_CHANGE) == before
    assert _sub(hall, n.subscription_id).next_product_id is None

    done = _change(hall, clerk, n.subscription_id, "5G029", pay=True)
    assert done.total_fen == penalty and done.invoice_no
    sub = _sub(hall, n.subscription_id)
    assert sub.next_product_id == plan_id(hall, "5G029") and sub.lock_in_until is None
    with hall.db.read() as s:
        line = s.scalars(select(OrderLine).where(OrderLine.order_id == done.order_id)).one()
        assert line.amount_fen == penalty and line.invoiceable and line.vat_category_id
        paid = s.scalar(
            select(func.sum(Payment.amount_fen)).where(Payment.order_id == line.order_id)
        )
        assert paid == penalty


def test_a_downgrade_below_a_contract_phones_minimum_costs_its_clawback(
    hall: HallApp, clerk: Actor
) -> None:
    n, c = contract_number(hall, "5G399")
    target = "5G029" if c.min_plan_fen > 2900 else "KID019"
    owed = clawback(c.subsidy_fen, c.months, c.starts_on, TODAY).amount_fen
    option = next(
        o
        for o in hall.plan_changes.plan_options(clerk, n.subscription_id).plans
        if o.code == target
    )
    assert option.penalty_fen == option.clawback_fen == owed > 0
    assert "购机优惠" in option.reason
    with pytest.raises(ValidationError, match="购机优惠"):
        _change(hall, clerk, n.subscription_id, target)
    done = _change(hall, clerk, n.subscription_id, target, pay=True)
    assert done.total_fen == owed
    with hall.db.read() as s:
        row = s.get_one(HandsetCommitment, c.id)
        assert row.status is ContractStatus.TERMINATED and row.clawback_fen == owed
        order = s.get_one(Order, done.order_id)
        assert "合约购机" in order.terms_text


def test_refusals_same_plan_wrong_kind_and_a_suspended_number(hall: HallApp, clerk: Actor) -> None:
    n = mobile_number(hall, "5G059")
    with pytest.raises(ValidationError, match="当前套餐"):
        _change(hall, clerk, n.subscription_id, "5G059")
    with pytest.raises(ValidationError, match="不是"):
        hall.plan_changes.quote_plan_change(clerk, n.subscription_id, plan_id(hall, "VAS_RING"))
    with hall.db.unit_of_work() as s:
        s.get_one(Subscription, n.subscription_id).status = SubscriptionStatus.SUSPENDED
    with pytest.raises(ValidationError, match="不能办理套餐变更"):
        _change(hall, clerk, n.subscription_id, "5G129")
    # the page asks up front: the options say the state refuses any change
    assert "不能办理套餐变更" in hall.plan_changes.plan_options(clerk, n.subscription_id).refusal


def test_the_signed_terms_must_be_the_terms_sold(hall: HallApp, clerk: Actor) -> None:
    n = mobile_number(hall, "5G059")
    with pytest.raises(ValidationError, match="签字确认"):
        hall.plan_changes.change_plan(
            clerk,
            PlanChangeRequest(
                n.subscription_id, plan_id(hall, "5G129"), (), False, SIGNED, "别的条款"
            ),
        )
    assert _sub(hall, n.subscription_id).product_id == plan_id(hall, "5G059")


def _vas(hall: HallApp, clerk: Actor, sub_id: uuid.UUID, code: str, subscribe: bool) -> ChangeDone:
    req = VasRequest(sub_id, plan_id(hall, code), SIGNED)
    terms = hall.plan_changes.vas_terms(clerk, req, subscribe=subscribe)
    req = VasRequest(req.subscription_id, req.product_id, SIGNED, terms)
    service = hall.plan_changes
    return (service.subscribe_vas if subscribe else service.unsubscribe_vas)(clerk, req)


def test_value_added_subscribe_list_and_unsubscribe_at_month_end(
    hall: HallApp, clerk: Actor
) -> None:
    n = mobile_number(hall, "5G059", skip=3)
    before = {v.code: v for v in hall.plan_changes.value_added(clerk, n.subscription_id)}
    assert not before["VAS_RING"].active
    done = _vas(hall, clerk, n.subscription_id, "VAS_RING", True)
    assert done.total_fen == 0
    ring = {v.code: v for v in hall.plan_changes.value_added(clerk, n.subscription_id)}["VAS_RING"]
    assert ring.active and ring.active_from == TODAY and ring.active_to is None
    with pytest.raises(ValidationError, match="无需重复订购"):
        _vas(hall, clerk, n.subscription_id, "VAS_RING", True)
    with pytest.raises(ValidationError, match="未订购"):
        _vas(hall, clerk, n.subscription_id, "VAS_CID", False)
    with pytest.raises(ValidationError, match="不是增值业务"):
        _vas(hall, clerk, n.subscription_id, "5G129", True)

    _vas(hall, clerk, n.subscription_id, "VAS_RING", False)
    ring = {v.code: v for v in hall.plan_changes.value_added(clerk, n.subscription_id)}["VAS_RING"]
    assert not ring.active and ring.active_to == date(2026, 11, 30)
    with pytest.raises(ValidationError, match="已退订"):
        _vas(hall, clerk, n.subscription_id, "VAS_RING", False)
    # subscribing again before the month ends keeps the same row running
    _vas(hall, clerk, n.subscription_id, "VAS_RING", True)
    with hall.db.read() as s:
        rows = s.scalars(
            select(SubscriptionAddon).where(SubscriptionAddon.subscription_id == n.subscription_id)
        ).all()
        assert [(r.active_from, r.active_to) for r in rows] == [(TODAY, None)]
        types = s.scalars(
            select(Order.order_type)
            .where(Order.customer_id == n.customer_id)
            .order_by(Order.order_no)
        ).all()
        assert types[-3:] == [
            OrderType.ADD_VALUE_ADDED,
            OrderType.REMOVE_VALUE_ADDED,
            OrderType.ADD_VALUE_ADDED,
        ]


def test_value_added_on_a_suspended_number_is_refused(hall: HallApp, clerk: Actor) -> None:
    n = mobile_number(hall, "5G059", skip=4)
    with hall.db.unit_of_work() as s:
        s.get_one(Subscription, n.subscription_id).status = SubscriptionStatus.SUSPENDED
    with pytest.raises(HallError, match="不能办理增值业务"):
        _vas(hall, clerk, n.subscription_id, "VAS_RING", True)
    assert "不能办理增值业务" in hall.plan_changes.vas_refusal(clerk, n.subscription_id)


def test_the_change_belongs_to_the_visit(hall: HallApp, clerk: Actor) -> None:
    n = mobile_number(hall, "5G059", skip=6)
    ticket = hall.queue.issue_ticket(clerk, "billing")
    done = _change(hall, clerk, n.subscription_id, "5G129", ticket_id=ticket.id)
    with hall.db.read() as s:
        assert s.get_one(Order, done.order_id).ticket_id == ticket.id
        assert s.get_one(QueueTicket, ticket.id).customer_id == n.customer_id

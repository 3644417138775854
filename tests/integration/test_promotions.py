"""A promotion shown is a promotion applied and stated (issue 10, defect 3): the plan page's
promotion is what the quote, the order, the payment, the invoice, the signed terms and the
printed documents all say."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from hall_app.app import HallApp
from hall_app.db.models import (
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    Payment,
    Product,
    Promotion,
    Subscription,
)
from hall_app.domain.enums import PaymentMethod
from hall_app.domain.errors import ValidationError
from hall_app.domain.payments import PaymentInput
from hall_app.services.actor import Actor
from hall_app.services.documents import DocumentKind
from tests.integration.test_documents import _text
from tests.integration.test_open_mobile import _request

NEW5G = "新入网 5G 套餐前 6 个月半价"
PROMISE = "第 1–6 个月月费 ¥64.50，第 7 个月起 ¥129.00"


def _open_as_quoted(hall: HallApp, clerk: Actor, plan_code: str = "5G129"):  # type: ignore[no-untyped-def]
    req = replace(_request(hall, clerk), plan_code=plan_code)
    quote = hall.orders.quote(clerk, req.number, req.plan_code, req.addon_codes)
    req = replace(
        req,
        payments=(PaymentInput(PaymentMethod.CASH, quote.total_fen, 20_000),),
        terms_text=quote.terms,
    )
    return req, quote, hall.orders.open_mobile_number(clerk, req)


def test_what_is_shown_is_quoted_charged_paid_and_invoiced(hall: HallApp, clerk: Actor) -> None:
    plans = {p.code: p for p in hall.catalog.list_plans(clerk)}
    (shown,) = plans["5G129"].promotions
    assert (shown.name, shown.monthly_fen, shown.months) == (NEW5G, 6_450, 6)

    _, quote, done = _open_as_quoted(hall, clerk)
    assert [(x.description, x.amount_fen, x.discount) for x in quote.lines] == [
        ("5G 畅享 129 元套餐 首月月租", 12_900, False),
        (f"优惠：{NEW5G}", -6_450, True),
        ("视频彩铃 首月", 500, False),
    ]
    assert quote.promotion is not None and quote.promotion.code == "NEW5G"
    assert quote.total_fen == done.total_fen == 6_950
    assert done.lines == quote.lines
    assert done.invoice_total_fen == quote.invoice_amount_fen + quote.tax_fen == 6_950
    assert done.invoice_tax_fen == quote.tax_fen
    with hall.db.read() as s:
        order = s.get_one(Order, done.order_id)
        paid = sum(
            p.amount_fen for p in s.scalars(select(Payment).where(Payment.order_id == order.id))
        )
        invoice = s.scalars(select(Invoice).where(Invoice.order_id == order.id)).one()
        assert order.total_fen == paid == invoice.total_fen == quote.total_fen
        lines = s.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)).all()
        plan_line = next(x for x in lines if x.item_name == "*电信服务*基础电信服务")
        # the discount reduces the plan's invoice line; VAT on the ¥64.50 charged
        assert (plan_line.amount_fen, plan_line.tax_fen) == (5_917, 533)
        promo_id = s.scalars(select(Promotion.id).where(Promotion.code == "NEW5G")).one()
        discount = s.scalars(
            select(OrderLine).where(OrderLine.order_id == order.id, OrderLine.amount_fen < 0)
        ).one()
        assert discount.promotion_id == promo_id and discount.description == f"优惠：{NEW5G}"
        sub = s.get_one(Subscription, done.subscription_id)
        assert sub.promotion_id == promo_id
        assert sub.promotion_until == date(2027, 5, 23)  # six months from 2026-11-24
        assert PROMISE in order.terms_text and NEW5G in order.terms_text


def test_the_signed_terms_state_the_promotion(hall: HallApp, clerk: Actor) -> None:
    req = _request(hall, clerk)
    terms = hall.orders.quote(clerk, req.number, req.plan_code, req.addon_codes).terms
    assert f"参加优惠活动“{NEW5G}”：{PROMISE}" in terms
    assert "首月优惠 ¥64.50 已在本次费用中扣减" in terms
    plain = hall.orders.quote(clerk, req.number, "5G099", req.addon_codes)
    assert "优惠" not in plain.terms and plain.promotion is None
    assert plain.total_fen == 9_900 + 500


def test_a_promotion_out_of_its_dates_is_neither_shown_nor_applied(
    hall: HallApp, clerk: Actor
) -> None:
    with hall.db.unit_of_work() as s:
        s.execute(
            update(Promotion)
            .where(Promotion.code == "NEW5G")
            .values(valid_to=date(2026, 11, 24) - timedelta(days=1))
        )
    plans = {p.code: p for p in hall.catalog.list_plans(clerk)}
    assert plans["5G129"].promotions == ()
    req = _request(hall, clerk)
    quote = hall.orders.quote(clerk, req.number, req.plan_code, req.addon_codes)
    assert quote.total_fen == 12_900 + 500 and quote.promotion is None
    assert "优惠" not in quote.terms


def test_a_contract_phone_subsidy_is_never_applied_to_a_plan(hall: HallApp, clerk: Actor) -> None:
    with hall.db.unit_of_work() as s:
        plan_id = s.scalars(select(Product.id).where(Product.code == "5G099")).one()
        s.execute(
            update(Promotion).where(Promotion.code == "CONTRACT24").values(product_id=plan_id)
        )
    plans = {p.code: p for p in hall.catalog.list_plans(clerk)}
    assert plans["5G099"].promotions == ()  # a handset's promotion, not shown with the plan
    _, quote, done = _open_as_quoted(hall, clerk, "5G099")
    assert quote.promotion is None and done.total_fen == 9_900 + 500


def test_the_documents_show_the_discount(hall: HallApp, clerk: Actor, tmp_path: Path) -> None:
    _, _, done = _open_as_quoted(hall, clerk)
    printed = hall.documents.print_document
    form = _text(printed(clerk, done.order_id, DocumentKind.ACCEPTANCE_FORM).pdf, tmp_path, "f")
    assert f"优惠：{NEW5G}" in form and "-¥64.50" in form and "前 6 个月每月减 ¥64.50" in form
    assert "¥129.00" in form and "¥69.50" in form and "陆拾玖元伍角整" in form
    flat = "".join(form.split())  # the terms wrap on the form
    assert "".join(f"参加优惠活动“{NEW5G}”：{PROMISE}".split()) in flat
    receipt = _text(printed(clerk, done.order_id, DocumentKind.RECEIPT).pdf, tmp_path, "r")
    assert "-¥64.50" in receipt and "¥69.50" in receipt and "陆拾玖元伍角整" in receipt
    invoice = _text(printed(clerk, done.order_id, DocumentKind.INVOICE).pdf, tmp_path, "i")
    assert "59.17" in invoice and "5.33" in invoice  # the plan's line, on what is charged
    assert "129.00" not in invoice and "陆拾玖元伍角整" in invoice


def test_a_promotion_ended_after_the_customer_signed_asks_for_a_new_signature(
    hall: HallApp, clerk: Actor
) -> None:
    req = _request(hall, clerk)
    signed = hall.orders.quote(clerk, req.number, req.plan_code, req.addon_codes)
    assert NEW5G in signed.terms
    with hall.db.unit_of_work() as s:  # ended centrally while the customer was signing
        s.execute(update(Promotion).where(Promotion.code == "NEW5G").values(active=False))
    with hall.db.read() as s:
        orders_before = s.scalars(select(Order.id)).all()
    paid_as_signed = replace(
        req,
        payments=(PaymentInput(PaymentMethod.CASH, signed.total_fen, 20_000),),
        terms_text=signed.terms,
    )
    with pytest.raises(ValidationError) as err:
        hall.orders.open_mobile_number(clerk, paid_as_signed)
    assert err.value.field == "客户确认"  # not merely a payment that no longer adds up
    with hall.db.read() as s:
        assert s.scalars(select(Order.id)).all() == orders_before
    again = hall.orders.quote(clerk, req.number, req.plan_code, req.addon_codes)
    assert again.total_fen == 13_400 and "优惠" not in again.terms

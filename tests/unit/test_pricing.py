"""Pricing a new number: the plan's promotion applied on the order date, shown as its own line,
netted into the invoice, and stated in the terms."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from hall_app.domain.money import split_tax
from hall_app.domain.pricing import (
    Item,
    LineKind,
    Offer,
    Tier,
    VatClass,
    add_months,
    offer_applies_to_plan,
    price_open_mobile,
    promotion_last_day,
)
from hall_app.domain.terms import open_mobile_terms
from hall_app.services.orders import terms_clauses

SETTINGS = settings(max_examples=200, deadline=None, database=None)
BASIC = VatClass(uuid.uuid4(), "*电信服务*基础电信服务", Decimal("0.09"))
VALUE_ADDED = VatClass(uuid.uuid4(), "*电信服务*增值电信服务", Decimal("0.06"))
PLAN = Item(uuid.uuid4(), "5G 畅享 129 元套餐", 12_900, BASIC, 12)
RING = Item(uuid.uuid4(), "视频彩铃", 500, VALUE_ADDED)
CLAUSES = terms_clauses("open_mobile")
TODAY = date(2026, 11, 24)
NEW5G = Offer(
    id=uuid.uuid4(),
    code="NEW5G",
    name="新入网 5G 套餐前 6 个月半价",
    product_id=PLAN.product_id,
    monthly_discount_fen=6_450,
    discount_months=6,
    valid_from=date(2026, 1, 1),
    valid_to=None,
)
CONTRACT24 = Offer(
    id=uuid.uuid4(),
    code="CONTRACT24",
    name="合约购机 24 个月每月返 50 元",
    product_id=PLAN.product_id,  # even if someone links it to the plan: it is a handset's
    monthly_discount_fen=5_000,
    discount_months=24,
    valid_from=date(2026, 1, 1),
    valid_to=None,
    subsidy_fen=120_000,
    commitment_months=24,
)


def test_the_plan_promotion_is_its_own_line_and_the_invoice_nets_it() -> None:
    pricing = price_open_mobile(PLAN, [RING], None, [NEW5G], TODAY)
    assert [(line.kind, line.description, line.amount_fen) for line in pricing.lines] == [
        (LineKind.CHARGE, "5G 畅享 129 元套餐 首月月租", 12_900),
        (LineKind.DISCOUNT, "优惠：新入网 5G 套餐前 6 个月半价", -6_450),
        (LineKind.CHARGE, "视频彩铃 首月", 500),
    ]
    assert pricing.lines[1].promotion_id == NEW5G.id
    assert pricing.total_fen == 6_950
    plan_item, ring_item = pricing.invoice_items
    # 64.50 at 9%: 59.17 + 5.33 (not the 129.00 and -64.50 split apart: 59.18 + 5.32)
    assert (plan_item.label, plan_item.total_fen) == ("*电信服务*基础电信服务", 6_450)
    assert (plan_item.amount_fen, plan_item.tax_fen) == (5_917, 533)
    assert (ring_item.total_fen, ring_item.amount_fen, ring_item.tax_fen) == (500, 472, 28)
    assert pricing.invoice_total_fen == pricing.total_fen == 6_950
    assert pricing.tax_fen == 533 + 28
    promotion = pricing.promotion
    assert promotion is not None
    assert (promotion.code, promotion.months) == ("NEW5G", 6)
    assert (promotion.discounted_fen, promotion.regular_fen, promotion.discount_fen) == (
        6_450,
        12_900,
        6_450,
    )


def test_a_promotion_applies_only_on_its_dates_and_its_plan() -> None:
    ended = Offer(**{**NEW5G.__dict__, "valid_to": date(2026, 11, 23)})
    future = Offer(**{**NEW5G.__dict__, "valid_from": date(2026, 11, 25)})
    inactive = Offer(**{**NEW5G.__dict__, "active": False})
    other_plan = Offer(**{**NEW5G.__dict__, "product_id": uuid.uuid4()})
    last_day = Offer(**{**NEW5G.__dict__, "valid_to": TODAY})
    for offer in (ended, future, inactive, other_plan, CONTRACT24):
        assert not offer_applies_to_plan(offer, PLAN.product_id, TODAY)
        pricing = price_open_mobile(PLAN, [], None, [offer], TODAY)
        assert pricing.promotion is None and pricing.total_fen == 12_900
        assert [line.kind for line in pricing.lines] == [LineKind.CHARGE]
    assert offer_applies_to_plan(NEW5G, PLAN.product_id, date(2026, 1, 1))
    assert price_open_mobile(PLAN, [], None, [last_day], TODAY).total_fen == 6_450


def test_of_two_valid_promotions_the_customer_gets_the_better_one() -> None:
    small = Offer(**{**NEW5G.__dict__, "id": uuid.uuid4(), "code": "A", "discount_months": 2})
    pricing = price_open_mobile(PLAN, [], None, [small, NEW5G], TODAY)
    assert pricing.promotion is not None and pricing.promotion.code == "NEW5G"
    assert [x.kind for x in pricing.lines].count(LineKind.DISCOUNT) == 1


def test_a_discount_larger_than_the_fee_makes_it_free_and_uninvoiced() -> None:
    free = Offer(**{**NEW5G.__dict__, "monthly_discount_fen": 99_999})
    pricing = price_open_mobile(PLAN, [RING], None, [free], TODAY)
    assert pricing.lines[1].amount_fen == -12_900
    assert pricing.total_fen == 500
    assert [x.total_fen for x in pricing.invoice_items] == [500]  # no ¥0.00 plan line
    promotion = pricing.promotion
    assert promotion is not None and promotion.discounted_fen == 0


def test_the_prepayment_is_not_invoiced_nor_discounted() -> None:
    tier = Tier("三级靓号", 50_000, 12_900, 24)
    pricing = price_open_mobile(PLAN, [], tier, [NEW5G], TODAY)
    assert pricing.lines[0].kind is LineKind.PREPAYMENT and not pricing.lines[0].invoiceable
    assert pricing.total_fen == 50_000 + 6_450 and pricing.prepaid_fen == 50_000
    assert pricing.invoice_total_fen == 6_450
    assert (pricing.lock_in_months, pricing.min_monthly_fen) == (24, 12_900)


def test_the_terms_state_the_promotion_and_the_fee_after_it() -> None:
    pricing = price_open_mobile(PLAN, [RING], None, [NEW5G], TODAY)
    terms = open_mobile_terms(
        "18912345678", PLAN.name, PLAN.monthly_fen, pricing, ["视频彩铃"], CLAUSES
    )
    lines = terms.splitlines()
    assert lines[1] == (
        "2. 参加优惠活动“新入网 5G 套餐前 6 个月半价”：第 1–6 个月月费 ¥64.50，"
        "第 7 个月起 ¥129.00；首月优惠 ¥64.50 已在本次费用中扣减。"
    )
    assert lines[2].startswith("3. 同时开通增值业务：视频彩铃")
    assert lines[3].startswith("4. 在网期限 12 个月")
    assert [int(line.split(".")[0]) for line in lines] == list(range(1, len(lines) + 1))
    one = Offer(**{**NEW5G.__dict__, "discount_months": 1})
    single = open_mobile_terms(
        "18912345678",
        PLAN.name,
        12_900,
        price_open_mobile(PLAN, [], None, [one], TODAY),
        [],
        CLAUSES,
    )
    assert "第 1 个月月费 ¥64.50，第 2 个月起 ¥129.00" in single
    plain = open_mobile_terms(
        "18912345678",
        PLAN.name,
        12_900,
        price_open_mobile(PLAN, [], None, [], TODAY),
        [],
        CLAUSES,
    )
    assert "优惠" not in plain and "189****5678" in plain


def test_the_discounted_months_end_a_day_before_the_same_day_later() -> None:
    assert promotion_last_day(date(2026, 11, 24), 6) == date(2027, 5, 23)
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert promotion_last_day(date(2026, 8, 31), 6) == date(2027, 2, 27)
    assert add_months(date(2027, 12, 15), 1) == date(2028, 1, 15)


fees = st.integers(min_value=0, max_value=10_000_00)
rates = st.sampled_from([Decimal("0"), Decimal("0.06"), Decimal("0.09"), Decimal("0.13")])


@SETTINGS
@given(
    plan_fee=fees,
    plan_rate=rates,
    addons=st.lists(st.tuples(fees, rates), max_size=4),
    discount=st.integers(min_value=1, max_value=20_000_00),
    months=st.integers(min_value=1, max_value=36),
    prepayment=st.integers(min_value=0, max_value=5_000_00),
    promoted=st.booleans(),
)
def test_charged_is_the_sum_of_the_lines_and_the_vat_split_is_exact(
    plan_fee: int,
    plan_rate: Decimal,
    addons: list[tuple[int, Decimal]],
    discount: int,
    months: int,
    prepayment: int,
    promoted: bool,
) -> None:
    plan = Item(uuid.uuid4(), "套餐", plan_fee, VatClass(uuid.uuid4(), "*a*b", plan_rate))
    items = [
        Item(uuid.uuid4(), f"业务{i}", fee, VatClass(uuid.uuid4(), "*a*c", rate))
        for i, (fee, rate) in enumerate(addons)
    ]
    offer = Offer(
        **{
            **NEW5G.__dict__,
            "product_id": plan.product_id,
            "monthly_discount_fen": discount,
            "discount_months": months,
        }
    )
    tier = Tier("靓号", prepayment, 0, 0) if prepayment else None
    pricing = price_open_mobile(plan, items, tier, [offer] if promoted else [], TODAY)

    assert pricing.total_fen == sum(line.amount_fen for line in pricing.lines)
    assert pricing.total_fen >= 0
    # Everything charged is either prepaid (receipt) or invoiced, to the fen.
    assert pricing.total_fen == pricing.prepaid_fen + pricing.invoice_total_fen
    for item in pricing.invoice_items:
        assert item.total_fen > 0
        assert item.amount_fen + item.tax_fen == item.total_fen
        assert split_tax(item.total_fen, item.rate).amount_fen == item.amount_fen
    assert pricing.invoice_amount_fen + pricing.tax_fen == pricing.invoice_total_fen
    discounts = [line for line in pricing.lines if line.kind is LineKind.DISCOUNT]
    if promoted and plan_fee > 0:
        assert pricing.promotion is not None
        assert [-d.amount_fen for d in discounts] == [min(discount, plan_fee)]
        assert pricing.promotion.discounted_fen == plan_fee - min(discount, plan_fee)
        assert pricing.promotion.months == months
    else:  # nothing to discount on a free plan
        assert not discounts and pricing.promotion is None


def _fixed_item(name: str, fen: int, rate: str = "0.09", lock: int = 12) -> Item:
    return Item(
        uuid.uuid4(),
        name,
        fen,
        VatClass(uuid.uuid4(), "*电信服务*基础电信服务", Decimal(rate)),
        lock,
    )


def test_fixed_install_nets_a_promotion_off_the_monthly_fee_only() -> None:
    from hall_app.domain.pricing import FixedPlan, Gear, LineKind, price_fixed_install

    plan = _fixed_item("500M 光宽带", 12_000)
    offer = Offer(
        uuid.uuid4(),
        "BBHALF",
        "新装宽带首年 8 折",
        plan.product_id,
        2_400,
        12,
        date(2026, 1, 1),
        None,
    )
    modem = _fixed_item("GPON 光猫", 29_900, "0.13", 0)
    router = _fixed_item("Wi-Fi 6 路由器", 19_900, "0.13", 0)
    pricing = price_fixed_install(
        [FixedPlan(plan, 10_000)],
        [Gear(modem, "ZTEG1", "deposit", 10_000), Gear(router, "TPL1", "bought", 0)],
        [offer],
        date(2026, 12, 1),
    )
    assert [(line.kind, line.amount_fen) for line in pricing.lines] == [
        (LineKind.CHARGE, 12_000),
        (LineKind.DISCOUNT, -2_400),
        (LineKind.CHARGE, 10_000),
        (LineKind.DEPOSIT, 10_000),
        (LineKind.CHARGE, 19_900),
    ]
    # The discount reduces the monthly fee's invoice item, not the installation fee's too.
    assert sorted(i.total_fen for i in pricing.invoice_items) == [9_600, 10_000, 19_900]
    assert pricing.total_fen == 12_000 - 2_400 + 10_000 + 10_000 + 19_900
    assert pricing.deposit_fen == 10_000 and pricing.prepaid_fen == 0
    assert pricing.invoice_total_fen == pricing.total_fen - 10_000
    assert pricing.lock_in_months == 12 and pricing.promotion is not None


def test_a_bundle_replaces_the_plan_promotion_and_free_loans_cost_nothing() -> None:
    from hall_app.domain.pricing import FixedPlan, Gear, price_fixed_install

    plan = _fixed_item("500M 光宽带", 5_000)
    offer = Offer(
        uuid.uuid4(),
        "BBHALF",
        "新装宽带首年 8 折",
        plan.product_id,
        2_400,
        12,
        date(2026, 1, 1),
        None,
    )
    modem = _fixed_item("GPON 光猫", 29_900, "0.13", 0)
    pricing = price_fixed_install(
        [FixedPlan(plan, 0, "融合 500M")],
        [Gear(modem, "ZTEG1", "free", 0)],
        [offer],
        date(2026, 12, 1),
    )
    assert [(line.description, line.amount_fen) for line in pricing.lines] == [
        ("融合 500M（500M 光宽带） 首月月租", 5_000)
    ]
    assert pricing.promotion is None

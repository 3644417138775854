"""The signed terms: fixed clauses from resources/terms/, numbering and values from Python."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from hall_app.domain.pricing import Item, Pricing, Tier, VatClass, price_open_mobile
from hall_app.domain.terms import OPEN_MOBILE_CLAUSES, open_mobile_terms
from hall_app.resources import resource_path
from hall_app.services.orders import terms_clauses

FULL = (
    "1. 本人申请开通号码 189****5678，办理“5G 畅享 129 元套餐”，月费 ¥129.00，"
    "自开通之日起按月计费，首月费用于开户时收取。\n"
    "2. 同时开通增值业务：来电显示、视频彩铃，可随时申请退订，次月生效。\n"
    "3. 在网期限 24 个月，期满前不得办理销户、过户或降档；提前解约须按协议承担违约责任。\n"
    "4. 靓号最低月消费 ¥129.00，当月消费不足部分按最低消费补足。预存话费不退现，按月抵扣。\n"
    "5. 本人承诺所提供证件真实有效，号码仅供本人使用，不出租、出借、转售，"
    "不用于电信网络诈骗等违法活动（《反电信网络诈骗法》）。"
)
VAT6 = VatClass(uuid.uuid4(), "*电信服务*增值电信服务", Decimal("0.06"))
TODAY = date(2026, 11, 24)


def _pricing(
    name: str, fee: int, lock: int = 0, tier: Tier | None = None, addons: int = 0
) -> Pricing:
    plan = Item(uuid.uuid4(), name, fee, VAT6, lock)
    extra = [Item(uuid.uuid4(), f"增值{i}", 500, VAT6, 0) for i in range(addons)]
    return price_open_mobile(plan, extra, tier, [], TODAY)


CLAUSES = terms_clauses("open_mobile")


def test_the_terms_read_as_before_the_clauses_moved_to_resources() -> None:
    assert resource_path("terms", "open_mobile.toml").is_file()
    tier = Tier("三级靓号", 0, 12_900, 24)
    pricing = _pricing("5G 畅享 129 元套餐", 12_900, 24, tier, addons=2)
    got = open_mobile_terms(
        "18912345678", "5G 畅享 129 元套餐", 12_900, pricing, ["来电显示", "视频彩铃"], CLAUSES
    )
    assert got == FULL


def test_only_the_clauses_that_apply_are_numbered() -> None:
    pricing = _pricing("5G 畅享 59 元套餐", 5_900)
    got = open_mobile_terms("18912345678", "5G 畅享 59 元套餐", 5_900, pricing, [], CLAUSES)
    first, *_, last = FULL.splitlines()
    assert got.splitlines() == [first.replace("129", "59"), last.replace("5. ", "2. ")]


def test_values_are_filled_in_not_interpreted() -> None:
    pricing = _pricing("套餐{plan}", 100, addons=1)
    got = open_mobile_terms("18912345678", "套餐{plan}", 100, pricing, ["{addons}"], CLAUSES)
    assert "“套餐{plan}”" in got and "增值业务：{addons}，" in got
    assert set(CLAUSES) == OPEN_MOBILE_CLAUSES

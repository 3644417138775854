"""The terms of a handset sale: the fixed clauses from resources/terms/handset.toml, the
numbering and values from hall_app/domain/terms.py; an installment purchase lists every
instalment and the early-payoff rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hall_app.domain.handsets import schedule
from hall_app.domain.terms import (
    HANDSET_CLAUSES,
    HandsetTermsContract,
    HandsetTermsInstallment,
    handset_terms,
)
from hall_app.services.pipeline import terms_clauses

CLAUSES = terms_clauses("handset")
SALE_DAY = date(2026, 11, 24)
NAME = "华为 Mate 70 12+256GB"
IMEI = "861012345678903"


def test_the_clauses_are_the_ones_the_code_fills_in() -> None:
    assert set(CLAUSES) == HANDSET_CLAUSES


def test_outright_names_the_handset_its_imei_and_warranty() -> None:
    got = handset_terms(NAME, IMEI, 549_900, SALE_DAY, CLAUSES)
    first, second = got.splitlines()
    assert first == (
        f"1. 本人购买“{NAME}”，串号（IMEI）{IMEI}，售价 ¥5,499.00（含税）；"
        "保修自 2026-11-24 起按厂家规定执行。"
    )
    assert second.startswith("2. 本人已当面核对手机的型号")


def test_a_contract_phone_states_the_commitment_and_the_clawback_rule() -> None:
    contract = HandsetTermsContract(
        "购机送费 24 个月",
        120_000,
        24,
        "18912345678",
        "5G 畅享 129 元套餐",
        12_900,
        12_900,
        SALE_DAY,
        date(2028, 11, 23),
    )
    got = handset_terms(NAME, IMEI, 549_900, SALE_DAY, CLAUSES, contract=contract)
    lines = got.splitlines()
    assert len(lines) == 4 and lines[1].startswith("2. 参加合约购机“购机送费 24 个月”")
    assert "189****5678" in lines[1] and "18912345678" not in got
    assert "2026-11-24 至 2028-11-23" in lines[1] and "不低于 ¥129.00" in lines[1]
    assert lines[2] == (
        "3. 合约期内销户、过户、携号转出或将套餐降至 ¥129.00 以下的，须退还尚未履约月份的"
        "购机优惠：¥1,200.00 ÷ 24 个月 × 剩余月数。"
    )


def test_an_installment_purchase_lists_every_instalment() -> None:
    rows = schedule(439_900, 12, SALE_DAY, fee_fen=24_000)
    plan = HandsetTermsInstallment("分期 12 期", 110_000, rows, Decimal(0), 5_000)
    got = handset_terms(NAME, IMEI, 549_900, SALE_DAY, CLAUSES, installment=plan)
    assert (
        "2. 分期购机“分期 12 期”：售价 ¥5,499.00，首付 ¥1,100.00，分期本金 ¥4,399.00，"
        "分 12 期，分期手续费 ¥240.00；分期应还合计 ¥4,639.00" in got
    )
    assert "3. 还款计划（共 12 期）：" in got
    assert "第 1 期 2026-12-24 应还 ¥386.58（本金 ¥366.58，手续费 ¥20.00）" in got
    assert "第 12 期 2027-11-24 应还 ¥386.62（本金 ¥366.62，手续费 ¥20.00）" in got
    for row in rows:
        assert f"第 {row.seq} 期 {row.due_date:%Y-%m-%d} 应还" in got
    assert "4. 提前结清：可随时一次付清剩余未还本金，另收提前结清手续费 ¥50.00" in got
    numbered = [line for line in got.splitlines() if line[:1].isdigit()]
    assert [line.split(".")[0] for line in numbered] == ["1", "2", "3", "4", "5", "6"]


def test_a_rate_is_stated_as_a_rate() -> None:
    rows = schedule(300_000, 6, SALE_DAY, monthly_rate=Decimal("0.0050"))
    plan = HandsetTermsInstallment("分期 6 期", 249_900, rows, Decimal("0.0050"), 0)
    got = handset_terms(NAME, IMEI, 549_900, SALE_DAY, CLAUSES, installment=plan)
    assert "月费率 0.5%，分期手续费 ¥90.00" in got and "不收提前结清手续费" in got


def test_values_are_filled_in_not_interpreted() -> None:
    got = handset_terms("机型{imei}", "{price}", 100, SALE_DAY, CLAUSES)
    assert "“机型{imei}”" in got and "串号（IMEI）{price}" in got


def test_outright_names_the_return_period_and_its_last_day() -> None:
    got = handset_terms(NAME, IMEI, 549_900, SALE_DAY, CLAUSES, return_days=7)
    second = got.splitlines()[1]
    assert second.startswith("2. 裸机购买的手机自购买之日起 7 天内（至 2026-12-01）")
    plan = HandsetTermsInstallment(
        "12 期免息", 100_000, schedule(449_900, 12, SALE_DAY), Decimal(0), 0
    )
    with_plan = handset_terms(
        NAME, IMEI, 549_900, SALE_DAY, CLAUSES, installment=plan, return_days=7
    )
    assert "退货退款" not in with_plan  # an installment sale is never returned

"""The portability conditions as a pure function (hall_app.domain.porting) and the code."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from hall_app.domain.porting import (
    CODE_ALPHABET,
    CODE_LENGTH,
    Agreement,
    PortFacts,
    UnpaidBill,
    new_port_code,
    port_conditions,
)

TODAY = date(2026, 11, 24)
OK = PortFacts(date(2025, 1, 2), True, "正常", (), (), date(2026, 1, 2))


@given(st.integers(min_value=0, max_value=2000), st.integers(min_value=1, max_value=400))
def test_tenure_passes_from_the_minimum_day(days: int, minimum: int) -> None:
    facts = PortFacts(OK.real_name_on, True, "正常", (), (), TODAY - timedelta(days=days))
    tenure = port_conditions(facts, TODAY, minimum)[4]
    assert tenure.passed is (days >= minimum)
    if not tenure.passed:
        assert tenure.reason == f"入网 {days} 天，不足 {minimum} 天（还差 {minimum - days} 天）"


def test_each_condition_and_its_reason() -> None:
    assert all(c.passed for c in port_conditions(OK, TODAY, 120))
    facts = PortFacts(
        None,
        False,
        "停机（停机保号）",
        (UnpaidBill("2026-10", 12_900),),
        (Agreement("在网约定期", date(2027, 3, 31)), Agreement("分期合同 SL1", None, "可提前结清")),
        None,
    )
    reasons = {c.code: c.reason for c in port_conditions(facts, TODAY, 120)}
    assert reasons == {
        "real_name": "机主未完成实名登记，须持本人证件办理实名登记",
        "in_service": "号码当前状态为“停机（停机保号）”，须恢复正常使用后再申请",
        "no_unpaid_bill": "有 1 期未缴账单（2026-10），共 ¥129.00，请先缴费",
        "no_agreement": (
            "在网约定期至 2027-03-31；分期合同 SL1未结清，可提前结清。期满或解除后方可申请"
        ),
        "tenure": "号码尚未开通",
    }


def test_code_is_random_from_the_unambiguous_alphabet() -> None:
    codes = {new_port_code() for _ in range(200)}
    assert len(codes) > 190
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert not set("0O1IL") & set(CODE_ALPHABET)

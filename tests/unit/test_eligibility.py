from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hall_app.domain.eligibility import EligibilityRules, check_mobile_eligibility

RULES = EligibilityRules()


def check(age: int, active: int = 0, recent: int = 0):  # type: ignore[no-untyped-def]
    return check_mobile_eligibility(
        age=age, active_numbers=active, recent_opens=recent, rules=RULES
    )


def test_age_boundaries() -> None:
    assert not check(9).allowed and "未满 10 周岁" in check(9).reasons[0]
    assert check(10).allowed and check(10).needs_guardian
    assert check(15).needs_guardian
    assert check(16).allowed and not check(16).needs_guardian and check(16).reasons == ()


def test_card_limit_is_five_by_default() -> None:
    assert check(30, active=4).allowed
    refused = check(30, active=5)
    assert not refused.allowed and "达到上限 5 个" in refused.reasons[0]


def test_second_number_within_window_needs_a_supervisor() -> None:
    e = check(30, active=1, recent=1)
    assert e.allowed and e.needs_supervisor and "值班主管" in e.reasons[0]


def test_rules_are_configurable() -> None:
    strict = EligibilityRules(max_numbers_per_id=3, min_age_alone=18)
    e = check_mobile_eligibility(age=17, active_numbers=3, recent_opens=0, rules=strict)
    assert not e.allowed and "上限 3 个" in e.reasons[0]


@settings(max_examples=200, database=None)
@given(st.integers(0, 120), st.integers(0, 10), st.integers(0, 5))
def test_every_refusal_and_condition_is_explained(age: int, active: int, recent: int) -> None:
    e = check(age, active, recent)
    assert e.allowed == (age >= 10 and active < 5)
    if not e.allowed:
        assert e.reasons and not e.needs_guardian and not e.needs_supervisor
    assert e.needs_guardian == (e.allowed and age < 16)
    assert e.needs_supervisor == (e.allowed and recent > 0)
    assert len(e.reasons) == (
        (age < 10) + (active >= 5) if not e.allowed else e.needs_guardian + e.needs_supervisor
    )

"""Who may open a new mobile number (real-name registration, anti-fraud law, card limit)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EligibilityRules:
    min_age_alone: int = 16
    min_age_with_guardian: int = 10
    max_numbers_per_id: int = 5
    recent_open_window_days: int = 30


@dataclass(frozen=True)
class Eligibility:
    allowed: bool
    needs_guardian: bool
    needs_supervisor: bool
    reasons: tuple[str, ...]  # why refused, or what must happen first (Chinese, for the clerk)


def check_mobile_eligibility(
    *, age: int, active_numbers: int, recent_opens: int, rules: EligibilityRules
) -> Eligibility:
    """Refusals first (age, card limit); then conditions: a guardian for ages 10 to 15, and a
    supervisor when the ID already opened a number within the window (anti-fraud law)."""
    reasons: list[str] = []
    if age < rules.min_age_with_guardian:
        reasons.append(f"未满 {rules.min_age_with_guardian} 周岁，不能办理入网")
    if active_numbers >= rules.max_numbers_per_id:
        reasons.append(
            f"该证件在本运营商名下已有 {active_numbers} 个在用号码，"
            f"达到上限 {rules.max_numbers_per_id} 个"
        )
    if reasons:
        return Eligibility(False, False, False, tuple(reasons))
    needs_guardian = age < rules.min_age_alone
    needs_supervisor = recent_opens > 0
    if needs_guardian:
        reasons.append(f"未满 {rules.min_age_alone} 周岁：须监护人到场，核验并登记监护人证件")
    if needs_supervisor:
        reasons.append(
            f"该证件 {rules.recent_open_window_days} 天内已新开 {recent_opens} 个号码："
            "须值班主管在本窗口授权"
        )
    return Eligibility(True, needs_guardian, needs_supervisor, tuple(reasons))

"""Number portability (携号转网): the five conditions of domain-rules.md as one pure function,
and the authorisation code (授权码).

A number may port out only when all hold: it is real-name registered, in normal service, has no
unpaid bill, has no unexpired minimum-term agreement (a lock-in such as a pretty number's, a
running contract phone, a running installment contract for a handset bound to it), and has been
active at least ``min_tenure_days`` (120 by default). Each condition says why, in Chinese.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from hall_app.domain.money import format_yuan

REAL_NAME = "real_name"
IN_SERVICE = "in_service"
NO_UNPAID_BILL = "no_unpaid_bill"
NO_AGREEMENT = "no_agreement"
TENURE = "tenure"

# No 0/O, 1/I/L: read aloud or typed from the acceptance form, the code cannot be misread.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


@dataclass(frozen=True)
class PortCondition:
    code: str  # real_name, in_service, no_unpaid_bill, no_agreement, tenure
    name: str  # 实名登记 …
    passed: bool
    reason: str


@dataclass(frozen=True)
class UnpaidBill:
    period: str  # 2026-10
    outstanding_fen: int


@dataclass(frozen=True)
class Agreement:
    """An unexpired minimum-term agreement on the number, as the clerk reads it."""

    what: str  # 在网约定期 / 合约机“…” / 分期合同 SL…
    until: date | None  # its last day (None: until paid off)
    cost: str = ""  # what leaving early costs, e.g. 须退还购机优惠 ¥700.00


@dataclass(frozen=True)
class PortFacts:
    real_name_on: date | None  # the day of the real-name registration; None: none
    active: bool  # in normal service
    status_text: str  # 正常 / 停机（欠费停机）…
    unpaid: Sequence[UnpaidBill]
    agreements: Sequence[Agreement]
    activated_on: date | None  # None: never activated


def port_conditions(
    facts: PortFacts, today: date, min_tenure_days: int
) -> tuple[PortCondition, ...]:
    """The five conditions, in the order of domain-rules.md, each passed or not and why."""
    return (
        _real_name(facts),
        _in_service(facts),
        _no_unpaid(facts),
        _no_agreement(facts),
        _tenure(facts, today, min_tenure_days),
    )


def _real_name(facts: PortFacts) -> PortCondition:
    if facts.real_name_on is None:
        return PortCondition(
            REAL_NAME, "实名登记", False, "机主未完成实名登记，须持本人证件办理实名登记"
        )
    return PortCondition(
        REAL_NAME, "实名登记", True, f"已实名登记（{facts.real_name_on:%Y-%m-%d}）"
    )


def _in_service(facts: PortFacts) -> PortCondition:
    if facts.active:
        return PortCondition(IN_SERVICE, "号码状态正常", True, "号码正常在用")
    return PortCondition(
        IN_SERVICE,
        "号码状态正常",
        False,
        f"号码当前状态为“{facts.status_text}”，须恢复正常使用后再申请",
    )


def _no_unpaid(facts: PortFacts) -> PortCondition:
    if not facts.unpaid:
        return PortCondition(NO_UNPAID_BILL, "无欠费", True, "没有未缴账单")
    periods = "、".join(b.period for b in facts.unpaid)
    total = sum(b.outstanding_fen for b in facts.unpaid)
    return PortCondition(
        NO_UNPAID_BILL,
        "无欠费",
        False,
        f"有 {len(facts.unpaid)} 期未缴账单（{periods}），共 {format_yuan(total)}，请先缴费",
    )


def _no_agreement(facts: PortFacts) -> PortCondition:
    if not facts.agreements:
        return PortCondition(NO_AGREEMENT, "无未到期协议", True, "没有未到期的在网约定或合约")
    parts = []
    for a in facts.agreements:
        text = a.what + (f"至 {a.until:%Y-%m-%d}" if a.until else "未结清")
        parts.append(text + (f"，{a.cost}" if a.cost else ""))
    return PortCondition(
        NO_AGREEMENT,
        "无未到期协议",
        False,
        "；".join(parts) + "。期满或解除后方可申请",
    )


def _tenure(facts: PortFacts, today: date, min_days: int) -> PortCondition:
    name = f"在网满 {min_days} 天"
    if facts.activated_on is None:
        return PortCondition(TENURE, name, False, "号码尚未开通")
    days = (today - facts.activated_on).days
    if days >= min_days:
        return PortCondition(
            TENURE, name, True, f"入网 {days} 天（{facts.activated_on:%Y-%m-%d} 开通）"
        )
    return PortCondition(
        TENURE,
        name,
        False,
        f"入网 {days} 天，不足 {min_days} 天（还差 {min_days - days} 天）",
    )


def new_port_code(choice: Callable[[str], str] = secrets.choice) -> str:
    """A random code of ``CODE_LENGTH`` characters from ``CODE_ALPHABET`` (``secrets``)."""
    return "".join(choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))

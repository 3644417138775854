"""Handsets sold on contract and in installments, as pure functions (domain-rules.md).

- An installment schedule in integer fen: the financed amount and the fee (stated, or a stated
  monthly rate on the financed amount) are each split evenly over the months, the rounding
  difference on the last instalment, so the instalments sum exactly to financed + fee.
- A contract phone's clawback: the unearned subsidy, by whole months left
  (50.00 a month with 14 months left: 700.00).
- The credit assessment before an installment sale: each configurable rule's outcome with its
  reason in Chinese; any refusal refuses, else any referral needs a supervisor.
- The return window of a handset sold outright.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final

from hall_app.domain.enums import CreditOutcome, SaleMode
from hall_app.domain.errors import ValidationError
from hall_app.domain.money import format_yuan
from hall_app.domain.pricing import (
    DISCOUNT_PREFIX,
    Item,
    Line,
    LineKind,
    Pricing,
    _invoice_items,
    add_months,
)

INSTALMENT_MONTHS: Final = (3, 6, 12, 24)
COMMITMENT_MONTHS: Final = (12, 24, 36)
MONTHS_FIELD: Final = "分期期数"
DOWN_PAYMENT_FIELD: Final = "首付金额"


@dataclass(frozen=True)
class ScheduledInstalment:
    seq: int  # 1-based
    due_date: date
    principal_fen: int
    fee_fen: int

    @property
    def amount_fen(self) -> int:
        return self.principal_fen + self.fee_fen


def instalment_fee_fen(financed_fen: int, months: int, fee_fen: int, monthly_rate: Decimal) -> int:
    """The whole fee of an installment contract: the stated fee, or the stated monthly rate on
    the financed amount times the months, half-up to the fen. An offer states one, never both."""
    if fee_fen < 0 or monthly_rate < 0:
        raise ValueError("a fee or rate cannot be negative")
    if fee_fen and monthly_rate:
        raise ValueError("an offer states a fee or a rate, not both")
    if fee_fen:
        return fee_fen
    fee = (Decimal(financed_fen) * monthly_rate * months).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    return int(fee)


def first_due_date(sale_day: date) -> date:
    """The first instalment falls due a month after the sale (the same day, or the month's
    last day when it has none)."""
    return add_months(sale_day, 1)


def schedule(
    financed_fen: int,
    months: int,
    sale_day: date,
    *,
    fee_fen: int = 0,
    monthly_rate: Decimal = Decimal(0),
) -> tuple[ScheduledInstalment, ...]:
    """The instalments of ``financed_fen`` over ``months``, the first a month after
    ``sale_day`` and then monthly. Principal and fee are each split evenly, in whole fen; what
    the split leaves over goes on the last instalment. The sum is exactly financed + fee."""
    if months not in INSTALMENT_MONTHS:
        allowed = "、".join(str(m) for m in INSTALMENT_MONTHS)
        raise ValidationError(f"分期期数只能是 {allowed} 期", MONTHS_FIELD)
    if financed_fen <= 0:
        raise ValidationError(
            "分期金额必须大于零：首付已付清全款时请选择裸机购买", DOWN_PAYMENT_FIELD
        )
    fee = instalment_fee_fen(financed_fen, months, fee_fen, monthly_rate)
    principal_each, fee_each = financed_fen // months, fee // months
    rows = []
    for seq in range(1, months + 1):
        last = seq == months
        rows.append(
            ScheduledInstalment(
                seq,
                add_months(sale_day, seq),  # from the sale day: a 31st stays the month's end
                financed_fen - principal_each * (months - 1) if last else principal_each,
                fee - fee_each * (months - 1) if last else fee_each,
            )
        )
    return tuple(rows)


def min_down_payment_fen(price_fen: int, min_pct: int) -> int:
    """The least down payment an offer asks: ``min_pct`` % of the price, rounded up to the
    yuan (a clerk takes whole yuan)."""
    raw = -(-price_fen * min_pct // 100)
    return -(-raw // 100) * 100


def check_down_payment(price_fen: int, down_fen: int, min_pct: int) -> None:
    least = min_down_payment_fen(price_fen, min_pct)
    if down_fen < least:
        raise ValidationError(
            f"首付不能少于 {format_yuan(least)}（售价的 {min_pct}%）", DOWN_PAYMENT_FIELD
        )
    if down_fen >= price_fen:
        raise ValidationError("首付不能达到售价：全款购买请选择裸机购买", DOWN_PAYMENT_FIELD)


def payoff_fen(unpaid: Sequence[ScheduledInstalment], payoff_fee_fen: int) -> int:
    """Paying off early: the principal still unpaid plus the offer's stated payoff fee (the
    fee of the instalments not yet due is waived)."""
    return sum(i.principal_fen for i in unpaid) + (payoff_fee_fen if unpaid else 0)


def overdue(due_date: date, paid: bool, today: date) -> bool:
    """An instalment not paid by the end of its due day."""
    return not paid and due_date < today


# ---------------------------------------------------------------------------------------------
# The sale's lines


def handset_line_text(name: str, imei: str) -> str:
    return f"{name}（IMEI {imei}）"


def price_handset(
    handset: Item,
    imei: str,
    mode: SaleMode,
    *,
    offer_name: str = "",
    subsidy_fen: int = 0,
    commitment_months: int = 0,
    min_plan_fen: int = 0,
    instalments: Sequence[ScheduledInstalment] = (),
) -> Pricing:
    """A handset sale's lines. Outright: the handset at its tax-inclusive price (goods, its
    VAT category: ``*通信设备*手机`` at 13 %). Contract: the subsidy as its own discount line,
    netted off the handset on the invoice. Installment: the financed part as a negative line
    that is not invoiced (the handset is invoiced whole now; the instalments get receipts), so
    the customer pays the down payment now."""
    if handset.monthly_fen <= 0:
        raise ValueError(f"a handset has a price: {handset.name}")
    lines = [
        Line(
            LineKind.CHARGE,
            handset_line_text(handset.name, imei),
            handset.monthly_fen,
            True,
            handset.product_id,
            handset.vat,
        )
    ]
    lock_in = 0
    if mode is SaleMode.CONTRACT:
        if not 0 < subsidy_fen < handset.monthly_fen or commitment_months <= 0:
            raise ValueError("a contract offer subsidises part of the price over months")
        lines.append(
            Line(
                LineKind.DISCOUNT,
                f"{DISCOUNT_PREFIX}{offer_name}（合约 {commitment_months} 个月，"
                f"月消费不低于 {format_yuan(min_plan_fen)}）",
                -subsidy_fen,
                True,
                handset.product_id,
                handset.vat,
            )
        )
        lock_in = commitment_months
    elif mode is SaleMode.INSTALLMENT:
        if not instalments:
            raise ValueError("an installment sale has its schedule")
        financed = sum(i.principal_fen for i in instalments)
        first = instalments[0]
        lines.append(
            Line(
                LineKind.FINANCED,
                f"分期付款：{len(instalments)} 期，首期 {first.due_date:%Y-%m-%d} "
                f"应还 {format_yuan(first.amount_fen)}（分期本金）",
                -financed,
                False,
                handset.product_id,
            )
        )
    return Pricing(
        lines=tuple(lines),
        invoice_items=_invoice_items(lines),
        lock_in_months=lock_in,
        min_monthly_fen=min_plan_fen if mode is SaleMode.CONTRACT else 0,
        promotion=None,
    )


# ---------------------------------------------------------------------------------------------
# Contract phones


def commitment_end(starts_on: date, months: int) -> date:
    """The last day of a commitment of ``months`` from ``starts_on``."""
    return add_months(starts_on, months) - timedelta(days=1)


def months_served(starts_on: date, on_date: date) -> int:
    """Whole months of the commitment served by ``on_date`` (a month is served on its last
    day's end: 2026-01-15 → 2026-02-14 is one month)."""
    if on_date < starts_on:
        return 0
    # Month m is served once the day after ``on_date`` reaches ``add_months(starts_on, m)``;
    # counted from that next day, so a month ending on a month's last day (2026-01-01 →
    # 2026-01-31) is served on it.
    following = on_date + timedelta(days=1)
    months = (following.year - starts_on.year) * 12 + following.month - starts_on.month
    while months > 0 and add_months(starts_on, months) > following:
        months -= 1
    return max(months, 0)


@dataclass(frozen=True)
class Clawback:
    months: int
    months_left: int
    monthly_fen: int  # the subsidy earned per month (the last month takes the remainder)
    amount_fen: int  # the unearned subsidy, repaid on leaving early


def clawback(subsidy_fen: int, months: int, starts_on: date, on_date: date) -> Clawback:
    """The unearned subsidy on ``on_date``: the subsidy over the months still to serve,
    proportionally, half-up to the fen (1,200.00 over 24 months with 14 left: 700.00). Nothing
    once the commitment is served."""
    if months <= 0:
        raise ValueError("a commitment has months")
    left = max(months - months_served(starts_on, on_date), 0)
    amount = int(
        (Decimal(subsidy_fen) * left / months).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    )
    return Clawback(months, left, subsidy_fen // months, amount)


# ---------------------------------------------------------------------------------------------
# Credit assessment


class RuleOutcome(StrEnum):
    PASS = "pass"
    REFER = "refer"  # a supervisor may approve
    FAIL = "fail"


@dataclass(frozen=True)
class CreditRules:
    """The configurable rules of the credit assessment."""

    min_age: int = 18
    min_tenure_days: int = 90  # real-name tenure with us below this: a supervisor decides
    max_arrears_fen: int = 0  # any arrears above this on any subscription refuses
    max_active_contracts: int = 2  # this many running installment contracts refuses another
    max_overdue_now: int = 0  # instalments overdue today above this refuse
    max_paid_late: int = 0  # instalments ever paid late above this: a supervisor decides
    monthly_limit_fen: int = 80_000  # all monthly instalments together up to this pass …
    monthly_refer_limit_fen: int = 150_000  # … up to this a supervisor decides; above, refused


@dataclass(frozen=True)
class CreditFacts:
    """What the assessment looks at, gathered by the service."""

    age: int | None  # None: no birth date on record
    tenure_days: int
    arrears: tuple[tuple[str, int], ...]  # (service number masked, arrears in fen)
    active_contracts: int
    overdue_now: int
    paid_late: int
    existing_monthly_fen: int  # the customer's running instalments a month
    monthly_fen: int  # the instalment asked for


@dataclass(frozen=True)
class RuleResult:
    code: str
    label: str
    outcome: RuleOutcome
    reason: str


@dataclass(frozen=True)
class CreditResult:
    outcome: CreditOutcome
    rules: tuple[RuleResult, ...]

    @property
    def reasons(self) -> str:
        """The reasons of the rules that did not pass, for the clerk and the record."""
        failed = [r.reason for r in self.rules if r.outcome is not RuleOutcome.PASS]
        return "；".join(failed) if failed else "各项评估均通过"


def assess_credit(facts: CreditFacts, rules: CreditRules) -> CreditResult:
    out: list[RuleResult] = []

    def rule(code: str, label: str, outcome: RuleOutcome, reason: str) -> None:
        out.append(RuleResult(code, label, outcome, reason))

    if facts.age is None:
        rule("age", "年龄", RuleOutcome.FAIL, "客户资料无出生日期，无法核实年龄")
    elif facts.age < rules.min_age:
        rule(
            "age",
            "年龄",
            RuleOutcome.FAIL,
            f"客户 {facts.age} 周岁，未满 {rules.min_age} 周岁不能办理分期购机",
        )
    else:
        rule("age", "年龄", RuleOutcome.PASS, f"{facts.age} 周岁，已满 {rules.min_age} 周岁")
    if facts.tenure_days < rules.min_tenure_days:
        rule(
            "tenure",
            "实名在网时长",
            RuleOutcome.REFER,
            f"实名在网 {facts.tenure_days} 天，不足 {rules.min_tenure_days} 天",
        )
    else:
        rule("tenure", "实名在网时长", RuleOutcome.PASS, f"实名在网 {facts.tenure_days} 天")
    owing = [(n, fen) for n, fen in facts.arrears if fen > rules.max_arrears_fen]
    if owing:
        listed = "、".join(f"{n} 欠费 {format_yuan(fen)}" for n, fen in owing)
        rule("arrears", "欠费", RuleOutcome.FAIL, f"名下号码欠费：{listed}")
    else:
        rule("arrears", "欠费", RuleOutcome.PASS, "名下号码均无欠费")
    if facts.active_contracts >= rules.max_active_contracts:
        rule(
            "contracts",
            "在途分期合同",
            RuleOutcome.FAIL,
            f"已有 {facts.active_contracts} 份在途分期合同，最多 {rules.max_active_contracts} 份",
        )
    else:
        rule(
            "contracts",
            "在途分期合同",
            RuleOutcome.PASS,
            f"在途分期合同 {facts.active_contracts} 份",
        )
    if facts.overdue_now > rules.max_overdue_now:
        rule("overdue", "还款记录", RuleOutcome.FAIL, f"有 {facts.overdue_now} 期分期逾期未还")
    elif facts.paid_late > rules.max_paid_late:
        rule("overdue", "还款记录", RuleOutcome.REFER, f"曾有 {facts.paid_late} 期分期逾期后才还清")
    else:
        rule("overdue", "还款记录", RuleOutcome.PASS, "无逾期还款记录")
    monthly = facts.existing_monthly_fen + facts.monthly_fen
    shown = f"每月分期合计 {format_yuan(monthly)}（本次 {format_yuan(facts.monthly_fen)}）"
    if monthly > rules.monthly_refer_limit_fen:
        rule(
            "monthly",
            "月还款额",
            RuleOutcome.FAIL,
            f"{shown}，超过上限 {format_yuan(rules.monthly_refer_limit_fen)}",
        )
    elif monthly > rules.monthly_limit_fen:
        rule(
            "monthly",
            "月还款额",
            RuleOutcome.REFER,
            f"{shown}，超过 {format_yuan(rules.monthly_limit_fen)}",
        )
    else:
        rule("monthly", "月还款额", RuleOutcome.PASS, f"{shown}，在额度内")
    outcomes = {r.outcome for r in out}
    overall = (
        CreditOutcome.REFUSED
        if RuleOutcome.FAIL in outcomes
        else CreditOutcome.SUPERVISOR
        if RuleOutcome.REFER in outcomes
        else CreditOutcome.APPROVED
    )
    return CreditResult(overall, tuple(out))


# ---------------------------------------------------------------------------------------------
# Returns


def return_deadline(sold_on: date, days: int) -> date:
    """The last day a handset sold outright on ``sold_on`` may be returned (the day of sale is
    day 0: sold on the 1st with 7 days, returnable through the 8th)."""
    return sold_on + timedelta(days=days)


def may_return(sold_on: date, today: date, days: int) -> bool:
    return sold_on <= today <= return_deadline(sold_on, days)

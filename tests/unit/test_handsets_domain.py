"""Handsets as pure functions (hall_app/domain/handsets.py): the installment schedule in
integer fen (sums exactly, the last instalment takes the remainder), the down payment, the
payoff, the sale's lines, a contract phone's clawback (the 700.00 example) and the credit
rules."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hall_app.domain.enums import CreditOutcome, SaleMode
from hall_app.domain.errors import ValidationError
from hall_app.domain.handsets import (
    INSTALMENT_MONTHS,
    CreditFacts,
    CreditRules,
    RuleOutcome,
    ScheduledInstalment,
    assess_credit,
    check_down_payment,
    clawback,
    commitment_end,
    first_due_date,
    instalment_fee_fen,
    may_return,
    min_down_payment_fen,
    months_served,
    overdue,
    payoff_fen,
    price_handset,
    return_deadline,
    schedule,
)
from hall_app.domain.pricing import Item, LineKind, VatClass, add_months

SETTINGS = settings(max_examples=300, deadline=None, database=None)
VAT13 = VatClass(uuid.uuid4(), "*通信设备*手机", Decimal("0.13"))
HANDSET = Item(uuid.uuid4(), "华为 Mate 70 12+256GB", 549_900, VAT13)

amounts = st.integers(min_value=1, max_value=5_000_000)  # up to 50,000.00 financed
months = st.sampled_from(INSTALMENT_MONTHS)
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2035, 12, 31))
rates = st.decimals(min_value=Decimal("0"), max_value=Decimal("0.03"), places=5)
fees = st.integers(min_value=0, max_value=500_000)


def half_up(value: Fraction) -> int:
    """Round a non-negative fraction half-up to an integer, independently of Decimal."""
    return int(value + Fraction(1, 2))


# -- schedule ----------------------------------------------------------------------------------


@SETTINGS
@given(amounts, months, days, fees)
def test_a_stated_fee_schedule_sums_exactly(financed: int, n: int, day: date, fee: int) -> None:
    rows = schedule(financed, n, day, fee_fen=fee)
    assert len(rows) == n and [r.seq for r in rows] == list(range(1, n + 1))
    assert sum(r.principal_fen for r in rows) == financed
    assert sum(r.fee_fen for r in rows) == fee
    assert sum(r.amount_fen for r in rows) == financed + fee


@SETTINGS
@given(amounts, months, days, rates)
def test_a_rate_schedule_charges_the_rate_on_the_financed_amount(
    financed: int, n: int, day: date, rate: Decimal
) -> None:
    rows = schedule(financed, n, day, monthly_rate=rate)
    expected_fee = half_up(Fraction(financed) * Fraction(rate) * n)
    assert instalment_fee_fen(financed, n, 0, rate) == expected_fee
    assert sum(r.fee_fen for r in rows) == expected_fee
    assert sum(r.amount_fen for r in rows) == financed + expected_fee


@SETTINGS
@given(amounts, months, days, fees)
def test_the_last_instalment_takes_the_remainder(
    financed: int, n: int, day: date, fee: int
) -> None:
    rows = schedule(financed, n, day, fee_fen=fee)
    *first, last = rows
    for r in first:  # every instalment but the last is the even share, rounded down
        assert (r.principal_fen, r.fee_fen) == (financed // n, fee // n)
    assert last.principal_fen == financed // n + financed % n
    assert last.fee_fen == fee // n + fee % n
    assert all(last.amount_fen >= r.amount_fen for r in rows)
    assert all(r.principal_fen >= 0 and r.fee_fen >= 0 for r in rows)


@SETTINGS
@given(amounts, months, days)
def test_instalments_fall_due_monthly_from_the_sale_day(financed: int, n: int, day: date) -> None:
    rows = schedule(financed, n, day)
    assert rows[0].due_date == first_due_date(day) == add_months(day, 1)
    assert [r.due_date for r in rows] == [add_months(day, k) for k in range(1, n + 1)]
    assert all(a.due_date < b.due_date for a, b in pairwise(rows))


def test_a_sale_on_the_31st_falls_due_on_each_months_last_day() -> None:
    rows = schedule(120_000, 3, date(2027, 1, 31))
    assert [r.due_date for r in rows] == [date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]


def test_a_worked_example() -> None:
    # 4,399.00 over 12 months with a fee of 240.00: 366.58 a month, the last 366.62.
    rows = schedule(439_900, 12, date(2026, 11, 24), fee_fen=24_000)
    assert {r.amount_fen for r in rows[:-1]} == {38_658}
    assert rows[0].principal_fen == 36_658 and rows[0].fee_fen == 2_000
    assert rows[-1].principal_fen == 36_662 and rows[-1].amount_fen == 38_662
    assert sum(r.amount_fen for r in rows) == 463_900


@pytest.mark.parametrize("n", [0, 1, 2, 5, 9, 18, 36])
def test_only_the_offered_terms(n: int) -> None:
    with pytest.raises(ValidationError) as err:
        schedule(100_000, n, date(2026, 11, 24))
    assert err.value.field == "分期期数" and "3、6、12、24" in err.value.message


@pytest.mark.parametrize("financed", [0, -1, -100_000])
def test_nothing_to_finance_is_refused(financed: int) -> None:
    with pytest.raises(ValidationError) as err:
        schedule(financed, 12, date(2026, 11, 24))
    assert err.value.field == "首付金额" and "裸机购买" in err.value.message


def test_an_offer_states_a_fee_or_a_rate_never_both() -> None:
    with pytest.raises(ValueError):
        schedule(100_000, 12, date(2026, 11, 24), fee_fen=100, monthly_rate=Decimal("0.005"))
    with pytest.raises(ValueError):
        instalment_fee_fen(100_000, 12, -1, Decimal(0))


# -- down payment and payoff --------------------------------------------------------------------


@SETTINGS
@given(st.integers(min_value=100, max_value=5_000_000), st.integers(min_value=0, max_value=90))
def test_the_least_down_payment_is_the_share_rounded_up_to_the_yuan(price: int, pct: int) -> None:
    least = min_down_payment_fen(price, pct)
    share = Fraction(price * pct, 100)
    assert least % 100 == 0 and share <= least < share + 100


def test_down_payment_bounds() -> None:
    check_down_payment(549_900, 110_000, 20)  # 20 % of 5,499.00 is 1,099.80: 1,100.00 at least
    with pytest.raises(ValidationError) as err:
        check_down_payment(549_900, 109_999, 20)
    assert err.value.field == "首付金额" and "¥1,100.00" in err.value.message
    with pytest.raises(ValidationError) as err:
        check_down_payment(549_900, 549_900, 20)
    assert "裸机购买" in err.value.message


@SETTINGS
@given(amounts, months, days, fees, st.integers(min_value=0, max_value=24), fees)
def test_payoff_is_the_unpaid_principal_plus_the_payoff_fee(
    financed: int, n: int, day: date, fee: int, paid: int, payoff_fee: int
) -> None:
    rows = schedule(financed, n, day, fee_fen=fee)
    unpaid = rows[min(paid, n) :]
    got = payoff_fen(unpaid, payoff_fee)
    if unpaid:
        assert got == sum(r.principal_fen for r in unpaid) + payoff_fee
        assert got <= financed + payoff_fee
    else:
        assert got == 0


def test_overdue_after_the_due_day() -> None:
    due = date(2026, 12, 24)
    assert not overdue(due, False, due)
    assert overdue(due, False, due + timedelta(days=1))
    assert not overdue(due, True, due + timedelta(days=30))


# -- the sale's lines ----------------------------------------------------------------------------


def test_outright_is_the_handset_at_its_price() -> None:
    p = price_handset(HANDSET, "860000000000001", SaleMode.OUTRIGHT)
    [line] = p.lines
    assert line.kind is LineKind.CHARGE and "IMEI 860000000000001" in line.description
    assert p.total_fen == p.invoice_total_fen == 549_900


def test_a_contract_phone_nets_the_subsidy_off_the_invoice() -> None:
    p = price_handset(
        HANDSET,
        "860000000000001",
        SaleMode.CONTRACT,
        offer_name="购机送费",
        subsidy_fen=120_000,
        commitment_months=24,
        min_plan_fen=12_900,
    )
    assert p.total_fen == p.invoice_total_fen == 429_900
    assert p.lock_in_months == 24 and p.min_monthly_fen == 12_900
    assert "合约 24 个月" in p.lines[1].description
    with pytest.raises(ValueError):
        price_handset(HANDSET, "x", SaleMode.CONTRACT, subsidy_fen=549_900, commitment_months=24)


@SETTINGS
@given(st.integers(min_value=1, max_value=549_899), months, days, fees)
def test_installments_pay_the_down_payment_now_and_invoice_the_handset_whole(
    down: int, n: int, day: date, fee: int
) -> None:
    rows = schedule(549_900 - down, n, day, fee_fen=fee)
    p = price_handset(HANDSET, "860000000000001", SaleMode.INSTALLMENT, instalments=rows)
    assert p.total_fen == down
    assert p.invoice_total_fen == 549_900
    financed = [line for line in p.lines if line.kind is LineKind.FINANCED]
    assert len(financed) == 1 and not financed[0].invoiceable
    assert financed[0].amount_fen == -(549_900 - down)


# -- contract phones: clawback -------------------------------------------------------------------


def test_the_700_example() -> None:
    # 1,200.00 over 24 months is 50.00 a month; with 14 months left: 700.00.
    start = date(2026, 11, 24)
    owed = clawback(120_000, 24, start, date(2027, 9, 24))
    assert (owed.months, owed.months_left, owed.monthly_fen, owed.amount_fen) == (
        24,
        14,
        5_000,
        70_000,
    )
    # The day before the tenth month ends, 15 months are still to serve.
    assert clawback(120_000, 24, start, date(2027, 9, 22)).amount_fen == 75_000


def test_clawback_at_the_edges() -> None:
    start = date(2026, 11, 24)
    assert clawback(120_000, 24, start, start).amount_fen == 120_000
    assert clawback(120_000, 24, start, start - timedelta(days=5)).amount_fen == 120_000
    end = commitment_end(start, 24)
    assert end == date(2028, 11, 23)
    assert clawback(120_000, 24, start, end).months_left == 0  # the last month served at its end
    assert clawback(120_000, 24, start, end + timedelta(days=400)).amount_fen == 0
    with pytest.raises(ValueError):
        clawback(120_000, 0, start, start)


def test_a_month_ending_on_a_months_last_day_is_served_on_it() -> None:
    # Was 0: the count began from on_date's calendar month, not the day after it.
    assert months_served(date(2024, 1, 1), date(2024, 1, 31)) == 1
    assert months_served(date(2024, 1, 1), date(2024, 1, 30)) == 0
    owed = clawback(120_000, 12, date(2026, 1, 1), date(2026, 12, 31))
    assert owed.months_left == 0 and owed.amount_fen == 0  # the commitment's last day


def _served_brute(start: date, on: date, limit: int) -> int:
    """Month k is served once its last day (commitment_end of k months) is reached."""
    return sum(1 for k in range(1, limit + 1) if commitment_end(start, k) <= on)


@SETTINGS
@given(days, st.integers(min_value=0, max_value=1_200))
@example(date(2024, 1, 1), 30)  # the first month ends on 2024-01-31, in its own calendar month
@example(date(2024, 1, 31), 28)  # … on 2024-02-28 (2024-02-29 less a day)
@example(date(2026, 1, 15), 30)  # … on 2026-02-14
def test_months_served_counts_each_months_last_day(start: date, after: int) -> None:
    on = start + timedelta(days=after)
    assert months_served(start, on) == _served_brute(start, on, 48)


@SETTINGS
@given(
    st.integers(min_value=1, max_value=1_000_000),
    st.sampled_from((12, 24, 36)),
    days,
    st.integers(min_value=-30, max_value=1_200),
)
def test_clawback_is_the_unearned_share(subsidy: int, n: int, start: date, after: int) -> None:
    on = start + timedelta(days=after)
    owed = clawback(subsidy, n, start, on)
    left = max(n - months_served(start, on), 0)
    assert owed.months_left == left
    assert owed.amount_fen == half_up(Fraction(subsidy * left, n))
    assert 0 <= owed.amount_fen <= subsidy
    later = clawback(subsidy, n, start, on + timedelta(days=31))
    assert later.amount_fen <= owed.amount_fen  # never grows with time


# -- credit rules --------------------------------------------------------------------------------

GOOD = CreditFacts(
    age=35,
    tenure_days=400,
    arrears=(),
    active_contracts=0,
    overdue_now=0,
    paid_late=0,
    existing_monthly_fen=0,
    monthly_fen=38_662,
)
RULES = CreditRules()


def _rule(facts: CreditFacts, code: str) -> tuple[RuleOutcome, str]:
    [r] = [r for r in assess_credit(facts, RULES).rules if r.code == code]
    return r.outcome, r.reason


def test_a_good_customer_is_approved() -> None:
    result = assess_credit(GOOD, RULES)
    assert result.outcome is CreditOutcome.APPROVED
    assert [r.code for r in result.rules] == [
        "age",
        "tenure",
        "arrears",
        "contracts",
        "overdue",
        "monthly",
    ]
    assert result.reasons == "各项评估均通过"


@pytest.mark.parametrize(
    ("change", "code", "outcome", "fragment"),
    [
        ({"age": 17}, "age", RuleOutcome.FAIL, "未满 18 周岁"),
        ({"age": None}, "age", RuleOutcome.FAIL, "无出生日期"),
        ({"tenure_days": 89}, "tenure", RuleOutcome.REFER, "不足 90 天"),
        ({"arrears": (("133****5678", 1),)}, "arrears", RuleOutcome.FAIL, "133****5678 欠费 ¥0.01"),
        ({"active_contracts": 2}, "contracts", RuleOutcome.FAIL, "最多 2 份"),
        ({"overdue_now": 1}, "overdue", RuleOutcome.FAIL, "1 期分期逾期未还"),
        ({"paid_late": 1}, "overdue", RuleOutcome.REFER, "逾期后才还清"),
        ({"monthly_fen": 80_001}, "monthly", RuleOutcome.REFER, "超过 ¥800.00"),
        (
            {"existing_monthly_fen": 100_000, "monthly_fen": 50_001},
            "monthly",
            RuleOutcome.FAIL,
            "超过上限 ¥1,500.00",
        ),
    ],
)
def test_each_rule_with_its_reason(
    change: dict[str, object], code: str, outcome: RuleOutcome, fragment: str
) -> None:
    facts = replace(GOOD, **change)  # type: ignore[arg-type]
    got, reason = _rule(facts, code)
    assert got is outcome and fragment in reason
    overall = assess_credit(facts, RULES)
    assert overall.outcome is (
        CreditOutcome.REFUSED if outcome is RuleOutcome.FAIL else CreditOutcome.SUPERVISOR
    )
    assert fragment in overall.reasons


def test_the_limits_are_inclusive() -> None:
    assert _rule(replace(GOOD, age=18), "age")[0] is RuleOutcome.PASS
    assert _rule(replace(GOOD, tenure_days=90), "tenure")[0] is RuleOutcome.PASS
    assert _rule(replace(GOOD, active_contracts=1), "contracts")[0] is RuleOutcome.PASS
    assert _rule(replace(GOOD, monthly_fen=80_000), "monthly")[0] is RuleOutcome.PASS
    assert _rule(replace(GOOD, monthly_fen=150_000), "monthly")[0] is RuleOutcome.REFER


def test_the_rules_are_configurable() -> None:
    lenient = CreditRules(min_age=20, min_tenure_days=0, max_paid_late=3, monthly_limit_fen=10)
    facts = replace(GOOD, age=19, tenure_days=0, paid_late=3)
    result = assess_credit(facts, lenient)
    outcomes = {r.code: r.outcome for r in result.rules}
    assert outcomes["age"] is RuleOutcome.FAIL and "未满 20 周岁" in result.reasons
    assert outcomes["tenure"] is RuleOutcome.PASS and outcomes["overdue"] is RuleOutcome.PASS
    assert outcomes["monthly"] is RuleOutcome.REFER


facts_strategy = st.builds(
    CreditFacts,
    age=st.one_of(st.none(), st.integers(min_value=0, max_value=100)),
    tenure_days=st.integers(min_value=0, max_value=10_000),
    arrears=st.lists(
        st.tuples(st.just("133****5678"), st.integers(min_value=-100, max_value=10_000)),
        max_size=3,
    ).map(tuple),
    active_contracts=st.integers(min_value=0, max_value=5),
    overdue_now=st.integers(min_value=0, max_value=5),
    paid_late=st.integers(min_value=0, max_value=5),
    existing_monthly_fen=st.integers(min_value=0, max_value=200_000),
    monthly_fen=st.integers(min_value=1, max_value=200_000),
)


@SETTINGS
@given(facts_strategy)
def test_any_refusal_refuses_else_any_referral_needs_a_supervisor(facts: CreditFacts) -> None:
    result = assess_credit(facts, RULES)
    outcomes = [r.outcome for r in result.rules]
    assert len(outcomes) == 6 and all(r.reason for r in result.rules)
    if RuleOutcome.FAIL in outcomes:
        assert result.outcome is CreditOutcome.REFUSED
    elif RuleOutcome.REFER in outcomes:
        assert result.outcome is CreditOutcome.SUPERVISOR
    else:
        assert result.outcome is CreditOutcome.APPROVED
    failed = [r.reason for r in result.rules if r.outcome is not RuleOutcome.PASS]
    assert result.reasons == ("；".join(failed) if failed else "各项评估均通过")


ORDER = {CreditOutcome.APPROVED: 0, CreditOutcome.SUPERVISOR: 1, CreditOutcome.REFUSED: 2}


@SETTINGS
@given(facts_strategy, st.integers(min_value=1, max_value=50_000))
def test_asking_for_more_a_month_never_helps(facts: CreditFacts, more: int) -> None:
    base = assess_credit(facts, RULES).outcome
    worse = assess_credit(replace(facts, monthly_fen=facts.monthly_fen + more), RULES).outcome
    assert ORDER[worse] >= ORDER[base]


@SETTINGS
@given(facts_strategy)
def test_an_overdue_instalment_never_helps(facts: CreditFacts) -> None:
    facts = replace(facts, overdue_now=0)
    base = assess_credit(facts, RULES).outcome
    worse = assess_credit(replace(facts, overdue_now=1), RULES).outcome
    assert worse is CreditOutcome.REFUSED and ORDER[worse] >= ORDER[base]


# -- returns -------------------------------------------------------------------------------------


def test_the_return_window_counts_the_sale_day_as_day_zero() -> None:
    sold = date(2026, 12, 1)
    assert return_deadline(sold, 7) == date(2026, 12, 8)
    assert may_return(sold, date(2026, 12, 8), 7)
    assert not may_return(sold, date(2026, 12, 9), 7)
    assert not may_return(sold, date(2026, 11, 30), 7)


def test_a_scheduled_instalment_is_principal_plus_fee() -> None:
    assert ScheduledInstalment(1, date(2026, 12, 24), 36_658, 2_000).amount_fen == 38_658

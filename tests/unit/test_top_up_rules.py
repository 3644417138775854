"""The top-up's pure rules: the offer chosen, the numbers and amounts accepted."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hall_app.domain.errors import ValidationError
from hall_app.domain.top_up import (
    TopUpOffer,
    best_offer,
    check_top_up_amount,
    parse_top_up_number,
)

DAY = date(2026, 11, 24)
offer = st.builds(
    TopUpOffer,
    code=st.text("ABC123", min_size=1, max_size=4),
    name=st.just("充送"),
    min_amount_fen=st.integers(0, 600_000),
    bonus_fen=st.integers(0, 20_000),
    valid_from=st.dates(date(2026, 1, 1), date(2026, 12, 31)),
    valid_to=st.none() | st.dates(date(2026, 1, 1), date(2027, 12, 31)),
    active=st.booleans(),
)


@given(st.lists(offer, max_size=8, unique_by=lambda o: o.code), st.integers(1, 500_000))
def test_the_offer_chosen_applies_and_none_applicable_gives_more(
    offers: list[TopUpOffer], amount: int
) -> None:
    chosen = best_offer(offers, amount, DAY)
    applicable = [
        o for o in offers if o.valid_on(DAY) and o.bonus_fen > 0 and o.min_amount_fen <= amount
    ]
    if chosen is None:
        assert applicable == []
        return
    assert chosen in applicable
    assert all(o.bonus_fen <= chosen.bonus_fen for o in applicable)
    assert best_offer(list(reversed(offers)), amount, DAY) == chosen  # order never matters


def test_an_expired_or_future_or_inactive_offer_never_applies() -> None:
    def o100(start: date, end: date | None, active: bool = True) -> TopUpOffer:
        return TopUpOffer("A", "充100送20", 10_000, 2_000, start, end, active)

    assert best_offer([o100(DAY, DAY)], 10_000, DAY)
    for o in (
        o100(date(2026, 12, 1), None),
        o100(date(2026, 1, 1), date(2026, 11, 23)),
        o100(date(2026, 1, 1), None, active=False),
    ):
        assert best_offer([o], 10_000, DAY) is None


def test_numbers_as_typed() -> None:
    assert parse_top_up_number(" 133-1234-5678 ").digits == "13312345678"
    assert parse_top_up_number("+8613312345678").mobile
    landline = parse_top_up_number("0591-87654321")
    assert landline.digits == "059187654321" and not landline.mobile
    assert parse_top_up_number("010 62345678").digits == "01062345678"
    for bad in ("0591-07654321", "0591-8765432", "059a87654321", "1331234567"):
        with pytest.raises(ValidationError) as refused:
            parse_top_up_number(bad)
        assert refused.value.field == "充值号码"


def test_a_broadband_account_is_refused_as_one() -> None:
    with pytest.raises(ValidationError) as refused:
        parse_top_up_number("KD0591261124010001")
    assert refused.value.text == (
        "充值号码：宽带账号不能充值（预存话费），请输入手机号码或带区号的固话号码"
    )


@given(st.integers(-1_000_000, 1_000_000))
def test_the_limits(amount: int) -> None:
    if 100 <= amount <= 500_000:
        check_top_up_amount(amount, 100, 500_000)
    else:
        with pytest.raises(ValidationError):
            check_top_up_amount(amount, 100, 500_000)

"""Fuzzing money parsing, payment settling and the search classifier (issue 15 §5): any text
gives a typed ``HallError`` or a well-formed result."""

from __future__ import annotations

import datetime
from decimal import Decimal

from hypothesis import example, given
from hypothesis import strategies as st

from hall_app.domain.enums import PaymentMethod
from hall_app.domain.errors import ValidationError
from hall_app.domain.money import (
    MAX_CAPITAL_FEN,
    capital_amount,
    format_yuan,
    split_tax,
    to_fen,
)
from hall_app.domain.payments import PaymentInput, settle
from hall_app.domain.top_up import parse_top_up_amount
from hall_app.services.customers import QueryKind, classify_query, near_miss
from tests.fuzz_support import (
    ANY_CHAR,
    CJK,
    MONEY_CHARS,
    full_width,
    fuzz,
    mobiles,
    resident_ids,
    texts_like,
    usccs,
)

TODAY = datetime.date(2026, 11, 24)

amounts = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=2, max_value=10**12).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.builds(lambda n: f"¥{n:,}.00", st.integers(-(10**16), 10**16)),
)


@fuzz(200)
@given(texts_like(amounts, alphabet=MONEY_CHARS))
@example("1E+999999")
@example("１２.５０")
@example("12.5\u0663")
@example("-¥-3")
@example("9" * 40)
def test_money_text(text: str) -> None:
    try:
        fen = to_fen(text)
    except ValidationError as exc:
        assert exc.field == "金额" and exc.message
        return
    assert abs(fen) < 10**17
    assert to_fen(format_yuan(fen)) == fen  # the shown amount reads back the same
    try:
        words = capital_amount(fen)
    except ValidationError:
        assert abs(fen) > MAX_CAPITAL_FEN
    else:
        assert words.endswith(("整", "分"))
    try:
        assert parse_top_up_amount(text) == fen
    except ValidationError as exc:
        raise AssertionError("the top-up amount reads what to_fen reads") from exc


@fuzz(100)
@given(st.decimals(allow_nan=True, allow_infinity=True) | st.decimals(places=6))
@example(Decimal("1E+999999"))
@example(Decimal("-0E-1000"))
def test_money_decimal(value: Decimal) -> None:
    try:
        fen = to_fen(value)
    except ValidationError as exc:
        assert exc.field == "金额"
        return
    assert Decimal(fen) / 100 == value


@fuzz(100)
@given(
    st.integers(-(10**15), 10**15),
    st.decimals(min_value=-2, max_value=2) | st.sampled_from([Decimal("NaN"), Decimal("-Inf")]),
)
def test_tax_split(total: int, rate: Decimal) -> None:
    try:
        split = split_tax(total, rate)
    except ValidationError as exc:
        assert exc.field == "税率"
        return
    assert split.amount_fen + split.tax_fen == total


@fuzz(100)
@given(
    st.integers(0, 10**9),
    st.lists(
        st.builds(
            PaymentInput,
            st.sampled_from(list(PaymentMethod)),
            st.integers(-(10**9), 10**9),
            st.none() | st.integers(-(10**9), 10**10),
            st.text(ANY_CHAR, max_size=30),
        ),
        max_size=3,
    ),
)
def test_settle(total: int, payments: list[PaymentInput]) -> None:
    try:
        settled = settle(total, payments)
    except ValidationError as exc:
        assert exc.message
        return
    assert sum(p.amount_fen for p in settled) == total
    assert all(p.change_fen >= 0 for p in settled)


queries = texts_like(
    mobiles(),
    resident_ids(),
    usccs(),
    st.text(CJK, min_size=1, max_size=6),
    st.sampled_from(["KD059100001234", "059187654321", "zs", "Zhang San", "+86 133 1234 5678"]),
)


@fuzz(200)
@given(queries)
@example("")
@example("\x00")
@example("\ud800")
@example("１３３１２３４５６７８")
@example("13312345٦78")
@example("²" * 15)
@example("张\U0010ffff")
@example("KD٠٥٩١٠٠٠٠١٢٣٤")
def test_search_classifier(text: str) -> None:
    try:
        kind, value = classify_query(text, today=TODAY)
    except ValidationError as exc:
        assert exc.field == "查询条件" and exc.message
        return
    assert value
    if kind in (QueryKind.PHONE, QueryKind.SERVICE_NUMBER):
        assert value.isascii(), (kind, value)
    if kind is QueryKind.ID_OR_USCC:
        assert value.isascii() and len(value) == 18, value
    hint = near_miss(value)
    assert hint is None or hint


@fuzz(50)
@given(mobiles() | resident_ids())
@example("13312345678")
def test_a_number_typed_in_full_width_is_searched_as_typed_in_ascii(number: str) -> None:
    assert classify_query(full_width(number), today=TODAY) == classify_query(number, today=TODAY)


@fuzz(50)
@given(mobiles(), st.sampled_from("٠١٢٣٤٥٦٧٨٩²①"))
def test_digits_of_other_scripts_are_refused(number: str, digit: str) -> None:
    try:
        kind, value = classify_query(number[:5] + digit + number[6:], today=TODAY)
    except ValidationError:
        return
    assert kind in (QueryKind.NAME, QueryKind.INITIALS) or value.isascii()

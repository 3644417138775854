"""Money, VAT and amounts in Chinese capitals: domain-rules.md, "Money, tax and invoices"."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hall_app.domain.errors import ValidationError
from hall_app.domain.money import (
    MAX_CAPITAL_FEN,
    TaxSplit,
    capital_amount,
    fen_to_decimal,
    format_yuan,
    split_tax,
    to_fen,
)

SETTINGS = settings(max_examples=200, deadline=None, database=None)
RATES = [Decimal("0.06"), Decimal("0.09"), Decimal("0.13")]


def rejects_amount(value: Decimal | str | int, *fragments: str) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        to_fen(value)
    assert info.value.field == "金额"
    for fragment in fragments:
        assert fragment in info.value.message
    return info.value


# --- to_fen -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("12", 1200),
        ("12.5", 1250),
        ("12.50", 1250),
        ("¥1,234.56", 123456),
        ("-3.00", -300),
        ("-¥3.00", -300),
        ("¥-3.00", -300),
        ("￥8.00", 800),  # full-width yuan sign from a Chinese input method
        ("  7.01 ", 701),
        ("0", 0),
        ("0.00", 0),
        ("-0.00", 0),
        ("+5", 500),
        ("0.01", 1),
        ("0.1", 10),
        ("007", 700),
        ("1,000", 100000),
        ("1,234,567.89", 123456789),
        ("1234567.89", 123456789),
        ("12.500", 1250),  # exact: trailing zeros lose nothing
        ("99999999999999.99", 9999999999999999),
    ],
)
def test_to_fen_strings(text: str, fen: int) -> None:
    assert to_fen(text) == fen


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        (Decimal("12.5"), 1250),
        (Decimal("12.50"), 1250),
        (Decimal("-3"), -300),
        (Decimal("0"), 0),
        (Decimal("-0.00"), 0),
        (Decimal("1E+2"), 10000),
        (Decimal("12.500"), 1250),
        (Decimal("2.50") * Decimal("5.0"), 1250),
        (12, 1200),
        (-3, -300),
        (0, 0),
    ],
)
def test_to_fen_decimals_and_whole_yuan_ints(value: Decimal | int, fen: int) -> None:
    assert to_fen(value) == fen


@pytest.mark.parametrize("text", ["12.345", "0.001", "1.999", "-3.005", "¥1,234.567"])
def test_to_fen_rejects_more_than_two_decimals(text: str) -> None:
    assert rejects_amount(text).message == "金额最多两位小数"


@pytest.mark.parametrize("value", [Decimal("0.001"), Decimal("12.345"), Decimal("1E-3")])
def test_to_fen_rejects_inexact_decimals(value: Decimal) -> None:
    assert rejects_amount(value).message == "金额最多两位小数"


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "12.",
        ".5",
        "1,23.00",
        "12,34",
        "1,2345",
        "1.2.3",
        "--3",
        "-¥-3",
        "+-3",
        "¥",
        "-",
        "1 000",
        "１２",
        "١٢",  # Arabic-Indic digits
        "NaN",
        "Infinity",
        "1e3",
        "12元",
        "$12",
        "¥¥12",
        "12-",
    ],
)
def test_to_fen_rejects_garbage(text: str) -> None:
    error = rejects_amount(text, "不是有效金额")
    assert text.strip() in error.message


@pytest.mark.parametrize(
    "value", ["1" + "0" * 15, "-1" + "0" * 15, "9" * 30, Decimal("1E+15"), Decimal("-1E+999999")]
)
def test_to_fen_rejects_absurdly_large_amounts(value: str | Decimal) -> None:
    rejects_amount(value, "金额过大")


@pytest.mark.parametrize("text", ["1." + "0" * 4300, "9" * 5000, " " + "1" * 33 + " "])
def test_to_fen_refuses_overlong_text_before_parsing(text: str) -> None:
    error = rejects_amount(text, "最多 32 个字符")
    assert f"现在 {len(text.strip())} 个字符" in error.message


def test_to_fen_longest_amount_text_is_read() -> None:
    assert to_fen("-¥999,999,999,999,999.99") == -(10**17 - 1)


@pytest.mark.parametrize(
    ("value", "fen"),
    [(Decimal("1." + "0" * 5000), 100), (Decimal("0." + "0" * 5000), 0), (Decimal("0E-9999"), 0)],
)
def test_to_fen_decimals_with_thousands_of_zero_places(value: Decimal, fen: int) -> None:
    assert to_fen(value) == fen


def test_to_fen_decimal_with_a_digit_far_past_the_fen() -> None:
    rejects_amount(Decimal("1." + "0" * 5000 + "1"), "最多两位小数")


@SETTINGS
@given(st.text(max_size=6000) | st.text(alphabet="0123456789.,¥￥+- \t", max_size=6000))
def test_to_fen_on_any_text_gives_fen_or_a_validation_error(text: str) -> None:
    try:
        fen = to_fen(text)
    except ValidationError as exc:
        assert exc.field == "金额"
    else:
        assert type(fen) is int and abs(fen) < 10**17


@SETTINGS
@given(st.decimals(allow_nan=True, allow_infinity=True, places=None))
def test_to_fen_on_any_decimal_gives_fen_or_a_validation_error(value: Decimal) -> None:
    try:
        fen = to_fen(value)
    except ValidationError as exc:
        assert exc.field == "金额"
    else:
        assert type(fen) is int and abs(fen) < 10**17


def test_to_fen_largest_accepted_amount() -> None:
    assert to_fen("9" * 15 + ".99") == 10**17 - 1
    assert to_fen(Decimal("-999999999999999.99")) == -(10**17) + 1


@pytest.mark.parametrize("text", ["", "   ", "\t"])
def test_to_fen_rejects_empty(text: str) -> None:
    assert rejects_amount(text).message == "不能为空"


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_to_fen_rejects_non_finite_decimals(value: Decimal) -> None:
    rejects_amount(value, "不是有效金额")


@pytest.mark.parametrize("value", [12.5, 0.0, float("nan"), True, None, [1], b"12"])
def test_to_fen_refuses_floats_and_other_types(value: object) -> None:
    with pytest.raises(TypeError):
        to_fen(value)  # type: ignore[arg-type]


# --- fen_to_decimal and format_yuan -------------------------------------------------------------


@pytest.mark.parametrize(
    ("fen", "text"),
    [(123450, "1234.50"), (0, "0.00"), (-300, "-3.00"), (5, "0.05"), (-5, "-0.05"), (100, "1.00")],
)
def test_fen_to_decimal(fen: int, text: str) -> None:
    value = fen_to_decimal(fen)
    assert value == Decimal(text)
    assert str(value) == text
    assert value.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (123450, "¥1,234.50"),
        (-300, "-¥3.00"),
        (0, "¥0.00"),
        (5, "¥0.05"),
        (-5, "-¥0.05"),
        (99, "¥0.99"),
        (100000, "¥1,000.00"),
        (99999, "¥999.99"),
        (100000000, "¥1,000,000.00"),
        (-123456789, "-¥1,234,567.89"),
    ],
)
def test_format_yuan(fen: int, text: str) -> None:
    assert format_yuan(fen) == text


@pytest.mark.parametrize("bad", [1.5, True, "100", Decimal("1")])
def test_fen_functions_require_int(bad: object) -> None:
    with pytest.raises(TypeError):
        format_yuan(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        fen_to_decimal(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        capital_amount(bad)  # type: ignore[arg-type]


@SETTINGS
@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_to_fen_round_trips_formatted_amounts(fen: int) -> None:
    shown = format_yuan(fen)
    assert to_fen(shown) == fen
    assert to_fen(shown.replace("¥", "")) == fen
    assert to_fen(shown.replace("¥", "").replace(",", "")) == fen
    assert to_fen(fen_to_decimal(fen)) == fen
    assert to_fen(str(fen_to_decimal(fen))) == fen


# --- split_tax ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "rate", "amount", "tax"),
    [
        ("109.00", "0.09", "100.00", "9.00"),  # the examples in domain-rules.md
        ("50.00", "0.06", "47.17", "2.83"),
        ("5999.00", "0.13", "5308.85", "690.15"),
        ("1.00", "0.06", "0.94", "0.06"),
        ("0.01", "0.13", "0.01", "0.00"),
        ("0.00", "0.09", "0.00", "0.00"),
        ("100.00", "0", "100.00", "0.00"),
        ("0.04", "0.6", "0.03", "0.01"),  # 4 / 1.6 = 2.5 fen: half-up gives 3
    ],
)
def test_split_tax_vectors(total: str, rate: str, amount: str, tax: str) -> None:
    split = split_tax(to_fen(total), Decimal(rate))
    assert split == TaxSplit(to_fen(total), to_fen(amount), to_fen(tax), Decimal(rate))


def test_split_tax_red_letter_examples_mirror_the_originals() -> None:
    assert split_tax(-10900, Decimal("0.09")) == TaxSplit(-10900, -10000, -900, Decimal("0.09"))
    assert split_tax(-5000, Decimal("0.06")) == TaxSplit(-5000, -4717, -283, Decimal("0.06"))
    assert split_tax(-599900, Decimal("0.13")) == TaxSplit(
        -599900, -530885, -69015, Decimal("0.13")
    )
    # the half-fen case rounds away from zero on both sides
    assert split_tax(-4, Decimal("0.6")) == TaxSplit(-4, -3, -1, Decimal("0.6"))


@pytest.mark.parametrize("rate", [Decimal("-0.01"), Decimal("1"), Decimal("1.5"), Decimal("NaN")])
def test_split_tax_rejects_bad_rates(rate: Decimal) -> None:
    with pytest.raises(ValidationError) as info:
        split_tax(10000, rate)
    assert info.value.field == "税率"
    assert "无效" in info.value.message


@pytest.mark.parametrize("rate", [0.09, "0.09", 9])
def test_split_tax_rate_must_be_decimal(rate: object) -> None:
    with pytest.raises(TypeError):
        split_tax(10000, rate)  # type: ignore[arg-type]


@pytest.mark.parametrize("total", [100.0, Decimal("100"), "100", True])
def test_split_tax_total_must_be_int_fen(total: object) -> None:
    with pytest.raises(TypeError):
        split_tax(total, Decimal("0.09"))  # type: ignore[arg-type]


def test_tax_split_is_frozen() -> None:
    split = split_tax(10900, Decimal("0.09"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        split.tax_fen = 0  # type: ignore[misc]


@SETTINGS
@given(st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from(RATES))
def test_split_tax_properties(total: int, rate: Decimal) -> None:
    split = split_tax(total, rate)
    assert split.total_fen == total
    assert split.rate == rate
    assert split.amount_fen + split.tax_fen == total
    exact = Fraction(total) / (1 + Fraction(rate))
    assert abs(split.amount_fen - exact) <= Fraction(1, 2)
    assert split_tax(-total, rate) == TaxSplit(-total, -split.amount_fen, -split.tax_fen, rate)
    assert abs(split.tax_fen) <= abs(total)
    assert split.tax_fen * total >= 0  # tax has the sign of the total


# --- capital_amount -----------------------------------------------------------------------------

CAPITALS = [
    # domain-rules.md examples (10.50 is tested separately below: see the note there)
    ("1005.00", "壹仟零伍元整"),
    ("100010.00", "壹拾万零壹拾元整"),
    ("0.50", "伍角整"),
    ("0.05", "伍分"),
    ("0.00", "零元整"),
    # the vectors of the brief, derived from the pinned rules
    ("100.05", "壹佰元零伍分"),
    ("100.50", "壹佰元零伍角整"),
    ("1.05", "壹元零伍分"),
    ("10000.00", "壹万元整"),
    ("100000000.00", "壹亿元整"),
    ("101000.00", "壹拾万壹仟元整"),
    ("1010.00", "壹仟零壹拾元整"),
    ("10001.00", "壹万零壹元整"),
    ("110000.00", "壹拾壹万元整"),
    # 元 digit 0, 角 0, 分 not 0: both rules put their 零 right after 元; one 零 is written
    ("1000000.01", "壹佰万元零壹分"),
    # People's Bank of China examples, in the form with 零 after 元
    ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
    ("107000.53", "壹拾万柒仟元零伍角叁分"),
    ("6007.14", "陆仟零柒元壹角肆分"),
    ("1409.50", "壹仟肆佰零玖元伍角整"),
    ("325.04", "叁佰贰拾伍元零肆分"),
    # the split_tax examples
    ("109.00", "壹佰零玖元整"),
    ("9.00", "玖元整"),
    ("47.17", "肆拾柒元壹角柒分"),
    ("2.83", "贰元捌角叁分"),
    ("5999.00", "伍仟玖佰玖拾玖元整"),
    ("5308.85", "伍仟叁佰零捌元捌角伍分"),
    ("690.15", "陆佰玖拾元零壹角伍分"),
    # small amounts
    ("0.01", "壹分"),
    ("0.10", "壹角整"),
    ("0.55", "伍角伍分"),
    ("0.99", "玖角玖分"),
    ("1.00", "壹元整"),
    ("1.50", "壹元伍角整"),
    ("1.55", "壹元伍角伍分"),
    ("1.01", "壹元零壹分"),
    # 壹拾, never bare 拾
    ("10.00", "壹拾元整"),
    ("11.00", "壹拾壹元整"),
    ("15.00", "壹拾伍元整"),
    ("20.00", "贰拾元整"),
    ("10.05", "壹拾元零伍分"),
    ("10.55", "壹拾元零伍角伍分"),
    ("19.90", "壹拾玖元玖角整"),
    ("100000.00", "壹拾万元整"),
    ("1000000000.00", "壹拾亿元整"),
    # zeros inside a group
    ("100.00", "壹佰元整"),
    ("101.00", "壹佰零壹元整"),
    ("110.00", "壹佰壹拾元整"),
    ("1001.00", "壹仟零壹元整"),
    ("1100.00", "壹仟壹佰元整"),
    ("2020.20", "贰仟零贰拾元零贰角整"),
    # group boundaries
    ("1000000.00", "壹佰万元整"),
    ("10000000.00", "壹仟万元整"),
    ("100001.00", "壹拾万零壹元整"),
    ("1000100.00", "壹佰万零壹佰元整"),
    ("1001000.00", "壹佰万壹仟元整"),
    ("10010000.00", "壹仟零壹万元整"),
    ("10100000.00", "壹仟零壹拾万元整"),
    ("10001000.00", "壹仟万壹仟元整"),
    ("100000001.00", "壹亿零壹元整"),  # the all-zero 万 group is skipped
    ("100010000.00", "壹亿零壹万元整"),
    ("100100000.00", "壹亿零壹拾万元整"),
    ("110000000.00", "壹亿壹仟万元整"),
    ("1000000010.00", "壹拾亿零壹拾元整"),
    ("120034005.60", "壹亿贰仟零叁万肆仟零伍元陆角整"),
    ("120034000.60", "壹亿贰仟零叁万肆仟元零陆角整"),
    ("12345678901.23", "壹佰贰拾叁亿肆仟伍佰陆拾柒万捌仟玖佰零壹元贰角叁分"),
    # the top of the range
    ("100000000000.00", "壹仟亿元整"),
    ("999900000000.00", "玖仟玖佰玖拾玖亿元整"),
    ("999999999999.99", "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    # red-letter invoices
    ("-3.00", "负叁元整"),
    ("-0.05", "负伍分"),
    ("-0.50", "负伍角整"),
    ("-1005.00", "负壹仟零伍元整"),
    ("-100.50", "负壹佰元零伍角整"),
    ("-999999999999.99", "负玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
]


@pytest.mark.parametrize(("yuan", "words"), CAPITALS)
def test_capital_amount_vectors(yuan: str, words: str) -> None:
    assert capital_amount(to_fen(yuan)) == words


# domain-rules.md contradicts itself on one example. Its pinned rule says "零 follows 元 when
# the 元 digit is 0 and the 角 digit is not", which makes 10.50 壹拾元零伍角整, but its example
# list says 10.50 壹拾元伍角整. The PBOC rules allow both forms; the default follows the rule
# (as does 100.50 壹佰元零伍角整 of the brief) and zero_after_yuan=False gives the example's form.


def test_rules_example_10_50_follows_the_pinned_rule_by_default() -> None:
    assert capital_amount(1050) == "壹拾元零伍角整"


def test_rules_example_10_50_without_the_optional_zero() -> None:
    assert capital_amount(1050, zero_after_yuan=False) == "壹拾元伍角整"


def test_rules_example_10_50_contradiction_is_settled() -> None:
    # domain-rules.md pins "零 follows 元 when the 元 digit is 0 and the 角 digit is not" but
    # lists 10.50 as 壹拾元伍角整. PBOC allows both; the pinned rule is the default and the
    # example's form is the explicit option.
    assert capital_amount(1050) == "壹拾元零伍角整"
    assert capital_amount(1050, zero_after_yuan=False) == "壹拾元伍角整"


@pytest.mark.parametrize(
    ("yuan", "words"),
    [
        ("10.50", "壹拾元伍角整"),
        ("100.50", "壹佰元伍角整"),
        ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
        ("107000.53", "壹拾万柒仟元伍角叁分"),
        ("-100.50", "负壹佰元伍角整"),
        # the 零 for 角 0 and 分 not 0 is not optional
        ("1000000.01", "壹佰万元零壹分"),
        ("100.05", "壹佰元零伍分"),
        ("1.05", "壹元零伍分"),
        # nothing else changes
        ("1005.00", "壹仟零伍元整"),
        ("1.50", "壹元伍角整"),
        ("0.50", "伍角整"),
        ("0.00", "零元整"),
    ],
)
def test_capital_amount_without_zero_after_yuan(yuan: str, words: str) -> None:
    assert capital_amount(to_fen(yuan), zero_after_yuan=False) == words


@pytest.mark.parametrize("fen", [MAX_CAPITAL_FEN + 1, -MAX_CAPITAL_FEN - 1, 10**20])
def test_capital_amount_out_of_range(fen: int) -> None:
    with pytest.raises(ValidationError) as info:
        capital_amount(fen)
    assert info.value.field == "金额"
    assert "超出" in info.value.message
    assert "9999亿" in info.value.message


def test_capital_amount_range_limit() -> None:
    assert MAX_CAPITAL_FEN == 99_999_999_999_999
    assert capital_amount(MAX_CAPITAL_FEN).startswith("玖仟玖佰玖拾玖亿")


DIGIT_VALUES = {ch: i for i, ch in enumerate("零壹贰叁肆伍陆柒捌玖")}
SMALL_UNITS = {"拾": 10, "佰": 100, "仟": 1000}


def _parse_group(words: str) -> int:
    """'壹仟零伍' -> 1005: digits each followed by their unit (or none for the ones)."""
    value = 0
    pending: int | None = None
    for ch in words:
        if ch == "零":
            continue
        if ch in DIGIT_VALUES:
            assert pending is None, f"two digits in a row in {words!r}"
            pending = DIGIT_VALUES[ch]
        else:
            assert pending is not None, f"unit without a digit in {words!r}"
            value += pending * SMALL_UNITS[ch]
            pending = None
    return value + (pending or 0)


def parse_capitals(words: str) -> int:
    """Read capitals back into fen, written independently of the implementation."""
    sign = -1 if words.startswith("负") else 1
    words = words.removeprefix("负")
    assert words.count("元") <= 1
    integer, _, fraction = words.rpartition("元") if "元" in words else ("", "", words)
    yuan = 0
    if "亿" in integer:
        high, integer = integer.split("亿")
        yuan += _parse_group(high) * 10**8
    if "万" in integer:
        high, integer = integer.split("万")
        yuan += _parse_group(high) * 10**4
    yuan += _parse_group(integer)
    fen = 0
    pending: int | None = None
    for ch in fraction:
        if ch in ("零", "整"):
            continue
        if ch in DIGIT_VALUES:
            pending = DIGIT_VALUES[ch]
        else:
            assert pending is not None
            fen += pending * (10 if ch == "角" else 1)
            pending = None
    assert pending is None
    return sign * (yuan * 100 + fen)


fens = st.one_of(
    st.integers(min_value=-MAX_CAPITAL_FEN, max_value=MAX_CAPITAL_FEN),
    st.integers(min_value=-100_000, max_value=100_000),
    # amounts with many zeros, where the 零 rules matter
    st.lists(st.sampled_from("0000001"), min_size=1, max_size=14).map(lambda d: int("".join(d))),
    st.lists(st.sampled_from("0000009"), min_size=1, max_size=14).map(lambda d: -int("".join(d))),
)


@SETTINGS
@given(fens, st.booleans())
def test_capital_amount_properties(fen: int, zero_after_yuan: bool) -> None:
    words = capital_amount(fen, zero_after_yuan=zero_after_yuan)
    assert "零零" not in words
    assert not words.endswith("零")
    assert words.startswith("负") is (fen < 0)
    assert "负" not in words[1:]
    assert set(words) <= set("负零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整")
    assert "零元" not in words or words == "零元整"
    # 拾 always carries its digit (壹拾, never bare 拾)
    assert all(words[i - 1] in DIGIT_VALUES for i, ch in enumerate(words) if ch == "拾")
    assert words.endswith("整") is (fen % 10 == 0)
    assert ("元" in words) is (abs(fen) >= 100 or fen == 0)
    if fen % 100 == 0:
        assert words.endswith("元整")
    assert parse_capitals(words) == fen
    # the optional 零 is the only difference between the two styles
    other = capital_amount(fen, zero_after_yuan=not zero_after_yuan)
    assert other.replace("元零", "元") == words.replace("元零", "元")
    if abs(fen) >= 100 and abs(fen) // 100 % 10 == 0 and abs(fen) // 10 % 10:
        assert ("元零" in words) is zero_after_yuan


@SETTINGS
@given(st.integers(min_value=1, max_value=10**12 - 1))
def test_integer_yuan_amounts_end_with_yuan_zheng(yuan: int) -> None:
    words = capital_amount(yuan * 100)
    assert words.endswith("元整")
    assert parse_capitals(words) == yuan * 100

"""Resident ID numbers (GB 11643-1999): domain-rules.md, section "Resident ID number"."""

from __future__ import annotations

import dataclasses
import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.strategies import DrawFn

from hall_app.domain.errors import HallError, ValidationError
from hall_app.domain.resident_id import ResidentId, parse_resident_id, resident_id_check_char

FIELD = "证件号码"
TODAY = datetime.date(2025, 6, 1)
OLDEST_ALLOWED = datetime.date(1904, 6, 2)  # 120 years old on TODAY
SETTINGS = settings(max_examples=200, deadline=None, database=None)


def rejects(text: str, *fragments: str, today: datetime.date = TODAY) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        parse_resident_id(text, today=today)
    error = info.value
    assert error.field == FIELD
    for fragment in fragments:
        assert fragment in error.message
    assert error.text.startswith(f"{FIELD}：")
    return error


def reference_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 written independently: weights are 2**(17-i) mod 11."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def with_check(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


# --- the examples in domain-rules.md ---------------------------------------------------------


def test_rules_example_valid_standard_number() -> None:
    rid = parse_resident_id("11010519491231002X", today=TODAY)
    assert rid == ResidentId(
        number="11010519491231002X",
        region_code="110105",
        birth_date=datetime.date(1949, 12, 31),
        gender="F",
        upgraded_from_15=False,
    )


def test_rules_example_wrong_check_character_should_be_x() -> None:
    error = rejects("110105194912310021", "校验位错误", "应为 X")
    assert error.message == "校验位错误，应为 X"
    assert error.text == "证件号码：校验位错误，应为 X"


def test_rules_example_right_check_character_but_no_such_date() -> None:
    assert resident_id_check_char("11010519900230002") == "8"
    error = rejects("110105199002300028", "出生日期", "1990-02-30", "不是有效日期")
    assert error.message == "出生日期 1990-02-30 不是有效日期"


def test_lower_case_x_is_normalised() -> None:
    assert parse_resident_id("11010519491231002x", today=TODAY).number == "11010519491231002X"


def test_surrounding_whitespace_is_ignored() -> None:
    rid = parse_resident_id("  11010519491231002X\t\n", today=TODAY)
    assert rid.number == "11010519491231002X"


def test_default_today_is_the_system_date() -> None:
    assert parse_resident_id("11010519491231002X").birth_date == datetime.date(1949, 12, 31)


# --- check character ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        ("11010519491231002", "X"),
        ("11010519900230002", "8"),
        ("00000000000000000", "1"),  # sum 0 -> 1
        ("44052419800101001", "3"),
        ("11010120000101001", "0"),
    ],
)
def test_check_char_vectors(first17: str, expected: str) -> None:
    assert resident_id_check_char(first17) == expected
    assert reference_check_char(first17) == expected


def test_every_check_character_occurs() -> None:
    seen = {resident_id_check_char(f"{n:017d}") for n in range(200)}
    assert seen == set("0123456789X")


@pytest.mark.parametrize("bad", ["", "1101051949123100", "110105194912310021", "1101051949123100A"])
def test_check_char_needs_17_digits(bad: str) -> None:
    with pytest.raises(ValidationError) as info:
        resident_id_check_char(bad)
    assert info.value.field == FIELD


# --- legacy 15-digit numbers --------------------------------------------------------------------


def test_fifteen_digit_number_is_upgraded() -> None:
    rid = parse_resident_id("110105491231002", today=TODAY)
    assert rid.number == "11010519491231002X"
    assert rid.upgraded_from_15 is True
    assert rid.birth_date == datetime.date(1949, 12, 31)
    assert rid.region_code == "110105"
    assert rid.gender == "F"


def test_fifteen_digit_male() -> None:
    rid = parse_resident_id("440524800101001", today=TODAY)
    assert rid.number == "440524198001010013"
    assert rid.gender == "M"
    assert rid.birth_date == datetime.date(1980, 1, 1)


def test_fifteen_digit_with_invalid_date() -> None:
    rejects("110105900230002", "出生日期 1990-02-30 不是有效日期")


def test_fifteen_digit_cannot_contain_x() -> None:
    assert rejects("11010549123100X").message == "15 位旧号码不能含有 X"


def test_fifteen_digit_region_checked() -> None:
    rejects("910105491231002", "地区码无效")


# --- shape errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_empty_is_rejected(text: str) -> None:
    error = rejects(text, "不能为空")
    assert error.message == "不能为空"


@pytest.mark.parametrize(
    ("text", "actual"),
    [
        ("1101051949123100", 16),
        ("11010519491231002", 17),
        ("11010519491231002X1", 19),
        ("1", 1),
        ("1101054912310", 13),
    ],
)
def test_wrong_length(text: str, actual: int) -> None:
    error = rejects(text, "长度应为 18 位", f"实际 {actual} 位")
    assert error.message == f"长度应为 18 位，实际 {actual} 位"


@pytest.mark.parametrize(
    ("text", "char"),
    [
        ("11010519491231002A", "A"),
        ("1101051949123l002X", "l"),
        ("110105-19491231002", "-"),
        ("11010519491231002?", "?"),
    ],
)
def test_illegal_character_is_named(text: str, char: str) -> None:
    rejects(text, f"含有非法字符 {char}")


def test_inner_space_is_named() -> None:
    rejects("110105 19491231002X", "含有非法字符", "空格")


def test_full_width_digit_is_named() -> None:
    rejects("１1010519491231002X", "含有非法字符 １", "半角")


@pytest.mark.parametrize("text", ["1101051949123100X2", "X10105194912310021"])
def test_x_only_as_check_character(text: str) -> None:
    rejects(text, "X 只能出现在", "第 18 位")


# --- region code --------------------------------------------------------------------------------


@pytest.mark.parametrize("first", "09")
def test_region_code_first_digit_must_be_1_to_8(first: str) -> None:
    number = with_check(f"{first}1010519900101001")
    error = rejects(number, "地区码无效")
    assert f"{first}10105" in error.message


@pytest.mark.parametrize("first", "12345678")
def test_region_code_first_digit_1_to_8_accepted(first: str) -> None:
    number = with_check(f"{first}1010519900101001")
    assert parse_resident_id(number, today=TODAY).region_code == f"{first}10105"


# --- birth date ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "shown"),
    [
        ("19900230", "1990-02-30"),
        ("19900229", "1990-02-29"),
        ("19000229", "1900-02-29"),  # 1900 is not a leap year
        ("19901301", "1990-13-01"),
        ("19900001", "1990-00-01"),
        ("19900100", "1990-01-00"),
        ("19900431", "1990-04-31"),
        ("00000101", "0000-01-01"),
    ],
)
def test_birth_date_must_be_a_calendar_date(birth: str, shown: str) -> None:
    error = rejects(with_check(f"110105{birth}001"), "不是有效日期")
    assert error.message == f"出生日期 {shown} 不是有效日期"


def test_leap_day_in_leap_year_is_accepted() -> None:
    rid = parse_resident_id(with_check("11010520000229001"), today=TODAY)
    assert rid.birth_date == datetime.date(2000, 2, 29)


def test_birth_date_in_the_future_is_rejected() -> None:
    error = rejects(with_check("11010520250602001"), "2025-06-02", "晚于今天")
    assert error.message == "出生日期 2025-06-02 晚于今天"


def test_born_today_is_accepted() -> None:
    rid = parse_resident_id(with_check("11010520250601001"), today=TODAY)
    assert rid.age_on(TODAY) == 0


def test_exactly_120_years_old_is_accepted() -> None:
    rid = parse_resident_id(with_check("11010519050601001"), today=TODAY)
    assert rid.age_on(TODAY) == 120
    rid = parse_resident_id(with_check("11010519040602001"), today=TODAY)
    assert rid.age_on(TODAY) == 120


def test_older_than_120_is_rejected() -> None:
    error = rejects(with_check("11010519040601001"), "1904-06-01", "120")
    assert "不合理" in error.message


def test_today_parameter_moves_the_limits() -> None:
    number = with_check("11010520300101001")
    rejects(number, "晚于今天")
    later = datetime.date(2030, 1, 1)
    assert parse_resident_id(number, today=later).birth_date == later


def test_check_character_is_reported_before_the_date() -> None:
    # a mistyped number is most likely a typo: the check character says so first
    rejects("110105199002300021", "校验位错误，应为 8")


# --- gender and age -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sequence", "gender"),
    [("001", "M"), ("002", "F"), ("010", "F"), ("999", "M"), ("000", "F"), ("123", "M")],
)
def test_gender_from_sequence_parity(sequence: str, gender: str) -> None:
    rid = parse_resident_id(with_check(f"11010519800101{sequence}"), today=TODAY)
    assert rid.gender == gender


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (datetime.date(1980, 6, 1), datetime.date(2025, 6, 1), 45),
        (datetime.date(1980, 6, 2), datetime.date(2025, 6, 1), 44),
        (datetime.date(1980, 5, 31), datetime.date(2025, 6, 1), 45),
        (datetime.date(2009, 6, 2), datetime.date(2025, 6, 1), 15),  # 16 tomorrow
        (datetime.date(2009, 6, 1), datetime.date(2025, 6, 1), 16),
        (datetime.date(2000, 2, 29), datetime.date(2001, 2, 28), 0),
        (datetime.date(2000, 2, 29), datetime.date(2001, 3, 1), 1),
        (datetime.date(2000, 2, 29), datetime.date(2004, 2, 29), 4),
        (datetime.date(2000, 12, 31), datetime.date(2001, 1, 1), 0),
        (datetime.date(2000, 1, 1), datetime.date(2000, 1, 1), 0),
    ],
)
def test_age_on_counts_full_years(birth: datetime.date, day: datetime.date, age: int) -> None:
    number = with_check(f"110105{birth:%Y%m%d}001")
    rid = parse_resident_id(number, today=max(day, birth))
    assert rid.age_on(day) == age


def test_age_on_a_day_before_birth_is_a_bug() -> None:
    rid = parse_resident_id("11010519491231002X", today=TODAY)
    with pytest.raises(ValueError, match="before the birth date"):
        rid.age_on(datetime.date(1949, 12, 30))


def test_result_is_frozen() -> None:
    rid = parse_resident_id("11010519491231002X", today=TODAY)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rid.number = "x"  # type: ignore[misc]


def test_validation_error_is_a_hall_error() -> None:
    assert isinstance(rejects("1", "长度"), HallError)


# --- properties ---------------------------------------------------------------------------------

regions = st.integers(min_value=100000, max_value=899999).map(str)
birth_dates = st.dates(min_value=OLDEST_ALLOWED, max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999).map(lambda n: f"{n:03d}")


@st.composite
def valid_ids(draw: DrawFn) -> str:
    region = draw(regions)
    birth = draw(birth_dates)
    first17 = f"{region}{birth:%Y%m%d}{draw(sequences)}"
    return first17 + reference_check_char(first17)


@SETTINGS
@given(valid_ids())
def test_generated_valid_ids_parse_and_round_trip(number: str) -> None:
    rid = parse_resident_id(number, today=TODAY)
    assert rid.number == number
    assert rid.region_code == number[:6]
    assert f"{rid.birth_date:%Y%m%d}" == number[6:14]
    assert rid.gender == ("M" if int(number[16]) % 2 else "F")
    assert rid.upgraded_from_15 is False
    assert 0 <= rid.age_on(TODAY) <= 120
    assert parse_resident_id(rid.number, today=TODAY) == rid
    assert parse_resident_id(f" {number.lower()} ", today=TODAY) == rid


@SETTINGS
@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_check_char_matches_independent_implementation(first17: str) -> None:
    assert resident_id_check_char(first17) == reference_check_char(first17)


@SETTINGS
@given(
    regions,
    st.dates(min_value=datetime.date(1906, 1, 1), max_value=datetime.date(1999, 12, 31)),
    sequences,
)
def test_generated_fifteen_digit_ids_upgrade(
    region: str, birth: datetime.date, sequence: str
) -> None:
    old = f"{region}{birth:%y%m%d}{sequence}"
    rid = parse_resident_id(old, today=TODAY)
    assert rid.upgraded_from_15 is True
    assert rid.number[:17] == f"{region}{birth:%Y%m%d}{sequence}"
    assert rid.birth_date == birth
    upgraded = parse_resident_id(rid.number, today=TODAY)
    assert upgraded == dataclasses.replace(rid, upgraded_from_15=False)


@SETTINGS
@given(valid_ids(), st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=10))
def test_changing_one_character_is_always_detected(number: str, index: int, shift: int) -> None:
    alphabet = "0123456789X" if index == 17 else "0123456789"
    old = alphabet.index(number[index])
    new = alphabet[(old + shift) % len(alphabet)]
    if new == number[index]:  # shift 10 in a 10-character alphabet
        new = alphabet[(old + 1) % len(alphabet)]
    mutated = number[:index] + new + number[index + 1 :]
    with pytest.raises(ValidationError) as info:
        parse_resident_id(mutated, today=TODAY)
    assert info.value.field == FIELD


@SETTINGS
@given(valid_ids(), st.integers(min_value=0, max_value=15))
def test_swapping_adjacent_digits_is_always_detected(number: str, index: int) -> None:
    a, b = number[index], number[index + 1]
    if a == b:
        return
    swapped = number[:index] + b + a + number[index + 2 :]
    with pytest.raises(ValidationError):
        parse_resident_id(swapped, today=TODAY)

"""Unified Social Credit Codes (GB 32100-2015): domain-rules.md, "Unified Social Credit Code"."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hall_app.domain.errors import ValidationError
from hall_app.domain.uscc import ALPHABET, Uscc, parse_uscc, uscc_check_char

FIELD = "统一社会信用代码"
EXAMPLE = "91350100M000100Y43"
SETTINGS = settings(max_examples=200, deadline=None, database=None)


def rejects(text: str, *fragments: str) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        parse_uscc(text)
    error = info.value
    assert error.field == FIELD
    for fragment in fragments:
        assert fragment in error.message
    return error


def reference_check_char(first17: str) -> str:
    """Written independently: weight i is 3**i mod 31; the full weighted sum is 0 mod 31."""
    total = sum(ALPHABET.index(ch) * pow(3, i, 31) for i, ch in enumerate(first17))
    return next(c for c in ALPHABET if (total + ALPHABET.index(c)) % 31 == 0)


def test_alphabet_has_31_characters_without_i_o_s_v_z() -> None:
    assert len(ALPHABET) == 31
    assert len(set(ALPHABET)) == 31
    assert not set("IOSVZ") & set(ALPHABET)


# --- the example in domain-rules.md -------------------------------------------------------------


def test_rules_example_is_valid() -> None:
    assert parse_uscc(EXAMPLE) == Uscc(code=EXAMPLE, check_ok=True, expected_check="3")
    assert parse_uscc(EXAMPLE).warning is None
    assert uscc_check_char(EXAMPLE[:17]) == "3"


def test_lower_case_and_whitespace_are_normalised() -> None:
    assert parse_uscc("  91350100m000100y43 \n").code == EXAMPLE


# --- failed check warns, does not block ---------------------------------------------------------


@pytest.mark.parametrize("last", "0124ABY")
def test_failed_check_is_returned_not_raised(last: str) -> None:
    result = parse_uscc(EXAMPLE[:17] + last)
    assert result.code == EXAMPLE[:17] + last
    assert result.check_ok is False
    assert result.expected_check == "3"
    assert result.warning is not None
    assert "校验位" in result.warning
    assert "3" in result.warning
    assert "确认" in result.warning


def test_mistyped_body_is_a_failed_check() -> None:
    result = parse_uscc("91350100M000101Y43")
    assert result.check_ok is False
    assert result.expected_check != "3"


# --- check character ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        ("91350100M000100Y4", "3"),
        ("00000000000000000", "0"),  # 31 - 0 = 31 becomes 0
        ("10000000000000000", "Y"),  # 31 - 1 = 30, the last letter of the alphabet
        ("01000000000000000", "W"),  # 31 - 3 = 28
        ("91440300192203821", "6"),  # published codes of two large companies
        ("9144030071526726X", "G"),
    ],
)
def test_check_char_vectors(first17: str, expected: str) -> None:
    assert uscc_check_char(first17) == expected
    assert reference_check_char(first17) == expected


def test_check_char_accepts_lower_case() -> None:
    assert uscc_check_char("91350100m000100y4") == "3"


@pytest.mark.parametrize("bad", ["", "91350100M000100Y", "91350100M000100Y43"])
def test_check_char_needs_17_characters(bad: str) -> None:
    with pytest.raises(ValidationError) as info:
        uscc_check_char(bad)
    assert info.value.field == FIELD
    assert "17" in info.value.message


def test_check_char_rejects_characters_outside_the_alphabet() -> None:
    with pytest.raises(ValidationError) as info:
        uscc_check_char("91350100I000100Y4")
    assert "含有非法字符 I" in info.value.message


# --- shape errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "  ", "\t"])
def test_empty_is_rejected(text: str) -> None:
    assert rejects(text).message == "不能为空"


@pytest.mark.parametrize(
    ("text", "actual"), [("91350100M000100Y4", 17), ("91350100M000100Y433", 19), ("9", 1)]
)
def test_wrong_length(text: str, actual: int) -> None:
    assert rejects(text).message == f"长度应为 18 位，实际 {actual} 位"


@pytest.mark.parametrize("letter", "IOSVZ")
def test_letters_not_in_the_alphabet(letter: str) -> None:
    error = rejects(f"91350100{letter}000100Y43", f"含有非法字符 {letter}")
    assert "不使用" in error.message


@pytest.mark.parametrize("letter", "iosvz")
def test_lower_case_excluded_letters_are_named_as_typed(letter: str) -> None:
    rejects(f"91350100{letter}000100Y43", f"含有非法字符 {letter}")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("91350100-000100Y43", "含有非法字符 -"),
        ("91350100M000100Y4。", "含有非法字符 。"),
        ("91350100 M000100Y43", "空格"),
        ("９1350100M000100Y43", "半角"),
        ("91350100M000100Y4ı", "含有非法字符 ı"),  # dotless i upper-cases to I
    ],
)
def test_other_illegal_characters(text: str, fragment: str) -> None:
    rejects(text, "含有非法字符", fragment)


def test_illegal_character_reported_before_length() -> None:
    rejects("9135O", "含有非法字符 O")


def test_result_is_frozen() -> None:
    result = parse_uscc(EXAMPLE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.check_ok = False  # type: ignore[misc]


# --- properties ---------------------------------------------------------------------------------

bodies = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


@SETTINGS
@given(bodies)
def test_check_char_matches_independent_implementation(first17: str) -> None:
    check = uscc_check_char(first17)
    assert check == reference_check_char(first17)
    result = parse_uscc(first17 + check)
    assert result == Uscc(code=first17 + check, check_ok=True, expected_check=check)
    assert parse_uscc(result.code.lower()) == result


@SETTINGS
@given(bodies, st.sampled_from(ALPHABET))
def test_check_ok_iff_last_character_is_expected(first17: str, last: str) -> None:
    result = parse_uscc(first17 + last)
    assert result.check_ok is (last == uscc_check_char(first17))
    assert result.expected_check == uscc_check_char(first17)


@SETTINGS
@given(bodies, st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=30))
def test_changing_one_character_fails_the_check(first17: str, index: int, shift: int) -> None:
    code = first17 + uscc_check_char(first17)
    new = ALPHABET[(ALPHABET.index(code[index]) + shift) % 31]
    mutated = code[:index] + new + code[index + 1 :]
    assert parse_uscc(mutated).check_ok is False

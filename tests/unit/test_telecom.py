"""Mobile numbers, SIM cards, handsets and pretty numbers: domain-rules.md."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hall_app.domain.errors import ValidationError
from hall_app.domain.telecom import (
    PRETTY_CODES,
    Iccid,
    Imsi,
    MobileNumber,
    Operator,
    PrettyMatch,
    has_digit_four,
    iccid_as_typed,
    luhn_check_digit,
    luhn_valid,
    parse_iccid,
    parse_imei,
    parse_imsi,
    parse_mobile_number,
    pretty_pattern,
)

SETTINGS = settings(max_examples=200, deadline=None, database=None)
DIGITS = "0123456789"


def rejects(parse: object, text: str, field: str, *fragments: str) -> ValidationError:
    assert callable(parse)
    with pytest.raises(ValidationError) as info:
        parse(text)
    error = info.value
    assert error.field == field
    for fragment in fragments:
        assert fragment in error.message
    return error


def reference_luhn_valid(number: str) -> bool:
    """Written independently: double every second digit from the right, add the digit sums."""
    total = 0
    for position, ch in enumerate(reversed(number)):
        value = int(ch) * (2 if position % 2 else 1)
        total += sum(int(d) for d in str(value))
    return total % 10 == 0


# --- operators ----------------------------------------------------------------------------------


def test_operator_values_and_labels() -> None:
    assert [(op.value, op.label) for op in Operator] == [
        ("telecom", "中国电信"),
        ("mobile", "中国移动"),
        ("unicom", "中国联通"),
        ("broadnet", "中国广电"),
    ]


def test_operator_is_a_str_enum() -> None:
    as_str: str = Operator.TELECOM
    assert as_str == "telecom"
    assert isinstance(Operator.TELECOM, str)
    assert str(Operator.MOBILE) == "mobile"
    assert f"{Operator.UNICOM}" == "unicom"
    assert Operator("broadnet") is Operator.BROADNET


# --- mobile numbers: prefixes -------------------------------------------------------------------


def _expand(spec: str) -> list[str]:
    """'135-139 147' -> ['135', ..., '139', '147'], written as in domain-rules.md."""
    out: list[str] = []
    for part in spec.split():
        low, _, high = part.partition("-")
        out.extend(str(n) for n in range(int(low), int(high or low) + 1))
    return out


RULE_TABLE = {
    Operator.TELECOM: _expand("133 149 153 173 177 180 181 189 190 191 193 199"),
    Operator.MOBILE: _expand(
        "1340-1348 135-139 147 150-152 157-159 172 178 182-184 187 188 195 197 198"
    ),
    Operator.UNICOM: _expand("130-132 145 155 156 166 175 176 185 186 196"),
    Operator.BROADNET: _expand("192"),
}
EXPECTED_PREFIX: dict[str, Operator] = {
    prefix: op for op, prefixes in RULE_TABLE.items() for prefix in prefixes
}


def _expected_operator(number: str) -> Operator | None:
    return EXPECTED_PREFIX.get(number[:4]) or EXPECTED_PREFIX.get(number[:3])


def test_rule_table_has_no_overlaps() -> None:
    assert sum(len(p) for p in RULE_TABLE.values()) == len(EXPECTED_PREFIX) == 56


@pytest.mark.parametrize("prefix", sorted(EXPECTED_PREFIX))
def test_every_rule_prefix_is_accepted_with_its_operator(prefix: str) -> None:
    number = (prefix + "12345678")[:11]
    assert parse_mobile_number(number) == MobileNumber(number, EXPECTED_PREFIX[prefix])


@pytest.mark.parametrize("prefix", [f"1{n:02d}" for n in range(100)] + ["1349"])
def test_every_segment_matches_the_rule_table(prefix: str) -> None:
    number = (prefix + "00000000")[:11]
    expected = _expected_operator(number)
    if prefix == "134":  # only 1340-1348: 13400000000 is China Mobile
        expected = Operator.MOBILE
    if expected is None:
        rejects(parse_mobile_number, number, "手机号码", "号段", "不是已分配的手机号段")
    else:
        assert parse_mobile_number(number).prefix_operator is expected


def test_1349_is_not_assigned() -> None:
    error = rejects(parse_mobile_number, "13491234567", "手机号码")
    assert error.message == "号段 1349 不是已分配的手机号段"


@pytest.mark.parametrize("digit", "012345678")
def test_1340_to_1348_are_china_mobile(digit: str) -> None:
    assert parse_mobile_number(f"134{digit}1234567").prefix_operator is Operator.MOBILE


@pytest.mark.parametrize(
    ("number", "segment"),
    [
        ("17012345678", "170"),  # virtual operators are not in the rule's table
        ("17112345678", "171"),
        ("16212345678", "162"),
        ("14012345678", "140"),
        ("12012345678", "120"),
        ("19412345678", "194"),
        ("10012345678", "100"),
    ],
)
def test_unassigned_segments_are_rejected(number: str, segment: str) -> None:
    rejects(parse_mobile_number, number, "手机号码", f"号段 {segment}")


def test_number_not_starting_with_1_is_rejected() -> None:
    rejects(parse_mobile_number, "23312345678", "手机号码", "号段 233")


# --- mobile numbers: typing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "13312345678",
        " 13312345678 ",
        "133 1234 5678",
        "133-1234-5678",
        "133 - 1234 - 5678",
        "133\u30001234\u30005678",  # ideographic space from a Chinese input method
        "+8613312345678",
        "+86 133 1234 5678",
        "+86-133-1234-5678",
        "8613312345678",
        "86 133 1234 5678",
    ],
)
def test_separators_and_country_code_are_dropped(typed: str) -> None:
    assert parse_mobile_number(typed) == MobileNumber("13312345678", Operator.TELECOM)


@pytest.mark.parametrize("text", ["", "   ", " - ", "\u3000"])
def test_empty_mobile_number(text: str) -> None:
    assert rejects(parse_mobile_number, text, "手机号码").message == "不能为空"


@pytest.mark.parametrize(
    ("text", "actual"),
    [
        ("1331234567", 10),
        ("133123456789", 12),
        ("861331234567", 12),  # 86 is kept: only 11 digits may follow it
        ("+861331234567", 10),
        ("+86", 0),
        ("133", 3),
    ],
)
def test_mobile_number_wrong_length(text: str, actual: int) -> None:
    error = rejects(parse_mobile_number, text, "手机号码")
    assert error.message == f"长度应为 11 位，实际 {actual} 位"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("1331234567a", "含有非法字符 a"),
        ("133.1234.5678", "含有非法字符 ."),
        ("(133)12345678", "含有非法字符 ("),
        ("１３３12345678", "含有非法字符 １"),
        ("133_1234_5678", "含有非法字符 _"),
        ("8613312345678+", "含有非法字符 +"),
    ],
)
def test_mobile_number_illegal_characters(text: str, fragment: str) -> None:
    rejects(parse_mobile_number, text, "手机号码", fragment)


@pytest.mark.parametrize("text", ["+85261234567", "+113312345678", "+0086 13312345678"])
def test_only_the_chinese_country_code(text: str) -> None:
    rejects(parse_mobile_number, text, "手机号码", "+86")


def test_mobile_number_is_frozen() -> None:
    number = parse_mobile_number("13312345678")
    with pytest.raises(dataclasses.FrozenInstanceError):
        number.number = "1"  # type: ignore[misc]


@SETTINGS
@given(st.sampled_from(sorted(EXPECTED_PREFIX)), st.text(alphabet=DIGITS, min_size=8, max_size=8))
def test_generated_numbers_parse_in_every_typed_form(prefix: str, rest: str) -> None:
    number = (prefix + rest)[:11]
    expected = MobileNumber(number, EXPECTED_PREFIX[prefix])
    assert parse_mobile_number(number) == expected
    assert parse_mobile_number(f"{number[:3]} {number[3:7]} {number[7:]}") == expected
    assert parse_mobile_number(f"+86-{number}") == expected
    assert parse_mobile_number(f"86{number}") == expected


# --- Luhn ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "check"),
    [
        ("7992739871", "3"),  # the textbook example
        ("49015420323751", "8"),  # the IMEI example of 3GPP TS 23.003
        ("8986009001242123456", "5"),  # the ICCID example of domain-rules.md
        ("0", "0"),
        ("1", "8"),
        ("9", "1"),
        ("0000000000", "0"),
    ],
)
def test_luhn_check_digit_vectors(payload: str, check: str) -> None:
    assert luhn_check_digit(payload) == check
    assert luhn_valid(payload + check)
    assert reference_luhn_valid(payload + check)


@pytest.mark.parametrize("bad", ["", "12a", "１２", " 12", "-1"])
def test_luhn_check_digit_needs_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="ASCII digits"):
        luhn_check_digit(bad)


@pytest.mark.parametrize("bad", ["", "0", "7992739871a", "79927398710", "７９９２７３９８７１３"])
def test_luhn_valid_false(bad: str) -> None:
    assert luhn_valid(bad) is False


@SETTINGS
@given(st.text(alphabet=DIGITS, min_size=1, max_size=30))
def test_luhn_against_independent_implementation(payload: str) -> None:
    check = luhn_check_digit(payload)
    assert luhn_valid(payload + check)
    assert reference_luhn_valid(payload + check)
    for other in DIGITS.replace(check, ""):
        assert not luhn_valid(payload + other)


@SETTINGS
@given(st.text(alphabet=DIGITS, min_size=2, max_size=30))
def test_luhn_valid_agrees_with_reference(number: str) -> None:
    assert luhn_valid(number) is reference_luhn_valid(number)


# --- ICCID --------------------------------------------------------------------------------------


def test_rules_example_iccid_valid() -> None:
    assert parse_iccid("89860090012421234565") == Iccid("89860090012421234565", Operator.MOBILE)


def test_rules_example_iccid_invalid() -> None:
    error = rejects(parse_iccid, "89860090012421234560", "ICCID")
    assert error.message == "校验位错误，应为 5"


@pytest.mark.parametrize(
    ("issuer", "operator"),
    [
        ("03", Operator.TELECOM),
        ("11", Operator.TELECOM),
        ("00", Operator.MOBILE),
        ("02", Operator.MOBILE),
        ("04", Operator.MOBILE),
        ("07", Operator.MOBILE),
        ("01", Operator.UNICOM),
        ("06", Operator.UNICOM),
        ("09", Operator.UNICOM),
        ("05", None),
        ("08", None),
        ("15", None),  # not in the rule's table
        ("99", None),
    ],
)
def test_iccid_issuer(issuer: str, operator: Operator | None) -> None:
    body = f"8986{issuer}1234567890123"
    value = body + (luhn_check_digit(body) if body.isdigit() else "F")
    assert parse_iccid(value) == Iccid(value, operator)


@pytest.mark.parametrize("issuer", ["1A", "A1", "0f"])
def test_iccid_issuer_code_is_digits(issuer: str) -> None:
    rejects(parse_iccid, f"8986{issuer}12345678901234", "ICCID", "发卡方代码", "只能是数字")


@pytest.mark.parametrize(
    ("text", "message", "wrong"),
    [
        ("", "", False),
        ("8", "ICCID：已输入 1 位，共 20 位", False),
        ("8986", "ICCID：已输入 4 位，共 20 位", False),
        ("8986abc", "ICCID：第 5-6 位是发卡方代码，只能是数字，第 5 位却是 a", True),
        ("89860a", "ICCID：第 5-6 位是发卡方代码，只能是数字，第 6 位却是 a", True),
        ("898603x", "ICCID：含有非法字符 x", True),
        ("7x", "ICCID：含有非法字符 x", True),  # characters before the prefix
        ("8985", "ICCID：应以 8986 开头（中国），实际为 8985", True),
        ("7", "ICCID：应以 8986 开头（中国），实际为 7", True),  # before the length
        ("8986031A2B", "ICCID：已输入 10 位，共 20 位", False),  # letters later are legal
        ("89860090012421234560", "ICCID：校验位错误，应为 5", True),
        ("898600900124212345650", "ICCID：长度应为 20 位，实际 21 位", True),
    ],
)
def test_iccid_as_typed(text: str, message: str, wrong: bool) -> None:
    verdict = iccid_as_typed(text)
    assert (verdict.message, verdict.wrong, verdict.complete) == (message, wrong, False)


def test_iccid_as_typed_complete() -> None:
    verdict = iccid_as_typed("89860090012421234565")
    assert verdict.complete and not verdict.wrong and verdict.message == "ICCID：格式正确"


@SETTINGS
@given(st.text(alphabet="0123456789ABCDEFabcdefxX- ", max_size=24))
def test_iccid_as_typed_agrees_with_parse_when_complete(text: str) -> None:
    verdict = iccid_as_typed(text)
    try:
        parse_iccid(text)
    except ValidationError:
        assert not verdict.complete
    else:
        assert verdict.complete and not verdict.wrong


def test_iccid_lower_case_hex_is_normalised_and_not_luhn_checked() -> None:
    assert parse_iccid(" 8986031a2b3c4d5e6f70 ") == Iccid("8986031A2B3C4D5E6F70", Operator.TELECOM)


def test_iccid_with_letters_skips_the_luhn_check() -> None:
    assert parse_iccid("898611F0000000000000").issuer is Operator.TELECOM


@pytest.mark.parametrize("text", ["", "  "])
def test_iccid_empty(text: str) -> None:
    assert rejects(parse_iccid, text, "ICCID").message == "不能为空"


@pytest.mark.parametrize(
    ("text", "actual"), [("8986009001242123456", 19), ("898600900124212345650", 21)]
)
def test_iccid_wrong_length(text: str, actual: int) -> None:
    assert rejects(parse_iccid, text, "ICCID").message == f"长度应为 20 位，实际 {actual} 位"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("8986009001242123456G", "含有非法字符 G"),
        ("8986009001242123456g", "含有非法字符 g"),
        ("89860090 12421234565", "空格"),
        ("8986-0090012421234565", "含有非法字符 -"),
    ],
)
def test_iccid_illegal_characters(text: str, fragment: str) -> None:
    rejects(parse_iccid, text, "ICCID", fragment)


@pytest.mark.parametrize(
    "text", ["89850090012421234565", "12345678901234567890", "A9860090012421234565"]
)
def test_iccid_must_start_8986(text: str) -> None:
    rejects(parse_iccid, text, "ICCID", "8986", text[:4])


iccid_bodies = st.builds(
    lambda issuer, rest: f"8986{issuer}{rest}",
    st.sampled_from(["00", "01", "02", "03", "04", "06", "07", "09", "11", "15", "42"]),
    st.text(alphabet=DIGITS, min_size=13, max_size=13),
)


@SETTINGS
@given(iccid_bodies)
def test_generated_iccids_parse(body: str) -> None:
    value = body + luhn_check_digit(body)
    assert parse_iccid(value).value == value


@SETTINGS
@given(iccid_bodies, st.integers(min_value=4, max_value=19), st.integers(min_value=1, max_value=9))
def test_changing_one_iccid_digit_is_detected(body: str, index: int, shift: int) -> None:
    value = body + luhn_check_digit(body)
    mutated = value[:index] + str((int(value[index]) + shift) % 10) + value[index + 1 :]
    rejects(parse_iccid, mutated, "ICCID", "校验位错误")


# --- IMSI ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mnc", "operator"),
    [
        ("03", Operator.TELECOM),
        ("05", Operator.TELECOM),
        ("11", Operator.TELECOM),
        ("00", Operator.MOBILE),
        ("02", Operator.MOBILE),
        ("04", Operator.MOBILE),
        ("07", Operator.MOBILE),
        ("08", Operator.MOBILE),
        ("01", Operator.UNICOM),
        ("06", Operator.UNICOM),
        ("09", Operator.UNICOM),
        ("15", Operator.BROADNET),
        ("20", None),
        ("99", None),
    ],
)
def test_imsi_network_code(mnc: str, operator: Operator | None) -> None:
    value = f"460{mnc}1234567890"
    assert parse_imsi(value) == Imsi(value, mnc, operator)


def test_imsi_whitespace_is_stripped() -> None:
    assert parse_imsi(" 460031234567890\n").value == "460031234567890"


@pytest.mark.parametrize("text", ["", " "])
def test_imsi_empty(text: str) -> None:
    assert rejects(parse_imsi, text, "IMSI").message == "不能为空"


@pytest.mark.parametrize(("text", "actual"), [("46003123456789", 14), ("4600312345678901", 16)])
def test_imsi_wrong_length(text: str, actual: int) -> None:
    assert rejects(parse_imsi, text, "IMSI").message == f"长度应为 15 位，实际 {actual} 位"


@pytest.mark.parametrize(
    ("text", "fragment"), [("46003123456789A", "A"), ("460 031234567890", "空格")]
)
def test_imsi_illegal_characters(text: str, fragment: str) -> None:
    rejects(parse_imsi, text, "IMSI", "含有非法字符", fragment)


@pytest.mark.parametrize("text", ["310031234567890", "461031234567890", "454031234567890"])
def test_imsi_country_code_must_be_460(text: str) -> None:
    rejects(parse_imsi, text, "IMSI", "460", text[:3])


# --- IMEI ---------------------------------------------------------------------------------------


def test_imei_valid() -> None:
    assert parse_imei("490154203237518") == "490154203237518"
    assert parse_imei(" 356938035643809 ") == "356938035643809"


def test_imei_wrong_check_digit_names_the_expected_digit() -> None:
    error = rejects(parse_imei, "490154203237519", "IMEI")
    assert error.message == "校验位错误，应为 8"


@pytest.mark.parametrize("text", ["", "   "])
def test_imei_empty(text: str) -> None:
    assert rejects(parse_imei, text, "IMEI").message == "不能为空"


@pytest.mark.parametrize(("text", "actual"), [("49015420323751", 14), ("4901542032375180", 16)])
def test_imei_wrong_length(text: str, actual: int) -> None:
    assert rejects(parse_imei, text, "IMEI").message == f"长度应为 15 位，实际 {actual} 位"


@pytest.mark.parametrize(
    ("text", "fragment"), [("49015420323751X", "X"), ("49-015420-323751-8", "-")]
)
def test_imei_illegal_characters(text: str, fragment: str) -> None:
    rejects(parse_imei, text, "IMEI", f"含有非法字符 {fragment}")


@SETTINGS
@given(st.text(alphabet=DIGITS, min_size=14, max_size=14), st.integers(0, 14), st.integers(1, 9))
def test_changing_one_imei_digit_is_detected(body: str, index: int, shift: int) -> None:
    value = body + luhn_check_digit(body)
    assert parse_imei(value) == value
    mutated = value[:index] + str((int(value[index]) + shift) % 10) + value[index + 1 :]
    rejects(parse_imei, mutated, "IMEI", "校验位错误")


# --- pretty numbers -----------------------------------------------------------------------------


def test_pretty_codes_priority_order() -> None:
    assert PRETTY_CODES == ("AAAAA", "8888", "AAAA", "ABCDE", "ABCD", "AABB", "ABAB", "AAA")


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("13311111111", "AAAAA"),
        ("13312399999", "AAAAA"),
        ("13300088888", "AAAAA"),  # AAAAA outranks 8888
        ("13300000000", "AAAAA"),
        ("13312348888", "8888"),
        ("13300008888", "8888"),
        ("13312346666", "AAAA"),
        ("13300001111", "AAAA"),  # 01111: not five the same
        ("13388889999", "AAAA"),
        ("13300012345", "ABCDE"),
        ("13300001234", "ABCDE"),  # 01234 is five ascending
        ("13300056789", "ABCDE"),
        ("13300095678", "ABCD"),
        ("13300003456", "ABCD"),
        ("13300090123", "ABCD"),
        ("13300006789", "ABCD"),
        ("13300001122", "AABB"),
        ("13300009988", "AABB"),
        ("13300003344", "AABB"),
        ("13300001212", "ABAB"),
        ("13300002323", "ABAB"),
        ("13300009898", "ABAB"),
        ("13300001888", "AAA"),
        ("13312345000", "AAA"),
        ("13300012999", "AAA"),
    ],
)
def test_pretty_pattern_vectors(number: str, code: str) -> None:
    assert pretty_pattern(number) == PrettyMatch(code=code, label=f"尾号{code}")


@pytest.mark.parametrize(
    "number",
    [
        "13300067890",  # 7890: 9 is not followed by 0
        "13300004321",  # descending runs do not count
        "13300054321",
        "13300001233",
        "13300001223",
        "13300001221",  # ABBA is not a listed pattern
        "13300012468",
        "13300001288",
    ],
)
def test_ordinary_numbers(number: str) -> None:
    assert pretty_pattern(number) is None


def test_pretty_labels() -> None:
    assert pretty_pattern("13312348888") == PrettyMatch("8888", "尾号8888")
    assert pretty_pattern("13312346666") == PrettyMatch("AAAA", "尾号AAAA")


@pytest.mark.parametrize("bad", ["", "1331234567", "133123456789", "1331234567a", "133 1234 5678"])
def test_pretty_pattern_needs_eleven_digits(bad: str) -> None:
    with pytest.raises(ValidationError) as info:
        pretty_pattern(bad)
    assert info.value.field == "手机号码"
    with pytest.raises(ValidationError):
        has_digit_four(bad)


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("13312345678", True),
        ("13300000004", True),
        ("13340000000", True),
        ("14911111111", False),  # the 4 of the 149 prefix does not count
        ("14511111111", False),
        ("13300000000", False),
        ("13412345678", True),
    ],
)
def test_has_digit_four(number: str, expected: bool) -> None:
    assert has_digit_four(number) is expected


REFERENCE_PATTERNS = [
    ("AAAAA", r"(\d)\1{4}$"),
    ("8888", r"8888$"),
    ("AAAA", r"(\d)\1{3}$"),
    ("ABCDE", r"(01234|12345|23456|34567|45678|56789)$"),
    ("ABCD", r"(0123|1234|2345|3456|4567|5678|6789)$"),
    ("AABB", r"(\d)\1(?!\1)(\d)\2$"),
    ("ABAB", r"(\d)(?!\1)(\d)\1\2$"),
    ("AAA", r"(\d)\1\1$"),
]


def reference_pattern(number: str) -> str | None:
    for code, pattern in REFERENCE_PATTERNS:
        if re.search(pattern, number):
            return code
    return None


@SETTINGS
@given(
    st.sampled_from(["133", "138", "186", "192"]),
    st.text(alphabet=DIGITS, min_size=3, max_size=3),
    st.sampled_from(["0123", "1289", "4567", "889", "3"]).flatmap(
        lambda alphabet: st.text(alphabet=alphabet, min_size=5, max_size=5)
    ),
)
def test_pretty_pattern_agrees_with_reference(prefix: str, middle: str, tail: str) -> None:
    number = prefix + middle + tail
    match = pretty_pattern(number)
    expected = reference_pattern(number)
    assert (match.code if match else None) == expected
    assert has_digit_four(number) is ("4" in number[3:])

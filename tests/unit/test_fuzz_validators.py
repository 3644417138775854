"""Fuzzing the validators of domain/ (issue 15 §5): whatever text comes in, only a typed
``HallError`` or a well-formed result comes out, and a result is what the validator promises
(ASCII digits, the right length, a passing check character)."""

from __future__ import annotations

import datetime
import string

from hypothesis import example, given
from hypothesis import strategies as st

from hall_app.domain.errors import HallError, ValidationError
from hall_app.domain.masking import mask_iccid, mask_id_number, mask_name, mask_phone
from hall_app.domain.pinyin import name_initials
from hall_app.domain.resident_id import parse_resident_id, resident_id_check_char
from hall_app.domain.telecom import (
    has_digit_four,
    iccid_as_typed,
    luhn_valid,
    parse_iccid,
    parse_imei,
    parse_imsi,
    parse_mobile_number,
    pretty_pattern,
)
from hall_app.domain.top_up import parse_top_up_number
from hall_app.domain.uscc import ALPHABET, parse_uscc
from hall_app.services.staff import check_password
from tests.fuzz_support import (
    ANY_CHAR,
    FULL_WIDTH_DIGITS,
    full_width,
    fuzz,
    luhn_digits,
    mobiles,
    resident_ids,
    texts_like,
    usccs,
)

TODAY = datetime.date(2026, 11, 24)
ASCII_DIGITS = set(string.digits)


@fuzz(150)
@given(texts_like(resident_ids(), st.builds(lambda i: i[:6] + i[8:17], resident_ids())))
@example("11010519491231002x")
@example("１１０１０５１９４９１２３１００２Ｘ")
@example("110105194912310\ud800X")
def test_resident_id(text: str) -> None:
    try:
        rid = parse_resident_id(text, today=TODAY)
    except ValidationError as exc:
        assert exc.field == "证件号码" and exc.message
        return
    assert len(rid.number) == 18 and set(rid.number[:17]) <= ASCII_DIGITS
    assert rid.number[17] == resident_id_check_char(rid.number[:17])
    assert rid.birth_date <= TODAY


@fuzz(100)
@given(resident_ids())
def test_a_resident_id_typed_in_full_width_is_refused_with_a_message(number: str) -> None:
    try:
        parse_resident_id(full_width(number), today=TODAY)
    except ValidationError as exc:
        assert "半角" in exc.message
    else:
        raise AssertionError("a full-width number must not pass as it is")


@fuzz(150)
@given(texts_like(usccs(), alphabet=ALPHABET + "IOSVZ" + FULL_WIDTH_DIGITS + " \t\x00"))
@example("91350100M000100Y4\udcff")
def test_uscc(text: str) -> None:
    try:
        code = parse_uscc(text)
    except ValidationError as exc:
        assert exc.field == "统一社会信用代码" and exc.message
        return
    assert len(code.code) == 18 and set(code.code) <= set(ALPHABET)
    assert code.check_ok == (code.warning is None)


@fuzz(150)
@given(texts_like(mobiles(), st.builds(lambda m: "+86 " + m, mobiles())))
@example("+86")
@example("86" + "１" * 11)
@example("1331234567\u0663")
def test_mobile_number(text: str) -> None:
    try:
        mobile = parse_mobile_number(text)
    except ValidationError as exc:
        assert exc.field == "手机号码" and exc.message
        return
    assert len(mobile.number) == 11 and set(mobile.number) <= ASCII_DIGITS


@fuzz(100)
@given(
    texts_like(
        luhn_digits(20, "898603"),
        st.builds(lambda s: s + "ABCDEF"[: 20 - len(s)], luhn_digits(14, "898611")),
        alphabet="0123456789ABCDEFabcdef8986 \t" + FULL_WIDTH_DIGITS,
    )
)
@example("8986\u00b2311000000000000")
def test_iccid(text: str) -> None:
    typing = iccid_as_typed(text)  # never raises: it is the field's live verdict
    assert not (typing.wrong and typing.complete)
    try:
        iccid = parse_iccid(text)
    except ValidationError as exc:
        assert exc.field == "ICCID" and exc.message
        assert not typing.complete
        return
    assert typing.complete and len(iccid.value) == 20 and iccid.value.isascii()


@fuzz(100)
@given(texts_like(luhn_digits(15, "46011"), luhn_digits(15, "35209900")))
def test_imsi_and_imei(text: str) -> None:
    try:
        imsi = parse_imsi(text)
    except ValidationError as exc:
        assert exc.field == "IMSI" and exc.message
    else:
        assert len(imsi.value) == 15 and set(imsi.value) <= ASCII_DIGITS
    try:
        imei = parse_imei(text)
    except ValidationError as exc:
        assert exc.field == "IMEI" and exc.message
    else:
        assert len(imei) == 15 and set(imei) <= ASCII_DIGITS and luhn_valid(imei)


@fuzz(100)
@given(texts_like(mobiles()))
@example("1331234５６７８")
def test_pretty_patterns(text: str) -> None:
    try:
        match = pretty_pattern(text)
        four = has_digit_four(text)
    except ValidationError as exc:
        assert exc.field == "手机号码"
        return
    assert isinstance(four, bool)
    assert match is None or match.label.startswith("尾号")


@fuzz(150)
@given(
    texts_like(
        mobiles(),
        st.sampled_from(["0591-87654321", "010 62345678", "KD059100001234"]),
        alphabet="0123456789-KkDd " + FULL_WIDTH_DIGITS + "٣",
    )
)
@example("0５９１８７６５４３２１")
@example("0591\u0668765432\u0661")
def test_top_up_number(text: str) -> None:
    try:
        typed = parse_top_up_number(text)
    except ValidationError as exc:
        assert exc.field == "充值号码" and exc.message
        return
    assert set(typed.digits) <= ASCII_DIGITS, typed


@fuzz(150)
@given(st.text(ANY_CHAR, max_size=60) | st.text(st.sampled_from("张王欧阳单于曾 ·aXZ"), max_size=8))
def test_pinyin_initials_and_masks(text: str) -> None:
    initials = name_initials(text)
    assert initials == initials.lower()
    for mask in (mask_id_number, mask_phone, mask_name, mask_iccid):
        masked = mask(text)
        assert len(masked) == len(text.strip())


@fuzz(100)
@given(
    st.text(ANY_CHAR, max_size=80),
    st.text(st.sampled_from(string.ascii_letters + string.digits + "１٣ \t"), max_size=30),
    st.text(ANY_CHAR, max_size=12),
)
@example("abcd1234\ud800", "abcd1234\ud800", "clerk")
def test_password_rule(password: str, ascii_password: str, username: str) -> None:
    for typed in (password, ascii_password):
        try:
            check_password(typed, typed, username)
        except HallError as exc:
            assert exc.message
        else:
            assert typed.encode("utf-8") and len(typed) >= 8

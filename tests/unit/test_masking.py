"""Masking of ID numbers, phone numbers and names for display."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hall_app.domain.masking import (
    mask_address,
    mask_id_number,
    mask_name,
    mask_phone,
    redact,
)

SETTINGS = settings(max_examples=200, deadline=None, database=None)


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("11010519491231002X", "1101**********002X"),
        ("110105491231002", "1101*******1002"),  # legacy 15-digit number
        (" 11010519491231002X ", "1101**********002X"),
        ("123456789012", "1234****9012"),
        ("E12345678", "E1*****78"),  # passport: at least 4 characters stay hidden
        ("H1234567", "H1****67"),
        ("12345678901", "12*******01"),
        ("1234567", "*******"),
        ("1", "*"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_mask_id_number(number: str, masked: str) -> None:
    assert mask_id_number(number) == masked


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("13312345678", "133****5678"),
        (" 13312345678\n", "133****5678"),
        ("02512345678", "025****5678"),
        ("12345678", "****5678"),
        ("+8613312345678", "**********5678"),
        ("0571-87654321", "*********4321"),
        ("12345", "*2345"),
        ("1234", "****"),
        ("12", "**"),
        ("", ""),
    ],
)
def test_mask_phone(number: str, masked: str) -> None:
    assert mask_phone(number) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("欧阳娜娜", "欧***"),
        ("李小龙", "李**"),
        ("张", "张"),
        (" 王五 ", "王*"),
        ("阿卜杜拉·买买提", "阿*******"),
        ("John Smith", "J*********"),
        ("", ""),
        ("  ", ""),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


printable = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
    max_size=30,
)


@SETTINGS
@given(printable)
def test_id_masking_keeps_length_and_hides_at_least_four(number: str) -> None:
    masked = mask_id_number(number)
    assert len(masked) == len(number)
    hidden = sum(1 for a, b in zip(number, masked, strict=True) if a != b or b == "*")
    assert hidden >= min(4, len(number))
    if len(number) >= 12:
        assert masked[:4] == number[:4]
        assert masked[-4:] == number[-4:]
        assert masked[4:-4] == "*" * (len(number) - 8)


@SETTINGS
@given(printable)
def test_phone_masking_keeps_length_and_never_shows_everything(number: str) -> None:
    masked = mask_phone(number)
    assert len(masked) == len(number)
    if number:
        assert masked.count("*") >= 1
    if len(number) == 11:
        assert masked == number[:3] + "****" + number[-4:]
    elif len(number) > 4:
        assert masked == "*" * (len(number) - 4) + number[-4:]
    else:
        assert masked == "*" * len(number)


@SETTINGS
@given(printable)
def test_name_masking_keeps_first_character_and_length(name: str) -> None:
    masked = mask_name(name)
    assert len(masked) == len(name)
    assert masked[:1] == name[:1]
    assert masked[1:] == "*" * (len(name) - 1)


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("福建省福州市台江区工业路 523 号 7 栋 402 室", "福建省福州市台江区" + "*" * 19),
        ("福州市鼓楼区三坊七巷公寓8号楼1201", "福州市鼓楼区" + "*" * 13),
        ("福建省福州市", "福建省***"),  # at most half is kept
        ("五四路 88 号", "五四******"),  # no division: the first third
        ("", ""),
    ],
)
def test_mask_address(address: str, masked: str) -> None:
    assert mask_address(address) == masked


@SETTINGS
@given(st.text(alphabet="省市区县镇路号栋室 0123456789福州鼓楼", max_size=60))
def test_address_masking_keeps_length_and_hides_at_least_half(address: str) -> None:
    masked = mask_address(address)
    value = address.strip()
    assert len(masked) == len(value)
    kept = len(masked.rstrip("*"))
    assert masked[:kept] == value[:kept] and kept <= len(value) // 2


def test_redact_masks_id_and_mobile_numbers_in_free_text() -> None:
    text = "ValueError: 证件 11010519491231002X 与 13912345678（备用 15800001111）不符"
    assert (
        redact(text) == "ValueError: 证件 1101**********002X 与 139****5678（备用 158****1111）不符"
    )


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("客户电话 139 1234 5678", "客户电话 139****5678"),
        ("联系 139-1234-5678。", "联系 139****5678。"),
        ("+8613912345678", "+86139****5678"),
        ("0086 13912345678", "0086 139****5678"),
        ("86-13912345678 备用", "86-139****5678 备用"),
        ("证件 110105 19491231 002X", "证件 1101**********002X"),
        ("证件110105-19491231-002x", "证件1101**********002x"),
    ],
)
def test_redact_masks_numbers_typed_with_a_country_code_or_grouped(text: str, masked: str) -> None:
    assert redact(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "ICCID 89860312345678901234",  # longer runs of digits are other numbers
        "SL20261124010002",  # an order number
        "发票 26351000000000000736",
        "1fd8ecc6-eb60-408d-b40e-a13912345678",  # a UUID's digits
        "12345678901",  # not a mobile number's prefix
        "139 1234-5678",  # mixed separators: not one number
        "2026-12-02 14:47:51",  # a time
        "138 0013 80001",  # a longer run
    ],
)
def test_redact_leaves_other_numbers(text: str) -> None:
    assert redact(text) == text

"""Resident ID numbers (居民身份证号码, GB 11643-1999).

An 18-character number is: a 6-digit region code, the birth date as YYYYMMDD, a 3-digit
sequence (odd for men, even for women) and a check character computed over the first 17 digits
(ISO 7064 MOD 11-2). A legacy 15-digit number (two-digit year, no check character) is upgraded by
inserting "19" before the year and computing the check character.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Final, Literal

from hall_app.domain.errors import ValidationError

FIELD: Final = "证件号码"

_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# sum of weighted digits mod 11 -> check character
_CHECK_CHARS: Final = "10X98765432"
_DIGITS: Final = frozenset("0123456789")
_MAX_AGE: Final = 120


@dataclass(frozen=True, slots=True)
class ResidentId:
    """A validated resident ID number, always in its 18-character form."""

    number: str
    region_code: str
    birth_date: datetime.date
    gender: Literal["M", "F"]
    upgraded_from_15: bool

    def age_on(self, day: datetime.date) -> int:
        """Age in full years on ``day``.

        A birthday on 29 February is reached on 1 March in common years. Raises ``ValueError`` if
        ``day`` is before the birth date (a caller bug, not a clerk error).
        """
        return _age(self.birth_date, day)


def _age(birth: datetime.date, day: datetime.date) -> int:
    if day < birth:
        raise ValueError(f"{day.isoformat()} is before the birth date {birth.isoformat()}")
    before_birthday = (day.month, day.day) < (birth.month, birth.day)
    return day.year - birth.year - int(before_birthday)


def _char_label(ch: str) -> str:
    """How to name an offending character in a message a clerk reads."""
    if ch.isspace():
        return "（空格）"
    if "\uff01" <= ch <= "\uff5e":
        return f"{ch}（请使用半角字符）"
    if not ch.isprintable():
        return f"U+{ord(ch):04X}"
    return ch


def resident_id_check_char(first17: str) -> str:
    """The check character ("0"-"9" or "X") for the first 17 digits of an ID number."""
    if len(first17) != 17 or not set(first17) <= _DIGITS:
        raise ValidationError(f"计算校验位需要 17 位数字，实际为“{first17}”", field=FIELD)
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def parse_resident_id(text: str, today: datetime.date | None = None) -> ResidentId:
    """Validate and normalise a resident ID number typed or scanned at the counter.

    Surrounding whitespace is ignored and a lower-case ``x`` is read as ``X``. Legacy 15-digit
    numbers are accepted and upgraded to 18 characters (``upgraded_from_15`` is then true).

    Raises ``ValidationError`` (field 证件号码) when the number is empty, has a wrong length or
    characters, a wrong check character, an invalid region code (first digit not 1-8), or a birth
    date that is not a calendar date, is after ``today`` (default: the system date) or means an
    age over 120.
    """
    if today is None:
        today = datetime.date.today()
    raw = text.strip()
    if not raw:
        raise ValidationError("不能为空", field=FIELD)
    for ch in raw:
        if ch not in _DIGITS and ch not in "Xx":
            raise ValidationError(f"含有非法字符 {_char_label(ch)}", field=FIELD)
    raw = raw.replace("x", "X")
    if len(raw) not in (15, 18):
        raise ValidationError(f"长度应为 18 位，实际 {len(raw)} 位", field=FIELD)
    body = raw[:17] if len(raw) == 18 else raw
    if "X" in body:
        if len(raw) == 15:
            raise ValidationError("15 位旧号码不能含有 X", field=FIELD)
        raise ValidationError("X 只能出现在第 18 位（校验位）", field=FIELD)

    upgraded = len(raw) == 15
    if upgraded:
        first17 = raw[:6] + "19" + raw[6:]
        number = first17 + resident_id_check_char(first17)
    else:
        number = raw
        expected = resident_id_check_char(number[:17])
        if number[17] != expected:
            raise ValidationError(f"校验位错误，应为 {expected}", field=FIELD)

    region_code = number[:6]
    if region_code[0] not in "12345678":
        raise ValidationError(f"地区码无效：{region_code} 的首位应为 1-8", field=FIELD)

    birth_text = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
    try:
        birth_date = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(f"出生日期 {birth_text} 不是有效日期", field=FIELD) from None
    if birth_date > today:
        raise ValidationError(f"出生日期 {birth_text} 晚于今天", field=FIELD)
    if _age(birth_date, today) > _MAX_AGE:
        raise ValidationError(f"出生日期 {birth_text} 不合理：年龄超过 {_MAX_AGE} 岁", field=FIELD)

    gender: Literal["M", "F"] = "M" if int(number[16]) % 2 == 1 else "F"
    return ResidentId(
        number=number,
        region_code=region_code,
        birth_date=birth_date,
        gender=gender,
        upgraded_from_15=upgraded,
    )

"""Masking of personal data for screens, receipts and logs (display only, no validation).

Every function strips surrounding whitespace and returns "" for an empty input. A masked value
keeps its length: one ``*`` per hidden character.
"""

from __future__ import annotations

import re
from typing import Final

_STAR: Final = "*"


def mask_id_number(number: str) -> str:
    """Keep the first 4 and last 4 characters: 11010519491231002X -> 1101**********002X.

    At least 4 characters are always hidden: from 8 to 11 characters only the first 2 and last
    2 are kept (E1234567 -> E1****67); below 8 characters everything is starred.
    """
    value = number.strip()
    n = len(value)
    if n < 8:
        return _STAR * n
    keep = 4 if n >= 12 else 2
    return value[:keep] + _STAR * (n - 2 * keep) + value[-keep:]


def mask_phone(number: str) -> str:
    """An 11-character number keeps its first 3 and last 4: 13312345678 -> 133****5678.

    Any other length keeps only the last 4 (12345678 -> ****5678); 4 characters or fewer are
    fully starred.
    """
    value = number.strip()
    n = len(value)
    if n == 11:
        return value[:3] + _STAR * 4 + value[-4:]
    if n <= 4:
        return _STAR * n
    return _STAR * (n - 4) + value[-4:]


def mask_name(name: str) -> str:
    """Keep the first character and star the rest: 张三 -> 张*, 欧阳娜娜 -> 欧***.

    A one-character name is returned as it is.
    """
    value = name.strip()
    return value[:1] + _STAR * (len(value) - 1) if value else ""


def mask_iccid(iccid: str) -> str:
    """A SIM's 20-character ICCID keeps its first 6 and last 4: 898603…1234 ->
    898603**********1234 (shorter values: only the last 4)."""
    value = iccid.strip()
    n = len(value)
    if n < 12:
        return mask_phone(value)
    return value[:6] + _STAR * (n - 10) + value[-4:]


# The administrative divisions an address starts with (省, 市, 区, 县…): kept by mask_address.
_DIVISIONS: Final = "省市区县旗镇乡"


def mask_address(address: str) -> str:
    """Keep the administrative divisions at the start, star the street and the door:
    福建省福州市台江区工业路 523 号 -> 福建省福州市台江区*************.

    At most the first half is kept (the divisions it ends on); an address without them keeps
    only its first third.
    """
    value = address.strip()
    n = len(value)
    half = value[: n // 2]
    cut = max((half.rfind(ch) for ch in _DIVISIONS), default=-1) + 1
    keep = cut or n // 3
    return value[:keep] + _STAR * (n - keep)


# A resident ID number or a mainland mobile number standing alone in free text (not a run of a
# longer number: an ICCID, an invoice or order number, a UUID's digits).
_ALONE_ID: Final = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[0-9Xx](?![0-9A-Za-z])")
_ALONE_MOBILE: Final = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
# As typed into a note or a reason: with the country code (+86, 0086, 86-) or grouped with
# spaces or hyphens (138 0013 8000, 110105 19491231 002X). The separators must be the same.
_PREFIXED_MOBILE: Final = re.compile(
    r"(?<![0-9A-Za-z+])((?:\+|00)?86[ -]?)(1[3-9]\d{9})(?![0-9A-Za-z])"
)
_GROUPED_MOBILE: Final = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d([ -])\d{4}\1\d{4}(?![0-9A-Za-z])")
_GROUPED_ID: Final = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}([ -])\d{8}\1\d{3}[0-9Xx](?![0-9A-Za-z])"
)


def redact(text: str) -> str:
    """Free text (a log line, a traceback, a crash report) with every resident ID number and
    mobile number in it masked: 身份证 11010519491231002X -> 身份证 1101**********002X; also
    one with a country code (+86 13912345678 -> +86 139****5678) or grouped (139 1234 5678
    -> 139****5678)."""
    text = _ALONE_ID.sub(lambda m: mask_id_number(m.group()), text)
    text = _GROUPED_ID.sub(lambda m: mask_id_number(m.group().replace(m.group(1), "")), text)
    text = _ALONE_MOBILE.sub(lambda m: mask_phone(m.group()), text)
    text = _PREFIXED_MOBILE.sub(lambda m: m.group(1) + mask_phone(m.group(2)), text)
    return _GROUPED_MOBILE.sub(lambda m: mask_phone(m.group().replace(m.group(1), "")), text)

"""Telecom identifiers: mobile numbers, SIM cards (ICCID, IMSI), handsets (IMEI), pretty numbers.

Number portability (携号转网) means a number's prefix does not prove its current operator: the
operator derived here from a prefix is only the operator the number segment was allocated to.
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from hall_app.domain.errors import ValidationError

MOBILE_FIELD: Final = "手机号码"
ICCID_FIELD: Final = "ICCID"
IMSI_FIELD: Final = "IMSI"
IMEI_FIELD: Final = "IMEI"

_DIGITS: Final = frozenset("0123456789")


class Operator(enum.StrEnum):
    """The four Chinese mobile network operators."""

    TELECOM = "telecom"
    MOBILE = "mobile"
    UNICOM = "unicom"
    BROADNET = "broadnet"

    @property
    def label(self) -> str:
        """The operator's Chinese name, e.g. 中国电信."""
        return _OPERATOR_LABELS[self]


_OPERATOR_LABELS: Final = MappingProxyType(
    {
        Operator.TELECOM: "中国电信",
        Operator.MOBILE: "中国移动",
        Operator.UNICOM: "中国联通",
        Operator.BROADNET: "中国广电",
    }
)


def _char_label(ch: str) -> str:
    if ch.isspace():
        return "（空格）"
    if "\uff01" <= ch <= "\uff5e":
        return f"{ch}（请使用半角字符）"
    if not ch.isprintable():
        return f"U+{ord(ch):04X}"
    return ch


def _require_digits(value: str, field: str) -> None:
    for ch in value:
        if ch not in _DIGITS:
            raise ValidationError(f"含有非法字符 {_char_label(ch)}", field=field)


def _require_length(value: str, length: int, field: str) -> None:
    if len(value) != length:
        raise ValidationError(f"长度应为 {length} 位，实际 {len(value)} 位", field=field)


# ---------------------------------------------------------------------------------------------
# Mobile numbers


def _segments(operator: Operator, *prefixes: str) -> dict[str, Operator]:
    return dict.fromkeys(prefixes, operator)


# Number segments as allocated (domain-rules.md). Keys are 3-digit prefixes, or 4-digit ones where
# a 3-digit segment is split: 134 is China Mobile for 1340-1348 only (1349 is not a mobile segment).
_PREFIXES: Final = MappingProxyType(
    _segments(Operator.TELECOM, "133", "149", "153", "173", "177", "180", "181", "189")
    | _segments(Operator.TELECOM, "190", "191", "193", "199")
    | _segments(Operator.MOBILE, "1340", "1341", "1342", "1343", "1344", "1345", "1346", "1347")
    | _segments(Operator.MOBILE, "1348", "135", "136", "137", "138", "139", "147")
    | _segments(Operator.MOBILE, "150", "151", "152", "157", "158", "159", "172", "178")
    | _segments(Operator.MOBILE, "182", "183", "184", "187", "188", "195", "197", "198")
    | _segments(Operator.UNICOM, "130", "131", "132", "145", "155", "156", "166", "175")
    | _segments(Operator.UNICOM, "176", "185", "186", "196")
    | _segments(Operator.BROADNET, "192")
)

_SEPARATORS: Final = frozenset(" -\u3000\t")


@dataclass(frozen=True, slots=True)
class MobileNumber:
    """An 11-digit mobile number and the operator its segment was allocated to."""

    number: str
    prefix_operator: Operator


def parse_mobile_number(text: str) -> MobileNumber:
    """Validate a mobile number as typed by a clerk.

    Spaces and hyphens between digits are dropped (``133 1234 5678``, ``133-1234-5678``); a leading
    ``+86`` or ``86`` is dropped when exactly 11 digits follow. The number must be 11 digits in an
    allocated segment. Raises ``ValidationError`` (field 手机号码).
    """
    compact = "".join(ch for ch in text.strip() if ch not in _SEPARATORS)
    if not compact:
        raise ValidationError("不能为空", field=MOBILE_FIELD)
    if compact.startswith("+"):
        if not compact.startswith("+86"):
            raise ValidationError("只接受中国大陆号码（+86）", field=MOBILE_FIELD)
        compact = compact[3:]
    elif len(compact) == 13 and compact.startswith("86") and set(compact) <= _DIGITS:
        compact = compact[2:]
    _require_digits(compact, MOBILE_FIELD)
    _require_length(compact, 11, MOBILE_FIELD)
    operator = _PREFIXES.get(compact[:4]) or _PREFIXES.get(compact[:3])
    if operator is None:
        segment = compact[:4] if compact.startswith("134") else compact[:3]
        raise ValidationError(f"号段 {segment} 不是已分配的手机号段", field=MOBILE_FIELD)
    return MobileNumber(number=compact, prefix_operator=operator)


# ---------------------------------------------------------------------------------------------
# Luhn


def _luhn_sum(digits: str, *, double_last: bool) -> int:
    total = 0
    double = double_last
    for ch in reversed(digits):
        d = int(ch)
        if double:
            d *= 2
            if d > 9:
                d -= 9
        total += d
        double = not double
    return total


def luhn_check_digit(digits: str) -> str:
    """The Luhn check digit to append to ``digits`` (ASCII digits, at least one)."""
    if not digits or not set(digits) <= _DIGITS:
        raise ValueError(f"Luhn needs ASCII digits, got {digits!r}")
    return str((10 - _luhn_sum(digits, double_last=True) % 10) % 10)


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` (ending with its check digit) passes the Luhn check."""
    if len(digits) < 2 or not set(digits) <= _DIGITS:
        return False
    return _luhn_sum(digits, double_last=False) % 10 == 0


# ---------------------------------------------------------------------------------------------
# SIM cards

_ICCID_CHARS: Final = frozenset("0123456789ABCDEF")
_ICCID_ISSUERS: Final = MappingProxyType(
    _segments(Operator.TELECOM, "03", "11")
    | _segments(Operator.MOBILE, "00", "02", "04", "07")
    | _segments(Operator.UNICOM, "01", "06", "09")
)


@dataclass(frozen=True, slots=True)
class Iccid:
    """A SIM card's ICCID; ``issuer`` is None when digits 5-6 name no known issuer."""

    value: str
    issuer: Operator | None


ICCID_LENGTH: Final = 20
_ICCID_PREFIX: Final = "8986"
_ISSUER_AT: Final = range(4, 6)  # digits 5-6


def _iccid_char_problem(index: int, ch: str) -> str | None:
    """What is wrong with character ``index`` (0-based) of an ICCID, if anything: only 0-9
    and A-F, and digits 5-6 (the issuer code) are digits."""
    if not ch.isascii() or ch.upper() not in _ICCID_CHARS:
        return f"含有非法字符 {_char_label(ch)}"
    if index in _ISSUER_AT and ch not in _DIGITS:
        return f"第 5-6 位是发卡方代码，只能是数字，第 {index + 1} 位却是 {ch}"
    return None


def _iccid_prefix_problem(value: str) -> str | None:
    if value[:4] != _ICCID_PREFIX[: len(value[:4])]:
        return f"应以 8986 开头（中国），实际为 {value[:4]}"
    return None


@dataclass(frozen=True, slots=True)
class IccidTyping:
    """The verdict on an ICCID as it is typed or scanned: ``message`` for the field (with the
    field label), ``wrong`` when something typed so far can never become a valid ICCID,
    ``complete`` when it is a valid ICCID."""

    message: str
    wrong: bool
    complete: bool


def iccid_as_typed(text: str) -> IccidTyping:
    """Check a partly typed ICCID in the order a clerk can act on: bad characters first (at
    once, whatever the length), then the 8986 prefix, then the length, then the check digit."""
    typed = text.strip()
    if not typed:
        return IccidTyping("", wrong=False, complete=False)
    for index, ch in enumerate(typed):
        problem = _iccid_char_problem(index, ch)
        if problem is not None:
            return IccidTyping(f"{ICCID_FIELD}：{problem}", wrong=True, complete=False)
    value = typed.upper()
    problem = _iccid_prefix_problem(value)
    if problem is not None:
        return IccidTyping(f"{ICCID_FIELD}：{problem}", wrong=True, complete=False)
    if len(value) < ICCID_LENGTH:
        message = f"{ICCID_FIELD}：已输入 {len(value)} 位，共 {ICCID_LENGTH} 位"
        return IccidTyping(message, wrong=False, complete=False)
    try:
        parse_iccid(value)
    except ValidationError as exc:  # too long, or the check digit
        return IccidTyping(exc.text, wrong=True, complete=False)
    return IccidTyping(f"{ICCID_FIELD}：格式正确", wrong=False, complete=True)


def parse_iccid(text: str) -> Iccid:
    """Validate a Chinese ICCID: 20 characters starting ``8986``.

    Characters are 0-9 and A-F (lower case is upper-cased); digits 5-6 give the issuer
    (Telecom 03/11, Mobile 00/02/04/07, Unicom 01/06/09) and are digits; when all 20 are digits
    the last one must be the Luhn check digit over the first 19. Raises ``ValidationError``
    (field ICCID).
    """
    typed = text.strip()
    if not typed:
        raise ValidationError("不能为空", field=ICCID_FIELD)
    for ch in typed:
        problem = _iccid_char_problem(-1, ch)
        if problem is not None:
            raise ValidationError(problem, field=ICCID_FIELD)
    value = typed.upper()
    _require_length(value, ICCID_LENGTH, ICCID_FIELD)
    problem = _iccid_prefix_problem(value)
    for index in _ISSUER_AT:
        problem = problem or _iccid_char_problem(index, value[index])
    if problem is not None:
        raise ValidationError(problem, field=ICCID_FIELD)
    if set(value) <= _DIGITS:
        expected = luhn_check_digit(value[:19])
        if value[19] != expected:
            raise ValidationError(f"校验位错误，应为 {expected}", field=ICCID_FIELD)
    return Iccid(value=value, issuer=_ICCID_ISSUERS.get(value[4:6]))


_IMSI_NETWORKS: Final = MappingProxyType(
    _segments(Operator.TELECOM, "03", "05", "11")
    | _segments(Operator.MOBILE, "00", "02", "04", "07", "08")
    | _segments(Operator.UNICOM, "01", "06", "09")
    | _segments(Operator.BROADNET, "15")
)


@dataclass(frozen=True, slots=True)
class Imsi:
    """A SIM's IMSI; ``operator`` is None for a network code (MNC) not in the table."""

    value: str
    mnc: str
    operator: Operator | None


def parse_imsi(text: str) -> Imsi:
    """Validate an IMSI: 15 digits, country code 460, a 2-digit network code, 10 digits.

    Raises ``ValidationError`` (field IMSI).
    """
    value = text.strip()
    if not value:
        raise ValidationError("不能为空", field=IMSI_FIELD)
    _require_digits(value, IMSI_FIELD)
    _require_length(value, 15, IMSI_FIELD)
    if not value.startswith("460"):
        raise ValidationError(f"国家码应为 460（中国），实际为 {value[:3]}", field=IMSI_FIELD)
    mnc = value[3:5]
    return Imsi(value=value, mnc=mnc, operator=_IMSI_NETWORKS.get(mnc))


def parse_imei(text: str) -> str:
    """Validate a handset IMEI (15 digits, the last a Luhn check digit); returns the digits.

    Raises ``ValidationError`` (field IMEI).
    """
    value = text.strip()
    if not value:
        raise ValidationError("不能为空", field=IMEI_FIELD)
    _require_digits(value, IMEI_FIELD)
    _require_length(value, 15, IMEI_FIELD)
    expected = luhn_check_digit(value[:14])
    if value[14] != expected:
        raise ValidationError(f"校验位错误，应为 {expected}", field=IMEI_FIELD)
    return value


# ---------------------------------------------------------------------------------------------
# Pretty numbers (靓号)
#
# This module only recognises patterns. The tier table -- which pattern codes form which tier,
# and each tier's prepayment, minimum monthly spend and lock-in term in months -- is
# configuration held in the database, keyed by the codes below. No fee is charged for choosing a
# number itself.

PRETTY_CODES: Final = ("AAAAA", "8888", "AAAA", "ABCDE", "ABCD", "AABB", "ABAB", "AAA")
"""Pattern codes, in the priority order ``pretty_pattern`` applies them."""


@dataclass(frozen=True, slots=True)
class PrettyMatch:
    """The highest-priority pattern a number's tail matches, e.g. code "AAAA", label 尾号AAAA."""

    code: str
    label: str


def _eleven_digits(number: str) -> str:
    value = number.strip()
    if not value:
        raise ValidationError("不能为空", field=MOBILE_FIELD)
    _require_digits(value, MOBILE_FIELD)
    _require_length(value, 11, MOBILE_FIELD)
    return value


def _all_same(tail: str) -> bool:
    return len(set(tail)) == 1


def _ascending(tail: str) -> bool:
    """Consecutive ascending digits such as 1234 or 01234; 9 is not followed by 0 (no wrap)."""
    return all(int(b) - int(a) == 1 for a, b in itertools.pairwise(tail))


def _pattern_code(n: str) -> str | None:
    if _all_same(n[-5:]):
        return "AAAAA"
    if n.endswith("8888"):
        return "8888"
    if _all_same(n[-4:]):
        return "AAAA"
    if _ascending(n[-5:]):
        return "ABCDE"
    if _ascending(n[-4:]):
        return "ABCD"
    a, b, c, d = n[-4], n[-3], n[-2], n[-1]
    if a == b and c == d and a != c:
        return "AABB"
    if a == c and b == d and a != b:
        return "ABAB"
    if _all_same(n[-3:]):
        return "AAA"
    return None


def pretty_pattern(number: str) -> PrettyMatch | None:
    """Classify an 11-digit number by its last digits; None for an ordinary number.

    Priority: AAAAA, 8888, AAAA, ABCDE, ABCD, AABB, ABAB, AAA (see ``PRETTY_CODES``). Ascending
    runs are strictly +1 steps without wrapping (7890 is not ABCD); descending runs do not count.
    Raises ``ValidationError`` (field 手机号码) unless given 11 digits.
    """
    code = _pattern_code(_eleven_digits(number))
    if code is None:
        return None
    return PrettyMatch(code=code, label=f"尾号{code}")


def has_digit_four(number: str) -> bool:
    """True when a 4 appears in the last 8 digits (the 3-digit segment prefix is not counted).

    Such numbers go to the lowest tier. Raises ``ValidationError`` unless given 11 digits.
    """
    return "4" in _eleven_digits(number)[3:]

"""Money as integer fen (分), VAT splitting and amounts in Chinese capitals (大写).

Money is exact: integer fen everywhere, ``Decimal`` at the edges, never ``float``. Rounding is
half-up to the fen (``ROUND_HALF_UP`` rounds halves away from zero, so negative red-letter amounts
are the exact mirror of positive ones).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Final

from hall_app.domain.errors import ValidationError

FIELD: Final = "金额"
RATE_FIELD: Final = "税率"

_AMOUNT_RE: Final = re.compile(
    r"(?P<sign1>[+-]?)[¥￥]?(?P<sign2>[+-]?)"
    r"(?P<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<frac>[0-9]+))?",
    re.ASCII,
)


_MAX_YUAN_DIGITS: Final = 15
"""``to_fen`` refuses 10**15 yuan and more: no counter amount is that large, and it keeps huge
inputs (``Decimal("1E+999999")``, thousands of digits) from turning into huge integers."""


MAX_AMOUNT_CHARS: Final = 32
"""The longest amount text ``to_fen`` reads (``-¥999,999,999,999,999.99`` is 24): longer text is
refused before it is parsed, so a pasted wall of digits never reaches ``int`` or ``Decimal``."""


def _require_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int (fen), got {type(value).__name__}")
    return value


def _decimal_to_fen(value: Decimal, shown: str) -> int:
    if not value.is_finite():
        raise ValidationError(f"“{shown}” 不是有效金额", field=FIELD)
    if value and value.adjusted() >= _MAX_YUAN_DIGITS:
        raise ValidationError(f"“{shown}” 金额过大", field=FIELD)
    sign, digit_tuple, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    digits = list(digit_tuple)
    while exponent < -2 and digits and digits[-1] == 0:  # 12.500 is 12.50: only zeros go
        digits.pop()
        exponent += 1
    if exponent < -2 and not digits:  # zero with many decimals
        exponent = -2
    if exponent < -2:  # a non-zero digit past the fen
        raise ValidationError("金额最多两位小数", field=FIELD)
    fen: int = int("".join(map(str, digits)) or "0") * 10 ** (exponent + 2)
    return -fen if sign else fen


def to_fen(value: Decimal | str | int) -> int:
    """Convert an amount in yuan to integer fen.

    Accepts an ``int`` (whole yuan), a ``Decimal`` or a string as typed by a clerk: ``"12"``,
    ``"12.5"``, ``"12.50"``, ``"¥1,234.56"``, ``"-3.00"``, ``"-¥3.00"``. Surrounding whitespace
    is ignored; thousands separators must group by three. Amounts are exact: more than two
    decimals raise ``ValidationError("金额最多两位小数")`` unless the extra digits are zeros
    (``"12.500"`` is 1250 fen); nothing is rounded. 10**15 yuan or more is refused as 金额过大.
    A ``float`` raises ``TypeError``.
    """
    if isinstance(value, float):
        raise TypeError("money must not be a float: pass a Decimal, str or int")
    if isinstance(value, bool):
        raise TypeError("money must not be a bool")
    if isinstance(value, int):
        return value * 100
    if isinstance(value, Decimal):
        return _decimal_to_fen(value, str(value))
    if not isinstance(value, str):
        raise TypeError(f"money must be a Decimal, str or int, got {type(value).__name__}")
    text = value.strip()
    if not text:
        raise ValidationError("不能为空", field=FIELD)
    if len(text) > MAX_AMOUNT_CHARS:
        raise ValidationError(
            f"最多 {MAX_AMOUNT_CHARS} 个字符，现在 {len(text)} 个字符", field=FIELD
        )
    match = _AMOUNT_RE.fullmatch(text)
    if match is None or (match["sign1"] and match["sign2"]):
        raise ValidationError(f"“{text}” 不是有效金额", field=FIELD)
    sign = match["sign1"] or match["sign2"]
    number = match["int"].replace(",", "")
    if match["frac"] is not None:
        number += "." + match["frac"]
    return _decimal_to_fen(Decimal(sign + number), text)


def fen_to_decimal(fen: int) -> Decimal:
    """Fen as a yuan ``Decimal`` with exactly two places: 123450 -> Decimal("1234.50")."""
    return Decimal(_require_int(fen, "fen")).scaleb(-2)


def format_yuan(fen: int) -> str:
    """Display form: 123450 -> "¥1,234.50", -300 -> "-¥3.00", 0 -> "¥0.00"."""
    fen = _require_int(fen, "fen")
    yuan, cents = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}¥{yuan:,}.{cents:02d}"


# ---------------------------------------------------------------------------------------------
# VAT


@dataclass(frozen=True, slots=True)
class TaxSplit:
    """A tax-inclusive line total split into amount (net of tax) and tax, all in fen."""

    total_fen: int
    amount_fen: int
    tax_fen: int
    rate: Decimal


def split_tax(total_fen: int, rate: Decimal) -> TaxSplit:
    """Split a tax-inclusive total: amount = total / (1 + rate) half-up to the fen; tax = rest.

    ``rate`` is a ``Decimal`` fraction such as ``Decimal("0.09")`` (0 <= rate < 1). A negative
    total (red-letter invoice) splits as the mirror of the positive one. Examples: 10900 at 0.09
    -> 10000 + 900; 5000 at 0.06 -> 4717 + 283; 599900 at 0.13 -> 530885 + 69015.
    """
    total_fen = _require_int(total_fen, "total_fen")
    if not isinstance(rate, Decimal):
        raise TypeError(f"rate must be a Decimal, got {type(rate).__name__}")
    if not rate.is_finite() or rate < 0 or rate >= 1:
        raise ValidationError(f"税率 {rate} 无效，应在 0 到 1 之间（如 0.09）", field=RATE_FIELD)
    magnitude = abs(total_fen)
    with localcontext() as ctx:
        # enough significant digits that the division is exact to well below a fen
        ctx.prec = len(str(magnitude)) + 30
        net = (Decimal(magnitude) / (1 + rate)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    amount = int(net) if total_fen >= 0 else -int(net)
    return TaxSplit(total_fen=total_fen, amount_fen=amount, tax_fen=total_fen - amount, rate=rate)


# ---------------------------------------------------------------------------------------------
# Amount in Chinese capitals

_CAPITAL_DIGITS: Final = "零壹贰叁肆伍陆柒捌玖"
_DIGIT_UNITS: Final = ("仟", "佰", "拾", "")
_GROUP_UNITS: Final = ("亿", "万", "")
MAX_CAPITAL_FEN: Final = 10**14 - 1
"""The largest magnitude ``capital_amount`` writes: 9999,9999,9999.99 yuan (9999亿 and more)."""


def _capital_integer(yuan: int) -> str:
    """A positive integer (< 10**12) as a Chinese numeral in capitals, without 元.

    Groups of four digits take 亿/万. Inside the number every run of zeros between non-zero
    digits is written as one 零 -- including a run that crosses a group boundary, so a group that
    starts with zero after a non-zero higher group starts with 零 (壹拾万零壹拾), while an all-zero
    group is skipped and adds no unit (壹亿零壹). Trailing zeros of a group are covered by the
    group's unit and write nothing (壹拾万壹仟). 拾 always has its digit: 壹拾, never bare 拾.
    """
    digits = f"{yuan:012d}"
    words: list[str] = []
    started = False
    zero_pending = False
    for group_index, group_unit in enumerate(_GROUP_UNITS):
        group = digits[group_index * 4 : group_index * 4 + 4]
        if group == "0000":
            zero_pending = zero_pending or started
            continue
        for digit, unit in zip(group, _DIGIT_UNITS, strict=True):
            if digit == "0":
                zero_pending = zero_pending or started
                continue
            if zero_pending:
                words.append("零")
                zero_pending = False
            words.append(_CAPITAL_DIGITS[int(digit)] + unit)
            started = True
        words.append(group_unit)
        zero_pending = False  # zeros at the end of a group are covered by its unit (万, 亿)
    return "".join(words)


def capital_amount(fen: int, *, zero_after_yuan: bool = True) -> str:
    """The amount in Chinese capitals for invoices and receipts (PBOC rules, pinned choices).

    Examples: 100500 -> 壹仟零伍元整; 10001000 -> 壹拾万零壹拾元整; 50 -> 伍角整; 5 -> 伍分;
    0 -> 零元整; 10005 -> 壹佰元零伍分; -300 -> 负叁元整.

    For amounts of at least one yuan a 零 follows 元 when the 角 digit is 0 and the 分 digit is
    not (mandatory under the PBOC rules: 壹佰元零伍分). With ``zero_after_yuan`` (the default,
    as pinned in domain-rules.md) a 零 also follows 元 when the 元 digit is 0 and the 角 digit
    is not: 10050 -> 壹佰元零伍角整. The PBOC rules allow leaving that 零 out, which
    ``zero_after_yuan=False`` does (10050 -> 壹佰元伍角整). When both apply (元 digit 0, 角 0,
    分 not 0: 100000001 -> 壹佰万元零壹分) there is one 零: both rules ask for a 零 at the same
    place, right after 元, and a run of zeros is written once.

    Raises ``ValidationError`` (field 金额) when the magnitude does not fit under 亿 as the highest
    unit, i.e. exceeds ``MAX_CAPITAL_FEN`` (9999亿9999万9999元9角9分).
    """
    fen = _require_int(fen, "fen")
    if abs(fen) > MAX_CAPITAL_FEN:
        raise ValidationError("金额超出大写金额范围（最大 9999亿元）", field=FIELD)
    if fen < 0:
        return "负" + capital_amount(-fen, zero_after_yuan=zero_after_yuan)
    if fen == 0:
        return "零元整"
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    words: list[str] = []
    if yuan:
        words.append(_capital_integer(yuan) + "元")
        yuan_digit_zero = yuan % 10 == 0
        if (jiao and yuan_digit_zero and zero_after_yuan) or (not jiao and fen_digit):
            words.append("零")
    if jiao:
        words.append(_CAPITAL_DIGITS[jiao] + "角")
    if fen_digit:
        words.append(_CAPITAL_DIGITS[fen_digit] + "分")
    else:
        words.append("整")
    return "".join(words)

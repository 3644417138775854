"""A top-up (预存话费) as pure rules: the number the clerk typed, the amount, and the promotion
that applies.

- The number: an 11-digit mobile number in an allocated segment, or a landline written with
  its area code (010-…, 0591-…: an area code of 3 or 4 digits then 8 digits not starting with
  0 or 1). Spaces and hyphens are dropped.
- The amount: as typed, at most two decimals (``to_fen``), then within the configured limits
  (domain-rules.md: 1.00 to 5,000.00 a time by default).
- The offer: of the catalog's active top-up offers valid on the day, the one with the highest
  bonus whose minimum the amount reaches (then the higher minimum, then by code: the choice
  never depends on the order the offers come in). The bonus is its own balance, used but
  never refunded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from hall_app.domain.errors import ValidationError
from hall_app.domain.money import format_yuan, to_fen
from hall_app.domain.telecom import parse_mobile_number

NUMBER_FIELD: Final = "充值号码"
AMOUNT_FIELD: Final = "充值金额"
QUICK_AMOUNTS_FEN: Final = (5_000, 10_000, 20_000, 30_000)  # 50 / 100 / 200 / 300 元


@dataclass(frozen=True)
class TypedNumber:
    digits: str  # as the subscription stores it: 18912345678, 059187654321
    mobile: bool


def parse_top_up_number(text: str) -> TypedNumber:
    """The number as typed: a mobile number or a landline with its area code. Raises
    ``ValidationError`` (field 充值号码)."""
    compact = "".join(ch for ch in text.strip() if ch not in " -\u3000\t")
    if not compact:
        raise ValidationError("请输入要充值的手机号码或带区号的固话号码", NUMBER_FIELD)
    if compact.startswith("0"):
        # str.isdigit() also takes full-width (０５９１) and other scripts' digits (٥): a number
        # of record is ASCII digits only, so those are refused, never stored or looked up.
        if not (compact.isascii() and compact.isdigit()) or not _landline(compact):
            raise ValidationError(
                "固话号码应为区号加 8 位号码（如 0591-87654321、010-62345678）", NUMBER_FIELD
            )
        return TypedNumber(compact, mobile=False)
    if compact[:2].upper() == "KD":  # a broadband account (KD0591…): it has no prepaid balance
        raise ValidationError(
            "宽带账号不能充值（预存话费），请输入手机号码或带区号的固话号码", NUMBER_FIELD
        )
    try:
        parsed = parse_mobile_number(compact)
    except ValidationError as exc:
        raise ValidationError(f"手机号码{exc.message}", NUMBER_FIELD) from exc
    return TypedNumber(parsed.number, mobile=True)


def _landline(digits: str) -> bool:
    area = 3 if digits[:2] in {"01", "02"} else 4
    local = digits[area:]
    return len(local) == 8 and local[0] not in "01"


def parse_top_up_amount(text: str) -> int:
    """The amount as typed, in fen: at most two decimals, never negative. Raises
    ``ValidationError`` (field 充值金额); the limits are ``check_top_up_amount``'s."""
    try:
        fen = to_fen(text)
    except ValidationError as exc:
        raise ValidationError(exc.message, AMOUNT_FIELD) from exc
    return fen


def check_top_up_amount(amount_fen: int, min_fen: int, max_fen: int) -> None:
    """Refuse 0, a negative amount, or one outside ``min_fen``..``max_fen``."""
    if amount_fen <= 0:
        raise ValidationError("充值金额必须大于零", AMOUNT_FIELD)
    if amount_fen < min_fen:
        raise ValidationError(f"单笔充值不能少于 {format_yuan(min_fen)}", AMOUNT_FIELD)
    if amount_fen > max_fen:
        raise ValidationError(f"单笔充值不能超过 {format_yuan(max_fen)}", AMOUNT_FIELD)


@dataclass(frozen=True)
class TopUpOffer:
    code: str
    name: str
    min_amount_fen: int
    bonus_fen: int
    valid_from: date
    valid_to: date | None
    active: bool = True

    def valid_on(self, on: date) -> bool:
        return (
            self.active and self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)
        )


def best_offer(offers: Sequence[TopUpOffer], amount_fen: int, on: date) -> TopUpOffer | None:
    """The offer a top-up of ``amount_fen`` on ``on`` gets: the highest bonus whose minimum it
    reaches (then the higher minimum, then the code); None when none applies."""
    valid = [
        o for o in offers if o.valid_on(on) and o.bonus_fen > 0 and o.min_amount_fen <= amount_fen
    ]
    if not valid:
        return None
    return min(valid, key=lambda o: (-o.bonus_fen, -o.min_amount_fen, o.code))

"""The till's count (点钞): the denominations a drawer holds, a blind count checked and
totalled, and the variance of a close held against the tolerance. Pure: no database."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from hall_app.domain.errors import ValidationError
from hall_app.domain.money import format_yuan

COUNT_FIELD = "点钞"
# 100, 50, 20, 10, 5, 1 yuan, 5 jiao, 1 jiao, in fen, largest first.
DENOMINATIONS_FEN: tuple[int, ...] = (10_000, 5_000, 2_000, 1_000, 500, 100, 50, 10)
MAX_PIECES = 100_000  # of one denomination: more is a typing slip


def denomination_label(fen: int) -> str:
    """100元, 5角, 1角."""
    if fen >= 100:
        return f"{fen // 100}元"
    return f"{fen // 10}角"


def check_counts(counts: Mapping[int, int]) -> dict[int, int]:
    """The count by denomination, every denomination present (0 when not typed). A negative
    count, a denomination the hall does not take or an absurd pile are refused."""
    for fen in counts:
        if fen not in DENOMINATIONS_FEN:
            raise ValidationError(f"没有 {format_yuan(fen)} 面额的现金", COUNT_FIELD)
    checked: dict[int, int] = {}
    for fen in DENOMINATIONS_FEN:
        pieces = counts.get(fen, 0)
        label = denomination_label(fen)
        if pieces < 0:
            raise ValidationError(f"{label}的张数不能为负数（现在 {pieces}）", COUNT_FIELD)
        if pieces > MAX_PIECES:
            raise ValidationError(
                f"{label} {pieces:,} 张超过 {MAX_PIECES:,} 张，请核对", COUNT_FIELD
            )
        checked[fen] = pieces
    return checked


def counts_total(counts: Mapping[int, int]) -> int:
    return sum(fen * pieces for fen, pieces in counts.items())


def counts_to_json(counts: Mapping[int, int]) -> str:
    return json.dumps({str(fen): pieces for fen, pieces in counts.items()}, sort_keys=True)


def counts_from_json(text: str) -> dict[int, int]:
    if not text:
        return {}
    return {int(fen): int(pieces) for fen, pieces in json.loads(text).items()}


@dataclass(frozen=True)
class MethodCheck:
    """One payment method at the close: what the records say against what was counted."""

    code: str  # cash, bank_card, qr_wallet, prepaid_card
    label: str
    expected_fen: int
    counted_fen: int | None  # None: not counted (a prepaid card has no settlement)

    @property
    def difference_fen(self) -> int:
        return 0 if self.counted_fen is None else self.counted_fen - self.expected_fen


def variance_fen(checks: tuple[MethodCheck, ...]) -> int:
    """How far off the till is: each method's difference, in absolute value, summed (a cash
    shortage is not made good by a card overage)."""
    return sum(abs(c.difference_fen) for c in checks)


def needs_sign_off(checks: tuple[MethodCheck, ...], tolerance_fen: int) -> bool:
    return variance_fen(checks) > tolerance_fen


def difference_label(difference_fen: int) -> str:
    """账实相符, 长款 ¥1.00 (more than expected) or 短款 ¥4.00 (less)."""
    if difference_fen == 0:
        return "账实相符"
    return f"{'长款' if difference_fen > 0 else '短款'} {format_yuan(abs(difference_fen))}"


def z_ref(z_no: int) -> str:
    """The Z report's printed number: Z00000123."""
    return f"Z{z_no:08d}"


def z_print_ref(hall_code: str, z_no: int) -> str:
    """The Z report's ``document_ref`` in print_records: the number is per hall (every hall
    has a Z00000001) and print_records are unique by (type, ref, copy), so it names the
    hall: FZ-GL01-Z00000123."""
    return f"{hall_code}-{z_ref(z_no)}"


def print_label(copy_no: int) -> str:
    """How the Z report names its copy ``copy_no``: 首次打印, then the reprints counted from 1
    (copy 2 is 重打 第1次), alike on the PDF's stamp, its 打印记录 and the desk's page."""
    return "首次打印" if copy_no <= 1 else f"重打 第{copy_no - 1}次"

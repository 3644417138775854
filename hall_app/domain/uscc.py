"""Unified Social Credit Codes (统一社会信用代码, GB 32100-2015) of enterprise customers.

18 characters from the alphabet ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, S, V, Z; values
0..30). The 18th character is a check over the first 17 (weights 1 3 9 27 ... mod 31).

Some early pilot codes fail the check yet are legal, so a failed check does not raise: the result
says ``check_ok=False`` and the UI warns and asks the clerk to confirm.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from hall_app.domain.errors import ValidationError

FIELD: Final = "统一社会信用代码"

ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES: Final = MappingProxyType({ch: i for i, ch in enumerate(ALPHABET)})
_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_EXCLUDED_LETTERS: Final = "IOSVZ"


@dataclass(frozen=True, slots=True)
class Uscc:
    """A well-formed code; ``check_ok`` is false when its last character is not the expected one."""

    code: str
    check_ok: bool
    expected_check: str

    @property
    def warning(self) -> str | None:
        """The warning to show before the clerk confirms a code that fails the check."""
        if self.check_ok:
            return None
        return (
            f"校验位不符，按国家标准应为 {self.expected_check}；"
            "早期试点代码可能如此，请核对营业执照后确认"
        )


def _char_label(ch: str) -> str:
    if ch.isspace():
        return "（空格）"
    if "\uff01" <= ch <= "\uff5e":
        return f"{ch}（请使用半角字符）"
    if not ch.isprintable():
        return f"U+{ord(ch):04X}"
    if ch in _EXCLUDED_LETTERS:
        return f"{ch}（代码不使用 I、O、S、V、Z）"
    return ch


def _check_alphabet(code: str) -> None:
    """Reject a character outside the alphabet, naming it as typed (lower case is accepted)."""
    for ch in code:
        if not ch.isascii() or ch.upper() not in _VALUES:
            raise ValidationError(f"含有非法字符 {_char_label(ch)}", field=FIELD)


def uscc_check_char(first17: str) -> str:
    """The check character for the first 17 characters of a code (lower case accepted)."""
    if len(first17) != 17:
        raise ValidationError(f"计算校验位需要 17 位，实际 {len(first17)} 位", field=FIELD)
    _check_alphabet(first17)
    first17 = first17.upper()
    total = sum(_VALUES[ch] * w for ch, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def parse_uscc(text: str) -> Uscc:
    """Normalise (strip, upper-case) and check a code.

    Raises ``ValidationError`` (field 统一社会信用代码) for an empty input, a length other than 18
    or a character outside the alphabet. A wrong check character does not raise.
    """
    typed = text.strip()
    if not typed:
        raise ValidationError("不能为空", field=FIELD)
    _check_alphabet(typed)
    code = typed.upper()
    if len(code) != 18:
        raise ValidationError(f"长度应为 18 位，实际 {len(code)} 位", field=FIELD)
    expected = uscc_check_char(code[:17])
    return Uscc(code=code, check_ok=code[17] == expected, expected_check=expected)

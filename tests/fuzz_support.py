"""Hypothesis settings and text strategies for the fuzz tests (tests/*/test_fuzz_*.py).

Every text-facing entry point is fed what a clerk, a scanner, a paste or a supplier's file can
bring: any code point (lone surrogates and control characters included), full-width and other
non-ASCII digits, separators, huge strings, and valid values with one character changed. Only a
``HallError`` (or a normal result) may come out.

``make test`` runs a small number of examples per test (the whole fuzz set stays under about a
minute); ``HYPOTHESIS_PROFILE=long`` runs many more, without deadlines, for a soak of its own.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from hall_app.domain.resident_id import resident_id_check_char
from hall_app.domain.telecom import luhn_check_digit
from hall_app.domain.uscc import ALPHABET, uscc_check_char

LONG = os.environ.get("HYPOTHESIS_PROFILE", "") == "long"
_LONG_FACTOR = 50

F = TypeVar("F", bound=Callable[..., Any])


def fuzz(examples: int, *, db: bool = False) -> Callable[[F], F]:
    """Settings for one fuzz test: ``examples`` in ``make test`` (times 50 in the long profile).
    ``db``: the test reaches a database, so no per-example deadline (a checkpoint or a cold
    page must not fail it) and a module-scoped app is fine."""
    return settings(
        max_examples=examples * _LONG_FACTOR if LONG else examples,
        deadline=None if (db or LONG) else datetime.timedelta(seconds=2),
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
        if db
        else [HealthCheck.too_slow],
        derandomize=False,
        database=None,
    )


# -- characters --------------------------------------------------------------------------------
# Any code point, lone surrogates (U+D800-U+DFFF) included: st.characters() leaves them out
# unless told.
ANY_CHAR = st.characters(exclude_categories=())
FULL_WIDTH_DIGITS = "０１２３４５６７８９"
# Digits of other scripts that str.isdigit() accepts and int() reads (or does not: ² ①).
OTHER_DIGITS = "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹०१२३४५६७८९²³¹①⑨𝟎𝟗"
SEPARATORS = " \t\r\n\u3000\u00a0\u200b\ufeff-—_,，.。·/\\+"
CONTROLS = "".join(map(chr, range(0x20))) + "\x7f\x85\u2028\u2029\u202e"
NEARBY = "0123456789Xx" + FULL_WIDTH_DIGITS + "Ｘｘ" + OTHER_DIGITS + SEPARATORS + CONTROLS
MONEY_CHARS = "0123456789.,+-¥￥eE " + FULL_WIDTH_DIGITS + "．，＋－_" + OTHER_DIGITS + "\u3000\t"
CJK = st.characters(min_codepoint=0x3400, max_codepoint=0x9FFF)
SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)


def huge(alphabet: str = "9") -> st.SearchStrategy[str]:
    """A pasted wall of text: thousands of the same few characters."""
    return st.builds(
        lambda chars, n: (chars * n)[: max(n, 1)],
        st.text(st.sampled_from(alphabet), min_size=1, max_size=4),
        st.integers(1_000, 50_000),
    )


# -- valid values, then spoiled ---------------------------------------------------------------
@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    """A valid 18-character resident ID number (born 1930-2012)."""
    region = draw(st.sampled_from(["110105", "350102", "440305", "510104", "820000"]))
    born = draw(st.dates(datetime.date(1930, 1, 1), datetime.date(2012, 12, 31)))
    seq = draw(st.integers(0, 999))
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + resident_id_check_char(first17)


@st.composite
def usccs(draw: st.DrawFn) -> str:
    first17 = draw(st.text(st.sampled_from(ALPHABET), min_size=17, max_size=17))
    return first17 + uscc_check_char(first17)


MOBILE_PREFIXES = ["133", "153", "189", "199", "135", "1340", "138", "186", "192"]


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(MOBILE_PREFIXES))
    rest = draw(st.text(st.sampled_from("0123456789"), min_size=11 - len(prefix)))
    return (prefix + rest)[:11]


@st.composite
def luhn_digits(draw: st.DrawFn, length: int, prefix: str = "") -> str:
    body = prefix + draw(st.text(st.sampled_from("0123456789"), min_size=length - 1 - len(prefix)))
    body = body[: length - 1]
    return body + luhn_check_digit(body)


@st.composite
def spoiled(draw: st.DrawFn, valid: st.SearchStrategy[str]) -> str:
    """A valid value with one or two characters replaced, inserted or deleted (a typing slip,
    a scanner glitch, a full-width digit from an IME, a stray control character)."""
    value = draw(valid)
    for _ in range(draw(st.integers(1, 2))):
        i = draw(st.integers(0, len(value)))
        ch = draw(st.one_of(st.sampled_from(NEARBY), ANY_CHAR))
        how = draw(st.sampled_from(["replace", "insert", "delete", "wrap"]))
        if how == "replace":
            value = value[:i] + ch + value[i + 1 :]
        elif how == "insert":
            value = value[:i] + ch + value[i:]
        elif how == "delete":
            value = value[:i] + value[i + 1 :]
        else:
            value = ch + value + ch
    return value


def texts_like(*valid: st.SearchStrategy[str], alphabet: str = NEARBY) -> st.SearchStrategy[str]:
    """Arbitrary text, text from the field's own alphabet, huge text, and the valid values
    themselves, spoiled and whole."""
    options: list[st.SearchStrategy[str]] = [
        st.text(ANY_CHAR, max_size=40),
        st.text(st.sampled_from(alphabet), max_size=40),
        st.text(st.one_of(st.sampled_from(alphabet), SURROGATES), max_size=25),
        huge(alphabet[:12]),
    ]
    for v in valid:
        options += [v, spoiled(v)]
    return st.one_of(options)


def full_width(text: str) -> str:
    """ASCII digits and letters as an IME types them in full width (１３３…)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)

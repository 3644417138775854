"""The till's count and variance rules, and the Z report content read in either shape."""

from __future__ import annotations

import pytest

from hall_app.domain.errors import ValidationError
from hall_app.domain.till import (
    MethodCheck,
    check_counts,
    counts_total,
    needs_sign_off,
    variance_fen,
)
from hall_app.services.tills import verdict


def test_counts_are_checked_and_totalled() -> None:
    counts = check_counts({10_000: 2, 50: 3, 10: 1})
    assert counts_total(counts) == 20_160 and set(counts) == {
        10_000,
        5_000,
        2_000,
        1_000,
        500,
        100,
        50,
        10,
    }
    with pytest.raises(ValidationError, match="1角的张数不能为负数"):
        check_counts({10: -1})
    with pytest.raises(ValidationError, match="超过 100,000 张"):
        check_counts({100: 100_001})


def test_the_variance_adds_each_methods_difference() -> None:
    checks = (
        MethodCheck("cash", "现金", 10_000, 9_400),
        MethodCheck("bank_card", "银行卡", 5_000, 5_600),
        MethodCheck("qr_wallet", "扫码支付", 0, None),
    )
    assert variance_fen(checks) == 1_200  # a shortage is not made good by an overage
    assert needs_sign_off(checks, 1_000) and not needs_sign_off(checks, 1_200)
    assert verdict(checks) == "现金短款 ¥6.00、银行卡长款 ¥6.00"
    assert verdict(checks[:1]) == "短款 ¥6.00"

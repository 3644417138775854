from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hall_app.domain.enums import PaymentMethod
from hall_app.domain.errors import ValidationError
from hall_app.domain.payments import PaymentInput, settle

CASH, CARD, QR = PaymentMethod.CASH, PaymentMethod.BANK_CARD, PaymentMethod.QR_WALLET


def test_cash_with_change() -> None:
    (p,) = settle(12_900, [PaymentInput(CASH, 12_900, tendered_fen=20_000)])
    assert (p.change_fen, p.tendered_fen) == (7_100, 20_000)


def test_mixed_cash_and_qr() -> None:
    out = settle(
        59_900, [PaymentInput(CASH, 10_000, 10_000), PaymentInput(QR, 49_900, None, "WX8843221")]
    )
    assert [p.method for p in out] == [CASH, QR] and out[1].reference == "WX8843221"


@pytest.mark.parametrize(
    ("payments", "field", "fragment"),
    [
        ([], "支付方式", "请收取 ¥100.00"),
        ([PaymentInput(CASH, 10_000, 5_000)], "实收现金", "少于应收现金"),
        ([PaymentInput(CARD, 10_000, None, "12")], "交易参考号", "交易参考号"),
        ([PaymentInput(CASH, 9_000)], "支付金额", "合计 ¥90.00，应收 ¥100.00"),
        ([PaymentInput(CASH, 5_000), PaymentInput(CASH, 5_000)], "支付方式", "一笔"),
        ([PaymentInput(QR, 0, None, "WX123456")], "支付金额", "大于零"),
    ],
)
def test_bad_payments_name_the_field(
    payments: list[PaymentInput], field: str, fragment: str
) -> None:
    with pytest.raises(ValidationError) as err:
        settle(10_000, payments)
    assert err.value.field == field and fragment in err.value.text


@settings(max_examples=200, database=None)
@given(st.integers(1, 10_000_000), st.integers(0, 10_000_000), st.integers(0, 100_000))
def test_split_between_cash_and_card_always_balances(
    total: int, card_part: int, extra: int
) -> None:
    card = min(card_part, total)
    payments = [PaymentInput(CARD, card, None, "POS123456")] if card else []
    if total - card:
        payments.append(PaymentInput(CASH, total - card, total - card + extra))
    out = settle(total, payments)
    assert sum(p.amount_fen for p in out) == total
    assert sum(p.change_fen for p in out) == (extra if total - card else 0)

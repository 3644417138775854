"""Fuzzing the screens' amount parsing (issue 15 §5 "money parsing"): what a clerk types or
pastes into the payment page's card/QR amounts and the till count's fields comes out as fen
or a typed ``ValidationError`` naming the field, never another exception."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st
from PySide6.QtWidgets import QApplication, QLineEdit

from hall_app.domain.errors import ValidationError
from hall_app.domain.money import MAX_AMOUNT_CHARS
from hall_app.domain.till import check_counts
from tests.fuzz_support import ANY_CHAR, MONEY_CHARS, fuzz, huge, texts_like
from ui.cash.count import CountBox, pieces_of
from ui.wizard.payment import _amount

typed = st.one_of(
    texts_like(
        st.decimals(places=2, min_value=-(10**6), max_value=10**13).map(str), alphabet=MONEY_CHARS
    ),
    st.text(ANY_CHAR, max_size=MAX_AMOUNT_CHARS),
)


@fuzz(100)
@given(typed)
@example("１２.５０")
@example("-0.01")
@example("\ud800")
def test_payment_amount_field(qapp: QApplication, text: str) -> None:
    edit = QLineEdit()
    edit.setMaxLength(MAX_AMOUNT_CHARS)  # as the page's fields
    edit.setText(text)
    try:
        fen = _amount(edit, "刷卡金额")
    except ValidationError as exc:
        assert exc.field == "刷卡金额" and exc.message
        return
    assert fen >= 0


@fuzz(100)
@given(
    st.one_of(
        st.text(ANY_CHAR, max_size=8),
        st.text(st.sampled_from("0123456789-+_ ٣５"), max_size=8),
        huge("9"),
    )
)
@example("1_000")
@example("-5")
def test_pieces_typed(text: str) -> None:
    try:
        pieces = pieces_of(text, "100元")
        check_counts({10_000: pieces})
    except ValidationError as exc:
        assert exc.field == "点钞" and exc.message
        return
    assert 0 <= pieces <= 100_000


@fuzz(40)
@given(st.lists(st.text(ANY_CHAR, max_size=8), min_size=10, max_size=10))
def test_till_count_box(qapp: QApplication, texts: list[str]) -> None:
    box = CountBox()
    try:
        fields = [*box.pieces.values(), box.card, box.qr]
        for field, text in zip(fields, texts, strict=False):
            field.setText(text)
        try:
            count = box.count()
        except ValidationError as exc:
            assert exc.message
            return
        assert count.card_fen is not None
    finally:
        box.deleteLater()

"""点钞: the blind count typed by denomination (100元 … 1角), the cash total adding up as the
clerk types, and the card and QR terminals' settlement totals. Enter moves to the next field;
the QR field's Enter is the dialog's (it records the count). Nothing here knows what the till
should hold."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QGridLayout, QGroupBox, QLabel, QLineEdit, QWidget

from hall_app.domain.errors import ValidationError
from hall_app.domain.money import MAX_AMOUNT_CHARS, to_fen
from hall_app.domain.till import COUNT_FIELD, DENOMINATIONS_FEN, denomination_label
from hall_app.services.cash import TillCount
from ui import format as fmt


def pieces_of(text: str, label: str) -> int:
    text = text.strip()
    if not text:
        return 0
    try:
        return int(text)
    except ValueError:
        raise ValidationError(f"{label}的张数须为整数，现在“{text}”", COUNT_FIELD) from None


class CountBox(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("按面额清点钱箱（盲点：清点完成前不显示应有金额）", parent)
        grid = QGridLayout(self)
        self.pieces: dict[int, QLineEdit] = {}
        self.subtotals: dict[int, QLabel] = {}
        for i, fen in enumerate(DENOMINATIONS_FEN):
            field = QLineEdit()
            field.setObjectName(f"pieces{fen}")
            field.setMaxLength(6)
            field.setPlaceholderText("0")
            field.textChanged.connect(self.recount)
            field.returnPressed.connect(self.focusNextChild)
            self.pieces[fen] = field
            sub = QLabel("")
            self.subtotals[fen] = sub
            row, col = i % 4, (i // 4) * 3  # two columns of four: notes, then small change
            grid.addWidget(QLabel(f"{denomination_label(fen)} ×"), row, col)
            grid.addWidget(field, row, col + 1)
            grid.addWidget(sub, row, col + 2)
        self.cash_total = QLabel("现金合计：¥0.00")
        self.cash_total.setObjectName("cashCountTotal")
        grid.addWidget(self.cash_total, 4, 0, 1, 6)
        self.card = QLineEdit()
        self.card.setObjectName("cardSettlement")
        self.card.setMaxLength(MAX_AMOUNT_CHARS)
        self.card.setPlaceholderText("POS 结算单上的合计，没有填 0")
        self.card.returnPressed.connect(self.focusNextChild)
        self.qr = QLineEdit()
        self.qr.setObjectName("qrSettlement")
        self.qr.setMaxLength(MAX_AMOUNT_CHARS)
        self.qr.setPlaceholderText("扫码收款对账单合计，没有填 0")
        settle = QFormLayout()
        settle.addRow("银行卡结算（元）：", self.card)
        settle.addRow("扫码结算（元）：", self.qr)
        grid.addLayout(settle, 5, 0, 1, 6)

    def clear(self) -> None:
        for field in self.pieces.values():
            field.clear()
        self.card.clear()
        self.qr.clear()
        self.pieces[DENOMINATIONS_FEN[0]].setFocus()

    def recount(self) -> None:
        total = 0
        for fen, field in self.pieces.items():
            try:
                n = pieces_of(field.text(), denomination_label(fen))
            except ValidationError:
                self.subtotals[fen].setText("？")
                continue
            self.subtotals[fen].setText(fmt.money(fen * n) if n else "")
            total += fen * n
        self.cash_total.setText(f"现金合计：{fmt.money(total)}")

    def count(self) -> TillCount:
        """What was typed; a field that is not a number is refused, naming it."""
        counts = {
            fen: pieces_of(f.text(), denomination_label(fen)) for fen, f in self.pieces.items()
        }
        card = to_fen(self.card.text() or "0")
        qr = to_fen(self.qr.text() or "0")
        return TillCount(counts, card_fen=card, qr_fen=qr)

"""Taking the money, shared by every order wizard: cash with change, bank card or QR wallet
with a reference, or a mix; then the order completes in one transaction.

A wizard's payment page says the amount due (``total_fen``), whether the order is already
done (``finished``), and completes it (``complete``: the service call on the writer thread)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QLineEdit, QVBoxLayout

from hall_app.domain.enums import PaymentMethod
from hall_app.domain.errors import HallError, ValidationError
from hall_app.domain.money import MAX_AMOUNT_CHARS, capital_amount, to_fen
from hall_app.domain.payments import PaymentInput, settle
from ui import format as fmt
from ui.style import set_role
from ui.wizard.base import WizardEnv, WizardPage, error_label

NOT_TAKEN = "未办结，未收取任何费用："


def _amount(edit: QLineEdit, field: str) -> int:
    text = edit.text().strip()
    if not text:
        return 0
    try:
        fen = to_fen(text)
    except ValidationError as exc:
        raise ValidationError(exc.message, field) from exc
    if fen < 0:
        raise ValidationError("金额不能为负数", field)
    return fen


class PaymentPage(WizardPage):
    title = "收费"

    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env)
        self.due = QLabel("")
        self.due.setObjectName("amountDue")
        self.due_capital = QLabel("")
        self.due_capital.setObjectName("amountDueCapital")

        def edit(name: str, hint: str, amount: bool = True) -> QLineEdit:
            e = QLineEdit()
            e.setObjectName(name)
            if amount:  # a pasted wall of digits is cut at the field
                e.setMaxLength(MAX_AMOUNT_CHARS)
            e.setPlaceholderText(hint)
            e.textEdited.connect(lambda _t: self._recompute())
            return e

        self.card_amount = edit("cardAmount", "刷卡金额（元）")
        self.card_ref = edit("cardReference", "POS 小票上的参考号", amount=False)
        self.qr_amount = edit("qrAmount", "扫码金额（元）")
        self.qr_ref = edit("qrReference", "支付凭证上的交易单号", amount=False)
        self.cash_due = QLabel("")
        self.cash_due.setObjectName("cashDue")
        self.tendered = edit("cashTendered", "客户交来的现金（元），回车收款")
        self.tendered.returnPressed.connect(self._enter_pressed)
        self.change = QLabel("")
        self.change.setObjectName("cashChange")
        self.error = error_label("paymentError")

        card = QGroupBox("银行卡 / 扫码（混合支付时填写，其余以现金收取）")
        card_form = QFormLayout(card)
        card_form.addRow("银行卡金额：", self.card_amount)
        card_form.addRow("银行卡参考号：", self.card_ref)
        card_form.addRow("扫码金额：", self.qr_amount)
        card_form.addRow("扫码交易单号：", self.qr_ref)
        cash = QGroupBox("现金")
        cash_form = QFormLayout(cash)
        cash_form.addRow("现金应收：", self.cash_due)
        cash_form.addRow("实收现金：", self.tendered)
        cash_form.addRow("找零：", self.change)
        self._cash_form = cash_form
        layout = QVBoxLayout(self)
        layout.addWidget(self.due)
        layout.addWidget(self.due_capital)
        layout.addWidget(card)
        layout.addWidget(cash)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self._payments: list[PaymentInput] | None = None
        self.on_enter_pressed: Callable[[], None] | None = None

    # -- what the wizard supplies ----------------------------------------------------------
    def total_fen(self) -> int:
        raise NotImplementedError

    def finished(self) -> bool:
        """The order is done (the page may not take the money twice)."""
        raise NotImplementedError

    def complete(
        self,
        payments: tuple[PaymentInput, ...],
        done: Callable[[], None],
        refused: Callable[[HallError], bool],
    ) -> None:
        """Complete the order with ``payments`` (a write); ``done`` once it is, or
        ``refused`` with a typed error (nothing was taken)."""
        raise NotImplementedError

    # ---------------------------------------------------------------------------------------
    @property
    def total(self) -> int:
        return self.total_fen()

    def enter(self) -> None:
        self.due.setText(f"应收合计：{fmt.money(self.total)}")
        self.due_capital.setText(f"大写：{capital_amount(self.total)}")
        self._recompute()
        self.tendered.setFocus()

    def _enter_pressed(self) -> None:
        if self.on_enter_pressed is not None and self.is_complete():
            self.on_enter_pressed()

    def payments(self) -> list[PaymentInput]:
        """The payments as entered, or ValidationError naming the field."""
        card = _amount(self.card_amount, "银行卡金额")
        qr = _amount(self.qr_amount, "扫码金额")
        cash = self.total - card - qr
        if cash < 0:
            raise ValidationError("银行卡与扫码金额合计超过应收", "支付金额")
        result = []
        if card:
            result.append(
                PaymentInput(PaymentMethod.BANK_CARD, card, reference=self.card_ref.text())
            )
        if qr:
            result.append(PaymentInput(PaymentMethod.QR_WALLET, qr, reference=self.qr_ref.text()))
        if cash:
            tendered = _amount(self.tendered, "实收现金") if self.tendered.text().strip() else None
            if tendered is None:
                raise ValidationError("请录入客户交来的现金", "实收现金")
            result.append(PaymentInput(PaymentMethod.CASH, cash, tendered_fen=tendered))
        settle(self.total, result)  # the same rules the order will apply
        return result

    def _recompute(self) -> None:
        self._payments = None
        try:
            card = _amount(self.card_amount, "银行卡金额")
            qr = _amount(self.qr_amount, "扫码金额")
        except ValidationError as exc:
            self._fail(exc)
            return
        cash = self.total - card - qr
        self.cash_due.setText(fmt.money(max(cash, 0)))
        self.tendered.setEnabled(cash > 0)
        try:
            payments = self.payments()
        except ValidationError as exc:
            self._fail(exc)
            return
        change = sum(
            (p.tendered_fen or 0) - p.amount_fen for p in payments if p.method is PaymentMethod.CASH
        )
        self._show_change(change)
        self.error.clear()
        self._payments = payments
        self.complete_changed.emit()

    def _show_change(self, change_fen: int) -> None:
        """找零 is shown only when cash was tendered over what it pays (a card or QR payment,
        or exact cash, has nothing to give back)."""
        self.change.setText(fmt.money(change_fen) if change_fen > 0 else "")
        set_role(self.change, "ok")
        self._cash_form.setRowVisible(self.change, change_fen > 0)

    def _fail(self, exc: ValidationError) -> None:
        self._show_change(0)
        self.error.setText(exc.text)
        self.complete_changed.emit()

    def is_complete(self) -> bool:
        return self._payments is not None and not self.finished()

    def missing(self) -> str:
        if self.finished():
            return ""
        return "请填写收款：刷卡、扫码金额需参考号，其余以现金收取，现金须足额"

    def leave(self, proceed: Callable[[], None]) -> None:
        assert self._payments is not None

        def refused(exc: HallError) -> bool:
            set_role(self.error, "error")
            self.error.setText(f"{NOT_TAKEN}{exc.text}")
            self.refused(exc)
            return True

        self.complete(tuple(self._payments), proceed, refused)

    def refused(self, exc: HallError) -> None:
        """A wizard may send the clerk back to the page whose choice the refusal names."""

"""Step 6: take the money (cash with change, bank card or QR wallet with a reference, or a mix)
and complete the order in one transaction."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QLineEdit, QVBoxLayout

from hall_app.domain.enums import PaymentMethod
from hall_app.domain.errors import HallError, ValidationError
from hall_app.domain.money import MAX_AMOUNT_CHARS, capital_amount, to_fen
from hall_app.domain.payments import PaymentInput, settle
from hall_app.services.orders import OpenedNumber, OpenMobileRequest
from ui import format as fmt
from ui import messages
from ui.open_mobile.base import WizardEnv, WizardPage, error_label
from ui.ops import Changes
from ui.style import set_role


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

    def __init__(self, env: WizardEnv, back_to_number: Callable[[], None]) -> None:
        super().__init__(env)
        self._back_to_number = back_to_number
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
        layout = QVBoxLayout(self)
        layout.addWidget(self.due)
        layout.addWidget(self.due_capital)
        layout.addWidget(card)
        layout.addWidget(cash)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self._payments: list[PaymentInput] | None = None
        self.on_enter_pressed: Callable[[], None] | None = None

    @property
    def total(self) -> int:
        assert self.draft.quote is not None
        return self.draft.quote.total_fen

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
        self.change.setText(fmt.money(change))
        set_role(self.change, "ok")
        self.error.clear()
        self._payments = payments
        self.complete_changed.emit()

    def _fail(self, exc: ValidationError) -> None:
        self.change.setText("")
        self.error.setText(exc.text)
        self.complete_changed.emit()

    def is_complete(self) -> bool:
        return self._payments is not None and self.draft.opened is None

    def missing(self) -> str:
        if self.draft.opened is not None:
            return ""
        return "请填写收款：刷卡、扫码金额需参考号，其余以现金收取，现金须足额"

    def leave(self, proceed: Callable[[], None]) -> None:
        d = self.draft
        assert self._payments is not None and d.reservation and d.sim and d.quote
        req = OpenMobileRequest(
            customer_id=d.customer_id,
            number=d.reservation.number.number,
            plan_code=d.plan_code,
            iccid=d.sim.iccid,
            payments=tuple(self._payments),
            face_check=d.face_check,
            face_checked_by=d.face_checked_by,
            addon_codes=d.addon_codes,
            ticket_id=d.ticket_id,
            guardian_id=d.guardian_id,
            supervisor=d.supervisor,
            signature_png=d.signature_png,
            terms_text=d.quote.terms,
        )
        orders, actor = self.env.app.orders, self.env.actor

        def done(opened: OpenedNumber) -> None:
            d.opened = opened
            proceed()

        def refused(exc: HallError) -> bool:
            set_role(self.error, "error")
            self.error.setText(f"未办结，未收取任何费用：{exc.text}")
            if exc.field == "号码":
                d.reservation = None
                messages.warning(self, f"{exc.text}\n本次未收费，请重新选号后再办理。")
                self._back_to_number()
            return True

        self.mutate(
            lambda: orders.open_mobile_number(actor, req),
            done,
            refused,
            changes=Changes.ORDERS | Changes.CASH | Changes.STOCK | Changes.QUEUE,
            label="正在办理开户…",
        )

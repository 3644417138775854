"""Step 2: the unit's IMEI (串号). The scanner types the 15 digits and Enter; the scan is
checked at once (check digit, in stock here, of the model chosen, not sold) and every problem
is named next to the field. Scanning the unit already taken for this sale again is caught."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QVBoxLayout

from hall_app.devices.scanner import DeviceScanner
from hall_app.domain.enums import SaleMode
from hall_app.domain.errors import HallError, ValidationError
from hall_app.domain.telecom import parse_imei
from hall_app.services.handsets import DeviceView, HandsetQuote
from ui.demo import type_as_scanner
from ui.handsets.draft import HandsetPage
from ui.keys import shortcut
from ui.style import set_role
from ui.wizard.base import WizardEnv, error_label

DEVICE_SCAN_HINT = "演示模式：按 F9 模拟扫码枪扫描一台本厅库存中所选机型的手机串号"
ALREADY = "这台手机已扫描并核对过，无需重复扫描"
NOT_TAKEN = "本次购机尚未选定手机：请换一台或重新扫描"


def refusal_text(exc: HallError) -> str:
    """The refusal as one line: the field named once (a message that already starts with
    "IMEI 8671…" is not prefixed with "IMEI：" again)."""
    if exc.field and exc.message.startswith(exc.field):
        return exc.message
    return exc.text


class ImeiPage(HandsetPage):
    title = "扫描串号"

    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env)
        self.model_label = QLabel("")
        self.model_label.setObjectName("imeiModel")
        self.imei = QLineEdit()
        self.imei.setObjectName("imeiInput")
        self.imei.setPlaceholderText(
            "用扫码枪扫描包装盒或机身上的 IMEI 条码，或手工输入 15 位后回车"
        )
        self.imei.setMaxLength(20)
        self.imei.textEdited.connect(self._typing)
        self.imei.returnPressed.connect(self.scan)
        self.error = error_label("imeiError")
        self.result = QLabel("尚未扫描")
        self.result.setObjectName("imeiResult")
        self.result.setWordWrap(True)
        form = QFormLayout()
        form.addRow("手机串号（IMEI）：", self.imei)
        form.addRow("", self.error)
        layout = QVBoxLayout(self)
        layout.addWidget(self.model_label)
        layout.addLayout(form)
        layout.addWidget(self.result)
        self._seq = 0
        self._model_for: object = None
        scanner = env.app.sim_scanner
        if isinstance(scanner, DeviceScanner):  # demo mode: F9 "scans" a unit in stock
            self._scanner: DeviceScanner | None = scanner
            shortcut(self, "F9", self.demo_scan)
            self.imei.setToolTip(DEVICE_SCAN_HINT)
            layout.addWidget(QLabel(DEVICE_SCAN_HINT))
        else:
            self._scanner = None
        layout.addStretch(1)

    def enter(self) -> None:
        model = self.draft.model
        assert model is not None
        self.model_label.setText(f"机型：{model.name}　本厅库存 {model.in_stock} 台")
        if self._model_for != model.product_id:  # another model: the scan before is not for it
            self._model_for = model.product_id
            self._seq += 1
            self.imei.clear()
            self.error.clear()
            set_role(self.result, None)
            self.result.setText("尚未扫描")
        self.imei.setFocus()
        self.imei.selectAll()

    def demo_scan(self) -> None:
        scanner, model, actor = self._scanner, self.draft.model, self.env.actor
        if scanner is None or model is None:
            return
        product_id = model.product_id
        self.query(
            lambda: scanner.scan_device(actor.hall_id, actor.counter_id, product_id),
            lambda imei: type_as_scanner(self.imei, imei),
            self._refuse,
        )

    def _typing(self, text: str) -> None:
        digits = text.strip()
        if not digits:
            self.error.clear()
            return
        if not digits.isdigit():
            set_role(self.error, "error")
            self.error.setText("IMEI：只能是数字")
        elif len(digits) < 15:
            set_role(self.error, "muted")
            self.error.setText(f"IMEI 为 15 位，已输入 {len(digits)} 位")
        elif len(digits) > 15:
            set_role(self.error, "error")
            self.error.setText(f"IMEI：应为 15 位，已输入 {len(digits)} 位")
        else:
            set_role(self.error, "muted")
            self.error.setText("位数正确，按回车核对库存")

    def scan(self) -> None:
        scanned = self.imei.text().strip()
        self.imei.selectAll()  # the next scan replaces this one
        current = self.draft.device
        if current is not None and scanned == current.imei:
            set_role(self.error, "muted")
            self.error.setText(ALREADY)
            return
        self._seq += 1
        seq = self._seq  # only the newest scan's answer counts
        try:
            parse_imei(scanned)
        except ValidationError as exc:
            self._refuse(exc)
            return
        model = self.draft.model
        assert model is not None
        service, actor, product_id = self.env.app.handsets, self.env.actor, model.product_id
        set_role(self.result, "muted")
        self.result.setText("正在核对库存…")
        self.query(
            lambda: service.check_device(actor, scanned, product_id),
            lambda view: self._accepted(view) if seq == self._seq else None,
            lambda exc: self._refuse(exc) if seq == self._seq else True,
        )

    def _refuse(self, exc: HallError) -> bool:
        self.draft.device = None
        self.draft.quote = None
        set_role(self.error, "error")
        self.error.setText(refusal_text(exc))
        set_role(self.result, "error")
        self.result.setText(NOT_TAKEN)
        self.complete_changed.emit()
        return True

    def _accepted(self, view: DeviceView) -> None:
        self.draft.device = view
        self.draft.quote = None
        self.error.clear()
        set_role(self.result, "ok")
        where = f"　位置 {view.location}" if view.location else ""
        self.result.setText(f"可售：{view.name}　IMEI {view.imei}　{view.status.label}{where}")
        self.complete_changed.emit()

    def unit_lost(self, message: str) -> None:
        """The sale found the unit no longer sellable (another counter sold it): scan again."""
        self._refuse(ValidationError(message, "IMEI"))

    def is_complete(self) -> bool:
        return self.draft.device is not None

    def missing(self) -> str:
        return "请扫描手机串号（IMEI）并回车核对库存"

    def leave(self, proceed: Callable[[], None]) -> None:
        """Outright, the terms page is skipped: the sale is priced here."""
        if self.draft.mode is not SaleMode.OUTRIGHT:
            proceed()
            return
        price_then(self, proceed)


def price_then(page: HandsetPage, proceed: Callable[[], None]) -> None:
    """Price the sale (the quote the customer signs), then move on."""
    d, app, actor = page.draft, page.env.app, page.env.actor

    def priced(quote: HandsetQuote) -> None:
        d.quote = quote
        proceed()

    page.query(lambda: d.price(app, actor), priced, label="正在计算费用…")

"""Step 3: the optical modem (光猫) and, optionally, the Wi-Fi router. The scanner types the
serial and Enter; each scan is checked against stock as it arrives, and the clerk chooses how
it goes to the customer: lent against a deposit, lent free under the plan's contract, or
bought."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QLineEdit, QVBoxLayout

from hall_app.devices.scanner import EquipmentScanner
from hall_app.domain.enums import EquipmentMode
from hall_app.domain.errors import HallError
from hall_app.services.fixed_line import EquipmentView
from ui import format as fmt
from ui.demo import GEAR_SCAN_HINT, add_equipment_scan_shortcut
from ui.fixed_line.draft import FixedPage, Gear
from ui.style import set_role
from ui.wizard.base import WizardEnv, error_label

SLOTS = (("modem", "光猫", True), ("router", "路由器", False))


class EquipmentPage(FixedPage):
    title = "设备"

    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env)
        grid = QGridLayout()
        self.serials: dict[str, QLineEdit] = {}
        self.modes: dict[str, QComboBox] = {}
        self.results: dict[str, QLabel] = {}
        self.errors: dict[str, QLabel] = {}
        self._seq: dict[str, int] = {}
        for row, (key, label, required) in enumerate(SLOTS):
            edit = QLineEdit()
            edit.setObjectName(f"{key}Serial")
            edit.setMaxLength(40)
            edit.setPlaceholderText(
                f"扫描{label}背面的序列号条码，或手工输入后回车"
                + ("" if required else "（客户自备可不填）")
            )
            edit.returnPressed.connect(lambda k=key: self.scan(k))
            edit.textEdited.connect(lambda _t, k=key: self._edited(k))
            mode = QComboBox()
            mode.setObjectName(f"{key}Mode")
            mode.currentIndexChanged.connect(lambda _i, k=key: self._mode_chosen(k))
            result = QLabel("尚未扫描" if required else "不需要（未扫描）")
            result.setObjectName(f"{key}Result")
            error = error_label(f"{key}Error")
            grid.addWidget(QLabel(f"{label}序列号{'' if required else '（可选）'}："), row * 3, 0)
            grid.addWidget(edit, row * 3, 1)
            grid.addWidget(QLabel("提供方式："), row * 3, 2)
            grid.addWidget(mode, row * 3, 3)
            grid.addWidget(error, row * 3 + 1, 1, 1, 3)
            grid.addWidget(result, row * 3 + 2, 1, 1, 3)
            self.serials[key], self.modes[key] = edit, mode
            self.results[key], self.errors[key] = result, error
            self._seq[key] = 0
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(3, 2)
        self.note = QLabel("")
        self.note.setObjectName("equipmentNote")
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.note)
        scanner = env.app.sim_scanner
        if isinstance(scanner, EquipmentScanner):  # demo mode: F9 "scans" a device in stock
            add_equipment_scan_shortcut(
                self,
                {key: (self.serials[key], label) for key, label, _r in SLOTS},
                scanner,
                env.actor,
                self.query,
                self._scan_refused,
            )
            layout.addWidget(QLabel(GEAR_SCAN_HINT))
        layout.addStretch(1)

    def _scan_refused(self, exc: HallError) -> bool:
        key = next((k for k, f in self.serials.items() if f.hasFocus()), "modem")
        self._refuse(key, exc.text)
        return True

    def _contract(self) -> bool:
        d = self.draft
        return bool(
            (d.broadband and d.broadband.contract_months)
            or (d.landline_plan and d.landline_plan.contract_months)
        )

    def enter(self) -> None:
        contract = self._contract()
        self.note.setText(
            "合约套餐可免费借用设备；押金借用的设备拆机归还后退还押金；购买的设备按货物开票（13%）。"
            if contract
            else "该套餐无合约期：设备只能押金借用或购买。"
        )
        for key in self.modes:
            self._fill_modes(key)
        self.serials["modem"].setFocus()
        self.serials["modem"].selectAll()

    def _fill_modes(self, key: str) -> None:
        combo = self.modes[key]
        gear = self.draft.gear.get(key)
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        modes = [EquipmentMode.DEPOSIT, EquipmentMode.BOUGHT]
        if self._contract():
            modes.insert(0, EquipmentMode.FREE)
        for m in modes:
            price = ""
            if gear is not None:
                if m is EquipmentMode.DEPOSIT:
                    price = f"（押金 {fmt.money(gear.view.deposit_fen)}）"
                elif m is EquipmentMode.BOUGHT:
                    price = f"（{fmt.money(gear.view.price_fen)}）"
                else:
                    price = "（免费）"
            combo.addItem(m.label + price, m.value)
        index = combo.findData(current)
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)
        combo.setEnabled(gear is not None)
        if gear is not None:
            gear.mode = EquipmentMode(combo.currentData())

    def _edited(self, key: str) -> None:
        self.errors[key].clear()

    def scan(self, key: str) -> None:
        edit = self.serials[key]
        scanned = edit.text().strip()
        edit.selectAll()  # the next scan replaces this one
        label = dict((k, n) for k, n, _r in SLOTS)[key]
        self._seq[key] += 1
        seq = self._seq[key]
        if not scanned:
            if key == "router":  # emptied: no router
                self.draft.gear.pop(key, None)
                self.draft.quote = None
                set_role(self.results[key], None)
                self.results[key].setText("不需要（未扫描）")
                self._fill_modes(key)
                self.complete_changed.emit()
            return
        other = [g for k, g in self.draft.gear.items() if k != key]
        if any(g.view.serial == scanned.upper() for g in other):
            self._refuse(key, f"这台设备已作为另一台设备扫描过：{scanned.upper()}")
            return
        service, actor = self.env.app.fixed_line, self.env.actor
        set_role(self.results[key], "muted")
        self.results[key].setText("正在核对库存…")

        def checked(view: EquipmentView) -> None:
            if seq != self._seq[key]:
                return
            if view.kind_label != label:
                self._refuse(key, f"扫描的是{view.kind_label}（{view.name}），请扫描{label}")
                return
            self._accepted(key, view)

        def refused(exc: HallError) -> bool:
            if seq == self._seq[key]:
                self._refuse(key, exc.text)
            return True

        self.query(lambda: service.check_equipment(actor, scanned), checked, refused)

    def _refuse(self, key: str, text: str) -> None:
        self.draft.gear.pop(key, None)
        self.draft.quote = None
        self.errors[key].setText(text)
        set_role(self.results[key], "error")
        self.results[key].setText("未登记：请换一台或重新扫描")
        self._fill_modes(key)
        self.complete_changed.emit()

    def _accepted(self, key: str, view: EquipmentView) -> None:
        self.draft.gear[key] = Gear(view, EquipmentMode.DEPOSIT)
        self.draft.quote = None
        self.errors[key].clear()
        set_role(self.results[key], "ok")
        self.results[key].setText(
            f"可用：{view.name}　序列号 {view.serial}　"
            f"售价 {fmt.money(view.price_fen)}　押金 {fmt.money(view.deposit_fen)}"
        )
        self._fill_modes(key)
        self.modes[key].setFocus()
        self.complete_changed.emit()

    def _mode_chosen(self, key: str) -> None:
        gear = self.draft.gear.get(key)
        if gear is not None and self.modes[key].currentData():
            gear.mode = EquipmentMode(self.modes[key].currentData())
            self.draft.quote = None

    def gear_lost(self, message: str) -> None:
        """The order found a scanned device no longer in stock: scan again."""
        for key, gear in list(self.draft.gear.items()):
            if gear.view.serial in message:
                self._refuse(key, message)
                return
        for key in list(self.draft.gear):
            self._refuse(key, message)

    def is_complete(self) -> bool:
        return "modem" in self.draft.gear

    def missing(self) -> str:
        return "请扫描光猫序列号并回车核对库存"

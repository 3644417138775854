"""Step 4: bind the SIM. The scanner types the ICCID and Enter; the scan is checked (Luhn,
in stock, not used) as it arrives, and every problem is named next to the field."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QVBoxLayout

from hall_app.domain.errors import HallError, ValidationError
from hall_app.domain.telecom import iccid_as_typed, parse_iccid
from hall_app.services.orders import SimView
from ui.demo import SIM_SCAN_HINT, add_sim_scan_shortcut
from ui.open_mobile.base import WizardEnv, WizardPage, error_label
from ui.style import set_role


class SimPage(WizardPage):
    title = "绑定 SIM 卡"

    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env)
        self.iccid = QLineEdit()
        self.iccid.setObjectName("iccidInput")
        self.iccid.setPlaceholderText("用扫码枪扫描 SIM 卡上的 ICCID 条码，或手工输入 20 位后回车")
        self.iccid.setMaxLength(24)
        self.iccid.textEdited.connect(self._typing)
        self.iccid.returnPressed.connect(self.scan)
        self.error = error_label("iccidError")
        self.result = QLabel("尚未扫描")
        self.result.setObjectName("simResult")
        form = QFormLayout()
        form.addRow("ICCID：", self.iccid)
        form.addRow("", self.error)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.result)
        layout.addStretch(1)
        self._scan_seq = 0
        if env.app.sim_scanner is not None:  # demo mode: F9 "scans" a free test SIM
            add_sim_scan_shortcut(
                self, self.iccid, env.app.sim_scanner, env.actor, self.query, self._refuse
            )
            layout.insertWidget(layout.count() - 1, QLabel(SIM_SCAN_HINT))

    def enter(self) -> None:
        self.iccid.setFocus()
        self.iccid.selectAll()

    def _typing(self, text: str) -> None:
        """As the clerk types: name what is wrong so far, without waiting for Enter."""
        verdict = iccid_as_typed(text)
        if verdict.complete:
            self.error.setText("格式正确，按回车核对库存")
        else:
            self.error.setText(verdict.message)
        set_role(self.error, "error" if verdict.wrong else "muted")

    def scan(self) -> None:
        scanned = self.iccid.text().strip()
        self.iccid.selectAll()  # the next scan replaces this one
        current = self.draft.sim
        if current is not None and scanned.upper() == current.iccid:
            set_role(self.error, "muted")
            self.error.setText("这张卡已扫描并核对过，无需重复扫描")
            return
        try:
            parse_iccid(scanned)
        except ValidationError as exc:
            self._scan_seq += 1
            self._refuse(exc)
            return
        orders, actor = self.env.app.orders, self.env.actor
        self.result.setText("正在核对库存…")
        self._scan_seq += 1
        seq = self._scan_seq  # only the newest scan's answer counts
        self.query(
            lambda: orders.check_sim(actor, scanned),
            lambda sim: self._accepted(sim) if seq == self._scan_seq else None,
            lambda exc: self._refuse(exc) if seq == self._scan_seq else True,
        )

    def _refuse(self, exc: HallError) -> bool:
        self.draft.sim = None
        set_role(self.error, "error")
        self.error.setText(exc.text)
        set_role(self.result, "error")
        self.result.setText("未绑定：请换一张卡或重新扫描")
        self.complete_changed.emit()
        return True

    def _accepted(self, sim: SimView) -> None:
        self.draft.sim = sim
        self.error.clear()
        set_role(self.result, "ok")
        self.result.setText(f"可用：ICCID {sim.iccid}　IMSI {sim.imsi}")
        self.complete_changed.emit()

    def is_complete(self) -> bool:
        return self.draft.sim is not None

    def missing(self) -> str:
        return "请扫描 SIM 卡（ICCID）并回车核对库存"

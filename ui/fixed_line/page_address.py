"""Step 1: the install address and its coverage. The clerk types the address or takes the
customer's (Ctrl+D); Enter checks it (查询覆盖). An uncovered address says so and offers a
预约登记 (Ctrl+R) for the supervisor's list."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hall_app.domain.errors import HallError
from hall_app.services.fixed_line import WANTED, CoverageAnswer, DemandRequest
from ui import messages
from ui.fixed_line.draft import PROVISIONAL, FixedPage
from ui.keys import shortcut
from ui.ops import Changes, Operations
from ui.style import set_role
from ui.wizard.base import WizardEnv, error_label

TECHNOLOGY = {"FTTH": "FTTH 光纤到户", "FTTB": "FTTB 光纤到楼"}
ADDRESS_FIELD = "装机地址"


class DemandDialog(QDialog):
    """预约登记: who to call, what they want, when the address is covered."""

    def __init__(
        self,
        env: WizardEnv,
        address: str,
        contact_name: str,
        customer_id: object,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("demandDialog")
        self.setWindowTitle("预约登记（地址暂未覆盖）")
        self._env = env
        self._customer_id = customer_id
        self.address = QLabel(address)
        self.address.setWordWrap(True)
        self.contact = QLineEdit(contact_name)
        self.contact.setObjectName("demandContact")
        self.phone = QLineEdit()
        self.phone.setObjectName("demandPhone")
        self.phone.setPlaceholderText("11 位手机号或带区号的固话")
        self.wanted = QComboBox()
        self.wanted.setObjectName("demandWanted")
        for w in WANTED:
            self.wanted.addItem(w, w)
        self.note = QLineEdit()
        self.note.setObjectName("demandNote")
        self.note.setPlaceholderText("备注（可选）")
        self.error = error_label("demandError")
        self.save_button = QPushButton("登记 (Ctrl+Enter)")
        self.save_button.setObjectName("demandSave")
        self.save_button.clicked.connect(self.save)
        cancel = QPushButton("取消 (Esc)")
        cancel.clicked.connect(self.reject)
        for b in (self.save_button, cancel):
            b.setAutoDefault(False)
        form = QFormLayout()
        form.addRow("地址：", self.address)
        form.addRow("联系人：", self.contact)
        form.addRow("联系电话：", self.phone)
        form.addRow("需求业务：", self.wanted)
        form.addRow("备注：", self.note)
        buttons = QHBoxLayout()
        buttons.addWidget(self.error, 1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        for key in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut(self, key, self.save)
        self.phone.returnPressed.connect(self.save)
        self.note.returnPressed.connect(self.save)
        self.resize(560, 300)
        self.saved_id: object = None

    def save(self) -> None:
        req = DemandRequest(
            address=self.address.text(),
            contact_name=self.contact.text(),
            contact_phone=self.phone.text(),
            wanted=str(self.wanted.currentData()),
            customer_id=self._customer_id,  # type: ignore[arg-type]
            note=self.note.text(),
        )
        service, actor, ops = self._env.app.fixed_line, self._env.actor, self._env.ops
        self.save_button.setEnabled(False)

        def saved(demand_id: object) -> None:
            self.saved_id = demand_id
            self.accept()

        def refused(exc: HallError) -> None:
            self.error.setText(exc.text)

        customer = self._customer_id
        run: Operations = ops
        run.mutate(  # announced for this customer: the supervisor's list refreshes from it
            lambda: service.register_demand(actor, req),
            saved,
            refused,
            changes=Changes.CUSTOMER,
            parent=self,
            always=lambda: self.save_button.setEnabled(True),
            customer=lambda _id: customer,
        )


class AddressPage(FixedPage):
    title = "地址与覆盖"

    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env)
        self.address = QLineEdit()
        self.address.setObjectName("installAddress")
        self.address.setPlaceholderText(
            "装机地址（须含小区名称，如：闽江花园 3 号楼 502），回车查询覆盖"
        )
        self.address.returnPressed.connect(self.check)
        self.address.textEdited.connect(lambda _t: self._invalidate())
        self.take_button = QPushButton("取客户地址 (Ctrl+D)")
        self.take_button.setObjectName("takeCustomerAddress")
        self.take_button.clicked.connect(self.take_customer_address)
        shortcut(self, "Ctrl+D", self.take_customer_address)
        self.check_button = QPushButton("查询覆盖 (Enter)")
        self.check_button.setObjectName("checkCoverage")
        self.check_button.clicked.connect(self.check)
        self.error = error_label("addressError")
        self.result = QLabel("请输入装机地址后查询覆盖")
        self.result.setObjectName("coverageResult")
        self.result.setWordWrap(True)
        self.demand_button = QPushButton("预约登记 (Ctrl+R)")
        self.demand_button.setObjectName("registerDemand")
        self.demand_button.clicked.connect(self.register_demand)
        self.demand_button.hide()
        shortcut(self, "Ctrl+R", self.register_demand)
        row = QHBoxLayout()
        row.addWidget(QLabel("装机地址："))
        row.addWidget(self.address, 1)
        row.addWidget(self.take_button)
        row.addWidget(self.check_button)
        demand = QHBoxLayout()
        demand.addStretch(1)
        demand.addWidget(self.demand_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addWidget(self.result)
        layout.addLayout(demand)
        layout.addStretch(1)
        self.demand_dialog: DemandDialog | None = None
        self._seq = 0
        self._uncovered: str | None = None

    def enter(self) -> None:
        self.address.setFocus()

    def _invalidate(self) -> None:
        self._seq += 1
        if self.draft.coverage is not None:
            self.draft.coverage = None
            self.draft.slot = None
            self.draft.quote = None
            self.complete_changed.emit()

    def take_customer_address(self) -> None:
        service, actor, customer_id = (
            self.env.app.fixed_line,
            self.env.actor,
            self.draft.customer_id,
        )

        def got(address: str) -> None:
            self.address.setText(address)
            self._invalidate()
            self.check()

        self.query(lambda: service.customer_address(actor, customer_id), got)

    def lookup(self, address: str) -> Callable[[], CoverageAnswer]:
        """The read that checks ``address`` (a relocation checks its subscription too)."""
        service, actor = self.env.app.fixed_line, self.env.actor
        return lambda: service.coverage(actor, address)

    def check(self) -> None:
        text = self.address.text()
        self._invalidate()
        self._seq += 1
        seq = self._seq
        self.error.clear()
        set_role(self.result, "muted")
        self.result.setText("正在查询覆盖…")
        self.query(
            self.lookup(text),
            lambda answer: self._show(answer) if seq == self._seq else None,
            lambda exc: self._refused(exc) if seq == self._seq else True,
        )

    def _refused(self, exc: HallError) -> bool:
        if exc.field != ADDRESS_FIELD:
            return False
        self.error.setText(exc.text)
        self.result.setText("")
        self.demand_button.hide()
        self.address.setFocus()
        return True

    def _show(self, c: CoverageAnswer) -> None:
        if not c.covered:
            self._uncovered = c.address
            set_role(self.result, "error")
            self.result.setText(
                f"该地址暂未覆盖宽带/固话：{c.address}<br>可为客户做预约登记，覆盖后由营业厅联系客户。"
            )
            self.demand_button.show()
            self.demand_button.setFocus()
            return
        self._uncovered = None
        self.demand_button.hide()
        self.draft.coverage = c
        promised = f"{c.promised_date}{PROVISIONAL if c.promised_provisional else ''}"
        set_role(self.result, "ok")
        self.result.setText(
            f"<b>已覆盖：{c.community}</b><br>"
            f"接入方式：{TECHNOLOGY.get(c.technology or '', c.technology)}<br>"
            f"最高速率：{c.max_down_mbps}M<br>"
            f"固话：{'可以安装' if c.landline else '不能安装'}<br>"
            f"承诺装机日期：{promised} 前"
        )
        self.complete_changed.emit()

    def register_demand(self) -> None:
        if self._uncovered is None:
            return
        if self.demand_dialog is not None:
            self.demand_dialog.deleteLater()
        dialog = DemandDialog(
            self.env,
            self._uncovered,
            self.draft.contact_name or self.draft.customer_name,
            self.draft.customer_id,
            self,
        )
        dialog.accepted.connect(self._demand_saved)
        self.demand_dialog = dialog
        dialog.open()
        dialog.phone.setFocus()

    def _demand_saved(self) -> None:
        set_role(self.result, "ok")
        self.result.setText(f"已预约登记：{self._uncovered}。地址覆盖后营业厅将联系客户。")
        self.demand_button.hide()
        messages.info(self, "预约登记已保存，主管可在“预约登记”列表中查看。")
        # the next address is typed here (the demand button it came from is gone); after the
        # dialog has handed the keyboard back to the wizard
        QTimer.singleShot(0, self._address_again)

    def _address_again(self) -> None:
        self.activateWindow()
        self.address.setFocus()
        self.address.selectAll()

    def is_complete(self) -> bool:
        return self.draft.coverage is not None

    def missing(self) -> str:
        return "请输入装机地址并回车查询覆盖（须为已覆盖的地址）"

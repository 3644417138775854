"""缴费, page 1: the customer's unpaid bills oldest first (overdue ones red, today's late fee),
ticked to pay (Space toggles the current one; all ticked at first), the selected bill's items,
the amount (blank: exactly what the ticked bills and their late fees come to), the number a
rest goes to (多缴部分预存到), and 违约金减免 with the supervisor's credentials or a remote
approval. What it comes to is quoted by the service on every change."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from hall_app.domain.approvals import LATE_FEE_WAIVER
from hall_app.domain.enums import ApprovalState
from hall_app.domain.errors import HallError, ValidationError
from hall_app.domain.money import capital_amount, to_fen
from hall_app.services.approvals import ApprovalRequest, ApprovalView
from hall_app.services.bill_plan import waiver_subject
from hall_app.services.bills import BillPaymentQuote, UnpaidBills
from ui import format as fmt
from ui.approvals.remote import REMOTE_BUTTON, RemoteApprovalDialog
from ui.bills.draft import AMOUNT_FIELD, BillDraft, bill_draft
from ui.style import set_role
from ui.wizard.base import WizardEnv, WizardPage, error_label

HEADERS = ("缴", "账期", "号码", "到期日", "账单金额", "待缴", "逾期", "违约金", "状态")
OVERDUE = QColor("#c62828")


class ChooseBillsPage(WizardPage):
    title = "选择账单"

    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env)
        self.summary = QLabel("正在读取账单…")
        self.summary.setObjectName("billSummary")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("billTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        # a broadband account (KD0591…) is long: the 号码 column fits it whole
        self.table.horizontalHeader().setSectionResizeMode(
            HEADERS.index("号码"), QHeaderView.ResizeMode.ResizeToContents
        )
        self.table.itemChanged.connect(lambda _i: self._changed())
        self.table.currentCellChanged.connect(lambda *_a: self._show_items())
        self.table.keyPressEvent = self._table_key  # type: ignore[method-assign]
        self.items = QLabel("")
        self.items.setObjectName("billItems")
        self.items.setWordWrap(True)
        self.amount = QLineEdit()
        self.amount.setObjectName("billAmount")
        self.amount.setPlaceholderText("留空：按所选账单及违约金应缴")
        self.amount.textEdited.connect(lambda _t: self._changed())
        self.top_up = QComboBox()
        self.top_up.setObjectName("billTopUp")
        self.top_up.currentIndexChanged.connect(lambda _i: self._changed())
        self.waive = QCheckBox("减免违约金（须主管授权）")
        self.waive.setObjectName("billWaive")
        self.waive.toggled.connect(self._waive_toggled)
        self.sup_user = QLineEdit()
        self.sup_user.setObjectName("billSupervisorUser")
        self.sup_user.setPlaceholderText("主管用户名")
        self.sup_password = QLineEdit()
        self.sup_password.setObjectName("billSupervisorPassword")
        self.sup_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.sup_password.setPlaceholderText("主管密码")
        self.remote_button = QPushButton(REMOTE_BUTTON)
        self.remote_button.setObjectName("billRemote")
        self.remote_button.clicked.connect(self.ask_remote)
        self.remote_dialog: RemoteApprovalDialog | None = None
        for w in (self.sup_user, self.sup_password, self.remote_button):
            w.setEnabled(False)
        for e in (self.sup_user, self.sup_password):
            e.textEdited.connect(lambda _t: self.complete_changed.emit())
        self.quote_label = QLabel("")
        self.quote_label.setObjectName("billQuote")
        self.quote_label.setWordWrap(True)
        self.error = error_label("billError")
        who = QHBoxLayout()
        who.addWidget(self.waive)
        who.addWidget(self.sup_user)
        who.addWidget(self.sup_password)
        who.addWidget(self.remote_button)
        form = QFormLayout()
        form.addRow("缴费金额（元）：", self.amount)
        form.addRow("多缴部分预存到：", self.top_up)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.items)
        layout.addLayout(form)
        layout.addLayout(who)
        layout.addWidget(self.quote_label)
        layout.addWidget(self.error)
        self._filling = False
        self._asked = 0  # the latest quote asked (older answers are dropped)

    @property
    def d(self) -> BillDraft:
        return bill_draft(self.env)

    # -- loading -----------------------------------------------------------------------------
    def enter(self) -> None:
        if self.d.unpaid is None:
            bills, actor, cid = self.env.app.bills, self.env.actor, self.d.customer_id
            self.query(lambda: bills.unpaid_bills(actor, cid), self._loaded)
        self.table.setFocus()

    def _loaded(self, unpaid: UnpaidBills) -> None:
        d = self.d
        d.unpaid = unpaid
        self._filling = True
        self.table.setRowCount(len(unpaid.bills))
        for row, b in enumerate(unpaid.bills):
            check = QTableWidgetItem("")
            check.setFlags(
                Qt.ItemFlag.ItemIsUserCheckable
                | Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsSelectable
            )
            check.setCheckState(Qt.CheckState.Checked)
            check.setData(Qt.ItemDataRole.UserRole, b.id)
            self.table.setItem(row, 0, check)
            cells = (
                b.period,
                b.number,
                fmt.day(b.due_date),
                fmt.money(b.amount_fen),
                fmt.money(b.outstanding_fen),
                f"{b.overdue_days} 天" if b.overdue else "未逾期",
                fmt.money(b.late_fee_fen),
                b.status.label,
            )
            for col, text in enumerate(cells, 1):
                item = QTableWidgetItem(text)
                if b.overdue:
                    item.setForeground(QBrush(OVERDUE))
                self.table.setItem(row, col, item)
        self.top_up.clear()
        self.top_up.addItem("（不预存，多缴不收）", None)
        for n in unpaid.numbers:
            self.top_up.addItem(f"{n.number}　{n.status_text}", n.subscription_id)
        self._filling = False
        arrears = (
            f"；欠费停机：{'、'.join(unpaid.arrears_suspended)}（缴清逾期账单后自动复机）"
            if unpaid.arrears_suspended
            else ""
        )
        self.summary.setText(
            f"待缴账单 {len(unpaid.bills)} 张，欠费 {fmt.money(unpaid.owed_fen)}，"
            f"违约金 {fmt.money(unpaid.late_fee_fen)}，合计 {fmt.money(unpaid.total_fen)}"
            f"（按账期从早到晚，空格键勾选/取消）{arrears}"
            if unpaid.bills
            else "该客户没有待缴的账单"
        )
        set_role(self.summary, "error" if unpaid.arrears_suspended else None)
        if unpaid.bills:
            self.table.setCurrentCell(0, 1)
        self._changed()

    # -- the clerk's choices -----------------------------------------------------------------
    def _table_key(self, event: object) -> None:
        from PySide6.QtGui import QKeyEvent

        assert isinstance(event, QKeyEvent)
        row = self.table.currentRow()
        item = self.table.item(row, 0) if row >= 0 else None
        if event.key() == Qt.Key.Key_Space and item is not None:
            checked = item.checkState() == Qt.CheckState.Checked
            item.setCheckState(Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked)
            return
        QTableWidget.keyPressEvent(self.table, event)

    def chosen_ids(self) -> tuple[uuid.UUID, ...]:
        out = []
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                out.append(item.data(Qt.ItemDataRole.UserRole))
        return tuple(out)

    def _show_items(self) -> None:
        unpaid, row = self.d.unpaid, self.table.currentRow()
        if unpaid is None or not 0 <= row < len(unpaid.bills):
            self.items.setText("")
            return
        b = unpaid.bills[row]
        parts = "；".join(f"{i.description} {fmt.money(i.amount_fen)}" for i in b.items)
        self.items.setText(f"{b.period} {b.number} 明细：{parts or '（无明细）'}")

    def _waive_toggled(self, on: bool) -> None:
        for w in (self.sup_user, self.sup_password, self.remote_button):
            w.setEnabled(on)
        if not on:
            self.d.approval_id = None
        self._changed()

    def _changed(self) -> None:
        if self._filling or self.d.unpaid is None:
            return
        d = self.d
        self._asked += 1  # any answer still on its way is for an older choice
        d.quote = None
        d.bill_ids = self.chosen_ids()
        d.top_up_to = self.top_up.currentData()
        d.waive = self.waive.isChecked()
        self.error.setText("")
        try:
            text = self.amount.text().strip()
            d.pay_fen = to_fen(text) if text else None
        except ValidationError as exc:
            self._refused(ValidationError(exc.message, AMOUNT_FIELD))
            return
        if not d.bill_ids:
            self.quote_label.setText("")
            self.error.setText("请至少勾选一张账单")
            self.complete_changed.emit()
            return
        asked, req = self._asked, d.request(())
        bills, actor = self.env.app.bills, self.env.actor
        self.query(
            lambda: bills.quote_bill_payment(actor, req),
            lambda q: self._quoted(asked, q),
            lambda exc: self._refused(exc) if asked == self._asked else True,
        )

    def _quoted(self, asked: int, quote: BillPaymentQuote) -> None:
        if asked != self._asked:
            return
        self.d.quote = quote
        parts = [f"销账 {fmt.money(sum(s.applied_fen for s in quote.settles))}"]
        if quote.late_fee_fen:
            parts.append(f"违约金 {fmt.money(quote.late_fee_fen)}")
        if quote.waived_fen:
            parts.append(f"减免违约金 {fmt.money(quote.waived_fen)}")
        if quote.top_up_fen:
            parts.append(f"预存 {fmt.money(quote.top_up_fen)}")
        invoice = (
            f"开具电子发票 {fmt.money(quote.invoiced_fen)}"
            if quote.invoiced_fen
            else "只开收费小票"
        )
        self.quote_label.setText(
            f"本次应收 {fmt.money(quote.total_fen)}（{capital_amount(quote.total_fen)}）："
            f"{'，'.join(parts)}；{invoice}"
        )
        self.complete_changed.emit()

    def _refused(self, exc: HallError) -> bool:
        self.d.quote = None
        self.quote_label.setText("")
        self.error.setText(f"{exc.field}：{exc.message}" if exc.field else exc.message)
        self.complete_changed.emit()
        return True

    # -- a remote approval -------------------------------------------------------------------
    def ask_remote(self) -> None:
        d, quote = self.d, self.d.quote
        approvals = self.env.app.approvals
        if quote is None or not quote.waived_fen:
            self.error.setText("没有可减免的违约金")
            return
        ask = ApprovalRequest(
            kind=LATE_FEE_WAIVER.code,
            subject_ref=waiver_subject(d.customer_id, [s.bill_id for s in quote.settles]),
            request_reason="客户申请减免违约金",
            summary="违约金减免："
            + "、".join(f"{s.period} {s.number}" for s in quote.settles)[:180],
            customer_id=d.customer_id,
            amount_fen=quote.waived_fen,
        )
        if self.remote_dialog is not None:
            self.remote_dialog.deleteLater()
        self.remote_dialog = RemoteApprovalDialog(
            approvals, self.env.actor, self.env.ops, ask, self
        )
        self.remote_dialog.decided.connect(self._remote_decided)
        self.remote_dialog.open()

    def _remote_decided(self, view: ApprovalView) -> None:
        if view.state is ApprovalState.APPROVED:
            self.d.approval_id = view.id
            self.quote_label.setText(
                self.quote_label.text() + f"（已由 {view.approver_name} 远程批准减免）"
            )
        else:
            self.d.approval_id = None
            self.error.setText(f"远程审批{view.state.label}")
        self.complete_changed.emit()

    # -- the page contract -------------------------------------------------------------------
    def is_complete(self) -> bool:
        d = self.d
        if d.quote is None or not d.bill_ids:
            return False
        if d.waive and d.approval_id is None:
            return bool(self.sup_user.text().strip() and self.sup_password.text())
        return True

    def missing(self) -> str:
        d = self.d
        if d.unpaid is not None and not d.unpaid.bills:
            return "没有待缴的账单"
        if d.waive and d.approval_id is None and not self.is_complete() and d.quote is not None:
            return "减免违约金：请主管输入用户名和密码，或请求远程审批"
        return "" if self.is_complete() else "请勾选账单并确认金额"

    def leave(self, proceed: Callable[[], None]) -> None:
        self.d.supervisor = (self.sup_user.text().strip(), self.sup_password.text())
        proceed()

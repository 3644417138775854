"""手机退货: the customer's recent handset sales, each with whether it may be returned and why
not; for the one chosen, the clerk confirms the unit is undamaged, types the reason, and a
supervisor authorises with their own user name and password. The refund goes back by the
sale's own methods, the invoice is red-lettered, the unit goes back to stock (the service
does it all in one transaction).

Keyboard: ↑/↓ in the list, Tab through the fields, Ctrl+Enter returns, Esc closes."""

from __future__ import annotations

import uuid

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hall_app.domain.approvals import HANDSET_RETURN
from hall_app.domain.enums import ApprovalState
from hall_app.domain.errors import HallError
from hall_app.domain.permissions import Permission
from hall_app.services.actor import Actor
from hall_app.services.approvals import ApprovalRequest, ApprovalService, ApprovalView
from hall_app.services.auth import AuthService
from hall_app.services.handset_returns import (
    HandsetReturnService,
    ReturnableView,
    ReturnDone,
    ReturnRequest,
    handset_return_subject,
    refund_text,
)
from ui import format as fmt
from ui import messages
from ui.approvals.remote import REMOTE_BUTTON, RemoteApprovalDialog
from ui.keys import shortcut
from ui.ops import Changes, Operations
from ui.screen import fit_to_screen
from ui.table import RowsModel, make_table
from ui.widgets.fields import error_label

HEADERS = ("受理单号", "手机", "IMEI", "销售日期", "退货截止", "售价", "付款方式", "能否退货")
SAMPLES = (
    "SL202611240100001",
    "华为 Mate 70 12+256GB",
    "860000000000000",
    "2026-11-24",
    "2026-12-01",
    "¥5,499.00",
    "银行卡 ¥4,999.00，现金 ¥500.00",
    "已超过 7 天退货期限",
)


class HandsetReturnDialog(QDialog):
    returned = Signal(object)  # ReturnDone

    def __init__(
        self,
        service: HandsetReturnService,
        auth: AuthService,
        actor: Actor,
        ops: Operations,
        customer_id: uuid.UUID,
        parent: QWidget | None = None,
        approvals: ApprovalService | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("handsetReturnDialog")
        self.setWindowTitle("手机退货")
        self._service, self._auth, self._actor, self._ops = service, auth, actor, ops
        self._approvals = approvals
        self.customer_id = customer_id
        self._busy = False
        self.views: list[ReturnableView] = []

        intro = QLabel(
            "仅限裸机购买、外观完好、在退货期内的手机；须主管授权。"
            "退款按原付款方式退回，原发票开具红字发票，手机退回营业厅库房。"
        )
        intro.setWordWrap(True)
        self.model = RowsModel(HEADERS, self)
        self.table = make_table(self.model, SAMPLES, self)
        self.table.setObjectName("returnableSales")
        self.table.selectionModel().selectionChanged.connect(self._chosen)
        self.status = QLabel("正在读取该客户的手机销售记录…")
        self.status.setObjectName("returnStatus")
        self.status.setWordWrap(True)

        form = QFormLayout()
        self.undamaged = QCheckBox("手机外观完好、配件齐全、无使用痕迹")
        self.undamaged.setObjectName("returnUndamaged")
        form.addRow("验机：", self.undamaged)
        self.reason = QLineEdit()
        self.reason.setObjectName("returnReason")
        self.reason.setMaxLength(60)
        self.reason.setPlaceholderText("例如：七天无理由退货")
        form.addRow("退货原因：", self.reason)
        self.supervisor_user = QLineEdit()
        self.supervisor_user.setObjectName("returnSupervisorUser")
        self.supervisor_user.setPlaceholderText("主管用户名")
        self.supervisor_password = QLineEdit()
        self.supervisor_password.setObjectName("returnSupervisorPassword")
        self.supervisor_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.supervisor_password.setPlaceholderText("主管密码")
        self.supervisor_password.returnPressed.connect(self.submit)
        self.remote_button = QPushButton(f"{REMOTE_BUTTON}…")
        self.remote_button.setObjectName("returnRemote")
        self.remote_button.setAutoDefault(False)
        self.remote_button.clicked.connect(self.ask_remote)
        self.remote_button.setVisible(approvals is not None)
        self.remote_dialog: RemoteApprovalDialog | None = None
        self.remote: tuple[uuid.UUID, uuid.UUID, str] | None = None  # sale, approval, approver
        who = QHBoxLayout()
        who.addWidget(self.supervisor_user)
        who.addWidget(self.supervisor_password)
        who.addWidget(self.remote_button)
        form.addRow("主管授权：", who)
        self.error = error_label("returnError")

        self.close_button = QPushButton("关闭 (Esc)")
        self.close_button.clicked.connect(self.reject)
        self.return_button = QPushButton("确认退货 (Ctrl+Enter)")
        self.return_button.setObjectName("confirmReturn")
        self.return_button.setEnabled(False)
        self.return_button.clicked.connect(self.submit)
        for button in (self.close_button, self.return_button):
            button.setAutoDefault(False)
            button.setDefault(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.close_button)
        buttons.addStretch(1)
        buttons.addWidget(self.return_button)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        for key in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut(self, key, self.submit)
        fit_to_screen(self, QSize(1300, 560))
        self.load()

    # -- the list ---------------------------------------------------------------------------
    def load(self) -> None:
        service, actor, customer_id = self._service, self._actor, self.customer_id
        self._ops.query(
            lambda: service.returnable(actor, customer_id),
            self._show,
            lambda exc: self.status.setText(exc.text),
            parent=self,
        )

    def _show(self, views: list[ReturnableView]) -> None:
        self.views = views
        self.model.set_rows(
            [
                (
                    v.order_no,
                    v.handset_name,
                    v.imei,
                    f"{v.sold_on:%Y-%m-%d}",
                    "—" if v.deadline is None else f"{v.deadline:%Y-%m-%d}",
                    fmt.money(v.price_fen),
                    "，".join(f"{label} {fmt.money(amount)}" for label, amount in v.payments),
                    "可以退货" if v.allowed else v.reason,
                )
                for v in views
            ],
            views,
        )
        if not views:
            self.status.setText("该客户近 90 天没有手机销售记录")
            return
        first = next((i for i, v in enumerate(views) if v.allowed), 0)
        self.table.selectRow(first)
        self.table.setFocus()
        self._chosen()

    @property
    def chosen(self) -> ReturnableView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.payload(rows[0].row()) if rows else None

    def _chosen(self, *_args: object) -> None:
        view = self.chosen
        if view is None:
            self.return_button.setEnabled(False)
            return
        self.return_button.setEnabled(view.allowed and not self._busy)
        if view.allowed:
            paid = "，".join(f"{label} {fmt.money(a)}" for label, a in view.payments)
            self.status.setText(
                f"退货 {view.order_no}：{view.handset_name}（IMEI {view.imei}），"
                f"退款 {fmt.money(view.total_fen)}（{paid or '无'}），"
                f"红冲发票 {view.invoice_no or '无'}"
            )
        else:
            self.status.setText(f"{view.order_no} 不能退货：{view.reason}{_paid_part(view)}")

    # -- a remote approval ---------------------------------------------------------------------
    def ask_remote(self) -> None:
        """The supervisor is elsewhere: the chosen sale's return goes to their inbox; once
        approved, 确认退货 uses it (without a password)."""
        view = self.chosen
        if self._approvals is None:
            return
        if view is None or not view.allowed or self._busy:
            self.error.setText("请先选中一笔可以退货的手机销售")
            return
        ask = ApprovalRequest(
            kind=HANDSET_RETURN.code,
            subject_ref=handset_return_subject(view.order_id),
            request_reason=self.reason.text().strip(),
            summary=f"手机退货 {view.order_no}：{view.handset_name}（IMEI {view.imei}）"[:200],
            customer_id=self.customer_id,
            order_id=view.order_id,
            amount_fen=view.total_fen,
        )
        if self.remote_dialog is not None:
            self.remote_dialog.deleteLater()
        self.remote_dialog = RemoteApprovalDialog(
            self._approvals, self._actor, self._ops, ask, self
        )
        self.remote_dialog.decided.connect(self._remote_decided)
        self.remote_dialog.open()

    def _remote_decided(self, view: ApprovalView) -> None:
        chosen = self.chosen
        if view.state is ApprovalState.APPROVED and chosen is not None:
            self.remote = (chosen.order_id, view.id, view.approver_name)
            self.error.setText("")
            self.status.setText(
                f"已由 {view.approver_name} 远程批准退货 {chosen.order_no}，按“确认退货”办理"
            )
            self.return_button.setFocus()
        else:
            self.remote = None
            self.error.setText(
                f"远程审批{view.state.label}" + (f"：{view.reason}" if view.reason else "")
            )

    # -- the return -------------------------------------------------------------------------
    def submit(self) -> None:
        view = self.chosen
        if self._busy or view is None:
            return
        if not view.allowed:
            self.error.setText(f"不能退货：{view.reason}")
            return
        if not self.undamaged.isChecked():
            self.error.setText("外观完好：请先验机；有损坏或配件不全的手机不能退货")
            self.undamaged.setFocus()
            return
        reason = self.reason.text().strip()
        if len(reason) < 2:
            self.error.setText("退货原因：请填写退货原因")
            self.reason.setFocus()
            return
        user, password = self.supervisor_user.text().strip(), self.supervisor_password.text()
        remote = self.remote if self.remote and self.remote[0] == view.order_id else None
        if remote is None and (not user or not password):
            self.error.setText("主管授权：请主管输入用户名和密码，或请求远程审批")
            (self.supervisor_password if user else self.supervisor_user).setFocus()
            return
        self.error.clear()
        service, auth, actor = self._service, self._auth, self._actor
        order_id, customer_id = view.order_id, self.customer_id
        self._busy = True
        self.return_button.setEnabled(False)

        def work() -> ReturnDone:
            if remote is not None:
                return service.return_handset(
                    actor, ReturnRequest(order_id, True, reason, approval_id=remote[1])
                )
            supervisor = auth.authorize(user, password, Permission.APPROVE)
            return service.return_handset(actor, ReturnRequest(order_id, True, reason, supervisor))

        def done(result: ReturnDone) -> None:
            self.returned.emit(result)
            messages.info(
                self,
                f"已退货：受理单 {result.order_no}，IMEI {result.imei}，"
                f"退款 {refund_text(result.refunds)}"
                + (f"，红字发票 {result.red_invoice_no}" if result.red_invoice_no else "")
                + ("。本笔退款开启了新的钱箱（今日已日结）" if result.till_reopened else ""),
                "手机退货",
            )
            self.accept()

        def failed(exc: HallError) -> None:
            self.supervisor_password.clear()
            self.error.setText(f"未退货：{exc.text}")

        def again() -> None:
            self._busy = False
            self._chosen()

        self._ops.mutate(
            work,
            done,
            failed,
            changes=Changes.ORDERS
            | Changes.CASH
            | Changes.STOCK
            | (Changes.APPROVALS if remote else Changes.NONE),
            parent=self,
            label="正在办理退货…",
            always=again,
            customer=lambda _result: customer_id,
        )


def _paid_part(view: ReturnableView) -> str:
    """An installment or contract sale: its price against what the counter took (the down
    payment, the subsidised price), which the 付款方式 column lists."""
    if view.price_fen == view.total_fen:
        return ""
    return f"（售价 {fmt.money(view.price_fen)}，已付 {fmt.money(view.total_fen)}）"

"""开班 / 日结 (F10): open the till with a counted float; at the end of the day count the
drawer blind, by denomination, and type the card and QR terminals' settlement totals; only
then are the expected figures shown, per method. A difference needs a reason and the clerk's
confirmation; beyond the tolerance a supervisor signs it off here with their credentials.
Cash in and out (存取现金) with a reason while the till is open. After the close the Z report
(日结单) can be printed (reprints stamped 重打 with a reason).

One Enter submits once: the fields' Enter is the only path (the buttons are not default
buttons), and a submit in flight ignores more."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hall_app.domain.approvals import CASH_VARIANCE
from hall_app.domain.enums import ApprovalState, CashMovementKind
from hall_app.domain.errors import HallError, ValidationError
from hall_app.domain.money import MAX_AMOUNT_CHARS, to_fen
from hall_app.domain.permissions import Permission
from hall_app.services.actor import Actor
from hall_app.services.approvals import ApprovalRequest, ApprovalService, ApprovalView
from hall_app.services.auth import AuthService
from hall_app.services.cash import (
    FLOAT_FIELD,
    MAX_REASON,
    REASON_FIELD,
    BlindTill,
    CashService,
    CashSessionView,
)
from hall_app.services.documents import PrintedDocument
from hall_app.services.tills import verdict
from ui import format as fmt
from ui import messages
from ui.approvals.remote import REMOTE_BUTTON, RemoteApprovalDialog
from ui.cash.count import CountBox
from ui.documents.preview import DocumentPreview
from ui.keys import shortcut
from ui.ops import Changes, Operations
from ui.screen import fit_to_screen

OPEN, COUNT, REVIEW = "open", "count", "review"
T = TypeVar("T")


class CashDialog(QDialog):
    def __init__(
        self,
        service: CashService,
        actor: Actor,
        ops: Operations,
        parent: QWidget | None = None,
        auth: AuthService | None = None,
        approvals: ApprovalService | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("cashDialog")
        self.setWindowTitle("开班 / 日结")
        self._service, self._actor, self._ops, self._auth = service, actor, ops, auth
        self._approvals = approvals
        self.remote_dialog: RemoteApprovalDialog | None = None
        self.stage = OPEN
        self.state = QLabel("正在读取…")
        self.state.setObjectName("cashState")
        self.state.setWordWrap(True)

        # 开班: the float.
        self.amount = QLineEdit()
        self.amount.setObjectName("cashAmount")
        self.amount.setMaxLength(MAX_AMOUNT_CHARS)
        self.amount.returnPressed.connect(self.submit)
        self.amount_label = QLabel("备用金（元）：")
        self.open_box = QWidget()
        open_form = QFormLayout(self.open_box)
        open_form.setContentsMargins(0, 0, 0, 0)
        open_form.addRow(self.amount_label, self.amount)

        # 点钞: the blind count by denomination, then the terminals' settlement.
        self.count_box = CountBox()
        self.pieces, self.card, self.qr = (
            self.count_box.pieces,
            self.count_box.card,
            self.count_box.qr,
        )
        self.cash_total = self.count_box.cash_total
        self.qr.returnPressed.connect(self.submit)

        # 存取现金 while the till is open.
        self.move_box = QGroupBox("存取现金")
        move = QHBoxLayout(self.move_box)
        self.move_kind = QComboBox()
        self.move_kind.setObjectName("moveKind")
        self._kinds = list(CashMovementKind)
        for kind in self._kinds:
            self.move_kind.addItem(kind.label)
        self.move_amount = QLineEdit()
        self.move_amount.setObjectName("moveAmount")
        self.move_amount.setMaxLength(MAX_AMOUNT_CHARS)
        self.move_amount.setPlaceholderText("金额（元）")
        self.move_reason = QLineEdit()
        self.move_reason.setObjectName("moveReason")
        self.move_reason.setMaxLength(MAX_REASON)
        self.move_reason.setPlaceholderText("原因，例如：大额现金上缴保险柜")
        self.move_reason.returnPressed.connect(self.move_cash)
        self.move_button = QPushButton("登记")
        self.move_button.setAutoDefault(False)
        self.move_button.clicked.connect(self.move_cash)
        for w in (self.move_kind, self.move_amount):
            move.addWidget(w)
        move.addWidget(self.move_reason, 1)
        move.addWidget(self.move_button)

        # 核对: expected against counted, revealed after the count.
        self.review_box = QGroupBox("应有与实点")
        review = QVBoxLayout(self.review_box)
        self.checks = QLabel("")
        self.checks.setObjectName("cashChecks")
        self.verdict = QLabel("")
        self.verdict.setObjectName("cashVerdict")
        self.verdict.setWordWrap(True)
        self.reason = QLineEdit()
        self.reason.setObjectName("cashReason")
        self.reason.setMaxLength(MAX_REASON)
        self.reason.setPlaceholderText("有长款或短款时必填，例如：找零多付")
        self.reason.returnPressed.connect(self.submit)
        reason_form = QFormLayout()
        self.reason_label = QLabel("差异原因：")
        reason_form.addRow(self.reason_label, self.reason)
        self.sign_box = QGroupBox("主管签认（差异超出容差）")
        sign = QFormLayout(self.sign_box)
        self.sup_user = QLineEdit()
        self.sup_user.setObjectName("supervisorUser")
        self.sup_password = QLineEdit()
        self.sup_password.setObjectName("supervisorPassword")
        self.sup_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.sup_password.returnPressed.connect(self.submit)
        sign.addRow("主管账号：", self.sup_user)
        sign.addRow("主管密码：", self.sup_password)
        self.remote_button = QPushButton(REMOTE_BUTTON)
        self.remote_button.setObjectName("remoteApproval")
        self.remote_button.setAutoDefault(False)
        self.remote_button.clicked.connect(self.ask_remote)
        self.remote_button.setVisible(approvals is not None)
        self.remote_state = QLabel("")
        self.remote_state.setObjectName("remoteState")
        self.remote_state.setWordWrap(True)
        remote = QHBoxLayout()
        remote.addWidget(self.remote_button)
        remote.addWidget(self.remote_state, 1)
        sign.addRow("或：", remote)
        self.recount = QPushButton("重新点钞")
        self.recount.setAutoDefault(False)
        self.recount.clicked.connect(self._back_to_count)
        review.addWidget(self.checks)
        review.addWidget(self.verdict)
        review.addLayout(reason_form)
        review.addWidget(self.sign_box)

        self.error = QLabel("")
        self.error.setObjectName("cashError")
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.action = QPushButton("")
        self.action.setObjectName("cashAction")
        self.action.setAutoDefault(False)  # Enter in the fields submits; not a second time here
        self.action.clicked.connect(self.submit)
        self.print_button = QPushButton("打印日结单 (Ctrl+P)")
        self.print_button.setObjectName("printZ")
        self.print_button.setAutoDefault(False)
        self.print_button.clicked.connect(self.print_z)
        close = QPushButton("关闭 (Esc)")
        close.setAutoDefault(False)
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.print_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        buttons.addWidget(self.recount)
        buttons.addWidget(self.action)
        layout = QVBoxLayout(self)
        layout.addWidget(self.state)
        for box in (self.open_box, self.count_box, self.move_box, self.review_box):
            layout.addWidget(box)
        layout.addWidget(self.error)
        layout.addStretch(1)
        layout.addLayout(buttons)
        shortcut(self, "Ctrl+P", self.print_z)
        self.till: BlindTill | None = None
        self.counted: CashSessionView | None = None
        self._closed: CashSessionView | None = None
        self._stage(OPEN)  # one part at a time, from the start: the dialog fits a 768 screen
        self.open_box.setVisible(False)  # until the till is read
        self.action.setText("")  # nor an action: 开班 or 点钞完成 once it is known
        fit_to_screen(self, QSize(640, 600))
        self._busy = False
        self.preview: DocumentPreview | None = None
        self.refresh()

    # -- reading -----------------------------------------------------------------------------
    def refresh(self) -> None:
        service, actor = self._service, self._actor

        def read() -> tuple[BlindTill | None, CashSessionView | None, CashSessionView | None]:
            till = service.till_to_count(actor)
            # A count already recorded (the dialog closed in between): its figures are shown.
            shown = service.current_session(actor) if till is not None and till.counted else None
            return till, shown, service.closed_today(actor)

        def show(
            found: tuple[BlindTill | None, CashSessionView | None, CashSessionView | None],
        ) -> None:
            till, shown, closed = found
            if self._closed is None:
                self._closed = closed
            self._show(till, shown)

        self._ops.query(read, show, parent=self)

    def _show(self, till: BlindTill | None, counted: CashSessionView | None = None) -> None:
        self._busy = False
        self.till, self.counted = till, counted
        self.error.clear()
        if till is None:
            self._stage(OPEN)
            done = self._closed
            prefix = ""
            if done is not None:
                prefix = (
                    f"已日结：日结单 {done.z_label}，应有现金 {fmt.money(done.expected_cash_fen)}，"
                    f"实点 {fmt.money(done.counted_cash_fen or 0)}，{verdict(done.checks)}。\n\n"
                )
            self.state.setText(
                prefix
                + (
                    "今天已日结。再收款时将新开钱箱（备用金记为 0），也可在此重新开班。"
                    if done is not None
                    else "今天尚未开班（首笔收款时也会自动开班，备用金记为 0）。"
                )
            )
            self.amount.clear()
            self.amount.setFocus()
            return
        head = (
            f"{till.counter_name} · {till.staff_name} · {fmt.day(till.business_date)} "
            f"开班 {fmt.when(till.opened_at)} · 备用金 {fmt.money(till.opening_float_fen)}"
        )
        if counted is None:
            self._stage(COUNT)
            self.state.setText(f"{head}\n请按面额清点钱箱，再填写刷卡和扫码的结算金额。")
            self.count_box.clear()
            return
        self._stage(REVIEW)
        self.state.setText(head)
        rows = "".join(
            f"<tr><td>{c.label}</td><td align='right'>{fmt.money(c.expected_fen)}</td>"
            f"<td align='right'>{'—' if c.counted_fen is None else fmt.money(c.counted_fen)}"
            f"</td><td align='right'>{fmt.money(c.difference_fen)}</td></tr>"
            for c in counted.checks
        )
        self.checks.setText(
            "<table cellspacing='6'><tr><th align='left'>支付方式</th><th>应有</th>"
            f"<th>实点 / 结算</th><th>差异</th></tr>{rows}</table>"
        )
        beyond = counted.variance_fen > self._service.tolerance_fen
        self.verdict.setText(
            f"{verdict(counted.checks)}"
            + (
                f"（差异合计 {fmt.money(counted.variance_fen)}，超过 "
                f"{fmt.money(self._service.tolerance_fen)}，须主管签认）"
                if beyond
                else ""
            )
        )
        self.reason.clear()
        self.reason.setPlaceholderText(
            "有长款或短款时必填，例如：找零多付"
            if counted.variance_fen
            else "账实相符：按 Enter 日结"
        )
        self.sign_box.setVisible(beyond)
        self.sup_user.clear()
        self.sup_password.clear()
        self.remote_state.clear()
        self.reason.setFocus()  # its Enter closes (and asks for a reason when one is due)

    def _stage(self, stage: str) -> None:
        self.stage = stage
        self.open_box.setVisible(stage == OPEN)
        self.count_box.setVisible(stage == COUNT)
        self.move_box.setVisible(stage == COUNT)
        self.review_box.setVisible(stage == REVIEW)
        self.recount.setVisible(stage == REVIEW)
        self.print_button.setVisible(stage == OPEN and self._closed is not None)
        self.action.setText({OPEN: "开班", COUNT: "点钞完成", REVIEW: "日结"}[stage])

    def _back_to_count(self) -> None:
        if self.till is not None:
            self._show(self.till, None)

    # -- writing -----------------------------------------------------------------------------
    def submit(self) -> None:
        if self._busy:  # one submit at a time: the answer to this one is on its way
            return
        {OPEN: self._open, COUNT: self._count, REVIEW: self._close}[self.stage]()

    def _run(
        self, work: Callable[[], T], done: Callable[[T], None], changes: Changes = Changes.CASH
    ) -> None:
        self._busy = True
        self._ops.mutate(
            work,
            done,
            self._failed,
            changes=changes,
            parent=self,
            always=self._idle,
        )

    def _open(self) -> None:
        try:
            fen = to_fen(self.amount.text())
        except ValidationError as exc:
            self.error.setText(f"{FLOAT_FIELD}：{exc.message}")
            self.amount.setFocus()
            return
        service, actor = self._service, self._actor

        def work() -> BlindTill | None:
            service.open_session(actor, fen)
            return service.till_to_count(actor)

        self._run(work, self._show)

    def _count(self) -> None:
        try:
            count = self.count_box.count()
        except ValidationError as exc:
            self.error.setText(exc.text)
            return
        service, actor, till = self._service, self._actor, self.till
        self._run(lambda: service.record_count(actor, count), lambda v: self._show(till, v))

    def _close(self) -> None:
        counted = self.counted
        assert counted is not None
        reason = self.reason.text().strip()
        if counted.variance_fen and not reason:
            self.error.setText(f"{REASON_FIELD}：{verdict(counted.checks)}，请填写原因后再日结")
            self.reason.setFocus()
            return
        beyond = counted.variance_fen > self._service.tolerance_fen
        user, password = self.sup_user.text().strip(), self.sup_password.text()
        if beyond and (not user or not password):
            self.error.setText("主管签认：差异超出容差，请主管输入账号和密码签认")
            (self.sup_user if not user else self.sup_password).setFocus()
            return
        self.error.clear()  # what is asked now is the confirmation
        if counted.variance_fen and not messages.confirm(
            self,
            f"钱箱应有现金 {fmt.money(counted.expected_cash_fen)}，"
            f"实点 {fmt.money(counted.counted_cash_fen or 0)}：\n{verdict(counted.checks)}\n"
            f"原因：{reason}\n\n确认按此日结？",
            title="确认日结差异",
        ):
            return
        service, actor, auth = self._service, self._actor, self._auth
        expected = counted.expected_cash_fen

        def work() -> CashSessionView:
            supervisor = None
            if beyond:
                if auth is None:
                    raise ValidationError("此处不能现场签认，请用远程审批", "主管签认")
                supervisor = auth.authorize(user, password, Permission.APPROVE)
            return service.close_session(
                actor, reason=reason, expected_fen=expected, supervisor=supervisor
            )

        def closed(view: CashSessionView) -> None:
            self._closed = view
            self._show(None)

        self._run(work, closed)

    def move_cash(self) -> None:
        if self._busy:
            return
        kind = self._kinds[self.move_kind.currentIndex()]
        try:
            fen = to_fen(self.move_amount.text())
        except ValidationError as exc:
            self.error.setText(f"存取现金：{exc.message}")
            self.move_amount.setFocus()
            return
        service, actor, reason = self._service, self._actor, self.move_reason.text()

        def moved(_: CashSessionView) -> None:
            self.move_amount.clear()
            self.move_reason.clear()
            self.error.setText(f"已登记{kind.label} {fmt.money(fen)}")

        self._run(lambda: service.move_cash(actor, kind, fen, reason), moved)

    def print_z(self) -> None:
        done = self._closed
        if done is None or self.stage != OPEN or self._busy:
            return
        service, actor, till_id = self._service, self._actor, done.id

        def shown(doc: PrintedDocument) -> None:
            self.preview = DocumentPreview(
                doc,
                f"日结单 {done.z_label}",
                self._ops,
                lambda reason: service.print_z_report(actor, till_id, reason),
                self,
            )
            self.preview.open()

        self._ops.query(lambda: service.preview_z_report(actor, till_id), shown, parent=self)

    def ask_remote(self) -> None:
        """Send the variance to the duty supervisors' inbox (请求远程审批); the decision
        arrives by itself in that dialog, and an approval closes the till with it."""
        counted, approvals, till = self.counted, self._approvals, self.till
        if self._busy or counted is None or approvals is None or till is None:
            return
        ask = ApprovalRequest(
            kind=CASH_VARIANCE.code,
            subject_ref=str(till.id),
            request_reason=self.reason.text().strip(),
            summary=f"现金差异 {till.counter_name} {verdict(counted.checks)}",
            amount_fen=counted.variance_fen,
        )
        if self.remote_dialog is not None:
            self.remote_dialog.deleteLater()
        self.remote_dialog = RemoteApprovalDialog(approvals, self._actor, self._ops, ask, self)
        self.remote_dialog.decided.connect(self._decided)
        self.remote_dialog.open()

    def _decided(self, view: ApprovalView) -> None:
        counted = self.counted
        if view.state is not ApprovalState.APPROVED or counted is None:
            why = f"：{view.reason}" if view.reason else ""
            self.remote_state.setText(f"{view.state.label}{why}")
            return
        self.remote_state.setText(f"{view.approver_name} 已批准，正在日结…")
        service, actor = self._service, self._actor
        reason = self.reason.text().strip() or view.request_reason
        expected, approval_id = counted.expected_cash_fen, view.id

        def closed(done: CashSessionView) -> None:
            self._closed = done
            self._show(None)

        self._run(
            lambda: service.close_session(
                actor, reason=reason, expected_fen=expected, approval_id=approval_id
            ),
            closed,
        )

    def _idle(self) -> None:
        self._busy = False

    def _failed(self, exc: HallError) -> None:
        self.error.setText(exc.text)

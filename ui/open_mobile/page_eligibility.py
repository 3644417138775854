"""Step 1: who is opening the number, and may they (age, guardian, card limit, 30-day rule)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from hall_app.domain.approvals import SECOND_NUMBER_30D
from hall_app.domain.enums import ApprovalState
from hall_app.domain.errors import HallError
from hall_app.domain.permissions import Permission
from hall_app.services.actor import Actor
from hall_app.services.approvals import ApprovalRequest, ApprovalView
from hall_app.services.open_mobile import second_number_subject
from hall_app.services.orders import OpenContext
from ui.approvals.remote import REMOTE_BUTTON, RemoteApprovalDialog
from ui.open_mobile.base import WizardEnv, WizardPage, error_label
from ui.ops import Changes
from ui.style import set_role
from ui.widgets.fields import FaceCheck


class EligibilityPage(WizardPage):
    title = "资格核验"

    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env)
        self.customer_label = QLabel("正在读取客户资料…")
        self.customer_label.setObjectName("eligCustomer")
        self.verdict = QLabel("")
        self.verdict.setObjectName("eligVerdict")
        self.verdict.setWordWrap(True)

        self.face = FaceCheck(env.actor.full_name)
        self.face_method, self.face_passed = self.face.method_box, self.face.passed
        self.face_passed.toggled.connect(lambda _on: self.complete_changed.emit())
        face = QGroupBox("人像比对")
        face_form = QFormLayout(face)
        face_form.addRow("方式：", self.face_method)
        face_form.addRow("", self.face_passed)

        self.guardian_box = QGroupBox("监护人")
        self.guardian_present = QCheckBox("")
        self.guardian_present.setObjectName("guardianPresent")
        self.guardian_present.toggled.connect(lambda _on: self.complete_changed.emit())
        QVBoxLayout(self.guardian_box).addWidget(self.guardian_present)
        self.guardian_box.hide()

        self.supervisor_box = QGroupBox("值班主管授权：现场输入用户名和密码，或请求远程审批")
        self.sup_user = QLineEdit()
        self.sup_user.setObjectName("supervisorUser")
        self.sup_user.setPlaceholderText("主管工号/用户名")
        self.sup_password = QLineEdit()
        self.sup_password.setObjectName("supervisorPassword")
        self.sup_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.sup_password.returnPressed.connect(self.authorize)
        self.sup_button = QPushButton("授权")
        self.sup_button.setObjectName("supervisorAuthorize")
        self.sup_button.clicked.connect(self.authorize)
        self.remote_button = QPushButton(f"{REMOTE_BUTTON}…")
        self.remote_button.setObjectName("supervisorRemote")
        self.remote_button.setToolTip("主管不在窗口：把申请发到值班主管的审批页，批准后自动继续")
        self.remote_button.clicked.connect(self.ask_remote)
        self.remote_dialog: RemoteApprovalDialog | None = None
        self.sup_result = error_label("supervisorResult")
        password_row = QHBoxLayout()
        password_row.addWidget(self.sup_password, 1)
        password_row.addWidget(self.sup_button)
        password_row.addWidget(self.remote_button)
        self.sup_form = QFormLayout()
        for text, field, row in (
            ("主管用户名", self.sup_user, self.sup_user),
            ("主管密码", self.sup_password, password_row),
        ):
            label = QLabel(f"{text}：")
            label.setBuddy(field)
            field.setAccessibleName(text)
            self.sup_form.addRow(label, row)
        sup_layout = QVBoxLayout(self.supervisor_box)
        sup_layout.addLayout(self.sup_form)
        sup_layout.addWidget(self.sup_result)
        self.supervisor_box.hide()

        layout = QVBoxLayout(self)
        layout.addWidget(self.customer_label)
        layout.addWidget(self.verdict)
        layout.addWidget(face)
        layout.addWidget(self.guardian_box)
        layout.addWidget(self.supervisor_box)
        layout.addStretch(1)
        self._loaded = False

    def enter(self) -> None:
        if self._loaded:
            return
        orders, actor, customer_id = self.env.app.orders, self.env.actor, self.draft.customer_id
        self.query(lambda: orders.prepare_open(actor, customer_id), self._show, self._refused)

    def _refused(self, exc: HallError) -> bool:
        set_role(self.verdict, "error")
        self.verdict.setText(f"不能办理：{exc.text}")
        return True

    def _show(self, ctx: OpenContext) -> None:
        self._loaded = True
        self.draft.context = ctx
        self.customer_label.setText(f"{ctx.name}　{ctx.id_masked}　{ctx.age} 周岁")
        e = ctx.eligibility
        if not e.allowed:
            set_role(self.verdict, "error")
            self.verdict.setText("不能办理：" + "；".join(e.reasons))
        else:
            set_role(self.verdict, "ok" if not e.reasons else "warn")
            self.verdict.setText(
                "可以办理" + ("，但须：" + "；".join(e.reasons) if e.reasons else "")
            )
        if e.needs_guardian:
            self.guardian_box.show()
            if ctx.guardian_id is None:
                self.guardian_present.setEnabled(False)
                self.guardian_present.setText("未登记监护人：请先在客户资料中登记监护人")
            else:
                self.guardian_present.setText(f"监护人 {ctx.guardian_name} 已到场，证件已核验")
        if e.needs_supervisor:
            self.supervisor_box.show()
        self.complete_changed.emit()

    def ask_remote(self) -> None:
        """The supervisor is elsewhere: ask them through the inbox; the page goes on by itself
        once they approve."""
        ctx = self.draft.context
        if ctx is None:
            return
        ask = ApprovalRequest(
            kind=SECOND_NUMBER_30D.code,
            subject_ref=second_number_subject(ctx.customer_id),
            request_reason="",
            summary=f"30天内再次开户 {ctx.id_masked}",
            customer_id=ctx.customer_id,
        )
        if self.remote_dialog is not None:
            self.remote_dialog.deleteLater()
        env = self.env
        self.remote_dialog = RemoteApprovalDialog(env.app.approvals, env.actor, env.ops, ask, self)
        self.remote_dialog.decided.connect(self._remote_decided)
        self.remote_dialog.open()

    def _remote_decided(self, view: ApprovalView) -> None:
        if view.state is ApprovalState.APPROVED:
            self.draft.approval_id = view.id
            self.draft.supervisor = None
            set_role(self.sup_result, "ok")
            self.sup_result.setText(f"已由 {view.approver_name} 远程批准")
        else:
            self.draft.approval_id = None
            set_role(self.sup_result, "error")
            self.sup_result.setText(
                f"远程审批{view.state.label}" + (f"：{view.reason}" if view.reason else "")
            )
        self.complete_changed.emit()

    def authorize(self) -> None:
        auth, user, password = self.env.app.auth, self.sup_user.text(), self.sup_password.text()
        self.sup_password.clear()

        def ok(boss: Actor) -> None:
            self.draft.supervisor = boss
            self.draft.approval_id = None
            set_role(self.sup_result, "ok")
            self.sup_result.setText(f"已由 {boss.full_name} 授权")
            self.complete_changed.emit()

        def refused(exc: HallError) -> bool:
            self.draft.supervisor = None
            set_role(self.sup_result, "error")
            self.sup_result.setText(exc.text)
            self.complete_changed.emit()
            return True

        self.mutate(  # an authorization is audited
            lambda: auth.authorize(user, password, Permission.APPROVE),
            ok,
            refused,
            changes=Changes.NONE,
        )

    def is_complete(self) -> bool:
        ctx = self.draft.context
        if ctx is None or not ctx.eligibility.allowed or not self.face_passed.isChecked():
            return False
        if ctx.eligibility.needs_guardian and not (
            ctx.guardian_id is not None and self.guardian_present.isChecked()
        ):
            return False
        return not (
            ctx.eligibility.needs_supervisor
            and self.draft.supervisor is None
            and self.draft.approval_id is None
        )

    def missing(self) -> str:
        """What still keeps 下一步 greyed out, in the order the clerk meets it."""
        ctx = self.draft.context
        if ctx is None:
            return "正在核验客户资格…"
        e = ctx.eligibility
        if not e.allowed:
            return "该客户不能办理（原因见上方）"
        if not self.face_passed.isChecked():
            return "尚未完成人像比对：比对后请勾选“人证比对通过”"
        if e.needs_guardian and ctx.guardian_id is None:
            return "须先为客户登记监护人"
        if e.needs_guardian and not self.guardian_present.isChecked():
            return "请确认监护人已到场并勾选"
        if e.needs_supervisor and self.draft.supervisor is None and self.draft.approval_id is None:
            return "须值班主管在上方输入用户名和密码授权，或请求远程审批"
        return ""

    def leave(self, proceed: Callable[[], None]) -> None:
        ctx = self.draft.context
        assert ctx is not None
        self.draft.face_check = self.face.method
        self.draft.face_checked_by = self.face.checked_by
        self.draft.guardian_id = ctx.guardian_id if ctx.eligibility.needs_guardian else None
        proceed()

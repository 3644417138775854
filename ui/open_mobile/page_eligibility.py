"""Step 1: who is opening the number, and may they (age, guardian, card limit, 30-day rule)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QVBoxLayout,
)

from hall_app.domain.approvals import SECOND_NUMBER_30D
from hall_app.domain.errors import HallError
from hall_app.services.approvals import ApprovalRequest
from hall_app.services.open_mobile import second_number_subject
from hall_app.services.orders import OpenContext
from ui.approvals.remote import RemoteApprovalDialog
from ui.approvals.supervisor import SupervisorApproval
from ui.open_mobile.base import WizardEnv, WizardPage
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

        self.supervisor_box = SupervisorApproval(
            "值班主管授权：现场输入用户名和密码，或请求远程审批",
            env.app,
            env.actor,
            env.ops,
            self.mutate,
            self._ask,
        )
        self.supervisor_box.changed.connect(self._approval_changed)
        box = self.supervisor_box
        self.sup_user, self.sup_password, self.sup_result = (
            box.sup_user,
            box.sup_password,
            box.sup_result,
        )
        self.sup_button, self.remote_button = box.sup_button, box.remote_button
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

    @property
    def remote_dialog(self) -> RemoteApprovalDialog | None:
        return self.supervisor_box.remote_dialog

    def _ask(self) -> ApprovalRequest | None:
        """The remote request: the 30-day rule for this customer."""
        ctx = self.draft.context
        if ctx is None:
            return None
        return ApprovalRequest(
            kind=SECOND_NUMBER_30D.code,
            subject_ref=second_number_subject(ctx.customer_id),
            request_reason="",
            summary=f"30天内再次开户 {ctx.id_masked}",
            customer_id=ctx.customer_id,
        )

    def _approval_changed(self) -> None:
        self.draft.supervisor = self.supervisor_box.supervisor
        self.draft.approval_id = self.supervisor_box.approval_id
        self.complete_changed.emit()

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

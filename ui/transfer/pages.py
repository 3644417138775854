"""The 过户 wizard's first two pages: the new owner (found by ID number, phone or name, or by
reading their card, F9) with the transfer's checks shown pass or fail; then both parties'
face checks and the duty supervisor's approval (at this counter, or 请求远程审批)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from hall_app.domain.approvals import OWNERSHIP_TRANSFER
from hall_app.domain.errors import HallError
from hall_app.services.actor import Actor
from hall_app.services.approvals import ApprovalRequest
from hall_app.services.customers import CustomerSummary, SearchResult
from hall_app.services.transfer import TransferCheck, TransferDone, transfer_subject
from ui.approvals.supervisor import SupervisorApproval
from ui.keys import shortcut
from ui.style import set_role
from ui.table import RowsModel, make_table
from ui.widgets.fields import FaceCheck, error_label
from ui.wizard.base import DraftBase, WizardEnv, WizardPage

PASSED, FAILED = "✓ 通过", "✗ 不通过"


@dataclass
class TransferDraft(DraftBase):
    """``customer_id`` is the old owner's (the open record)."""

    subscription_id: uuid.UUID | None = None
    number_display: str = ""
    old_name: str = ""
    to_customer_id: uuid.UUID | None = None
    check: TransferCheck | None = None
    old_face_by: str = ""
    new_face_by: str = ""
    supervisor: Actor | None = None
    approval_id: uuid.UUID | None = None
    approver: str = ""
    done: TransferDone | None = None


def transfer_draft(env: WizardEnv) -> TransferDraft:
    d = env.draft
    assert isinstance(d, TransferDraft)
    return d


class NewOwnerPage(WizardPage):
    title = "新机主"

    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env)
        d = transfer_draft(env)
        heading = QLabel(f"过户号码 {d.number_display}　原机主 {d.old_name}")
        heading.setObjectName("transferHeading")
        self.search = QLineEdit()
        self.search.setObjectName("transferSearch")
        self.search.setPlaceholderText("新机主的证件号码、手机号码或姓名，回车查询")
        self.search.returnPressed.connect(self.search_owner)
        self.read_button = QPushButton("读身份证 (F9)")
        self.read_button.setObjectName("transferReadCard")
        self.read_button.clicked.connect(self.read_card)
        self.read_button.setVisible(env.app.id_reader is not None)
        shortcut(self, "F9", self.read_card)
        row = QHBoxLayout()
        row.addWidget(self.search, 1)
        row.addWidget(self.read_button)
        self.found = RowsModel(["姓名", "证件", "证件号码", "联系电话"])
        self.table = make_table(
            self.found, ("欧阳明明", "居民身份证", "110***********1234", "189****1234")
        )
        self.table.setObjectName("transferFound")
        self.table.setMaximumHeight(170)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._chosen())
        self.note = error_label("transferNote")
        self.checks = RowsModel(["条件", "结果", "说明"])
        self.check_table = make_table(self.checks, ("办理资格", PASSED, "证件名下号码未超过上限"))
        self.check_table.setObjectName("transferChecks")
        self.resign = QLabel("")
        self.resign.setObjectName("transferResign")
        self.resign.setWordWrap(True)
        self.verdict = QLabel("")
        self.verdict.setObjectName("transferVerdict")
        self.verdict.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(row)
        layout.addWidget(self.table)
        layout.addWidget(self.note)
        layout.addWidget(QLabel("过户条件："))
        layout.addWidget(self.check_table, 1)
        layout.addWidget(self.resign)
        layout.addWidget(self.verdict)
        self._rows: tuple[CustomerSummary, ...] = ()

    def enter(self) -> None:
        self.search.setFocus()

    def search_owner(self) -> None:
        text = self.search.text().strip()
        if not text:
            self.note.setText("请输入新机主的证件号码、手机号码或姓名")
            return
        customers, actor = self.env.app.customers, self.env.actor
        self.query(lambda: customers.search_customers(actor, text), self._found, self._refused)

    def read_card(self) -> None:
        reader = self.env.app.id_reader
        if reader is None or not self.isVisible():
            return
        customers, actor = self.env.app.customers, self.env.actor

        def work() -> SearchResult:
            return customers.search_customers(actor, reader.read().id_number)

        self.query(work, self._found, self._refused, label="正在读取身份证…")

    def _refused(self, exc: HallError) -> bool:
        self.note.setText(exc.text)
        return True

    def _found(self, result: SearchResult) -> None:
        d = transfer_draft(self.env)
        self._rows = tuple(r for r in result.rows if r.id != d.customer_id)
        self.found.set_rows(
            [(r.name, r.id_label, r.id_display, r.phone_display) for r in self._rows]
        )
        if not self._rows:
            self.note.setText(
                "没有找到其他客户：新机主须先在客户查询页（F2）登记为实名客户，再办理过户"
            )
            self._clear_check()
            return
        self.note.setText("" if len(self._rows) == 1 else f"找到 {len(self._rows)} 位，请选择")
        self.table.selectRow(0)
        self.table.setFocus()
        self._chosen()

    def _chosen(self) -> None:
        row = self.table.currentIndex().row()
        if not 0 <= row < len(self._rows):
            return
        d = transfer_draft(self.env)
        to_id = self._rows[row].id
        if to_id == d.to_customer_id and d.check is not None:
            return
        self._clear_check()
        d.to_customer_id = to_id
        transfers, actor, sub_id = self.env.app.transfers, self.env.actor, d.subscription_id
        assert sub_id is not None
        self.query(
            lambda: transfers.check_transfer(actor, sub_id, to_id), self._checked, self._refused
        )

    def _clear_check(self) -> None:
        d = transfer_draft(self.env)
        d.to_customer_id, d.check = None, None
        self.checks.set_rows([])
        self.resign.setText("")
        self.verdict.setText("")
        self.complete_changed.emit()

    def _checked(self, check: TransferCheck) -> None:
        d = transfer_draft(self.env)
        d.check = check
        self.checks.set_rows(
            [(c.name, PASSED if c.passed else FAILED, c.reason) for c in check.checks]
        )
        self.resign.setText(
            "新机主须重新签署：" + "；".join(check.terms_to_resign) if check.terms_to_resign else ""
        )
        set_role(self.verdict, "ok" if check.allowed else "error")
        self.verdict.setText(
            f"可以过户给 {check.to_name_masked}，按 Ctrl+Enter 继续"
            if check.allowed
            else "不能过户：" + "；".join(c.reason for c in check.checks if not c.passed)
        )
        self.complete_changed.emit()

    def is_complete(self) -> bool:
        check = transfer_draft(self.env).check
        return check is not None and check.allowed

    def missing(self) -> str:
        check = transfer_draft(self.env).check
        if check is None:
            return "请查询并选定新机主"
        return "未满足过户条件"


class VerifyPage(WizardPage):
    """Both parties' face checks; the supervisor's approval."""

    title = "核验与审批"

    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env)
        clerk = env.actor.full_name
        self.old_face = FaceCheck(clerk, "oldFace")
        self.new_face = FaceCheck(clerk, "newFace")
        faces = QGroupBox("人像比对（双方本人到场，出示有效身份证件）")
        form = QFormLayout(faces)
        for who, face in (("原机主", self.old_face), ("新机主", self.new_face)):
            form.addRow(f"{who}核验方式：", face.method_box)
            form.addRow("", face.passed)
            face.passed.toggled.connect(lambda _on: self.complete_changed.emit())
        self.approval = SupervisorApproval(
            "值班主管审批（不能由受理营业员本人审批）",
            env.app,
            env.actor,
            env.ops,
            self.mutate,
            self._ask,
            name="transferSup",
            inline_text="现场授权",
        )
        self.approval.changed.connect(self._approval_changed)
        layout = QVBoxLayout(self)
        layout.addWidget(faces)
        layout.addWidget(self.approval)
        layout.addStretch(1)

    def enter(self) -> None:
        d = transfer_draft(self.env)
        if d.approval_id is not None or d.supervisor is not None:
            return
        self.old_face.method_box.setFocus()

    def _ask(self) -> ApprovalRequest | None:
        d = transfer_draft(self.env)
        check, sub_id, to_id = d.check, d.subscription_id, d.to_customer_id
        if check is None or sub_id is None or to_id is None:
            return None
        return ApprovalRequest(
            kind=OWNERSHIP_TRANSFER.code,
            subject_ref=transfer_subject(sub_id, to_id),
            request_reason="双方本人到场，已核验证件及人像",
            summary=(
                f"过户 {check.number_masked}：{check.from_name_masked} → {check.to_name_masked}"
            ),
            customer_id=to_id,
        )

    def _approval_changed(self) -> None:
        d, box = transfer_draft(self.env), self.approval
        d.supervisor, d.approval_id, d.approver = box.supervisor, box.approval_id, box.approver_name
        self.complete_changed.emit()

    def is_complete(self) -> bool:
        d = transfer_draft(self.env)
        faces = self.old_face.passed.isChecked() and self.new_face.passed.isChecked()
        return faces and (d.supervisor is not None or d.approval_id is not None)

    def missing(self) -> str:
        if not self.old_face.passed.isChecked():
            return "请完成原机主的人像比对"
        if not self.new_face.passed.isChecked():
            return "请完成新机主的人像比对"
        return "请值班主管授权，或请求远程审批"

    def leave(self, proceed: Callable[[], None]) -> None:
        d = transfer_draft(self.env)
        d.old_face_by, d.new_face_by = self.old_face.checked_by, self.new_face.checked_by
        proceed()

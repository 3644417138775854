"""The duty supervisor's approval inside a page: their user name and password typed at this
counter (授权, or Enter in the password), or 请求远程审批 sent to the supervisors' inbox. The
box holds the outcome (``supervisor`` inline, or ``approval_id`` remote) and says it on its
result line; ``changed`` fires whenever it changes. The service then records or redeems it in
the order's own transaction (four-eyes is checked there)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from hall_app.app import HallApp
from hall_app.domain.enums import ApprovalState
from hall_app.domain.errors import HallError, ValidationError
from hall_app.domain.permissions import Permission
from hall_app.services.actor import Actor
from hall_app.services.approvals import ApprovalRequest, ApprovalView
from ui.approvals.remote import REMOTE_BUTTON, RemoteApprovalDialog
from ui.ops import Changes, Operations
from ui.style import set_role
from ui.widgets.fields import error_label

OWN_WORK = "不能为自己受理的业务授权，请另一位值班主管授权"
# What the page's wizard does with a write: ``WizardPage.mutate`` (the customer announced).
Mutate = Callable[..., None]


class SupervisorApproval(QGroupBox):
    changed = Signal()

    def __init__(
        self,
        title: str,
        app: HallApp,
        actor: Actor,
        ops: Operations,
        mutate: Mutate,
        ask: Callable[[], ApprovalRequest | None],
        *,
        name: str = "supervisor",
        inline_text: str = "授权",
    ) -> None:
        """``ask`` makes the remote
        request of the moment (None: nothing to ask yet); ``name`` prefixes the object names
        (``supervisorUser`` …)."""
        super().__init__(title)
        self._app, self._actor, self._ops, self._mutate, self._ask = app, actor, ops, mutate, ask
        self._inline_text = inline_text
        self.supervisor: Actor | None = None
        self.approval_id: uuid.UUID | None = None
        self.approver_name = ""
        self.sup_user = QLineEdit()
        self.sup_user.setObjectName(f"{name}User")
        self.sup_user.setPlaceholderText("主管工号/用户名")
        self.sup_password = QLineEdit()
        self.sup_password.setObjectName(f"{name}Password")
        self.sup_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.sup_password.returnPressed.connect(self.authorize)
        self.sup_button = QPushButton("授权")
        self.sup_button.setObjectName(f"{name}Authorize")
        self.sup_button.clicked.connect(self.authorize)
        self.remote_button = QPushButton(f"{REMOTE_BUTTON}…")
        self.remote_button.setObjectName(f"{name}Remote")
        self.remote_button.setToolTip("主管不在窗口：把申请发到值班主管的审批页，批准后自动继续")
        self.remote_button.clicked.connect(self.ask_remote)
        self.remote_dialog: RemoteApprovalDialog | None = None
        self.sup_result = error_label(f"{name}Result")
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
        layout = QVBoxLayout(self)
        layout.addLayout(self.sup_form)
        layout.addWidget(self.sup_result)

    @property
    def given(self) -> bool:
        return self.supervisor is not None or self.approval_id is not None

    def authorize(self) -> None:
        auth = self._app.auth
        user, password = self.sup_user.text(), self.sup_password.text()
        self.sup_password.clear()

        def ok(boss: Actor) -> None:
            self.supervisor, self.approval_id, self.approver_name = boss, None, boss.full_name
            set_role(self.sup_result, "ok")
            self.sup_result.setText(f"已由 {boss.full_name} {self._inline_text}")
            self.changed.emit()

        def refused(exc: HallError) -> bool:
            self.supervisor = None
            set_role(self.sup_result, "error")
            self.sup_result.setText(exc.text)
            self.changed.emit()
            return True

        if user.strip() == self._actor.username:  # four-eyes, said before the password is tried
            refused(ValidationError(OWN_WORK, "主管授权"))
            return
        self._mutate(  # an authorization is audited
            lambda: auth.authorize(user, password, Permission.APPROVE),
            ok,
            refused,
            changes=Changes.NONE,
        )

    def refuse(self, exc: HallError) -> None:
        """A refusal the page makes itself (e.g. the clerk's own name typed)."""
        self.supervisor = None
        set_role(self.sup_result, "error")
        self.sup_result.setText(exc.text)
        self.changed.emit()

    def ask_remote(self) -> None:
        """The supervisor is elsewhere: ask them through the inbox; the page goes on by itself
        once they approve."""
        ask = self._ask()
        if ask is None:
            return
        if self.remote_dialog is not None:
            self.remote_dialog.deleteLater()
        approvals = self._app.approvals
        self.remote_dialog = RemoteApprovalDialog(approvals, self._actor, self._ops, ask, self)
        self.remote_dialog.decided.connect(self._remote_decided)
        # the keyboard goes back to the page's window once the request dialog has gone
        self.remote_dialog.finished.connect(
            lambda _r: QTimer.singleShot(0, self.window().activateWindow)
        )
        self.remote_dialog.open()

    def _remote_decided(self, view: ApprovalView) -> None:
        if view.state is ApprovalState.APPROVED:
            self.approval_id, self.supervisor = view.id, None
            self.approver_name = view.approver_name
            set_role(self.sup_result, "ok")
            self.sup_result.setText(f"已由 {view.approver_name} 远程批准")
        else:
            self.approval_id = None
            set_role(self.sup_result, "error")
            self.sup_result.setText(
                f"远程审批{view.state.label}" + (f"：{view.reason}" if view.reason else "")
            )
        self.changed.emit()

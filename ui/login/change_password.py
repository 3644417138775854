"""Choosing a new password: the new one twice (and the old one, unless it was just typed at
the login). Shown by the login when a supervisor reset the password or the account is new:
the main window opens only after it is changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
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
from ui.ops import Changes, Operations
from ui.screen import fit_to_screen
from ui.widgets.fields import error_label

if TYPE_CHECKING:
    from hall_app.services.actor import Actor
    from hall_app.services.staff import StaffService

RULE = "至少 8 位，须同时包含字母和数字，不能包含用户名"


def password_field(name: str, placeholder: str) -> QLineEdit:
    field = QLineEdit()
    field.setObjectName(name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setPlaceholderText(placeholder)
    field.setMaxLength(128)
    return field


class ChangePasswordDialog(QDialog):
    """``changed`` holds the actor, no longer asked to change, once the service accepted."""

    def __init__(
        self,
        staff: StaffService,
        ops: Operations,
        actor: Actor,
        old_password: str | None = None,  # typed at the login a moment ago
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._staff = staff
        self._ops = ops
        self._actor = actor
        self._old_typed = old_password
        self.changed: Actor | None = None
        self.done_with: Actor | None = None  # as the desk's dialogs name it
        self.setObjectName("changePasswordDialog")
        self.setWindowTitle("修改密码")
        forced = old_password is not None
        intro = QLabel(
            f"{actor.full_name}（{actor.username}），您的密码已由主管重置或为初始密码，"
            "请设置新密码后再开始工作。"
            if forced
            else f"{actor.full_name}（{actor.username}），请输入原密码和新密码。"
        )
        intro.setObjectName("changePasswordIntro")
        intro.setWordWrap(True)
        rule = QLabel(f"密码规则：{RULE}。")
        rule.setObjectName("changePasswordRule")
        rule.setWordWrap(True)
        self.old = password_field("oldPassword", "原密码")
        self.new = password_field("newPassword", "新密码")
        self.repeat = password_field("repeatPassword", "再次输入新密码")
        self.error = error_label("changePasswordError")
        form = QFormLayout()
        if not forced:
            form.addRow("原密码", self.old)
        form.addRow("新密码", self.new)
        form.addRow("确认新密码", self.repeat)
        self.ok = QPushButton("确定 (Enter)")
        self.ok.setObjectName("changePasswordOk")
        self.ok.clicked.connect(self._submit)
        cancel = QPushButton("取消 (Esc)")
        cancel.clicked.connect(self.reject)
        for b in (self.ok, cancel):
            b.setAutoDefault(False)
        self.old.returnPressed.connect(self.new.setFocus)
        self.new.returnPressed.connect(self._new_entered)
        self.repeat.returnPressed.connect(self._submit)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.ok)
        buttons.addWidget(cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(rule)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        fit_to_screen(self, QSize(460, 260))
        (self.new if forced else self.old).setFocus()

    def _new_entered(self) -> None:
        if self.repeat.text():
            self._submit()
        else:
            self.repeat.setFocus()

    def _submit(self) -> None:
        if not self.ok.isEnabled():
            return
        self.error.clear()
        self.ok.setEnabled(False)
        staff, actor = self._staff, self._actor
        old = self._old_typed if self._old_typed is not None else self.old.text()
        new, repeat = self.new.text(), self.repeat.text()
        self._ops.mutate(
            lambda: staff.change_own_password(actor, old, new, repeat),
            self._done,
            self._failed,
            changes=Changes.STAFF,
            parent=self,
            always=lambda: self.ok.setEnabled(True),
        )

    def _done(self, actor: Actor) -> None:
        self.changed = self.done_with = actor
        self._old_typed = None
        self.accept()

    def _failed(self, exc: HallError) -> None:
        self.error.setText(exc.text)
        if exc.field == "原密码":
            self.old.selectAll()
            self.old.setFocus()
        elif exc.field == "确认新密码":
            self.repeat.clear()
            self.repeat.setFocus()
        else:
            self.new.selectAll()
            self.repeat.clear()
            self.new.setFocus()

"""The login window: user name and password, checked off the GUI thread. When the password
must be changed (a supervisor reset it, or the account is new) the new one is asked for twice
before the login is accepted, so the main window opens only with a password of one's own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hall_app.domain.errors import HallError
from ui.ops import Changes, Operations

if TYPE_CHECKING:  # the dialog shows before the database layer has been imported
    from hall_app.services.actor import Actor
    from hall_app.services.auth import AuthService
    from hall_app.services.staff import StaffService
    from ui.login.change_password import ChangePasswordDialog


class LoginDialog(QDialog):
    def __init__(
        self,
        auth: AuthService | None,
        ops: Operations,
        subtitle: str,
        parent: QWidget | None = None,
        staff: StaffService | None = None,
    ) -> None:
        super().__init__(parent)
        self._auth = auth  # None while the app is still starting: a login waits for it
        self._staff = staff  # for a password to change at this login
        self._typed = ""  # the password of the login under way, while it is checked
        self.change_dialog: ChangePasswordDialog | None = None
        self._waiting = False
        self._ops = ops
        self.actor: Actor | None = None
        self.setWindowTitle("营业厅前台受理系统 — 登录")
        self.setObjectName("loginDialog")
        self.setMinimumWidth(420)

        title = QLabel("营业厅前台受理系统")
        title.setObjectName("loginTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        sub = self.subtitle = QLabel(subtitle)
        sub.setAlignment(Qt.AlignmentFlag.AlignCenter)
        sub.setObjectName("loginSubtitle")

        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.username.setPlaceholderText("工号或用户名")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("密码")
        self.error_label = QLabel("")
        self.error_label.setObjectName("loginError")
        self.error_label.setProperty("role", "error")
        self.error_label.setWordWrap(True)
        self.login_button = QPushButton("登录 (Enter)")
        self.login_button.setObjectName("loginButton")
        # Enter is handled per field (no dialog default button): in the user name it moves on,
        # in the password it logs in.
        self.login_button.setAutoDefault(False)
        self.login_button.setDefault(False)
        self.login_button.clicked.connect(self._submit)
        self.username.returnPressed.connect(self._username_entered)
        self.password.returnPressed.connect(self._submit)

        form = QFormLayout()
        form.addRow("用户名", self.username)
        form.addRow("密码", self.password)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(sub)
        layout.addSpacing(12)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.login_button)

    def _username_entered(self) -> None:
        if self.password.text():
            self._submit()
        else:
            self.password.setFocus()

    def set_auth(self, auth: AuthService, subtitle: str, staff: StaffService | None = None) -> None:
        """The app has finished starting; a login pressed meanwhile goes ahead now."""
        self._auth = auth
        if staff is not None:
            self._staff = staff
        self.subtitle.setText(subtitle)
        if self._waiting:
            self._waiting = False
            self.login_button.setEnabled(True)
            self._submit()

    def _submit(self) -> None:
        if not self.login_button.isEnabled():
            return
        self.error_label.clear()
        if self._auth is None:
            self._waiting = True
            self.login_button.setEnabled(False)
            self.login_button.setText("系统启动中，请稍候…")
            return
        self.login_button.setEnabled(False)
        self.login_button.setText("正在验证…")
        username, password = self.username.text(), self.password.text()
        self._typed = password
        auth = self._auth
        self._ops.mutate(  # a login writes: failure counts, lockouts, audit
            lambda: auth.log_in(username, password),
            self._logged_in,
            self._failed,
            changes=Changes.SESSION,
            parent=self,
            always=self._ready_again,
        )

    def _logged_in(self, actor: Actor) -> None:
        typed, self._typed = self._typed, ""
        if actor.must_change_password and self._staff is not None:
            self._ask_new_password(actor, typed)
            return
        self.actor = actor
        self.accept()

    def _ask_new_password(self, actor: Actor, typed: str) -> None:
        from ui.login.change_password import ChangePasswordDialog

        assert self._staff is not None
        self.login_button.setEnabled(False)
        self.login_button.setText("请先修改密码…")
        dialog = self.change_dialog = ChangePasswordDialog(
            self._staff, self._ops, actor, typed, self
        )
        dialog.finished.connect(lambda _result: self._password_chosen(dialog, actor))
        dialog.open()

    def _password_chosen(self, dialog: ChangePasswordDialog, actor: Actor) -> None:
        self.change_dialog = None
        dialog.deleteLater()
        if dialog.changed is not None:
            self.actor = dialog.changed
            self.accept()
            return
        # Not changed: no login. The sign-in that was accepted is closed in the audit.
        auth = self._auth
        assert auth is not None
        self._ops.mutate(lambda: auth.log_out(actor), changes=Changes.SESSION)
        self.login_button.setEnabled(True)
        self.login_button.setText("登录 (Enter)")
        self.error_label.setText("密码：须先设置新密码才能登录")
        self.password.clear()
        self.password.setFocus()

    def _ready_again(self) -> None:
        if self.actor is None and self.change_dialog is None:
            self.login_button.setEnabled(True)
            self.login_button.setText("登录 (Enter)")

    def _failed(self, exc: HallError) -> None:
        self.error_label.setText(exc.text)
        target = self.username if exc.field == "用户名" else self.password
        if target is self.password:
            self.password.selectAll()
        target.setFocus()

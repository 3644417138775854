"""The lock screen: 已锁定 — 窗口 X，员工 Y. The staff member's password unlocks; another
staff member may log in instead (the first one's unsaved work is discarded, after a
confirmation). Passwords are checked on the writer thread (argon2, failure counting), as the
login dialog does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hall_app.domain.errors import HallError
from ui import messages
from ui.keys import shortcut
from ui.login.change_password import password_field
from ui.ops import Changes, Operations

if TYPE_CHECKING:
    from hall_app.services.actor import Actor
    from hall_app.services.auth import AuthService
    from hall_app.services.staff import StaffService
    from ui.login.change_password import ChangePasswordDialog

UNLOCK_TEXT = "解锁 (Enter)"
SWITCH_TEXT = "登录并接替 (Enter)"


def lock_title(actor: Actor) -> str:
    return f"已锁定 — 窗口 {actor.counter_name}，员工 {actor.full_name}"


class LockScreen(QWidget):
    """``unlocked(actor)`` once the password was right; ``switched(actor)`` once another staff
    member logged in (``None``: they did not set their new password, nobody is logged in)."""

    unlocked = Signal(object)
    switched = Signal(object)

    def __init__(
        self,
        auth: AuthService,
        ops: Operations,
        actor: Actor,
        staff: StaffService | None = None,
    ) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self._auth, self._ops, self._staff = auth, ops, staff
        self.actor = actor
        self._checking = False
        self.change_dialog: ChangePasswordDialog | None = None
        self.setObjectName("lockScreen")
        self.setWindowTitle("营业厅前台受理系统 — 已锁定")

        panel = QFrame()
        panel.setObjectName("lockPanel")
        panel.setFixedWidth(520)
        self.title = QLabel(lock_title(actor))
        self.title.setObjectName("lockTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)
        hint = QLabel(
            "长时间无操作，系统已锁定，屏幕上的业务已隐藏。\n请输入密码解锁，业务将原样恢复。"
        )
        hint.setObjectName("lockHint")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)

        self.password = password_field("lockPassword", f"{actor.full_name} 的密码")
        self.password.returnPressed.connect(self.unlock)
        self.unlock_button = QPushButton(UNLOCK_TEXT)
        self.unlock_button.setObjectName("unlockButton")
        self.unlock_button.clicked.connect(self.unlock)

        self.switch_toggle = QPushButton("其他员工登录 (Alt+S)")
        self.switch_toggle.setObjectName("lockSwitchToggle")
        self.switch_toggle.clicked.connect(self.show_switch)
        shortcut(self, "Alt+S", self.show_switch)
        self.switch_box = QFrame()
        self.switch_box.setObjectName("lockSwitchBox")
        self.other_user = QLineEdit()
        self.other_user.setObjectName("lockOtherUser")
        self.other_user.setPlaceholderText("工号或用户名")
        self.other_user.setMaxLength(64)
        self.other_password = password_field("lockOtherPassword", "密码")
        self.other_user.returnPressed.connect(self.other_password.setFocus)
        self.other_password.returnPressed.connect(self.switch)
        self.switch_button = QPushButton(SWITCH_TEXT)
        self.switch_button.setObjectName("lockSwitchButton")
        self.switch_button.clicked.connect(self.switch)
        form = QFormLayout(self.switch_box)
        form.addRow(QLabel(f"接替后，{actor.full_name} 将被登出，其未保存的业务将被放弃。"))
        form.addRow("用户名", self.other_user)
        form.addRow("密码", self.other_password)
        form.addRow(self.switch_button)
        self.switch_box.setVisible(False)

        self.error_label = QLabel("")
        self.error_label.setObjectName("lockError")
        self.error_label.setProperty("role", "error")
        self.error_label.setWordWrap(True)
        for button in (self.unlock_button, self.switch_toggle, self.switch_button):
            button.setAutoDefault(False)
            button.setDefault(False)

        inner = QVBoxLayout(panel)
        inner.setContentsMargins(32, 28, 32, 28)
        inner.addWidget(self.title)
        inner.addWidget(hint)
        inner.addSpacing(12)
        inner.addWidget(self.password)
        inner.addWidget(self.unlock_button)
        inner.addWidget(self.error_label)
        inner.addSpacing(12)
        inner.addWidget(self.switch_toggle)
        inner.addWidget(self.switch_box)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(panel, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)

    def reset(self) -> None:
        """Empty, for the next lock (the screen is built once per sign-in)."""
        for field in (self.password, self.other_user, self.other_password):
            field.clear()
        self.error_label.clear()
        self.switch_box.setVisible(False)

    # -- unlocking -------------------------------------------------------------------------
    def unlock(self) -> None:
        if self._checking:
            return
        password = self.password.text()
        self._begin(self.unlock_button)
        auth, actor = self._auth, self.actor
        self._ops.mutate(  # a wrong password counts like a failed login
            lambda: auth.unlock_session(actor, password),
            self._unlocked,
            self._failed_unlock,
            changes=Changes.SESSION,
            parent=self,
            always=self._ready_again,
        )

    def _unlocked(self, actor: Actor) -> None:
        self.password.clear()
        self.error_label.clear()
        self.unlocked.emit(actor)

    def _failed_unlock(self, exc: HallError) -> None:
        self.error_label.setText(exc.text)
        self.password.selectAll()
        self.password.setFocus()

    # -- another staff member ----------------------------------------------------------------
    def show_switch(self) -> None:
        self.switch_box.setVisible(True)
        self.other_user.setFocus()

    def switch(self) -> None:
        if self._checking:
            return
        username, password = self.other_user.text().strip(), self.other_password.text()
        if username and username != self.actor.username:
            question = (
                f"{self.actor.full_name} 将被登出，其未保存的业务将被放弃。"
                f"确定由 {username} 接替吗？"
            )
            if not messages.confirm_default_no(self, question):
                return
        self._begin(self.switch_button)
        auth, actor = self._auth, self.actor
        self._ops.mutate(
            lambda: auth.switch_session(actor, username, password),
            lambda new: self._switched(new, password),
            self._failed_switch,
            changes=Changes.SESSION,
            parent=self,
            always=self._ready_again,
        )

    def _switched(self, actor: Actor, typed: str) -> None:
        self.other_password.clear()
        self.error_label.clear()
        if actor.staff_id == self.actor.staff_id:  # the locked one's own name: an unlock
            self.other_user.clear()
            self.switch_box.setVisible(False)
            self.unlocked.emit(actor)
            return
        if actor.must_change_password and self._staff is not None:
            self._ask_new_password(actor, typed)
            return
        self.switched.emit(actor)

    def _ask_new_password(self, actor: Actor, typed: str) -> None:
        from ui.login.change_password import ChangePasswordDialog

        assert self._staff is not None
        self._checking = True  # nothing else until the new password is chosen
        dialog = self.change_dialog = ChangePasswordDialog(
            self._staff, self._ops, actor, typed, self
        )
        dialog.finished.connect(lambda _result: self._password_chosen(dialog, actor))
        dialog.open()

    def _password_chosen(self, dialog: ChangePasswordDialog, actor: Actor) -> None:
        self.change_dialog = None
        self._checking = False
        dialog.deleteLater()
        if dialog.changed is not None:
            self.switched.emit(dialog.changed)
            return
        # Not changed: no login (as at the login window); the locked one is logged out already.
        auth = self._auth
        self._ops.mutate(lambda: auth.log_out(actor), changes=Changes.SESSION)
        self.switched.emit(None)

    def _failed_switch(self, exc: HallError) -> None:
        self.error_label.setText(exc.text)
        target = self.other_user if exc.field == "用户名" else self.other_password
        if target is self.other_password:
            self.other_password.selectAll()
        target.setFocus()

    # -- both --------------------------------------------------------------------------------
    def _begin(self, button: QPushButton) -> None:
        self._checking = True
        self.error_label.clear()
        button.setEnabled(False)
        button.setText("正在验证…")

    def _ready_again(self) -> None:
        if self.change_dialog is not None:
            return
        self._checking = False
        self.unlock_button.setEnabled(True)
        self.unlock_button.setText(UNLOCK_TEXT)
        self.switch_button.setEnabled(True)
        self.switch_button.setText(SWITCH_TEXT)

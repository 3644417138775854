"""The staff page's dialogs: a password reset (typed twice), a new account, and a choice (a
role, a default counter). Each calls the service through ``ops.mutate`` and shows a refusal in
place; ``done`` holds what the service returned."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hall_app.domain.enums import Role
from hall_app.domain.errors import HallError
from ui.login.change_password import RULE, password_field
from ui.ops import Changes, Operations
from ui.screen import fit_to_screen
from ui.widgets.fields import error_label

if TYPE_CHECKING:
    from hall_app.services.actor import Actor
    from hall_app.services.staff import CounterChoice, StaffService, StaffView

NO_COUNTER = "（不指定）"


class _ServiceDialog(QDialog):
    """OK runs ``work()`` as a write; a refusal goes to the error label, next to its field."""

    def __init__(self, ops: Operations, name: str, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWindowTitle(title)
        self._ops = ops
        self.done_with: Any = None
        self.fields: dict[str, QWidget] = {}  # the field a refusal names, by its label
        self.error = error_label(f"{name}Error")
        self.ok = QPushButton("确定 (Enter)")
        self.ok.setObjectName(f"{name}Ok")
        self.ok.clicked.connect(self.submit)
        cancel = QPushButton("取消 (Esc)")
        cancel.clicked.connect(self.reject)
        for b in (self.ok, cancel):
            b.setAutoDefault(False)
        self.buttons = QHBoxLayout()
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.ok)
        self.buttons.addWidget(cancel)

    def work(self) -> Callable[[], Any]:
        raise NotImplementedError

    def submit(self) -> None:
        if not self.ok.isEnabled():
            return
        self.error.clear()
        self.ok.setEnabled(False)
        self._ops.mutate(
            self.work(),
            self._succeeded,
            self._failed,
            changes=Changes.STAFF,
            parent=self,
            always=lambda: self.ok.setEnabled(True),
        )

    def _succeeded(self, value: Any) -> None:
        self.done_with = value
        self.accept()

    def _failed(self, exc: HallError) -> None:
        self.error.setText(exc.text)
        field = self.fields.get(exc.field or "")
        if field is not None:
            if isinstance(field, QLineEdit):
                field.selectAll()
            field.setFocus()


class ResetPasswordDialog(_ServiceDialog):
    """A supervisor gives a clerk a new password, typed twice; the clerk changes it at the
    next login."""

    def __init__(
        self,
        staff: StaffService,
        ops: Operations,
        actor: Actor,
        target: StaffView,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ops, "resetPasswordDialog", "重置密码", parent)
        self._staff, self._actor, self._target = staff, actor, target
        intro = QLabel(
            f"为 {target.full_name}（{target.username}，工号 {target.employee_no}）设置新密码。"
            "对方下次登录时须自行修改密码；重置同时解除锁定。"
        )
        intro.setWordWrap(True)
        intro.setObjectName("resetPasswordIntro")
        rule = QLabel(f"密码规则：{RULE}。")
        rule.setWordWrap(True)
        self.new = password_field("resetNew", "新密码")
        self.repeat = password_field("resetRepeat", "再次输入新密码")
        self.fields = {"新密码": self.new, "确认新密码": self.repeat}
        self.new.returnPressed.connect(self.repeat.setFocus)
        self.repeat.returnPressed.connect(self.submit)
        form = QFormLayout()
        form.addRow("新密码", self.new)
        form.addRow("确认新密码", self.repeat)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(rule)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(self.buttons)
        fit_to_screen(self, QSize(480, 260))
        self.new.setFocus()

    def work(self) -> Callable[[], Any]:
        staff, actor, target = self._staff, self._actor, self._target.id
        new, repeat = self.new.text(), self.repeat.text()
        return lambda: staff.reset_password(actor, target, new, repeat)

    def _failed(self, exc: HallError) -> None:
        super()._failed(exc)
        self.repeat.clear()


class NewStaffDialog(_ServiceDialog):
    """An admin opens an account: its initial password is changed at the first login."""

    def __init__(
        self,
        staff: StaffService,
        ops: Operations,
        actor: Actor,
        counters: Sequence[CounterChoice],
        parent: QWidget | None = None,
        *,
        example_no: str = "",
    ) -> None:
        super().__init__(ops, "newStaffDialog", "新建员工账号", parent)
        self._staff, self._actor = staff, actor
        self.username = QLineEdit()
        self.username.setObjectName("newUsername")
        self.username.setMaxLength(32)
        self.username.setPlaceholderText("3–32 位字母、数字")
        self.full_name = QLineEdit()
        self.full_name.setObjectName("newFullName")
        self.full_name.setMaxLength(32)
        self.employee_no = QLineEdit()
        self.employee_no.setObjectName("newEmployeeNo")
        self.employee_no.setMaxLength(16)
        # the hall's next free number (StaffService.next_employee_no)
        self.employee_no.setPlaceholderText(
            f"例如 {example_no}" if example_no else "如 FZ 加 4 位数字"
        )
        self.role = QComboBox()
        self.role.setObjectName("newRole")
        for role in Role:
            self.role.addItem(role.label, role.value)
        self.counter = counter_box("newCounter", counters, None)
        self.password = password_field("newPassword", "初始密码")
        self.repeat = password_field("newRepeat", "再次输入初始密码")
        self.fields = {
            "用户名": self.username,
            "姓名": self.full_name,
            "工号": self.employee_no,
            "角色": self.role,
            "默认窗口": self.counter,
            "初始密码": self.password,
            "确认初始密码": self.repeat,
        }
        chain: list[QLineEdit] = [
            self.username,
            self.full_name,
            self.employee_no,
            self.password,
            self.repeat,
        ]
        for here, nxt in itertools.pairwise(chain):
            here.returnPressed.connect(nxt.setFocus)
        self.repeat.returnPressed.connect(self.submit)
        form = QFormLayout()
        form.addRow("用户名", self.username)
        form.addRow("姓名", self.full_name)
        form.addRow("工号", self.employee_no)
        form.addRow("角色", self.role)
        form.addRow("默认窗口", self.counter)
        form.addRow("初始密码", self.password)
        form.addRow("确认初始密码", self.repeat)
        rule = QLabel(f"初始密码：{RULE}；员工首次登录时须修改。")
        rule.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(rule)
        layout.addWidget(self.error)
        layout.addLayout(self.buttons)
        fit_to_screen(self, QSize(480, 400))
        self.username.setFocus()

    def work(self) -> Callable[[], Any]:
        from hall_app.services.staff import NewStaff

        new = NewStaff(
            username=self.username.text(),
            full_name=self.full_name.text(),
            employee_no=self.employee_no.text(),
            role=Role(self.role.currentData()),
            default_counter_id=self.counter.currentData(),
            password=self.password.text(),
            repeat=self.repeat.text(),
        )
        staff, actor = self._staff, self._actor
        return lambda: staff.create(actor, new)


def counter_box(name: str, counters: Sequence[CounterChoice], current: object | None) -> QComboBox:
    box = QComboBox()
    box.setObjectName(name)
    box.addItem(NO_COUNTER, None)
    for c in counters:
        box.addItem(f"{c.name}（{c.code}）", c.id)
        if c.id == current:
            box.setCurrentIndex(box.count() - 1)
    return box


class ChoiceDialog(_ServiceDialog):
    """One choice from a list (a role, a default counter), saved by ``save(value)``."""

    def __init__(
        self,
        ops: Operations,
        *,
        name: str,
        title: str,
        text: str,
        label: str,
        box: QComboBox,
        save: Callable[[Any], Any],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ops, name, title, parent)
        self.box = box
        self._save = save
        self.fields = {label: box}
        intro = QLabel(text)
        intro.setWordWrap(True)
        form = QFormLayout()
        form.addRow(label, box)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(self.buttons)
        self.ok.setDefault(True)  # Enter on the list chooses
        fit_to_screen(self, QSize(420, 180))
        box.setFocus()

    def work(self) -> Callable[[], Any]:
        value, save = self.box.currentData(), self._save
        return lambda: save(value)


def role_box(current: Role) -> QComboBox:
    box = QComboBox()
    box.setObjectName("roleChoice")
    for role in Role:
        box.addItem(role.label, role.value)  # the value: a str enum crosses Qt as a str
        if role is current:
            box.setCurrentIndex(box.count() - 1)
    return box

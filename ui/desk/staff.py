"""员工账号 (Alt+5): the hall's staff with role, default counter, active and locked; a
supervisor unlocks an account and resets a password (typed twice, changed at the next login);
an admin also opens accounts, deactivates and reactivates them, and sets roles and default
counters. Every rule is the service's: the buttons only follow what would be refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from hall_app.clock import local
from hall_app.domain.enums import Role
from hall_app.domain.permissions import Permission
from hall_app.services.staff import CounterChoice, StaffView
from ui import messages
from ui.desk.pages import DeskContext
from ui.desk.staff_dialogs import (
    ChoiceDialog,
    NewStaffDialog,
    ResetPasswordDialog,
    counter_box,
    role_box,
)
from ui.format import when
from ui.keys import shortcut
from ui.login.change_password import ChangePasswordDialog
from ui.ops import ChangeEvent, Changes
from ui.table import RowsModel, make_table

HEADERS = ("工号", "姓名", "用户名", "角色", "默认窗口", "状态", "锁定", "须改密码", "最近登录")
SAMPLE = (
    "FZ0001",
    "欧阳晓燕",
    "clerk1_long",
    "系统管理员",
    "10号窗口（VIP）",
    "已停用",
    "至 18:45",
    "是",
    "2026-11-24 10:00",
)
PAGE = Qt.ShortcutContext.WidgetWithChildrenShortcut  # only while this page is shown


def row_of(v: StaffView) -> tuple[str, ...]:
    locked = f"至 {local(v.locked_until).strftime('%H:%M')}" if v.locked_until else "—"
    if not v.locked and v.failed_logins:
        locked = f"失败 {v.failed_logins} 次"
    return (
        v.employee_no,
        v.full_name,
        v.username,
        v.role.label,
        v.default_counter_name or "—",
        "在用" if v.active else "已停用",
        locked,
        "是" if v.must_change_password else "—",
        when(v.last_login_at) if v.last_login_at else "—",
    )


class StaffPage(QWidget):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("staffPage")
        self._ctx = ctx
        self._staff = ctx.app.staff
        self._actor = ctx.actor
        self._admin = ctx.actor.can(Permission.STAFF_ADMIN)
        self._views: list[StaffView] = []
        self._counters: list[CounterChoice] = []
        self._next_employee_no = ""  # the service's suggestion for 新建员工
        self._loaded = False
        self.dialog: QWidget | None = None  # the dialog open now (tests reach it)

        title = QLabel(f"员工账号 · {ctx.actor.hall_name}")
        title.setObjectName("staffTitle")
        title.setProperty("role", "heading")
        synced = ctx.app.link.configured
        note = QLabel(
            "联网营业厅：账号在中心数据库修改，其他窗口下次同步后生效；锁定和登录失败按窗口"
            "记录，此处显示本窗口的情况，解锁对全厅各窗口生效。"
            if synced
            else "连续输错密码的账号在此解锁；重置的密码须由员工在下次登录时修改。"
        )
        note.setObjectName("staffNote")
        note.setWordWrap(True)
        self.rows = RowsModel(list(HEADERS))
        self.table = make_table(self.rows, SAMPLE)
        self.table.setObjectName("staffTable")
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._follow())
        self.table.doubleClicked.connect(lambda _i: self.reset_password())
        self.count = QLabel("正在读取…")
        self.count.setObjectName("staffCount")

        self.unlock_button = self._button("解锁 (Ctrl+U)", "staffUnlock", "Ctrl+U", self.unlock)
        self.reset_button = self._button(
            "重置密码 (Ctrl+R)", "staffReset", "Ctrl+R", self.reset_password
        )
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(self.unlock_button)
        actions.addWidget(self.reset_button)
        self.new_button = self._button("新建员工 (Ctrl+N)", "staffNew", "Ctrl+N", self.new_staff)
        self.active_button = self._button(
            "停用 (Ctrl+D)", "staffActive", "Ctrl+D", self.toggle_active
        )
        self.role_button = self._button("修改角色 (Ctrl+J)", "staffRole", "Ctrl+J", self.set_role)
        self.counter_button = self._button(
            "默认窗口 (Ctrl+W)", "staffCounter", "Ctrl+W", self.set_counter
        )
        for b in (self.new_button, self.active_button, self.role_button, self.counter_button):
            b.setVisible(self._admin)  # the service refuses a supervisor anyway
            actions.addWidget(b)
        self.own_button = self._button(
            "修改我的密码 (Ctrl+M)", "staffOwnPassword", "Ctrl+M", self.change_own_password
        )
        # Not F5: the queue panel above the desk has F5 (开始办理) for the whole window, and
        # one key bound twice fires neither.
        refresh = QPushButton("刷新 (Ctrl+F5)")
        refresh.setAutoDefault(False)
        refresh.clicked.connect(self.refresh)
        shortcut(self, "Ctrl+F5", self.refresh, PAGE)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addSpacing(24)
        top.addWidget(self.count, 1)
        top.addWidget(self.own_button)
        top.addWidget(refresh)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(note)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        self.setFocusProxy(self.table)
        ctx.ops.changed.connect(self._on_changed)
        self._follow()

    def _button(self, text: str, name: str, key: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        shortcut(self, key, slot, PAGE)
        return button

    # -- reading --------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded:
            self._loaded = True
            self.refresh()

    def _on_changed(self, event: ChangeEvent) -> None:
        # STAFF: a change here; SESSION: a login counted or locked; SYNC: a pull brought some.
        if event.touches(Changes.STAFF | Changes.SESSION | Changes.SYNC):
            self.refresh()

    def refresh(self) -> None:
        staff, actor = self._staff, self._actor

        admin = self._admin

        def read() -> tuple[list[StaffView], list[CounterChoice], str]:
            example = staff.next_employee_no(actor) if admin else ""
            return staff.list_staff(actor), staff.counters(actor), example

        self._ctx.ops.query(read, self._show, parent=self)

    def _show(self, got: tuple[list[StaffView], list[CounterChoice], str]) -> None:
        chosen = self.selected()
        self._views, self._counters, self._next_employee_no = got
        self.rows.set_rows([row_of(v) for v in self._views], self._views)
        locked = sum(1 for v in self._views if v.locked)
        inactive = sum(1 for v in self._views if not v.active)
        self.count.setText(f"共 {len(self._views)} 人，锁定 {locked} 人，已停用 {inactive} 人")
        for i, v in enumerate(self._views):
            if chosen is not None and v.id == chosen.id:
                self.table.selectRow(i)
                break
        else:
            if self._views:
                self.table.selectRow(0)
        self._follow()

    def selected(self) -> StaffView | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        view: StaffView = self.rows.payload(rows[0].row())
        return view

    def select(self, username: str) -> None:
        for i, v in enumerate(self._views):
            if v.username == username:
                self.table.selectRow(i)
                return
        raise KeyError(username)

    def _follow(self) -> None:
        """The buttons follow the selected account: what the service would refuse is off."""
        v = self.selected()
        other = v is not None and v.id != self._actor.staff_id
        reachable = other and v is not None and (self._admin or v.role is not Role.ADMIN)
        active = reachable and v is not None and v.active
        self.unlock_button.setEnabled(active)
        self.reset_button.setEnabled(active)
        self.active_button.setEnabled(other)
        self.active_button.setText(
            "启用 (Ctrl+D)" if v is not None and not v.active else "停用 (Ctrl+D)"
        )
        self.role_button.setEnabled(other)
        self.counter_button.setEnabled(v is not None)

    # -- supervisors ----------------------------------------------------------------------------
    def unlock(self) -> None:
        v = self.selected()
        if v is None or not self.unlock_button.isEnabled():
            return
        staff, actor, target = self._staff, self._actor, v.id
        self._write(
            lambda: staff.unlock(actor, target), f"已解锁 {v.full_name}（{v.username}）的账号"
        )

    def reset_password(self) -> None:
        v = self.selected()
        if v is None or not self.reset_button.isEnabled():
            return
        dialog = ResetPasswordDialog(self._staff, self._ctx.ops, self._actor, v, self)
        self._open(
            dialog,
            lambda _got: messages.info(
                self,
                f"已重置 {v.full_name}（{v.username}）的密码，对方下次登录时须修改密码。",
                title="重置密码",
            ),
        )

    def change_own_password(self) -> None:
        dialog = ChangePasswordDialog(self._staff, self._ctx.ops, self._actor, None, self)
        self._open(dialog, lambda _got: messages.info(self, "密码已修改", title="修改密码"))

    # -- admins -------------------------------------------------------------------------------
    def new_staff(self) -> None:
        if not self._admin:
            return
        dialog = NewStaffDialog(
            self._staff,
            self._ctx.ops,
            self._actor,
            self._counters,
            self,
            example_no=self._next_employee_no,
        )
        self._open(dialog, self._created)

    def toggle_active(self) -> None:
        v = self.selected()
        if v is None or not self._admin or not self.active_button.isEnabled():
            return
        staff, actor, target = self._staff, self._actor, v.id
        if v.active:
            if not messages.confirm(
                self,
                f"停用 {v.full_name}（{v.username}）的账号？停用后不能再登录，历史记录保留。",
                title="停用账号",
            ):
                return
            self._write(lambda: staff.deactivate(actor, target), f"已停用 {v.full_name} 的账号")
        else:
            self._write(lambda: staff.reactivate(actor, target), f"已启用 {v.full_name} 的账号")

    def set_role(self) -> None:
        v = self.selected()
        if v is None or not self._admin or not self.role_button.isEnabled():
            return
        staff, actor, target = self._staff, self._actor, v.id
        dialog = ChoiceDialog(
            self._ctx.ops,
            name="roleDialog",
            title="修改角色",
            text=f"{v.full_name}（{v.username}）现为{v.role.label}。",
            label="角色",
            box=role_box(v.role),
            save=lambda value: staff.set_role(actor, target, Role(value)),
            parent=self,
        )
        self._open(dialog, None)

    def set_counter(self) -> None:
        v = self.selected()
        if v is None or not self._admin:
            return
        staff, actor, target = self._staff, self._actor, v.id
        dialog = ChoiceDialog(
            self._ctx.ops,
            name="counterDialog",
            title="默认窗口",
            text=f"{v.full_name}（{v.username}）在未指定窗口的电脑上登录时使用的窗口。",
            label="默认窗口",
            box=counter_box("counterChoice", self._counters, v.default_counter_id),
            save=lambda value: staff.set_default_counter(actor, target, value),
            parent=self,
        )
        self._open(dialog, None)

    # -- helpers -------------------------------------------------------------------------------
    def _write(self, work: Callable[[], Any], done: str) -> None:
        self._ctx.ops.mutate(
            work,
            lambda _v: messages.info(self, done, title="员工账号"),
            lambda exc: messages.warning(self, exc.text, title="员工账号"),
            changes=Changes.STAFF,
            parent=self,
        )

    def _open(self, dialog: Any, then: Callable[[Any], None] | None) -> None:
        self.dialog = dialog

        def finished(result: int) -> None:
            self.dialog = None
            if result and then is not None:
                then(dialog.done_with)
            dialog.deleteLater()

        dialog.finished.connect(finished)
        dialog.open()

    def _created(self, view: StaffView) -> None:
        messages.info(
            self,
            f"已新建 {view.full_name}（{view.username}）的账号，首次登录时须修改初始密码。",
            title="新建员工",
        )

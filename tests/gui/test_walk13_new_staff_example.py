"""Walk-through of issue 13, as admin1: 员工账号 (Alt+5) → 新建员工 (Ctrl+N).

The 工号 field's example reads "例如 FZ0007"; the admin typed it and was told "工号 FZ0007
已被使用" (张伟, clerk3). The example should not name a number already taken (e.g. show the
hall's next free one, FZ0009 in the demo)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import Staff
from hall_app.demo.reference import DEMO_PASSWORD
from ui.desk.pages import DeskContext
from ui.desk.staff import StaffPage
from ui.desk.staff_dialogs import NewStaffDialog
from ui.ops import Operations


def test_the_employee_no_example_is_not_taken(qtbot: QtBot, hall: HallApp, ops: Operations) -> None:
    admin = hall.auth.log_in("admin1", DEMO_PASSWORD)
    page = StaffPage(DeskContext(hall, admin, ops))
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.rows.rowCount() > 0, timeout=10_000)
    qtbot.keyClick(page.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = page.dialog
    assert isinstance(dialog, NewStaffDialog)
    with hall.db.read() as s:
        taken = set(s.scalars(select(Staff.employee_no)))
    example = dialog.employee_no.placeholderText().removeprefix("例如").strip()
    assert example not in taken, f"{example} belongs to a staff member already"

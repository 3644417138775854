"""The desk's 敏感信息查看 page: the day's unmasked views with who, when, the window, the screen
and the customer masked; another day by the date; a clerk is refused by the service."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QDate
from pytestqt.qtbot import QtBot

from hall_app.app import HallApp
from hall_app.clock import business_date
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.services.actor import Actor
from tests.conftest import DEMO_DAYS
from tests.gui.conftest import ShownMessages
from tests.integration.test_open_mobile import _customer_without_mobile
from ui.desk.pages import DeskContext, desk_pages
from ui.desk.sensitive import SensitiveViewsPage
from ui.desk.window import SupervisorDesk
from ui.ops import Operations

WAIT = 15_000
SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"


def _cells(page: SensitiveViewsPage, row: int) -> list[str]:
    m = page.model
    return [str(m.data(m.index(row, c))) for c in range(m.columnCount())]


def test_the_supervisor_reviews_the_days_unmasked_views(
    qtbot: QtBot,
    hall: HallApp,
    clerk: Actor,
    supervisor: Actor,
    ops: Operations,
    shown: ShownMessages,
) -> None:
    for skip in range(3):
        hall.customers.get_customer_record(supervisor, _customer_without_mobile(hall, skip))
    hall.customers.get_customer_record(clerk, _customer_without_mobile(hall, 4))  # masked
    assert "sensitive" in [p.key for p in desk_pages(supervisor)]
    desk = SupervisorDesk(DeskContext(hall, supervisor, ops))
    qtbot.addWidget(desk)
    desk.resize(1366, 768)
    desk.show()
    page = desk.go_to_key("sensitive")
    assert isinstance(page, SensitiveViewsPage)
    qtbot.waitUntil(lambda: page.shown is not None, timeout=WAIT)
    assert page.model.rowCount() == 3
    today = business_date(hall.clock())
    first = _cells(page, 0)
    assert first[1] == f"{supervisor.full_name}（{supervisor.employee_no}）"
    assert first[2] == supervisor.counter_name and first[3] == "客户资料"
    assert "*" in first[4]
    assert page.count.text() == f"{today.isoformat()} 共 3 次查看"
    if os.environ.get("HALL_SCREENS"):
        qtbot.wait(200)
        assert desk.grab().save(str(SCREENS / "desk-sensitive-1366.png"))

    # Who viewed: the supervisor's three, nobody else's.
    qtbot.waitUntil(lambda: page.viewer.count() > 2, timeout=WAIT)
    mine = page.viewer.findData(str(supervisor.staff_id))
    other = page.viewer.findData(str(hall.auth.log_in("super2", DEMO_PASSWORD).staff_id))
    assert mine > 0 and other > 0 and page.viewer.itemText(0) == "全部员工"
    page.viewer.setCurrentIndex(mine)
    qtbot.waitUntil(lambda: supervisor.full_name in page.count.text(), timeout=WAIT)
    assert page.model.rowCount() == 3 and page.count.text().endswith("共 3 次查看")
    page.viewer.setCurrentIndex(other)
    qtbot.waitUntil(lambda: "郑建国" in page.count.text(), timeout=WAIT)
    assert page.model.rowCount() == 0 and "郑建国" in page.status.text()
    page.viewer.setCurrentIndex(0)

    # The demo's days: its supervisors' views, from the first start on.
    yesterday = today - timedelta(days=1)
    page.date.setDate(QDate(yesterday.year, yesterday.month, yesterday.day))
    qtbot.waitUntil(lambda: page.count.text().startswith(yesterday.isoformat()), timeout=WAIT)
    assert page.model.rowCount() > 0
    names = {_cells(page, r)[1] for r in range(page.model.rowCount())}
    assert names <= {"黄丽华（FZ0003）", "郑建国（FZ0004）"}
    assert all("*" in _cells(page, r)[4] for r in range(page.model.rowCount()))
    if os.environ.get("HALL_SCREENS"):
        qtbot.wait(200)
        assert desk.grab().save(str(SCREENS / "desk-sensitive-demo-1366.png"))

    before = today - timedelta(days=DEMO_DAYS + 2)  # before the demo's days
    page.date.setDate(QDate(before.year, before.month, before.day))
    qtbot.waitUntil(lambda: page.count.text().startswith(before.isoformat()), timeout=WAIT)
    assert page.model.rowCount() == 0 and "没有" in page.status.text()
    assert shown.items == []
    desk.stop()


def test_a_clerk_is_refused_on_the_page_itself(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations
) -> None:
    page = SensitiveViewsPage(DeskContext(hall, clerk, ops))
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: "权限" in page.status.text(), timeout=WAIT)
    assert page.shown is None and page.model.rowCount() == 0

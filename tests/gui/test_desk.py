"""The supervisor's desk (主管工作台): a supervisor opens it from the main window (F12 or the
navigation), reviews a day's queue (排队日报) with its filters, tables and charts, a month, and
exports the review to .xlsx and PDF; a clerk's window has no desk, and the service refuses a
clerk even on the page itself."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDateTimeEdit, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from hall_app.app import HallApp
from hall_app.clock import business_date
from hall_app.db.models import QueueTicket, ServiceType
from hall_app.services.actor import Actor
from tests.gui.conftest import ShownMessages
from tests.gui.test_customer_search import _logged_in
from tests.gui.test_open_mobile_wizard import pdf_text
from ui.app import Session
from ui.desk import queue_review
from ui.desk.pages import DeskContext, desk_pages
from ui.desk.queue_review import QueueReviewPage
from ui.main_window.window import MainWindow
from ui.ops import Operations

WAIT = 15_000
DAY = date(2026, 11, 23)  # a whole past day of the demo (its today is 2026-11-24)


def _nav_texts(window: MainWindow) -> list[str]:
    return [window.nav.item(i).text() for i in range(window.nav.count())]


def _tickets(
    hall: HallApp, actor: Actor, first: date, last: date, code: str | None = None
) -> set[str]:
    with hall.db.read() as s:
        query = (
            select(QueueTicket.ticket_no)
            .join(ServiceType, ServiceType.id == QueueTicket.service_type_id)
            .where(
                QueueTicket.hall_id == actor.hall_id,
                QueueTicket.business_date >= first,
                QueueTicket.business_date <= last,
            )
        )
        if code is not None:
            query = query.where(ServiceType.code == code)
        return set(s.scalars(query))


def _column(page: QueueReviewPage, key: str, column: int) -> list[str]:
    model = page.models[key]
    return [str(model.data(model.index(r, column))) for r in range(model.rowCount())]


def _reviewed(qtbot: QtBot, page: QueueReviewPage, first: date) -> None:
    qtbot.waitUntil(
        lambda: page.reviewed is not None and page.reviewed.report.first_day == first,
        timeout=WAIT,
    )
    assert page.reviewed is not None
    if not page.reviewed.report.empty:  # the charts drawn, in a reader thread
        qtbot.waitUntil(
            lambda: all(v.image is not None for v in page.charts.values()), timeout=WAIT
        )


def _open_review(qtbot: QtBot, session: Session) -> tuple[MainWindow, QueueReviewPage]:
    window = _logged_in(qtbot, session, "super1")
    assert "主管工作台  (F12)" in _nav_texts(window)
    assert window.desk is None  # built when first opened
    qtbot.keyClick(window.customers.query, Qt.Key.Key_F12)
    desk = window.desk
    assert desk is not None
    qtbot.addWidget(desk)
    qtbot.waitUntil(desk.isActiveWindow, timeout=WAIT)  # a window of its own, in front
    assert desk.isWindow() and desk.windowTitle().startswith("主管工作台")
    qtbot.keyClick(desk, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    page = desk.built("queue_review")
    assert isinstance(page, QueueReviewPage) and page.isVisible()
    assert desk.tabs.currentWidget().isAncestorOf(page)
    return window, page


def test_a_clerk_has_no_desk(qtbot: QtBot, session: Session, shown: ShownMessages) -> None:
    window = _logged_in(qtbot, session, "clerk1")
    assert not any("主管工作台" in text for text in _nav_texts(window))
    qtbot.keyClick(window, Qt.Key.Key_F12)
    assert window.desk is None
    assert window.pages.count() == 1
    assert desk_pages(window.actor) == []


def test_the_report_service_refuses_a_clerk_on_the_page_itself(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    page = QueueReviewPage(DeskContext(hall, clerk, ops))
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: "没有" in page.status.text(), timeout=WAIT)
    assert "权限" in page.status.text()
    assert page.reviewed is None
    assert not page.xlsx_button.isEnabled() and not page.pdf_button.isEnabled()


def test_a_supervisor_opens_the_desk_and_goes_back(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    window, _page = _open_review(qtbot, session)
    desk = window.desk
    assert desk is not None
    assert [p.key for p in desk.pages] == [p.key for p in desk_pages(window.actor)]
    assert [p.shortcut for p in desk.pages] == sorted(p.shortcut for p in desk.pages)
    # F12 in the desk: back to the counter's window (its queue keys), the desk stays open
    qtbot.keyClick(desk, Qt.Key.Key_F12)
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT)
    assert desk.isVisible()
    desk.close()
    window.nav.setCurrentRow(_nav_texts(window).index("主管工作台  (F12)"))  # the navigation
    qtbot.waitUntil(desk.isVisible, timeout=WAIT)
    assert window.desk is desk  # the same desk, not built again
    assert window.nav.currentRow() == 0 and window.customers.isVisible()  # the work area kept
    window.leave_confirmed = True
    window.close()
    assert not desk.isVisible()  # closes with the main window
    assert shown.items == []


def test_a_supervisor_reviews_a_day_filters_it_and_exports_it(
    qtbot: QtBot,
    session: Session,
    shown: ShownMessages,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window, page = _open_review(qtbot, session)
    hall, actor = session.hall, window.actor
    assert hall is not None
    today = business_date(hall.clock())
    _reviewed(qtbot, page, today)  # today's by default
    # the day typed into the date field, Enter reviews it
    page.date.setFocus()
    page.date.setSelectedSection(QDateTimeEdit.Section.DaySection)
    qtbot.keyClicks(page.date, f"{DAY.day:02d}")
    qtbot.keyClick(page.date, Qt.Key.Key_Return)
    _reviewed(qtbot, page, DAY)
    expected = _tickets(hall, actor, DAY, DAY)
    assert expected, "the demo has tickets that day"
    assert set(_column(page, "reviewTickets", 0)) == expected
    total = page.models["reviewByService"].rowCount() - 1  # the last row is 合计
    assert _column(page, "reviewByService", 0)[total] == "合计"
    assert _column(page, "reviewByService", 1)[total] == str(len(expected))
    assert sum(int(n) for n in _column(page, "reviewByService", 1)[:total]) == len(expected)
    assert sum(int(n) for n in _column(page, "reviewPeriods", 1)) == len(expected)
    assert f"到达 {len(expected)}" in page.summary.text()
    assert page.reviewed is not None and not page.reviewed.report.empty

    # one service type: only its tickets, in the tables and the title
    with hall.db.read() as s:
        code, letter, name = s.execute(
            select(ServiceType.code, ServiceType.letter, ServiceType.name)
            .join(QueueTicket, QueueTicket.service_type_id == ServiceType.id)
            .where(QueueTicket.business_date == DAY)
            .group_by(ServiceType.code, ServiceType.letter, ServiceType.name)
            .order_by(func.count().desc())
        ).first()
    page.service.setCurrentIndex(page.service.findData(code))
    qtbot.keyClick(page.service, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(
        lambda: page.reviewed is not None and page.reviewed.query.service_code == code,
        timeout=WAIT,
    )
    only = _tickets(hall, actor, DAY, DAY, code)
    assert 0 < len(only) < len(expected)
    assert set(_column(page, "reviewTickets", 0)) == only
    assert f"业务类型：{letter} {name}" in page.summary.text()

    # exported: the workbook's tickets and the PDF's text are this review's
    asked: list[str] = []

    def save_to(_parent: QWidget, _title: str, suggested: str, _pattern: str) -> str:
        asked.append(suggested)
        return str(tmp_path / Path(suggested).stem)  # no suffix typed: it is added

    monkeypatch.setattr(queue_review, "_ask_save_path", save_to)
    qtbot.keyClick(page.summary, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    xlsx = tmp_path / f"排队日报-{DAY.isoformat()}.xlsx"
    qtbot.waitUntil(lambda: str(xlsx) in page.exported, timeout=WAIT)
    book = openpyxl.load_workbook(xlsx, read_only=True)
    assert book.sheetnames == ["指标", "排队明细"]
    rows = list(book["排队明细"].iter_rows(values_only=True))
    assert {str(r[0]) for r in rows[1:]} == only
    qtbot.mouseClick(page.pdf_button, Qt.MouseButton.LeftButton)  # Ctrl+P: the month's test
    pdf = tmp_path / f"排队日报-{DAY.isoformat()}.pdf"
    qtbot.waitUntil(lambda: str(pdf) in page.exported, timeout=WAIT)
    text = pdf_text(pdf)
    assert DAY.isoformat() in text and name in text
    assert asked == [xlsx.name, pdf.name]
    assert f"已导出：{pdf}" in page.status.text()
    assert shown.items == []


def test_a_month_and_an_empty_day(
    qtbot: QtBot,
    session: Session,
    shown: ShownMessages,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window, page = _open_review(qtbot, session)
    hall = session.hall
    assert hall is not None
    today = business_date(hall.clock())
    _reviewed(qtbot, page, today)
    page.mode.setCurrentIndex(page.mode.findData(queue_review.MONTH))
    page.query_button.click()
    first = today.replace(day=1)
    _reviewed(qtbot, page, first)
    assert page.reviewed is not None
    report = page.reviewed.report
    assert report.last_day == today
    assert len(_column(page, "reviewPeriods", 0)) == today.day  # one period a day
    assert set(_column(page, "reviewTickets", 0)) == _tickets(hall, window.actor, first, today)
    monkeypatch.setattr(
        queue_review, "_ask_save_path", lambda _p, _t, name, _f: str(tmp_path / name)
    )
    qtbot.keyClick(page.summary, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    pdf = tmp_path / f"排队月报-{first:%Y-%m}.pdf"
    qtbot.waitUntil(lambda: str(pdf) in page.exported, timeout=WAIT)
    assert f"{first.isoformat()} 至 {today.isoformat()}" in pdf_text(pdf)
    # a day without tickets: an empty review that says so, charts included
    page.mode.setCurrentIndex(page.mode.findData(queue_review.DAY))
    page.date.setDate(page.date.date().addDays(-20))
    page.query_button.click()
    qtbot.waitUntil(
        lambda: page.reviewed is not None and page.reviewed.query.mode == queue_review.DAY,
        timeout=WAIT,
    )
    assert page.reviewed.report.empty
    assert "当日无排队记录" in page.summary.text()
    assert all(v.image is None and "当日无排队记录" in v.text for v in page.charts.values())
    assert all(page.models[k].rowCount() == 0 for k in ("reviewTickets", "reviewByClerk"))
    assert shown.items == []

"""Kiosk mode: touch a service, get a printed slip with barcode, people ahead and wait."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import QueueTicket
from hall_app.domain.enums import TicketStatus
from hall_app.services.actor import Actor
from tests.gui.conftest import ShownMessages
from tests.gui.test_open_mobile_wizard import WAIT
from ui.kiosk.window import KioskWindow
from ui.ops import Changes, Operations


def _text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_two_customers_take_tickets(
    qtbot: QtBot,
    hall: HallApp,
    clerk: Actor,
    ops: Operations,
    tmp_path: Path,
    shown: ShownMessages,
) -> None:
    printed: list[Path] = []

    def printer() -> QPrinter:
        p = QPrinter(QPrinter.PrinterMode.HighResolution)
        p.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printed.append(tmp_path / f"slip-{len(printed) + 1}.pdf")
        p.setOutputFileName(str(printed[-1]))
        return p

    kiosk = KioskWindow(hall, clerk, ops, printer)
    qtbot.addWidget(kiosk)
    kiosk.show()
    qtbot.waitUntil(lambda: "general" in kiosk.buttons, timeout=WAIT)
    assert "等候 0 人" in kiosk.buttons["general"].text()
    for expected_no, ahead in (("A001", 0), ("A002", 1)):
        qtbot.mouseClick(kiosk.buttons["general"], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda n=expected_no: (
                kiosk.last_ticket is not None and kiosk.last_ticket.ticket_no == n
            ),
            timeout=WAIT,
        )
        assert f"您的号码 {expected_no}" in kiosk.result.text()
        assert f"前面还有 {ahead} 人" in kiosk.result.text() and "请取走号票" in kiosk.result.text()
        assert printed[-1].read_bytes().startswith(b"%PDF")  # went to the printer
        slip = tmp_path / f"{expected_no}.pdf"
        assert kiosk.last_slip is not None
        slip.write_bytes(kiosk.last_slip)
        text = _text(slip)
        assert expected_no in text and "综合业务" in text
        assert f"您前面还有 {ahead} 人等候" in text and "预计等候" in text
        assert f"20261124{expected_no}" in text  # the barcode's human-readable line
    qtbot.waitUntil(lambda: "等候 2 人" in kiosk.buttons["general"].text(), timeout=WAIT)
    with hall.db.read() as s:
        waiting = s.scalars(
            select(QueueTicket.ticket_no).where(QueueTicket.status == TicketStatus.WAITING)
        ).all()
        assert sorted(waiting) == ["A001", "A002"]
    assert not shown.items


@pytest.mark.qt_log_ignore("QPainter::begin")  # the broken printer, as intended
def test_a_broken_printer_still_shows_the_number(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    def broken() -> QPrinter:
        p = QPrinter(QPrinter.PrinterMode.HighResolution)
        p.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        p.setOutputFileName("/nonexistent-dir/slip.pdf")  # cannot be opened
        return p

    kiosk = KioskWindow(hall, clerk, ops, broken)
    qtbot.addWidget(kiosk)
    qtbot.waitUntil(lambda: "billing" in kiosk.buttons, timeout=WAIT)
    qtbot.mouseClick(kiosk.buttons["billing"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: kiosk.last_ticket is not None, timeout=WAIT)
    assert "号票打印失败，请记下您的号码" in kiosk.result.text()
    assert "B001" in kiosk.result.text() and kiosk.buttons["billing"].isEnabled()


def test_kiosk_mode_after_staff_login(qtbot: QtBot, hall: HallApp, ops: Operations) -> None:
    from ui.app import Session

    session = Session(hall, ops, kiosk=True)
    login = session.show_login()
    qtbot.addWidget(login)
    qtbot.keyClicks(login.username, "clerk1")
    qtbot.keyClicks(login.password, "hall1234")
    qtbot.keyClick(login.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: session.kiosk_window is not None, timeout=WAIT)
    kiosk = session.kiosk_window
    assert kiosk is not None and session.window is None
    qtbot.waitUntil(lambda: len(kiosk.buttons) == 4, timeout=WAIT)
    qtbot.keyClick(
        kiosk, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    qtbot.waitUntil(lambda: session.kiosk_window is None, timeout=WAIT)
    assert session.login is not None and session.login.isVisible()
    ops.wait_idle()
    session.login.close()


def test_the_counts_follow_a_ticket_issued_elsewhere_in_the_app(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    """A ticket issued by another screen of this app (a demo arrival, a walk-in) is announced,
    and the kiosk's counts follow at once instead of at its next 10-second poll."""
    kiosk = KioskWindow(hall, clerk, ops)
    qtbot.addWidget(kiosk)
    kiosk.show()
    qtbot.waitUntil(lambda: "general" in kiosk.buttons, timeout=WAIT)
    assert "等候 0 人" in kiosk.buttons["general"].text()
    ops.mutate(lambda: hall.queue.issue_ticket(clerk, "general"), changes=Changes.QUEUE)
    qtbot.waitUntil(lambda: "等候 1 人" in kiosk.buttons["general"].text(), timeout=2_000)
    assert not shown.items

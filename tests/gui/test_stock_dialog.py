"""终端入库 as a supervisor does it: IMEIs scanned one by one (keystrokes then Enter, a mistyped
one and a double scan refused inline), then a GBK delivery file checked with its per-row
errors shown and only the valid rows imported after 确认导入; and the 终端库存 list."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from hall_app.app import HallApp
from hall_app.db.models import Device
from hall_app.domain.enums import DeviceStatus
from hall_app.services.actor import Actor
from tests.gui.conftest import ShownMessages
from tests.gui.test_customer_search import _logged_in
from tests.stock_fixtures import handset_codes, imei, stocked_imei, write_csv, wrong_digit
from ui.app import Session
from ui.ops import ChangeEvent, Changes, Operations
from ui.stock.listing import StockListDialog
from ui.stock.receive import ReceiveStockDialog

WAIT = 10_000
USABLE = QSize(1366, 728)  # a 1366×768 monitor less a 40 px taskbar
SHOTS = Path(os.environ.get("HALL_SHOTS", "")) if os.environ.get("HALL_SHOTS") else None
CTRL = Qt.KeyboardModifier.ControlModifier


def _units(hall: HallApp, imeis: list[str]) -> dict[str, DeviceStatus]:
    with hall.db.read() as s:
        found = s.execute(select(Device.imei, Device.status).where(Device.imei.in_(imeis)))
        return {i: st for i, st in found}


def _count(hall: HallApp) -> int:
    with hall.db.read() as s:
        return s.scalar(select(func.count()).select_from(Device)) or 0


def _shot(widget: ReceiveStockDialog | StockListDialog, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(SHOTS / name))


def _dialog(qtbot: QtBot, hall: HallApp, actor: Actor, ops: Operations) -> ReceiveStockDialog:
    dialog = ReceiveStockDialog(hall.stock, actor, ops)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.model_box.count() > 0, timeout=WAIT)
    frame = dialog.frameGeometry().size()
    assert frame.width() <= USABLE.width() and frame.height() <= USABLE.height()
    return dialog


def _scan(qtbot: QtBot, dialog: ReceiveStockDialog, text: str) -> None:
    qtbot.keyClicks(dialog.imei, text)
    qtbot.keyClick(dialog.imei, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog._checking, timeout=WAIT)


def test_scanning_checks_each_imei_and_receives_them_together(
    qtbot: QtBot, hall: HallApp, supervisor: Actor, ops: Operations, shown: ShownMessages
) -> None:
    events: list[ChangeEvent] = []
    ops.changed.connect(events.append)
    dialog = _dialog(qtbot, hall, supervisor, ops)
    dialog.model_box.setCurrentIndex(1)
    product_id = dialog.model_box.currentData()
    _scan(qtbot, dialog, imei(1))
    _scan(qtbot, dialog, imei(2))
    assert dialog.scanned == [imei(1), imei(2)] and dialog.list.count() == 2
    assert dialog.scan_message.property("role") == "ok"
    _scan(qtbot, dialog, wrong_digit(imei(3)))
    assert dialog.scan_message.property("role") == "error"
    assert "校验位错误" in dialog.scan_message.text()
    _shot(dialog, "stock-receive-scan-error.png")
    _scan(qtbot, dialog, imei(1))
    assert "已在本次入库列表中（第 1 条）" in dialog.scan_message.text()
    old = stocked_imei(hall)
    _scan(qtbot, dialog, old)
    assert f"{old} 已入库" in dialog.scan_message.text()
    _scan(qtbot, dialog, imei(3))
    assert dialog.scanned == [imei(1), imei(2), imei(3)]
    assert dialog.receive_button.text() == "确认入库 3 台 (Ctrl+Enter)"
    _shot(dialog, "stock-receive-scan.png")
    assert _units(hall, [imei(1), imei(2), imei(3)]) == {}  # nothing saved while scanning
    qtbot.keyClick(dialog.imei, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: not dialog.scanned and not ops.busy, timeout=WAIT)
    assert _units(hall, [imei(1), imei(2), imei(3)]) == dict.fromkeys(
        [imei(1), imei(2), imei(3)], DeviceStatus.IN_STOCK
    )
    with hall.db.read() as s:
        assert set(s.scalars(select(Device.product_id).where(Device.imei == imei(1)))) == {
            product_id
        }
    assert "已入库" in dialog.scan_message.text() and "3 台" in dialog.scan_message.text()
    assert any(e.touches(Changes.STOCK) for e in events)
    assert not shown.items


def test_a_delivery_file_shows_its_row_errors_and_imports_only_the_valid_rows(
    qtbot: QtBot,
    hall: HallApp,
    supervisor: Actor,
    ops: Operations,
    shown: ShownMessages,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, b = handset_codes(hall)[:2]
    rows = [(imei(20 + k), a if k % 2 else b, "到货") for k in range(40)]
    rows += [
        (wrong_digit(imei(90)), a, ""),
        (imei(20), b, ""),  # the first row's IMEI again
        (stocked_imei(hall), a, ""),
        (imei(91), "NO_SUCH", ""),
    ]
    path = write_csv(tmp_path / "到货清单.csv", rows, encoding="gbk")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    dialog = _dialog(qtbot, hall, supervisor, ops)
    qtbot.keyClick(dialog, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    assert dialog.tabs.currentIndex() == 1
    total = _count(hall)
    qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=WAIT)
    table = dialog.errors
    assert table.rowCount() == 4
    cells = [[table.index(r, c).data() for c in range(4)] for r in range(4)]
    assert [c[0] for c in cells] == ["42", "43", "44", "45"]
    assert cells[1][3] == f"{imei(20)} 与第 2 行重复"
    assert cells[3][2] == "型号编码" and "NO_SUCH" in cells[3][3]
    assert "共 44 行，有效 40 行，有误 4 行" in dialog.file_summary.text()
    assert dialog.file_summary.property("role") == "error"
    assert dialog.import_button.isEnabled() and dialog.import_button.text() == "确认导入 40 条"
    assert _count(hall) == total  # checked, nothing saved yet
    _shot(dialog, "stock-import-errors.png")
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.report is None and not ops.busy, timeout=WAIT)
    assert shown.items[0][0] == "question" and "有误的 4 行不会导入" in shown.items[0][2]
    assert _count(hall) == total + 40
    assert "已导入 到货清单.csv：40 台" in dialog.file_summary.text()
    assert len(_units(hall, [imei(20 + k) for k in range(40)])) == 40
    assert not dialog.import_button.isEnabled()


def test_a_malformed_file_is_named_and_nothing_can_be_imported(
    qtbot: QtBot,
    hall: HallApp,
    supervisor: Actor,
    ops: Operations,
    tmp_path: Path,
) -> None:
    path = tmp_path / "照片.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    dialog = _dialog(qtbot, hall, supervisor, ops)
    dialog.check(str(path))
    qtbot.waitUntil(lambda: dialog.file_summary.property("role") == "error", timeout=WAIT)
    assert "照片.csv" in dialog.file_summary.text() and "二进制" in dialog.file_summary.text()
    assert not dialog.import_button.isEnabled() and dialog.choose_button.isEnabled()


def test_the_stock_list_counts_units_by_model_and_follows_a_delivery(
    qtbot: QtBot, hall: HallApp, supervisor: Actor, ops: Operations
) -> None:
    dialog = StockListDialog(hall.stock, supervisor, ops)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: bool(dialog.shown), timeout=WAIT)
    first = dialog.shown[0]
    assert dialog.rows.rowCount() == len(handset_codes(hall))
    assert dialog.rows.index(0, 6).data() == str(first.in_stock)
    frame = dialog.frameGeometry().size()
    assert frame.width() <= USABLE.width() and frame.height() <= USABLE.height()
    _shot(dialog, "stock-list.png")
    ops.mutate(
        lambda: hall.stock.receive(supervisor, first.product_id, [imei(70), imei(71)]),
        changes=Changes.STOCK,
    )
    qtbot.waitUntil(
        lambda: bool(dialog.shown) and dialog.shown[0].in_stock == first.in_stock + 2,
        timeout=WAIT,
    )
    assert dialog.rows.index(0, 6).data() == str(first.in_stock + 2)
    assert "在库" in dialog.count.text()


def test_the_supervisor_opens_stock_from_the_menu(qtbot: QtBot, session: Session) -> None:
    window = _logged_in(qtbot, session, "super1")
    texts = [a.text() for m in window.menuBar().actions() for a in m.menu().actions()]
    assert "终端入库" in texts and "终端库存" in texts
    shift = CTRL | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window, Qt.Key.Key_I, shift)
    qtbot.waitUntil(lambda: window.stock_menu.receive_dialog is not None, timeout=WAIT)
    receive = window.stock_menu.receive_dialog
    assert receive is not None
    qtbot.waitUntil(lambda: receive.model_box.count() > 0, timeout=WAIT)
    assert receive.isVisible() and receive.windowTitle() == "终端入库"
    receive.reject()
    assert window.stock_menu.list_action.shortcut().toString() == "Ctrl+Shift+T"
    # (offscreen, the closed modal dialog keeps the keys from the window: triggered directly)
    window.stock_menu.list_action.trigger()
    listing = window.stock_menu.list_dialog
    assert listing is not None
    qtbot.waitUntil(lambda: bool(listing.shown), timeout=WAIT)


def test_a_clerk_has_no_stock_actions(qtbot: QtBot, session: Session) -> None:
    window = _logged_in(qtbot, session, "clerk1")
    assert not hasattr(window, "stock_menu")
    texts = [a.text() for m in window.menuBar().actions() for a in m.menu().actions()]
    assert "终端入库" not in texts

"""终端入库 as a supervisor does it: IMEIs scanned one by one (keystrokes then Enter, a mistyped
one and a double scan refused inline), then a GBK delivery file checked with its per-row
errors shown and only the valid rows imported after 确认导入; and the 终端库存 list."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QFileDialog, QLabel
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from hall_app.app import HallApp
from hall_app.db.models import Device
from hall_app.domain.enums import DeviceStatus
from hall_app.services.actor import Actor
from tests.gui.conftest import ShownMessages
from tests.gui.test_customer_search import _logged_in
from tests.stock_fixtures import handset_codes, imei, stocked_imei, write_csv, wrong_digit
from ui import messages
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
    name = hall.stock.models(supervisor)[1].name  # the button names the model scanned for
    assert dialog.receive_button.text() == f"确认入库 {name} 3 台 (Ctrl+Enter)"
    assert not dialog.model_box.isEnabled()  # locked while the list has units
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
    # the per-row errors stay listed after the import, to go back to the supplier
    assert [[table.index(r, c).data() for c in range(4)] for r in range(4)] == cells
    assert "有误的 4 行未导入（见上表）" in dialog.file_summary.text()
    _shot(dialog, "stock-import-done.png")


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
    # 机型 is the model alone (brand, colour, storage have their columns) and takes the room
    # left, not 故障 (a count); the longest code and colour show whole
    assert [dialog.rows.index(k, 1).data() for k in range(3)] == [
        m.model or m.name for m in dialog.shown[:3]
    ]
    header, metrics = dialog.table.horizontalHeader(), dialog.table.fontMetrics()
    assert header.sectionSize(9) < header.sectionSize(1)
    for column, values in (
        (2, [m.colour for m in dialog.shown]),
        (4, [m.code for m in dialog.shown]),
    ):
        assert header.sectionSize(column) >= max(metrics.horizontalAdvance(v) for v in values)
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


def test_the_scan_list_keeps_its_model_until_cleared_with_a_question(
    qtbot: QtBot, hall: HallApp, supervisor: Actor, ops: Operations, shown: ShownMessages
) -> None:
    dialog = _dialog(qtbot, hall, supervisor, ops)
    assert dialog.model_box.isEnabled()
    dialog.model_box.setCurrentIndex(1)
    first = dialog.model_box.currentData()
    name = hall.stock.models(supervisor)[1].name
    _scan(qtbot, dialog, imei(61))
    assert dialog.scanned_for == first and not dialog.model_box.isEnabled()
    assert "换机型请先清空列表" in dialog.model_hint.text()
    dialog.model_box.setCurrentIndex(2)  # a wheel or a key got through: back to the list's model
    assert dialog.model_box.currentData() == first
    assert dialog.receive_button.text() == f"确认入库 {name} 1 台 (Ctrl+Enter)"
    dialog._clear()
    assert shown.items[-1][0] == "question" and f"清空已扫描的 1 台 {name}？" in shown.items[-1][2]
    assert not dialog.scanned and dialog.scanned_for is None and dialog.model_box.isEnabled()
    dialog.model_box.setCurrentIndex(2)
    second = dialog.model_box.currentData()
    _scan(qtbot, dialog, imei(61))
    qtbot.mouseClick(dialog.receive_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.scanned and not ops.busy, timeout=WAIT)
    with hall.db.read() as s:
        assert set(s.scalars(select(Device.product_id).where(Device.imei == imei(61)))) == {second}
    assert dialog.model_box.isEnabled() and dialog.scanned_for is None


def _answer(monkeypatch: pytest.MonkeyPatch, answers: list[bool]) -> list[str]:
    """Message boxes answered in turn from ``answers``; returns the questions asked."""
    asked: list[str] = []

    def fake_show(kind: messages.Kind, parent: object, title: str, text: str) -> bool:
        asked.append(text)
        return answers.pop(0)

    monkeypatch.setattr(messages, "_show", fake_show)
    return asked


def test_esc_asks_before_throwing_away_a_scanned_list(
    qtbot: QtBot,
    hall: HallApp,
    supervisor: Actor,
    ops: Operations,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = _answer(monkeypatch, [False, True])
    dialog = _dialog(qtbot, hall, supervisor, ops)
    name = dialog._model_name(dialog.model_box.currentData())
    for k in range(4):
        _scan(qtbot, dialog, imei(80 + k))
    qtbot.keyClick(dialog.imei, Qt.Key.Key_Escape)
    assert asked == [f"已扫描的 4 台 {name} 还未入库。关闭将丢弃这个列表，确定关闭？"]
    assert dialog.isVisible() and len(dialog.scanned) == 4  # kept: the answer was no
    qtbot.keyClick(dialog.imei, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and len(asked) == 2
    assert _units(hall, [imei(80 + k) for k in range(4)]) == {}


def test_esc_with_nothing_scanned_closes_without_a_question(
    qtbot: QtBot, hall: HallApp, supervisor: Actor, ops: Operations, shown: ShownMessages
) -> None:
    dialog = _dialog(qtbot, hall, supervisor, ops)
    qtbot.keyClick(dialog.imei, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and not shown.items


def test_after_receiving_the_model_box_keeps_the_model_for_the_next_box(
    qtbot: QtBot, hall: HallApp, supervisor: Actor, ops: Operations, shown: ShownMessages
) -> None:
    dialog = _dialog(qtbot, hall, supervisor, ops)
    dialog.model_box.setCurrentIndex(3)
    chosen = dialog.model_box.currentData()
    before = dialog.model_box.currentText()
    _scan(qtbot, dialog, imei(85))
    qtbot.keyClick(dialog.imei, Qt.Key.Key_Return, CTRL)
    # received, and the models read again (the label counts the new unit)
    qtbot.waitUntil(lambda: not ops.busy and dialog.model_box.currentText() != before, timeout=WAIT)
    assert dialog.model_box.currentData() == chosen and dialog.model_box.currentIndex() == 3
    assert dialog.model_box.isEnabled() and dialog.scanned_for is None
    _scan(qtbot, dialog, imei(86))
    assert dialog.scanned_for == chosen


def test_a_refused_scan_stays_in_the_field_selected(
    qtbot: QtBot, hall: HallApp, supervisor: Actor, ops: Operations, shown: ShownMessages
) -> None:
    dialog = _dialog(qtbot, hall, supervisor, ops)
    bad = wrong_digit(imei(87))
    _scan(qtbot, dialog, bad)
    assert "校验位错误" in dialog.scan_message.text()
    assert dialog.imei.text() == bad and dialog.imei.selectedText() == bad
    qtbot.keyClick(dialog.imei, Qt.Key.Key_End)  # one digit corrected, not all typed again
    qtbot.keyClick(dialog.imei, Qt.Key.Key_Backspace)
    qtbot.keyClicks(dialog.imei, imei(87)[-1])
    qtbot.keyClick(dialog.imei, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog._checking, timeout=WAIT)
    assert dialog.scanned == [imei(87)] and dialog.imei.text() == ""
    _scan(qtbot, dialog, bad)  # the next scan replaces a refused one whole
    _scan(qtbot, dialog, imei(88))
    assert dialog.scanned == [imei(87), imei(88)]


def test_an_imei_of_another_models_tac_is_refused_inline(
    qtbot: QtBot, hall: HallApp, supervisor: Actor, ops: Operations, shown: ShownMessages
) -> None:
    old = stocked_imei(hall)
    dialog = _dialog(qtbot, hall, supervisor, ops)
    with hall.db.read() as s:
        owner = s.scalars(select(Device.product_id).where(Device.imei == old)).one()
    models = hall.stock.models(supervisor)
    mine = next(m for m in models if m.product_id == owner)
    other = next(m for m in models if (m.brand, m.model) != (mine.brand, mine.model))
    dialog.model_box.setCurrentIndex(dialog._index_of(other.product_id))
    _scan(qtbot, dialog, imei(89, old[:8]))
    assert not dialog.scanned and f"属于 {mine.brand} {mine.model}" in dialog.scan_message.text()
    _shot(dialog, "stock-receive-tac.png")


def test_the_model_label_has_its_mnemonic_not_a_literal_ampersand(
    qtbot: QtBot, hall: HallApp, supervisor: Actor, ops: Operations
) -> None:
    dialog = _dialog(qtbot, hall, supervisor, ops)
    labels = [w for w in dialog.findChildren(QLabel) if w.text() == "机型 (&M)"]
    assert len(labels) == 1 and labels[0].buddy() is dialog.model_box

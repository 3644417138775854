"""Review of issue 12: the 终端入库 dialog (fails on main)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import Device
from hall_app.services.actor import Actor
from tests.gui.conftest import ShownMessages
from tests.gui.test_stock_dialog import WAIT, _dialog, _scan
from tests.stock_fixtures import imei
from ui.ops import Operations


def test_units_scanned_for_one_model_are_not_received_as_another(
    qtbot: QtBot, hall: HallApp, supervisor: Actor, ops: Operations, shown: ShownMessages
) -> None:
    # Ten boxes of model 1 are scanned; the model box then changes (a mouse wheel over it, a
    # stray key) and 确认入库 saves every scanned unit as the model now shown: the list is
    # neither cleared nor tied to the model it was scanned for.
    dialog = _dialog(qtbot, hall, supervisor, ops)
    dialog.model_box.setCurrentIndex(1)
    scanned_for = dialog.model_box.currentData()
    for n in (41, 42):
        _scan(qtbot, dialog, imei(n))
    assert dialog.scanned == [imei(41), imei(42)]
    dialog.model_box.setCurrentIndex(2)  # the clerk's list still says 2 units to receive
    wanted = [imei(41), imei(42)]

    def saved() -> set[object]:
        with hall.db.read() as s:
            return set(s.scalars(select(Device.product_id).where(Device.imei.in_(wanted))))

    if dialog.receive_button.isEnabled():
        qtbot.mouseClick(dialog.receive_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bool(saved()) or not dialog.scanned, timeout=WAIT)
    assert saved() <= {scanned_for}, "units scanned for one model were received as another"

"""The 管理 menu's stock actions: 终端入库 (Ctrl+Shift+I) and 终端库存 (Ctrl+Shift+T), for
those who may receive stock (supervisors and admins)."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMenu, QWidget

from hall_app.services.actor import Actor
from hall_app.services.stock import HandsetStockService
from ui.ops import Operations
from ui.stock.listing import StockListDialog
from ui.stock.receive import ReceiveStockDialog


class StockMenu(QObject):
    def __init__(
        self,
        stock: HandsetStockService,
        actor: Actor,
        ops: Operations,
        menu: QMenu,
        window: QWidget,
    ) -> None:
        super().__init__(window)  # the window is the parent: no Python reference back to it,
        # so a window deleted at logout is not kept alive as a dead wrapper by a cycle
        self._stock, self._actor, self._ops = stock, actor, ops
        self.receive_dialog: ReceiveStockDialog | None = None
        self.list_dialog: StockListDialog | None = None
        menu.addSeparator()
        self.receive_action = menu.addAction("终端入库")
        self.receive_action.setObjectName("receiveStockAction")
        self.receive_action.setShortcut("Ctrl+Shift+I")
        self.receive_action.triggered.connect(self.open_receive)
        self.list_action = menu.addAction("终端库存")
        self.list_action.setObjectName("stockListAction")
        self.list_action.setShortcut("Ctrl+Shift+T")
        self.list_action.triggered.connect(self.open_list)

    def _parent_window(self) -> QWidget:
        window = self.parent()
        assert isinstance(window, QWidget)
        return window

    def open_receive(self) -> ReceiveStockDialog:
        if self.receive_dialog is not None:
            self.receive_dialog.deleteLater()
        dialog = ReceiveStockDialog(self._stock, self._actor, self._ops, self._parent_window())
        self.receive_dialog = dialog
        dialog.open()
        return dialog

    def open_list(self) -> StockListDialog:
        if self.list_dialog is not None:
            self.list_dialog.deleteLater()
        dialog = StockListDialog(self._stock, self._actor, self._ops, self._parent_window())
        self.list_dialog = dialog
        dialog.open()
        return dialog
